"""The crisis analysis: engine aggregates, response, the whole postmortem, spread between platforms and words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialops.crisis.analysis import (
    CRISIS_KEYS,
    HISTORY_KEYS,
    CrisisSettings,
    analyse_crisis,
    brand_stopwords,
    checklist,
    crisis_window_by_platform,
    detector_comparison,
    first_response,
    mention_series,
    negative_texts,
    negative_words,
    platform_spread,
    response_verdict,
    results,
)
from tests.crisis_data import ONSET, mentions_frame

HOUR = pd.Timedelta(hours=1)


# --- engine aggregation, response and words ---------------------------------------------------------------------


def test_mention_series_matches_pandas(crisis_table, crisis_frame):
    series = mention_series(crisis_table, "h", negative_below=-0.2)
    public = crisis_frame[~crisis_frame["is_official"]]
    expected = public.groupby(public["ts"].dt.floor("h")).agg(
        mentions=("mention_id", "size"),
        reach=("reach", "sum"),
        s=("sentiment", "mean"),
        neg=("sentiment", lambda v: (v < -0.2).mean()),
    )
    got = series.set_index("period").loc[expected.index]
    np.testing.assert_array_equal(got["mentions"], expected["mentions"])
    np.testing.assert_allclose(got["reach"], expected["reach"])
    np.testing.assert_allclose(got["mean_sentiment"], expected["s"], rtol=1e-9)
    np.testing.assert_allclose(got["negative_share"], expected["neg"], rtol=1e-9)
    assert series["period"].diff().dropna().eq(HOUR).all()  # gap-free
    per = mention_series(crisis_table, "h", by_platform=True)
    assert per["mentions"].sum() == len(public)
    assert set(per["platform"]) == {"weibo", "douyin", "xiaohongshu"}


def test_coarser_periods_and_invalid_freq(crisis_table):
    two_hourly = mention_series(crisis_table, "2h")
    assert two_hourly["period"].diff().dropna().eq(2 * HOUR).all()
    assert (two_hourly["period"].dt.hour % 2 == 0).all()
    assert CrisisSettings(freq="2h").periods_per_day == 12
    with pytest.raises(ValueError, match="divide a day"):
        _ = CrisisSettings(freq="7h").periods_per_day


def test_first_response_ignores_routine_posts_before_the_onset(crisis_table):
    first = first_response(crisis_table, ONSET)
    assert first == ONSET + pd.Timedelta(hours=30, minutes=5)
    assert first_response(crisis_table, None) is None


def test_response_verdicts():
    as_of = ONSET + pd.Timedelta(days=5)
    assert response_verdict(ONSET, ONSET + 30 * HOUR, as_of) == (30.0, False)
    assert response_verdict(ONSET, ONSET + 24 * HOUR, as_of) == (24.0, True)
    assert response_verdict(ONSET, None, as_of) == (None, False)
    assert response_verdict(ONSET, None, ONSET + 5 * HOUR) == (None, None)
    assert response_verdict(None, None, as_of) == (None, None)


# --- the whole analysis -----------------------------------------------------------------------------------------


def test_analysis_recovers_the_planted_crisis(crisis):
    out = results(crisis)
    assert set(out) == set(CRISIS_KEYS) | set(HISTORY_KEYS)
    # the detector had the 35 days and 9 hours before the onset, and needs 3 days
    assert out["history_days"] == round((pd.Timestamp(out["onset"]) - pd.Timestamp("2026-08-01")) / pd.Timedelta(days=1), 1)
    assert out["history_needed_days"] == 3
    assert abs((pd.Timestamp(out["onset"]) - ONSET) / HOUR) <= 1
    assert out["response_hours"] == pytest.approx(30 + 5 / 60 - (pd.Timestamp(out["onset"]) - ONSET) / HOUR)
    assert out["met_24h_rule"] is False
    assert pd.Timestamp(out["recovered_at"]) > pd.Timestamp(out["peak_at"])
    low, high = out["excess_mentions_ci"]
    assert low < out["excess_mentions"] < high
    assert out["sentiment_dip"] < -0.3
    metrics = {row["metric"]: row for row in out["impact"]}
    assert set(metrics) == {"mentions", "mean_sentiment", "negative_share"}
    assert metrics["mean_sentiment"]["ci_high"] < 0 < metrics["negative_share"]["ci_low"]


def test_checklist_and_detector_comparison(crisis):
    table = checklist(crisis).set_index("step")
    assert table.loc["response", "verdict"] == "missed"
    assert table.loc["warning", "verdict"] == "met"
    assert table.loc["repair", "verdict"] == "met"
    compare = detector_comparison(crisis).set_index("detector")
    assert compare.loc["robust", "false_alarms"] == 0
    assert compare.loc["naive", "false_alarms"] > compare.loc["robust", "false_alarms"]
    assert compare.loc["robust", "delay_hours"] <= 3


def test_spread_starts_on_weibo(crisis_table, crisis):
    spread = platform_spread(crisis_table, crisis)
    assert spread["platform"].iloc[0] == "weibo"
    assert spread["lead_hours"].iloc[0] <= 1
    assert spread["excess_share"].sum() == pytest.approx(1.0)


def test_quiet_mentions_yield_no_crisis(con):
    quiet = con.create_table("mentions_quiet", mentions_frame(onset=None, days=30, seed=3), overwrite=True)
    analysis = analyse_crisis(quiet)
    assert not analysis.found
    assert results(analysis) == {**dict.fromkeys(CRISIS_KEYS), "history_days": 30.0, "history_needed_days": 3}
    assert checklist(analysis).empty
    assert platform_spread(quiet, analysis).empty
    assert detector_comparison(analysis).set_index("detector").loc["robust", "false_alarms"] == 0


def test_negative_texts_are_public_negative_and_in_the_window(crisis_table, crisis_frame):
    end = ONSET + pd.Timedelta(days=2)
    texts = negative_texts(crisis_table, ONSET, end)
    window = crisis_frame[(crisis_frame.ts >= ONSET) & (crisis_frame.ts < end) & ~crisis_frame.is_official
                          & (crisis_frame.sentiment < -0.2)]
    assert texts.set_index("text")["n"].to_dict() == window["text"].value_counts().to_dict()
    assert texts["n"].is_monotonic_decreasing
    assert len(negative_texts(crisis_table, ONSET, end, limit=1)) == 1


def test_negative_words_leave_the_brand_out(crisis_table, crisis):
    words = negative_words(crisis_table, crisis, "品牌, 客服 ,")
    assert {"质量", "退款"} <= set(words["word"])
    assert not {"品牌", "客服"} & set(words["word"])
    assert len(negative_words(crisis_table, crisis, n=3)) == 3
    assert brand_stopwords(" 澜岸咖啡, ,Lanan ") == {"澜岸咖啡", "Lanan"}
    assert brand_stopwords("") == set()


def test_crisis_window_by_platform(crisis_table, crisis):
    wide = crisis_window_by_platform(crisis_table, crisis)
    assert set(wide.columns) == {"weibo", "douyin", "xiaohongshu"}
    assert wide.index.min() == crisis.detection.onset - pd.Timedelta(days=1)
    assert wide.index.max() < crisis.window_end
    assert wide.loc[crisis.detection.peak_at].sum() == crisis.scores.loc[crisis.detection.peak_at, "count"]
