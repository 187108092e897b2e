"""Tests of the crisis postmortem library: detection, counterfactual, response, spread and words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from socialops.crisis.analysis import (
    CRISIS_KEYS,
    CrisisSettings,
    analyse_crisis,
    checklist,
    detector_comparison,
    first_response,
    mention_series,
    negative_texts,
    platform_spread,
    response_verdict,
    results,
)
from socialops.stats.anomaly import DetectorSettings, locate_crisis, naive_scores, robust_scores, runs
from socialops.stats.counterfactual import (
    excess_mentions,
    fit_volume_counterfactual,
    ratio_shift,
    recovery_start,
    simulate_counterfactual_totals,
)
from socialops.stats.textmining import top_words
from tests.crisis_data import ONSET, hourly_counts, mentions_frame

HOUR = pd.Timedelta(hours=1)


@pytest.fixture(scope="module")
def crisis_frame():
    return mentions_frame()


@pytest.fixture(scope="module")
def crisis_table(con, crisis_frame):
    return con.create_table("mentions_crisis", crisis_frame, overwrite=True)


@pytest.fixture(scope="module")
def crisis(crisis_table):
    return analyse_crisis(crisis_table)


# --- the detector sees only the past ---------------------------------------------------------------------------


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


# --- onset and alert on series with a known onset ----------------------------------------------------------------


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


# --- counterfactual --------------------------------------------------------------------------------------------


def _nb_profile_alpha(y: np.ndarray, mu: np.ndarray) -> float:
    """Independent NB2 overdispersion MLE with the means fixed at their MLE (scipy only)."""

    def negloglik(log_alpha: float) -> float:
        size = 1 / np.exp(log_alpha)
        return -stats.nbinom.logpmf(y, size, size / (size + mu)).sum()

    return float(np.exp(optimize.minimize_scalar(negloglik, bounds=(-10, 3), method="bounded").x))


def test_counterfactual_matches_an_independent_fit():
    counts, _ = hourly_counts(seed=2)
    cf = fit_volume_counterfactual(counts, ONSET, fit_days=28)
    pre = counts[(counts.index >= ONSET - pd.Timedelta(days=28)) & (counts.index < ONSET)]
    hourly_mean = pre.groupby(pre.index.hour).mean()
    # With one level per hour the NB2 maximum-likelihood mean of each hour is that hour's average count.
    np.testing.assert_allclose(
        cf.expected[ONSET : ONSET + 23 * HOUR].to_numpy(), hourly_mean.to_numpy()[np.r_[9:24, 0:9]], rtol=1e-4
    )
    alpha = _nb_profile_alpha(pre.to_numpy(), hourly_mean.to_numpy()[pre.index.hour])
    assert cf.alpha == pytest.approx(alpha, rel=2e-3)
    assert cf.fit_start == ONSET - pd.Timedelta(days=28)


def test_cumulative_interval_matches_the_delta_method():
    counts, _ = hourly_counts(seed=5)
    cf = fit_volume_counterfactual(counts, ONSET)
    window = pd.date_range(ONSET, periods=48, freq="h")
    totals = simulate_counterfactual_totals(cf, window, n_sims=20000, seed=1)
    mu = cf.expected[window].to_numpy()
    # Count noise (NB2) plus parameter noise: each hour's log-mean variance times its share of the total, squared.
    per_hour = pd.Series(mu, index=window.hour).groupby(level=0).sum()
    param_var = float(np.sum(per_hour.to_numpy() ** 2 * np.diag(cf.cov)[per_hour.index]))
    var = mu.sum() + cf.alpha * np.sum(mu**2) + param_var
    assert totals.mean() == pytest.approx(mu.sum(), rel=0.01)
    assert totals.std() == pytest.approx(np.sqrt(var), rel=0.05)


def test_excess_interval_covers_the_planted_excess_at_its_nominal_rate():
    covered = 0
    widths = []
    band_widths = []
    reps = 40
    for seed in range(reps):
        counts, extra = hourly_counts(seed=1000 + seed, amplitude=60)
        end = ONSET + 48 * HOUR
        cf = fit_volume_counterfactual(counts, ONSET)
        found = excess_mentions(counts, cf, ONSET, end, level=0.9, n_sims=1500, seed=seed)
        planted = float(extra[ONSET : end - HOUR].sum())
        covered += found["ci_low"] <= planted <= found["ci_high"]
        widths.append(found["ci_high"] - found["ci_low"])
        band_widths.append(float((cf.upper - cf.lower)[ONSET : end - HOUR].sum()))
    assert 0.8 <= covered / reps <= 0.975
    # Summing hourly bands would give far wider (and wrong) intervals.
    assert np.mean(widths) < 0.25 * np.mean(band_widths)


def test_ratio_shift_matches_a_cluster_robust_regression():
    rng = np.random.default_rng(3)
    hours = np.repeat(np.arange(200), rng.integers(1, 30, 200))
    hour_effect = rng.normal(0, 0.1, 200)[hours]
    crisis = hours >= 150
    sentiment = 0.3 - 0.5 * crisis + hour_effect + rng.normal(0, 0.3, len(hours))
    frame = pd.DataFrame({"hour": hours, "s": sentiment})
    per_hour = frame.groupby("hour")["s"].agg(["sum", "count"])
    shift = ratio_shift(per_hour["sum"], per_hour["count"], per_hour.index < 150, per_hour.index >= 150)
    design = sm.add_constant(crisis.astype(float))
    fit = sm.OLS(sentiment, design).fit(cov_type="cluster", cov_kwds={"groups": hours})
    assert shift["effect"] == pytest.approx(fit.params[1], abs=1e-12)
    se = (shift["ci_high"] - shift["ci_low"]) / (2 * stats.norm.ppf(0.975))
    assert se == pytest.approx(fit.bse[1], rel=0.02)


def test_recovery_is_the_start_of_the_first_long_enough_in_band_run():
    index = pd.date_range("2026-01-01", periods=12, freq="h")
    counts = pd.Series([10, 90, 80, 10, 10, 50, 10, 10, 10, 10, 10, 10], index=index)
    flat = pd.Series(10.0, index=index)

    class Band:
        lower = flat - 5
        upper = flat + 5

    assert recovery_start(counts, Band, index[1], 3) == index[6]
    assert recovery_start(counts, Band, index[1], 2) == index[3]
    assert recovery_start(counts, Band, index[1], 7) is None


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


def test_top_words_drop_personal_data_and_stop_words(crisis_table):
    texts = negative_texts(crisis_table, ONSET, ONSET + pd.Timedelta(days=2))
    words = top_words(texts, n=30)
    listed = set(words["word"])
    assert {"质量", "退款", "投诉"} <= listed
    assert not any(ch.isdigit() for w in listed for ch in w)
    assert "张三" not in listed and "13800138000" not in listed
    assert not listed & {"的", "了", "问题"}
    weighted = top_words(pd.DataFrame({"text": ["退款 太慢", "退款"], "n": [3, 2]}))
    assert weighted.set_index("word")["count"].to_dict() == {"退款": 5, "太慢": 3}
    branded = top_words(
        pd.DataFrame({"text": ["再也不买澜岸咖啡了", "澜岸咖啡退款"], "n": [1, 1]}),
        extra_stopwords={"澜岸咖啡"},
    )
    assert not any("澜岸" in w or "咖啡" in w for w in branded["word"])


# --- the whole analysis -----------------------------------------------------------------------------------------


def test_analysis_recovers_the_planted_crisis(crisis):
    out = results(crisis)
    assert set(out) == set(CRISIS_KEYS)
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
    assert results(analysis) == dict.fromkeys(CRISIS_KEYS)
    assert checklist(analysis).empty
    assert platform_spread(quiet, analysis).empty
    assert detector_comparison(analysis).set_index("detector").loc["robust", "false_alarms"] == 0
