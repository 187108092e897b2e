"""What mentions would have looked like without the crisis, and how far the crisis moved them.

Volume: a negative binomial regression with one level per phase of the day (hour-of-day effects), fitted on the
days before the onset. It was preferred to a Gaussian state-space model on log counts because it models counts as
counts (zeros at night, variance growing with the mean), its overdispersion is estimated rather than assumed, and
its predictive distribution is easy to simulate, which the interval of the cumulative excess needs: the excess is
the observed total minus the total of simulated counterfactual paths (parameter uncertainty and count noise
together), not a sum of hourly bands.

Short histories: the fit uses the days there are before the onset, down to :data:`MIN_FIT_DAYS`, and the per-period
band that defines "back to normal" is a predictive band (the parameters drawn from their asymptotic distribution,
then a count), so a fit on three days gives an honestly wider band than one on four weeks. It is not exact: the
overdispersion fitted on three counts per hour is biased low, and a 99% band then covered 97.9% of the next day's
hourly counts in simulation (the band at the fitted parameters alone: 95.3%). With fewer days the fit
refuses with :class:`ShortHistory`, which says how many days there were and how many are needed.

Sentiment and negative share: ratios of sums (sentiment sum over mentions), compared with the pre-crisis ratio,
with cluster-robust (by period) linearisation variances, so that mentions of one busy hour are not treated as
independent evidence.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

#: Fewest days before the onset the counterfactual is fitted on: every phase of the day needs two counts, so that
#: its level and the overdispersion are both estimated.
MIN_FIT_DAYS = 2


class ShortHistory(ValueError):
    """Too few days before the onset to fit the counterfactual.

    Attributes
    ----------
    days : float
        Days of data before the onset.
    needed : int
        Days needed (:data:`MIN_FIT_DAYS`).
    """

    def __init__(self, days: float, needed: int = MIN_FIT_DAYS):
        self.days = days
        self.needed = needed
        super().__init__(f"the counterfactual needs at least {needed} days of data before the onset; there are "
                         f"{days:.1f}")


@dataclass(frozen=True)
class VolumeCounterfactual:
    """A fitted counterfactual for mention volume.

    Attributes
    ----------
    params : numpy.ndarray
        Log mean per phase of the day, then the overdispersion ``alpha`` (NB2: variance = mu + alpha·mu²).
    cov : numpy.ndarray
        Covariance of ``params``.
    periods_per_day : int
        Number of phases.
    fit_start, fit_end : pandas.Timestamp
        The fitted period (``fit_end`` exclusive: the onset).
    expected : pandas.Series
        Counterfactual mean per period over the whole series.
    lower, upper : pandas.Series
        Per-period predictive band: quantiles of simulated counts, each drawn with parameters from their asymptotic
        normal distribution, so the band carries the uncertainty of a short fit as well as count noise.
    """

    params: np.ndarray
    cov: np.ndarray
    periods_per_day: int
    fit_start: pd.Timestamp
    fit_end: pd.Timestamp
    expected: pd.Series
    lower: pd.Series
    upper: pd.Series

    @property
    def alpha(self) -> float:
        """Overdispersion of the negative binomial (0 = Poisson)."""
        return float(self.params[-1])

    @property
    def fit_days(self) -> float:
        """Days of data the counterfactual was fitted on."""
        return (self.fit_end - self.fit_start) / pd.Timedelta(days=1)


def _phase_design(index: pd.DatetimeIndex, periods_per_day: int) -> np.ndarray:
    """One indicator column per phase of the day (a single constant column for daily data)."""
    if periods_per_day <= 1:
        return np.ones((len(index), 1))
    minutes = index.hour * 60 + index.minute
    phase = (minutes // (24 * 60 // periods_per_day)).to_numpy()
    return np.eye(periods_per_day)[phase]


def _parameter_draws(params: np.ndarray, cov: np.ndarray, n_sims: int, rng: np.random.Generator) -> np.ndarray:
    """Parameters drawn from their asymptotic normal distribution (log means clipped so a draw cannot overflow).

    The draws use the Cholesky factor of the covariance, which moves continuously with it: the singular vectors
    numpy uses by default may turn or flip sign on last-bit differences of a fit, which would give a run on another
    machine (or under another load) other draws. A covariance that is not positive definite falls back to them.
    """
    try:
        np.linalg.cholesky(cov)
        method = "cholesky"
    except np.linalg.LinAlgError:
        method = "svd"
    draws = rng.multivariate_normal(params, cov, size=n_sims, method=method)
    draws[:, :-1] = np.clip(draws[:, :-1], -30.0, 30.0)
    draws[:, -1] = np.clip(draws[:, -1], 1e-8, None)
    return draws


def _nb_draws(mu: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """NB2 counts with means ``mu`` and overdispersions ``alpha`` (broadcast)."""
    size = 1.0 / alpha
    # numpy's negative_binomial(n, p) has mean n(1-p)/p = mu when p = n / (n + mu).
    return rng.negative_binomial(np.broadcast_to(size, mu.shape), size / (size + mu))


def _predictive_band(
    params: np.ndarray, cov: np.ndarray, band_level: float, n_sims: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper predictive quantiles of one period's count, per phase of the day."""
    rng = np.random.default_rng(seed)
    draws = _parameter_draws(params, cov, n_sims, rng)
    counts = _nb_draws(np.exp(draws[:, :-1]), draws[:, -1:], rng)
    tail = (1.0 - band_level) / 2.0
    low, high = np.quantile(counts, [tail, 1.0 - tail], axis=0, method="inverted_cdf")
    return low, high


def _poisson_levels(y: np.ndarray, design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson fit of one level per phase (closed form): log means, then alpha = 0, and their covariance.

    The MLE of a phase's mean is its average count and the variance of its log is ``1 / (n_p · mean_p)``; alpha
    is fixed at zero (no variance).
    """
    totals = design.T @ y
    if np.any(totals <= 0):
        raise ValueError("the normal level could not be fitted on the days before the onset: a phase of the day "
                         "has no mention at all")
    params = np.append(np.log(totals / design.sum(axis=0)), 0.0)
    return params, np.diag(np.append(1.0 / totals, 0.0))


def _fit_levels(y: np.ndarray, design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NB2 fit of one level per phase; the Poisson fit when the overdispersion sits at its boundary (zero).

    On counts no more variable than Poisson the NB2 likelihood is flat at alpha = 0 and its Hessian cannot be
    inverted; the Poisson model is then the maximum-likelihood answer.
    """
    # The MLE of each phase's mean is that phase's average count; starting there (with a moment estimate of
    # alpha) makes Newton converge in a few steps instead of a long search from zero.
    phase_mean = (design.T @ y) / design.sum(axis=0)
    fitted_mean = design @ phase_mean
    alpha0 = float(np.sum((y - fitted_mean) ** 2 - fitted_mean) / max(np.sum(fitted_mean**2), 1e-9))
    start = np.append(np.log(np.clip(phase_mean, 1e-3, None)), max(alpha0, 0.01))
    model = sm.NegativeBinomial(y, design, loglike_method="nb2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a failed inversion is checked below, not printed into a report
        fitted = model.fit(start_params=start, disp=0, maxiter=200)
        params = np.asarray(fitted.params, dtype=float)
        try:
            cov = np.asarray(fitted.cov_params(), dtype=float)
        except (ValueError, np.linalg.LinAlgError):
            return _poisson_levels(y, design)
    converged = bool(fitted.mle_retvals.get("converged", False))
    if converged and np.isfinite(params).all() and np.isfinite(cov).all() and params[-1] > 1e-6:
        return params, cov
    return _poisson_levels(y, design)


def fit_volume_counterfactual(
    counts: pd.Series,
    onset: pd.Timestamp,
    periods_per_day: int = 24,
    fit_days: int = 28,
    band_level: float = 0.99,
    n_sims: int = 4000,
    seed: int = 0,
) -> VolumeCounterfactual:
    """Fit the counterfactual for mention volume on the ``fit_days`` days before ``onset``.

    When the data start later the fit uses the days there are, down to :data:`MIN_FIT_DAYS`.

    Parameters
    ----------
    counts : pandas.Series
        Mentions per period on a regular DatetimeIndex.
    onset : pandas.Timestamp
        First crisis period; the fit uses the periods before it.
    periods_per_day : int
        Phases of the daily cycle (24 for hourly data).
    fit_days : int
        Length of the fitting period in days (shorter when the data start later).
    band_level : float
        Coverage of the per-period predictive band used to judge recovery.
    n_sims : int
        Simulated counts per phase behind the band.
    seed : int
        Seed of that simulation.

    Returns
    -------
    VolumeCounterfactual

    Raises
    ------
    ShortHistory
        If fewer than :data:`MIN_FIT_DAYS` days precede the onset.
    ValueError
        If a phase of the day has no mention at all before the onset and the negative binomial fit fails.
    """
    fit_start = onset - pd.Timedelta(days=fit_days)
    pre = counts[(counts.index >= fit_start) & (counts.index < onset)]
    if len(pre) < MIN_FIT_DAYS * max(periods_per_day, 1):
        raise ShortHistory(len(pre) / max(periods_per_day, 1))
    params, cov = _fit_levels(pre.to_numpy(dtype=float), _phase_design(pre.index, periods_per_day))
    design = _phase_design(counts.index, periods_per_day)
    low, high = _predictive_band(params, cov, band_level, n_sims, seed)
    return VolumeCounterfactual(
        params=params,
        cov=cov,
        periods_per_day=periods_per_day,
        fit_start=pre.index[0],
        fit_end=onset,
        expected=pd.Series(np.exp(design @ params[:-1]), index=counts.index),
        lower=pd.Series(design @ low, index=counts.index),
        upper=pd.Series(design @ high, index=counts.index),
    )


def simulate_counterfactual_totals(
    cf: VolumeCounterfactual, index: pd.DatetimeIndex, n_sims: int = 4000, seed: int = 0
) -> np.ndarray:
    """Simulate the total counterfactual mentions over the periods in ``index``.

    Each path draws the parameters from their asymptotic normal distribution, then a negative binomial count for
    every period, and sums the path; the spread of the totals carries both sources of uncertainty.

    Parameters
    ----------
    cf : VolumeCounterfactual
        The fitted counterfactual.
    index : pandas.DatetimeIndex
        The periods to total (e.g. the crisis window).
    n_sims : int
        Number of simulated paths.
    seed : int
        Seed of the random generator, for reproducible reports.

    Returns
    -------
    numpy.ndarray
        ``n_sims`` simulated totals.
    """
    rng = np.random.default_rng(seed)
    draws = _parameter_draws(cf.params, cf.cov, n_sims, rng)
    mu = np.exp(draws[:, :-1] @ _phase_design(index, cf.periods_per_day).T)
    return _nb_draws(mu, draws[:, -1:], rng).sum(axis=1).astype(float)


def excess_mentions(
    counts: pd.Series,
    cf: VolumeCounterfactual,
    start: pd.Timestamp,
    end: pd.Timestamp | None = None,
    level: float = 0.95,
    n_sims: int = 4000,
    seed: int = 0,
) -> dict[str, float]:
    """Mentions above the counterfactual over a window, with an interval from the cumulative forecast.

    Parameters
    ----------
    counts : pandas.Series
        Observed mentions per period.
    cf : VolumeCounterfactual
        Counterfactual fitted before ``start``.
    start, end : pandas.Timestamp
        The window: ``start`` inclusive, ``end`` exclusive (None = to the last period).
    level : float
        Interval coverage.
    n_sims : int
        Simulated counterfactual paths.
    seed : int
        Random seed.

    Returns
    -------
    dict
        ``observed``, ``expected`` (counterfactual mean total), ``effect`` (observed − expected), ``ci_low``,
        ``ci_high`` and ``periods``.
    """
    mask = counts.index >= start
    if end is not None:
        mask &= counts.index < end
    window = counts[mask]
    observed = float(window.sum())
    expected = float(cf.expected[mask].sum())
    totals = simulate_counterfactual_totals(cf, window.index, n_sims=n_sims, seed=seed)
    tail = (1.0 - level) / 2.0
    low_total, high_total = np.quantile(totals, [tail, 1.0 - tail])
    return {
        "observed": observed,
        "expected": expected,
        "effect": observed - expected,
        "ci_low": observed - float(high_total),
        "ci_high": observed - float(low_total),
        "periods": int(mask.sum()),
    }


def ratio_shift(
    numerator: pd.Series,
    denominator: pd.Series,
    pre_mask: np.ndarray,
    window_mask: np.ndarray,
    level: float = 0.95,
) -> dict[str, float]:
    """Change of a ratio of sums (e.g. mean sentiment) from the pre-crisis period to a window, with an interval.

    The counterfactual is the pre-crisis ratio ``sum(numerator) / sum(denominator)``: sentiment has no reliable
    daily cycle, and one pooled level is estimated far more precisely than 24 hourly ones. Variances are
    linearised with periods as clusters (``G / (G - 1)`` correction), as a cluster-robust regression would.

    Parameters
    ----------
    numerator, denominator : pandas.Series
        Per-period sums (e.g. sum of sentiment and number of mentions with a sentiment).
    pre_mask, window_mask : numpy.ndarray
        Boolean masks of the pre-crisis periods and of the crisis window.
    level : float
        Interval coverage.

    Returns
    -------
    dict
        ``baseline``, ``observed``, ``effect`` (observed − baseline), ``ci_low``, ``ci_high``; effect and
        interval are None when either period has no mentions.
    """
    parts = {}
    for name, mask in (("baseline", pre_mask), ("observed", window_mask)):
        num = numerator.to_numpy(dtype=float)[mask]
        den = denominator.to_numpy(dtype=float)[mask]
        total = den.sum()
        if total <= 0:
            return {"baseline": None, "observed": None, "effect": None, "ci_low": None, "ci_high": None}
        ratio = num.sum() / total
        groups = int((den > 0).sum())
        resid = num - ratio * den
        var = (groups / max(groups - 1, 1)) * float(np.sum(resid**2)) / total**2
        parts[name] = (float(ratio), var)
    effect = parts["observed"][0] - parts["baseline"][0]
    se = float(np.sqrt(parts["observed"][1] + parts["baseline"][1]))
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    return {
        "baseline": parts["baseline"][0],
        "observed": parts["observed"][0],
        "effect": effect,
        "ci_low": effect - z * se,
        "ci_high": effect + z * se,
    }


def recovery_start(
    counts: pd.Series, cf: VolumeCounterfactual, after: pd.Timestamp, periods: int
) -> pd.Timestamp | None:
    """Start of the first run of ``periods`` consecutive in-band periods after ``after``.

    Parameters
    ----------
    counts : pandas.Series
        Observed mentions per period.
    cf : VolumeCounterfactual
        Supplies the per-period band.
    after : pandas.Timestamp
        Usually the peak; only later periods are considered.
    periods : int
        Consecutive in-band periods that mark recovery.

    Returns
    -------
    pandas.Timestamp or None
        None when no such run has happened by the end of the data.
    """
    later = counts.index > after
    in_band = (counts >= cf.lower) & (counts <= cf.upper)
    in_band = in_band[later]
    run_id = (~in_band).cumsum()
    run_length = in_band.astype(int).groupby(run_id).cumsum()
    done = run_length.index[(run_length == max(int(periods), 1)).to_numpy()]
    if len(done) == 0:
        return None
    return in_band.index[in_band.index.get_loc(done[0]) - max(int(periods), 1) + 1]
