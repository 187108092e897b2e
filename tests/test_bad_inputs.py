"""A corpus of bad inputs: each case is a data folder, the command run on it, its exit code and what it must say.

Every failure must be loud: exit 2 with a message naming the file and, where a row is at fault, the row and the
column. Files that are only unusual (GB18030 with Chinese headers, a BOM, mixed line endings) must simply work.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from socialops.cli import app
from socialops.inputs import contract
from socialops.inputs.readers import mixed_line_ends
from socialops.inputs.workspace import open_workspace
from socialops.pipeline import params
from tests.conftest import SAMPLES

#: Small valid tables, one per contract table; a case replaces one of them.
VALID = {
    "platform_daily.csv": "date,platform,followers,impressions,engagements\n"
    "2026-09-01,douyin,100,5000,120\n2026-09-01,wechat,80,900,40\n",
    "posts.csv": "post_id,platform,published_at,content_type,impressions,title\n"
    "p1,douyin,2026-09-01 20:00:00,tutorial,1000,Latte art\n"
    "p2,wechat,2026-09-02 08:00:00,promotion,400,Autumn sale\n",
    "audience.csv": "platform,dimension,bucket,share\ndouyin,age,18-24,0.6\ndouyin,age,25-34,0.4\n",
    "events.csv": "user_id,ts,event,platform,amount\nu1,2026-09-01 10:00:00,view,douyin,\n"
    "u2,2026-09-02 11:00:00,purchase,wechat,99.5\n",
    "experiment.csv": "experiment_id,unit_id,variant,converted\ne1,001,control,0\ne1,002,B,1\n",
    "mentions.csv": "mention_id,ts,platform,sentiment,text\nm1,2026-09-10 09:00:00,weibo,-0.8,质量太差\n"
    "m2,2026-09-11 15:00:00,weibo,0.1,致歉声明\n",
}
CHAPTER_OF = {"platform_daily": "platform_matrix", "posts": "platform_matrix", "audience": "platform_matrix",
              "events": "lifecycle", "experiment": "ab_testing", "mentions": "crisis_postmortem"}

GB_HEADER = "日期,平台,粉丝数,曝光量,点赞,评论,分享,收藏\n"
GB_ROWS = "2026-09-01,weibo,1000,50000,300,20,10,5\n2026-09-02,微博,1010,52000,310,22,11,6\n"


def _xlsx_bytes(tmp_path: Path, rows: list[list[object]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "scratch.xlsx"
    book.save(path)
    return path.read_bytes()


def _encrypted_xlsx_bytes() -> bytes:
    """The opening of a password-protected workbook: Excel stores it as an OLE compound file, not a zip."""
    return bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(512)


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("readme.txt", "no workbook here")
    return buffer.getvalue()


@dataclass
class Case:
    """One bad (or merely unusual) input file, the exit code `socialops validate` must give and what it says."""

    id: str
    file: str
    content: bytes
    code: int
    says: tuple[str, ...] = ()
    others: dict[str, bytes] = field(default_factory=dict)

    @property
    def chapter(self) -> str:
        return CHAPTER_OF[self.file.split(".")[0]]


CASES = [
    # encodings
    Case("gb18030-chinese-headers", "platform_daily.csv", (GB_HEADER + GB_ROWS).encode("gb18030"), 0, ("gb18030",)),
    Case("gbk-chinese-headers", "platform_daily.csv", (GB_HEADER + GB_ROWS).encode("gbk"), 0, ("gb18030",)),
    Case("utf8-bom", "mentions.csv", VALID["mentions.csv"].encode("utf-8-sig"), 0, ("utf-8-sig",)),
    Case("neither-utf8-nor-gb18030", "mentions.csv",
         b"mention_id,ts,platform,sentiment\nm1,2026-09-10 09:00:00,weibo,0.1\xff\xfe\n", 2,
         ("mentions.csv", "encoding", "UTF-8")),
    Case("utf16", "mentions.csv", VALID["mentions.csv"].encode("utf-16"), 0, ("mentions.csv", "utf-16")),
    Case("excel-unicode-text", "mentions.csv", VALID["mentions.csv"].replace(",", "\t").encode("utf-16"), 0,
         ("│ mentions.csv │ 2    │ utf-16   │ tab ",)),
    Case("semicolons", "mentions.csv", VALID["mentions.csv"].replace(",", ";").encode(), 0,
         ("│ utf-8    │ semicolon ",)),
    Case("utf16-without-mark", "mentions.csv", VALID["mentions.csv"].encode("utf-16-le"), 2,
         ("mentions.csv", "binary", "encoding: utf-16-le")),
    Case("latin1-not-gb18030", "mentions.csv", (VALID["mentions.csv"] + "m3,2026-09-12 10:00:00,weibo,0.2,Crème\n")
         .replace("质量太差", "bad").replace("致歉声明", "sorry").encode("latin-1"), 2,
         ("mentions.csv", "line 4 holds the bytes e8 6d 65", "encoding: cp1252")),
    Case("mixed-line-endings", "mentions.csv",
         b"mention_id,ts,platform,sentiment\r\nm1,2026-09-10 09:00:00,weibo,0.1\nm2,2026-09-10 10:00:00,weibo,0.2\r\n"
         b"m3,2026-09-10 11:00:00,weibo,0.3\rm4,2026-09-10 12:00:00,weibo,0.4\n", 0, ("mentions.csv │ 4 ",)),  # the rows column of the table
    # empty and header-only files
    Case("header-only", "events.csv", b"user_id,ts,event\n", 2, ("events.csv", "no data rows")),
    Case("empty-csv", "events.csv", b"", 2, ("events.csv", "empty")),
    Case("blank-lines-only", "events.csv", b"\n\n\n", 2, ("events.csv", "header")),
    # broken workbooks
    Case("zero-byte-xlsx", "posts.xlsx", b"", 2, ("posts.xlsx", "empty")),
    Case("corrupt-xlsx", "posts.xlsx", b"PK\x03\x04" + bytes(200), 2, ("posts.xlsx", "not a readable .xlsx")),
    Case("password-protected-xlsx", "posts.xlsx", _encrypted_xlsx_bytes(), 2, ("posts.xlsx", "password")),
    Case("csv-renamed-xlsx", "posts.xlsx", VALID["posts.csv"].encode(), 2, ("posts.xlsx", "renamed")),
    Case("zip-but-not-a-workbook", "posts.xlsx", _zip_without_workbook(), 2, ("posts.xlsx", "not a readable .xlsx")),
    # ids
    Case("blank-ids", "events.csv",
         b"user_id,ts,event\nu1,2026-09-01 10:00:00,view\n,2026-09-01 11:00:00,view\n  ,2026-09-01 12:00:00,like\n",
         2, ("events.csv, row 3, column user_id: blank value", "events.csv, row 4, column user_id: blank value")),
    # one table, every kind of failure, each listed with its row and column
    Case("every-failure-listed", "posts.csv",
         b"post_id,platform,published_at,content_type,impressions\n"
         b"p1,douyin,not a date,tutorial,100\n"
         b"p2,douyin,2026-09-01 10:00:00,tutorial,-5\n"
         b"p3,douyin,2026-09-01 11:00:00,unboxing,1.5\n"
         b"p4,douyin,2026-13-45 10:00:00,story,abc\n", 2,
         ("row 2, column published_at: not a date and time", "row 3, column impressions: negative count",
          "row 4, column content_type: unknown value", "row 4, column impressions: not a whole number",
          "row 5, column published_at", "row 5, column impressions: not a whole number: 'abc'")),
    Case("share-above-one", "audience.csv", b"platform,dimension,bucket,share\ndouyin,age,18-24,1.7\n"
         b"douyin,age,25-34,-0.1\ndouyin,age,35+,abc\n", 2,
         ("audience.csv, row 2, column share: share outside [0, 1]", "row 3, column share: share outside",
          "row 4, column share: not a number")),
    Case("unknown-event-and-negative-amount-type", "events.csv",
         b"user_id,ts,event,amount\nu1,2026-09-01 10:00:00,teleport,\nu2,2026-09-01 10:00:00,purchase,lots\n", 2,
         ("row 2, column event: unknown value", "row 3, column amount: not a number")),
    Case("converted-not-a-flag", "experiment.csv",
         b"experiment_id,unit_id,variant,converted\ne1,1,control,2\ne1,2,B,yes please\n", 2,
         ("experiment.csv, row 2, column converted: not 0 or 1", "row 3, column converted: not a whole number")),
    Case("sentiment-out-of-range", "mentions.csv",
         b"mention_id,ts,platform,sentiment\nm1,2026-09-10 09:00:00,weibo,1.5\n", 2,
         ("row 2, column sentiment: sentiment outside [-1, 1]",)),
    # keys, zones, the future
    Case("duplicate-post-id", "posts.csv",
         b"post_id,platform,published_at,content_type,impressions\np1,douyin,2026-09-01 10:00:00,story,1\n"
         b"p2,douyin,2026-09-01 11:00:00,story,2\np1,wechat,2026-09-02 10:00:00,story,3\n", 0,
         ("posts.csv, row 2, column post_id: repeated key",
          "row 4, column post_id: repeated key (the chapters keep the last of these rows): 'post_id=p1'")),
    Case("duplicate-mention-id", "mentions.csv",
         b"mention_id,ts,platform,sentiment\nm1,2026-09-10 09:00:00,weibo,0.1\nm1,2026-09-10 09:05:00,weibo,0.2\n",
         0, ("row 2, column mention_id: repeated key", "row 3, column mention_id: repeated key")),
    Case("zones-mixed", "mentions.csv",
         b"mention_id,ts,platform,sentiment\nm1,2026-09-10 09:00:00+08:00,weibo,0.1\n"
         b"m2,2026-09-10T01:00:00Z,weibo,0.2\nm3,2026-09-10 10:00:00,weibo,0.3\n", 0, ("mentions.csv",)),
    Case("future-events", "events.csv",
         b"user_id,ts,event\nu1,2026-09-01 10:00:00,view\nu2,2099-01-01 00:00:00,view\n", 2,
         ("events.csv, row 3, column ts: future-dated", "2099-01-01")),
    Case("future-date-only", "platform_daily.csv",
         b"date,platform,followers,impressions,engagements\n2098-12-31,douyin,1,1,1\n", 2,
         ("platform_daily.csv, row 2, column date: future-dated",)),
    # messy values: read where a setting or an alias says how, else refused once per column or row by row
    Case("us-dates-without-setting", "events.csv",
         b"user_id,ts,event\nu1,12/1/10 8:26,purchase\nu2,12/13/10 9:01,purchase\nu3,1/4/11 17:35,purchase\n", 2,
         ("events.csv, column ts: dates look like M/D/YY H:MM (e.g. '12/1/10 8:26'): set date_format: "
          "'%m/%d/%y %H:%M' under read: events in aliases.yaml",)),
    Case("us-dates-with-setting", "events.csv",
         b"user_id,ts,event\nu1,12/1/10 8:26,purchase\nu2,12/13/10 9:01,purchase\n", 0, ("events.csv",),
         others={"aliases.yaml": b"read:\n  events:\n    date_format: '%m/%d/%y %H:%M'\n"}),
    Case("compact-dates-without-setting", "events.csv", b"user_id,ts,event\n0001,19970101,purchase\n", 2,
         ("events.csv, column ts: dates look like YYYYMMDD (e.g. '19970101'): set date_format: '%Y%m%d'",)),
    Case("excel-serials-with-setting", "events.csv", b"user_id,ts,event\nu1,45000.5,purchase\n", 0, ("events.csv",),
         others={"aliases.yaml": b"read:\n  events:\n    date_format: excel\n"}),
    Case("year-12", "events.csv",
         b"user_id,ts,event\nu1,2026-09-01 10:00:00,view\nu2,12/1/10 8:26,view\n", 2,
         ("events.csv, row 3, column ts: dated before 1900", "'12/1/10 8:26'")),
    Case("sentiment-labels", "mentions.csv",
         "mention_id,ts,platform,sentiment\nm1,2026-09-10 09:00:00,weibo,负面\nm2,2026-09-10 10:00:00,weibo,Positive\n"
         "m3,2026-09-10 11:00:00,weibo,中性\n".encode(), 0, ("mentions.csv",)),
    Case("counts-not-finite", "platform_daily.csv",
         b"date,platform,followers,impressions,engagements\n2026-09-01,douyin,NaN,5000,120\n"
         b"2026-09-02,douyin,100,inf,120\n2026-09-03,douyin,100,5000,1e308\n", 2,
         ("platform_daily.csv, row 2, column followers: not a whole number: 'NaN'",
          "row 3, column impressions: not a whole number: 'inf'",
          "row 4, column engagements: larger than 1,000,000,000,000 in size: '1e308'")),
    Case("amounts-not-finite", "events.csv",
         b"user_id,ts,event,amount\nu1,2026-09-01 10:00:00,purchase,-inf\nu2,2026-09-01 10:00:00,purchase,1e308\n"
         b"u3,2026-09-01 10:00:00,purchase,1e308\nu4,2026-09-01 10:00:00,purchase,nan\n", 2,
         ("events.csv, row 2, column amount: not a number: '-inf'",
          "row 3, column amount: larger than 1,000,000,000,000 in size: '1e308'", "row 4, column amount",
          "row 5, column amount: not a number: 'nan'")),
    Case("converted-half-and-nan", "experiment.csv",
         b"experiment_id,unit_id,variant,converted\ne1,1,control,0.5\ne1,2,B,NaN\ne1,3,B,no\ne1,4,control,yes\n", 2,
         ("experiment.csv, row 2, column converted: not a whole number: '0.5'",
          "row 3, column converted: not a whole number: 'NaN'")),
    Case("repeated-date-and-platform", "platform_daily.csv",
         b"date,platform,followers,impressions,engagements\n2026-09-01,douyin,100,5000,120\n"
         b"2026-09-01,douyin,101,5100,121\n", 0,
         ("2 warnings (the run goes on)", "platform_daily.csv, row 2, column date,platform: repeated key",
          "row 3, column date,platform: repeated key (the chapters keep the last of these rows)")),
    # structure
    Case("ragged-row", "mentions.csv",
         b"mention_id,ts,platform,sentiment\nm1,2026-09-10 09:00:00,weibo,0.1,surplus\n", 2,
         ("mentions.csv", "malformed CSV")),
    Case("missing-required-column", "mentions.csv", b"mention_id,ts,platform\nm1,2026-09-10 09:00:00,weibo\n", 2,
         ("mentions.csv, row 1, column sentiment: missing required column",)),
    Case("two-formats-of-one-table", "mentions.csv", VALID["mentions.csv"].encode(), 2,
         ("mentions", "given twice"), others={"mentions.parquet": b"PAR1"}),
]


def write_folder(folder: Path, case: Case) -> Path:
    """The valid tables of the case's chapter, with the case's file in place of its table."""
    folder.mkdir(parents=True, exist_ok=True)
    table = case.file.split(".")[0]
    for name, text in VALID.items():
        if CHAPTER_OF[name.split(".")[0]] == case.chapter and name.split(".")[0] != table:
            (folder / name).write_text(text, encoding="utf-8")
    (folder / case.file).write_bytes(case.content)
    for name, content in case.others.items():
        (folder / name).write_bytes(content)
    return folder


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    monkeypatch.setenv("SOCIALOPS_THREADS", "1")
    monkeypatch.setenv("COLUMNS", "400")  # rich wraps nothing, so messages can be matched whole


def invoke(*args: str):
    """Run the command line in this process; returns click's result (exit_code, stdout, stderr)."""
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_case_gives_its_exit_code_and_says_why(tmp_path, case):
    folder = write_folder(tmp_path / "data", case)
    before = _hashes(folder)
    done = invoke("validate", case.chapter, "--data", str(folder))
    text = done.stdout + done.stderr
    assert done.exit_code == case.code, text
    for words in case.says:
        assert words in text, f"{words!r} not in:\n{text}"
    if case.code:
        assert "Traceback" not in text
    assert _hashes(folder) == before, "an input file was modified"


def test_a_column_of_unread_dates_is_named_once_not_row_by_row(tmp_path):
    case = next(c for c in CASES if c.id == "us-dates-without-setting")
    done = invoke("validate", case.chapter, "--data", str(write_folder(tmp_path / "data", case)))
    text = done.stdout + done.stderr
    assert done.exit_code == 2 and text.count("column ts") == 1, text


def test_every_failure_is_counted_not_only_the_first(tmp_path):
    case = next(c for c in CASES if c.id == "every-failure-listed")
    report = contract.validate(write_folder(tmp_path, case), chapters=["01_platform_matrix"], threads=1)
    found = {(f.row, f.column) for f in report.failures}
    assert found == {(2, "published_at"), (3, "impressions"), (4, "content_type"), (4, "impressions"),
                     (5, "published_at"), (5, "impressions")}


def test_mixed_line_ends_detection(tmp_path):
    for content, mixed in ((b"a\r\nb\r\n", False), (b"a\nb\n", False), (b"a\rb\r", False), (b"a\r\nb\n", True),
                           (b"a\nb\r", True), (b"", False)):
        path = tmp_path / "f.csv"
        path.write_bytes(content)
        assert mixed_line_ends(path) is mixed, content


def test_mixed_line_endings_keep_every_row_and_its_number(tmp_path):
    case = next(c for c in CASES if c.id == "mixed-line-endings")
    folder = write_folder(tmp_path, case)
    with open_workspace(folder, ["mentions"], threads=1) as ws:
        df = ws.table("mentions").order_by("ts").execute()
    assert df.mention_id.tolist() == ["m1", "m2", "m3", "m4"]
    assert df.sentiment.tolist() == [0.1, 0.2, 0.3, 0.4]


def test_gb18030_values_and_aliases_are_read(tmp_path):
    case = CASES[0]
    with open_workspace(write_folder(tmp_path, case), ["platform_daily"], threads=1) as ws:
        df = ws.table("platform_daily").order_by("date").execute()
    assert df.platform.tolist() == ["weibo", "weibo"]  # 微博 is an alias of weibo
    assert df.engagements.tolist() == [335, 349]  # derived from likes, comments, shares, saves


def test_zones_mixed_keep_the_wall_clock_as_written(tmp_path):
    case = next(c for c in CASES if c.id == "zones-mixed")
    with open_workspace(write_folder(tmp_path, case), ["mentions"], threads=1) as ws:
        df = ws.table("mentions").order_by("mention_id").execute()
    assert [str(t) for t in df.ts] == ["2026-09-10 09:00:00", "2026-09-10 01:00:00", "2026-09-10 10:00:00"]


IDS = ["0013800138000", "1234567890123456789", "9999999999999999999", "0000000000000000001", "00"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_ids_with_leading_zeros_and_19_digits_round_trip_exactly(tmp_path, fmt):
    rows = [[uid, f"2026-09-0{i + 1} 10:00:00", "purchase", "1", ref] for i, (uid, ref)
            in enumerate(zip(IDS, IDS[::-1], strict=True))]
    header = ["user_id", "ts", "event", "amount", "referrer_id"]
    if fmt == "csv":
        (tmp_path / "events.csv").write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    elif fmt == "xlsx":  # ids typed into Excel as text cells (a number cell would already have lost them)
        (tmp_path / "events.xlsx").write_bytes(_xlsx_bytes(tmp_path, [header, *rows]))
    else:
        con = duckdb.connect()
        con.execute("CREATE TABLE t (user_id VARCHAR, ts VARCHAR, event VARCHAR, amount VARCHAR, referrer_id VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
        con.execute(f"COPY t TO '{tmp_path / 'events.parquet'}' (FORMAT parquet)")
    report = contract.validate(tmp_path, ["events"], threads=1)
    assert report.ok, report.format()
    with open_workspace(tmp_path, ["events"], threads=1) as ws:
        df = ws.table("events").order_by("ts").execute()
    assert df.user_id.tolist() == IDS
    assert df.referrer_id.tolist() == IDS[::-1]


# ----------------------------------------------------------------------------------- a table bigger than pandas
BIG_ROWS = 2_000_000


def test_a_table_far_bigger_than_memory_allows_is_validated_in_the_engine(tmp_path, monkeypatch):
    """Two million posts (about half a GB as pandas objects) checked under a 100 MB engine limit.

    Two planted faults deep in the file (a repeated post_id, a warning, and a negative count) must be found with
    their rows.
    """
    path = tmp_path / "posts.parquet"
    con = duckdb.connect(config={"threads": 1})
    con.execute(f"""
        COPY (SELECT CASE WHEN i = {BIG_ROWS - 1} THEN 'p0000007' ELSE printf('p%07d', i) END AS post_id,
                     'douyin' AS platform,
                     TIMESTAMP '2025-01-01' + to_seconds(i) AS published_at,
                     'story' AS content_type,
                     CASE WHEN i = 1500000 THEN -1 ELSE i % 1000 END::BIGINT AS impressions
              FROM range({BIG_ROWS}) r(i)) TO '{path}' (FORMAT parquet)""")
    con.close()
    import pandas as pd

    def refuse(*args, **kwargs):
        raise AssertionError("the whole table went through pandas")

    monkeypatch.setattr(pd, "read_parquet", refuse)
    report = contract.validate(tmp_path, ["posts"], threads=1, memory_limit="100MB",
                               now=pd.Timestamp("2026-01-01").to_pydatetime())
    assert report.tables["posts"]["rows"] == BIG_ROWS
    assert {(f.row, f.column, f.rule) for f in report.failures} == {(1_500_002, "impressions", "negative count")}
    assert {(w.row, w.column) for w in report.warnings} == {(9, "post_id"), (BIG_ROWS + 1, "post_id")}


# ------------------------------------------------------------------------------------------------- parameters
@pytest.mark.parametrize(("args", "says"), [
    (["-p", "nosuch=1"], ("nosuch", "Valid parameters", "dict[str, float]")),
    (["-p", "period_days=ninety"], ("period_days", "integer")),
    (["-p", "period_days=1.5"], ("period_days", "integer")),
    (["-p", "goal=fame"], ("goal", "fame", "awareness")),
    (["-p", "weights=[1, 2]"], ("weights",)),
    (["--lang", "fr"], ("lang", "fr")),
    (["--audience", "public"], ("audience", "public")),
    (["--params", "PARAMS:goal: yes"], ("goal", "yes")),
    (["--params", "PARAMS:period_days: yes"], ("period_days", "yes")),
    (["--params", "PARAMS:period_days: 2026-01-01"], ("period_days", "2026-01-01")),
    (["--params", "PARAMS:- just\n- a list"], ("mapping",)),
    (["--params", "PARAMS:goal: [unclosed"], ("goal",)),
    (["--params", "missing.yaml"], ("missing.yaml", "does not exist")),
])
def test_bad_parameters_exit_2_before_any_kernel_starts(tmp_path, args, says):
    args = list(args)
    if args[0] == "--params" and args[1].startswith("PARAMS:"):
        file = tmp_path / "params.yaml"
        file.write_text(args[1].removeprefix("PARAMS:"), encoding="utf-8")
        args[1] = str(file)
    elif args[0] == "--params":
        args[1] = str(tmp_path / args[1])
    out = tmp_path / "out"
    done = invoke("run", "platform_matrix", "--data", str(SAMPLES), "--out", str(out), *args)
    text = done.stdout + done.stderr
    assert done.exit_code == 2, text
    for words in says:
        assert words in text, f"{words!r} not in:\n{text}"
    assert not out.exists(), "something ran"


def test_yaml_traps_are_read_as_the_declared_type(tmp_path):
    declared = params.read_parameters(SAMPLES.parent.parent / "notebooks" / "01_platform_matrix.ipynb")
    file = tmp_path / "p.yaml"
    file.write_text("client: 007\nperiod_days: 0123\nas_of: 2026-01-01\nengine: duckdb\n", encoding="utf-8")
    values = params.resolve(declared, params_file=file, overrides=["lang=zh"])
    assert values["client"] == "007"
    assert values["period_days"] == 123  # decimal, never octal
    assert values["as_of"] == "2026-01-01"  # a bare date stays the text given
    values = params.resolve(declared, overrides=["client=007", "as_of=2026-01-01"])
    assert values["client"] == "007" and values["as_of"] == "2026-01-01"
