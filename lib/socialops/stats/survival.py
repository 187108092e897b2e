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

    Returns
    -------
    dict
        ``chi2``, ``df`` (groups − 1) and ``p_value``; NaN values when fewer than two groups have data.
    """
    t, e = _clean(durations, observed)
    g = np.asarray(groups).astype(str)
    n_groups = len(np.unique(g))
    if n_groups < 2 or e.sum() == 0:
        return {"chi2": float("nan"), "df": max(n_groups - 1, 0), "p_value": float("nan")}
    chi2, p = survdiff(t, e, g)
    return {"chi2": float(chi2), "df": n_groups - 1, "p_value": float(p)}


@dataclass
class CoxResult:
    """A fitted Cox proportional-hazards model.

    Attributes
    ----------
    hazard_ratios : pandas.DataFrame
        Index = feature; columns ``coef``, ``hazard_ratio``, ``ci_low``, ``ci_high``, ``p_value``.
    ph_test : pandas.DataFrame
        Index = feature; columns ``chi2``, ``p_value`` of the Grambsch–Therneau test on scaled Schoenfeld
        residuals against the rank of event times (small p: the hazard ratio drifts over time).
    n : int
    events : int
    dropped : list
        Features left out because they did not vary.
    """

    hazard_ratios: pd.DataFrame
    ph_test: pd.DataFrame
    n: int
    events: int
    dropped: list


def fit_cox(
    durations, observed, features: pd.DataFrame, level: float = 0.95
) -> CoxResult:
    """Fit a Cox proportional-hazards model (Efron ties) and check the proportional-hazards assumption.

    Parameters
    ----------
    durations, observed : array-like
        Survival times and event flags.
    features : pandas.DataFrame
        Numeric covariates, one row per subject; constant columns are dropped (and listed in ``dropped``).
    level : float
        Confidence level of the hazard-ratio intervals.

    Returns
    -------
    CoxResult
    """
    t, e = _clean(durations, observed)
    x = features.astype(float)
    dropped = [c for c in x.columns if x[c].nunique() < 2]
    x = x.drop(columns=dropped)
    if x.shape[1] == 0 or e.sum() == 0:
        raise ValueError("need at least one varying feature and one event")
    res = PHReg(t, x.to_numpy(), status=e, ties="efron").fit()
    params = np.asarray(res.params)
    ci = np.asarray(res.conf_int(alpha=1 - level))
    hr = pd.DataFrame(
        {
            "coef": params,
            "hazard_ratio": np.exp(params),
            "ci_low": np.exp(ci[:, 0]),
            "ci_high": np.exp(ci[:, 1]),
            "p_value": np.asarray(res.pvalues),
        },
        index=pd.Index(x.columns, name="feature"),
    )
    return CoxResult(
        hazard_ratios=hr,
        ph_test=_grambsch_therneau(res, t, e, list(x.columns)),
        n=int(t.size),
        events=int(e.sum()),
        dropped=dropped,
    )


def _grambsch_therneau(res, t, e, names) -> pd.DataFrame:
    """Per-covariate test of proportional hazards with the rank time transform (as R's cox.zph, one df each).

    Hand-written because statsmodels returns the Schoenfeld residuals but no test on them.
    """
    schoenfeld = np.asarray(res.schoenfeld_residuals)
    cov = np.asarray(res.cov_params())
    is_event = e == 1
    order = np.argsort(t[is_event], kind="stable")
    resid = schoenfeld[is_event][order]
    d = resid.shape[0]
    # scaled residuals: d · r · Var(beta) approximates beta(t) − beta at each event time
    scaled = d * resid @ cov
    g = np.arange(1, d + 1, dtype=float)
    g -= g.mean()
    chi2 = (g @ scaled) ** 2 / (d * np.diag(cov) * (g @ g))
    return pd.DataFrame(
        {"chi2": chi2, "p_value": stats.chi2.sf(chi2, 1)}, index=pd.Index(names, name="feature")
    )
