"""The benchmark's baseline: the pandas code an analyst would write for its four outputs.

It loads the whole ``events`` file into one DataFrame and works with groupby, merge and rank, following the
definitions of DESIGN.md (02 lifecycle stages and RFM, cohort retention, 04 BG/NBD summary) so that its numbers
equal those of the library; `tests/bench/test_baseline.py` checks that they do. socialops is timed against it.
Written by hand on purpose: it *is* the thing being compared, so it must stay plain pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socialops.stats.rfm import AMOUNT_SCALE, SEGMENTS


def read_events(path) -> pd.DataFrame:
    """The whole events file as one DataFrame (what ``pd.read_parquet`` or ``pd.read_csv`` gives)."""
    return pd.read_parquet(path) if str(path).endswith(".parquet") else pd.read_csv(path, dtype={"user_id": str})


def user_stages(
    ev: pd.DataFrame,
    as_of: pd.Timestamp,
    churn_days: int = 90,
    loyal_min_purchases: int = 3,
    loyal_window_days: int = 180,
) -> pd.DataFrame:
    """The lifecycle stage of every user with an event up to `as_of`: columns user_id, stage."""
    ev = ev[ev["ts"] <= as_of]
    window_start = as_of - pd.Timedelta(days=loyal_window_days)
    buy = ev["event"] == "purchase"
    in_window = ev["ts"] >= window_start
    g = ev.assign(
        purchase=buy,
        acquisition=ev["event"].isin(["follow", "signup"]),
        window_purchase=buy & in_window,
        window_referral=(ev["event"] == "referral") & in_window,
    ).groupby("user_id")
    users = pd.DataFrame(
        {
            "last_ts": g["ts"].max(),
            "purchases": g["purchase"].sum(),
            "acquisitions": g["acquisition"].sum(),
            "window_purchases": g["window_purchase"].sum(),
            "window_referrals": g["window_referral"].sum(),
        }
    )
    ref = ev["referrer_id"]
    credited = ev[ref.notna() & (ref != "") & (ref != ev["user_id"]) & in_window]
    users["referred"] = credited.groupby("referrer_id").size().reindex(users.index, fill_value=0)
    stage = np.select(
        [
            users["last_ts"] < as_of - pd.Timedelta(days=churn_days),
            (users["purchases"] == 0) & (users["acquisitions"] == 0),
            users["purchases"] == 0,
            (users["window_purchases"] >= loyal_min_purchases)
            | (users["window_referrals"] > 0)
            | (users["referred"] > 0),
        ],
        ["churned", "potential", "new", "loyal"],
        default="active",
    )
    return pd.DataFrame({"user_id": users.index, "stage": stage})


def rfm_scores(ev: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """RFM of every customer: user_id, recency_days, frequency, monetary, r/f/m scores, segment, tier."""
    buys = ev[(ev["ts"] <= as_of) & (ev["event"] == "purchase")]
    users = buys.groupby("user_id").agg(last_ts=("ts", "max"), frequency=("ts", "size"), monetary=("amount", "sum"))
    # the library sums money exactly (as decimals, socialops.stats.rfm.as_money); rounding the float sum to the same
    # places gives the same numbers, so that users with equal spend tie here too
    users["monetary"] = users["monetary"].round(AMOUNT_SCALE)
    users["recency_days"] = (as_of - users["last_ts"]).dt.total_seconds() / 86_400
    n = len(users)
    # ceil(5 x cume_dist) with cume_dist = (users at or below) / n, in integers; a later purchase ranks higher
    for score, column in (("r_score", "last_ts"), ("f_score", "frequency"), ("m_score", "monetary")):
        at_or_below = users[column].rank(method="max").astype("int64")
        users[score] = (5 * at_or_below + n - 1) // n
    r_high = users["recency_days"] < users["recency_days"].mean()
    f_high = users["frequency"] > users["frequency"].mean()
    m_high = users["monetary"] > users["monetary"].mean()
    users["segment"] = [SEGMENTS[key] for key in zip(r_high, f_high, m_high, strict=True)]
    users["tier"] = np.select(
        [r_high & f_high & m_high, r_high & ~f_high & m_high, ~r_high & ~f_high & ~m_high],
        ["high_value", "potential_high_value", "low_value"],
        default="general",
    )
    return users.reset_index()[
        ["user_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "segment", "tier"]
    ]


def cohort_table(ev: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Retention by first-purchase month: index cohort "YYYY-MM", columns size, 0, 1, … (NaN after `as_of`)."""
    buys = ev[(ev["ts"] <= as_of) & (ev["event"] == "purchase")][["user_id", "ts"]]
    month = buys["ts"].dt.year * 12 + buys["ts"].dt.month - 1
    buys = buys.assign(month=month, cohort=month.groupby(buys["user_id"]).transform("min"))
    buys["offset"] = buys["month"] - buys["cohort"]
    grid = buys.groupby(["cohort", "offset"])["user_id"].nunique().unstack(fill_value=0)
    last_month = as_of.year * 12 + as_of.month - 1
    span = last_month - grid.index.min() + 1
    grid = grid.reindex(columns=range(span), fill_value=0)
    rates = grid.div(grid[0], axis=0).astype(float)
    for cohort in grid.index:
        rates.loc[cohort, [k for k in range(span) if cohort + k > last_month]] = np.nan
    rates.insert(0, "size", grid[0])
    rates.index = pd.Index([f"{c // 12:04d}-{c % 12 + 1:02d}" for c in grid.index], name="cohort")
    return rates


def bgnbd_summary(ev: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """BG/NBD inputs of every customer in days: user_id, frequency (repeat purchase days), recency, T."""
    buys = ev[(ev["ts"] <= as_of) & (ev["event"] == "purchase")]
    days = buys.assign(day=buys["ts"].dt.floor("D")).groupby("user_id")["day"]
    out = pd.DataFrame(
        {
            "frequency": days.nunique() - 1,
            "recency": (days.max() - days.min()).dt.days.astype(float),
            "T": (as_of.normalize() - days.min()).dt.days.astype(float),
        }
    )
    return out.reset_index()
