"""The benchmark harness: sizes, tools run in fresh processes, tiled events, and ``bench.json``'s shape.

No timing is asserted here (the machine is shared); the goals are checked by the benchmark itself.
"""

from __future__ import annotations

import json

from socialops.bench import baseline
from socialops.bench.harness import GOALS, parse_sizes, run_benchmark, run_tool


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
