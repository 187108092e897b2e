"""Plain-pandas reference implementations of the lifecycle definitions, written independently of the Ibis code.

They follow DESIGN.md ("Definitions behind the numbers", 02) line by line, loop-and-filter style, so that the
engine results can be checked against a second reading of the same rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STAGES = ("potential", "new", "active", "loyal", "churned")


def stages(df: pd.DataFrame, as_of, churn_days=90, loyal_min_purchases=3, loyal_window_days=180) -> pd.Series:
    """Stage per user_id."""
    as_of = pd.Timestamp(as_of)
    df = df[df["ts"] <= as_of]
    recent = df[df["ts"] >= as_of - pd.Timedelta(days=loyal_window_days)]
    credited = set()
    if "referrer_id" in df.columns:
        ref = recent[recent["referrer_id"].notna() & (recent["referrer_id"] != "")]
        credited = set(ref.loc[ref["referrer_id"] != ref["user_id"], "referrer_id"])
    users = df.groupby("user_id")
    last = users["ts"].max()
    kinds = users["event"].agg(set)
    recent_buys = recent[recent["event"] == "purchase"].groupby("user_id").size()
    referrers = set(recent.loc[recent["event"] == "referral", "user_id"])
    out = {}
    for user in last.index:
        if as_of - last[user] > pd.Timedelta(days=churn_days):
            out[user] = "churned"
        elif not kinds[user] & {"purchase", "follow", "signup"}:
            out[user] = "potential"
        elif "purchase" not in kinds[user]:
            out[user] = "new"
        elif recent_buys.get(user, 0) >= loyal_min_purchases or user in referrers or user in credited:
            out[user] = "loyal"
        else:
            out[user] = "active"
    return pd.Series(out, name="stage").sort_index()


def _score(values: pd.Series) -> pd.Series:
    """ceil(5 × cume_dist) with exact integers: cume_dist = share of values at or below (rank method "max")."""
    at_or_below = values.rank(method="max").astype(int)
    n = len(values)
    return -((-5 * at_or_below) // n)


def rfm(df: pd.DataFrame, as_of) -> pd.DataFrame:
    """RFM values, scores, segment and tier per customer."""
    as_of = pd.Timestamp(as_of)
    buys = df[(df["ts"] <= as_of) & (df["event"] == "purchase")].copy()
    buys["amount"] = buys["amount"].fillna(0.0) if "amount" in buys else 0.0
    g = buys.groupby("user_id")
    out = pd.DataFrame(
        {
            "last": g["ts"].max(),
            "frequency": g.size(),
            "monetary": g["amount"].sum(),
        }
    )
    out["recency_days"] = (as_of - out["last"]).dt.total_seconds() / 86400
    out["r_score"] = _score(out["last"])
    out["f_score"] = _score(out["frequency"])
    out["m_score"] = _score(out["monetary"])
    r = out["recency_days"] < out["recency_days"].mean()
    f = out["frequency"] > out["frequency"].mean()
    m = out["monetary"] > out["monetary"].mean()
    names = {
        "重要价值": "important_value",
        "重要发展": "important_development",
        "重要保持": "important_retention",
        "重要挽留": "important_winback",
        "一般价值": "general_value",
        "一般发展": "general_development",
        "一般保持": "general_retention",
        "一般挽留": "general_winback",
    }
    zh = np.where(m, "重要", "一般")
    kind = np.select([r & f, r & ~f, ~r & f], ["价值", "发展", "保持"], default="挽留")
    out["segment"] = [names[a + b] for a, b in zip(zh, kind, strict=True)]
    out["tier"] = np.select(
        [r & f & m, r & ~f & m, ~r & ~f & ~m], ["high_value", "potential_high_value", "low_value"], "general"
    )
    return out


def cohort_retention(df: pd.DataFrame, as_of) -> dict[str, list[float]]:
    """{first-purchase month: [share of the cohort buying in month 0, 1, ...]} up to the month of as_of."""
    as_of = pd.Timestamp(as_of)
    buys = df[(df["ts"] <= as_of) & (df["event"] == "purchase")].copy()
    buys["month"] = buys["ts"].dt.to_period("M")
    first = buys.groupby("user_id")["month"].min()
    last = as_of.to_period("M")
    out = {}
    for cohort in sorted(first.unique()):
        members = set(first[first == cohort].index)
        rates = []
        month = cohort
        while month <= last:
            buyers = set(buys.loc[buys["month"] == month, "user_id"]) & members
            rates.append(len(buyers) / len(members))
            month += 1
        out[str(cohort)] = rates
    return out


def k_factor_and_share_rate(df: pd.DataFrame, as_of, period_days=30) -> tuple[float, float]:
    """(K-factor, share rate) over the period (as_of - period_days, as_of]."""
    as_of = pd.Timestamp(as_of)
    df = df[df["ts"] <= as_of]
    start = as_of - pd.Timedelta(days=period_days)
    period = df[df["ts"] > start]
    active = period["user_id"].nunique()
    sharers = period.loc[period["event"] == "share", "user_id"].nunique()
    first_buy = df[df["event"] == "purchase"].groupby("user_id")["ts"].min()
    referred = set()
    has_ref = period["referrer_id"].notna() & (period["referrer_id"] != "")
    for row in period[has_ref].itertuples():
        if row.event == "signup" or (row.event == "purchase" and row.ts == first_buy[row.user_id]):
            referred.add(row.user_id)
    return len(referred) / active, sharers / active


def synthetic_events(seed: int = 1, users: int = 400, as_of="2026-09-30 23:59:59") -> pd.DataFrame:
    """Random events over a year before `as_of`, coarse enough to make ties (whole hours, few amounts).

    Some timestamps sit exactly on the 90- and 180-day edges and a few lie after `as_of`, so the comparisons
    exercise the boundaries too.
    """
    rng = np.random.default_rng(seed)
    as_of = pd.Timestamp(as_of)
    kinds = ["view", "like", "comment", "share", "follow", "unfollow", "signup", "purchase", "referral"]
    weights = np.array([30, 12, 5, 6, 4, 1, 3, 10, 1], dtype=float)
    rows = []
    for i in range(users):
        user = f"u{i:04d}"
        n = int(rng.integers(1, 15))
        hours = rng.integers(-24 * 360, 24 * 3, size=n)  # a few land after as_of
        for h, kind in zip(hours, rng.choice(kinds, size=n, p=weights / weights.sum()), strict=True):
            ts = as_of.floor("h") + pd.Timedelta(hours=int(h))
            amount = float(rng.choice([9.9, 19.9, 49.0, 99.0])) if kind == "purchase" else np.nan
            referrer = None
            if kind in ("signup", "purchase") and rng.random() < 0.3:
                referrer = f"u{int(rng.integers(0, users)):04d}"
            rows.append((user, ts, kind, amount, referrer))
    for extra in (0, 1):  # last event exactly 90 days old, and one second older
        rows.append((f"edge90_{extra}", as_of - pd.Timedelta(days=90, seconds=extra), "follow", np.nan, None))
    for extra in (0, 1):  # the third purchase exactly on the 180-day edge, and one second before it
        user = f"edge180_{extra}"
        rows.append((user, as_of - pd.Timedelta(days=180, seconds=extra), "purchase", 19.9, None))
        rows.append((user, as_of - pd.Timedelta(days=1), "purchase", 19.9, None))
        rows.append((user, as_of - pd.Timedelta(days=2), "purchase", 19.9, None))
    df = pd.DataFrame(rows, columns=["user_id", "ts", "event", "amount", "referrer_id"])
    return df.sort_values(["ts", "user_id"]).reset_index(drop=True)


def events_table(con, rows, name="events"):
    """An events table on ``con`` from (user_id, ts, event[, amount[, referrer_id]]) tuples."""
    full = [tuple(r) + (None,) * (5 - len(r)) for r in rows]
    df = pd.DataFrame(full, columns=["user_id", "ts", "event", "amount", "referrer_id"])
    df["ts"] = pd.to_datetime(df["ts"])
    df["amount"] = df["amount"].astype(float)
    df["referrer_id"] = df["referrer_id"].astype("string")
    return con.create_table(name, df, overwrite=True)
