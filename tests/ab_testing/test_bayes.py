"""Bayesian read-out of chapter 03 against an exact finite sum and Monte Carlo draws with fixed seeds."""

import math

import numpy as np
import pytest
from scipy import stats

from socialops.ab_testing.bayes import beta_beat_control, normal_beat_control

CASES = [((320, 400), (8000, 8000)), ((37, 61), (1200, 1150)), ((480, 1420), (1000, 9000))]


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


def test_identical_arms_are_a_coin_toss():
    res = beta_beat_control((50, 50), (1000, 1000))
    assert res.prob_beat_control == pytest.approx(0.5, abs=1e-9)
    assert res.expected_loss > 0
    assert normal_beat_control(0.0, 1.0).prob_beat_control == pytest.approx(0.5, abs=1e-12)
    # E[max(-D, 0)] for D ~ N(0, 1) is 1 / sqrt(2 pi)
    assert normal_beat_control(0.0, 1.0).expected_loss == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-9)
