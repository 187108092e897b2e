"""Two proportions compared: a test, an interval of the difference and one of the relative lift, sample sizes.

Which test depends on the counts: when every expected cell of the 2 × 2 table (conversions and
non-conversions of each arm, under no difference) holds at least :data:`MIN_EXPECTED_COUNT` units, the pooled
z test; otherwise Fisher's exact test. The intervals are the same in both cases: Newcombe's hybrid score
interval of the difference (Newcombe 1998, method 10) and the interval of the ratio built the same way from
the two Wilson intervals (MOVER-R, Donner & Zou 2012). Both come from the same Wilson limits and exclude "no
change" together: the lift interval lies above 0 exactly when the difference interval does. They replace the
Wald and Katz intervals, which cover 91 to 93 % instead of 95 % under a 10/90 split at a 2 to 5 % rate, and
far less with a few units in an arm.

The interval functions take arrays, so that simulations of their coverage run in one pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from socialops.stats.intervals import wilson_bounds

#: Smallest expected cell count of the 2 × 2 table for which the normal approximation is used.
MIN_EXPECTED_COUNT = 5.0

#: Names of the two ways of testing, as ``ProportionTest.method`` reports them.
METHODS = ("z", "fisher")


@dataclass(frozen=True)
class ProportionTest:
    """A variant against control on a 0/1 metric.

    ``method`` is ``"z"`` (``statistic`` is the pooled z) or ``"fisher"`` (Fisher's exact test,
    ``statistic`` is the sample odds ratio); ``p_value`` is two-sided. ``ci_low``/``ci_high`` bound the
    absolute difference variant − control (Newcombe); ``lift_low``/``lift_high`` bound the relative lift
    variant ÷ control − 1 (MOVER-R), None when control has no conversion.
    """

    statistic: float
    p_value: float
    ci_low: float
    ci_high: float
    control_rate: float
    variant_rate: float
    abs_diff: float
    rel_lift: float | None
    lift_low: float | None
    lift_high: float | None
    method: str = "z"


def z_of(alpha: float) -> float:
    """The two-sided normal quantile of level ``alpha`` (1.96 for 0.05)."""
    return float(stats.norm.isf(alpha / 2))


def count_of(value: object, name: str) -> int:
    """A count as an int, refusing what is not a whole non-negative number.

    Parameters
    ----------
    value : object
        The count (int, or a float holding a whole number, as engines return sums).
    name : str
        What the count is, for the message.

    Raises
    ------
    ValueError
        For NaN, infinite, fractional or negative values.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number of units, got {value!r}") from None
    if not math.isfinite(number) or number != math.floor(number) or number < 0:
        raise ValueError(f"{name} must be a whole number of units, got {value!r}: a missing (NaN) or fractional "
                         "count cannot be tested; leave such units out and report how many were left out")
    return int(number)


def _table(successes: Sequence[object], trials: Sequence[object]) -> tuple[int, int, int, int]:
    if len(successes) != 2 or len(trials) != 2:
        raise ValueError("two proportions are compared: index 0 control, index 1 variant")
    x0, x1 = (count_of(v, "successes") for v in successes)
    n0, n1 = (count_of(v, "trials") for v in trials)
    if min(n0, n1) <= 0 or x0 > n0 or x1 > n1:
        raise ValueError(f"need 0 <= successes <= trials and trials > 0, got {list(successes)} of {list(trials)}")
    return x0, n0, x1, n1


def needs_exact(x0, n0, x1, n1):
    """Whether any expected cell of the 2 × 2 table is below :data:`MIN_EXPECTED_COUNT` (arrays broadcast).

    The expected cells under no difference are ``n_i · pooled`` and ``n_i · (1 − pooled)`` for each arm.
    """
    x0, n0, x1, n1 = (np.asarray(a, dtype=float) for a in (x0, n0, x1, n1))
    pooled = (x0 + x1) / (n0 + n1)
    smallest = np.minimum(n0, n1) * np.minimum(pooled, 1 - pooled)
    return smallest < MIN_EXPECTED_COUNT


def newcombe_interval(x0, n0, x1, n1, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval of the difference ``x1/n1 − x0/n0`` (Newcombe 1998, method 10).

    Each arm's Wilson interval, combined by the square-root rule: the lower bound is
    ``d − sqrt((p1 − l1)² + (u0 − p0)²)`` and the upper ``d + sqrt((u1 − p1)² + (p0 − l0)²)``.
    """
    p0, p1 = np.asarray(x0, float) / np.asarray(n0, float), np.asarray(x1, float) / np.asarray(n1, float)
    l0, u0 = wilson_bounds(x0, n0, alpha)
    l1, u1 = wilson_bounds(x1, n1, alpha)
    d = p1 - p0
    return d - np.hypot(p1 - l1, u0 - p0), d + np.hypot(u1 - p1, p0 - l0)


def mover_ratio_interval(x0, n0, x1, n1, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Interval of the ratio ``(x1/n1) ÷ (x0/n0)`` from the two Wilson intervals (MOVER-R, Donner & Zou 2012).

    The lower bound ``L`` solves ``(p1 − L·p0)² = (p1 − l1)² + L²(u0 − p0)²`` and the upper bound ``U``
    solves ``(U·p0 − p1)² = (u1 − p1)² + U²(p0 − l0)²``; at a ratio of 1 these are Newcombe's conditions for
    a difference of 0, so this interval excludes 1 exactly when :func:`newcombe_interval` excludes 0. The
    upper bound is infinite when control has no conversion.
    """
    p0, p1 = np.asarray(x0, float) / np.asarray(n0, float), np.asarray(x1, float) / np.asarray(n1, float)
    l0, u0 = wilson_bounds(x0, n0, alpha)
    l1, u1 = wilson_bounds(x1, n1, alpha)
    b = p1 * p0
    with np.errstate(divide="ignore", invalid="ignore"):
        a_low, c_low = u0 * (2 * p0 - u0), l1 * (2 * p1 - l1)
        # b² ≥ a·c always: (p − bound)² ≥ 0 keeps each factor at most its estimate squared, or makes it negative
        root_low = np.sqrt(np.maximum(b * b - a_low * c_low, 0.0))
        low = np.where(a_low == 0, c_low / (2 * b), (b - root_low) / a_low)
        a_high, c_high = l0 * (2 * p0 - l0), u1 * (2 * p1 - u1)
        high = np.where(a_high > 0, (b + np.sqrt(np.maximum(b * b - a_high * c_high, 0.0))) / a_high, np.inf)
    return np.where(np.asarray(x1) == 0, 0.0, low), high


def intervals(x0, n0, x1, n1, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The intervals :func:`proportion_test` reports, for arrays of tables (as a simulation needs them).

    Returns
    -------
    tuple of numpy.ndarray
        Low and high bound of the difference (Newcombe), low and high bound of the lift, ratio − 1 (MOVER-R);
        the upper bound of the lift is infinite when control has no conversion.
    """
    low, high = newcombe_interval(x0, n0, x1, n1, alpha)
    ratio_low, ratio_high = mover_ratio_interval(x0, n0, x1, n1, alpha)
    return low, high, ratio_low - 1, ratio_high - 1


def _z_test(x0: int, n0: int, x1: int, n1: int) -> tuple[float, float]:
    pooled = (x0 + x1) / (n0 + n1)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
    statistic = (x1 / n1 - x0 / n0) / se  # se > 0: every expected cell is at least MIN_EXPECTED_COUNT
    return statistic, float(2 * stats.norm.sf(abs(statistic)))


def proportion_test(successes: Sequence[int], trials: Sequence[int], alpha: float = 0.05) -> ProportionTest:
    """Compare a variant's conversion rate with control's.

    Parameters
    ----------
    successes, trials : pair of int
        Index 0 is control, index 1 the variant; whole numbers (floats holding whole numbers are accepted).
    alpha : float
        Two-sided level of the intervals (0.05 gives 95% intervals).

    Returns
    -------
    ProportionTest
        The pooled two-proportion z test when every expected cell is at least :data:`MIN_EXPECTED_COUNT`,
        else Fisher's exact test (two-sided); Newcombe's hybrid score interval of the difference and the
        MOVER-R interval of the lift in both cases.

    Raises
    ------
    ValueError
        For anything but two arms, counts that are not whole non-negative numbers (NaN included), empty
        arms or more successes than trials.
    """
    x0, n0, x1, n1 = _table(successes, trials)
    exact = bool(needs_exact(x0, n0, x1, n1))
    if exact:
        res = stats.fisher_exact([[x1, n1 - x1], [x0, n0 - x0]])
        statistic, p_value = float(res.statistic), float(res.pvalue)
    else:
        statistic, p_value = _z_test(x0, n0, x1, n1)
    low, high, lift_low, lift_high = (float(v) for v in intervals(x0, n0, x1, n1, alpha))
    p0, p1 = x0 / n0, x1 / n1
    rel = p1 / p0 - 1 if x0 > 0 else None
    lifts = (float(lift_low), float(lift_high)) if x0 > 0 else (None, None)
    return ProportionTest(statistic, min(p_value, 1.0), low, high, p0, p1, p1 - p0, rel, *lifts,
                          method="fisher" if exact else "z")


# ---------------------------------------------------------------- planning


def _rates(baseline_rate: float, mde: float) -> tuple[float, float]:
    p1, p2 = float(baseline_rate), float(baseline_rate) + float(mde)
    if not (0 < p1 < 1 and 0 < p2 < 1) or mde == 0:
        raise ValueError(f"baseline_rate and baseline_rate + mde must lie in (0, 1), mde != 0; got {p1}, {p2}")
    return p1, p2


def power_two_proportions(n: float | np.ndarray, baseline_rate: float, mde: float,
                          alpha: float = 0.05) -> float | np.ndarray:
    """Power of the two-sided two-proportion test with ``n`` units per variant.

    Same approximation as R's ``power.prop.test`` (``strict = FALSE``): the statistic is pooled under the
    null hypothesis and unpooled under the alternative.

    Parameters
    ----------
    n : float or array
        Units per variant.
    baseline_rate : float
        Control conversion rate.
    mde : float
        Absolute difference to detect (0.01 = one percentage point).
    alpha : float
        Two-sided significance level.
    """
    p1, p2 = _rates(baseline_rate, mde)
    pbar = (p1 + p2) / 2
    null_sd = math.sqrt(2 * pbar * (1 - pbar))
    alt_sd = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return stats.norm.cdf((np.sqrt(n) * abs(p2 - p1) - z_of(alpha) * null_sd) / alt_sd)


def sample_size_exact(baseline_rate: float, mde: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Units per variant before rounding (the ``n`` that R's ``power.prop.test`` prints)."""
    p1, p2 = _rates(baseline_rate, mde)
    if not 0 < power < 1:
        raise ValueError(f"power must lie in (0, 1), got {power}")
    pbar = (p1 + p2) / 2
    # The power equation of power_two_proportions solved for n in closed form.
    root_n = (z_of(alpha) * math.sqrt(2 * pbar * (1 - pbar))
              + float(stats.norm.ppf(power)) * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) / abs(p2 - p1)
    return root_n**2


def sample_size(baseline_rate: float, mde: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Units needed per variant to detect an absolute change in a conversion rate.

    Parameters
    ----------
    baseline_rate : float
        Control conversion rate (0.04 = 4%).
    mde : float
        Minimum detectable effect, absolute (0.01 = from 4% to 5%); negative values plan for a drop.
    alpha : float
        Two-sided significance level (already divided among the comparisons of a family, when there are
        several: see :func:`family_alpha`).
    power : float
        Probability of detecting the effect when it is real.

    Returns
    -------
    int
        Units per variant, rounded up (pooled normal approximation of R's ``power.prop.test``).
    """
    # The tolerance keeps floating-point noise (77.0000000001) from adding a unit.
    return math.ceil(sample_size_exact(baseline_rate, mde, alpha, power) - 1e-9)


def family_alpha(alpha: float, comparisons: int) -> float:
    """The level each of ``comparisons`` tests of one family is planned at: ``alpha`` shared equally.

    Holm's correction compares the smallest p-value of a family of ``k`` with ``alpha / k``; a test sized
    at that level keeps its power after the correction (Bonferroni's bound, which Holm's never exceeds).
    """
    if comparisons < 1:
        raise ValueError(f"a family holds at least one comparison, got {comparisons}")
    return alpha / comparisons
