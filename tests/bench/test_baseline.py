"""The benchmark's pandas baseline gives the library's numbers, user by user."""

from __future__ import annotations

import pandas as pd

from socialops.bench import baseline
from socialops.lifecycle import analysis as lifecycle
from socialops.lifecycle import cohorts
from socialops.stats import rfm


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


def test_baseline_bgnbd_summary_equals_the_library(both, library_bgnbd):
    _, ev, as_of = both
    mine = baseline.bgnbd_summary(ev, as_of).sort_values("user_id", ignore_index=True)
    pd.testing.assert_frame_equal(mine, library_bgnbd, check_dtype=False, rtol=1e-12)


def test_read_events_keeps_ids_as_text(small):
    folder, _ = small
    ev = baseline.read_events(folder / "events.parquet")
    assert ev["user_id"].str.fullmatch(r"u\d{6}").all()
    assert ev["ts"].dtype.kind == "M"
