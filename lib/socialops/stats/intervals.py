"""Confidence intervals of proportions."""

from __future__ import annotations

import math


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
    # imported here: statsmodels takes a second to load, and most processes that import this module never need it
    from statsmodels.stats.proportion import proportion_confint

    if trials <= 0:
        return math.nan, math.nan
    low, high = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    # At a share of 0 or 1 the bound is exactly 0 or 1; rounding would leave it a last bit inside.
    return (0.0 if successes == 0 else float(low)), (1.0 if successes == trials else float(high))
