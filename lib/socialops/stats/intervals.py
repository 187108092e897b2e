"""Confidence intervals of proportions."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np


def wilson_bounds(x, n, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``x / n`` in closed form, for arrays of counts (broadcast; ``n > 0``).

    Parameters
    ----------
    x, n : array_like
        Successes and trials; ``0 <= x <= n``.
    alpha : float
        One minus the two-sided coverage.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper bounds, exactly 0 at ``x = 0`` and 1 at ``x = n``.
    """
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    z = NormalDist().inv_cdf(1 - alpha / 2)  # the standard library's quantile: no scipy import for one number
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # at a share of 0 or 1 the bound is exactly 0 or 1; rounding would leave it a last bit inside
    return np.where(x == 0, 0.0, centre - half), np.where(x == n, 1.0, centre + half)


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the binomial proportion ``successes / trials``.

    Parameters
    ----------
    successes, trials : int
        Counts of the proportion; ``0 <= successes <= trials``.
    confidence : float
        Two-sided coverage of the interval, between 0 and 1.

    Returns
    -------
    tuple of float
        Lower and upper bound within [0, 1]; both NaN when there are no trials.
    """
    if trials <= 0:
        return math.nan, math.nan
    low, high = wilson_bounds(successes, trials, 1 - confidence)
    return float(low), float(high)
