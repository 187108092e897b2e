"""The benchmark harness: sizes, tools run in fresh processes, tiled events, and ``bench.json``'s shape.

No timing is asserted here (the machine is shared); the goals are checked by the benchmark itself.
"""

from __future__ import annotations

import importlib.util
import json

from socialops.bench import baseline, harness
from socialops.bench.goals import GOALS, README_END, README_START
from socialops.bench.harness import compare_size, parse_sizes, run_benchmark, run_tool
from tests.conftest import require_component

require_component(importlib.util.find_spec("polars") is not None, "polars is not installed: run `make setup`")


def test_parse_sizes():
    assert parse_sizes(None) == [1_000_000, 10_000_000, 100_000_000]
    assert parse_sizes("1e6, 10_000_000,100000000") == [1_000_000, 10_000_000, 100_000_000]


def test_a_failing_tool_reports_its_error(small, tmp_path):
    result = run_tool("socialops", tmp_path, str(small[1]))
    assert result["exit_code"] != 0
    assert "events" in result["error"]


def test_bench_json_has_the_documented_shape(small, tmp_path, monkeypatch):
    folder, _ = small
    out = tmp_path / "reports" / "bench.json"
    readme = tmp_path / "README.md"
    readme.write_text(f"# Performance\n{README_START}\n{README_END}\n", encoding="utf-8")
    # the harness generates its own data folder; point it at the small set by its expected name
    data_root = tmp_path / "data"
    data_root.mkdir()
    (data_root / "events-50000-seed11").symlink_to(folder, target_is_directory=True)
    monkeypatch.setattr(harness, "FIT_CUSTOMERS", 20_000)
    tools = ["socialops", "polars", "duckdb_sql", "floor"]  # pandas: tests/bench/test_tasks.py
    run_benchmark([50_000], out, data_root=data_root, tools=tools, threads=1, chapters=False, samples=False,
                  readme=readme, seed=11)
    report = json.loads(out.read_text(encoding="utf-8"))
    assert {"machine", "sizes", "goals", "settings", "fits"} <= set(report)
    assert [row["key"] for row in report["goals"]] == [goal.key for goal in GOALS]
    assert {"cpus", "python", "duckdb", "polars", "load_average_start", "load_average_end"} <= set(report["machine"])
    entry = report["sizes"]["50000"]
    assert entry["rows"] > 40_000
    for tool in (*tools, "cox_socialops", "cox_lifelines"):
        assert entry[tool]["exit_code"] == 0, entry[tool].get("error")
        assert entry[tool]["wall_s"] > 0
        assert 20 < entry[tool]["peak_rss_mb"] < 4096
    assert entry["floor"]["digest"]["floor"]["events"] == entry["rows"]
    checks = entry["checks"]
    assert checks["polars_differences"] == checks["duckdb_sql_differences"] == []
    assert checks["cox_differences"] == []
    fit = report["fits"]["bgnbd"]
    assert fit["exit_code"] == 0 and fit["customers"] == 20_000 and 0 < fit["fit_s"] < fit["wall_s"]
    by_key = {row["key"]: row for row in report["goals"]}
    assert by_key["vs_polars"]["at_events"] == entry["rows"] and by_key["vs_polars"]["met"] is None
    assert by_key["fit_bgnbd"]["measured"] == fit["fit_s"] and by_key["fit_bgnbd"]["met"] is (fit["fit_s"] < 2)
    assert out.with_suffix(".png").stat().st_size > 1000
    assert "| BG/NBD fit of a million customers" in readme.read_text(encoding="utf-8")


def test_disagreeing_tools_are_reported():
    digest = {"stages": {"new": 3}}
    entry = {"socialops": {"digest": digest}, "polars": {"digest": {"stages": {"new": 4}}},
             "duckdb_sql": {"digest": digest}, "pandas": {"error": "killed"},
             "cox_socialops": {"digest": {"coefs": {"x": 1.0}}}, "cox_lifelines": {"digest": {"coefs": {"x": 1.01}}}}
    checks = compare_size(entry)
    assert checks == {"polars_differences": ["stages/new: 3 != 4"], "duckdb_sql_differences": [],
                      "cox_differences": ["x: 1.0 != 1.01"]}


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
