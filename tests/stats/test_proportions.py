"""Two proportions against independent references: Newcombe's published table, statsmodels, scipy and R, and
the coverage of the intervals in simulation."""

import itertools
import math

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest

from socialops.stats.proportions import (
    MIN_EXPECTED_COUNT,
    count_of,
    family_alpha,
    intervals,
    mover_ratio_interval,
    needs_exact,
    newcombe_interval,
    proportion_test,
)

# Newcombe (1998), "Interval estimation for the difference between independent proportions: comparison of
# eleven methods", Statistics in Medicine 17:873-890, Table II, method 10 (score, no continuity correction):
# (x1, n1, x2, n2) and the 95 % limits of p1 − p2 as printed, to four decimals.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("table", "published"), NEWCOMBE_TABLE_II)
def test_newcombe_interval_reproduces_table_ii_of_the_paper(table, published):
    x1, n1, x2, n2 = table
    low, high = newcombe_interval(x2, n2, x1, n1)  # control first: the difference is p1 − p2
    assert (float(low), float(high)) == pytest.approx(published, abs=5e-5)


def test_newcombe_interval_matches_statsmodels_on_a_grid_of_tables():
    tables = [(x0, n0, x1, n1) for n0, n1 in [(7, 13), (40, 40), (165, 1483), (2000, 300)]
              for x0, x1 in itertools.product(np.linspace(0, n0, 5).astype(int), np.linspace(0, n1, 5).astype(int))]
    for x0, n0, x1, n1 in tables:
        ref = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff")
        got = newcombe_interval(x0, n0, x1, n1)
        np.testing.assert_allclose([float(v) for v in got], ref, rtol=1e-9, atol=1e-12)


def _mover_by_root_finding(x0, n0, x1, n1):
    """The MOVER-R limits solved numerically from their defining equations (a second implementation)."""
    p0, p1 = x0 / n0, x1 / n1
    l0, u0 = proportion_confint(x0, n0, method="wilson")
    l1, u1 = proportion_confint(x1, n1, method="wilson")
    ratio = p1 / p0
    # lower: p1 − L·p0 = sqrt((p1 − l1)² + L²(u0 − p0)²) with L below the ratio; upper likewise above it
    low = optimize.brentq(lambda r: p1 - r * p0 - math.hypot(p1 - l1, r * (u0 - p0)), 0.0, ratio, xtol=1e-14)
    high = optimize.brentq(lambda r: r * p0 - p1 - math.hypot(u1 - p1, r * (p0 - l0)), ratio, 1e6, xtol=1e-14)
    return low, high


@pytest.mark.parametrize("table", [(8, 165, 222, 1483), (7, 34, 1, 34), (30, 10_000, 1, 10), (40, 50, 45, 50)])
def test_mover_ratio_interval_solves_its_defining_equations(table):
    low, high = mover_ratio_interval(*table)
    assert (float(low), float(high)) == pytest.approx(_mover_by_root_finding(*table), rel=1e-9)


def test_lift_interval_excludes_no_change_exactly_when_the_difference_interval_does():
    grid = np.array([(x0, n0, x1, n1) for n0, n1 in [(6, 9), (12, 12), (20, 5)]
                     for x0 in range(1, n0 + 1) for x1 in range(n1 + 1)]).T
    low, high, lift_low, lift_high = intervals(*grid)
    np.testing.assert_array_equal(low > 0, lift_low > 0)
    np.testing.assert_array_equal(high < 0, lift_high < 0)


def test_exact_test_where_an_expected_cell_is_below_five():
    # the case that misled the z test: 1 of 10 against 30 of 10,000 (z p = 3.4e-8, with an interval across 0)
    res = proportion_test([30, 1], [10_000, 10])
    assert res.method == "fisher"
    # R 4.2.2: fisher.test(matrix(c(1, 9, 30, 9970), 2))$p.value
    assert res.p_value == pytest.approx(0.0305545369103001, rel=1e-9)
    assert res.p_value == pytest.approx(stats.fisher_exact([[1, 9], [30, 9970]]).pvalue, rel=1e-12)
    # the interval agrees with the test: both say the variant converts more
    assert res.ci_low > 0 and res.lift_low > 0
    ref = confint_proportions_2indep(1, 10, 30, 10_000, method="newcomb", compare="diff")
    assert (res.ci_low, res.ci_high) == pytest.approx(ref, rel=1e-9)
    # one unit per arm: no evidence at all, and an interval as wide as the question
    one = proportion_test([0, 1], [1, 1])
    assert one.method == "fisher" and one.p_value == 1.0
    assert one.ci_low < -0.1 and one.ci_high == pytest.approx(1.0)
    # R 4.2.2: fisher.test(matrix(c(3, 7, 1, 19), 2))$p.value
    assert proportion_test([1, 3], [20, 10]).p_value == pytest.approx(0.0952380952380952, rel=1e-9)


def test_z_test_where_every_expected_cell_holds_five():
    res = proportion_test([37, 61], [1200, 1150])
    z, p = proportions_ztest([61, 37], [1150, 1200])
    assert res.method == "z" and (res.statistic, res.p_value) == pytest.approx((z, p), rel=1e-9)


def test_the_switch_sits_at_an_expected_count_of_five():
    # 10 conversions in 200 units split evenly: each arm expects exactly 5 conversions
    assert not needs_exact(5, 100, 5, 100) and needs_exact(4, 100, 5, 99)
    assert MIN_EXPECTED_COUNT == 5
    assert proportion_test([5, 5], [100, 100]).method == "z"
    # non-conversions count too: 195 of 200 converted leaves 2.5 expected failures per arm
    assert proportion_test([97, 98], [100, 100]).method == "fisher"


def test_lift_is_missing_without_a_control_conversion():
    res = proportion_test([0, 3], [50, 50])
    assert res.rel_lift is None and res.lift_low is None and res.lift_high is None
    assert res.ci_low < 0.06 < res.ci_high


@pytest.mark.parametrize("bad", [2.5, math.nan, math.inf, -1, "seven", None])
def test_counts_that_are_not_whole_numbers_are_refused(bad):
    with pytest.raises(ValueError, match="whole number of units"):
        proportion_test([bad, 3], [10, 10])
    with pytest.raises(ValueError, match="whole number of units"):
        proportion_test([3, 3], [10, bad])


def test_whole_floats_are_counts_and_impossible_tables_are_refused():
    assert count_of(7.0, "successes") == 7 and count_of(np.int64(3), "trials") == 3
    assert proportion_test([4.0, 9.0], [100.0, 100.0]) == proportion_test([4, 9], [100, 100])
    with pytest.raises(ValueError, match="two proportions"):
        proportion_test([1, 2, 3], [10, 10, 10])
    with pytest.raises(ValueError, match="successes <= trials"):
        proportion_test([11, 2], [10, 10])
    with pytest.raises(ValueError, match="successes <= trials"):
        proportion_test([0, 2], [0, 10])


def test_family_alpha_shares_the_level():
    assert family_alpha(0.05, 1) == 0.05 and family_alpha(0.05, 4) == 0.0125
    with pytest.raises(ValueError):
        family_alpha(0.05, 0)


# (control units, variant units, control rate, variant rate): equal and unequal splits (10/90 as in the
# win-back test, 1/10), from 20 to 5,000 units an arm and rates from 2 to 60 %.
COVERAGE_CASES = [(20, 20, 0.3, 0.3), (20, 20, 0.5, 0.6), (50, 50, 0.1, 0.15), (100, 100, 0.05, 0.05),
                  (200, 200, 0.02, 0.02), (30, 300, 0.1, 0.1), (100, 900, 0.05, 0.05), (100, 900, 0.05, 0.15),
                  (165, 1483, 0.05, 0.15), (500, 4500, 0.02, 0.02), (1000, 1000, 0.1, 0.12),
                  (5000, 5000, 0.04, 0.05)]


@pytest.mark.slow
@pytest.mark.parametrize(("n0", "n1", "p0", "p1"), COVERAGE_CASES)
def test_intervals_cover_95_percent(n0, n1, p0, p1):
    # 40,000 simulated experiments per case: the Monte Carlo standard error of a 95 % coverage is 0.0011, so
    # the band 93-97 % sits 18 standard errors from 0.95; the exact coverages of these cases (summed over
    # every possible table) lie between 0.947 and 0.965, at least 5 standard errors inside the band. Where an
    # arm expects only one or two conversions the intervals are conservative (97 to 99.9 %), not tested here.
    rng = np.random.default_rng(20260)
    x0, x1 = rng.binomial(n0, p0, 40_000), rng.binomial(n1, p1, 40_000)
    low, high, lift_low, lift_high = intervals(x0, n0, x1, n1)
    diff_cover = np.mean((low <= p1 - p0) & (p1 - p0 <= high))
    lift_cover = np.mean((lift_low <= p1 / p0 - 1) & (p1 / p0 - 1 <= lift_high))
    assert 0.93 <= diff_cover <= 0.97
    assert 0.93 <= lift_cover <= 0.97
