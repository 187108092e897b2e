"""The Wilson score interval against statsmodels (used here only as the reference)."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.proportion import proportion_confint

from socialops.stats.intervals import wilson_interval


@pytest.mark.parametrize(
    ("successes", "trials"), [(0, 1), (1, 1), (0, 10), (10, 10), (3, 10), (20, 50), (1, 2000), (1999, 2000)]
)
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_matches_statsmodels(successes, trials, confidence):
    low, high = wilson_interval(successes, trials, confidence)
    ref_low, ref_high = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    assert low == pytest.approx(ref_low, rel=1e-12, abs=1e-15)
    assert high == pytest.approx(ref_high, rel=1e-12, abs=1e-15)


def test_bounds_stay_within_zero_and_one():
    assert wilson_interval(0, 7)[0] == 0.0
    assert wilson_interval(7, 7)[1] == 1.0


def test_default_is_95_percent():
    assert wilson_interval(20, 50) == wilson_interval(20, 50, 0.95)
    assert wilson_interval(20, 50, 0.99)[0] < wilson_interval(20, 50)[0]


@pytest.mark.parametrize("trials", [0, -1])
def test_no_trials_gives_no_interval(trials):
    assert all(math.isnan(bound) for bound in wilson_interval(0, trials))
