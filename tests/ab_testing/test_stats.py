"""Estimators of chapter 03 against independent references (statsmodels, scipy, R's published values)."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
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
    # chapter 03 reaches the shared test through its own package (tests/stats/test_proportions.py checks it fully)
    res = proportion_test(successes, trials)
    (x0, x1), (n0, n1) = successes, trials
    z, p = proportions_ztest([x1, x0], [n1, n0])  # pooled variance by default
    lo, hi = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff")
    assert res.method == "z"
    assert res.statistic == pytest.approx(z, rel=1e-9)
    assert res.p_value == pytest.approx(p, rel=1e-9)
    assert (res.ci_low, res.ci_high) == pytest.approx((lo, hi), rel=1e-9)
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


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # scipy on constant raw values
def test_welch_on_constant_groups_agrees_with_scipy_on_the_raw_values():
    # Two groups without spread: different means are a certain difference (p = 0, t = -inf), equal ones none.
    apart = welch_test([3, 4], [2.0, 1.0], [0.0, 0.0])
    ref = stats.ttest_ind([1.0] * 4, [2.0] * 3, equal_var=False)
    assert (apart.statistic, apart.p_value) == (ref.statistic, ref.pvalue) == (-math.inf, 0.0)
    assert (apart.ci_low, apart.ci_high, apart.abs_diff, apart.rel_lift) == (-1.0, -1.0, -1.0, -0.5)
    same = welch_test([3, 4], [2.0, 2.0], [0.0, 0.0])
    assert (same.statistic, same.p_value, same.ci_low, same.ci_high) == (0.0, 1.0, 0.0, 0.0)


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


def test_p_values_come_from_survival_functions():
    # z = 10.3: 1 - cdf would round the p-value to 0; the survival function keeps it (about 6e-25)
    res = proportion_test([1000, 1500], [10_000, 10_000])
    assert 0 < res.p_value == pytest.approx(2 * stats.norm.sf(abs(res.statistic)), rel=1e-12)
    assert res.p_value < 1e-20
    # and no p-value of chapter 03 or of the shared proportions is written as 1 - cdf
    root = Path(__file__).resolve().parents[2] / "lib" / "socialops"
    for path in [*sorted((root / "ab_testing").glob("*.py")), root / "stats" / "proportions.py"]:
        assert not re.search(r"1\s*-\s*[\w.]*cdf\(", path.read_text(encoding="utf-8")), path
