"""Frequentist tests of chapter 03, computed from aggregates (counts, sums, sums of squares).

Every function here takes summary numbers, never row-level data, so the heavy lifting stays on the engine. The
comparison of two proportions and its sample sizes live in :mod:`socialops.stats.proportions`, shared with the
other chapters; they are imported here so that ``socialops.ab_testing`` keeps offering them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from socialops.stats.proportions import (
    ProportionTest,
    power_two_proportions,
    proportion_test,
    sample_size,
    sample_size_exact,
    z_of,
)

__all__ = ["CORRECTIONS", "MeanTest", "ProportionTest", "SrmTest", "adjust_p_values", "cuped_theta",
           "power_two_proportions", "proportion_test", "sample_size", "sample_size_exact", "srm_test",
           "welch_test"]

CORRECTIONS = ("holm", "bh")


@dataclass(frozen=True)
class MeanTest:
    """A variant against control on a continuous metric (Welch's t-test, unequal variances)."""

    statistic: float
    p_value: float
    ci_low: float
    ci_high: float
    df: float
    control_mean: float
    variant_mean: float
    abs_diff: float
    std_error: float
    rel_lift: float | None
    lift_low: float | None
    lift_high: float | None


@dataclass(frozen=True)
class SrmTest:
    """Sample ratio mismatch: chi-square of the observed counts against the intended split."""

    statistic: float
    p_value: float
    expected: tuple[float, ...]


def _log_ratio_interval(ratio: float, se_log: float, alpha: float) -> tuple[float, float]:
    z = z_of(alpha)
    return ratio * math.exp(-z * se_log) - 1.0, ratio * math.exp(z * se_log) - 1.0


def _constant_groups(m0: float, m1: float) -> MeanTest:
    """Welch's test of two groups without spread: the difference is known exactly."""
    diff = m1 - m0
    statistic = 0.0 if diff == 0 else math.copysign(math.inf, diff)
    rel = m1 / m0 - 1 if m0 > 0 else None
    return MeanTest(statistic, 1.0 if diff == 0 else 0.0, diff, diff, math.inf, m0, m1, diff, 0.0, rel, rel, rel)


def welch_test(n: Sequence[int], mean: Sequence[float], var: Sequence[float], alpha: float = 0.05) -> MeanTest:
    """Welch's t-test of the variant mean against control, from per-group moments.

    Parameters
    ----------
    n, mean, var : pair
        Sizes, means and sample variances (ddof=1); index 0 control, index 1 variant.
    alpha : float
        Two-sided level of the intervals.

    Returns
    -------
    MeanTest
        t statistic, Welch–Satterthwaite degrees of freedom, two-sided p-value, a t interval for the
        difference, and the relative lift with a delta-method interval on the log of the ratio of means
        (only when both means are positive). Two constant groups give p = 1 when their means are equal and
        p = 0 (t = ±inf, a zero-width interval) when they differ: the limit of Welch's test as both
        variances shrink to 0, and what it gives on the raw values.
    """
    n0, n1 = (int(v) for v in n)
    m0, m1 = (float(v) for v in mean)
    v0, v1 = (float(v) for v in var)
    if min(n0, n1) < 2:
        raise ValueError(f"Welch's test needs at least two units per group, got {n0} and {n1}")
    a, b = v0 / n0, v1 / n1
    se = math.sqrt(a + b)
    diff = m1 - m0
    if se == 0:
        return _constant_groups(m0, m1)
    df = (a + b) ** 2 / (a**2 / (n0 - 1) + b**2 / (n1 - 1)) if a + b > 0 else float("inf")
    res = stats.ttest_ind_from_stats(m1, math.sqrt(v1), n1, m0, math.sqrt(v0), n0, equal_var=False)
    half = float(stats.t.isf(alpha / 2, df)) * se
    rel = lift_low = lift_high = None
    if m0 > 0:
        rel = m1 / m0 - 1
        if m1 > 0:
            lift_low, lift_high = _log_ratio_interval(m1 / m0, math.sqrt(a / m0**2 + b / m1**2), alpha)
    return MeanTest(float(res.statistic), float(res.pvalue), diff - half, diff + half, df, m0, m1, diff, se,
                    rel, lift_low, lift_high)


def srm_test(counts: Sequence[int], weights: Sequence[float] | None = None) -> SrmTest:
    """Chi-square test of assigned counts against the intended split (sample ratio mismatch).

    Parameters
    ----------
    counts : sequence of int
        Units assigned to each variant.
    weights : sequence of float, optional
        Intended share of each variant, in the same order (any positive scale: ``[1, 9]`` or
        ``[0.1, 0.9]``); equal shares when omitted.

    Returns
    -------
    SrmTest
        The chi-square statistic (k − 1 degrees of freedom), its p-value, and the expected counts.
    """
    obs = np.asarray(counts, dtype=float)
    w = np.ones_like(obs) if weights is None else np.asarray(weights, dtype=float)
    if obs.size < 2 or w.shape != obs.shape or np.any(w <= 0) or obs.sum() <= 0:
        raise ValueError(f"need two or more groups with positive weights and units, got {counts}, {weights}")
    expected = obs.sum() * w / w.sum()
    res = stats.chisquare(obs, expected)
    return SrmTest(float(res.statistic), float(res.pvalue), tuple(float(e) for e in expected))


def adjust_p_values(p_values: Sequence[float], correction: str = "holm") -> list[float]:
    """Adjust the p-values of one family of comparisons.

    Parameters
    ----------
    p_values : sequence of float
        The raw p-values of the comparisons within one experiment.
    correction : {"holm", "bh"}
        Holm's step-down (controls the family-wise error) or Benjamini–Hochberg (controls the false
        discovery rate, more lenient with many comparisons).

    Returns
    -------
    list of float
        Adjusted p-values, in the input order.
    """
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {CORRECTIONS}, got {correction!r}")
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return []
    if correction == "bh":
        return [float(v) for v in stats.false_discovery_control(p)]
    # Holm by hand: statsmodels' multipletests runs a full gc.collect() on every Holm call (a third of a
    # second each in a loaded kernel), and the step-down rule is three lines.
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(p[order] * np.arange(p.size, 0, -1))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(stepped, 1.0)
    return [float(v) for v in adjusted]


def cuped_theta(cov_xy: float, var_x: float) -> float:
    """CUPED coefficient: the regression slope of the metric on its pre-period value (0 if X is constant)."""
    return cov_xy / var_x if var_x > 0 else 0.0
