"""The benchmark's tasks: each tool's outputs reduced to a digest, and the digests compared."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from socialops.bench import tasks


def test_lifetimes_bgnbd_summary_equals_the_library(both, library_bgnbd):
    pytest.importorskip("lifetimes")
    _, ev, as_of = both
    ref = tasks.lifetimes_summary(ev, as_of).sort_values("user_id", ignore_index=True)
    pd.testing.assert_frame_equal(
        ref[["user_id", *tasks.BGNBD_COLUMNS]], library_bgnbd, check_dtype=False, rtol=1e-12
    )


def test_digest_differences_catch_a_changed_count_and_a_changed_sum():
    a = tasks.digest(stages=pd.Series({"new": 3, "loyal": 2}),
                     bgnbd=pd.DataFrame({"frequency": [1, 2], "recency": [3.0, 4.0], "T": [5.0, 6.0]}))
    assert tasks.differences(a, json.loads(json.dumps(a))) == []
    b = json.loads(json.dumps(a))
    b["stages"]["new"] = 4
    b["bgnbd"]["T_sum"] = 11.000001
    assert tasks.differences(a, b) == ["bgnbd/T_sum: 11.0 != 11.000001", "stages/new: 3 != 4"]


def test_differences_name_missing_keys_and_list_lengths():
    a = {"cohorts": {"2026-01": [10, 1.0, 0.5], "2026-02": [4, 1.0]}}
    b = {"cohorts": {"2026-01": [10, 1.0], "2026-03": [2, 1.0]}, "stages": {"new": 1}}
    assert tasks.differences(a, b) == [
        "cohorts/2026-01: length 3 != 2",
        "cohorts/2026-02: only in first",
        "cohorts/2026-03: only in second",
    ]
    assert tasks.differences({"x": {"s": 1.0}}, {"x": {"s": 1.0 + 1e-12}}) == []


def test_socialops_and_pandas_digests_agree(small):
    folder, as_of = small
    mine = tasks.run_socialops(folder, as_of, ("stages", "bgnbd"), threads=1, memory_limit="1GB")
    assert set(mine) == {"stages", "bgnbd"}
    assert tasks.differences(mine, tasks.run_pandas(folder, as_of)) == []


def test_a_folder_without_events_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no events file"):
        tasks.run_pandas(tmp_path, pd.Timestamp("2026-01-01"))
