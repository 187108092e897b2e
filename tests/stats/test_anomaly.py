"""The robust crisis detector: it sees only the past, finds a planted onset, and keeps quiet where a naive rule
cries wolf."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialops.stats.anomaly import (
    DetectorSettings,
    false_alarms,
    locate_crisis,
    naive_scores,
    robust_scores,
    runs,
)
from tests.crisis_data import ONSET, hourly_counts

HOUR = pd.Timedelta(hours=1)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), days=st.integers(9, 20), cut=st.floats(0.3, 0.95))
def test_appending_future_data_never_changes_an_earlier_decision(seed, days, cut):
    counts, _ = hourly_counts(days=days, onset=ONSET - pd.Timedelta(days=40 - days), amplitude=80, seed=seed)
    n = int(len(counts) * cut)
    full = robust_scores(counts)
    early = robust_scores(counts.iloc[:n])
    pd.testing.assert_frame_equal(full.iloc[:n], early)
    naive_full = naive_scores(counts)
    pd.testing.assert_frame_equal(naive_full.iloc[:n], naive_scores(counts.iloc[:n]))


def test_detector_ignores_a_changed_future():
    counts, _ = hourly_counts(seed=4)
    altered = counts.copy()
    altered.iloc[600:] = altered.iloc[600:] * 10
    pd.testing.assert_frame_equal(robust_scores(counts).iloc[:600], robust_scores(altered).iloc[:600])


@pytest.mark.parametrize("seed", range(6))
def test_onset_and_alert_on_a_planted_crisis(seed):
    counts, _ = hourly_counts(seed=seed)
    scores = robust_scores(counts)
    found = locate_crisis(scores)
    assert abs((found.onset - ONSET) / HOUR) <= 1
    assert found.onset <= found.alert_at <= ONSET + 3 * HOUR
    assert ONSET <= found.peak_at <= ONSET + 8 * HOUR
    # The alert was available in real time: scoring only the data up to the alert fires at the alert.
    assert robust_scores(counts[: found.alert_at])["fired"].iloc[-1]


def test_onset_exact_on_a_sharp_jump():
    index = pd.date_range("2026-01-01", periods=24 * 20, freq="h")
    counts = pd.Series(np.tile([5, 5, 5, 5, 6, 8, 10, 14, 20, 25, 28, 30] * 2, 20)[: len(index)], index=index)
    counts = counts + np.random.default_rng(1).poisson(2, len(index))
    jump = index[24 * 15 + 10]
    counts[jump : jump + 30 * HOUR] += 200
    found = locate_crisis(robust_scores(counts))
    assert found.onset == jump
    assert found.alert_at == jump + HOUR  # confirm = 2 consecutive alarms
    fire_first = locate_crisis(robust_scores(counts, DetectorSettings(confirm=1)))
    assert fire_first.alert_at == jump


def test_quiet_series_has_no_crisis_and_the_naive_rule_cries_wolf():
    quiet_runs = 0
    naive_alarms = 0
    for seed in range(4):
        counts, _ = hourly_counts(onset=None, seed=seed)
        scores = robust_scores(counts)
        assert not locate_crisis(scores).found
        quiet_runs += int(scores["fired"].sum())
        naive_alarms += int(naive_scores(counts)["fired"].sum())
    assert quiet_runs == 0
    assert naive_alarms >= 8  # the daily cycle alone trips mean + 3 SD


def test_runs_lists_contiguous_stretches():
    flags = pd.Series([False, True, True, False, True], index=list("abcde"))
    table = runs(flags)
    assert table["start"].tolist() == ["b", "e"]
    assert table["end"].tolist() == ["c", "e"]
    assert table["length"].tolist() == [2, 1]


def test_false_alarms_are_the_firings_before_a_moment():
    index = pd.date_range("2026-01-01", periods=6, freq="h")
    fired = pd.Series([False, True, False, False, True, True], index=index)
    assert false_alarms(fired) == [index[1], index[4], index[5]]
    assert false_alarms(fired, before=index[4]) == [index[1]]
    assert false_alarms(fired, before=index[0]) == []
