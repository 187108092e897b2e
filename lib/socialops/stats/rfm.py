"""RFM for the users with a purchase: scores, the eight classic segments and the four tiers of DOMAIN.md.

Recency is the days since the last purchase, frequency the number of purchases, monetary the sum of their amounts.
Scores are ``ceil(5 × cume_dist)`` with recency reversed, so 5 is the most recent. cume_dist is written out as
"users at or below this value ÷ users" from a rank, and the ceiling taken in integers: ties then share a score on
every engine, and no floating-point product such as ``5 × 0.6`` can land just above a whole number.
"""

from __future__ import annotations

import ibis
import pandas as pd
from ibis.expr.types import Table

from socialops.stats.timeframe import cut_at, timestamp

#: (R high, F high, M high) → classic segment id; Chinese names in the message catalog.
SEGMENTS: dict[tuple[bool, bool, bool], str] = {
    (True, True, True): "important_value",
    (True, False, True): "important_development",
    (False, True, True): "important_retention",
    (False, False, True): "important_winback",
    (True, True, False): "general_value",
    (True, False, False): "general_development",
    (False, True, False): "general_retention",
    (False, False, False): "general_winback",
}
SEGMENT_ORDER: tuple[str, ...] = tuple(SEGMENTS.values())
TIERS: tuple[str, ...] = ("high_value", "potential_high_value", "general", "low_value")

SECONDS_PER_DAY = 86_400

#: Money is summed as decimals with this many places (amounts are rounded to them first).
AMOUNT_SCALE = 6


def as_money(amount):
    """An amount column as a decimal with `AMOUNT_SCALE` places, so that its sums are exact.

    A float sum depends on the order the engine adds the rows in, which differs between DuckDB and Spark, between
    thread counts and between partitionings: users with equal spend then fall a last bit apart (and out of their
    shared rank), and a likelihood fitted to the spend moves in the seventh digit. A decimal sum is exact, so it is
    the same on every engine; convert it to float64 once, after the last sum.

    Parameters
    ----------
    amount : ibis.NumericValue
        The amounts; an amount of 10^12 or more is an error.

    Returns
    -------
    ibis.DecimalValue
    """
    return amount.cast(ibis.dtype(f"decimal(18, {AMOUNT_SCALE})"))


def amount_sum(amount, where=None):
    """The exact sum of a money column (see :func:`as_money`) as float64; `where` keeps only the rows it holds for."""
    return as_money(amount).sum(where=where).cast("float64")


def _score(n, at_or_below):
    """``ceil(5 × at_or_below / n)`` in integer arithmetic."""
    return (5 * at_or_below + n - 1) // n


def rfm_table(events: Table, as_of: pd.Timestamp) -> Table:
    """Recency, frequency, monetary, their scores, segment and tier for every user with a purchase by `as_of`.

    Parameters
    ----------
    events : ibis.Table
        The ``events`` table; ``amount`` is optional (missing amounts count as 0). Rows after `as_of` are ignored.
    as_of : pandas.Timestamp
        End of the observation window; recency is measured from it.

    Returns
    -------
    ibis.Table
        One row per customer: ``user_id``, ``recency_days`` (float), ``frequency``, ``monetary``, ``r_score``,
        ``f_score``, ``m_score`` (1–5), ``r_high``, ``f_high``, ``m_high`` (strictly better than the mean of the raw
        values: more recent, more purchases, more spent), ``segment`` (a `SEGMENT_ORDER` id), ``tier`` (a `TIERS`
        id). Row-level: aggregate it on the engine.
    """
    ev = cut_at(events, as_of)
    buys = ev.filter(ev.event == "purchase")
    if "amount" not in buys.columns:
        buys = buys.mutate(amount=ibis.literal(0.0))
    amount = ibis.coalesce(buys.amount, 0.0)
    per_user = buys.group_by("user_id").aggregate(
        last_ts=buys.ts.max(),
        frequency=buys.count(),
        monetary=amount_sum(amount),
    )
    p = per_user.mutate(
        recency_days=(timestamp(as_of).epoch_seconds() - per_user.last_ts.epoch_seconds()) / SECONDS_PER_DAY,
        n=per_user.count().over(),
        # rank() is the 0-based number of users strictly above the value in descending order, so n - rank counts
        # the users at or below it: cume_dist × n. A later last purchase counts as a higher (better) recency.
        r_le=per_user.count().over() - ibis.rank().over(order_by=ibis.desc(per_user.last_ts)),
        f_le=per_user.count().over() - ibis.rank().over(order_by=ibis.desc(per_user.frequency)),
        m_le=per_user.count().over() - ibis.rank().over(order_by=ibis.desc(per_user.monetary)),
    )
    p = p.mutate(
        r_score=_score(p.n, p.r_le),
        f_score=_score(p.n, p.f_le),
        m_score=_score(p.n, p.m_le),
        r_high=p.recency_days < p.recency_days.mean().over(),
        f_high=p.frequency > p.frequency.mean().over(),
        m_high=p.monetary > p.monetary.mean().over(),
    )
    segment = ibis.cases(
        *[((p.r_high == r) & (p.f_high == f) & (p.m_high == m), s) for (r, f, m), s in SEGMENTS.items()]
    )
    tier = ibis.cases(
        (p.r_high & p.f_high & p.m_high, "high_value"),
        (p.r_high & ~p.f_high & p.m_high, "potential_high_value"),
        (~p.r_high & ~p.f_high & ~p.m_high, "low_value"),
        else_="general",
    )
    return p.select(
        "user_id",
        "recency_days",
        "frequency",
        "monetary",
        r_score=p.r_score.cast("int64"),
        f_score=p.f_score.cast("int64"),
        m_score=p.m_score.cast("int64"),
        r_high=p.r_high,
        f_high=p.f_high,
        m_high=p.m_high,
        segment=segment,
        tier=tier,
    )


def _group_summary(rfm: Table, by: str, order: tuple[str, ...]) -> pd.DataFrame:
    agg = rfm.group_by(by).aggregate(
        users=rfm.count(),
        revenue=amount_sum(rfm.monetary),
        mean_recency_days=rfm.recency_days.mean(),
        mean_frequency=rfm.frequency.mean(),
        mean_monetary=rfm.monetary.mean(),
    )
    out = agg.to_pandas().set_index(by).reindex(list(order))
    out["users"] = out["users"].fillna(0).astype(int)
    out["revenue"] = out["revenue"].fillna(0.0)
    total_users, total_revenue = out["users"].sum(), out["revenue"].sum()
    out.insert(1, "user_share", out["users"] / total_users if total_users else float("nan"))
    out.insert(3, "revenue_share", out["revenue"] / total_revenue if total_revenue else float("nan"))
    return out


def rfm_summary(events: Table, as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts and revenue of the eight RFM segments and of the four tiers.

    Returns
    -------
    segments : pandas.DataFrame
        Indexed by `SEGMENT_ORDER`: users, user_share, revenue, revenue_share, mean_recency_days, mean_frequency,
        mean_monetary (empty segments have 0 users and NaN means).
    tiers : pandas.DataFrame
        The same columns, indexed by `TIERS`.
    """
    rfm = rfm_table(events, as_of)
    return _group_summary(rfm, "segment", SEGMENT_ORDER), _group_summary(rfm, "tier", TIERS)
