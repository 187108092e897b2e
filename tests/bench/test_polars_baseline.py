"""The benchmark's polars baseline gives the library's numbers, user by user."""

from __future__ import annotations

import importlib.util

import pandas as pd

from socialops.bench import tasks
from socialops.lifecycle import analysis as lifecycle
from socialops.stats import rfm
from tests.conftest import require_component

require_component(importlib.util.find_spec("polars") is not None, "polars is not installed: run `make setup`")

from socialops.bench import polars_baseline  # noqa: E402  (after the check that polars is there)


def _lazy(small):
    folder, as_of = small
    return polars_baseline.scan_events(folder / "events.parquet"), as_of.to_pydatetime()


def test_polars_stages_equal_the_library_per_user(both, small):
    events, _, as_of = both
    ev, when = _lazy(small)
    lib = lifecycle.user_stages(events, as_of).to_pandas()[["user_id", "stage"]]
    mine = polars_baseline.user_stages(ev, when).collect().to_pandas()
    merged = lib.merge(mine, on="user_id", how="outer", suffixes=("_lib", "_polars"))
    assert len(merged) == len(lib) == len(mine) > 4000
    assert (merged["stage_lib"] == merged["stage_polars"]).all()
    assert set(mine["stage"]) == set(lifecycle.STAGES)


def test_polars_rfm_equals_the_library_per_user(both, small):
    events, _, as_of = both
    ev, when = _lazy(small)
    cols = ["user_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "segment", "tier"]
    lib = rfm.rfm_table(events, as_of).to_pandas()[cols].sort_values("user_id", ignore_index=True)
    mine = polars_baseline.rfm_scores(polars_baseline.purchasers(ev, when), when).collect().to_pandas()
    mine = mine.sort_values("user_id", ignore_index=True)
    pd.testing.assert_frame_equal(mine, lib, check_dtype=False, rtol=1e-12)
    assert mine["r_score"].nunique() == 5 and mine["segment"].nunique() == 8


def test_polars_bgnbd_summary_equals_the_library(library_bgnbd, small):
    ev, when = _lazy(small)
    mine = polars_baseline.bgnbd_summary(polars_baseline.purchasers(ev, when), when).collect().to_pandas()
    mine = mine.sort_values("user_id", ignore_index=True)
    pd.testing.assert_frame_equal(mine, library_bgnbd, check_dtype=False, rtol=1e-12)


def test_polars_digest_equals_the_library_digest(small):
    folder, as_of = small
    mine = tasks.run_polars(folder, as_of)
    library = tasks.run_socialops(folder, as_of, ("stages", "rfm", "cohorts", "bgnbd"), threads=1,
                                  memory_limit="1GB")
    assert set(mine) == set(library) == {"stages", "rfm_scores", "rfm_segments", "rfm_tiers", "cohorts", "bgnbd"}
    assert tasks.differences(library, mine) == []
