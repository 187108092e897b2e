"""Lazy validation of a data folder: every failure, with table, file, row, column, rule and value."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from socialops.inputs import contract, readers
from socialops.inputs.contract import MAX_LISTED, ContractError, Failure, tables_to_check
from socialops.inputs.tables import CHAPTER_TABLES
from socialops.inputs.workspace import open_workspace

NOW = dt.datetime(2026, 10, 1, 12, 0)


def validate(*args, **kwargs):
    """The contract's validate on one thread (the test machine is shared)."""
    return contract.validate(*args, threads=1, **kwargs)


VALID = {
    "platform_daily.csv": "date,platform,followers,impressions,engagements,spend\n"
    "2026-09-01,douyin,100,5000,120,30.5\n2026-09-01,wechat,80,900,40,\n",
    "posts.csv": "post_id,platform,published_at,content_type,format,is_ad,impressions,likes\n"
    "0001,douyin,2026-09-01 20:00:00,tutorial,video,false,1000,30\n"
    "0002,wechat,2026-09-02 08:00:00,promotion,article,true,400,3\n",
    "audience.csv": "platform,dimension,bucket,share\nbilibili,age,18-24,0.6\nbilibili,age,25-34,0.4\n",
    "events.csv": "user_id,ts,event,platform,amount,referrer_id\n"
    "u1,2026-09-01 10:00:00,view,douyin,,\nu2,2026-09-02 11:00:00,purchase,wechat,99.5,u1\n",
    "experiment.csv": "experiment_id,unit_id,variant,assigned_at,converted,value,pre_value\n"
    "title_summer,001,control,2026-09-01 00:00:00,0,0,1.5\ntitle_summer,002,variant,2026-09-01 00:00:00,1,12,3\n",
    "mentions.csv": "mention_id,ts,platform,sentiment,reach,text,is_official\n"
    "m1,2026-09-10 09:00:00,weibo,-0.8,1200,质量太差,false\nm2,2026-09-11 15:00:00,weibo,0.1,50000,致歉声明,true\n",
}


def _folder(tmp_path, **changes):
    """Write the valid folder with some files replaced (text) or removed (None)."""
    files = dict(VALID)
    for name, content in changes.items():
        files[name.replace("__", ".")] = content
    for name, content in files.items():
        if content is None:
            continue
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return tmp_path


def _rules(report):
    return {(f.table, f.row, f.column, f.rule.split(" (")[0], f.value) for f in report.failures}


def test_valid_folder(tmp_path):
    report = validate(_folder(tmp_path), now=NOW)
    assert report.ok, report.format()
    assert report.failures == []
    assert report.tables["posts"] == {
        "file": "posts.csv",
        "rows": 2,
        "encoding": "utf-8",
        "separator": ",",
        "columns": ["post_id", "platform", "published_at", "content_type", "format", "is_ad", "impressions", "likes"],
    }
    assert set(report.tables) == {"platform_daily", "posts", "audience", "events", "experiment", "mentions"}
    assert "data valid" in report.format()
    report.raise_for_failures()


def test_checks_run_in_the_engine_not_in_pandas(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pandas must not read the table files")

    monkeypatch.setattr(pd, "read_csv", refuse)
    monkeypatch.setattr(pd, "read_parquet", refuse)
    assert validate(_folder(tmp_path, events__csv=VALID["events.csv"] + "u3,2026-09-03,fly,,,\n"), now=NOW).failures


def test_missing_tables_and_columns(tmp_path):
    folder = _folder(
        tmp_path,
        events__csv=None,
        posts__csv=None,
        mentions__csv="mention_id,ts,platform\nm1,2026-09-10 09:00:00,weibo\n",
        platform_daily__csv="date,platform,followers,impressions,likes\n2026-09-01,douyin,1,2,3\n",
    )
    report = validate(folder, chapters=list(CHAPTER_TABLES), now=NOW)  # every chapter named: each must run
    rules = _rules(report)
    assert ("events", None, None, "missing required table: no events.csv, .xlsx or .parquet", None) in rules
    assert not any(f.table == "posts" for f in report.failures)  # optional for chapter 01
    assert ("mentions", 1, "sentiment", "missing required column", None) in rules
    engagement = [f for f in report.failures if f.table == "platform_daily"]
    assert [(f.column, f.rule) for f in engagement] == [
        ("engagements", "missing required column (or all of likes, comments, shares, saves)")
    ]
    assert len(report.failures) == 3


def test_chapter_01_needs_the_daily_table_or_the_posts(tmp_path):
    posts = "post_id,platform,published_at,content_type,impressions\np1,weibo,2026-09-01 10:00:00,story,100\n"
    only_posts, neither = tmp_path / "posts", tmp_path / "neither"
    for folder in (only_posts, neither):
        folder.mkdir()
    (only_posts / "posts.csv").write_text(posts, encoding="utf-8")
    assert validate(only_posts, chapters=["01_platform_matrix"], now=NOW).ok
    (neither / "audience.csv").write_text("platform,dimension,bucket,share\nweibo,age,18-24,1\n", encoding="utf-8")
    report = validate(neither, chapters=["platform_matrix"], now=NOW)
    assert [(f.table, f.rule) for f in report.failures] == [
        ("platform_daily or posts",
         "missing required table: no platform_daily.csv or posts.csv (nor .xlsx or .parquet)")]


def test_engagements_may_be_derived_from_their_parts(tmp_path):
    daily = "date,platform,followers,impressions,likes,comments,shares,saves\n2026-09-01,douyin,1,2,3,4,5,6\n"
    assert validate(_folder(tmp_path, platform_daily__csv=daily), chapters=["01_platform_matrix"], now=NOW).ok


def test_row_failures_name_file_row_column_rule_and_value(tmp_path):
    folder = _folder(
        tmp_path,
        posts__csv="post_id,platform,published_at,content_type,format,is_ad,impressions,likes\n"
        "0001,douyin,2026-09-01 20:00:00,tutorial,video,false,1000,30\n"
        "0001,wechat,yesterday,advert,poster,maybe,-4,1.5\n"
        " ,wechat,2026-12-24 08:00:00,story,video,true,10,1\n",
        audience__csv="platform,dimension,bucket,share\nbilibili,age,18-24,1.2\nbilibili,age,25-34,-0.1\n",
        experiment__csv="experiment_id,unit_id,variant,assigned_at,converted,value,pre_value\n"
        "t,001,control,2026-09-01 00:00:00,0,abc,1\nt,001,variant,2026-09-01 00:00:00,2,1,1\n"
        "t,1,variant,2026-09-01 00:00:00,1,1,1\n",
        mentions__csv="mention_id,ts,platform,sentiment,reach,text,is_official\n"
        "m1,2026-09-10 09:00:00,weibo,-1.5,10,x,false\nm2,2026-09-10 09:00:00,,0.2,10,y,false\n",
        platform_daily__csv="date,platform,followers,impressions,engagements\n2026-13-01,douyin,1,2,3\n"
        "2026-10-02,douyin,1,2,3\n",
    )
    report = validate(folder, now=NOW)
    rules = _rules(report)
    expected = {
        ("posts", 3, "published_at", "not a date and time", "yesterday"),
        ("posts", 3, "content_type", "unknown value", "advert"),
        ("posts", 3, "format", "unknown value", "poster"),
        ("posts", 3, "is_ad", "not true/false", "maybe"),
        ("posts", 3, "impressions", "negative count", "-4"),
        ("posts", 3, "likes", "not a whole number", "1.5"),
        ("posts", 4, "post_id", "blank value in a required column", " "),
        ("posts", 4, "published_at", "future-dated", "2026-12-24 08:00:00"),
        ("audience", 2, "share", "share outside [0, 1]", "1.2"),
        ("audience", 3, "share", "share outside [0, 1]", "-0.1"),
        ("experiment", 2, "value", "not a number", "abc"),
        ("experiment", 3, "converted", "not 0 or 1", "2"),
        ("experiment", 2, "experiment_id,unit_id", "duplicate key", "experiment_id=t, unit_id=001"),
        ("experiment", 3, "experiment_id,unit_id", "duplicate key", "experiment_id=t, unit_id=001"),
        ("mentions", 2, "sentiment", "sentiment outside [-1, 1]", "-1.5"),
        ("mentions", 3, "platform", "blank value in a required column", None),
        ("platform_daily", 2, "date", "not a date", "2026-13-01"),
        ("platform_daily", 3, "date", "future-dated", "2026-10-02"),
    }
    assert rules == expected, sorted(rules ^ expected, key=str)
    # the repeated post id is a warning: the chapters keep the last of its rows
    assert {(w.table, w.row, w.column, w.value) for w in report.warnings} == {
        ("posts", 2, "post_id", "post_id=0001"), ("posts", 3, "post_id", "post_id=0001")}
    text = report.format()
    assert f"{len(expected)} problems" in text
    for failure in report.failures:
        assert str(failure) in text
    assert "posts.csv, row 3, column impressions: negative count: '-4'" in text


def test_unknown_platforms_are_allowed(tmp_path):
    posts = VALID["posts.csv"].replace("0002,wechat", "0002,MyOwnApp")
    assert validate(_folder(tmp_path, posts__csv=posts), chapters=["platform_matrix"], now=NOW).ok


def test_future_rows_use_the_current_time_by_default(tmp_path):
    events = VALID["events.csv"] + "u9,2999-01-01 00:00:00,view,,,\n"
    report = validate(_folder(tmp_path, events__csv=events), tables=["events"])
    assert [(f.row, f.rule.split(" (")[0]) for f in report.failures] == [(4, "future-dated")]


def test_failures_are_capped_per_rule_with_a_count_of_the_rest(tmp_path):
    rows = "".join(f"u{i},2026-09-01 10:00:00,{'teleport' if i % 2 else 'view'},,,\n" for i in range(130))
    report = validate(_folder(tmp_path, events__csv="user_id,ts,event,platform,amount,referrer_id\n" + rows),
                      tables=["events"], now=NOW)
    listed = [f for f in report.failures if f.column == "event"]
    assert len(listed) == MAX_LISTED
    assert [f.row for f in listed] == [2 + i for i in range(1, 2 * MAX_LISTED, 2)]  # the first ones, in order
    ((key, more),) = report.omitted.items()
    assert key == ("events", "event", listed[0].rule) and more == 65 - MAX_LISTED
    assert "and 15 more" in report.format()
    assert "115 problems" not in report.format() and "65 problems" in report.format()


def test_raise_for_failures_carries_the_formatted_text(tmp_path):
    report = validate(_folder(tmp_path, events__csv=None), chapters=["lifecycle"], now=NOW)
    with pytest.raises(ContractError) as info:
        report.raise_for_failures()
    assert str(info.value) == report.format()
    assert info.value.report is report


@pytest.mark.parametrize(
    ("name", "content", "rule"),
    [
        ("posts.xlsx", b"", "the file is empty (0 bytes)"),
        ("posts.xlsx", VALID["posts.csv"].encode(), "renamed to .xlsx"),
        ("posts.csv", "post_id\n".encode("utf-16-le"), "binary content: every other byte is zero"),
        ("posts.csv", b"post_id,platform\n\x81\x30\xff\xff,x\n", "not UTF-8: line 2 holds the bytes 81 30 ff ff"),
        ("posts.csv", "post_id,platform\nCrème,x\n".encode("latin-1"),
         "it looks like cp1252 ('Crème,x'); if that is right, set read: {posts: {encoding: cp1252}} in aliases.yaml"),
        ("posts.csv", b"", "the file is empty"),
        ("posts.parquet", b"not parquet", "not a readable Parquet file"),
        ("posts.csv", b"post_id,platform\np1,douyin,extra\n", "malformed CSV"),
    ],
)
def test_unreadable_files(tmp_path, name, content, rule):
    folder = _folder(tmp_path, posts__csv=None)
    (folder / name).write_bytes(content)
    report = validate(folder, chapters=["01_platform_matrix"], now=NOW)
    (failure,) = report.failures
    assert (failure.table, failure.file, failure.row) == ("posts", name, None)
    assert rule in failure.rule


def test_gb18030_files_validate_and_report_their_encoding(tmp_path):
    folder = _folder(tmp_path, mentions__csv=None)
    (folder / "mentions.csv").write_text(
        "编号,时间,平台,情感,内容\nm1,2026-09-10 09:00:00,微博,-0.9,质量问题\nm2,2026-09-10 10:00:00,微博,坏,差\n",
        encoding="gb18030",
    )
    report = validate(folder, chapters=["crisis_postmortem"], now=NOW)
    assert report.tables["mentions"]["encoding"] == "gb18030"
    assert [(f.row, f.column, f.value) for f in report.failures] == [(3, "sentiment", "坏")]


def test_two_formats_of_one_table(tmp_path):
    folder = _folder(tmp_path)
    (folder / "events.parquet").write_bytes(b"")
    report = validate(folder, chapters=["02_lifecycle"], now=NOW)
    assert [f.rule for f in report.failures] == ["table 'events' is given twice (events.csv, events.parquet); keep one"]


def test_two_headers_for_one_column(tmp_path):
    events = "user_id,ts,event,用户ID\nu1,2026-09-01,view,u2\n"
    report = validate(_folder(tmp_path, events__csv=events), tables=["events"], now=NOW)
    assert [(f.row, f.column, f.rule, f.value) for f in report.failures] == [
        (1, "user_id", "several headers name this column", "user_id, 用户ID")
    ]


def test_only_the_chosen_chapters_tables_are_checked(tmp_path):
    folder = _folder(tmp_path, events__csv="garbage\n\x00", mentions__csv=None)
    report = validate(folder, chapters=["03_ab_testing"], now=NOW)
    assert report.ok and list(report.tables) == ["experiment"]


def test_tables_to_check():
    # 01 needs platform_daily or posts: each is optional alone, the group is checked by validate
    assert tables_to_check(chapters=["01_platform_matrix", "lifecycle"]) == {
        "platform_daily": False, "posts": False, "audience": False, "events": True,
    }
    assert tables_to_check(tables=["posts"]) == {"posts": True}
    assert all(tables_to_check().get(t) for t in ("events", "experiment", "mentions"))


def test_missing_folder(tmp_path):
    report = validate(tmp_path / "nowhere", now=NOW)
    assert not report.ok and report.failures[0].rule == "data folder not found"


def test_failure_text():
    assert str(Failure("posts", "posts.csv", 7, "likes", "negative count", "-1")) == (
        "posts.csv, row 7, column likes: negative count: '-1'"
    )
    assert str(Failure("events", None, None, None, "missing required table")) == "events: missing required table"


def test_the_samples_validate_clean():
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "data" / "samples"
    report = validate(samples)
    assert report.ok, report.format()
    assert set(report.tables) == {"platform_daily", "posts", "audience", "events", "experiment", "mentions"}
    assert all(info["rows"] > 0 for info in report.tables.values())


OUTSIDE = Path(__file__).resolve().parents[1] / "data" / "hostile" / "outside"  # files outside any data folder


def test_a_table_file_linking_out_of_the_folder_is_a_failure_naming_it_and_nothing_of_it_is_shown(
        tmp_path, monkeypatch):
    monkeypatch.delenv(readers.ALLOW_OUTSIDE_ENV, raising=False)
    (tmp_path / "events.csv").symlink_to(OUTSIDE / "events.csv")
    report = contract.validate(tmp_path, tables=["events"])
    assert [(f.table, f.file) for f in report.failures] == [("events", "events.csv")]
    assert "outside the data folder" in report.format() and "marker" not in report.format()
    # opted in, the file is read, and its marker row would be shown: the refusal above is what kept it out
    monkeypatch.setenv(readers.ALLOW_OUTSIDE_ENV, "1")
    assert "marker-5c1d0e-outside" in contract.validate(tmp_path, tables=["events"]).format()


def test_an_alias_map_linking_out_of_the_folder_is_a_failure(tmp_path, monkeypatch):
    monkeypatch.delenv(readers.ALLOW_OUTSIDE_ENV, raising=False)
    (tmp_path / "aliases.yaml").symlink_to(OUTSIDE / "aliases.yaml")
    report = contract.validate(tmp_path, tables=["events"])
    assert [f.file for f in report.failures] == ["aliases.yaml"]
    assert "outside the data folder" in report.format()


def test_an_unknown_reading_setting_is_a_failure_naming_the_file_and_key(tmp_path):
    (tmp_path / "aliases.yaml").write_text("read:\n  events:\n    delimiter: ';'\n", encoding="utf-8")
    report = contract.validate(tmp_path, tables=["events"])
    (failure,) = report.failures
    assert failure.file == "aliases.yaml"
    assert "aliases.yaml: read.events: unknown setting 'delimiter'; the settings are encoding, separator" in failure.rule


def test_an_export_read_with_its_settings_validates(tmp_path):
    # Excel's "Unicode text" of a sheet with a title row: UTF-16, tab-separated, the header on line 2
    folder = _folder(tmp_path, posts__csv=None)
    text = "Posts, September\n" + VALID["posts.csv"].replace(",", "\t")
    (folder / "posts.csv").write_bytes(text.encode("utf-16"))
    report = validate(folder, chapters=["01_platform_matrix"], now=NOW)
    assert [f.rule for f in report.failures] == [
        "a title line above the header (line 1 holds only 'Posts, September'; the column names are on line 2): "
        "set read: {posts: {header_row: 2}} in aliases.yaml"]
    (folder / "aliases.yaml").write_text("read:\n  posts:\n    header_row: 2\n", encoding="utf-8")
    report = validate(folder, chapters=["01_platform_matrix"], now=NOW)
    assert report.ok, report.format()
    assert report.tables["posts"]["encoding"] == "utf-16"
    assert report.tables["posts"]["rows"] == 2


def test_an_alias_map_that_is_not_yaml_is_a_failure_not_an_exception(tmp_path):
    (tmp_path / "aliases.yaml").write_text("columns:\n  events: {a: [b\n", encoding="utf-8")
    report = contract.validate(tmp_path, tables=["events"])
    assert [f.file for f in report.failures] == ["aliases.yaml"]
    assert "unreadable alias map" in report.format()


# ---------------------------------------------------------------------------------------------- messy values
def _write(tmp_path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def _events(times, amounts=None) -> str:
    amounts = amounts or [""] * len(times)
    rows = "".join(f"u{i},{ts},purchase,{a}\n" for i, (ts, a) in enumerate(zip(times, amounts, strict=True)))
    return "user_id,ts,event,amount\n" + rows


US_TIMES = ["12/1/10 8:26", "12/1/10 8:28", "12/13/10 9:01", "1/4/11 17:35"]


def test_us_dates_without_a_setting_give_one_message_for_the_column(tmp_path):
    report = validate(_write(tmp_path, {"events.csv": _events(US_TIMES)}), tables=["events"], now=NOW)
    assert [(f.file, f.row, f.column) for f in report.failures] == [("events.csv", None, "ts")]
    assert report.failures[0].rule == (
        "dates look like M/D/YY H:MM (e.g. '12/1/10 8:26'): set date_format: '%m/%d/%y %H:%M' under read: events "
        "in aliases.yaml")
    assert not report.omitted
    assert "events.csv, column ts: dates look like M/D/YY H:MM" in report.format()


def test_us_dates_with_the_setting_are_read(tmp_path):
    folder = _write(tmp_path, {"events.csv": _events(US_TIMES),
                               "aliases.yaml": "read:\n  events:\n    date_format: '%m/%d/%y %H:%M'\n"})
    assert validate(folder, tables=["events"], now=NOW).ok
    with open_workspace(folder, ["events"], threads=1) as ws:
        got = ws.table("events").order_by("user_id").execute()["ts"].tolist()
    assert got == [pd.Timestamp(2010, 12, 1, 8, 26), pd.Timestamp(2010, 12, 1, 8, 28),
                   pd.Timestamp(2010, 12, 13, 9, 1), pd.Timestamp(2011, 1, 4, 17, 35)]


@pytest.mark.parametrize(("times", "says"), [
    (["31/12/2020", "1/2/2021", "15/3/2021"], "dates look like D/M/YYYY (e.g. '31/12/2020'): set date_format: "
                                              "'%d/%m/%Y'"),
    (["01/02/2020", "03/04/2020", "12/11/2020"], "dates look like D/M/YYYY or M/D/YYYY (e.g. '01/02/2020'): day "
                                                 "and month are 12 or less in every row"),
    (["19970101", "19970118"], "dates look like YYYYMMDD (e.g. '19970101'): set date_format: '%Y%m%d'"),
    (["45000.5", "45001"], "dates look like Excel serial day numbers (e.g. '45000.5'): set date_format: 'excel'"),
    (["yesterday", "today"], "dates not recognised (e.g. 'yesterday'): write dates as YYYY-MM-DD"),
])
def test_each_unread_form_is_named_once(tmp_path, times, says):
    report = validate(_write(tmp_path, {"events.csv": _events(times)}), tables=["events"], now=NOW)
    assert [(f.row, f.column) for f in report.failures] == [(None, "ts")]
    assert report.failures[0].rule.startswith(says), report.failures[0].rule


@pytest.mark.parametrize(("date_format", "times", "expected"), [
    ("%d/%m/%Y", ["31/12/2020", "1/2/2021"], [pd.Timestamp(2020, 12, 31), pd.Timestamp(2021, 2, 1)]),
    ("%Y%m%d", ["19970101", "19980630"], [pd.Timestamp(1997, 1, 1), pd.Timestamp(1998, 6, 30)]),
    ("excel", ["45000.5", "45001"], [pd.Timestamp(2023, 3, 15, 12), pd.Timestamp(2023, 3, 16)]),
])
def test_other_forms_are_read_with_their_setting(tmp_path, date_format, times, expected):
    folder = _write(tmp_path, {"events.csv": _events(times),
                               "aliases.yaml": f"read:\n  events:\n    date_format: '{date_format}'\n"})
    report = validate(folder, tables=["events"], now=NOW)
    assert report.ok, report.format()
    with open_workspace(folder, ["events"], threads=1) as ws:
        assert ws.table("events").order_by("user_id").execute()["ts"].tolist() == expected


def test_a_date_column_of_the_contract_reads_its_setting_too(tmp_path):
    daily = "date,platform,followers,impressions,engagements\n24.09.2026,douyin,1,2,3\n25.09.2026,douyin,1,2,3\n"
    folder = _write(tmp_path, {"platform_daily.csv": daily,
                               "aliases.yaml": "read:\n  platform_daily:\n    date_format: '%d.%m.%Y'\n"})
    assert validate(folder, tables=["platform_daily"], now=NOW).ok
    with open_workspace(folder, ["platform_daily"], threads=1) as ws:
        t = ws.table("platform_daily")
        assert t.schema()["date"].is_date()
        assert t.execute()["date"].tolist() == [pd.Timestamp(2026, 9, 24), pd.Timestamp(2026, 9, 25)]


def test_a_setting_that_reads_nothing_says_so_once_with_what_would(tmp_path):
    folder = _write(tmp_path, {"events.csv": _events(["19970101", "19970102"]),
                               "aliases.yaml": "read:\n  events:\n    date_format: '%m/%d/%Y'\n"})
    report = validate(folder, tables=["events"], now=NOW)
    assert [f.rule for f in report.failures] == [
        "no value matches date_format '%m/%d/%Y' (e.g. '19970101'); dates look like YYYYMMDD: set date_format: "
        "'%Y%m%d' under read: events in aliases.yaml"]


def test_a_date_before_1900_is_never_accepted_and_names_its_row(tmp_path):
    # among ISO times, a two-digit-year row reads as the year 12 and a typo as the year 202
    times = ["2026-09-01 10:00:00", "12/1/10 8:26", "0202-09-01", "2026-09-02 10:00:00"]
    report = validate(_write(tmp_path, {"events.csv": _events(times)}), tables=["events"], now=NOW)
    assert _rules(report) == {("events", 3, "ts", "dated before 1900", "12/1/10 8:26"),
                              ("events", 4, "ts", "dated before 1900", "0202-09-01")}


def test_sentiment_labels_read_as_numbers_and_the_folder_may_add_its_own(tmp_path):
    mentions = ("mention_id,ts,platform,sentiment\n" + "".join(
        f"m{i},2026-09-10 09:00:00,weibo,{label}\n"
        for i, label in enumerate(["正面", "负面", "中性", "积极", "消极", "Positive", "NEGATIVE", "neutral", "pos",
                                   "neg", "Neu", "0.5", "好评"])))
    report = validate(_write(tmp_path, {"mentions.csv": mentions}), tables=["mentions"], now=NOW)
    assert _rules(report) == {("mentions", 14, "sentiment", "not a number or a sentiment label", "好评")}
    (tmp_path / "aliases.yaml").write_text("values:\n  sentiment:\n    好评: 1\n", encoding="utf-8")
    assert validate(tmp_path, tables=["mentions"], now=NOW).ok
    with open_workspace(tmp_path, ["mentions"], threads=1) as ws:
        got = ws.table("mentions").execute().set_index("mention_id")["sentiment"]
    assert [got[f"m{i}"] for i in range(13)] == [1, -1, 0, 1, -1, 1, -1, 0, 1, -1, 0, 0.5, 1]


NOT_FINITE = ["NaN", "nan", "inf", "-inf", "Infinity", "1e308", "-1e308", "1e13"]


@pytest.mark.parametrize("column", ["impressions", "followers", "spend"])
def test_counts_and_amounts_not_finite_or_too_large_are_row_failures(tmp_path, column):
    rows = "".join(f"2026-09-{i + 1:02d},douyin,1,2,3,4\n" for i in range(len(NOT_FINITE)))
    daily = "date,platform,followers,impressions,engagements,spend\n" + rows
    header = daily.splitlines()[0].split(",")
    lines = [line.split(",") for line in daily.splitlines()[1:]]
    for line, value in zip(lines, NOT_FINITE, strict=True):
        line[header.index(column)] = value
    text = ",".join(header) + "\n" + "".join(",".join(line) + "\n" for line in lines)
    report = validate(_write(tmp_path, {"platform_daily.csv": text}), tables=["platform_daily"], now=NOW)
    number = "not a number" if column == "spend" else "not a whole number"
    assert _rules(report) == {
        *{("platform_daily", row, column, number, v) for row, v in zip(range(2, 7), NOT_FINITE[:5], strict=True)},
        *{("platform_daily", row, column, "larger than 1,000,000,000,000 in size", v)
          for row, v in zip(range(7, 10), NOT_FINITE[5:], strict=True)},
    }


def test_amounts_too_large_to_sum_are_row_failures_in_events(tmp_path):
    times = ["2026-09-01 10:00:00"] * 4
    report = validate(_write(tmp_path, {"events.csv": _events(times, ["1e308", "1e308", "NaN", "12.5"])}),
                      tables=["events"], now=NOW)
    assert _rules(report) == {("events", 2, "amount", "larger than 1,000,000,000,000 in size", "1e308"),
                              ("events", 3, "amount", "larger than 1,000,000,000,000 in size", "1e308"),
                              ("events", 4, "amount", "not a number", "NaN")}


def test_typed_parquet_numbers_not_finite_are_row_failures(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({
        "date": pa.array([dt.date(2026, 9, d) for d in (1, 2, 3, 4)]),
        "platform": ["douyin"] * 4,
        "followers": pa.array([1.0, float("nan"), float("inf"), 1e300]),
        "impressions": pa.array([1, 2, 3, 9_000_000_000_000_000_000], pa.uint64()),
        "engagements": pa.array([1, 2, 3, 4], pa.int64()),
    }), tmp_path / "platform_daily.parquet")
    report = validate(tmp_path, tables=["platform_daily"], now=NOW)
    assert {(f.row, f.column, f.rule) for f in report.failures} == {
        (3, "followers", "not a whole number"), (4, "followers", "not a whole number"),
        (5, "followers", "larger than 1,000,000,000,000 in size"),
        (5, "impressions", "larger than 1,000,000,000,000 in size")}


def test_converted_must_be_0_or_1_and_yes_no_words_are_read(tmp_path):
    rows = [("2", "not 0 or 1"), ("0.5", "not a whole number"), ("-1", "not 0 or 1"), ("maybe", "not a whole number"),
            ("NaN", "not a whole number"), ("yes", None), ("no", None), ("1", None), ("0", None)]
    text = "experiment_id,unit_id,variant,converted\n" + "".join(
        f"e1,u{i},{'control' if i % 2 else 'b'},{v}\n" for i, (v, _) in enumerate(rows))
    report = validate(_write(tmp_path, {"experiment.csv": text}), tables=["experiment"], now=NOW)
    assert _rules(report) == {("experiment", i + 2, "converted", rule, v)
                              for i, (v, rule) in enumerate(rows) if rule}
    with open_workspace(tmp_path, ["experiment"], threads=1) as ws:
        got = ws.table("experiment").execute().set_index("unit_id")["converted"]
    assert [got[f"u{i}"] for i in (5, 6, 7, 8)] == [1, 0, 1, 0]


def test_variant_codes_take_their_names_from_the_alias_map(tmp_path):
    text = "experiment_id,unit_id,variant,converted\ne1,1,0,1\ne1,2,1,0\ne1,3,2,0\n"
    folder = _write(tmp_path, {"experiment.csv": text,
                               "aliases.yaml": "values:\n  variant:\n    '0': control\n    '1': Out Of District\n"})
    assert validate(folder, tables=["experiment"], now=NOW).ok
    with open_workspace(folder, ["experiment"], threads=1) as ws:
        got = ws.table("experiment").order_by("unit_id").execute()["variant"].tolist()
    assert got == ["control", "Out Of District", "2"]  # an unmapped code stays as written


# ------------------------------------------------------------------------------------------- repeated keys
DAILY = "date,platform,followers,impressions,engagements\n"


def test_a_repeated_date_and_platform_is_a_warning_with_its_rows_and_the_last_row_is_kept(tmp_path):
    # the same day twice, the second time written another way (an appended export with newer numbers)
    text = (DAILY + "2026-09-01,douyin,100,1000,10\n2026-09-02,douyin,101,1100,11\n2026-09-01,wechat,5,50,1\n"
            "2026/09/01,抖音,102,1200,12\n")
    folder = _write(tmp_path, {"platform_daily.csv": text})
    report = validate(folder, tables=["platform_daily"], now=NOW)
    assert report.ok
    assert [(w.file, w.row, w.column, w.rule, w.value) for w in report.warnings] == [
        ("platform_daily.csv", 2, "date,platform", "repeated key (the chapters keep the last of these rows)",
         "date=2026-09-01, platform=douyin"),
        ("platform_daily.csv", 5, "date,platform", "repeated key (the chapters keep the last of these rows)",
         "date=2026/09/01, platform=抖音")]
    assert "1 warning" not in report.format() and "2 warnings (the run goes on):" in report.format()
    with open_workspace(folder, ["platform_daily"], threads=1) as ws:
        df = ws.table("platform_daily").order_by(["date", "platform"]).execute()
        assert df[["platform", "followers"]].values.tolist() == [["douyin", 102], ["wechat", 5], ["douyin", 101]]
        assert ws.inputs()["platform_daily"]["rows"] == 3
        assert ws.warnings() == [{"warning": "repeated_key", "table": "platform_daily", "file": "platform_daily.csv",
                                  "key": ["date", "platform"], "rows": [2, 5], "repeated_rows": 2,
                                  "dropped_rows": 1, "treatment": "kept_last"}]


def test_repeated_post_and_mention_ids_keep_their_last_row(tmp_path):
    posts = ("post_id,platform,published_at,content_type,impressions\n"
             "p1,douyin,2026-09-01 10:00:00,story,10\np2,douyin,2026-09-01 11:00:00,story,20\n"
             "p1,douyin,2026-09-01 10:00:00,story,15\np1,douyin,2026-09-01 10:00:00,story,17\n")
    mentions = "mention_id,ts,platform,sentiment\nm1,2026-09-10 09:00:00,weibo,0.1\nm1,2026-09-10 09:00:00,weibo,-0.5\n"
    folder = _write(tmp_path, {"posts.csv": posts, "mentions.csv": mentions})
    report = validate(folder, tables=["posts", "mentions"], now=NOW)
    assert report.ok
    assert {(w.table, w.row) for w in report.warnings} == {("posts", 2), ("posts", 4), ("posts", 5),
                                                           ("mentions", 2), ("mentions", 3)}
    with open_workspace(folder, ["posts", "mentions"], threads=1) as ws:
        assert ws.table("posts").order_by("post_id").execute()["impressions"].tolist() == [17, 20]
        assert ws.table("mentions").execute()["sentiment"].tolist() == [-0.5]
        assert [(w["table"], w["rows"], w["dropped_rows"]) for w in ws.warnings()] == [
            ("posts", [2, 4, 5], 2), ("mentions", [2, 3], 1)]


def test_a_canonical_parquet_file_with_a_repeated_key_is_not_read_in_place(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"mention_id": ["m1", "m2", "m1"], "ts": pa.array([dt.datetime(2026, 9, 1)] * 3),
                             "platform": ["weibo"] * 3, "sentiment": [0.1, 0.2, 0.3]}), tmp_path / "mentions.parquet")
    with open_workspace(tmp_path, ["mentions"], threads=1) as ws:
        assert ws.table("mentions").order_by("mention_id").execute()["sentiment"].tolist() == [0.3, 0.2]
        assert ws.warnings()[0]["rows"] == [2, 4]


def test_a_unit_assigned_twice_stays_a_failure(tmp_path):
    text = "experiment_id,unit_id,variant,converted\ne1,u1,control,0\ne1,u1,b,1\n"
    report = validate(_write(tmp_path, {"experiment.csv": text}), tables=["experiment"], now=NOW)
    assert {(f.row, f.rule) for f in report.failures} == {(2, "duplicate key"), (3, "duplicate key")}
    assert report.warnings == []


def test_a_row_the_setting_does_not_read_names_the_setting(tmp_path):
    folder = _write(tmp_path, {"events.csv": _events(["12/1/10 8:26", "2010-12-01", "12/2/10 9:00"]),
                               "aliases.yaml": "read:\n  events:\n    date_format: '%m/%d/%y %H:%M'\n"})
    report = validate(folder, tables=["events"], now=NOW)
    assert [(f.row, f.column, f.rule, f.value) for f in report.failures] == [
        (3, "ts", "does not match date_format '%m/%d/%y %H:%M'", "2010-12-01")]


# ------------------------------------------------------------------------------- whole folder: what its tables run
def test_a_whole_folder_check_runs_what_its_tables_allow_and_lists_the_rest(tmp_path):
    folder = _folder(tmp_path, **{f"{name}__csv": None for name in ("platform_daily", "posts", "audience", "events",
                                                                     "experiment")})
    report = validate(folder, now=NOW)
    assert report.ok, report.format()
    assert report.chapters == ["05_crisis_postmortem"] and list(report.tables) == ["mentions"]
    assert report.left_out == {"01_platform_matrix": ["platform_daily or posts"], "02_lifecycle": ["events"],
                               "03_ab_testing": ["experiment"], "04_churn": ["events"]}
    text = report.format()
    assert "04_churn left out: needs events" in text and "01_platform_matrix left out: needs platform_daily or posts" in text


def test_a_whole_folder_with_nothing_usable_fails_naming_what_each_chapter_lacks(tmp_path):
    (tmp_path / "audience.csv").write_text(VALID["audience.csv"], encoding="utf-8")
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    report = validate(tmp_path, now=NOW)
    assert not report.ok and report.chapters == []
    assert [f.rule for f in report.failures] == [contract._NOTHING_RUNS]
    assert len(report.left_out) == 5 and "03_ab_testing left out: needs experiment" in report.format()


def test_a_named_chapter_without_its_tables_is_a_failure_not_left_out(tmp_path):
    folder = _folder(tmp_path, events__csv=None)
    report = validate(folder, chapters=["04_churn"], now=NOW)
    assert not report.ok and report.left_out == {}
    assert ("events", None, None, "missing required table: no events.csv, .xlsx or .parquet", None) in _rules(report)


def test_chapter_coverage_looks_at_files_only(tmp_path):
    (tmp_path / "posts.csv").write_text("not even a header", encoding="utf-8")
    (tmp_path / "Events.CSV").write_text("", encoding="utf-8")
    runnable, left_out = contract.chapter_coverage(tmp_path)
    assert runnable == ["01_platform_matrix", "02_lifecycle", "04_churn"]
    assert left_out == {"03_ab_testing": ["experiment"], "05_crisis_postmortem": ["mentions"]}
    assert contract.chapter_coverage(tmp_path, ["03_ab_testing"]) == ([], {"03_ab_testing": ["experiment"]})
    assert contract.present_tables(tmp_path / "nowhere") == []
