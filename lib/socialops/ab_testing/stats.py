"""Frequentist tests of chapter 03, computed from aggregates (counts, sums, sums of squares).

Every function here takes summary numbers, never row-level data, so the heavy lifting stays on the engine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CORRECTIONS = ("holm", "bh")


@dataclass(frozen=True)
class ProportionTest:
    """A variant against control on a 0/1 metric.

    ``statistic`` is the pooled z; ``p_value`` is two-sided; ``ci_low``/``ci_high`` bound the absolute
    difference (variant − control, Wald, unpooled); ``lift_low``/``lift_high`` bound the relative lift
    (variant ÷ control − 1, delta method on the log of the ratio).
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


def _z(alpha: float) -> float:
    return float(stats.norm.isf(alpha / 2))


def _log_ratio_interval(ratio: float, se_log: float, alpha: float) -> tuple[float, float]:
    z = _z(alpha)
    return ratio * math.exp(-z * se_log) - 1.0, ratio * math.exp(z * se_log) - 1.0


def proportion_test(successes: Sequence[int], trials: Sequence[int], alpha: float = 0.05) -> ProportionTest:
    """Compare a variant's conversion rate with control's.

    Parameters
    ----------
    successes, trials : pair of int
        Index 0 is control, index 1 the variant.
    alpha : float
        Two-sided level of the intervals (0.05 gives 95% intervals).

    Returns
    -------
    ProportionTest
        Pooled two-proportion z statistic and its two-sided p-value; Wald (unpooled) interval for the
        difference variant − control; relative lift with a delta-method interval on the log of the ratio.
    """
    if len(successes) != 2 or len(trials) != 2:
        raise ValueError("proportion_test compares exactly two groups: index 0 control, index 1 variant")
    x0, x1 = (int(v) for v in successes)
    n0, n1 = (int(v) for v in trials)
    if min(n0, n1) <= 0 or not (0 <= x0 <= n0 and 0 <= x1 <= n1):
        raise ValueError(f"need 0 <= successes <= trials and trials > 0, got {successes} of {trials}")
    p0, p1 = x0 / n0, x1 / n1
    diff = p1 - p0
    pooled = (x0 + x1) / (n0 + n1)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
    if se_pooled > 0:
        statistic = diff / se_pooled
        p_value = float(2 * stats.norm.sf(abs(statistic)))
    else:  # both groups all-zero or all-one: no evidence of a difference
        statistic, p_value = 0.0, 1.0
    se = math.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1)
    z = _z(alpha)
    rel = lift_low = lift_high = None
    if x0 > 0:
        rel = p1 / p0 - 1
        if x1 > 0:
            lift_low, lift_high = _log_ratio_interval(p1 / p0, math.sqrt((1 - p1) / x1 + (1 - p0) / x0), alpha)
    return ProportionTest(statistic, p_value, diff - z * se, diff + z * se, p0, p1, diff, rel, lift_low, lift_high)


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
        (only when both means are positive).
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
        return MeanTest(0.0, 1.0, diff, diff, float("inf"), m0, m1, diff, 0.0, None, None, None)
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
    return stats.norm.cdf((np.sqrt(n) * abs(p2 - p1) - _z(alpha) * null_sd) / alt_sd)


def sample_size_exact(baseline_rate: float, mde: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Units per variant before rounding (the ``n`` that R's ``power.prop.test`` prints)."""
    p1, p2 = _rates(baseline_rate, mde)
    if not 0 < power < 1:
        raise ValueError(f"power must lie in (0, 1), got {power}")
    pbar = (p1 + p2) / 2
    # The power equation of power_two_proportions solved for n in closed form.
    root_n = (_z(alpha) * math.sqrt(2 * pbar * (1 - pbar))
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
        Two-sided significance level.
    power : float
        Probability of detecting the effect when it is real.

    Returns
    -------
    int
        Units per variant, rounded up (pooled normal approximation of R's ``power.prop.test``).
    """
    # The tolerance keeps floating-point noise (77.0000000001) from adding a unit.
    return math.ceil(sample_size_exact(baseline_rate, mde, alpha, power) - 1e-9)


def cuped_theta(cov_xy: float, var_x: float) -> float:
    """CUPED coefficient: the regression slope of the metric on its pre-period value (0 if X is constant)."""
    return cov_xy / var_x if var_x > 0 else 0.0
