"""Engine aggregation of the `experiment` table: per-day moments and per-segment counts against pandas."""

import ibis
import numpy as np
import pandas as pd

from socialops.ab_testing.aggregate import MOMENT_COLUMNS, daily_moments, segment_counts


def test_daily_moments_match_pandas(table, frame):
    m = daily_moments(table)
    ref = frame.assign(day=frame.assigned_at.dt.normalize()).groupby(["experiment_id", "variant", "day"])
    got = m.set_index(["experiment_id", "variant", "day"]).sort_index()
    assert got["n"].tolist() == ref.size().sort_index().tolist()
    assert got["conversions"].tolist() == ref["converted"].sum().sort_index().tolist()
    np.testing.assert_allclose(got["sum_cxy"], (frame.value * frame.pre_value).groupby(
        [frame.experiment_id, frame.variant, frame.assigned_at.dt.normalize()]).sum().sort_index(), rtol=1e-12)


def test_daily_moments_of_a_minimal_table_by_hand():
    rows = pd.DataFrame({"experiment_id": ["e", "e", "e"], "unit_id": ["1", "2", "3"],
                         "variant": ["a", "b", "b"], "converted": [1, 0, 1]})
    m = daily_moments(ibis.memtable(rows))
    assert m[["variant", "n", "conversions"]].values.tolist() == [["a", 1, 1], ["b", 2, 1]]
    assert m["day"].isna().all()  # no assigned_at: a single look
    assert (m[[c for c in MOMENT_COLUMNS if c not in ("n", "conversions")]] == 0).all().all()


def test_cuped_moments_use_only_units_with_both_values():
    rows = pd.DataFrame({"experiment_id": ["e"] * 3, "unit_id": ["1", "2", "3"], "variant": ["a"] * 3,
                         "converted": [0, 0, 1], "value": [2.0, 3.0, None], "pre_value": [1.0, None, 4.0]})
    m = daily_moments(ibis.memtable(rows)).iloc[0]
    assert (m.n_value, m.sum_y, m.sum_y2) == (2, 5.0, 13.0)
    assert (m.n_cuped, m.sum_cx, m.sum_cy, m.sum_cxy) == (1, 1.0, 2.0, 2.0)


def test_segment_counts_group_missing_segments():
    rows = pd.DataFrame({"experiment_id": ["e"] * 4, "unit_id": list("1234"), "variant": ["a", "a", "b", "b"],
                         "converted": [1, 0, 1, 1], "platform": ["weibo", None, "weibo", "weibo"]})
    counts = segment_counts(ibis.memtable(rows), "platform")
    assert counts.values.tolist() == [["e", "(none)", "a", 1, 0], ["e", "weibo", "a", 1, 1],
                                      ["e", "weibo", "b", 2, 2]]
