"""Per-customer summaries of the events on the engine: the inputs of the churn and purchase models (04).

Kept apart from `socialops.churn.analysis` so that a caller needing only these summaries (the benchmark, an export)
does not load the model libraries (scipy, statsmodels) that churn imports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import ibis
import pandas as pd
from ibis.expr.types import Table

from socialops.stats.rfm import SECONDS_PER_DAY, as_money, rfm_table
from socialops.stats.timeframe import cut_at, timestamp

#: Length of one time unit in days.
TIME_UNITS = {"day": 1.0, "week": 7.0}


def unit_days(time_unit: str) -> float:
    """Days in one `time_unit` ("day" or "week")."""
    if time_unit not in TIME_UNITS:
        raise ValueError(f"time_unit must be one of {sorted(TIME_UNITS)}, not {time_unit!r}")
    return TIME_UNITS[time_unit]


def _days_between(later, earlier):
    return (later.epoch_seconds() - earlier.epoch_seconds()) / SECONDS_PER_DAY


def left_join_users(left: Table, right: Table) -> Table:
    """Left join on user_id keeping one user_id column (chained joins would otherwise collide)."""
    joined = left.left_join(right, "user_id")
    return joined.select(*[left[c] for c in left.columns], *[right[c] for c in right.columns if c != "user_id"])


def _first_platform(ev: Table) -> Table:
    """``user_id`` and the ``platform`` of the user's first event; of several at that instant, the first by name.

    ``platform.argmin(ts)`` would pick any of the tied rows, and DuckDB and Spark pick differently (as do two runs
    on more threads), so a user whose first instant spans two platforms would change segment with the engine.
    """
    firsts = ev.group_by(["user_id", "platform"]).aggregate(first_ts=ev.ts.min())
    # the window goes into its own column first: a window inside a filter compiles to SQL that Spark rejects
    firsts = firsts.mutate(user_first_ts=firsts.first_ts.min().over(group_by=firsts.user_id))
    firsts = firsts.filter(firsts.first_ts == firsts.user_first_ts)
    return firsts.group_by("user_id").aggregate(platform=firsts.platform.min())


def _bgnbd_columns(purchase_days, first_day, last_day, as_of: pd.Timestamp, unit: float) -> dict:
    """Return the BG/NBD inputs of a customer from the distinct purchase days, in units of `unit` days.

    These are frequency (repeat purchase days), recency (first to last purchase day) and T (first purchase day to
    the day of `as_of`).
    """
    today = timestamp(pd.Timestamp(as_of).normalize())
    return {
        "frequency": purchase_days - 1,
        "recency": _days_between(last_day, first_day) / unit,
        "T": _days_between(today, first_day) / unit,
    }


def customer_table(
    events: Table, as_of: pd.Timestamp, *, churn_days: int = 90, time_unit: str = "day", first_days: int = 30
) -> Table:
    """One row per customer (a user with a purchase by `as_of`), as an Ibis expression.

    Parameters
    ----------
    events : ibis.Table
        The ``events`` table: user_id, ts, event; optional amount, platform, referrer_id. Rows after `as_of`
        are ignored.
    as_of : pandas.Timestamp
        End of the observation window.
    churn_days : int
        A customer has churned when their last event of any kind is more than this many days before `as_of`.
    time_unit : str
        Unit of ``recency`` and ``T``: "day" or "week".
    first_days : int
        Length of the early window (after the first purchase) behind the Cox features.

    Returns
    -------
    ibis.Table
        Columns ``user_id``, ``first_purchase_ts``, ``last_ts``, ``churned`` (0/1), ``duration_days`` (to the
        last activity if churned, else to `as_of`), ``frequency`` (repeat purchase days), ``recency``, ``T``,
        ``purchases`` (purchase events), ``total_spend``, ``mean_repeat_spend`` (null without repeat days),
        ``days_since_purchase``, ``referred`` (0/1), ``platform`` (of the first event; "unknown" without the
        column), ``purchase_days_first``, ``spend_first``, ``interactions_first`` (non-purchase events in the
        first `first_days` days), ``tier`` (RFM tier as of `as_of`).
    """
    unit = unit_days(time_unit)
    ev = cut_at(events, as_of)
    cols = set(ev.columns)
    if "amount" not in cols:
        ev = ev.mutate(amount=ibis.literal(0.0))
    # spend is summed as decimals, exactly: a float sum would differ in its last bits between engines, and the
    # Gamma-Gamma fit on the mean repeat spend would turn that into differences in the seventh digit
    ev = ev.mutate(amount=as_money(ibis.coalesce(ev.amount.cast("float64"), 0.0)), day=ev.ts.truncate("D"))
    now = timestamp(as_of)
    today = timestamp(pd.Timestamp(as_of).normalize())

    buys = ev.filter(ev.event == "purchase")
    daily = buys.group_by(["user_id", "day"]).aggregate(spend=buys.amount.sum(), n=buys.count())
    cust = daily.group_by("user_id").aggregate(
        first_day=daily.day.min(),
        last_day=daily.day.max(),
        purchase_days=daily.count(),
        purchases=daily.n.sum(),
        total_spend=daily.spend.sum(),
        first_day_spend=daily.spend.argmin(daily.day),
    )
    first_buy = buys.group_by("user_id").aggregate(first_purchase_ts=buys.ts.min())

    activity_aggs = {"last_ts": ev.ts.max()}
    if "referrer_id" in cols:
        has_ref = ev.referrer_id.notnull() & (ev.referrer_id != "") & (ev.referrer_id != ev.user_id)
        activity_aggs["referred"] = has_ref.cast("int64").max()
    activity = ev.group_by("user_id").aggregate(**activity_aggs)
    if "platform" in cols:
        activity = activity.inner_join(_first_platform(ev), "user_id")

    base = cust.inner_join(first_buy, "user_id").inner_join(activity, "user_id")
    # early behaviour: events in [first purchase, first purchase + first_days)
    early = ev.inner_join(first_buy, "user_id")
    early = early.filter(
        (early.ts >= early.first_purchase_ts) & (early.ts < early.first_purchase_ts + ibis.interval(days=first_days))
    )
    is_buy = early.event == "purchase"
    early = early.group_by("user_id").aggregate(
        purchase_days_first=early.day.nunique(where=is_buy),
        spend_first=early.amount.sum(where=is_buy),
        interactions_first=early.count(where=~is_buy),
    )
    tiers = rfm_table(events, as_of).select("user_id", "tier")
    b = left_join_users(left_join_users(base, early), tiers)

    churned = b.last_ts < now - ibis.interval(days=churn_days)
    frequency = b.purchase_days - 1
    return b.select(
        "user_id",
        "first_purchase_ts",
        "last_ts",
        churned=churned.cast("int64"),
        duration_days=ibis.cases(
            (churned, _days_between(b.last_ts, b.first_purchase_ts)),
            else_=_days_between(now, b.first_purchase_ts),
        ),
        **_bgnbd_columns(b.purchase_days, b.first_day, b.last_day, as_of, unit),
        purchases=b.purchases,
        total_spend=b.total_spend.cast("float64"),
        mean_repeat_spend=ibis.cases(
            (frequency > 0, (b.total_spend - b.first_day_spend).cast("float64") / frequency.cast("float64")),
            else_=ibis.null(),
        ).cast("float64"),
        days_since_purchase=_days_between(today, b.last_day),
        referred=ibis.coalesce(b["referred"], 0) if "referred" in b.columns else ibis.literal(0, "int64"),
        platform=ibis.coalesce(b["platform"], "unknown") if "platform" in b.columns else ibis.literal("unknown"),
        purchase_days_first=ibis.coalesce(b.purchase_days_first, 0),
        spend_first=ibis.coalesce(b.spend_first.cast("float64"), 0.0),
        interactions_first=ibis.coalesce(b.interactions_first, 0),
        tier=ibis.coalesce(b.tier, "general"),
    )


def bgnbd_summary(events: Table, as_of: pd.Timestamp, *, time_unit: str = "day") -> Table:
    """The BG/NBD inputs of every customer, in one pass over the purchases.

    Parameters
    ----------
    events : ibis.Table
        The events table.
    as_of : pandas.Timestamp
        End of the observation window; later events are ignored.
    time_unit : str
        ``day`` or ``week``.

    Returns
    -------
    ibis.Table
        ``user_id``, ``frequency`` (repeat purchases on distinct days), ``recency`` (first to last purchase day)
        and ``T`` (first purchase day to the day of ``as_of``), as in :func:`customer_table`, which also needs the
        other events and so reads the table several times.
    """
    unit = unit_days(time_unit)
    buys = cut_at(events, as_of)
    buys = buys.filter(buys.event == "purchase")
    days = buys.select("user_id", day=buys.ts.truncate("D")).distinct()
    per_user = days.group_by("user_id").aggregate(first_day=days.day.min(), last_day=days.day.max(), n=days.count())
    return per_user.select(
        "user_id", **_bgnbd_columns(per_user.n, per_user.first_day, per_user.last_day, as_of, unit)
    )


def customer_summary(
    events: Table, as_of: pd.Timestamp, *, churn_days: int = 90, time_unit: str = "day", first_days: int = 30
) -> pd.DataFrame:
    """The per-customer summary of :func:`customer_table`, executed, as pandas (one row per customer).

    For looking at customers one by one (the course's exercises); the chapter's models read the counted inputs of
    :func:`customer_inputs` instead, so that one row per customer does not leave the engine.
    """
    out = customer_table(
        events, as_of, churn_days=churn_days, time_unit=time_unit, first_days=first_days
    ).to_pandas()
    return out.sort_values("user_id", kind="stable").reset_index(drop=True)


#: The customer columns survival is split by (chapter 04 chooses among them).
SEGMENTS = ("platform", "referred", "tier")
#: The customer columns behind the Cox model's early behaviours (see ``socialops.churn.analysis.DRIVER_FEATURES``).
COX_COLUMNS = ("referred", "purchase_days_first", "spend_first", "interactions_first")


def weighted_rows(customers: Table, columns: Sequence[str]) -> pd.DataFrame:
    """The distinct combinations of `columns` among the customers, each with its count, executed.

    A model whose likelihood depends on a customer only through these columns gets the same result from these
    rows, weighted by ``weight``, as from one row per customer; only the combinations leave the engine. Values
    come out as the engine computed them (no rounding), so equal customers share a row and no others do.

    Parameters
    ----------
    customers : ibis.Table
        :func:`customer_table`, possibly filtered.
    columns : sequence of str
        Its columns to keep.

    Returns
    -------
    pandas.DataFrame
        `columns` and ``weight`` (customers with that combination), sorted by `columns` (missing values last),
        so that a fit sums its terms in one order whatever order the engine returns the groups in.
    """
    columns = list(columns)
    out = customers.group_by(columns).aggregate(weight=customers.count()).to_pandas()
    return out.sort_values(columns, kind="stable", na_position="last").reset_index(drop=True)


def survival_inputs(customers: Table, segments: Sequence[str] = ()) -> pd.DataFrame:
    """The Kaplan–Meier and log-rank inputs: ``duration_days``, ``churned``, the `segments` columns, ``weight``."""
    return weighted_rows(customers, ["duration_days", "churned", *segments])


def cox_inputs(customers: Table, first_days: int = 30) -> pd.DataFrame:
    """The Cox inputs of the customers observed for `first_days` days after their first purchase (the landmark).

    Returns
    -------
    pandas.DataFrame
        ``duration_days``, ``churned``, the early behaviours of :data:`COX_COLUMNS` and ``weight``.
    """
    landmark = customers.filter(customers.duration_days >= first_days)
    return weighted_rows(landmark, ["duration_days", "churned", *COX_COLUMNS])


def purchase_inputs(customers: Table) -> pd.DataFrame:
    """The BG/NBD inputs: ``frequency``, ``recency``, ``T`` and ``weight``."""
    return weighted_rows(customers, ["frequency", "recency", "T"])


def spend_inputs(customers: Table) -> pd.DataFrame:
    """The Gamma–Gamma inputs of the repeat buyers: ``frequency`` (> 0), ``mean_repeat_spend`` and ``weight``."""
    return weighted_rows(customers.filter(customers.frequency > 0), ["frequency", "mean_repeat_spend"])


def scoring_inputs(customers: Table, value: str = "total_spend") -> pd.DataFrame:
    """What the customer scores and the value tables read: the purchase-model inputs, tier and `value`.

    Returns
    -------
    pandas.DataFrame
        ``frequency``, ``recency``, ``T``, ``mean_repeat_spend``, ``tier``, `value` (``total_spend`` or
        ``purchases``, the measure of a customer's worth to date) and ``weight``.
    """
    return weighted_rows(customers, ["frequency", "recency", "T", "mean_repeat_spend", "tier", value])


def customer_counts(customers: Table) -> dict[str, float]:
    """Customers, churned customers, their spend and their purchase days, summed on the engine.

    Returns
    -------
    dict
        ``customers`` and ``churned`` (int); ``total_spend`` and ``purchase_days`` (frequency + 1 summed),
        0 without customers.
    """
    sums = customers.aggregate(
        customers=customers.count(), churned=customers.churned.sum(), total_spend=customers.total_spend.sum(),
        purchase_days=(customers.frequency + 1).sum(),
    ).to_pandas().iloc[0]
    return {"customers": int(sums["customers"]), "churned": int(_or_zero(sums["churned"])),
            "total_spend": float(_or_zero(sums["total_spend"])), "purchase_days": int(_or_zero(sums["purchase_days"]))}


def _or_zero(value):
    """A sum over no rows is missing on the engine; here it is 0."""
    return 0 if pd.isna(value) else value


@dataclass
class CustomerInputs:
    """The customers on the engine and, each read when first asked for, the inputs of 04's models.

    Attributes
    ----------
    table : ibis.Table
        :func:`customer_table`: one row per customer, never executed as a whole.
    value : str
        The measure of a customer's worth to date in :attr:`scoring`: ``total_spend`` or ``purchases``.
    first_days : int
        Length of the early window behind :attr:`cox`.
    """

    table: Table
    value: str = "total_spend"
    first_days: int = 30

    @cached_property
    def survival(self) -> pd.DataFrame:
        """:func:`survival_inputs` with every column of :data:`SEGMENTS`; empty without customers."""
        return survival_inputs(self.table, SEGMENTS)

    @cached_property
    def cox(self) -> pd.DataFrame:
        """:func:`cox_inputs`."""
        return cox_inputs(self.table, self.first_days)

    @cached_property
    def purchases(self) -> pd.DataFrame:
        """:func:`purchase_inputs`."""
        return purchase_inputs(self.table)

    @cached_property
    def spend(self) -> pd.DataFrame:
        """:func:`spend_inputs`."""
        return spend_inputs(self.table)

    @cached_property
    def scoring(self) -> pd.DataFrame:
        """:func:`scoring_inputs` with :attr:`value`."""
        return scoring_inputs(self.table, self.value)

    @cached_property
    def counts(self) -> dict[str, float]:
        """:func:`customer_counts`."""
        return customer_counts(self.table)


def customer_inputs(
    events: Table, as_of: pd.Timestamp, *, churn_days: int = 90, time_unit: str = "day", first_days: int = 30,
    value: str = "total_spend",
) -> CustomerInputs:
    """The customers of :func:`customer_table` with their model inputs, counted on the engine as they are needed.

    Parameters
    ----------
    events : ibis.Table
        The events table.
    as_of : pandas.Timestamp
        End of the observation window.
    churn_days, time_unit, first_days
        As for :func:`customer_table`.
    value : str
        ``total_spend``, or ``purchases`` for events without amounts.

    Returns
    -------
    CustomerInputs
        Its table is computed once and kept on the engine where the engine is ours (DuckDB's temporary table,
        Spark's cache), so that each input counts a table of customers rather than reading the events again;
        elsewhere each input runs the whole query, and nothing is created in the user's database.
    """
    table = customer_table(events, as_of, churn_days=churn_days, time_unit=time_unit, first_days=first_days)
    if ibis.get_backend(table).name in {"duckdb", "pyspark"}:
        table = table.cache()
    return CustomerInputs(table, value=value, first_days=first_days)
