"""Confidence intervals of proportions.

The Wilson score interval is written out in closed form (Wilson 1927; Newcombe 1998, method 3): it needs only the
normal quantile, which the standard library gives, so callers do not pay for loading a statistics package.
"""

from __future__ import annotations

import math
from statistics import NormalDist


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
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    share = successes / trials
    shrink = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / shrink
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / shrink
    # Rounding can push a bound a last bit past 0 or 1 when the share itself is 0 or 1.
    return max(0.0, centre - half), min(1.0, centre + half)
