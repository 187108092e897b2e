"""RFM: integer scores from cume_dist with ties, the eight segments, the four tiers, against a pandas reference."""

from __future__ import annotations

import pandas as pd
import pytest

from socialops.stats import rfm
from tests import lifecycle_reference as ref

AS_OF = pd.Timestamp("2026-09-30 23:59:59")
DAY = pd.Timedelta(days=1)


def purchases(con, rows, name="events"):
    """An events table of purchases from (user_id, days before AS_OF, amount) tuples."""
    df = pd.DataFrame(rows, columns=["user_id", "days", "amount"])
    df["ts"] = AS_OF - df.pop("days") * DAY
    df["event"] = "purchase"
    return con.create_table(name, df, overwrite=True)


def scores(con, rows):
    return rfm.rfm_table(purchases(con, rows), AS_OF).to_pandas().set_index("user_id").sort_index()


def test_ties_share_a_score_and_ceil_is_exact(con):
    # Five customers, frequencies 1, 1, 2, 2, 3: cume_dist 2/5, 2/5, 4/5, 4/5, 1 → scores 2, 2, 4, 4, 5.
    rows = [("a", 1, 1.0), ("b", 2, 1.0)]
    rows += [("c", 3, 1.0), ("c", 4, 1.0), ("d", 5, 1.0), ("d", 6, 1.0)]
    rows += [("e", 7, 1.0), ("e", 8, 1.0), ("e", 9, 1.0)]
    got = scores(con, rows)
    assert got["f_score"].tolist() == [2, 2, 4, 4, 5]
    # Equal spend for a and b (1.0): both at cume_dist 2/5 → 2; a product like 5 × 0.4 must not round up to 3.
    assert got.loc[["a", "b"], "m_score"].tolist() == [2, 2]


def test_recency_is_reversed(con):
    rows = [("recent", 1, 5.0), ("middle", 50, 5.0), ("old", 100, 5.0), ("old_twin", 100, 5.0)]
    got = scores(con, rows)
    assert got.loc["recent", "r_score"] == 5
    # Ordered from oldest, 3 of 4 customers bought at or before "middle": ceil(5 × 3/4) = 4; the tied oldest
    # pair shares ceil(5 × 2/4) = 3.
    assert got.loc["middle", "r_score"] == 4
    assert got.loc["old", "r_score"] == got.loc["old_twin", "r_score"] == 3
    assert got.loc["recent", "recency_days"] == pytest.approx(1.0)


def test_all_equal_values_score_five(con):
    got = scores(con, [("a", 1, 2.0), ("b", 1, 2.0), ("c", 1, 2.0)])
    assert set(got["r_score"]) == set(got["f_score"]) == set(got["m_score"]) == {5}
    # Nobody is strictly better than the mean: all low, the general win-back segment and the low-value tier.
    assert set(got["segment"]) == {"general_winback"}
    assert set(got["tier"]) == {"low_value"}


def test_segments_and_tiers_against_the_mean(con):
    # Mean recency 41 days; mean frequency 1.5; mean spend 43.75 (means of the raw values).
    rows = [
        ("vip", 1, 60.0),
        ("vip", 2, 60.0),  # recent, 2 purchases, 120: all high
        ("promising", 3, 50.0),  # recent, once, 50 > mean: potential high value
        ("sleeper", 80, 2.5),
        ("sleeper", 80, 2.5),  # old, twice, 5: frequency only
        ("gone", 80, 5.0),  # old, once, small: all low
    ]
    got = scores(con, rows)
    assert got.loc["vip", "segment"] == "important_value" and got.loc["vip", "tier"] == "high_value"
    assert got.loc["promising", "segment"] == "important_development"
    assert got.loc["promising", "tier"] == "potential_high_value"
    assert got.loc["sleeper", "segment"] == "general_retention" and got.loc["sleeper", "tier"] == "general"
    assert got.loc["gone", "segment"] == "general_winback" and got.loc["gone", "tier"] == "low_value"


def test_non_customers_and_late_purchases_are_left_out(con):
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "c"],
            "ts": [AS_OF - DAY, AS_OF + DAY, AS_OF - DAY, AS_OF - DAY],
            "event": ["purchase", "purchase", "view", "follow"],
            "amount": [10.0, 1000.0, None, None],
        }
    )
    got = rfm.rfm_table(con.create_table("mixed", df, overwrite=True), AS_OF).to_pandas()
    assert got["user_id"].tolist() == ["a"]
    assert got["frequency"].tolist() == [1] and got["monetary"].tolist() == [10.0]


def test_summary_counts_and_revenue_shares(con):
    rows = [("vip", 1, 60.0), ("vip", 2, 60.0), ("promising", 3, 50.0), ("gone", 80, 10.0)]
    segments, tiers = rfm.rfm_summary(purchases(con, rows), AS_OF)
    assert list(segments.index) == list(rfm.SEGMENT_ORDER)
    assert list(tiers.index) == list(rfm.TIERS)
    assert segments["users"].sum() == tiers["users"].sum() == 3
    assert tiers.loc["high_value", "revenue_share"] == pytest.approx(120 / 180)
    assert segments["revenue_share"].sum() == pytest.approx(1.0)
    assert segments.loc["general_value", "users"] == 0


@pytest.mark.parametrize("seed", [1, 4])
def test_engine_matches_pandas_reference(con, seed):
    df = ref.synthetic_events(seed)
    got = rfm.rfm_table(con.create_table("synthetic", df, overwrite=True), AS_OF).to_pandas()
    got = got.set_index("user_id").sort_index()
    expected = ref.rfm(df, AS_OF).sort_index()
    assert got.index.tolist() == expected.index.tolist()
    for col in ("frequency", "r_score", "f_score", "m_score", "segment", "tier"):
        assert got[col].tolist() == expected[col].tolist(), col
    pd.testing.assert_series_equal(got["monetary"], expected["monetary"], check_names=False, rtol=1e-12)
    pd.testing.assert_series_equal(got["recency_days"], expected["recency_days"], check_names=False, rtol=1e-12)
    assert got["m_score"].duplicated().any()  # the synthetic amounts produce ties
    assert set(expected["segment"]) == set(rfm.SEGMENT_ORDER)
