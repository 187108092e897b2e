"""Estimators of chapter 03 against independent references (statsmodels, scipy, R's published values)."""

import math

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
    always_valid_p_values,
    beta_beat_control,
    mixture_likelihood_ratio,
    normal_beat_control,
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


def _prob_beat_exact(x0, n0, x1, n1):
    """P(p1 > p0) under Beta(1, 1) priors by the finite sum for an integer variant alpha (Evan Miller)."""
    ac, bc, av, bv = 1 + x0, 1 + n0 - x0, 1 + x1, 1 + n1 - x1

    def lbeta(p, q):
        return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)

    return math.fsum(math.exp(lbeta(ac + i, bc + bv) - math.log(bv + i) - lbeta(1 + i, bv) - lbeta(ac, bc))
                     for i in range(av))


@pytest.mark.parametrize(("successes", "trials"), CASES)
def test_prob_beat_control_matches_exact_sum(successes, trials):
    res = beta_beat_control(successes, trials)
    assert res.prob_beat_control == pytest.approx(
        _prob_beat_exact(successes[0], trials[0], successes[1], trials[1]), abs=1e-8)


def test_bayes_matches_monte_carlo_with_fixed_seed():
    successes, trials = (37, 52), (1200, 1150)
    res = beta_beat_control(successes, trials)
    rng = np.random.default_rng(20260930)
    draws = 4_000_000
    pc = rng.beta(1 + successes[0], 1 + trials[0] - successes[0], draws)
    pv = rng.beta(1 + successes[1], 1 + trials[1] - successes[1], draws)
    beat = pv > pc
    loss = np.maximum(pc - pv, 0)
    assert abs(res.prob_beat_control - beat.mean()) < 4 * beat.std() / math.sqrt(draws)
    assert abs(res.expected_loss - loss.mean()) < 4 * loss.std() / math.sqrt(draws)
    assert res.expected_loss == pytest.approx(loss.mean(), rel=2e-3)


def test_normal_beat_control_matches_monte_carlo():
    res = normal_beat_control(1.3, 2.0)
    d = np.random.default_rng(5).normal(1.3, 2.0, 4_000_000)
    assert res.prob_beat_control == pytest.approx(stats.norm.cdf(0.65), rel=1e-12)
    assert res.expected_loss == pytest.approx(np.maximum(-d, 0).mean(), rel=2e-3)


def test_msprt_closed_form_by_hand():
    # One look: d = 0.01, V = 2e-5, mixture variance m = 1e-4.
    # Lambda = sqrt(2e-5 / 1.2e-4) * exp(1e-4 * 1e-4 / (2 * 2e-5 * 1.2e-4))
    #        = sqrt(1/6) * exp(1/0.48) = 0.4082483 * 8.0311950 = 3.2787; p = 1/Lambda = 0.30500
    lam = math.sqrt(1 / 6) * math.exp(1 / 0.48)
    assert mixture_likelihood_ratio(0.01, 2e-5, 1e-4) == pytest.approx(lam, rel=1e-12)
    # unit_sd 0.2 and tau 0.05 give the same mixture variance (0.05 * 0.2)² = 1e-4.
    p = always_valid_p_values([0.01], [2e-5], [0.2], tau=0.05)
    assert p[0] == pytest.approx(1 / lam, rel=1e-12)
    assert p[0] == pytest.approx(0.30500, abs=1e-5)


def test_msprt_is_a_running_minimum_that_ignores_empty_looks():
    p = always_valid_p_values([np.nan, 0.02, 0.0, 0.03], [0.0, 1e-4, 1e-4, 5e-5], [0.2, 0.2, 0.2, 0.2])
    assert p[0] == 1.0
    assert np.all(np.diff(p) <= 0)
    assert p[2] == p[1]


def test_msprt_keeps_type_one_error_under_alpha_with_daily_peeks():
    # Under H0, a classic p read at each of 30 looks crosses 0.05 far more than 5% of the time; the
    # always-valid p must cross it at most 5% of the time (plus Monte Carlo slack).
    rng = np.random.default_rng(11)
    sims, looks, per_look, alpha = 4000, 30, 200, 0.05
    a = rng.normal(0, 1, (sims, looks, per_look)).sum(axis=2).cumsum(axis=1)
    b = rng.normal(0, 1, (sims, looks, per_look)).sum(axis=2).cumsum(axis=1)
    n = per_look * np.arange(1, looks + 1)
    diff, var = (b - a) / n, 2.0 / n
    crossed_av = np.mean([always_valid_p_values(d, var, np.ones(looks), 0.05).min() < alpha for d in diff])
    crossed_classic = np.mean((2 * stats.norm.sf(np.abs(diff) / np.sqrt(var))).min(axis=1) < alpha)
    assert crossed_classic > 0.15
    assert crossed_av <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / sims)


def test_msprt_detects_a_real_effect():
    rng = np.random.default_rng(12)
    n = 500 * np.arange(1, 31)
    diff = (rng.normal(0.1, 1, (30, 500)).sum(axis=1).cumsum() - rng.normal(0, 1, (30, 500)).sum(axis=1).cumsum()) / n
    assert always_valid_p_values(diff, 2.0 / n, np.ones(30), 0.05)[-1] < 0.001
