"""The Wilson score interval against scipy's, an implementation independent of statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest

from socialops.stats.intervals import wilson_bounds, wilson_interval

TRIALS = [1, 2, 3, 7, 10, 50, 2000]


@pytest.mark.parametrize("trials", TRIALS)
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_matches_scipy(trials, confidence):
    for successes in range(trials + 1):
        low, high = wilson_interval(successes, trials, confidence)
        ref = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
        assert low == pytest.approx(ref.low, rel=1e-12, abs=1e-15), (successes, trials)
        assert high == pytest.approx(ref.high, rel=1e-12, abs=1e-15), (successes, trials)


@pytest.mark.parametrize("trials", TRIALS)
def test_bounds_stay_within_zero_and_one(trials):
    assert wilson_interval(0, trials)[0] == 0.0
    assert wilson_interval(trials, trials)[1] == 1.0


def test_bounds_are_plain_floats():
    assert all(type(bound) is float for bound in wilson_interval(3, 10))


def test_default_is_95_percent():
    assert wilson_interval(20, 50) == wilson_interval(20, 50, 0.95)
    assert wilson_interval(20, 50, 0.99)[0] < wilson_interval(20, 50)[0]


@pytest.mark.parametrize("trials", [0, -1])
def test_no_trials_gives_no_interval(trials):
    assert all(math.isnan(bound) for bound in wilson_interval(0, trials))


def test_bounds_of_arrays_match_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    x, n = np.array([0, 1, 30, 165, 7]), np.array([10, 10, 10_000, 165, 34])
    for alpha in (0.01, 0.05, 0.2):
        low, high = wilson_bounds(x, n, alpha)
        ref_low, ref_high = proportion_confint(x, n, alpha=alpha, method="wilson")
        np.testing.assert_allclose(low, ref_low, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(high, ref_high, rtol=1e-12, atol=1e-15)
