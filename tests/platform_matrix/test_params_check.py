"""Chapter 01's parameters taken together: score weights and the target profile refused before any kernel."""

from __future__ import annotations

import pytest

from socialops.platform_matrix.params_check import SCORE_COMPONENTS, check_params


def test_the_defaults_and_known_weights_pass():
    assert check_params({"weights": {}, "target_audience": {"age:25-34": 0.45}}) == []
    assert check_params({"weights": {"reach": 1.0, "ctr": 0.0}}) == []
    assert set(SCORE_COMPONENTS) == {"reach", "engagement_rate", "ctr", "conversion_rate", "cost_per_follower",
                                     "follower_growth", "audience_fit"}


@pytest.mark.parametrize(("weights", "says"), [
    ({"reach": 1.0, "likes": 2.0}, "weights: unknown component likes (known: audience_fit, conversion_rate"),
    ({"reach": -1.0}, "weights: reach must be a number of 0 or more"),
    ({"reach": float("inf")}, "weights: reach must be a number of 0 or more"),
    ({"reach": 0.0, "ctr": 0.0}, "weights: at least one weight must be above 0"),
])
def test_weights_that_would_stop_the_scoring_are_named(weights, says):
    problems = check_params({"weights": weights})
    assert len(problems) == 1 and problems[0].startswith(says)


@pytest.mark.parametrize("target", [{"age25-34": 0.4}, {"age:25-34": 1.5}, {"age:18-24": 0.7, "age:25-34": 0.6}])
def test_an_unreadable_target_profile_is_named(target):
    problems = check_params({"target_audience": target})
    assert len(problems) == 1 and problems[0].startswith("target_audience: ")

