"""Estimators of chapter 03 against independent references (statsmodels, scipy, R's published values)."""

import math

import numpy as np
import pytest
from statsmodels.stats.gof import chisquare as sm_chisquare
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW, ttest_ind

from socialops.ab_testing import (
    adjust_p_values,
    power_two_proportions,
    proportion_test,
    sample_size,
    sample_size_exact,
    srm_test,
    welch_test,
)

CASES = [((320, 400), (8000, 8000)), ((37, 61), (1200, 1150)), ((480, 1420), (1000, 9000))]


@pytest.mark.parametrize(("successes", "trials"), CASES)
def test_proportion_test_matches_statsmodels(successes, trials):
    res = proportion_test(successes, trials)
    (x0, x1), (n0, n1) = successes, trials
    z, p = proportions_ztest([x1, x0], [n1, n0])  # pooled variance by default
    lo, hi = confint_proportions_2indep(x1, n1, x0, n0, method="wald", compare="diff")
    rlo, rhi = confint_proportions_2indep(x1, n1, x0, n0, method="log", compare="ratio")
    assert res.statistic == pytest.approx(z, rel=1e-9)
    assert res.p_value == pytest.approx(p, rel=1e-9)
    assert (res.ci_low, res.ci_high) == pytest.approx((lo, hi), rel=1e-9)
    assert (res.lift_low, res.lift_high) == pytest.approx((rlo - 1, rhi - 1), rel=1e-7)
    assert res.abs_diff == pytest.approx(x1 / n1 - x0 / n0, rel=1e-12)
    assert res.rel_lift == pytest.approx((x1 / n1) / (x0 / n0) - 1, rel=1e-12)


def test_proportion_test_alpha_widens_interval_and_rejects_bad_input():
    narrow, wide = proportion_test([40, 60], [1000, 1000], 0.1), proportion_test([40, 60], [1000, 1000], 0.01)
    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high
    assert proportion_test([0, 0], [10, 10]).p_value == 1.0
    with pytest.raises(ValueError):
        proportion_test([1, 2, 3], [10, 10, 10])
    with pytest.raises(ValueError):
        proportion_test([11, 2], [10, 10])


def test_welch_from_moments_matches_statsmodels_on_raw_data():
    rng = np.random.default_rng(3)
    x0, x1 = rng.gamma(2.0, 30.0, 900), rng.gamma(2.2, 31.0, 350)
    res = welch_test([x0.size, x1.size], [x0.mean(), x1.mean()], [x0.var(ddof=1), x1.var(ddof=1)])
    t, p, df = ttest_ind(x1, x0, usevar="unequal")
    lo, hi = CompareMeans(DescrStatsW(x1), DescrStatsW(x0)).tconfint_diff(usevar="unequal")
    assert (res.statistic, res.p_value, res.df) == pytest.approx((t, p, df), rel=1e-9)
    assert (res.ci_low, res.ci_high) == pytest.approx((lo, hi), rel=1e-9)
    # Delta method on the log of the ratio of means, computed here from its definition.
    se_log = math.sqrt(x0.var(ddof=1) / x0.size / x0.mean() ** 2 + x1.var(ddof=1) / x1.size / x1.mean() ** 2)
    ratio = x1.mean() / x0.mean()
    assert res.lift_low == pytest.approx(ratio * math.exp(-1.959963984540054 * se_log) - 1, rel=1e-9)


def test_srm_matches_statsmodels_and_r_published_example():
    # R's ?chisq.test example: x = c(89, 37, 30, 28, 2), p = c(40, 20, 20, 19, 1) / 100
    # prints X-squared = 5.7947, df = 4, p-value = 0.215.
    x, p = [89, 37, 30, 28, 2], [40, 20, 20, 19, 1]
    res = srm_test(x, p)
    assert res.statistic == pytest.approx(5.7947, abs=5e-5)
    assert res.p_value == pytest.approx(0.215, abs=5e-4)
    chi2, pv = sm_chisquare(np.array(x), np.array(p) / 100 * sum(x))
    assert (res.statistic, res.p_value) == pytest.approx((chi2, pv), rel=1e-10)


def test_srm_declared_holdout_is_not_a_mismatch_but_equal_split_is():
    counts = [1010, 8990]
    assert srm_test(counts, [10, 90]).p_value > 0.5
    assert srm_test(counts, [0.1, 0.9]).statistic == pytest.approx(srm_test(counts, [1, 9]).statistic)
    assert srm_test(counts).p_value < 1e-100
    assert srm_test([5000, 5000]).statistic == 0.0
    with pytest.raises(ValueError):
        srm_test([10, 20], [1, 0])


@pytest.mark.parametrize("p", [[0.01, 0.04, 0.03, 0.005], [0.2, 0.2, 0.01, 0.9, 0.04, 0.04, 1.0], [0.03]])
@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_corrections_match_statsmodels(p, ours, theirs):
    assert adjust_p_values(p, ours) == pytest.approx(multipletests(p, method=theirs)[1], rel=1e-12)


def test_holm_by_hand_and_errors():
    p = [0.01, 0.04, 0.03, 0.005]
    # Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, then the running maximum.
    assert adjust_p_values(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02], rel=1e-12)
    assert adjust_p_values([], "holm") == []
    with pytest.raises(ValueError, match="correction"):
        adjust_p_values(p, "bonferroni")


def test_sample_size_matches_r_power_prop_test():
    # R: power.prop.test(p1 = .50, p2 = .75, power = .90) prints n = 76.7069.
    assert sample_size_exact(0.5, 0.25, power=0.9) == pytest.approx(76.7069, abs=5e-5)
    assert sample_size(0.5, 0.25, power=0.9) == 77
    # R: power.prop.test(n = 50, p1 = .50, p2 = .75) prints power = 0.7401659.
    assert power_two_proportions(50, 0.5, 0.25) == pytest.approx(0.7401659, abs=5e-8)


@pytest.mark.parametrize(("base", "mde", "alpha", "power"),
                         [(0.04, 0.01, 0.05, 0.8), (0.15, -0.03, 0.01, 0.9), (0.6, 0.05, 0.1, 0.85)])
def test_sample_size_matches_statsmodels(base, mde, alpha, power):
    ref = samplesize_proportions_2indep_onetail(mde, base, power, alpha=alpha, alternative="two-sided")
    assert sample_size_exact(base, mde, alpha, power) == pytest.approx(ref, rel=1e-9)
    n = sample_size(base, mde, alpha, power)
    assert n == math.ceil(ref)
    assert power_two_proportions(n, base, mde, alpha) >= power > power_two_proportions(n - 1, base, mde, alpha)


def test_sample_size_rejects_impossible_rates():
    with pytest.raises(ValueError):
        sample_size(0.98, 0.05)
    with pytest.raises(ValueError):
        sample_size(0.1, 0.0)
