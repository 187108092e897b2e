"""Cohort retention by first-purchase month, and the repurchase rate.

A customer's cohort is the calendar month of their first purchase. Retention at month k is the share of the
cohort that purchases again in the k-th calendar month after it (month 0 is the cohort month itself, so 1.0).
Months after the one holding `as_of` are not observed and are left out; the month of `as_of` may be partial.
"""

from __future__ import annotations

import pandas as pd
from ibis.expr.types import Table

from socialops.stats.intervals import wilson_interval
from socialops.stats.timeframe import cut_at, month_index, month_label


def cohort_table(events: Table, as_of: pd.Timestamp) -> pd.DataFrame:
    """Customers of each first-purchase cohort who purchase in each later month.

    Parameters
    ----------
    events : ibis.Table
        The ``events`` table; only ``purchase`` rows up to `as_of` count.
    as_of : pandas.Timestamp
        End of the observation window.

    Returns
    -------
    pandas.DataFrame
        Index ``cohort`` ("YYYY-MM"), columns ``size`` then months since the cohort 0, 1, …; cells are the share of
        the cohort purchasing in that month (NaN where the month lies after `as_of`).
    """
    ev = cut_at(events, as_of)
    buys = ev.filter(ev.event == "purchase")
    buys = buys.select("user_id", month=month_index(buys.ts))
    first = buys.group_by("user_id").aggregate(cohort=buys.month.min())
    joined = buys.join(first, "user_id")
    joined = joined.mutate(offset=joined.month - joined.cohort)
    counts = joined.group_by(["cohort", "offset"]).aggregate(users=joined.user_id.nunique()).to_pandas()
    if counts.empty:
        return pd.DataFrame(columns=["size"]).rename_axis("cohort")
    stamp = pd.Timestamp(as_of)
    last_month = stamp.year * 12 + stamp.month - 1
    grid = counts.pivot_table(index="cohort", columns="offset", values="users", aggfunc="sum")
    cohorts = sorted(grid.index)
    span = last_month - min(cohorts) + 1
    grid = grid.reindex(index=cohorts, columns=range(span)).fillna(0)
    sizes = grid[0]
    rates = grid.div(sizes, axis=0)
    for cohort in cohorts:
        rates.loc[cohort, [k for k in range(span) if cohort + k > last_month]] = float("nan")
    rates.columns = [int(c) for c in rates.columns]
    rates.insert(0, "size", sizes.astype(int))
    rates.index = pd.Index([month_label(c) for c in cohorts], name="cohort")
    return rates


def cohort_retention(table: pd.DataFrame) -> dict[str, list[float]]:
    """The results-contract form of a `cohort_table`: {"YYYY-MM": [rate at month 0, 1, …]} (observed months only)."""
    months = table.drop(columns="size")
    return {cohort: [float(v) for v in row.dropna()] for cohort, row in months.iterrows()}


def repurchase_rate(events: Table, as_of: pd.Timestamp, confidence: float = 0.95) -> dict[str, float]:
    """Share of customers who bought more than once by `as_of` (复购率), with a Wilson interval.

    Returns
    -------
    dict
        ``customers``, ``repeat_customers``, ``rate``, ``ci_low``, ``ci_high``.
    """
    ev = cut_at(events, as_of)
    buys = ev.filter(ev.event == "purchase")
    per_user = buys.group_by("user_id").aggregate(purchases=buys.count())
    agg = per_user.aggregate(
        customers=per_user.count(), repeat_customers=per_user.count(where=per_user.purchases > 1)
    ).to_pandas()
    n, k = int(agg["customers"].iloc[0]), int(agg["repeat_customers"].iloc[0])
    low, high = wilson_interval(k, n, confidence)
    return {
        "customers": n,
        "repeat_customers": k,
        "rate": k / n if n else float("nan"),
        "ci_low": low,
        "ci_high": high,
    }


def next_month_rate(table: pd.DataFrame) -> float:
    """Share of customers who buy again in the month after their first purchase, over the cohorts observed then.

    Each cohort weighs by its size, so this is the share of all those customers rather than a mean of cohort
    rates. NaN when no cohort's next month has been observed yet.

    Parameters
    ----------
    table : pandas.DataFrame
        A table from `cohort_table`.
    """
    if 1 not in table.columns:
        return float("nan")
    seen = table[1].notna()
    customers = table.loc[seen, "size"].sum()
    if not customers:
        return float("nan")
    return float((table.loc[seen, 1] * table.loc[seen, "size"]).sum() / customers)
