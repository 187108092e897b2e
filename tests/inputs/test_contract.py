"""Lazy validation of a data folder: every failure, with table, file, row, column, rule and value."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from socialops.inputs import contract, readers
from socialops.inputs.contract import MAX_LISTED, ContractError, Failure, tables_to_check

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
    report = validate(folder, now=NOW)
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
        ("posts.csv", "post_id\n".encode("utf-16"), "binary content"),
        ("posts.csv", b"post_id,platform\n\x81\x30\xff\xff,x\n", "unknown text encoding"),
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


def test_an_alias_map_that_is_not_yaml_is_a_failure_not_an_exception(tmp_path):
    (tmp_path / "aliases.yaml").write_text("columns:\n  events: {a: [b\n", encoding="utf-8")
    report = contract.validate(tmp_path, tables=["events"])
    assert [f.file for f in report.failures] == ["aliases.yaml"]
    assert "unreadable alias map" in report.format()
