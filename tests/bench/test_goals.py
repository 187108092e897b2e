"""The goals table: each figure read off a report, marked met or not at the goal's limit, and written to a README."""

from __future__ import annotations

import pytest

from socialops.bench import goals


def _entry(rows, socialops=3.0, polars=1.7, sql=1.9, pandas=12.5, floor=0.8, so_bg=1.9, lifetimes=6.2,
           chapters=130.0, memory=1900.0):
    return {
        "rows": rows,
        "socialops": {"wall_s": socialops}, "polars": {"wall_s": polars}, "duckdb_sql": {"wall_s": sql},
        "pandas": {"wall_s": pandas}, "floor": {"wall_s": floor}, "socialops_bgnbd": {"wall_s": so_bg},
        "lifetimes": {"wall_s": lifetimes},
        "chapters": {"wall_s": chapters, "peak_tree_rss_mb": memory},
    }


def _by_key(report):
    return {row["key"]: row for row in goals.evaluate(report)}


def test_figures_at_the_goals_sizes_are_marked_met_or_not():
    report = {
        "sizes": {"10000000": _entry(10_100_000), "100000000": _entry(101_000_000, chapters=299.0, memory=4096.0)},
        "fits": {"bgnbd": {"fit_s": 1.99}},
        "samples": {"wall_s": 15.5},
    }
    rows = _by_key(report)
    assert [r["key"] for r in goals.evaluate(report)] == [g.key for g in goals.GOALS]
    expected = {
        "chapters_10m": (130.0, False), "chapters_100m": (299.0, True), "memory_100m": (4096.0, False),
        "vs_polars": (1.7 / 3.0, False), "vs_duckdb_sql": (1.9 / 3.0, False), "vs_pandas": (12.5 / 3.0, False),
        "vs_floor": (3.0 / 0.8, False), "bgnbd_vs_lifetimes": (6.2 / 1.9, False), "fit_bgnbd": (1.99, True),
        "samples": (15.5, False),
    }
    for key, (value, met) in expected.items():
        assert rows[key]["measured"] == pytest.approx(value, abs=1e-3), key
        assert rows[key]["met"] is met, key
    assert rows["vs_pandas"]["at_events"] == 10_100_000 and rows["fit_bgnbd"]["at_events"] is None
    assert rows["chapters_100m"]["command"] == "BENCH_SIZES=100000000 make bench"
    assert rows["samples"]["command"] == "make bench"


def test_limits_count_as_the_goals_say():
    # at most 30 s is met at 30; faster than polars is not met at equal times; at least 5x is met at 5x;
    # within 2x of the floor is met at 2x; under 2 s and under 4 GiB are not met at the limit itself
    entry = _entry(10_000_000, socialops=2.0, polars=2.0, sql=1.0, pandas=10.0, floor=1.0, so_bg=1.0,
                   lifetimes=10.0, chapters=30.0)
    report = {"sizes": {"10000000": entry, "100000000": _entry(100_000_000, chapters=300.0, memory=4095.9)},
              "fits": {"bgnbd": {"fit_s": 2.0}}, "samples": {"wall_s": 15.0}}
    met = {key: row["met"] for key, row in _by_key(report).items()}
    assert met == {"chapters_10m": True, "chapters_100m": True, "memory_100m": True, "vs_polars": False,
                   "vs_duckdb_sql": False, "vs_pandas": True, "vs_floor": True, "bgnbd_vs_lifetimes": True,
                   "fit_bgnbd": False, "samples": True}
    report["sizes"]["10000000"]["socialops"]["wall_s"] = 1.9
    assert _by_key(report)["vs_polars"]["met"] is True


def test_a_goal_not_run_at_its_size_shows_the_largest_smaller_size_and_stays_open():
    report = {"sizes": {"1000000": _entry(1_030_000, socialops=1.0, pandas=6.0),
                        "300000": _entry(300_000, socialops=1.0, pandas=2.0)}}
    rows = _by_key(report)
    assert rows["vs_pandas"]["measured"] == 6.0 and rows["vs_pandas"]["at_events"] == 1_030_000
    assert rows["vs_pandas"]["met"] is None
    assert rows["fit_bgnbd"]["measured"] is None and rows["fit_bgnbd"]["met"] is None
    assert rows["samples"]["measured"] is None


def test_failed_or_skipped_runs_are_not_figures():
    entry = _entry(10_000_000)
    entry["polars"] = {"wall_s": 5.0, "error": "out of memory"}
    entry["pandas"] = {"skipped": "too large"}
    entry["chapters"]["error"] = "a chapter failed"
    report = {"sizes": {"10000000": entry}, "fits": {"bgnbd": {"error": "exit code 1"}}}
    rows = _by_key(report)
    for key in ("vs_polars", "vs_pandas", "chapters_10m", "fit_bgnbd"):
        assert rows[key]["measured"] is None and rows[key]["met"] is None, key
    assert rows["vs_duckdb_sql"]["met"] is False


def test_tables_show_each_goal_with_its_status():
    report = {"sizes": {"1000000": _entry(1_030_000)}, "fits": {"bgnbd": {"fit_s": 0.5}}}
    rows = goals.evaluate(report)
    text = goals.markdown_table(rows)
    assert text.count("\n") == len(goals.GOALS) + 1
    assert "| BG/NBD fit of a million customers (the fit alone) | < 2 s | 0.5 s | yes | `make bench` |" in text
    assert "4.17 × at 1.03M events | — |" in text
    assert "| not measured | — |" in text
    assert goals.goals_table(rows).row_count == len(goals.GOALS)


def test_the_readme_block_is_rewritten_and_nothing_else(tmp_path):
    readme = tmp_path / "README.md"
    before, after = "# Title\n\n## Performance\nRun it.\n\n", "\n\n## Next\nMore.\n"
    readme.write_text(f"{before}{goals.README_START}\nold figures\n{goals.README_END}{after}", encoding="utf-8")
    rows = goals.evaluate({"fits": {"bgnbd": {"fit_s": 3.0}}})
    machine = {"cpus": 2, "memory_gb": 24.0, "load_average_start": [1.0], "load_average_end": [1.2],
               "duckdb": "1.5.6", "polars": "2.1.0"}
    assert goals.update_readme(readme, rows, machine, "2026-12-07", [1_031_000, 10_100_000])
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(before) and text.endswith(after) and "old figures" not in text
    assert "on 2026-12-07 (events: 1.03M, 10.1M): 2 cores, 24.0 GB, load average 1.0–1.2" in text
    assert goals.markdown_table(rows) in text
    plain = tmp_path / "PLAIN.md"
    plain.write_text("no block\n", encoding="utf-8")
    assert not goals.update_readme(plain, rows, machine, "2026-12-07")
    assert plain.read_text(encoding="utf-8") == "no block\n"
