"""Chapter 05's parameters taken together: an onset bar above the alarm's is refused before any kernel."""

from __future__ import annotations

import pytest

from socialops.crisis.params_check import check_params


@pytest.mark.parametrize(("threshold", "onset"), [(3.5, 2.0), (3.5, 3.5), (1.0, 0.5), (20.0, 10.0)])
def test_an_onset_bar_at_or_below_the_alarm_passes(threshold, onset):
    assert check_params({"threshold": threshold, "onset_threshold": onset}) == []


def test_an_onset_bar_above_the_alarm_is_named():
    problems = check_params({"threshold": 1.0, "onset_threshold": 10.0})
    assert len(problems) == 1
    assert problems[0].startswith("onset_threshold (10.0) is above threshold (1.0)")
    assert check_params({}) == []
