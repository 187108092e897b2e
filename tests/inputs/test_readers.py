"""Reading table files: encodings, header aliases, ids as text, row numbers, xlsx and Parquet, checked casts."""

import datetime as dt
import hashlib
import logging
from importlib import resources
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from socialops.inputs import csvfiles, readers
from socialops.inputs.engine import connect
from socialops.inputs.readers import (
    ROW,
    ReadError,
    ReadSettings,
    detect_encoding,
    find_table_file,
    load_aliases,
    normalize_header,
    ok_column,
    parse_table,
    raw_column,
    read_table,
)
from socialops.inputs.tables import CONTENT_TYPES, EVENTS, FORMATS, KNOWN_PLATFORMS, TABLES


@pytest.fixture
def con():
    backend = connect("duckdb", threads=1, memory_limit="1GB")
    yield backend
    backend.disconnect()


def _read(con, table, path, aliases=None):
    raw = read_table(con, table, path, aliases or load_aliases(path.parent))
    return raw, raw.expr.order_by(ROW).to_pandas()


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------------ encodings
@pytest.mark.parametrize(
    ("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030")]
)
def test_detect_encoding(tmp_path, encoding, expected):
    path = tmp_path / "mentions.csv"
    path.write_text("内容,情感\n品牌质量问题,-0.8\n", encoding=encoding)
    assert detect_encoding(path) == expected


def test_ascii_is_read_as_utf8(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("user_id,ts,event\nu1,2026-01-01,view\n", encoding="ascii")
    assert detect_encoding(path) == "utf-8"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        ("user_id,ts\n".encode("utf-16-le"), "UTF-16 text without a byte-order mark.*encoding: utf-16-le"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "binary"),
        (b"user_id\n\xff\xfe\xfd\xfc\x80\x81\xff\n", "not UTF-8: line 2 holds the bytes ff fe fd fc; nor GB18030"),
    ],
)
def test_undecodable_files_are_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "events.csv"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=message) as info:
        detect_encoding(path)
    assert info.value.file.endswith("events.csv")


def test_gb18030_is_transcoded_and_the_input_left_alone(tmp_path, con, caplog):
    path = tmp_path / "mentions.csv"
    path.write_text("编号,时间,平台,情感,内容\nm1,2026-09-10 09:00:00,微博,-0.9,质量问题太差了\n", encoding="gb18030")
    before, mtime = _sha(path), path.stat().st_mtime_ns
    with caplog.at_level(logging.INFO, logger="socialops"):
        raw, df = _read(con, "mentions", path)
    assert raw.encoding == "gb18030"
    assert any("gb18030" in r.getMessage() and r.name == "socialops" for r in caplog.records)
    assert df.text.tolist() == ["质量问题太差了"]
    assert df.platform.tolist() == ["微博"]  # raw values are untouched until parsed
    assert _sha(path) == before and path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mentions.csv"]


# ---------------------------------------------------------------------------------------- headers and ids
def test_headers_match_through_aliases_ignoring_bom_space_and_case(tmp_path, con):
    path = tmp_path / "platform_daily.csv"
    path.write_text(" 日期 ,PLATFORM,粉丝数, 曝光量,点赞,评论,转发,收藏,花费,备注\n2026-01-01,douyin,1,2,3,4,5,6,7.5,x\n",
                    encoding="utf-8-sig")
    raw, df = _read(con, "platform_daily", path)
    assert raw.columns == ["date", "platform", "followers", "impressions", "likes", "comments", "shares", "saves",
                           "spend"]
    assert raw.headers["date"] == " 日期 "
    assert raw.extra == ["备注"]
    assert list(df.columns) == [ROW, *raw.columns]


def test_two_headers_for_one_column_are_reported(tmp_path, con):
    path = tmp_path / "posts.csv"
    path.write_text("post_id,分享,转发\np1,1,2\n", encoding="utf-8")
    raw, _ = _read(con, "posts", path)
    assert raw.duplicates == {"shares": ["分享", "转发"]}


def test_alias_depends_on_the_table(tmp_path, con):
    posts = tmp_path / "posts.csv"
    posts.write_text("笔记ID,发布时间\n1,2026-01-01\n", encoding="utf-8")
    mentions = tmp_path / "mentions.csv"
    mentions.write_text("ID,发布时间\n1,2026-01-01\n", encoding="utf-8")
    assert read_table(con, "posts", posts).columns == ["post_id", "published_at"]
    assert read_table(con, "mentions", mentions).columns == ["mention_id", "ts"]


def test_user_aliases_extend_the_map(tmp_path, con):
    (tmp_path / "aliases.yaml").write_text(
        "columns:\n  events:\n    会员号: user_id\n    行为时间: ts\nvalues:\n  event:\n    加购: purchase\n",
        encoding="utf-8",
    )
    path = tmp_path / "events.csv"
    path.write_text("会员号,行为时间,行为\n007,2026-01-01 10:00,加购\n", encoding="utf-8")
    raw, _ = _read(con, "events", path)
    assert raw.columns == ["user_id", "ts", "event"]
    typed = parse_table(raw, load_aliases(tmp_path)).to_pandas()
    assert typed.event.tolist() == ["purchase"]
    assert typed.user_id.tolist() == ["007"]


def test_flat_user_alias_file_applies_to_every_table(tmp_path):
    (tmp_path / "aliases.yaml").write_text("客户编号: user_id\n", encoding="utf-8")
    assert load_aliases(tmp_path).canonical("events", " 客户编号 ") == "user_id"
    assert load_aliases(tmp_path).canonical("posts", "客户编号") is None


def test_broken_user_alias_file_is_an_error(tmp_path):
    (tmp_path / "aliases.yaml").write_text("columns:\n  events: [a, b]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="aliases.yaml"):
        load_aliases(tmp_path)


def test_reading_settings_per_table_from_the_read_section(tmp_path):
    (tmp_path / "aliases.yaml").write_text(
        "read:\n  '*':\n    encoding: cp1252\n  events:\n    separator: tab\n    header_row: 3\n"
        "    date_format: '%m/%d/%Y %H:%M'\n  posts:\n    sheet: Data\n    encoding: utf-16\n",
        encoding="utf-8",
    )
    aliases = load_aliases(tmp_path)
    assert aliases.read_settings("events") == ReadSettings(
        encoding="cp1252", separator="\t", header_row=3, date_format="%m/%d/%Y %H:%M"
    )
    assert aliases.read_settings("posts") == ReadSettings(encoding="utf-16", sheet="Data")
    assert aliases.read_settings("mentions") == ReadSettings(encoding="cp1252")
    assert load_aliases().read_settings("events") == ReadSettings()


def test_a_read_section_alone_is_not_taken_for_header_aliases(tmp_path):
    (tmp_path / "aliases.yaml").write_text("read:\n  events:\n    separator: ';'\n", encoding="utf-8")
    aliases = load_aliases(tmp_path)
    assert aliases.read_settings("events").separator == ";"
    assert aliases.canonical("events", "read") is None


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("events:\n    sep: ';'", r"read\.events: unknown setting 'sep'; the settings are encoding, separator"),
        ("event:\n    separator: ';'", r"read\.event: no table 'event'"),
        ("events:\n    header_row: 0", r"read\.events\.header_row must be a line number"),
        ("events:\n    header_row: two", r"read\.events\.header_row must be a line number"),
        ("events:\n    encoding: klingon", r"read\.events\.encoding: 'klingon' is not a known encoding"),
        ("events:\n    separator: ';;'", r"read\.events\.separator must be one character"),
        ("events:\n    sheet: ''", r"read\.events\.sheet is empty"),
        ("events: ';'", r"read\.events must map settings to values"),
    ],
)
def test_unknown_or_bad_reading_settings_are_refused_naming_file_and_key(tmp_path, section, message):
    (tmp_path / "aliases.yaml").write_text(f"read:\n  {section}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        load_aliases(tmp_path)
    assert "aliases.yaml" in str(info.value)


def test_normalize_header():
    assert normalize_header("\ufeff  Post_ID\u3000") == "post_id"
    assert normalize_header(None) == ""


def test_ids_stay_text_and_rows_keep_their_spreadsheet_numbers(tmp_path, con):
    path = tmp_path / "events.csv"
    path.write_text(
        'user_id,ts,event,referrer_id\n0013800138000,2026-01-01,view,\n'
        '1234567890123456789,2026-01-02,signup,"0099"\n"multi\nline",2026-01-03,view,\n00042,2026-01-04,view,\n',
        encoding="utf-8",
    )
    raw, df = _read(con, "events", path)
    assert df[ROW].tolist() == [2, 3, 4, 5]
    assert df.user_id.tolist() == ["0013800138000", "1234567890123456789", "multi\nline", "00042"]
    typed = parse_table(raw).order_by(ROW).to_pandas()
    assert typed.user_id.tolist()[:2] == ["0013800138000", "1234567890123456789"]
    assert typed.referrer_id.tolist()[1] == "0099"
    assert pd.isna(typed.referrer_id.tolist()[0])


def test_header_only_file_has_no_rows(tmp_path, con):
    path = tmp_path / "events.csv"
    path.write_text("user_id,ts,event\n", encoding="utf-8")
    raw, df = _read(con, "events", path)
    assert raw.columns == ["user_id", "ts", "event"] and df.empty


def test_malformed_csv_is_a_read_error(tmp_path, con):
    path = tmp_path / "events.csv"
    path.write_text("user_id,ts,event\nu1,2026-01-01,view,extra,fields\n", encoding="utf-8")
    with pytest.raises(ReadError, match="malformed CSV"):
        read_table(con, "events", path)


def test_other_engines_read_csv_through_arrow_with_exact_rows(tmp_path, con, monkeypatch):
    monkeypatch.setattr(readers, "_backend_name", lambda _con: "other")
    path = tmp_path / "events.csv"
    path.write_text("user_id,ts,event\n007,2026-01-01,view\n008,2026-01-02,like\n", encoding="gb18030")
    raw, df = _read(con, "events", path)
    assert df[ROW].tolist() == [2, 3] and df.user_id.tolist() == ["007", "008"]


# ----------------------------------------------------------------------------------------- file formats
def test_find_table_file(tmp_path):
    assert find_table_file(tmp_path, "posts") is None
    (tmp_path / "Events.CSV").write_text("user_id\n", encoding="utf-8")
    assert find_table_file(tmp_path, "events").name == "Events.CSV"
    (tmp_path / "posts.xlsx").write_bytes(b"")
    assert find_table_file(tmp_path, "posts").name == "posts.xlsx"
    (tmp_path / "posts.csv").write_text("post_id\n", encoding="utf-8")
    with pytest.raises(ReadError, match="given twice"):
        find_table_file(tmp_path, "posts")


def test_xlsx_cells_become_text_as_a_csv_would_hold_them(tmp_path, con):
    path = tmp_path / "posts.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["笔记ID", "平台", "发布时间", "内容类型", "曝光量", "是否广告", None])
    sheet.append(["0013800138000", "小红书", dt.datetime(2026, 3, 1, 20, 30), "干货", 1200, True])
    sheet.append([None, None, None, None, None, None])
    sheet.append([98765, "抖音", dt.datetime(2026, 3, 2, 9, 0), "promotion", 3400.0, False])
    book.save(path)
    raw, df = _read(con, "posts", path)
    assert df[ROW].tolist() == [2, 4]
    assert df.post_id.tolist() == ["0013800138000", "98765"]
    typed = parse_table(raw, load_aliases()).order_by(ROW).to_pandas()
    assert typed.platform.tolist() == ["xiaohongshu", "douyin"]
    assert typed.content_type.tolist() == ["tutorial", "promotion"]
    assert typed.impressions.tolist() == [1200, 3400]
    assert typed.is_ad.tolist() == [True, False]
    assert typed.published_at.tolist() == [pd.Timestamp("2026-03-01 20:30"), pd.Timestamp("2026-03-02 09:00")]


@pytest.mark.parametrize("content", [b"", b"post_id,platform\np1,douyin\n", b"PK\x03\x04broken"])
def test_unreadable_xlsx_is_a_read_error(tmp_path, con, content):
    path = tmp_path / "posts.xlsx"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=r"\.xlsx workbook"):
        read_table(con, "posts", path)


def test_parquet_keeps_types_and_numbers_rows(tmp_path, con):
    path = tmp_path / "mentions.parquet"
    pq.write_table(
        pa.table({
            "mention_id": pa.array([1234567890123456789, 42], pa.int64()),
            "ts": pa.array([dt.datetime(2026, 9, 10, 9), dt.datetime(2026, 9, 10, 10)], pa.timestamp("us")),
            "platform": ["weibo", "WeChat"],
            "sentiment": [-0.5, 0.25],
            "is_official": [False, True],
        }),
        path,
    )
    raw, df = _read(con, "mentions", path)
    assert df[ROW].tolist() == [2, 3]
    typed = parse_table(raw, load_aliases()).order_by(ROW).to_pandas()
    assert typed.mention_id.tolist() == ["1234567890123456789", "42"]
    assert typed.platform.tolist() == ["weibo", "wechat"]
    assert typed.is_official.tolist() == [False, True]
    assert typed[ok_column("sentiment")].all()


def test_other_engines_read_parquet_natively(tmp_path, con, monkeypatch):
    monkeypatch.setattr(readers, "_backend_name", lambda _con: "other")
    path = tmp_path / "events.parquet"
    pq.write_table(pa.table({"user_id": ["007", "008"], "event": ["view", "like"]}), path)
    raw, df = _read(con, "events", path)
    assert sorted(df[ROW]) == [2, 3] and sorted(df.user_id) == ["007", "008"]


def test_corrupt_parquet_is_a_read_error(tmp_path, con):
    path = tmp_path / "mentions.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(ReadError, match="Parquet"):
        read_table(con, "mentions", path)


# ------------------------------------------------------------------------------------------- checked casts
def test_checked_casts_of_exported_values(tmp_path, con):
    path = tmp_path / "posts.csv"
    path.write_text(
        "post_id,platform,published_at,content_type,format,is_ad,impressions,likes\n"
        'p1, Douyin ,2026/03/01 20:00,Tutorial,视频,是,"1,234",1.2万\n'
        "p2,MyShop,2026年3月2日 08:00,故事,图文,no,  17  ,0\n"
        "p3,小红书,not a date,tutorial,video,maybe,12.5,-3\n",
        encoding="utf-8",
    )
    raw = read_table(con, "posts", path)
    t = parse_table(raw, load_aliases()).order_by(ROW).to_pandas()
    assert t.platform.tolist() == ["douyin", "MyShop", "xiaohongshu"]  # unknown ids shown as given
    assert t.content_type.tolist() == ["tutorial", "story", "tutorial"]
    assert t.format.tolist() == ["video", "image_text", "video"]
    assert t.impressions.tolist()[:2] == [1234, 17]
    assert t.likes.tolist() == [12000, 0, -3]  # negative counts parse; the contract rejects them
    assert t.published_at.tolist()[:2] == [pd.Timestamp("2026-03-01 20:00"), pd.Timestamp("2026-03-02 08:00")]
    assert t.is_ad.tolist()[:2] == [True, False]
    assert t[ok_column("published_at")].tolist() == [True, True, False]
    assert t[ok_column("impressions")].tolist() == [True, True, False]  # 12.5 is not a whole number
    assert t[ok_column("is_ad")].tolist() == [True, True, False]
    assert t[raw_column("impressions")].tolist()[2] == "12.5"


def test_shares_accept_percentages_and_dates_accept_timestamps(tmp_path, con):
    path = tmp_path / "audience.csv"
    path.write_text("platform,dimension,bucket,share\nbilibili,age,18-24,45%\nbilibili,age,25-34,0.3\n",
                    encoding="utf-8")
    t = parse_table(read_table(con, "audience", path)).order_by(ROW).to_pandas()
    assert t.share.tolist() == pytest.approx([0.45, 0.3], abs=1e-12)
    daily = tmp_path / "platform_daily.csv"
    daily.write_text("date,platform\n2026-01-01 00:00:00,wechat\n2026/1/2,wechat\n", encoding="utf-8")
    d = parse_table(read_table(con, "platform_daily", daily)).order_by(ROW).to_pandas()
    assert [pd.Timestamp(x) for x in d.date] == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-02")]


def test_parsing_without_checks_returns_only_canonical_columns(tmp_path, con):
    path = tmp_path / "experiment.csv"
    path.write_text("experiment_id,unit_id,variant,converted\ne,007,control,1\n", encoding="utf-8")
    t = parse_table(read_table(con, "experiment", path), checks=False)
    assert t.columns == ("experiment_id", "unit_id", "variant", "converted")
    assert str(t.schema()["converted"]) == "int64"


def test_windows_line_ends_and_hash_texts(tmp_path, con):
    path = tmp_path / "mentions.csv"
    path.write_bytes("mention_id,ts,text\r\nm1,2026-09-10 09:00,#品牌翻车# 太差\r\nm2,2026-09-10 10:00,ok\r\n".encode())
    raw, df = _read(con, "mentions", path)
    assert df.text.tolist() == ["#品牌翻车# 太差", "ok"] and df[ROW].tolist() == [2, 3]


# ------------------------------------------------------------------------------------- already canonical
def _events_parquet(path, **overrides):
    columns = {
        "user_id": ["u1", "u2", "u3"],
        "ts": pa.array([dt.datetime(2026, 9, 1, 8), dt.datetime(2026, 9, 2, 9), None], pa.timestamp("us")),
        "event": ["view", "purchase", "follow"],
        "platform": ["douyin", "wechat", None],
        "amount": [None, 12.5, None],
        "referrer_id": [None, "u1", None],
    }
    columns.update(overrides)
    pq.write_table(pa.table(columns), path)
    return path


@pytest.mark.parametrize(
    ("overrides", "canonical"),
    [
        ({}, True),
        ({"user_id": ["u1", " u2", "u3"]}, False),  # surrounding space
        ({"referrer_id": [None, "", None]}, False),  # blank id means null
        ({"event": ["view", "Purchase", "follow"]}, False),  # case
        ({"platform": ["抖音", "wechat", None]}, False),  # an alias
        ({"platform": ["Douyin", "wechat", None]}, False),  # a known platform in another case
        ({"platform": ["Mastodon", "wechat", None]}, True),  # an unknown platform is kept as given
        ({"amount": [float("nan"), 12.5, None]}, False),  # NaN is null
        ({"user_id": pa.array([1, 2, 3], pa.int64())}, False),  # ids stored as numbers
        ({"ts": ["2026-09-01 08:00:00", "2026-09-02 09:00:00", None]}, False),  # time as text
        ({"ts": pa.array([dt.datetime(2026, 9, 1, 8)] * 3, pa.timestamp("ms"))}, True),  # another precision
        ({"ts": pa.array([dt.datetime(2026, 9, 1, 8)] * 3, pa.timestamp("us", tz="UTC"))}, False),  # zoned
    ],
)
def test_already_canonical_tells_which_parquet_files_need_no_conversion(tmp_path, con, overrides, canonical):
    path = _events_parquet(tmp_path / "events.parquet", **overrides)
    raw = read_table(con, "events", path, load_aliases())
    assert readers.already_canonical(raw, load_aliases()) is canonical
    if canonical:  # then parsing changes nothing
        expected = raw.expr.order_by(ROW).drop(ROW).to_pandas()
        parsed = parse_table(raw, load_aliases()).order_by(ROW).select(*raw.columns).to_pandas()
        pd.testing.assert_frame_equal(parsed, expected, check_dtype=False)


# ------------------------------------------------------------------------------------ the library's aliases
def _alias_files():
    folder = resources.files("socialops.inputs") / "aliases"
    return {e.name: yaml.safe_load(e.read_text(encoding="utf-8")) for e in folder.iterdir() if e.name.endswith(".yaml")}


def test_alias_files_target_real_columns_and_values():
    files = _alias_files()
    assert {"common.yaml", "xiaohongshu.yaml", "douyin.yaml", "wechat.yaml"} <= set(files)
    all_columns = {c for spec in TABLES.values() for c in spec.names}
    allowed = {"platform": set(KNOWN_PLATFORMS), "content_type": set(CONTENT_TYPES), "format": set(FORMATS),
               "event": set(EVENTS), "sentiment": {"1", "0", "-1"}}
    for name, doc in files.items():
        for scope, mapping in doc.get("columns", {}).items():
            columns = all_columns if scope == "*" else set(TABLES[scope].names)
            for alias, target in mapping.items():
                assert target in columns, f"{name}: {scope}.{alias} -> {target}"
        for column, mapping in doc.get("values", {}).items():
            assert set(mapping.values()) <= allowed[column], name


def test_alias_files_do_not_contradict_each_other():
    seen = {}
    for name, doc in sorted(_alias_files().items()):
        for scope, mapping in doc.get("columns", {}).items():
            for alias, target in mapping.items():
                key = (scope, normalize_header(alias))
                assert seen.setdefault(key, (target, name))[0] == target, f"{key}: {seen[key]} vs {name}"


# ------------------------------------------------------------------------------------ the data folder's edge
OUTSIDE = Path(__file__).resolve().parents[1] / "data" / "hostile" / "outside"  # files that lie outside any data folder


def test_a_table_file_linking_out_of_the_data_folder_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv(readers.ALLOW_OUTSIDE_ENV, raising=False)
    data = tmp_path / "data"
    data.mkdir()
    (data / "events.csv").symlink_to(OUTSIDE / "events.csv")
    with pytest.raises(ReadError, match="outside the data folder") as caught:
        find_table_file(data, "events")
    assert caught.value.file == "events.csv" and "--allow-outside-links" in caught.value.message
    assert "marker" not in str(caught.value)
    assert find_table_file(data, "events", allow_outside=True) == data / "events.csv"
    monkeypatch.setenv(readers.ALLOW_OUTSIDE_ENV, "1")
    assert find_table_file(data, "events") == data / "events.csv"


def test_a_link_through_a_linked_folder_is_refused_and_one_inside_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv(readers.ALLOW_OUTSIDE_ENV, raising=False)
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    (data / "raw" / "posts.csv").write_text("post_id\n", encoding="utf-8")
    (data / "posts.csv").symlink_to(Path("raw") / "posts.csv")  # a relative link that stays inside: read
    assert find_table_file(data, "posts") == data / "posts.csv"
    (data / "linked").symlink_to(OUTSIDE, target_is_directory=True)
    (data / "events.csv").symlink_to(Path("linked") / "events.csv")  # inside by name, outside in fact
    with pytest.raises(ReadError, match="outside the data folder"):
        find_table_file(data, "events")


def test_the_data_folder_itself_may_be_reached_through_a_link(tmp_path, monkeypatch):
    monkeypatch.delenv(readers.ALLOW_OUTSIDE_ENV, raising=False)
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "posts.csv").write_text("post_id\n", encoding="utf-8")
    (tmp_path / "data").symlink_to(tmp_path / "real", target_is_directory=True)
    assert find_table_file(tmp_path / "data", "posts").name == "posts.csv"


def test_an_alias_map_linking_out_of_the_data_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(readers.ALLOW_OUTSIDE_ENV, raising=False)
    (tmp_path / "aliases.yaml").symlink_to(OUTSIDE / "aliases.yaml")
    with pytest.raises(ReadError, match="outside the data folder") as caught:
        load_aliases(tmp_path)
    assert caught.value.file == "aliases.yaml"
    monkeypatch.setenv(readers.ALLOW_OUTSIDE_ENV, "1")
    assert load_aliases(tmp_path).canonical("events", "marker-5c1d0e-outside") == "user_id"


# ------------------------------------------------------------------------------------------- messy exports
MESSY_POSTS = "post_id,platform,published_at,content_type,impressions,title\n" \
              "p1,douyin,2026-01-01 10:00,story,10,Crème brûlée\np2,wechat,2026-01-02 11:00,tutorial,20,奶茶\n"


@pytest.fixture(params=["duckdb", "arrow"])
def engine(request, monkeypatch):
    """Read through DuckDB's CSV reader, or through Arrow's as engines without one do."""
    if request.param == "arrow":
        monkeypatch.setattr(readers, "_backend_name", lambda _con: "other")
    return request.param


def test_excel_unicode_text_is_read(tmp_path, con, engine):
    # Excel's "Save as Unicode text": UTF-16 with a byte-order mark, tab-separated, CRLF line ends
    path = tmp_path / "posts.csv"
    path.write_bytes(MESSY_POSTS.replace(",", "\t").replace("\n", "\r\n").encode("utf-16"))
    raw, df = _read(con, "posts", path)
    assert (raw.encoding, raw.separator) == ("utf-16", "\t")
    assert df[ROW].tolist() == [2, 3]
    assert df.title.tolist() == ["Crème brûlée", "奶茶"]


def test_a_semicolon_file_is_read_and_its_separator_told(tmp_path, con, engine, caplog):
    caplog.set_level(logging.INFO, logger="socialops")
    path = tmp_path / "posts.csv"
    path.write_text(MESSY_POSTS.replace(",", ";").replace("Crème brûlée", "1,5 Mio, Crème"), encoding="utf-8")
    raw, df = _read(con, "posts", path)
    assert raw.separator == ";"
    assert df.title.tolist() == ["1,5 Mio, Crème", "奶茶"]
    assert "posts.csv: semicolon-separated (found on its first lines)" in caplog.text


def test_the_settings_of_aliases_yaml_read_a_latin1_file_under_a_title(tmp_path, con, engine):
    path = tmp_path / "posts.csv"
    path.write_bytes(("Export of 2026-01-02\n\n" + MESSY_POSTS.replace("奶茶", "Déjà vu")).encode("cp1252"))
    with pytest.raises(ReadError, match=r"set read: \{posts: \{encoding: cp1252\}\} in aliases.yaml"):
        _read(con, "posts", path)
    (tmp_path / "aliases.yaml").write_text("read:\n  posts:\n    encoding: cp1252\n", encoding="utf-8")
    with pytest.raises(ReadError, match=r"a title line above the header \(line 1 holds only 'Export of 2026-01-02'; "
                                        r"the column names are on line 3\): set read: \{posts: \{header_row: 3\}\}"):
        _read(con, "posts", path)
    (tmp_path / "aliases.yaml").write_text("read:\n  posts:\n    encoding: cp1252\n    header_row: 3\n",
                                           encoding="utf-8")
    raw, df = _read(con, "posts", path)
    assert raw.encoding == "cp1252"
    assert df[ROW].tolist() == [4, 5]  # the lines of the file, title and blank line counted
    assert df.title.tolist() == ["Crème brûlée", "Déjà vu"]


def test_a_50_mb_cell_is_read(tmp_path, con, engine):
    size = 50 << 20 if engine == "duckdb" else 6 << 20  # Arrow's default block is 1 MB; 6 MB shows it grows
    path = tmp_path / "mentions.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("mention_id,ts,platform,sentiment,text\nm1,2026-01-01 10:00,weibo,0.1,short\n")
        fh.write("m2,2026-01-01 11:00,weibo,0.2," + "长" * (size // 3) + "\nm3,2026-01-01 12:00,weibo,0.3,end\n")
    raw = read_table(con, "mentions", path, load_aliases())
    df = raw.expr.select(ROW, "mention_id", n=raw.expr.text.length()).order_by(ROW).to_pandas()
    assert df.mention_id.tolist() == ["m1", "m2", "m3"]
    assert df.n.tolist() == [5, size // 3, 3]


def test_a_line_over_the_limit_is_refused_before_the_engine_reads_it(tmp_path, con, monkeypatch):
    monkeypatch.setattr(csvfiles, "MAX_LINE_BYTES", 3 << 20)
    path = tmp_path / "mentions.csv"
    path.write_text("mention_id,text\nm1,a\nm2," + "x" * (4 << 20) + "\n", encoding="utf-8")
    with pytest.raises(ReadError, match=r"line 3 is 4 MB long, more than the 3 MB a line may hold"):
        _read(con, "mentions", path)


def test_an_engine_error_quoting_a_huge_line_is_cut_short(tmp_path, con):
    path = tmp_path / "mentions.csv"
    path.write_text("mention_id,text\nm1,a,surplus" + "x" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(ReadError, match="malformed CSV") as info:
        _read(con, "mentions", path)
    assert len(info.value.message) < 1000


@pytest.mark.parametrize("folder", ["exports[1]", "all*", "what?", "[a-z]"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_folder_named_like_a_pattern_reads_only_its_own_file(tmp_path, con, folder, suffix):
    # DuckDB takes a path to read_csv and read_parquet as a glob pattern: unescaped, exports[1] would match
    # exports1 and all* every folder starting with "all"
    names = {folder: "mine", "exports1": "other", "all_else": "other", "whatx": "other", "a": "other"}
    for name, user in names.items():
        (tmp_path / name).mkdir(exist_ok=True)
        frame = pd.DataFrame({"user_id": [user], "ts": ["2026-01-01"], "event": ["view"]})
        if suffix == ".csv":
            frame.to_csv(tmp_path / name / "events.csv", index=False)
        else:
            frame.to_parquet(tmp_path / name / "events.parquet", index=False)
    raw, df = _read(con, "events", tmp_path / folder / f"events{suffix}")
    assert df.user_id.tolist() == ["mine"]


def test_engine_path_escapes_each_glob_character():
    assert readers.engine_path("/d/a[1]/*x?.csv") == "/d/a[[]1]/[*]x[?].csv"


def test_a_workbook_is_read_from_the_sheet_and_row_set(tmp_path, con):
    book = openpyxl.Workbook()
    book.active.title = "Read me"
    book.active.append(["This workbook holds the posts of January"])
    sheet = book.create_sheet("Posts")
    sheet.append(["Posts, January 2026"])
    sheet.append(["post_id", "platform", "published_at", "content_type", "impressions"])
    sheet.append(["p1", "douyin", "2026-01-01 10:00", "story", 10])
    path = tmp_path / "posts.xlsx"
    book.save(path)
    with pytest.raises(ReadError, match=r"data on sheet 'Posts' \(the first sheet, 'Read me', has no posts header\)"):
        _read(con, "posts", path)
    (tmp_path / "aliases.yaml").write_text("read:\n  posts:\n    sheet: Posts\n", encoding="utf-8")
    with pytest.raises(ReadError, match=r"sheet 'Posts': a title row above the header .*header_row: 2"):
        _read(con, "posts", path)
    (tmp_path / "aliases.yaml").write_text("read:\n  posts:\n    sheet: Posts\n    header_row: 2\n", encoding="utf-8")
    raw, df = _read(con, "posts", path)
    assert raw.columns == ["post_id", "platform", "published_at", "content_type", "impressions"]
    assert df[ROW].tolist() == [3]
    assert df.impressions.tolist() == ["10"]


def test_a_header_row_past_the_end_is_refused_saying_so(tmp_path, con):
    (tmp_path / "aliases.yaml").write_text("read:\n  posts:\n    header_row: 9\n", encoding="utf-8")
    path = tmp_path / "posts.csv"
    path.write_text(MESSY_POSTS, encoding="utf-8")
    with pytest.raises(ReadError, match="no header line on line 9, the header_row set"):
        _read(con, "posts", path)


def test_a_malformed_line_is_told_with_how_the_file_was_split(tmp_path, con):
    path = tmp_path / "posts.csv"
    path.write_text(MESSY_POSTS.replace(",", ";") + "p3;douyin;x;story;1;a;surplus\n", encoding="utf-8")
    with pytest.raises(ReadError, match=r"malformed CSV: .*\(read as semicolon-separated, found on its first lines, "
                                        r"header on line 1; if the separator is wrong, set read: \{posts: "
                                        r"\{separator: X\}\} in aliases.yaml, X the right one\)"):
        _read(con, "posts", path)


def test_the_records_before_a_header_leave_out_empty_lines(tmp_path):
    # Spark's CSV reader skips empty lines, which a header_row counts
    path = tmp_path / "posts.csv"
    path.write_bytes(b"\xef\xbb\xbfExport\r\n\r\n  \r\n,,\r\npost_id,platform\r\n")
    assert [readers._records_before(path, line) for line in (1, 2, 3, 5, 6)] == [0, 1, 1, 3, 4]


def test_spark_paths_are_absolute_with_hadoop_glob_characters_escaped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert readers._spark_path(Path("a[1]/{x,y}*?.csv")) == str(tmp_path) + r"/a\[1\]/\{x,y\}\*\?.csv"
