"""The benchmark: its pandas baseline and lifetimes agree with socialops, and ``bench.json`` has its documented
shape. No timing is asserted here (the machine is shared); the goals are checked by the benchmark itself."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from socialops.bench import baseline, tasks
from socialops.bench.harness import GOALS, parse_sizes, run_benchmark, run_tool
from socialops.churn import analysis as churn
from socialops.inputs.workspace import open_workspace
from socialops.lifecycle import analysis as lifecycle
from socialops.lifecycle import cohorts
from socialops.stats import rfm


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """About 50,000 generated events (another seed than the samples), with their as_of."""
    from socialops import sample

    folder = sample.generate(tmp_path_factory.mktemp("bench") / "small", users=5_200, seed=11, fmt="parquet")
    as_of = pd.Timestamp(json.loads((folder / "truths.json").read_text(encoding="utf-8"))["as_of"])
    return folder, as_of


@pytest.fixture(scope="module")
def both(small):
    folder, as_of = small
    with open_workspace(folder, ["events"], threads=1, memory_limit="1GB") as ws:
        yield ws.table("events"), baseline.read_events(folder / "events.parquet"), as_of


def test_baseline_stages_equal_the_library_per_user(both):
    events, ev, as_of = both
    lib = lifecycle.user_stages(events, as_of).to_pandas()[["user_id", "stage"]]
    mine = baseline.user_stages(ev, as_of)
    merged = lib.merge(mine, on="user_id", how="outer", suffixes=("_lib", "_pandas"))
    assert len(merged) == len(lib) == len(mine) > 4000
    assert (merged["stage_lib"] == merged["stage_pandas"]).all()
    assert set(mine["stage"]) == set(lifecycle.STAGES)


def test_baseline_rfm_equals_the_library_per_user(both):
    events, ev, as_of = both
    cols = ["user_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "segment", "tier"]
    lib = rfm.rfm_table(events, as_of).to_pandas()[cols].sort_values("user_id", ignore_index=True)
    mine = baseline.rfm_scores(ev, as_of).sort_values("user_id", ignore_index=True)
    pd.testing.assert_frame_equal(mine, lib, check_dtype=False, rtol=1e-12)
    assert mine["r_score"].nunique() == 5


def test_baseline_cohorts_equal_the_library(both):
    events, ev, as_of = both
    lib = cohorts.cohort_table(events, as_of)
    mine = baseline.cohort_table(ev, as_of)
    pd.testing.assert_frame_equal(mine, lib, check_dtype=False, check_names=False, rtol=1e-12)


def test_baseline_and_lifetimes_bgnbd_summaries_equal_the_library(both):
    events, ev, as_of = both
    lib = (
        churn.customer_table(events, as_of).select("user_id", *tasks.BGNBD_COLUMNS).to_pandas()
        .sort_values("user_id", ignore_index=True)
    )
    mine = baseline.bgnbd_summary(ev, as_of).sort_values("user_id", ignore_index=True)
    pd.testing.assert_frame_equal(mine, lib, check_dtype=False, rtol=1e-12)
    pytest.importorskip("lifetimes")
    ref = tasks.lifetimes_summary(ev, as_of).sort_values("user_id", ignore_index=True)
    pd.testing.assert_frame_equal(ref[["user_id", *tasks.BGNBD_COLUMNS]], lib, check_dtype=False, rtol=1e-12)


def test_digest_differences_catch_a_changed_count_and_a_changed_sum():
    a = tasks.digest(stages=pd.Series({"new": 3, "loyal": 2}),
                     bgnbd=pd.DataFrame({"frequency": [1, 2], "recency": [3.0, 4.0], "T": [5.0, 6.0]}))
    assert tasks.differences(a, json.loads(json.dumps(a))) == []
    b = json.loads(json.dumps(a))
    b["stages"]["new"] = 4
    b["bgnbd"]["T_sum"] = 11.000001
    assert tasks.differences(a, b) == ["bgnbd/T_sum: 11.0 != 11.000001", "stages/new: 3 != 4"]


def test_parse_sizes():
    assert parse_sizes(None) == [1_000_000, 10_000_000]
    assert parse_sizes("1e6, 10_000_000,100000000") == [1_000_000, 10_000_000, 100_000_000]


def test_a_failing_tool_reports_its_error(small, tmp_path):
    result = run_tool("socialops", tmp_path, str(small[1]))
    assert result["exit_code"] != 0
    assert "events" in result["error"]


def test_bench_json_has_the_documented_shape(small, tmp_path):
    folder, _ = small
    out = tmp_path / "reports" / "bench.json"
    # the harness generates its own data folder; point it at the small set by its expected name
    data_root = tmp_path / "data"
    data_root.mkdir()
    (data_root / "events-50000-seed11").symlink_to(folder, target_is_directory=True)
    run_benchmark([50_000], out, data_root=data_root, tools=["socialops", "pandas"], threads=1, suite=False,
                  seed=11)
    report = json.loads(out.read_text(encoding="utf-8"))
    assert {"machine", "sizes", "goals", "settings"} <= set(report)
    assert report["goals"] == GOALS
    assert {"cpus", "python", "duckdb", "load_average_start"} <= set(report["machine"])
    entry = report["sizes"]["50000"]
    assert entry["rows"] > 40_000
    for tool in ("socialops", "pandas"):
        assert entry[tool]["exit_code"] == 0
        assert entry[tool]["wall_s"] > 0
        assert 20 < entry[tool]["peak_rss_mb"] < 4096
    assert entry["checks"]["pandas_differences"] == []
    assert entry["checks"]["speedup_vs_pandas"] > 0
    assert out.with_suffix(".png").stat().st_size > 1000


def test_tiled_events_are_distinct_users_with_the_same_behaviour(small, tmp_path):
    from socialops.bench.harness import tile_events

    folder, as_of = small
    tiled = tile_events(folder, tmp_path / "tiled", copies=3)
    one, three = baseline.read_events(folder / "events.parquet"), baseline.read_events(tiled / "events.parquet")
    assert len(three) == 3 * len(one) and three["user_id"].nunique() == 3 * one["user_id"].nunique()
    assert three["referrer_id"].notna().sum() == 3 * one["referrer_id"].notna().sum()
    counts = baseline.user_stages(one, as_of)["stage"].value_counts()
    assert baseline.user_stages(three, as_of)["stage"].value_counts().equals(3 * counts)  # referrals stay inside a copy
    assert (tiled / "truths.json").read_bytes() == (folder / "truths.json").read_bytes()
