"""What mentions would have looked like without the crisis, and how far the crisis moved them.

Volume: a negative binomial regression with one level per phase of the day (hour-of-day effects), fitted on the
days before the onset. It was preferred to a Gaussian state-space model on log counts because it models counts as
counts (zeros at night, variance growing with the mean), its overdispersion is estimated rather than assumed, and
its predictive distribution is easy to simulate, which the interval of the cumulative excess needs: the excess is
the observed total minus the total of simulated counterfactual paths (parameter uncertainty and count noise
together), not a sum of hourly bands.

Sentiment and negative share: ratios of sums (sentiment sum over mentions), compared with the pre-crisis ratio,
with cluster-robust (by period) linearisation variances, so that mentions of one busy hour are not treated as
independent evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats


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
        Per-period predictive band (negative binomial quantiles at the fitted parameters).
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


def _phase_design(index: pd.DatetimeIndex, periods_per_day: int) -> np.ndarray:
    """One indicator column per phase of the day (a single constant column for daily data)."""
    if periods_per_day <= 1:
        return np.ones((len(index), 1))
    minutes = index.hour * 60 + index.minute
    phase = (minutes // (24 * 60 // periods_per_day)).to_numpy()
    return np.eye(periods_per_day)[phase]


def _nb_quantile(q: float, mu: np.ndarray, alpha: float) -> np.ndarray:
    """Quantile of NB2 with mean ``mu`` and overdispersion ``alpha`` (scipy's n, p parameterisation)."""
    alpha = max(alpha, 1e-8)
    size = 1.0 / alpha
    return stats.nbinom.ppf(q, size, size / (size + mu))


def fit_volume_counterfactual(
    counts: pd.Series,
    onset: pd.Timestamp,
    periods_per_day: int = 24,
    fit_days: int = 28,
    band_level: float = 0.99,
) -> VolumeCounterfactual:
    """Fit the counterfactual for mention volume on the ``fit_days`` days before ``onset``.

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

    Returns
    -------
    VolumeCounterfactual

    Raises
    ------
    ValueError
        If fewer than two full days precede the onset.
    """
    fit_start = onset - pd.Timedelta(days=fit_days)
    pre = counts[(counts.index >= fit_start) & (counts.index < onset)]
    if len(pre) < 2 * max(periods_per_day, 1):
        raise ValueError("the counterfactual needs at least two days of data before the onset")
    design = _phase_design(pre.index, periods_per_day)
    model = sm.NegativeBinomial(pre.to_numpy(dtype=float), design, loglike_method="nb2")
    # The MLE of each phase's mean is that phase's average count; starting there (with a moment estimate of
    # alpha) makes Newton converge in a few steps instead of a long search from zero.
    y = pre.to_numpy(dtype=float)
    phase_mean = (design.T @ y) / design.sum(axis=0)
    fitted_mean = design @ phase_mean
    alpha0 = float(np.sum((y - fitted_mean) ** 2 - fitted_mean) / max(np.sum(fitted_mean**2), 1e-9))
    start = np.append(np.log(np.clip(phase_mean, 1e-3, None)), max(alpha0, 0.01))
    fitted = model.fit(start_params=start, disp=0, maxiter=200)
    params = np.asarray(fitted.params, dtype=float)
    cov = np.asarray(fitted.cov_params(), dtype=float)
    mu = np.exp(_phase_design(counts.index, periods_per_day) @ params[:-1])
    tail = (1.0 - band_level) / 2.0
    return VolumeCounterfactual(
        params=params,
        cov=cov,
        periods_per_day=periods_per_day,
        fit_start=pre.index[0],
        fit_end=onset,
        expected=pd.Series(mu, index=counts.index),
        lower=pd.Series(_nb_quantile(tail, mu, params[-1]), index=counts.index),
        upper=pd.Series(_nb_quantile(1.0 - tail, mu, params[-1]), index=counts.index),
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
    draws = rng.multivariate_normal(cf.params, cf.cov, size=n_sims, method="svd")
    log_mu = draws[:, :-1] @ _phase_design(index, cf.periods_per_day).T
    mu = np.exp(log_mu)
    alpha = np.clip(draws[:, -1], 1e-8, None)[:, None]
    size = 1.0 / alpha
    # numpy's negative_binomial(n, p) has mean n(1-p)/p = mu when p = n / (n + mu).
    counts = rng.negative_binomial(np.broadcast_to(size, mu.shape), size / (size + mu))
    return counts.sum(axis=1).astype(float)


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
