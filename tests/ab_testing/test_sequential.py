"""Always-valid p-values (mixture SPRT): the closed form by hand, and its error rate under daily peeking."""

import math

import numpy as np
import pytest
from scipy import stats

from socialops.ab_testing.sequential import always_valid_p_values, mixture_likelihood_ratio


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
