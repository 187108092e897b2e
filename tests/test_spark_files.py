"""Files on Spark, parsed and written by Spark itself, give what DuckDB gives.

A CSV table is parsed by Spark's own reader, never in the driver: each sample CSV and a set of awkward exports
(quoted line breaks, ``;`` and tab separators, title and blank lines, GB18030, UTF-16, cp1252) give DuckDB's rows
and row numbers. Chapter 02's CRM lists are written by Spark's writer: the files are DuckDB's to the byte. Skipped
with the reason when PySpark or a Java runtime is missing (`make setup-spark` installs both); under CI, failed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil

import ibis
import pandas as pd
import pytest

from tests.conftest import SAMPLES, require_component

require_component(importlib.util.find_spec("pyspark") is not None, "PySpark is not installed: run `make setup-spark`")
require_component(
    shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME")), "no Java runtime: run `make setup-spark`"
)

from socialops.inputs import readers  # noqa: E402
from socialops.inputs.engine import connect  # noqa: E402
from socialops.inputs.readers import ROW, ReadError, load_aliases, parse_table, read_table  # noqa: E402
from socialops.inputs.workspace import open_workspace  # noqa: E402
from socialops.lifecycle import analysis as lifecycle  # noqa: E402
from socialops.report.exports import write_table_csv  # noqa: E402
from tests.report.test_exports import EVIL  # noqa: E402

AS_OF = pd.Timestamp(json.loads((SAMPLES / "truths.json").read_text(encoding="utf-8"))["as_of"])


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    shared = SparkSession.getActiveSession() is not None  # another module's session: it stops it
    con = connect("spark", threads=2, memory_limit="2GB")
    yield con
    if not shared:
        con.disconnect()


@pytest.fixture(scope="module")
def duck():
    con = connect("duckdb", threads=1, memory_limit="1GB")
    yield con
    con.disconnect()


def read_both(spark, duck, table: str, path):
    """The raw table (ordered by row number) and its parsed values, read by Spark and by DuckDB."""
    out = []
    for con in (spark, duck):
        raw = read_table(con, table, path, load_aliases(path.parent))
        out.append((raw.expr.order_by(ROW).to_pandas(), parse_table(raw, load_aliases(path.parent)).order_by(ROW)
                    .to_pandas(), raw))
    return out


def assert_read_alike(spark, duck, table: str, path) -> pd.DataFrame:
    """Spark's reading of `path` equals DuckDB's, as read and as parsed; returns the raw rows."""
    (spark_raw, spark_typed, spark_table), (duck_raw, duck_typed, duck_table) = read_both(spark, duck, table, path)
    assert spark_table.engine == "pyspark"
    assert (spark_table.encoding, spark_table.separator) == (duck_table.encoding, duck_table.separator)
    pd.testing.assert_frame_equal(spark_raw, duck_raw)
    pd.testing.assert_frame_equal(spark_typed, duck_typed, check_dtype=False)
    return spark_raw


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.csv")))
def test_each_sample_csv_reads_as_on_duckdb(spark, duck, name):
    rows = assert_read_alike(spark, duck, name.removesuffix(".csv"), SAMPLES / name)
    assert rows[ROW].tolist() == list(range(2, len(rows) + 2))


POSTS = ("post_id,platform,published_at,content_type,impressions,title\n"
         'p1,douyin,2026-01-01 10:00,story,10,"Crème brûlée, ""the"" best\nsecond line"\n'
         "p2,wechat,2026-01-02 11:00,tutorial,,奶茶\n"
         'p3,weibo,2026-01-03 12:00,story,1.2万,  spaced  \n'
         'p4,weibo,2026-01-04 13:00,story,7,""\n')


def _semicolons_crlf(path):
    path.write_bytes(POSTS.replace(",", ";").replace("\n", "\r\n").encode("utf-8"))


def _title_and_blank_lines(path):
    path.write_text("Posts export\n\n  \n" + POSTS.replace("\np2", "\n\np2"), encoding="utf-8-sig")
    (path.parent / "aliases.yaml").write_text("read:\n  posts:\n    header_row: 4\n", encoding="utf-8")


AWKWARD = {
    "semicolons, CRLF and quoted line breaks": _semicolons_crlf,
    "title and blank lines under header_row": _title_and_blank_lines,
    "Excel's sep= line": lambda p: p.write_text("sep=|\n" + POSTS.replace(",", "|"), encoding="utf-8"),
    "GB18030": lambda p: p.write_bytes(POSTS.replace("Crème brûlée", "焦糖布丁").encode("gb18030")),
    "UTF-16, tabs (Excel's Unicode text)": lambda p: p.write_bytes(
        POSTS.replace(",", "\t").replace("\n", "\r\n").encode("utf-16")),
    "cp1252 set in aliases.yaml": lambda p: (
        p.write_bytes(POSTS.replace("奶茶", "Déjà vu").replace("1.2万", "12000").encode("cp1252")),
        (p.parent / "aliases.yaml").write_text("read:\n  posts:\n    encoding: cp1252\n", encoding="utf-8")),
    "mixed line ends": lambda p: p.write_bytes(POSTS.replace("\np3", "\r\np3").encode("utf-8")),
}


@pytest.mark.parametrize("kind", list(AWKWARD))
def test_awkward_exports_read_as_on_duckdb(spark, duck, tmp_path, kind):
    path = tmp_path / "posts.csv"
    AWKWARD[kind](path)
    rows = assert_read_alike(spark, duck, "posts", path)
    assert rows["post_id"].tolist() == ["p1", "p2", "p3", "p4"]
    assert rows["title"].iloc[2] == "  spaced  " and rows["impressions"].isna().tolist() == [False, True, False, False]


def test_spark_parses_the_file_itself_and_keeps_a_converted_copy_while_the_backend_lives(spark, tmp_path,
                                                                                         monkeypatch):
    def no_driver_parsing(*_args, **_kwargs):
        raise AssertionError("the driver parsed the CSV")

    monkeypatch.setattr(readers, "_arrow_csv", no_driver_parsing)
    path = tmp_path / "posts.csv"
    path.write_bytes(POSTS.encode("gb18030"))
    raw = read_table(spark, "posts", path, load_aliases())
    frame = spark._session.sql(spark.compile(raw.expr))
    [copy] = frame.inputFiles()  # a UTF-8 copy: the input itself is only read
    assert copy.endswith("posts.utf8.csv") and "socialops-spark-" in copy
    assert raw.expr.count().execute() == 4  # the copy is still there when a query runs


def test_a_row_without_the_header_s_fields_is_a_read_error_on_spark(spark, tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text(POSTS + "p5,weibo,2026-01-05 10:00,story,1,a,surplus\n", encoding="utf-8")
    with pytest.raises(ReadError, match=r"malformed CSV: row 6 does not have the header's 6 fields \(read as "
                                        r"comma-separated, found on its first lines, header on line 1"):
        read_table(spark, "posts", path, load_aliases())


@pytest.mark.parametrize("folder", ["exports[1]", "all*", "what?", "{a,b}"])
def test_a_folder_named_like_a_pattern_reads_only_its_own_file_on_spark(spark, tmp_path, folder):
    for name, user in {folder: "mine", "exports1": "other", "all_else": "other", "whatx": "other", "a": "other"}.items():
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "events.csv").write_text(f"user_id,ts,event\n{user},2026-01-01,view\n", encoding="utf-8")
    raw = read_table(spark, "events", tmp_path / folder / "events.csv", load_aliases())
    assert raw.expr.to_pandas()["user_id"].tolist() == ["mine"]


# ------------------------------------------------------------------------------------- CRM lists, written by Spark
def test_the_crm_lists_spark_writes_are_duckdbs_to_the_byte(spark, duck, tmp_path):
    written = {}
    for name, con in (("spark", spark), ("duckdb", duck)):
        ws = open_workspace(SAMPLES, ["events"], engine=con)
        lists, sizes = lifecycle.crm_lists(ws.table("events"), AS_OF)
        folder = tmp_path / name
        written[name] = {stage: write_table_csv(table, folder / f"crm_{stage}.csv").read_bytes()
                         for stage, table in lists.items()}
        assert sorted(p.name for p in folder.iterdir()) == sorted(f"crm_{s}.csv" for s in sizes)  # no part folder
        assert sizes == json.loads((SAMPLES / "truths.json").read_text(encoding="utf-8"))["lifecycle"]["stages"]
    assert written["spark"] == written["duckdb"]


def test_spark_writes_hostile_and_awkward_cells_as_duckdb_does(spark, duck, tmp_path):
    rows = [("=cmd()", True, "3", 799.38, None, "2026-01-02 03:04:05"), (EVIL, False, None, 0.0, "  +86", None),
            ('say "hi", then\nleave', None, "1", -3.5, "", "2026-01-01 00:00:00"),
            ("小红书", True, "2", 1e20, "ok", None)]
    df = pd.DataFrame(rows, columns=["user_id", "flag", "score", "revenue", "note", "ts"])
    # integers and times are made by the engines (a memtable's nullable integers do not reach Spark)
    schema = ibis.schema({"user_id": "string", "flag": "boolean", "score": "string", "revenue": "float64",
                          "note": "string", "ts": "string"})
    cells = ibis.memtable(df, schema=schema)
    tables = {"spark": spark.create_view("awkward_cells", cells, overwrite=True),
              "duckdb": duck.create_table("awkward_cells", cells, overwrite=True)}
    out = {}
    for name, t in tables.items():
        t = t.mutate(score=t.score.cast("int64"), ts=t.ts.cast("timestamp")).order_by(ibis.desc("score"), "user_id")
        out[name] = write_table_csv(t, tmp_path / f"{name}.csv").read_bytes()
    assert out["spark"] == out["duckdb"]
    assert out["spark"].decode("utf-8-sig").splitlines()[:3] == [
        "user_id,flag,score,revenue,note,ts", "'=cmd(),True,3,799.38,,2026-01-02 03:04:05", "小红书,True,2,"
        "100000000000000000000.0,ok,"]


def test_an_xlsx_table_is_computed_by_spark_not_by_the_default_duckdb(spark, tmp_path):
    import openpyxl

    path = tmp_path / "posts.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["post_id", "platform", "published_at", "content_type", "impressions"])
    book.active.append(["p1", "douyin", "2026-03-01 20:30", "tutorial", 1200])
    book.save(path)
    raw = read_table(spark, "posts", path, load_aliases(tmp_path))
    assert raw.expr.get_backend().name == "pyspark"
    assert parse_table(raw, load_aliases(tmp_path)).to_pandas().impressions.tolist() == [1200]
