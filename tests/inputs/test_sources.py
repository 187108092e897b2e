"""Data sources: folders, Parquet folders, folders the engine reads by URL, and tables already in the engine."""

import datetime as dt

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from socialops.inputs import contract
from socialops.inputs.sources import SourceError, parse_source, with_tables
from socialops.inputs.workspace import open_workspace


def test_source_forms():
    assert parse_source("data/samples").folder.name == "samples"
    assert parse_source("s3://bucket/exports/").url == "s3://bucket/exports"
    db = parse_source("db:analytics")
    assert (db.schema, db.mapping, db.in_engine) == ("analytics", {}, True)
    both = parse_source("db:analytics, events=crm.user_events")
    assert (both.schema, both.mapping) == ("analytics", {"events": "crm.user_events"})
    assert parse_source("db:mentions=lake.social.mentions").mapping == {"mentions": "lake.social.mentions"}


@pytest.mark.parametrize("text, says", [
    ("db:", "name a schema"),
    ("db:a,b", "two schemas"),
    ("db:clicks=analytics.clicks", "no table 'clicks'"),
    ("db:events=user_events", "qualified by its schema"),
    ("db:events=analytics.user events", "qualified by its schema"),
    ("db:analytics;drop", "qualified by its schema"),
])
def test_malformed_db_sources_are_refused(text, says):
    with pytest.raises(SourceError, match=says):
        parse_source(text)


def test_a_tables_mapping_joins_a_schema_and_refuses_a_folder(tmp_path):
    merged = with_tables(parse_source("db:analytics"), {"events": "crm.user_events"})
    assert merged.text == "db:analytics,events=crm.user_events"
    assert with_tables(None, {"events": "crm.user_events"}).mapping == {"events": "crm.user_events"}
    with pytest.raises(SourceError, match="cannot be mixed"):
        with_tables(parse_source(str(tmp_path)), {"events": "crm.user_events"})
    with pytest.raises(SourceError, match="must map"):
        with_tables(None, {})


def events_table(users: list[str], amounts: list[float | None]) -> pa.Table:
    n = len(users)
    return pa.table({
        "user_id": users,
        "ts": pa.array([dt.datetime(2026, 3, 1 + i % 27, 10) for i in range(n)], pa.timestamp("us")),
        "event": ["purchase"] * n,
        "amount": pa.array(amounts, pa.float64()),
    })


@pytest.fixture
def engine_tables():
    """A DuckDB database holding a schema whose events table has Chinese headers and one unknown event."""
    con = ibis.duckdb.connect(threads=1, memory_limit="1GB")
    con.raw_sql("CREATE SCHEMA analytics")
    con.raw_sql(
        "CREATE TABLE analytics.user_events AS SELECT * FROM (VALUES "
        "('u1', TIMESTAMP '2026-03-01 10:00:00', 'purchase', 12.5), "
        "('u2', TIMESTAMP '2026-03-02 11:00:00', 'teleport', 3.0), "
        "('u3', TIMESTAMP '2026-03-03 12:00:00', 'view', NULL)) AS t(用户id, 时间, 事件, 金额)")
    yield con
    con.disconnect()


def test_engine_table_read_in_place_with_aliases(engine_tables):
    before = set(engine_tables.list_tables(database="analytics"))
    with open_workspace("db:events=analytics.user_events", ["events"], engine=engine_tables) as ws:
        events = ws.table("events").order_by("user_id").to_pandas()
        assert list(events.columns) == ["user_id", "ts", "event", "amount"]
        assert events.user_id.tolist() == ["u1", "u2", "u3"]
        assert ws.inputs()["events"] == {"file": "analytics.user_events", "rows": 3, "sha256": None}
    # nothing was written into the user's schema
    assert set(engine_tables.list_tables(database="analytics")) == before


def test_validation_names_failing_rows_by_key_where_rows_have_no_number(engine_tables):
    report = contract.validate("db:events=analytics.user_events", ["events"], engine=engine_tables)
    [failure] = report.failures
    assert (failure.file, failure.row, failure.column, failure.value) == ("analytics.user_events", None, "event",
                                                                           "teleport")
    assert failure.key == "user_id=u2, ts=2026-03-02 11:00:00"
    assert "row with user_id=u2" in str(failure)


def test_schema_source_lists_the_contract_tables(engine_tables):
    engine_tables.raw_sql("CREATE TABLE analytics.events AS SELECT * FROM analytics.user_events")
    assert contract.present_tables("db:analytics", engine=engine_tables) == ["events"]
    report = contract.validate("db:analytics", chapters=["02_lifecycle"], engine=engine_tables)
    assert [(f.column, f.value) for f in report.failures] == [("event", "teleport")]
    missing = contract.validate("db:analytics", chapters=["05_crisis_postmortem"], engine=engine_tables)
    assert any("no analytics.mentions" in f.rule for f in missing.failures)


def test_parquet_folder_by_month(tmp_path):
    folder = tmp_path / "events"
    for month, users in ((1, ["a", "b"]), (2, ["c"])):
        part = folder / f"month=2026-0{month}"
        part.mkdir(parents=True)
        pq.write_table(events_table(users, [1.0] * len(users)), part / "part-0.parquet")
    with open_workspace(tmp_path, ["events"], threads=1) as ws:
        assert ws.table("events").count().execute() == 3
        assert ws.table("events").columns == ("user_id", "ts", "event", "amount")
        info = ws.inputs()["events"]
        assert (info["file"], info["rows"], len(info["sha256"])) == ("events", 3, 64)
    pq.write_table(events_table([""], [1.0]), folder / "month=2026-02" / "part-1.parquet")
    [failure] = contract.validate(tmp_path, ["events"]).failures
    assert (failure.row, failure.column, failure.key) == (None, "user_id", "ts=2026-03-01 10:00:00, event=purchase")
