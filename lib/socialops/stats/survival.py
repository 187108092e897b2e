"""Survival analysis of customer lifetimes: Kaplan–Meier, log-rank tests and Cox regression (Efron ties).

Durations and event flags are per-customer summaries built by ``socialops.churn``; nothing here touches row-level
events. Every function takes frequency weights, so that customers sharing a (duration, event, covariates)
combination can come from the engine as one row with their count: the results equal those of the rows repeated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


def _clean(durations, observed, weights=None):
    """Durations, event flags and frequency weights as arrays, rows of weight 0 left out (they stand for nobody)."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=float).astype(int)
    if t.shape != e.shape:
        raise ValueError("durations and observed must have the same length")
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ValueError("durations must be finite and >= 0")
    if weights is None:
        return t, e, np.ones(t.size)
    w = np.asarray(weights, dtype=float)
    if w.shape != t.shape:
        raise ValueError("weights must have one value per duration")
    # Efron's tie handling counts the deaths at a time, so a weight must be a whole number of customers
    if not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(w != np.round(w)):
        raise ValueError("weights must be whole numbers >= 0")
    used = w > 0
    return t[used], e[used], w[used]


def _risk_table(t, e, w):
    """Kaplan–Meier estimate and Greenwood's standard error at each distinct event time.

    The arithmetic is statsmodels' ``SurvfuncRight`` (the product as exp of a sum of logs), with the risk sets
    and deaths counted by weight.

    Returns
    -------
    tuple
        Event times, survival, its standard error (NaN where undefined).
    """
    times, index = np.unique(t, return_inverse=True)
    deaths = np.bincount(index, weights=e * w, minlength=times.size)
    at_risk = np.cumsum(np.bincount(index, weights=w, minlength=times.size)[::-1])[::-1]
    keep = np.flatnonzero(deaths > 0)
    times, d, n = times[keep], deaths[keep], at_risk[keep]
    surv = 1 - d / n
    gone = surv < 1e-16
    surv[gone] = 1e-16
    surv = np.exp(np.cumsum(np.log(surv)))
    surv[gone] = 0
    step = d / np.clip(n * (n - d), 1e-12, np.inf)
    step[(n == d) | (n == 0)] = np.nan
    se = np.sqrt(np.cumsum(step))
    defined = np.isfinite(se) | (surv != 0)
    se[defined] *= surv[defined]
    se[~defined] = np.nan
    return times, surv, se


def kaplan_meier(durations, observed, level: float = 0.95, weights=None) -> pd.DataFrame:
    """Kaplan–Meier survival curve with pointwise log(−log) confidence intervals.

    Parameters
    ----------
    durations : array-like
        Time to the event or to censoring.
    observed : array-like
        1 (True) where the event was observed, 0 where the time is censored.
    level : float
        Confidence level of the intervals.
    weights : array-like, optional
        Whole number of subjects each row stands for (default one).

    Returns
    -------
    pandas.DataFrame
        One row at time 0 (survival 1) and one per distinct event time, with columns ``time``, ``survival``,
        ``ci_low``, ``ci_high``. The interval uses Greenwood's variance on the log(−log) scale, so it stays
        inside [0, 1].
    """
    t, e, w = _clean(durations, observed, weights)
    if t.size == 0:
        raise ValueError("no durations")
    z = stats.norm.ppf(0.5 + level / 2)
    if e.sum() == 0:
        return pd.DataFrame({"time": [0.0], "survival": [1.0], "ci_low": [1.0], "ci_high": [1.0]})
    times, surv, se = _risk_table(t, e, w)
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
    curve = pd.DataFrame({"time": times, "survival": surv, "ci_low": low, "ci_high": high})
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


def median_lifetime(durations, observed, level: float = 0.95, weights=None) -> dict:
    """Median survival time with its confidence interval (Brookmeyer–Crowley, log(−log) transform).

    The interval holds the event times at which a z test of S(t) = 0.5 on the log(−log) scale does not reject,
    its upper end the next event time (infinite when the last one does not reject), as SAS's LIFETEST and
    statsmodels' ``SurvfuncRight.quantile_ci``.

    Parameters
    ----------
    durations, observed : array-like
        Survival times and event flags.
    level : float
        Confidence level of the interval.
    weights : array-like, optional
        Whole number of subjects each row stands for (default one).

    Returns
    -------
    dict
        ``median``, ``ci_low``, ``ci_high``, ``n``, ``events``; a value is None where the curve never falls
        to the level needed (for instance the median when fewer than half have churned).
    """
    t, e, w = _clean(durations, observed, weights)
    out = {"median": None, "ci_low": None, "ci_high": None, "n": int(round(w.sum())),
           "events": int(round(w @ e))}
    if e.sum() == 0:
        return out
    times, surv, se = _risk_table(t, e, w)
    below = np.flatnonzero(surv < 0.5)
    if below.size:
        out["median"] = float(times[below[0]])
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.log(-np.log(surv)) - np.log(-np.log(0.5))
        r /= -1 / (surv * np.log(surv)) * se
    inside = np.flatnonzero(np.abs(r) <= stats.norm.ppf(0.5 + level / 2))
    if inside.size:
        out["ci_low"] = float(times[inside[0]])
        if inside[-1] < times.size - 1:
            out["ci_high"] = float(times[inside[-1] + 1])
    return out


def logrank_test(durations, observed, groups, weights=None) -> dict:
    """Log-rank test that the survival curves of several groups are equal.

    Rows without a group (None, NaN, NA) are left out and counted; they do not form a group of their own. The
    arithmetic is statsmodels' ``survdiff`` (the variance from the hypergeometric one at each time), with the
    risk sets and deaths counted by weight.

    Parameters
    ----------
    durations, observed : array-like
        Survival times and event flags.
    groups : array-like
        The group of each row.
    weights : array-like, optional
        Whole number of subjects each row stands for (default one).

    Returns
    -------
    dict
        ``chi2``, ``df`` (groups − 1), ``p_value`` and ``excluded`` (subjects left out for want of a group); chi2
        and p are NaN when fewer than two groups or no events remain. The p-value comes from the chi-square
        survival function, so a strong difference gives a tiny p rather than 0.
    """
    labels = np.asarray(groups, dtype=object)
    if labels.shape != np.shape(durations):
        raise ValueError("groups must have one value per duration")
    if weights is not None:
        labels = labels[np.asarray(weights, dtype=float) > 0]
    t, e, w = _clean(durations, observed, weights)
    has_group = ~pd.isna(labels)
    excluded = int(round(w[~has_group].sum()))
    t, e, w, labels = t[has_group], e[has_group], w[has_group], labels[has_group].astype(str)
    names = np.unique(labels)
    if names.size < 2 or e.sum() == 0:
        return {"chi2": float("nan"), "df": max(names.size - 1, 0), "p_value": float("nan"), "excluded": excluded}
    df = names.size - 1
    times, index = np.unique(t, return_inverse=True)
    observed_by, at_risk_by = [], []
    for name in names:
        mine = (labels == name) * w
        observed_by.append(np.bincount(index, weights=e * mine, minlength=times.size))
        at_risk_by.append(np.cumsum(np.bincount(index, weights=mine, minlength=times.size)[::-1])[::-1])
    deaths, at_risk = sum(observed_by), sum(at_risk_by)
    used = np.flatnonzero(at_risk > 1)
    share = np.vstack(at_risk_by) / np.clip(at_risk, 1e-10, np.inf)[None, :]
    spread = deaths * (at_risk - deaths) / np.clip(at_risk - 1, 1e-10, np.inf)
    excess, variance = [], []
    # the first group is the reference: its row and column would make the variance matrix singular
    for g in range(1, df + 1):
        excess.append((observed_by[g] - share[g] * deaths)[used].sum())
        cov = share[1:, :].T * (np.eye(1, df, g - 1).ravel() - share[g, :, None]) * spread[:, None]
        variance.append(cov[used].sum(axis=0))
    excess = np.hstack(excess)
    chi2 = float(excess @ np.linalg.solve(np.vstack(variance), excess))
    return {"chi2": chi2, "df": df, "p_value": float(stats.chi2.sf(chi2, df)), "excluded": excluded}


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
        Subjects the model was fitted on.
    events : int
    excluded : int
        Subjects left out because a covariate was missing (NaN).
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


@dataclass
class _Efron:
    """Efron's partial likelihood at one β, with each event time's share of the score and information."""

    loglik: float
    score: np.ndarray  # (event times, p)
    info: np.ndarray  # (event times, p, p)
    times: np.ndarray  # the event times


def _efron(t, e, w, x, beta) -> _Efron:
    """Efron's partial log-likelihood, score and information for frequency-weighted rows.

    At a time with tied deaths of total weight d, Efron's approximation removes the deaths from the risk set in d
    equal steps, l = 0 … d − 1: with weights counted as subjects this is the likelihood of the rows repeated.
    The sums over l are taken in closed form per time (1/D_l, l/d/D_l and their squares' analogues), so the cost
    does not grow with the number of rows.
    """
    eta = x @ beta
    order = np.argsort(t, kind="stable")
    ts, es, ws, xs, etas = t[order], e[order], w[order], x[order], eta[order]
    risk = ws * np.exp(etas - etas.max())
    # sums over each risk set {time >= t}: suffix sums in time order
    s0 = np.cumsum(risk[::-1])[::-1]
    s1 = np.cumsum((risk[:, None] * xs)[::-1], axis=0)[::-1]
    s2 = np.cumsum((risk[:, None, None] * xs[:, :, None] * xs[:, None, :])[::-1], axis=0)[::-1]
    dead = es == 1
    times, first = np.unique(ts[dead], return_index=True)
    group = np.searchsorted(times, ts[dead])
    k = times.size

    def by_time(values):
        return np.stack([np.bincount(group, weights=v, minlength=k) for v in values.reshape(values.shape[0], -1).T],
                        axis=-1).reshape((k, *values.shape[1:]))

    dw, dr = ws[dead], risk[dead]
    d = np.bincount(group, weights=dw, minlength=k)
    a0 = np.bincount(group, weights=dr, minlength=k)
    a1 = by_time(dr[:, None] * xs[dead])
    a2 = by_time(dr[:, None, None] * xs[dead][:, :, None] * xs[dead][:, None, :])
    at = np.searchsorted(ts, times, side="left")
    b0, b1, b2 = s0[at], s1[at], s2[at]
    # the Efron steps of every time, laid end to end
    steps = np.round(d).astype(int)
    owner = np.repeat(np.arange(k), steps)
    frac = (np.arange(owner.size) - np.repeat(np.cumsum(steps) - steps, steps)) / d[owner]
    den = b0[owner] - frac * a0[owner]

    def per_time(values):
        return np.bincount(owner, weights=values, minlength=k)

    c0, c1 = per_time(1 / den), per_time(frac / den)
    q0, q1, q2 = per_time(den**-2), per_time(frac / den**2), per_time(frac**2 / den**2)
    sum_x = by_time(dw[:, None] * xs[dead])
    sum_eta = np.bincount(group, weights=dw * (etas[dead] - etas.max()), minlength=k)
    loglik = float((sum_eta - per_time(np.log(den))).sum())
    score = sum_x - (b1 * c0[:, None] - a1 * c1[:, None])
    # Σ_l mean_l mean_lᵀ with mean_l = (b1 − f_l a1) / D_l, expanded in the per-time sums
    outer = (np.einsum("ki,kj->kij", b1, b1) * q0[:, None, None]
             - (np.einsum("ki,kj->kij", b1, a1) + np.einsum("ki,kj->kij", a1, b1)) * q1[:, None, None]
             + np.einsum("ki,kj->kij", a1, a1) * q2[:, None, None])
    info = b2 * c0[:, None, None] - a2 * c1[:, None, None] - outer
    return _Efron(loglik, score, info, times)


def _newton(t, e, w, x) -> tuple[np.ndarray, np.ndarray]:
    """Maximise Efron's partial likelihood by Newton–Raphson with step halving.

    Returns
    -------
    tuple
        β̂ and the information matrix at β̂.
    """
    beta = np.zeros(x.shape[1])
    fit = _efron(t, e, w, x, beta)
    for _ in range(100):
        info = fit.info.sum(axis=0)
        try:
            step = np.linalg.solve(info, fit.score.sum(axis=0))
        except np.linalg.LinAlgError:
            raise ValueError("the covariates are collinear: the Cox model cannot separate their effects") from None
        for _ in range(30):
            trial = _efron(t, e, w, x, beta + step)
            if np.isfinite(trial.loglik) and trial.loglik >= fit.loglik - 1e-12 * abs(fit.loglik):
                break
            step = step / 2
        beta, improved, fit = beta + step, trial.loglik - fit.loglik, trial
        if np.max(np.abs(step)) < 1e-10 or abs(improved) < 1e-14 * max(abs(fit.loglik), 1.0):
            break
    return beta, fit.info.sum(axis=0)


def fit_cox(durations, observed, features: pd.DataFrame, level: float = 0.95, weights=None) -> CoxResult:
    """Fit a Cox proportional-hazards model (Efron ties) and check the proportional-hazards assumption.

    Parameters
    ----------
    durations, observed : array-like
        Survival times and event flags.
    features : pandas.DataFrame
        Numeric covariates, one row per row of `durations`. Rows with a missing covariate are left out and
        counted (as R's ``na.omit``); columns that are constant over the remaining rows are dropped and listed.
    level : float
        Confidence level of the hazard-ratio intervals.
    weights : array-like, optional
        Whole number of subjects each row stands for (default one): the fit equals that of the rows repeated,
        ties included.

    Returns
    -------
    CoxResult
        Standard errors from the inverse information; intervals and p-values are Wald's, on the normal scale.

    Raises
    ------
    ValueError
        When no row has every covariate, no covariate varies, no event remains, or the covariates are collinear.
    """
    x = _covariates(features, np.shape(durations)[0])
    if weights is not None:
        x = x[np.asarray(weights, dtype=float) > 0].reset_index(drop=True)
    t, e, w = _clean(durations, observed, weights)
    n_rows = int(round(w.sum()))
    complete = x.notna().all(axis=1).to_numpy()
    if not complete.any():
        missing = ", ".join(f"{name} in {int(round(w[x[name].isna().to_numpy()].sum()))}"
                            for name, count in x.isna().sum().items() if count)
        raise ValueError(f"no row has a value for every covariate (missing: {missing} of {n_rows} rows)")
    t, e, w, x = t[complete], e[complete], w[complete], x[complete]
    dropped = [c for c in x.columns if x[c].nunique() < 2]
    x = x.drop(columns=dropped)
    n = int(round(w.sum()))
    if x.shape[1] == 0:
        raise ValueError(f"no covariate varies over the {n} rows used: {', '.join(dropped)} are constant")
    if e.sum() == 0:
        raise ValueError(f"none of the {n} rows used has an event: a Cox model needs at least one")
    # centred covariates keep exp(xβ) in range; the coefficients do not change
    xc = x.to_numpy() - np.average(x.to_numpy(), axis=0, weights=w)
    params, info = _newton(t, e, w, xc)
    se = np.sqrt(np.diag(np.linalg.inv(info)))
    half = stats.norm.ppf(0.5 + level / 2) * se
    names = pd.Index(x.columns, name="feature")
    hr = pd.DataFrame(
        {
            "coef": params,
            "hazard_ratio": np.exp(params),
            "ci_low": np.exp(params - half),
            "ci_high": np.exp(params + half),
            "p_value": 2 * stats.norm.sf(np.abs(params / se)),
        },
        index=names,
    )
    chi2, chi2_all = _rank_time_score_test(t, e, w, xc, params)
    return CoxResult(
        hazard_ratios=hr,
        ph_test=pd.DataFrame({"chi2": chi2, "p_value": stats.chi2.sf(chi2, 1)}, index=names),
        ph_global={"chi2": chi2_all, "df": len(names), "p_value": float(stats.chi2.sf(chi2_all, len(names)))},
        n=n,
        events=int(round(w @ e)),
        excluded=n_rows - n,
        dropped=dropped,
    )


def _rank_time_score_test(t, e, w, x, beta) -> tuple[np.ndarray, float]:
    """Score tests of proportional hazards against a drift linear in the rank of time, as R's ``cox.zph``.

    Follows survival 3.x ``cox.zph(fit, transform = "rank", terms = FALSE)``: each coefficient β_j becomes
    β_j + θ_j·g(t), with g the average rank of the time among all subjects (censored ones included) centred on
    the events, and the score test of θ = 0 is taken at the fitted β with the full information matrix of (β, θ)
    under Efron's handling of ties. Average ranks give tied times one g, so the result does not depend on the
    order of the rows; with frequency weights the ranks are those of the rows repeated.

    Returns
    -------
    tuple
        The chi-square of each covariate (1 df each) and the global chi-square (one df per covariate).
    """
    p = x.shape[1]
    values, index = np.unique(t, return_inverse=True)
    count = np.bincount(index, weights=w, minlength=values.size)
    rank = np.cumsum(count) - count + (count + 1) / 2
    g = rank - np.average(rank[index], weights=w * e)
    fit = _efron(t, e, w, x, beta)
    drift = g[np.searchsorted(values, fit.times)]
    # the score of θ is the score of β with each event time's share times its g; likewise the information
    # blocks (β, β), (β, θ), (θ, θ) take each time's share times 1, g and g²
    score = drift @ fit.score
    info = [np.einsum("k,kij->ij", drift**power, fit.info) for power in range(3)]
    full = np.block([[info[0], info[1]], [info[1], info[2]]])
    # the score of β is zero at the fit, so each test's score vector is (0, …, 0, score of θ_j)
    u = np.concatenate([np.zeros(p), score])
    per_covariate = np.empty(p)
    for j in range(p):
        keep = [*range(p), p + j]
        per_covariate[j] = u[keep] @ np.linalg.solve(full[np.ix_(keep, keep)], u[keep])
    return per_covariate, float(u @ np.linalg.solve(full, u))
