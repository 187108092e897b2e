"""Virality (裂变): share rate and K-factor over a period, their monthly trend, and the metric system of DOMAIN.md §4.

Definitions (DESIGN.md, 02), over the last `period_days` up to `as_of`:

- share rate: users with a ``share`` event ÷ users with any event;
- K-factor: users whose signup or first purchase in the period carries a ``referrer_id`` ÷ users with any event.

Both numerators are subsets of the denominator (a referred signup is itself an event in the period), so both are
binomial proportions of the period's active users and get Wilson intervals.
Periods are half-open, ``(as_of - period_days, as_of]``, so consecutive periods never share an event.
"""

from __future__ import annotations

import ibis
import pandas as pd
from ibis.expr.types import Table

from socialops.stats.intervals import wilson_interval
from socialops.stats.timeframe import cut_at, in_period, month_index, month_label, period_bounds, timestamp

INTERACTIONS: tuple[str, ...] = ("like", "comment", "share")

#: The metric system (指标体系): layer → metric ids, in display order.
METRIC_LAYERS: dict[str, tuple[str, ...]] = {
    "awareness": ("impressions", "ctr", "reached_users"),
    "conversion": ("follow_to_purchase", "first_order_conversion"),
    "retention": ("repurchase_rate", "active_users", "interactions_per_user"),
    "virality": ("share_rate", "k_factor", "referred_share_of_new"),
}


def _referred(ev: Table) -> ibis.Value:
    return (
        ev.referrer_id.notnull() & (ev.referrer_id != "")
        if "referrer_id" in ev.columns
        else ibis.literal(False)
    )


def user_period_facts(events: Table, as_of: pd.Timestamp, start: pd.Timestamp, end: pd.Timestamp) -> Table:
    """Per-user facts about the period ``(start, end]``, from the events up to ``min(end, as_of)``.

    Returns
    -------
    ibis.Table
        One row per user with an event by the period's end: ``active`` (any event in the period), ``viewed``,
        ``shared``, ``followed`` (a follow in the period), ``bought`` (a purchase in the period),
        ``follow_then_buy`` (a purchase in the period at or after a follow in it), ``repeat_buyer`` (bought in
        the period and at least twice by its end), ``acquired`` (first follow or signup ever lies in the period),
        ``acquired_then_buy`` (acquired, and a purchase by the period's end), ``newcomer`` (signup or first
        purchase in the period), ``referred`` (that signup or first purchase carries a referrer_id),
        ``interactions`` (likes, comments and shares in the period).
    """
    ev = cut_at(events, min(pd.Timestamp(end), pd.Timestamp(as_of)))
    inside = in_period(ev, start, end)
    purchase, signup = ev.event == "purchase", ev.event == "signup"
    referred = _referred(ev)
    u = ev.group_by("user_id").aggregate(
        n_in=ev.ts.count(where=inside),
        views_in=ev.ts.count(where=inside & (ev.event == "view")),
        shares_in=ev.ts.count(where=inside & (ev.event == "share")),
        interactions=ev.ts.count(where=inside & ev.event.isin(INTERACTIONS)),
        first_follow_in=ev.ts.min(where=inside & (ev.event == "follow")),
        last_buy_in=ev.ts.max(where=inside & purchase),
        purchases=ev.ts.count(where=purchase),
        first_buy=ev.ts.min(where=purchase),
        first_referred_buy=ev.ts.min(where=purchase & referred),
        first_acquisition=ev.ts.min(where=ev.event.isin(("follow", "signup"))),
        signups_in=ev.ts.count(where=inside & signup),
        referred_signups_in=ev.ts.count(where=inside & signup & referred),
    )
    lo, hi = timestamp(start), timestamp(end)
    first_buy_in = u.first_buy.notnull() & (u.first_buy > lo) & (u.first_buy <= hi)
    acquired = u.first_acquisition.notnull() & (u.first_acquisition > lo) & (u.first_acquisition <= hi)
    return u.select(
        "user_id",
        active=u.n_in > 0,
        viewed=u.views_in > 0,
        shared=u.shares_in > 0,
        followed=u.first_follow_in.notnull(),
        bought=u.last_buy_in.notnull(),
        follow_then_buy=u.first_follow_in.notnull() & (u.last_buy_in >= u.first_follow_in).fill_null(False),
        repeat_buyer=u.last_buy_in.notnull() & (u.purchases >= 2),
        acquired=acquired,
        acquired_then_buy=acquired & u.first_buy.notnull(),
        newcomer=(u.signups_in > 0) | first_buy_in,
        referred=(u.referred_signups_in > 0)
        | (first_buy_in & (u.first_referred_buy == u.first_buy).fill_null(False)),
        interactions=u.interactions,
    )


FACT_COUNTS: tuple[str, ...] = (
    "active",
    "viewed",
    "shared",
    "followed",
    "bought",
    "follow_then_buy",
    "repeat_buyer",
    "acquired",
    "acquired_then_buy",
    "newcomer",
    "referred",
)


def period_counts(
    events: Table, as_of: pd.Timestamp, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, int]:
    """Users with each fact of `user_period_facts` in ``(start, end]``, plus the period's ``interactions``."""
    facts = user_period_facts(events, as_of, start, end)
    row = facts.aggregate(
        **{name: facts.user_id.count(where=facts[name]) for name in FACT_COUNTS},
        interactions=facts.interactions.sum(),
    ).to_pandas()
    # a sum over no rows comes back as None (an object column): 0 users, 0 interactions
    return {name: int(value) if pd.notna(value) else 0 for name, value in row.iloc[0].items()}


def _rate(k: int, n: int, confidence: float) -> dict[str, float]:
    low, high = wilson_interval(k, n, confidence)
    return {"value": k / n if n else float("nan"), "ci_low": low, "ci_high": high}


def virality(
    events: Table, as_of: pd.Timestamp, period_days: int = 30, confidence: float = 0.95
) -> pd.DataFrame:
    """Share rate and K-factor over the last `period_days`, against the previous period of equal length.

    Returns
    -------
    pandas.DataFrame
        Index ``share_rate``, ``k_factor``; columns ``numerator``, ``users`` (active users), ``value``,
        ``ci_low``, ``ci_high`` and ``previous``, ``previous_ci_low``, ``previous_ci_high``, ``change``.
    """
    rows = {}
    for back, prefix in ((0, ""), (1, "previous_")):
        start, end = period_bounds(as_of, period_days, back)
        c = period_counts(events, as_of, start, end)
        for metric, k in (("share_rate", c["shared"]), ("k_factor", c["referred"])):
            rate = _rate(k, c["active"], confidence)
            row = rows.setdefault(metric, {})
            if not prefix:
                row.update(numerator=k, users=c["active"])
            row[f"{prefix}value" if prefix else "value"] = rate["value"]
            row[f"{prefix}ci_low"], row[f"{prefix}ci_high"] = rate["ci_low"], rate["ci_high"]
    out = pd.DataFrame.from_dict(rows, orient="index").rename(columns={"previous_value": "previous"})
    out["change"] = out["value"] - out["previous"]
    return out[
        [
            "numerator",
            "users",
            "value",
            "ci_low",
            "ci_high",
            "previous",
            "previous_ci_low",
            "previous_ci_high",
            "change",
        ]
    ]


def virality_trend(events: Table, as_of: pd.Timestamp, confidence: float = 0.95) -> pd.DataFrame:
    """Share rate and K-factor per calendar month up to the month of `as_of` (which may be partial).

    Returns
    -------
    pandas.DataFrame
        Index ``month`` ("YYYY-MM"): ``users``, ``sharers``, ``referred``, ``share_rate``, ``share_ci_low``,
        ``share_ci_high``, ``k_factor``, ``k_ci_low``, ``k_ci_high``.
    """
    ev = cut_at(events, as_of)
    ev = ev.mutate(month=month_index(ev.ts))
    active = ev.group_by("month").aggregate(
        users=ev.user_id.nunique(), sharers=ev.user_id.nunique(where=ev.event == "share")
    )
    referred = _referred(ev)
    first_buy = ev.filter(ev.event == "purchase").group_by("user_id").aggregate(first_buy=ev.ts.min())
    carriers = ev.filter(referred & ev.event.isin(("signup", "purchase"))).left_join(first_buy, "user_id")
    carriers = carriers.filter((carriers.event == "signup") | (carriers.ts == carriers.first_buy))
    ref = carriers.group_by("month").aggregate(referred=carriers.user_id.nunique())
    out = active.to_pandas().merge(ref.to_pandas(), on="month", how="left").fillna({"referred": 0})
    out = out.sort_values("month")
    out["referred"] = out["referred"].astype(int)
    for col, k, prefix in (("share_rate", "sharers", "share"), ("k_factor", "referred", "k")):
        stats = [_rate(int(a), int(n), confidence) for a, n in zip(out[k], out["users"], strict=True)]
        out[col] = [s["value"] for s in stats]
        out[f"{prefix}_ci_low"] = [s["ci_low"] for s in stats]
        out[f"{prefix}_ci_high"] = [s["ci_high"] for s in stats]
    out.index = pd.Index([month_label(m) for m in out.pop("month")], name="month")
    return out


#: Proportion metrics of the metric system: metric → (numerator fact, denominator fact) of `period_counts`.
RATE_METRICS: dict[str, tuple[str, str]] = {
    "follow_to_purchase": ("follow_then_buy", "followed"),
    "first_order_conversion": ("acquired_then_buy", "acquired"),
    "repurchase_rate": ("repeat_buyer", "bought"),
    "share_rate": ("shared", "active"),
    "k_factor": ("referred", "active"),
    "referred_share_of_new": ("referred", "newcomer"),
}
COUNT_METRICS: dict[str, str] = {"reached_users": "viewed", "active_users": "active"}


def _platform_awareness(platform_daily: Table, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, float]:
    """Impressions and click-through rate of the dates in ``(start, end]`` (a date counts when its day ends in it)."""
    day = platform_daily.date
    rows = platform_daily.filter((day > pd.Timestamp(start).date()) & (day <= pd.Timestamp(end).date()))
    aggs = {"impressions": rows.impressions.sum()}
    if "clicks" in rows.columns:
        aggs["clicks"] = rows.clicks.sum()
    got = rows.aggregate(**aggs).to_pandas().iloc[0].fillna(0)
    out = {"impressions": float(got["impressions"])}
    if "clicks" in got.index:
        out["ctr"] = float(got["clicks"]) / out["impressions"] if out["impressions"] else float("nan")
    return out


def _measure(
    metric: str, counts: dict[str, int], platform: dict[str, float], confidence: float
) -> tuple[str, float, float, float] | None:
    """(kind, value, ci_low, ci_high) of one metric in one period; None when its data are absent."""
    nan = float("nan")
    if metric in RATE_METRICS:
        k, n = (counts[f] for f in RATE_METRICS[metric])
        low, high = wilson_interval(k, n, confidence)
        # The K-factor is read as "newcomers per user", so it is shown as a number rather than a percentage.
        return ("factor" if metric == "k_factor" else "rate"), (k / n if n else nan), low, high
    if metric in COUNT_METRICS:
        return "count", float(counts[COUNT_METRICS[metric]]), nan, nan
    if metric == "interactions_per_user":
        return "ratio", (counts["interactions"] / counts["active"] if counts["active"] else nan), nan, nan
    if metric not in platform:
        return None
    return ("count" if metric == "impressions" else "rate"), platform[metric], nan, nan


def metric_system(
    events: Table,
    as_of: pd.Timestamp,
    period_days: int = 30,
    platform_daily: Table | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The four-layer metric system (awareness, conversion, retention, virality) as one table.

    Each metric is measured over the last `period_days` and the previous period of equal length. Awareness comes
    from `platform_daily` when given (impressions, click-through rate) and from view events (users reached).
    Proportions of users carry Wilson intervals; impression-based rates and per-user averages do not (they are
    not binomial samples of users).

    Returns
    -------
    pandas.DataFrame
        Rows in `METRIC_LAYERS` order (metrics without data left out): ``layer``, ``metric``, ``kind`` ("count",
        "rate", "factor" or "ratio"), ``value``, ``ci_low``, ``ci_high``, ``previous``, ``change`` (value − previous).
        Rates without an interval (click-through) have NaN bounds.
    """
    periods = [period_bounds(as_of, period_days, back) for back in (0, 1)]
    counts = [period_counts(events, as_of, start, end) for start, end in periods]
    platform = [
        _platform_awareness(platform_daily, start, end) if platform_daily is not None else {}
        for start, end in periods
    ]
    rows = []
    for layer, metrics in METRIC_LAYERS.items():
        for metric in metrics:
            now = _measure(metric, counts[0], platform[0], confidence)
            if now is None:
                continue
            kind, value, low, high = now
            previous = _measure(metric, counts[1], platform[1], confidence)[1]
            rows.append(
                {
                    "layer": layer,
                    "metric": metric,
                    "kind": kind,
                    "value": value,
                    "ci_low": low,
                    "ci_high": high,
                    "previous": previous,
                    "change": value - previous,
                }
            )
    return pd.DataFrame(rows)
