"""Share rate, K-factor, their monthly trend, and the metric system."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialops.lifecycle import virality
from socialops.stats.timeframe import period_bounds
from tests import lifecycle_reference as ref

AS_OF = pd.Timestamp("2026-09-30 23:59:59")
DAY = pd.Timedelta(days=1)
SECOND = pd.Timedelta(seconds=1)




# Ten users active in the last 30 days; three referred arrivals by referrer_id, one referral event.
ROWS = [
    ("s1", AS_OF - DAY, "share"),
    ("s2", AS_OF - 29 * DAY, "share"),
    ("r_signup", AS_OF - 2 * DAY, "signup", None, "s1"),
    ("r_buy", AS_OF - 3 * DAY, "purchase", 9.9, "s2"),
    ("r_second_buy", AS_OF - 60 * DAY, "purchase", 9.9),
    ("r_second_buy", AS_OF - 3 * DAY, "purchase", 9.9, "s1"),  # not the first purchase: no credit
    ("refers", AS_OF - 4 * DAY, "referral"),  # a referral event alone is not a referred arrival
    ("edge_in", AS_OF - 30 * DAY + SECOND, "signup", None, "s1"),
    ("edge_out", AS_OF - 30 * DAY, "signup", None, "s1"),  # the period is (as_of - 30 days, as_of]
    ("edge_out", AS_OF - DAY, "view"),
    ("v1", AS_OF - DAY, "view"),
    ("v2", AS_OF - 5 * DAY, "like"),
    ("late", AS_OF + SECOND, "share"),  # after as_of: ignored
    ("old", AS_OF - 45 * DAY, "share"),
]


def test_share_rate_and_k_factor(con):
    got = virality.virality(ref.events_table(con, ROWS), AS_OF, period_days=30)
    share, k = got.loc["share_rate"], got.loc["k_factor"]
    assert share["users"] == 10
    assert share["numerator"] == 2 and share["value"] == pytest.approx(0.2)
    assert k["numerator"] == 3 and k["value"] == pytest.approx(0.3)
    # Previous period (as_of - 60, as_of - 30]: old shared and edge_out signed up referred; r_second_buy's
    # purchase lies exactly 60 days back, just outside.
    assert share["previous"] == pytest.approx(1 / 2)
    assert k["previous"] == pytest.approx(1 / 2)
    assert share["ci_low"] < 0.2 < share["ci_high"]


def test_share_rate_interval_is_wilson(con):
    got = virality.virality(ref.events_table(con, ROWS), AS_OF).loc["share_rate"]
    z, n, p = 1.959963984540054, 10, 0.2
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert got["ci_low"] == pytest.approx(centre - half, rel=1e-9)
    assert got["ci_high"] == pytest.approx(centre + half, rel=1e-9)


def test_no_referrer_column_means_zero_k(con):
    df = pd.DataFrame({"user_id": ["a", "b"], "ts": [AS_OF - DAY] * 2, "event": ["signup", "share"]})
    got = virality.virality(con.create_table("bare", df, overwrite=True), AS_OF)
    assert got.loc["k_factor", "value"] == 0.0 and got.loc["share_rate", "value"] == 0.5


def test_monthly_trend(con):
    trend = virality.virality_trend(ref.events_table(con, ROWS), AS_OF)
    assert trend.index.tolist() == ["2026-08", "2026-09"]
    # edge_out signed up at 2026-08-31 23:59:59 (August), edge_in one second later (September).
    sep, aug = trend.loc["2026-09"], trend.loc["2026-08"]
    assert (sep["users"], sep["sharers"], sep["referred"]) == (10, 2, 3)
    assert (aug["users"], aug["sharers"], aug["referred"]) == (3, 1, 1)
    assert sep["k_factor"] == pytest.approx(0.3)
    assert (trend["share_ci_low"] <= trend["share_rate"]).all() and (trend["k_ci_high"] >= trend["k_factor"]).all()


def test_metric_system_layers(con):
    rows = [
        *ROWS,
        ("fan", AS_OF - 10 * DAY, "follow"),
        ("fan", AS_OF - 9 * DAY, "purchase", 5.0),
        ("fan2", AS_OF - 10 * DAY, "follow"),
    ]
    daily = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-08-31", "2026-09-01", "2026-09-30"]).date,
            "platform": "wechat",
            "impressions": [1000, 200, 300],
            "clicks": [10, 4, 6],
        }
    )
    got = virality.metric_system(
        ref.events_table(con, rows), AS_OF, platform_daily=con.create_table("platform_daily", daily, overwrite=True)
    ).set_index("metric")
    assert list(got["layer"].unique()) == list(virality.METRIC_LAYERS)
    assert got.loc["impressions", "value"] == 500 and got.loc["impressions", "previous"] == 1000
    assert got.loc["ctr", "value"] == pytest.approx(0.02)
    assert got.loc["follow_to_purchase", "value"] == 0.5  # fan bought after following, fan2 did not
    assert got.loc["share_rate", "value"] == pytest.approx(2 / 12)
    assert got.loc["k_factor", "value"] == pytest.approx(3 / 12)
    assert got.loc["active_users", "value"] == 12
    # Newcomers (signup or first purchase in the period): r_signup, r_buy, edge_in, fan → 3 referred of 4.
    assert got.loc["referred_share_of_new", "value"] == pytest.approx(0.75)
    assert got.loc["repurchase_rate", "value"] == pytest.approx(1 / 3)  # r_second_buy of r_buy, fan
    assert np.isnan(got.loc["ctr", "ci_low"]) and got.loc["k_factor", "ci_low"] < 0.25
    assert got.loc["k_factor", "kind"] == "factor" and got.loc["share_rate", "kind"] == "rate"


def test_metric_system_without_platform_daily(con):
    got = virality.metric_system(ref.events_table(con, ROWS), AS_OF)
    assert "impressions" not in set(got["metric"]) and "reached_users" in set(got["metric"])


@pytest.mark.parametrize("seed", [1, 6])
def test_engine_matches_pandas_reference(con, seed):
    df = ref.synthetic_events(seed)
    t = con.create_table("synthetic", df, overwrite=True)
    got = virality.virality(t, AS_OF)
    k, share = ref.k_factor_and_share_rate(df, AS_OF)
    assert got.loc["k_factor", "value"] == pytest.approx(k, rel=1e-12) and k > 0
    assert got.loc["share_rate", "value"] == pytest.approx(share, rel=1e-12)
    counts = virality.period_counts(t, AS_OF, *period_bounds(AS_OF, 30))
    assert counts["active"] == got.loc["k_factor", "users"]
