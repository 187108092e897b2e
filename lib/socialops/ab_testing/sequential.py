"""Always-valid p-values for experiments that are watched while they run (mixture SPRT).

A classic p-value is valid only if it is read once, at the planned end. Teams look every day; each look is
another chance for noise to cross 0.05. The mixture sequential probability ratio test (mSPRT; Johari, Koomen,
Pekelis & Walsh, "Always valid inference", 2017/2022) gives a p-value that can be read at every look: the
chance that it ever drops below alpha when there is no effect is at most alpha.

Hand-written because no maintained Python library ships the two-sample normal mSPRT; the formula is short.
With the estimated difference ``d`` at a look, its variance ``V`` and a normal mixture N(0, m) over the true
difference, the mixture likelihood ratio against "no difference" is

    Lambda = sqrt(V / (V + m)) * exp(d² m / (2 V (V + m)))

and the always-valid p-value is the running minimum of min(1, 1 / Lambda) over the looks so far.
"""

from __future__ import annotations

import numpy as np

DEFAULT_TAU = 0.05


def mixture_likelihood_ratio(diff, variance, mixing_var):
    """The mSPRT statistic Lambda for each look (arrays broadcast).

    Parameters
    ----------
    diff : array_like
        Estimated difference variant − control at each look.
    variance : array_like
        Variance of that estimate at each look.
    mixing_var : array_like
        Variance ``m`` of the normal mixture over the true difference (same units as ``variance``).

    Returns
    -------
    numpy.ndarray
        Lambda at each look (computed on the log scale, so large evidence does not overflow).
    """
    d, v, m = (np.asarray(a, dtype=float) for a in (diff, variance, mixing_var))
    log_lr = 0.5 * np.log(v / (v + m)) + d**2 * m / (2 * v * (v + m))
    return np.exp(np.minimum(log_lr, 700.0))


def always_valid_p_values(diff, variance, unit_sd, tau: float = DEFAULT_TAU) -> np.ndarray:
    """Always-valid p-values along a sequence of looks.

    Parameters
    ----------
    diff : array_like
        Estimated difference variant − control at each look, in time order.
    variance : array_like
        Variance of that estimate at each look (e.g. p_c(1 − p_c)/n_c + p_v(1 − p_v)/n_v).
    unit_sd : array_like
        Standard deviation of the metric for one unit at each look; it puts the mixture on the scale of a
        standardized effect, so one ``tau`` serves rates and amounts alike.
    tau : float
        Spread of the mixture, in standard deviations of one unit: the mixture over the true difference is
        N(0, (tau · unit_sd)²), i.e. the mixing variance of the standardized effect is tau². 0.05 suits the
        small effects of content and campaign tests (a 4% → 5% conversion change is about 0.05 sd).

    Returns
    -------
    numpy.ndarray
        The p-value after each look; looks with no information (zero variance) keep the previous value.
    """
    d = np.asarray(diff, dtype=float)
    v = np.asarray(variance, dtype=float)
    m = (tau * np.asarray(unit_sd, dtype=float)) ** 2
    p = np.ones_like(d)
    ok = (v > 0) & (m > 0) & np.isfinite(d)
    p[ok] = np.minimum(1.0, 1.0 / mixture_likelihood_ratio(d[ok], v[ok], m[ok]))
    return np.minimum.accumulate(p)
