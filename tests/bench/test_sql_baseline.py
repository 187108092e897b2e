"""The benchmark's hand-written DuckDB SQL gives the library's numbers, and its floor reads the whole file."""

from __future__ import annotations

import pandas as pd
import pytest

from socialops.bench import sql_baseline, tasks


def test_sql_digest_equals_the_library_digest(small):
    folder, as_of = small
    mine = tasks.run_sql(folder, as_of, threads=1, memory_limit="1GB")
    library = tasks.run_socialops(folder, as_of, ("stages", "rfm", "cohorts", "bgnbd"), threads=1,
                                  memory_limit="1GB")
    assert set(mine) == set(library) == {"stages", "rfm_scores", "rfm_segments", "rfm_tiers", "cohorts", "bgnbd"}
    assert tasks.differences(library, mine) == []


def test_sql_bgnbd_summary_equals_the_library_per_customer(small, library_bgnbd):
    folder, as_of = small
    con = sql_baseline.connect(1, "1GB")
    try:
        out = sql_baseline.outputs(con, folder / "events.parquet", as_of)
    finally:
        con.close()
    mine = out["bgnbd"].sort_values("user_id", ignore_index=True)
    pd.testing.assert_frame_equal(mine, library_bgnbd, check_dtype=False, rtol=1e-12)
    assert out["rfm_cells"]["users"].sum() == len(library_bgnbd)  # every customer in one RFM cell


def test_floor_scan_counts_what_pandas_counts(both, small):
    _, ev, _ = both
    folder, _ = small
    floor = tasks.run_floor(folder, threads=1, memory_limit="1GB")["floor"]
    assert floor["events"] == len(ev)
    assert floor["users"] == ev["user_id"].nunique()
    assert pd.Timestamp(floor["last_ts"]) == ev["ts"].max()
    assert floor["amount"] == pytest.approx(ev["amount"].sum(), rel=1e-12)
