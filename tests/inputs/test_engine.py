"""Engine connection, and a canary for the pinned ibis / duckdb / sqlglot stack."""

import importlib.util
import os
import sys
import types
from urllib.parse import quote

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from socialops.inputs import engine
from socialops.inputs.engine import EngineError, connect


def _setting(con, name):
    return con.raw_sql(f"SELECT current_setting('{name}')").fetchone()[0]


def test_duckdb_gets_explicit_threads_and_memory_limit():
    con = connect("duckdb", threads=1, memory_limit="1GiB")
    try:
        assert con.name == "duckdb"
        assert int(_setting(con, "threads")) == 1
        assert _setting(con, "memory_limit") == "1.0 GiB"
    finally:
        con.disconnect()


def test_duckdb_defaults_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SOCIALOPS_THREADS", "1")
    monkeypatch.setenv("SOCIALOPS_MEMORY_LIMIT", "2GiB")
    con = connect()
    try:
        assert int(_setting(con, "threads")) == 1
        assert _setting(con, "memory_limit") == "2.0 GiB"
    finally:
        con.disconnect()


def test_default_threads_are_two_not_all_cores(monkeypatch):
    monkeypatch.delenv("SOCIALOPS_THREADS", raising=False)
    monkeypatch.delenv("SOCIALOPS_MEMORY_LIMIT", raising=False)
    con = connect()
    try:
        assert int(_setting(con, "threads")) == 2
        assert _setting(con, "memory_limit") == "3.7 GiB"  # 4GB = 4e9 bytes
    finally:
        con.disconnect()


def test_zero_threads_is_refused():
    with pytest.raises(EngineError, match="at least 1"):
        connect(threads=0)


def test_spark_without_pyspark_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(EngineError, match="pip install"):
        connect("spark", threads=1)


def test_unknown_engine_is_an_error():
    with pytest.raises(EngineError, match="unknown engine 'sqlite3'"):
        connect("sqlite3")


def test_url_with_a_literal_password_is_refused():
    with pytest.raises(EngineError, match="environment variable"):
        connect("postgres://analyst:hunter2@db.example.com/social")


def test_url_placeholders_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SOCIALOPS_TEST_DB", str(tmp_path / "warehouse.ddb"))
    con = connect("duckdb://$SOCIALOPS_TEST_DB")
    try:
        con.create_table("t", pd.DataFrame({"x": [1]}))
        assert "t" in con.list_tables()
    finally:
        con.disconnect()
    assert (tmp_path / "warehouse.ddb").exists()


def test_url_placeholder_that_is_not_set_is_named(monkeypatch):
    monkeypatch.delenv("SOCIALOPS_NOT_SET", raising=False)
    with pytest.raises(EngineError, match="SOCIALOPS_NOT_SET"):
        connect("duckdb://${SOCIALOPS_NOT_SET}")


def test_pinned_stack_works_together(tmp_path):
    """Fails when ibis, duckdb and sqlglot stop working together (as duckdb 2.0 or sqlglot 30.30 do)."""
    con = connect("duckdb", threads=1, memory_limit="1GB")
    try:
        frame = pd.DataFrame(
            {
                "user_id": ["0013800138000", "u2", "u3", "u4", "u5", "u6"],
                "amount": [10.0, 20.0, 20.0, 5.0, 40.0, 20.0],
                "ts": pd.to_datetime(["2026-01-01 08:00:00.123456"] * 6),
            }
        )
        con.create_table("orders", frame)
        assert "orders" in con.list_tables()

        path = tmp_path / "orders.parquet"
        arrow = pa.Table.from_pandas(frame, preserve_index=False).cast(
            pa.schema([("user_id", pa.string()), ("amount", pa.float64()), ("ts", pa.timestamp("us"))])
        )
        pq.write_table(arrow, path)
        t = con.read_parquet(path)
        assert t.schema()["ts"].is_timestamp()

        ranked = t.mutate(cd=ibis.cume_dist().over(order_by=t.amount)).mutate(
            score=(5 * ibis._.cd).ceil().cast("int64")
        )
        out = ranked.order_by("user_id").to_pandas()
        # reference: pandas' percentile rank with ties at their highest rank is the cumulative distribution
        expected = frame.sort_values("user_id").amount.rank(method="max", pct=True).to_numpy()
        np.testing.assert_allclose(out.cd.to_numpy(), expected, rtol=0, atol=1e-12)
        assert out.set_index("user_id").score.to_dict() == {
            "0013800138000": 2, "u2": 5, "u3": 5, "u4": 1, "u5": 5, "u6": 5,
        }

        back = con.table("orders").order_by("user_id").to_pandas()
        pd.testing.assert_frame_equal(back, frame.sort_values("user_id").reset_index(drop=True), check_dtype=False)
        assert back.ts.iloc[0] == pd.Timestamp("2026-01-01 08:00:00.123456")
    finally:
        con.disconnect()


# ------------------------------------------------------------------------------- secrets stay in the environment
SECRET = "marker-7f3a9c-secret"  # a fake password, set in the environment of the tests that need one


@pytest.mark.parametrize(("text", "shown"), [
    ("postgres://analyst:$PW@db.example.com:5432/social", "postgres://analyst:***@db.example.com:5432/social"),
    ("postgres://analyst:${PW}@host/db", "postgres://analyst:***@host/db"),
    ("postgres://analyst:p/a@ss@host/db", "postgres://analyst:***@host/db"),  # unencoded / and @ hide nothing
    ("trino://user@host:8080/hive/web?token=abc123&source=socialops",
     "trino://user@host:8080/hive/web?token=***&source=socialops"),
    ("snowflake://u@acct/db?private_key_passphrase=$K&warehouse=wh&access_token=t",
     "snowflake://u@acct/db?private_key_passphrase=***&warehouse=wh&access_token=***"),
    ("duckdb", "duckdb"),
    ("trino://user@host:8080/hive", "trino://user@host:8080/hive"),
    ("cannot reach mysql://a:b@h/x nor postgres://c:d@h/y", "cannot reach mysql://a:***@h/x nor postgres://c:***@h/y"),
])
def test_redact_replaces_passwords_and_secret_query_values(text, shown):
    assert engine.redact(text) == shown


def test_chapters_get_the_url_redacted_and_connect_through_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(engine.ENGINE_URL_ENV, raising=False)
    assert engine.for_chapters("duckdb") == "duckdb"
    assert engine.ENGINE_URL_ENV not in os.environ
    monkeypatch.setenv("SOCIALOPS_TEST_DB", str(tmp_path / "w.ddb"))
    written = "duckdb://$SOCIALOPS_TEST_DB?threads=1&api_token=$SOCIALOPS_TEST_DB"
    shown = engine.for_chapters(written)
    assert shown == "duckdb://$SOCIALOPS_TEST_DB?threads=1&api_token=***"
    assert os.environ[engine.ENGINE_URL_ENV] == written
    monkeypatch.setattr(ibis, "connect", lambda url: url)  # what connect would open
    assert connect(shown) == f"duckdb://{tmp_path / 'w.ddb'}?threads=1&api_token={tmp_path / 'w.ddb'}"
    monkeypatch.setenv(engine.ENGINE_URL_ENV, "duckdb://elsewhere?api_token=x")
    with pytest.raises(EngineError, match=f"shown redacted.*{engine.ENGINE_URL_ENV}"):
        connect(shown)


@pytest.mark.parametrize(("url", "says"), [
    ("nosuchdb://analyst:$PW@127.0.0.1:1/x", "unknown engine scheme nosuchdb:// in nosuchdb://analyst:***@"),
    ("postgres://analyst:$PW@127.0.0.1:1/x", "pip install 'ibis-framework[postgres]'"),
    ("postgresql://analyst:$PW@127.0.0.1:1/x", "pip install 'ibis-framework[postgres]'"),
    ("duckdb:///no/such/folder/$PW/w.duckdb", "cannot connect to duckdb:///no/such/folder/$PW/w.duckdb"),
    ("postgres://analyst:" + SECRET + "@127.0.0.1:1/x", "carries a password"),
])
def test_every_connect_error_is_reworded_without_the_secret(monkeypatch, url, says):
    if "ibis-framework[postgres]" in says and importlib.util.find_spec("psycopg") is not None:
        says = "Connection refused"  # with the driver installed, the server at port 1 refuses instead
    monkeypatch.setenv("PW", SECRET)
    with pytest.raises(EngineError) as caught:
        connect(url)
    assert says in str(caught.value)
    assert SECRET not in str(caught.value)
    # the driver's exception is not chained: a traceback of this error cannot show it
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_a_driver_error_quoting_the_secret_is_scrubbed(monkeypatch):
    def careless_driver(url):
        raise RuntimeError(f"auth failed for {url} (password {SECRET}/x, encoded {quote(SECRET + '/x', safe='')}, "
                           f"token tok-{SECRET})\nsecond line {SECRET}")

    monkeypatch.setattr(ibis, "connect", careless_driver)
    monkeypatch.setenv("PW", SECRET + "/x")
    monkeypatch.setenv("TOKEN", f"tok-{SECRET}")
    with pytest.raises(EngineError) as caught:
        connect("sqlite://analyst:$PW@host/db?token=$TOKEN")
    text = str(caught.value)
    assert text.startswith("cannot connect to sqlite://analyst:***@host/db?token=***: auth failed for")
    assert "marker" not in text and "second line" not in text


def test_a_url_given_redacted_without_its_original_is_refused(monkeypatch):
    monkeypatch.delenv(engine.ENGINE_URL_ENV, raising=False)
    with pytest.raises(EngineError, match="shown redacted"):
        connect("postgres://analyst:***@host/db")


def test_engine_settings_duckdb_cannot_use_are_engine_errors(monkeypatch):
    monkeypatch.setenv("SOCIALOPS_MEMORY_LIMIT", "lots")
    with pytest.raises(EngineError, match="cannot start DuckDB .*memory limit lots"):
        connect(threads=1)
    monkeypatch.setenv("SOCIALOPS_THREADS", "two")
    with pytest.raises(EngineError, match="SOCIALOPS_THREADS must be a whole number"):
        connect()


def test_a_spark_that_cannot_start_is_an_engine_error_with_its_master_redacted(monkeypatch):
    class Builder:
        def __getattr__(self, name):
            return lambda *args, **kwargs: self

        def getOrCreate(self):  # noqa: N802 (PySpark's name)
            raise RuntimeError(f"JAVA_GATEWAY_EXITED while reaching spark://ops:{SECRET}@cluster:7077")

    fake = types.ModuleType("pyspark.sql")
    fake.SparkSession = types.SimpleNamespace(builder=Builder())
    monkeypatch.setitem(sys.modules, "pyspark", types.ModuleType("pyspark"))
    monkeypatch.setitem(sys.modules, "pyspark.sql", fake)
    monkeypatch.setenv("SOCIALOPS_SPARK_MASTER", f"spark://ops:{SECRET}@cluster:7077")
    with pytest.raises(EngineError, match=r"cannot start Spark on spark://ops:\*\*\*@cluster:7077: JAVA_GATEWAY") as caught:
        connect("spark", threads=1)
    assert SECRET not in str(caught.value)


def test_postgres_casts_a_boolean_to_bigint_through_int():
    from socialops.inputs.engine import _cast_booleans_through_int

    t = ibis.table({"flag": "boolean", "n": "int32"}, name="t")
    counts = t.aggregate(k=t.flag.cast("int64").sum(), m=t.n.cast("int64").sum())
    _cast_booleans_through_int()
    _cast_booleans_through_int()  # once per process, however often a connection opens
    sql = ibis.to_sql(counts, dialect="postgres")
    assert 'SUM(CAST(CAST("t0"."flag" AS INT) AS BIGINT))' in sql
    assert 'SUM(CAST("t0"."n" AS BIGINT))' in sql
    assert 'CAST(CAST(CAST' not in sql


def test_spark_cuts_timestamps_into_periods_counted_from_the_epoch():
    engine._bucket_timestamps_on_spark()
    engine._bucket_timestamps_on_spark()  # once is enough; again changes nothing
    table = ibis.table({"ts": "timestamp"}, name="mentions")
    sql = ibis.to_sql(table.select(period=table.ts.bucket(minutes=30)), dialect="pyspark")
    assert "FLOOR(UNIX_SECONDS(CAST(`t0`.`ts` AS TIMESTAMP)) / 1800) * 1800" in sql


def test_the_run_s_memory_is_divided_among_the_chapters_side_by_side(monkeypatch):
    monkeypatch.delenv("SOCIALOPS_MEMORY_LIMIT", raising=False)
    assert engine.memory_share(1) == f"{engine.RUN_MEMORY_MB}MB"
    assert engine.memory_share(2) == f"{engine.RUN_MEMORY_MB // 2}MB" and engine.memory_share(0) == "1800MB"
    monkeypatch.setenv("SOCIALOPS_MEMORY_LIMIT", "3GB")
    assert engine.memory_share(2) is None
