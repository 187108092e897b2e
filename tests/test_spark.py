"""The chapters' engine code gives the same numbers on Spark (PySpark, local mode) as on DuckDB, on the samples.

One Spark session serves the whole test session (starting the JVM takes most of the time). Skipped with the
reason when PySpark or a Java runtime is missing: `make setup-spark` installs both.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from tests.conftest import SAMPLES

pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed: run `make setup-spark`")
if shutil.which("java") is None and not __import__("os").environ.get("JAVA_HOME"):
    pytest.skip("no Java runtime: run `make setup-spark`", allow_module_level=True)

from socialops import churn, cohorts, crisis, lifecycle, platforms, rfm  # noqa: E402
from socialops.engine import connect  # noqa: E402
from socialops.workspace import open_workspace  # noqa: E402

TABLES = ["events", "platform_daily", "mentions"]
AS_OF = pd.Timestamp(json.loads((SAMPLES / "truths.json").read_text(encoding="utf-8"))["as_of"])


@pytest.fixture(scope="session")
def spark_ws():
    con = connect("spark", threads=2, memory_limit="2GB")
    ws = open_workspace(SAMPLES, TABLES, engine=con)
    yield ws
    con.disconnect()


@pytest.fixture(scope="session")
def duck_ws():
    with open_workspace(SAMPLES, TABLES, threads=1, memory_limit="1GB") as ws:
        yield ws


def assert_same(spark: pd.DataFrame, duck: pd.DataFrame, rtol: float = 1e-9) -> None:
    """Equal frames: integers and text exactly, floats to `rtol`."""
    pd.testing.assert_frame_equal(spark, duck, check_dtype=False, check_exact=False, rtol=rtol, atol=1e-9)


def test_spark_reads_the_samples_with_the_canonical_types(spark_ws, duck_ws):
    for name in TABLES:
        # types alike; the timestamp precision is the engine's own (DuckDB says microseconds, Spark nothing)
        spark_types = {c: (type(t).__name__, getattr(t, "timezone", None)) for c, t in spark_ws.table(name).schema().items()}
        duck_types = {c: (type(t).__name__, getattr(t, "timezone", None)) for c, t in duck_ws.table(name).schema().items()}
        assert spark_types == duck_types, name
        assert spark_ws.inputs()[name]["rows"] == duck_ws.inputs()[name]["rows"]
    ev = spark_ws.table("events")
    events = ev.group_by("event").aggregate(n=ev.count()).to_pandas().set_index("event")["n"].sort_index()
    assert set(events.index) == {"view", "like", "comment", "share", "follow", "unfollow", "signup",
                                 "purchase", "referral"}


def test_lifecycle_stages_match(spark_ws, duck_ws):
    spark_sizes, spark_churned = lifecycle.stage_sizes(spark_ws.table("events"), AS_OF)
    duck_sizes, duck_churned = lifecycle.stage_sizes(duck_ws.table("events"), AS_OF)
    assert_same(spark_sizes, duck_sizes)
    assert_same(spark_churned, duck_churned)
    truths = json.loads((SAMPLES / "truths.json").read_text(encoding="utf-8"))["lifecycle"]["stages"]
    assert spark_sizes["users"].to_dict() == truths


def test_rfm_scores_match(spark_ws, duck_ws):
    def scores(ws):
        t = rfm.rfm_table(ws.table("events"), AS_OF).to_pandas()
        return t.sort_values("user_id", ignore_index=True)

    assert_same(scores(spark_ws), scores(duck_ws))


def test_cohort_retention_matches(spark_ws, duck_ws):
    assert_same(cohorts.cohort_table(spark_ws.table("events"), AS_OF),
                cohorts.cohort_table(duck_ws.table("events"), AS_OF))


def test_bgnbd_summary_matches(spark_ws, duck_ws):
    spark = churn.customer_summary(spark_ws.table("events"), AS_OF)
    duck = churn.customer_summary(duck_ws.table("events"), AS_OF)
    assert len(spark) > 1000
    assert_same(spark, duck)


def test_platform_aggregates_match(spark_ws, duck_ws):
    assert_same(platforms.daily_totals(spark_ws.table("platform_daily")),
                platforms.daily_totals(duck_ws.table("platform_daily")))


def test_mention_series_match(spark_ws, duck_ws):
    for by_platform in (False, True):
        assert_same(crisis.mention_series(spark_ws.table("mentions"), by_platform=by_platform),
                    crisis.mention_series(duck_ws.table("mentions"), by_platform=by_platform))
