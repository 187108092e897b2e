"""Chapter 04, churn and win-back: who leaves, when, why, who is worth winning back, and whether the offer works.

Per-user work (first purchase, last activity, distinct purchase days, recency, T, first-30-day behaviour) is
Ibis on the engine, and so is the counting of customers by the values a model reads: what comes back to pandas is
each distinct combination of those values with its count (a ``weight`` column), which gives every model the same
likelihood as one row per customer. Only the win-back list, a list of customers, comes back customer by customer,
after the engine has picked them. The functions also take one row per customer (no ``weight``: one each), as
:func:`customer_summary` gives. The models live in
``socialops.stats.survival`` (Kaplan–Meier, log-rank, Cox), ``socialops.stats.bgnbd`` (BG/NBD, MBG/NBD) and
``socialops.stats.clv`` (Gamma–Gamma, CLV).

Definitions (DESIGN.md, 04): survival time runs from a customer's first purchase; the event (churn) happens at
the last activity of any kind when that lies more than ``churn_days`` before ``as_of``, otherwise the customer
is censored at ``as_of``. Repeat purchases are counted on distinct days; recency and T are measured in
``time_unit`` (day, or week = days ÷ 7).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
from ibis.expr.types import Table
from scipy import stats

from socialops.churn.customers import (
    TIME_UNITS,
    CustomerInputs,
    cox_inputs,
    customer_counts,
    customer_inputs,
    customer_summary,
    customer_table,
    left_join_users,
    purchase_inputs,
    scoring_inputs,
    spend_inputs,
    survival_inputs,
    unit_days,
    weighted_rows,
)
from socialops.stats import decision
from socialops.stats.bgnbd import BGNBDFit, fit_bgnbd, fit_mbgnbd
from socialops.stats.clv import GammaGammaFit, customer_lifetime_value, fit_gamma_gamma
from socialops.stats.proportions import proportion_test
from socialops.stats.survival import (
    CoxResult,
    fit_cox,
    kaplan_meier,
    logrank_test,
    median_lifetime,
    survival_at,
)
from socialops.stats.timeframe import cut_at, timestamp

__all__ = [
    "DRIVER_FEATURES",
    "MIN_COX_EVENTS",
    "MIN_HOLDOUT_CUSTOMERS",
    "TIME_UNITS",
    "CustomerInputs",
    "HoldoutCheck",
    "at_risk_by_rule",
    "at_risk_customers",
    "calibration_holdout",
    "churn_drivers",
    "counted_quantile",
    "cox_inputs",
    "customer_counts",
    "customer_inputs",
    "customer_summary",
    "customer_table",
    "drivers_sample",
    "fit_bgnbd",
    "fit_mbgnbd",
    "holdout_check",
    "holdout_summary",
    "kaplan_meier",
    "overall_survival",
    "purchase_inputs",
    "purchase_models",
    "run_warnings",
    "score_customers",
    "scoring_inputs",
    "spend_inputs",
    "survival_by_segment",
    "survival_inputs",
    "value_threshold",
    "value_per_comeback",
    "winback_arms",
    "winback_economics",
    "winback_effect",
]

#: Fewest customers before the holdout period on which the holdout check fits the purchase model.
MIN_HOLDOUT_CUSTOMERS = 10
#: Fewest churned customers, among those observed for the early window, before early behaviour is related to churn.
MIN_COX_EVENTS = 10
#: The first-30-day behaviours the Cox model relates to churn.
DRIVER_FEATURES = ("referred", "purchase_days_first", "log_spend_first", "log_interactions_first")

#: What the statistics libraries warned about during the analysis, each message once (see :func:`run_warnings`).
_NOTICED: list[str] = []


def _noticing(analysis: Callable) -> Callable:
    """Run ``analysis`` with the libraries' warnings caught and kept for the results, never printed into a report.

    numpy and scipy warn on the edge of their formulas (an overflow in an optimiser's trial step); the numbers
    returned are handled where they matter, and the warnings
    go to the results' ``warnings`` (:func:`run_warnings`), where an analyst can read them.
    """

    @functools.wraps(analysis)
    def run(*args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = analysis(*args, **kwargs)
        for w in caught:
            if issubclass(w.category, ResourceWarning):  # an engine's sockets and files, not the statistics
                continue
            text = f"{analysis.__name__}: {w.category.__name__} in {Path(w.filename).name}: {w.message}"
            if text not in _NOTICED:
                _NOTICED.append(text)
        return result

    return run


def run_warnings() -> list[str]:
    """What the libraries warned about in this process's analyses so far, in order, each message once.

    Returns
    -------
    list of str
        ``"<function>: <category> in <file>: <message>"``, for the results' ``warnings``.
    """
    return list(_NOTICED)


def _weights(customers: pd.DataFrame) -> pd.Series:
    """Customers each row stands for: the ``weight`` of distinct combinations, else one (one row per customer)."""
    if "weight" in customers.columns:
        return customers["weight"]
    return pd.Series(1, index=customers.index, dtype="int64")

# ---------------------------------------------------------------- survival


@_noticing
def overall_survival(customers: pd.DataFrame, *, at_days: float = 180, level: float = 0.95) -> dict:
    """The Kaplan–Meier curve of all customers, their median lifetime and the curve read at `at_days`.

    Parameters
    ----------
    customers : pandas.DataFrame
        ``duration_days``, ``churned`` and ``weight``: :func:`survival_inputs` (or one row per customer,
        :func:`customer_summary`).
    at_days : float
        Read the curve at this many days after the first purchase (the median is often not reached).
    level : float
        Confidence level of the intervals.

    Returns
    -------
    dict
        ``curve`` (time, survival, ci_low, ci_high), ``median`` (as
        :func:`~socialops.stats.survival.median_lifetime`), ``at`` (survival, ci_low, ci_high at `at_days`) and
        ``churned_at_start``: the share of customers who churned with no activity after their first purchase
        (a lifetime of 0 days; when it reaches half, the median lifetime is 0).
    """
    w = _weights(customers)
    curve = kaplan_meier(customers["duration_days"], customers["churned"], level=level, weights=w)
    gone_at_once = (customers["churned"] == 1) & (customers["duration_days"] == 0)
    return {"curve": curve,
            "median": median_lifetime(customers["duration_days"], customers["churned"], level=level, weights=w),
            "at": survival_at(curve, at_days), "churned_at_start": float(w[gone_at_once].sum() / w.sum())}


@_noticing
def survival_by_segment(
    customers: pd.DataFrame, segment: str, *, at_days: float = 180, level: float = 0.95
) -> dict:
    """Kaplan–Meier curves, median lifetimes and a log-rank test across the values of one segment column.

    Parameters
    ----------
    customers : pandas.DataFrame
        ``duration_days``, ``churned``, `segment` and ``weight``: :func:`survival_inputs` with the segment (or one
        row per customer).
    segment : str
        Column to split by (e.g. "platform", "referred", "tier").
    at_days : float
        Also read each curve at this many days after the first purchase (medians are often not reached).

    Returns
    -------
    dict
        ``curves``: long DataFrame (segment, time, survival, ci_low, ci_high); ``medians``: DataFrame indexed
        by segment value with median, ci_low, ci_high, n, events, survival_at, survival_ci_low,
        survival_ci_high; ``logrank``: {chi2, df, p_value, excluded}; ``excluded``: customers without a value
        of `segment`, left out of the curves and the test.
    """
    if customers[segment].isna().all():
        raise ValueError(f"no customer has a value of {segment!r}: survival cannot be split by it")
    curves, medians = [], {}
    # groupby leaves out missing values, as the log-rank test does
    for value, grp in customers.groupby(segment, sort=True):
        w = _weights(grp)
        curve = kaplan_meier(grp["duration_days"], grp["churned"], level=level, weights=w)
        curves.append(curve.assign(segment=str(value)))
        point = survival_at(curve, at_days)
        medians[str(value)] = {
            **median_lifetime(grp["duration_days"], grp["churned"], level=level, weights=w),
            "survival_at": point["survival"], "survival_ci_low": point["ci_low"],
            "survival_ci_high": point["ci_high"],
        }
    med = pd.DataFrame.from_dict(medians, orient="index")
    med.index.name = segment
    logrank = logrank_test(customers["duration_days"], customers["churned"], customers[segment],
                           weights=_weights(customers))
    return {
        "curves": pd.concat(curves, ignore_index=True)[["segment", "time", "survival", "ci_low", "ci_high"]],
        "medians": med,
        "logrank": logrank,
        "excluded": logrank["excluded"],
    }


@_noticing
def churn_drivers(customers: pd.DataFrame, first_days: int = 30, level: float = 0.95,
                  features: Sequence[str] = DRIVER_FEATURES) -> CoxResult | None:
    """Cox model of the hazard of churning on behaviour in the first `first_days` days after the first purchase.

    A landmark analysis: only customers still under observation at day `first_days` enter, so the features are
    fully known before any outcome counted here (a customer who left inside the window cannot be explained by
    a window they did not live through). Spend and interactions enter as log(1 + x), so a hazard ratio is per
    e-fold of spend. Columns without variation (e.g. no referrals in the data) are dropped; customers with a
    missing feature are left out and counted in ``excluded``.

    Parameters
    ----------
    customers : pandas.DataFrame
        ``duration_days``, ``churned``, the early behaviours and ``weight``: :func:`cox_inputs` (or one row per
        customer).
    first_days : int
        Length of the early window.
    level : float
        Confidence level of the hazard ratios' intervals.
    features : sequence of str
        The behaviours of :data:`DRIVER_FEATURES` to use: those the data can give (no ``referred`` without a
        ``referrer_id`` column, no spend without ``amount``).

    Returns
    -------
    CoxResult or None
        None when fewer than :data:`MIN_COX_EVENTS` of the customers observed for `first_days` churned, or when
        no chosen behaviour varies among them: too little to relate behaviour to churn.
    """
    at_risk = customers[customers["duration_days"] >= first_days]
    columns = {
        "referred": at_risk["referred"].astype(float),
        "purchase_days_first": at_risk["purchase_days_first"].astype(float),
        "log_spend_first": np.log1p(at_risk["spend_first"].astype(float)),
        "log_interactions_first": np.log1p(at_risk["interactions_first"].astype(float)),
    }
    chosen = pd.DataFrame({name: columns[name] for name in DRIVER_FEATURES if name in features})
    w = _weights(at_risk)
    if (w * at_risk["churned"]).sum() < MIN_COX_EVENTS or chosen.empty or (chosen.nunique() < 2).all():
        return None
    return fit_cox(at_risk["duration_days"], at_risk["churned"], chosen, level=level, weights=w)


def drivers_sample(customers: pd.DataFrame, first_days: int = 30) -> dict[str, int]:
    """Customers observed for `first_days` after their first purchase and how many of them churned later.

    `customers` is :func:`cox_inputs` (or one row per customer).
    """
    at_risk = customers[customers["duration_days"] >= first_days]
    w = _weights(at_risk)
    return {"customers": int(w.sum()), "churned": int((w * at_risk["churned"]).sum())}


# ---------------------------------------------------------------- purchases and value


@_noticing
def purchase_models(customers: pd.DataFrame, spend: pd.DataFrame | None = None) -> dict:
    """Fit BG/NBD (the published model), MBG/NBD (for P(alive) of one-time buyers) and Gamma–Gamma.

    Parameters
    ----------
    customers : pandas.DataFrame
        ``frequency``, ``recency``, ``T`` and ``weight``: :func:`purchase_inputs` (or one row per customer).
    spend : pandas.DataFrame, optional
        ``frequency``, ``mean_repeat_spend`` and ``weight`` of the spend model: :func:`spend_inputs`; by default
        the columns of `customers`.

    Returns
    -------
    dict
        ``bgnbd`` and ``mbgnbd`` (:class:`~socialops.stats.bgnbd.BGNBDFit`), ``gamma_gamma``
        (:class:`~socialops.stats.clv.GammaGammaFit`, or None with fewer than three repeat buyers with spend).
    """
    spend = customers if spend is None else spend
    x, t_x, big_t, w = customers["frequency"], customers["recency"], customers["T"], _weights(customers)
    try:
        gg = fit_gamma_gamma(spend["frequency"], spend["mean_repeat_spend"].fillna(0.0), weights=_weights(spend))
    except ValueError:
        gg = None
    return {"bgnbd": fit_bgnbd(x, t_x, big_t, weights=w), "mbgnbd": fit_mbgnbd(x, t_x, big_t, weights=w),
            "gamma_gamma": gg}


@_noticing
def score_customers(
    customers: pd.DataFrame,
    alive_model: BGNBDFit,
    spend_model: GammaGammaFit | None,
    *,
    horizon_days: int = 90,
    clv_days: int = 365,
    annual_discount: float = 0.10,
    time_unit: str = "day",
) -> pd.DataFrame:
    """Add P(alive), expected purchases in the next `horizon_days` and CLV over `clv_days` to each row.

    The rows are customers, or distinct combinations of :func:`scoring_inputs` (their ``weight`` goes along).
    CLV discounts monthly (30-day steps) at `annual_discount` and values purchases at the Gamma–Gamma
    expected spend; it is NaN without a spend model.
    """
    unit = unit_days(time_unit)
    x, t_x, big_t = customers["frequency"], customers["recency"], customers["T"]
    out = customers.copy()
    out["p_alive"] = alive_model.probability_alive(x, t_x, big_t)
    out["expected_purchases"] = alive_model.expected_purchases(horizon_days / unit, x, t_x, big_t)
    if spend_model is None:
        out["clv"] = np.nan
    else:
        monthly = (1 + annual_discount) ** (30 / 365) - 1
        out["clv"] = customer_lifetime_value(
            alive_model, spend_model, x, t_x, big_t, customers["mean_repeat_spend"].fillna(0.0),
            horizon=clv_days / unit, step=30 / unit, discount_rate=monthly,
        )
    return out


def counted_quantile(values, weights, q: float) -> float:
    """The `q` quantile of values each counted `weights` times, as pandas' default linear interpolation gives it.

    Position (n − 1)·q of the sorted values, interpolated between its neighbours in numpy's way (from the upper
    one when the fraction is one half or more), with q passed through a percentage as pandas passes it, so the
    result equals ``Series.quantile`` of the values repeated. Missing values are left out.

    Parameters
    ----------
    values, weights : array-like
        The values and the whole number of times each counts.
    q : float
        Between 0 and 1.

    Returns
    -------
    float
        NaN without values.
    """
    rows = pd.DataFrame({"value": np.asarray(values, dtype=float), "weight": np.asarray(weights, dtype=float)})
    rows = rows[rows["value"].notna() & (rows["weight"] > 0)].sort_values("value", kind="stable")
    if rows.empty:
        return float("nan")
    values, ends = rows["value"].to_numpy(), np.cumsum(rows["weight"].to_numpy())
    position = (ends[-1] - 1) * (q * 100.0 / 100)
    below = np.floor(position)
    low, high = values[np.searchsorted(ends, [below, min(below + 1, ends[-1] - 1)], side="right")]
    fraction, step = position - below, high - low
    return float(high - step * (1 - fraction) if fraction >= 0.5 else low + step * fraction)


def value_threshold(customers: Table, value_quantile: float, value: str = "total_spend") -> float:
    """The `value_quantile` quantile of `value` over the customers, from its distinct values and their counts.

    Equal to pandas' ``Series.quantile`` of one row per customer (:func:`counted_quantile`).

    Parameters
    ----------
    customers : ibis.Table
        :func:`customer_table`.
    value_quantile : float
        Between 0 and 1.
    value : str
        ``total_spend`` or ``purchases``.

    Returns
    -------
    float
        NaN without customers.
    """
    rows = weighted_rows(customers, [value])
    return counted_quantile(rows[value], rows["weight"], value_quantile)


def _valuable(customers: Table, threshold: float, value: str) -> Table:
    """Customers whose `value` is positive and at or above `threshold` (none when the threshold is missing)."""
    if np.isnan(threshold):
        return customers.filter(ibis.literal(False))
    return customers.filter((customers[value] >= threshold) & (customers[value] > 0))


def _maybe_gone(customers: Table, model: BGNBDFit, p_alive_below: float):
    """Whether P(alive) under `model` may be below `p_alive_below`, on the engine: every such customer and a few more.

    P(alive) = 1 / (1 + odds), so P(alive) < c when log(odds) > log(1/c − 1); the log odds are closed form
    (:meth:`~socialops.stats.bgnbd.BGNBDFit.probability_alive`) and need no exp that could overflow. The bound is
    loosened by 1e-6 so that the engine's rounding cannot leave out a customer; the exact test follows in numpy.
    """
    if p_alive_below >= 1:
        return ibis.literal(True)
    if p_alive_below <= 0:
        return ibis.literal(False)
    r, alpha, a, b = (model.params[k] for k in ("r", "alpha", "a", "b"))
    x = customers.frequency.cast("float64")
    log_odds = (r + x) * ((customers["T"] + alpha).ln() - (customers.recency + alpha).ln()) + float(np.log(a))
    bound = float(np.log(1 / p_alive_below - 1)) - 1e-6
    if model.modified:
        return log_odds - (x + b).ln() > bound
    # BG/NBD: a customer without repeat purchases is alive with probability 1
    return (customers.frequency > 0) & (log_odds - (ibis.greatest(x, 1.0) + (b - 1)).ln() > bound)


def _listed(customers: Table) -> pd.DataFrame:
    """The customers the engine picked, with what the win-back list and their scores need, in user order."""
    columns = ["user_id", "tier", "purchases", "total_spend", "days_since_purchase", "churned", "frequency",
               "recency", "T", "mean_repeat_spend"]
    return customers.select(*columns).to_pandas().sort_values("user_id", kind="stable").reset_index(drop=True)


def at_risk_customers(
    customers: Table,
    alive_model: BGNBDFit,
    spend_model: GammaGammaFit | None,
    *,
    p_alive_below: float = 0.5,
    value_quantile: float = 0.75,
    value: str = "total_spend",
    horizon_days: int = 90,
    clv_days: int = 365,
    annual_discount: float = 0.10,
    time_unit: str = "day",
) -> pd.DataFrame:
    """The win-back list: customers worth keeping (past spend in the top share) who are probably gone.

    Past spend, not CLV, defines "valuable": CLV already discounts the customers who look lost, which are
    exactly the ones to find here. The engine picks the valuable customers whose P(alive) may be below the
    threshold; only they come back, to be scored as :func:`score_customers` scores.

    Parameters
    ----------
    customers : ibis.Table
        :func:`customer_table`.
    alive_model : BGNBDFit
        The model whose P(alive) says who is probably gone.
    spend_model : GammaGammaFit or None
        The spend model behind the listed CLV (NaN without one).
    p_alive_below : float
        P(alive) threshold.
    value_quantile : float
        Customers with total spend at or above this quantile of all customers' spend count as valuable.
    value : str
        The measure of a customer's worth to date: ``total_spend``, or ``purchases`` for events without amounts.
    horizon_days, clv_days, annual_discount, time_unit
        As for :func:`score_customers`.

    Returns
    -------
    pandas.DataFrame
        The list, sorted by value at risk (value × (1 − P(alive))): user_id, tier, purchases, total_spend,
        days_since_purchase, p_alive, expected_purchases, clv, value_at_risk.
    """
    pick = _valuable(customers, value_threshold(customers, value_quantile, value), value)
    scored = score_customers(_listed(pick.filter(_maybe_gone(pick, alive_model, p_alive_below))), alive_model,
                             spend_model, horizon_days=horizon_days, clv_days=clv_days,
                             annual_discount=annual_discount, time_unit=time_unit)
    scored = scored[scored["p_alive"] < p_alive_below]
    return _win_back_list(scored.assign(value_at_risk=scored[value] * (1 - scored["p_alive"])))


def at_risk_by_rule(customers: Table, *, value_quantile: float = 0.75, value: str = "total_spend"
                    ) -> pd.DataFrame:
    """The win-back list without a purchase model: valuable customers who churned by the chapter's rule.

    The fallback when the purchase model cannot tell who has left (its drop-out not identified): a customer
    counts as gone when the last activity lies more than ``churn_days`` before the end of the window (the
    ``churned`` flag of :func:`customer_table`), and the list is ranked by value to date. The engine picks them.

    Parameters
    ----------
    customers : ibis.Table
        :func:`customer_table`.
    value_quantile : float
        Customers at or above this quantile of `value` count as valuable.
    value : str
        ``total_spend``, or ``purchases`` for events without amounts.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`at_risk_customers`; p_alive, expected_purchases and clv are missing (no model), and
        the value at risk is the value itself.
    """
    pick = _valuable(customers, value_threshold(customers, value_quantile, value), value)
    pick = _listed(pick.filter(pick.churned == 1))
    return _win_back_list(pick.assign(p_alive=np.nan, expected_purchases=np.nan, clv=np.nan,
                                      value_at_risk=pick[value].astype(float)))


def _win_back_list(pick: pd.DataFrame) -> pd.DataFrame:
    cols = ["user_id", "tier", "purchases", "total_spend", "days_since_purchase", "p_alive",
            "expected_purchases", "clv", "value_at_risk"]
    return pick.sort_values(["value_at_risk", "user_id"], ascending=[False, True])[cols].reset_index(drop=True)


def holdout_summary(
    events: Table, as_of: pd.Timestamp, holdout_days: int, *, time_unit: str = "day"
) -> pd.DataFrame:
    """Calibration-period purchase inputs and holdout purchase days, counted per distinct combination.

    The calibration period ends `holdout_days` days before `as_of`; customers are those with a purchase by
    then. Only the distinct (frequency, recency, T) combinations leave the engine, each with the customers it
    stands for and their holdout purchase days summed (and their squares, for the spread), which is all the check
    needs.

    Returns
    -------
    pandas.DataFrame
        ``frequency``, ``recency``, ``T`` (calibration, in `time_unit`), ``weight`` (customers),
        ``holdout_purchases`` (their distinct purchase days in the holdout period, summed) and
        ``holdout_squares`` (the sum of each customer's count squared); sorted by the first three.
    """
    if holdout_days <= 0:
        raise ValueError("holdout_days must be positive")
    cut = pd.Timestamp(as_of) - pd.Timedelta(days=holdout_days)
    cal = customer_table(events, cut, time_unit=time_unit).select("user_id", "frequency", "recency", "T")
    ev = cut_at(events, as_of)
    later = ev.filter((ev.event == "purchase") & (ev.ts > timestamp(cut)))
    later = later.group_by("user_id").aggregate(days=later.ts.truncate("D").nunique())
    joined = left_join_users(cal, later)
    days = ibis.coalesce(joined.days, 0)
    out = joined.group_by(["frequency", "recency", "T"]).aggregate(
        weight=joined.count(), holdout_purchases=days.sum(), holdout_squares=(days * days).sum()).to_pandas()
    return out.sort_values(["frequency", "recency", "T"], kind="stable").reset_index(drop=True)


def calibration_holdout(
    model: BGNBDFit, holdout: pd.DataFrame, holdout_days: int, *, time_unit: str = "day", max_frequency: int = 7
) -> pd.DataFrame:
    """Actual vs predicted purchases in the holdout period, by repeat purchases in the calibration period.

    Parameters
    ----------
    model : BGNBDFit
        BG/NBD fitted on the calibration period.
    holdout : pandas.DataFrame
        :func:`holdout_summary`'s counted rows.
    holdout_days : int
        Length of the holdout period.
    time_unit : str
        Time unit of the model.
    max_frequency : int
        The last bucket holds this many repeat purchases and more.

    Returns
    -------
    pandas.DataFrame
        Indexed by calibration frequency (0 … `max_frequency`, the last bucket "and more"): customers,
        actual (mean holdout purchase days), actual_ci_low / actual_ci_high (normal interval of that mean),
        predicted (mean model expectation).
    """
    unit = unit_days(time_unit)
    pred = model.expected_purchases(holdout_days / unit, holdout["frequency"], holdout["recency"], holdout["T"])
    frame = pd.DataFrame({
        "bucket": holdout["frequency"].clip(upper=max_frequency).astype(int), "customers": holdout["weight"],
        "actual": holdout["holdout_purchases"].astype(float), "squares": holdout["holdout_squares"].astype(float),
        "predicted": pred * holdout["weight"]})
    g = frame.groupby("bucket").sum()
    n = g["customers"]
    out = pd.DataFrame({"customers": n, "actual": g["actual"] / n, "predicted": g["predicted"] / n})
    # the sample variance from the sums: counts are small integers, so the sums are exact
    variance = ((g["squares"] - n * out["actual"] ** 2) / (n - 1)).where(n > 1, 0.0).clip(lower=0.0)
    half = stats.norm.ppf(0.975) * np.sqrt(variance) / np.sqrt(n)
    out.insert(2, "actual_ci_low", (out["actual"] - half).clip(lower=0))
    out.insert(3, "actual_ci_high", out["actual"] + half)
    out.index.name = "frequency"
    return out


@dataclass
class HoldoutCheck:
    """The purchase model fitted before the holdout period, against what the customers did in that period.

    Attributes
    ----------
    holdout_days : int
        Length of the holdout period.
    calibration_end : pandas.Timestamp
        End of the calibration period (``as_of`` − `holdout_days`).
    customers : int
        Customers with a purchase by the end of the calibration period.
    by_frequency : pandas.DataFrame or None
        The table of :func:`calibration_holdout`; None when fewer than `min_customers` customers leave nothing
        to fit.
    actual, predicted : float
        Purchase days in the holdout period, made and predicted (NaN when the check did not run).
    first_purchase : pandas.Timestamp or None
        The first purchase of the window, looked up when the check did not run (None without any purchase): a
        calibration period ending before it is a holdout window longer than the data.
    min_customers : int
        Fewest customers before the holdout period on which the check fits the model.
    """

    holdout_days: int
    calibration_end: pd.Timestamp
    customers: int
    by_frequency: pd.DataFrame | None
    actual: float = float("nan")
    predicted: float = float("nan")
    first_purchase: pd.Timestamp | None = None
    min_customers: int = MIN_HOLDOUT_CUSTOMERS

    @property
    def relative_error(self) -> float:
        """Predicted ÷ actual purchase days − 1 (NaN without actual purchases)."""
        return self.predicted / self.actual - 1 if self.actual else float("nan")


@_noticing
def holdout_check(
    events: Table, as_of: pd.Timestamp, holdout_days: int, *, time_unit: str = "day"
) -> HoldoutCheck | None:
    """Fit BG/NBD on the data before the last `holdout_days` days and compare its predictions with those days.

    Parameters
    ----------
    events : ibis.Table
        The events table.
    as_of : pandas.Timestamp
        End of the observation window.
    holdout_days : int
        Days before `as_of` held back; 0 (or less) switches the check off.
    time_unit : str
        Time unit of the purchase model.

    Returns
    -------
    HoldoutCheck or None
        None when the check is off.
    """
    if holdout_days <= 0:
        return None
    cut = pd.Timestamp(as_of) - pd.Timedelta(days=holdout_days)
    holdout = holdout_summary(events, as_of, holdout_days, time_unit=time_unit)
    customers = int(holdout["weight"].sum())
    if customers < MIN_HOLDOUT_CUSTOMERS:
        ev = cut_at(events, as_of)
        first = ev.filter(ev.event == "purchase").ts.min().execute()
        return HoldoutCheck(holdout_days, cut, customers, None,
                            first_purchase=None if pd.isna(first) else pd.Timestamp(first))
    fit = fit_bgnbd(holdout["frequency"], holdout["recency"], holdout["T"], weights=holdout["weight"])
    table = calibration_holdout(fit, holdout, holdout_days, time_unit=time_unit)
    return HoldoutCheck(holdout_days, cut, customers, table,
                        actual=float((table["actual"] * table["customers"]).sum()),
                        predicted=float((table["predicted"] * table["customers"]).sum()))


# ---------------------------------------------------------------- win-back test


@_noticing
def winback_effect(
    experiment: Table, name: str = "winback_2026q3", control: str = "holdout", level: float = 0.95
) -> dict | None:
    """Comeback rate of treated vs holdout customers in a win-back test, with the uplift, its test and its verdict.

    The test is chapter 03's (:func:`socialops.stats.proportions.proportion_test`: the pooled z test, or
    Fisher's exact test when an arm expects fewer than five comebacks or non-comebacks; Newcombe's interval
    of the uplift), and so is the verdict (:func:`socialops.stats.decision.decide` at its default change worth
    detecting and power, without a sample ratio check: this chapter knows no planned split). All variants
    other than `control` are pooled as "treated". Customers whose ``converted`` is missing are left out and
    counted, never taken for customers who did not come back.

    Parameters
    ----------
    experiment : ibis.Table
        The ``experiment`` table (experiment_id, unit_id, variant, converted; optional value).
    name : str
        The experiment_id of the win-back test.
    control : str
        The holdout variant (no offer).
    level : float
        Confidence level of the interval of the uplift (and 1 − level the level the verdict reads p at).

    Returns
    -------
    dict or None
        None when the experiment or its holdout arm is absent; else treated_rate, holdout_rate, uplift,
        ci_low, ci_high, p_value, test (``z`` or ``fisher``), n_treated, n_holdout, comebacks_treated,
        comebacks_holdout, n_excluded (customers without a known outcome), verdict and reason (from the
        decision rule), value_per_comeback (mean ``value`` of treated comebacks, None without the column).
    """
    e = experiment.filter(experiment.experiment_id == name)
    missing = e.converted.isnull() | (e.converted.isnan() if e.converted.type().is_floating() else False)
    is_control = e.variant == control
    aggs = {
        "n": e.count(where=~missing),
        "conversions": e.converted.cast("int64").sum(where=~missing),
        "excluded": e.count(where=missing),
    }
    if "value" in e.columns:
        aggs["value_sum"] = ibis.coalesce(e.value, 0.0).sum(where=(e.converted == 1) & ~missing)
    arms = e.group_by(arm=ibis.cases((is_control, "holdout"), else_="treated")).aggregate(**aggs).to_pandas()
    arms = arms.set_index("arm").fillna({"conversions": 0, "value_sum": 0.0})
    if not {"holdout", "treated"} <= set(arms.index) or (arms["n"] == 0).any():
        return None
    n_t, n_c = int(arms.loc["treated", "n"]), int(arms.loc["holdout", "n"])
    x_t, x_c = int(arms.loc["treated", "conversions"]), int(arms.loc["holdout", "conversions"])
    test = proportion_test([x_c, x_t], [n_c, n_t], alpha=1 - level)
    verdict = decision.decide([decision.Comparison("treated", n_c, n_t, test.control_rate, test.variant_rate,
                                                   test.ci_low, test.ci_high, test.p_value)], alpha=1 - level)
    return {"treated_rate": test.variant_rate, "holdout_rate": test.control_rate, "uplift": test.abs_diff,
            "ci_low": test.ci_low, "ci_high": test.ci_high, "p_value": test.p_value, "test": test.method,
            "n_treated": n_t, "n_holdout": n_c, "comebacks_treated": x_t, "comebacks_holdout": x_c,
            "n_excluded": int(arms["excluded"].sum()), "verdict": verdict.verdict, "reason": verdict.reason,
            "value_per_comeback": (float(arms.loc["treated", "value_sum"]) / x_t
                                   if "value_sum" in arms.columns and x_t > 0 else None)}


def winback_arms(experiment: Table, name: str) -> dict[str, list[str]]:
    """The experiments of the table and the variants of experiment `name`: what a missing win-back test lacks.

    Returns
    -------
    dict
        ``experiments`` (every experiment_id, sorted) and ``variants`` (those of `name`, sorted; empty when the
        table holds no such experiment).
    """
    ids = experiment.select(experiment_id=experiment.experiment_id.cast("string")).distinct().to_pandas()
    test = experiment.filter(experiment.experiment_id == name)
    variants = test.select(variant=test.variant.cast("string")).distinct().to_pandas()
    return {"experiments": sorted(ids["experiment_id"]), "variants": sorted(variants["variant"])}


def winback_economics(effect: dict, coupon_cost: float, value_per_comeback: float) -> dict:
    """What the offer cost against the value it won back, with the uplift's interval carried through.

    Every treated customer who comes back redeems the coupon (including those who would have come back
    anyway), so cost = coupon_cost × treated comebacks; only the extra comebacks (uplift × treated) count
    as value won back.

    Returns
    -------
    dict
        extra_comebacks (and _low/_high), value_won (and _low/_high), coupon_spend, net (and _low/_high),
        roi (net ÷ coupon spend), break_even_value (value per comeback at which the offer pays for itself),
        uplift_verdict (the decision rule's verdict on the uplift, from ``effect``).
    """
    n_t = effect["n_treated"]
    extra = {k: effect[src] * n_t for k, src in (("", "uplift"), ("_low", "ci_low"), ("_high", "ci_high"))}
    spend = coupon_cost * effect["comebacks_treated"]
    # the verdict on the uplift travels with the money: a net result is read only where the uplift was judged
    out = {"coupon_spend": spend, "value_per_comeback": value_per_comeback, "uplift_verdict": effect["verdict"]}
    for suffix, n_extra in extra.items():
        out[f"extra_comebacks{suffix}"] = n_extra
        out[f"value_won{suffix}"] = n_extra * value_per_comeback
        out[f"net{suffix}"] = n_extra * value_per_comeback - spend
    out["roi"] = out["net"] / spend if spend > 0 else None
    out["break_even_value"] = spend / extra[""] if extra[""] > 0 else None
    return out


def value_per_comeback(effect: dict, counts: dict) -> float | None:
    """The value of one customer won back: observed in the test, else the mean spend per purchase day.

    Parameters
    ----------
    effect : dict
        The output of :func:`winback_effect`; its ``value_per_comeback`` is None without a value column.
    counts : dict
        The customers' ``total_spend`` and ``purchase_days``, summed on the engine (:func:`customer_counts`), for
        the fallback.

    Returns
    -------
    float or None
        None when neither the test nor the purchases carry any amount (no ``value``, no spend recorded): a
        comeback then has no value to weigh against the coupons.
    """
    if effect["value_per_comeback"] is not None:
        return effect["value_per_comeback"]
    spend = float(counts["total_spend"])
    return spend / float(counts["purchase_days"]) if spend > 0 else None
