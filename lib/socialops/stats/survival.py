"""Survival analysis of customer lifetimes: Kaplan–Meier, log-rank tests and Cox regression (statsmodels).

Durations and event flags are per-customer summaries built by ``socialops.churn.analysis``; nothing here touches
row-level events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight, survdiff


def _clean(durations, observed):
    t = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=float).astype(int)
    if t.shape != e.shape:
        raise ValueError("durations and observed must have the same length")
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ValueError("durations must be finite and >= 0")
    return t, e


def kaplan_meier(durations, observed, level: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier survival curve with pointwise log(−log) confidence intervals.

    Parameters
    ----------
    durations : array-like
        Time to the event or to censoring.
    observed : array-like
        1 (True) where the event was observed, 0 where the time is censored.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row at time 0 (survival 1) and one per distinct event time, with columns ``time``, ``survival``,
        ``ci_low``, ``ci_high``. The interval uses Greenwood's variance on the log(−log) scale, so it stays
        inside [0, 1].
    """
    t, e = _clean(durations, observed)
    if t.size == 0:
        raise ValueError("no durations")
    z = stats.norm.ppf(0.5 + level / 2)
    if e.sum() == 0:
        return pd.DataFrame({"time": [0.0], "survival": [1.0], "ci_low": [1.0], "ci_high": [1.0]})
    sf = SurvfuncRight(t, e)
    surv = np.asarray(sf.surv_prob, dtype=float)
    se = np.asarray(sf.surv_prob_se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(surv)
        # se of log(-log S) by the delta method from Greenwood's se of S
        theta_se = se / (surv * np.abs(log_s))
        # log S < 0, so raising S to a larger power gives the lower bound
        low = surv ** np.exp(z * theta_se)
        high = surv ** np.exp(-z * theta_se)
    # where S = 1 (no events yet) or S = 0 the transform is undefined: the interval collapses to the estimate
    low = np.where(np.isfinite(low), low, surv)
    high = np.where(np.isfinite(high), high, surv)
    curve = pd.DataFrame(
        {"time": np.asarray(sf.surv_times, dtype=float), "survival": surv, "ci_low": low, "ci_high": high}
    )
    if curve["time"].iloc[0] > 0:
        curve = pd.concat(
            [pd.DataFrame({"time": [0.0], "survival": [1.0], "ci_low": [1.0], "ci_high": [1.0]}), curve],
            ignore_index=True,
        )
    return curve


def survival_at(curve: pd.DataFrame, time: float) -> dict:
    """Read a Kaplan–Meier curve (from :func:`kaplan_meier`) at ``time``: the step in force then.

    Returns
    -------
    dict
        ``survival``, ``ci_low``, ``ci_high`` at ``time``. Keep ``time`` within the follow-up of the data:
        the curve stays flat after its last event.
    """
    if time < 0:
        raise ValueError("time must be >= 0")
    row = curve[curve["time"] <= time].iloc[-1]
    return {"survival": float(row["survival"]), "ci_low": float(row["ci_low"]), "ci_high": float(row["ci_high"])}


def median_lifetime(durations, observed, level: float = 0.95) -> dict:
    """Median survival time with its confidence interval (Brookmeyer–Crowley, log(−log) transform).

    Returns
    -------
    dict
        ``median``, ``ci_low``, ``ci_high``, ``n``, ``events``; a value is None where the curve never falls
        to the level needed (for instance the median when fewer than half have churned).
    """
    t, e = _clean(durations, observed)
    out = {"median": None, "ci_low": None, "ci_high": None, "n": int(t.size), "events": int(e.sum())}
    if e.sum() == 0:
        return out
    sf = SurvfuncRight(t, e)

    def finite(v):
        return float(v) if v is not None and np.isfinite(v) else None

    out["median"] = finite(sf.quantile(0.5))
    low, high = sf.quantile_ci(0.5, alpha=1 - level, method="cloglog")
    out["ci_low"], out["ci_high"] = finite(low), finite(high)
    return out


def logrank_test(durations, observed, groups) -> dict:
    """Log-rank test that the survival curves of several groups are equal.

    Rows without a group (None, NaN, NA) are left out and counted; they do not form a group of their own.

    Returns
    -------
    dict
        ``chi2``, ``df`` (groups − 1), ``p_value`` and ``excluded`` (rows left out for want of a group); chi2 and
        p are NaN when fewer than two groups or no events remain. The p-value comes from the chi-square survival
        function, so a strong difference gives a tiny p rather than 0.
    """
    t, e = _clean(durations, observed)
    labels = np.asarray(groups, dtype=object)
    if labels.shape != t.shape:
        raise ValueError("groups must have one value per duration")
    has_group = ~pd.isna(labels)
    t, e, labels = t[has_group], e[has_group], labels[has_group].astype(str)
    excluded = int((~has_group).sum())
    n_groups = len(np.unique(labels))
    if n_groups < 2 or e.sum() == 0:
        return {"chi2": float("nan"), "df": max(n_groups - 1, 0), "p_value": float("nan"), "excluded": excluded}
    # statsmodels' own p-value is 1 − cdf, which rounds to 0 once p falls below about 1e-16
    chi2, _ = survdiff(t, e, labels)
    df = n_groups - 1
    return {"chi2": float(chi2), "df": df, "p_value": float(stats.chi2.sf(chi2, df)), "excluded": excluded}


@dataclass
class CoxResult:
    """A fitted Cox proportional-hazards model.

    Attributes
    ----------
    hazard_ratios : pandas.DataFrame
        Index = feature; columns ``coef``, ``hazard_ratio``, ``ci_low``, ``ci_high``, ``p_value``.
    ph_test : pandas.DataFrame
        Index = feature; columns ``chi2``, ``p_value`` of the score test that the feature's coefficient drifts
        with the rank of time (small p: the hazard ratio changes over time), one degree of freedom each.
    ph_global : dict
        ``chi2``, ``df`` (the number of features) and ``p_value`` of the same test for all features at once.
    n : int
        Rows the model was fitted on.
    events : int
    excluded : int
        Rows left out because a covariate was missing (NaN).
    dropped : list
        Features left out because they did not vary.
    """

    hazard_ratios: pd.DataFrame
    ph_test: pd.DataFrame
    ph_global: dict
    n: int
    events: int
    excluded: int
    dropped: list


def _covariates(features: pd.DataFrame, n: int) -> pd.DataFrame:
    """The covariates as floats, refused with the column's name if one is not numeric or holds an infinity."""
    if len(features) != n:
        raise ValueError(f"features have {len(features)} rows for {n} durations")
    columns = {}
    for name in features.columns:
        try:
            columns[name] = features[name].to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise ValueError(f"covariate {name!r} is not numeric") from None
        if np.isinf(columns[name]).any():
            raise ValueError(f"covariate {name!r} has infinite values")
    return pd.DataFrame(columns, columns=features.columns)


def fit_cox(
    durations, observed, features: pd.DataFrame, level: float = 0.95
) -> CoxResult:
    """Fit a Cox proportional-hazards model (Efron ties) and check the proportional-hazards assumption.

    Parameters
    ----------
    durations, observed : array-like
        Survival times and event flags.
    features : pandas.DataFrame
        Numeric covariates, one row per subject. Rows with a missing covariate are left out and counted (as R's
        ``na.omit``); columns that are constant over the remaining rows are dropped and listed.
    level : float
        Confidence level of the hazard-ratio intervals.

    Returns
    -------
    CoxResult

    Raises
    ------
    ValueError
        When no row has every covariate, no covariate varies, or no event remains.
    """
    t, e = _clean(durations, observed)
    x = _covariates(features, t.size)
    complete = x.notna().all(axis=1).to_numpy()
    if not complete.any():
        missing = ", ".join(f"{name} in {count}" for name, count in x.isna().sum().items() if count)
        raise ValueError(f"no row has a value for every covariate (missing: {missing} of {t.size} rows)")
    t, e, x = t[complete], e[complete], x[complete]
    dropped = [c for c in x.columns if x[c].nunique() < 2]
    x = x.drop(columns=dropped)
    if x.shape[1] == 0:
        raise ValueError(f"no covariate varies over the {t.size} rows used: {', '.join(dropped)} are constant")
    if e.sum() == 0:
        raise ValueError(f"none of the {t.size} rows used has an event: a Cox model needs at least one")
    res = PHReg(t, x.to_numpy(), status=e, ties="efron").fit()
    params = np.asarray(res.params)
    ci = np.asarray(res.conf_int(alpha=1 - level))
    names = pd.Index(x.columns, name="feature")
    hr = pd.DataFrame(
        {
            "coef": params,
            "hazard_ratio": np.exp(params),
            "ci_low": np.exp(ci[:, 0]),
            "ci_high": np.exp(ci[:, 1]),
            "p_value": np.asarray(res.pvalues),
        },
        index=names,
    )
    chi2, chi2_all = _rank_time_score_test(t, e, x.to_numpy(), params)
    return CoxResult(
        hazard_ratios=hr,
        ph_test=pd.DataFrame({"chi2": chi2, "p_value": stats.chi2.sf(chi2, 1)}, index=names),
        ph_global={"chi2": chi2_all, "df": len(names), "p_value": float(stats.chi2.sf(chi2_all, len(names)))},
        n=int(t.size),
        events=int(e.sum()),
        excluded=int((~complete).sum()),
        dropped=dropped,
    )


def _rank_time_score_test(t, e, x, beta) -> tuple[np.ndarray, float]:
    """Score tests of proportional hazards against a drift linear in the rank of time, as R's ``cox.zph``.

    Follows survival 3.x ``cox.zph(fit, transform = "rank", terms = FALSE)``: each coefficient β_j becomes
    β_j + θ_j·g(t), with g the average rank of the time among all rows (censored ones included) centred on the
    event rows, and the score test of θ = 0 is taken at the fitted β with the full information matrix of (β, θ)
    under Efron's handling of ties. Average ranks give tied times one g, so the result does not depend on the
    order of the rows.

    Returns
    -------
    tuple
        The chi-square of each covariate (1 df each) and the global chi-square (one df per covariate).
    """
    p = x.shape[1]
    g = stats.rankdata(t)
    g = g - g[e == 1].mean()
    xc = x - x.mean(axis=0)
    eta = xc @ beta
    order = np.argsort(t, kind="stable")
    ts, es, gs, xs = t[order], e[order], g[order], xc[order]
    risk = np.exp(eta[order] - eta.max())
    # sums over each risk set {time >= t}: suffix sums in time order
    s0 = np.cumsum(risk[::-1])[::-1]
    s1 = np.cumsum((risk[:, None] * xs)[::-1], axis=0)[::-1]
    outer = xs[:, :, None] * xs[:, None, :]
    s2 = np.cumsum((risk[:, None, None] * outer)[::-1], axis=0)[::-1]
    score = np.zeros(p)
    # information blocks (β, β), (β, θ), (θ, θ): each event time adds its step times 1, g and g²
    info = np.zeros((3, p, p))
    deaths = np.flatnonzero(es == 1)
    times, first, counts = np.unique(ts[deaths], return_index=True, return_counts=True)
    for time, start, d in zip(times, first, counts, strict=True):
        rows = deaths[start:start + d]
        at = np.searchsorted(ts, time, side="left")
        # Efron: the d tied deaths leave the risk set in d equal steps
        frac = np.arange(d) / d
        den = s0[at] - frac * risk[rows].sum()
        num = s1[at] - frac[:, None] * (risk[rows, None] * xs[rows]).sum(axis=0)
        sq = s2[at] - frac[:, None, None] * (risk[rows, None, None] * outer[rows]).sum(axis=0)
        mean = num / den[:, None]
        step = (sq / den[:, None, None]).sum(axis=0) - mean.T @ mean
        weight = gs[rows[0]]
        score += weight * (xs[rows].sum(axis=0) - mean.sum(axis=0))
        info += np.array([1.0, weight, weight**2])[:, None, None] * step
    full = np.block([[info[0], info[1]], [info[1], info[2]]])
    # the score of β is zero at the fit, so each test's score vector is (0, …, 0, score of θ_j)
    u = np.concatenate([np.zeros(p), score])
    per_covariate = np.empty(p)
    for j in range(p):
        keep = [*range(p), p + j]
        per_covariate[j] = u[keep] @ np.linalg.solve(full[np.ix_(keep, keep)], u[keep])
    return per_covariate, float(u @ np.linalg.solve(full, u))
