"""Unit tests of socialops.platform_matrix.analysis: daily metrics, period change, audience fit, scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from socialops.platform_matrix import analysis as pm

# platform: (impressions a day, engagement rate, ctr, conversion per click, cost per follower)
PROFILES = {
    "douyin": (400_000, 0.030, 0.010, 0.010, 30.0),
    "wechat": (20_000, 0.040, 0.030, 0.080, 8.0),
    "xiaohongshu": (60_000, 0.080, 0.015, 0.030, 15.0),
    "weibo": (50_000, 0.010, 0.005, 0.010, 60.0),
}


def make_daily(days: int = 180, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    dates = pd.date_range("2026-01-01", periods=days, freq="D")
    for platform, (imp, er, ctr, cvr, cpf) in PROFILES.items():
        followers = 10_000
        for d in dates:
            impressions = int(imp * rng.lognormal(0, 0.3))
            day_er = er * rng.lognormal(0, 0.2)
            clicks = rng.binomial(impressions, ctr)
            new = rng.poisson(impressions / 2_000) + 1
            followers += new
            rows.append({"date": d.date(), "platform": platform, "followers": followers,
                         "impressions": impressions, "engagements": rng.binomial(impressions, day_er),
                         "clicks": clicks, "new_followers": new,
                         "conversions": rng.binomial(clicks, cvr * rng.lognormal(0, 0.2) / 1.1),
                         "spend": new * cpf * rng.lognormal(0, 0.1)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def daily(con):
    return con.create_table("platform_daily", make_daily(), overwrite=True)


@pytest.fixture(scope="module")
def totals(daily):
    return pm.daily_totals(daily)


# -- ratio estimator -------------------------------------------------------------------------------------


def test_ratio_estimate_matches_weighted_regression_hc1():
    rng = np.random.default_rng(3)
    den = rng.lognormal(10, 0.5, 200)
    num = den * 0.05 * rng.lognormal(0, 0.3, 200)
    r, se, lo, hi = pm.ratio_estimate(num, den)
    # independent reference: WLS of num on den with weights 1/den; its HC1 sandwich error is the
    # delta-method error of the ratio of sums
    fit = sm.WLS(num, den, weights=1 / den).fit(cov_type="HC1")
    assert r == pytest.approx(fit.params[0], rel=1e-12)
    assert se == pytest.approx(fit.bse[0], rel=1e-10)
    ref_lo, ref_hi = fit.conf_int(alpha=0.05)[0]
    assert (lo, hi) == pytest.approx((ref_lo, ref_hi), rel=1e-10)


def test_ratio_estimate_agrees_with_a_bootstrap_over_days():
    rng = np.random.default_rng(4)
    den = rng.lognormal(10, 0.5, 300)
    num = den * 0.05 * rng.lognormal(0, 0.3, 300)
    _, se, lo, hi = pm.ratio_estimate(num, den)
    boot = stats.bootstrap((num, den), lambda a, b: a.sum() / b.sum(), paired=True, n_resamples=4000,
                           vectorized=False, method="percentile", random_state=5)
    assert boot.standard_error == pytest.approx(se, rel=0.08)
    assert boot.confidence_interval.low == pytest.approx(lo, rel=0.01)
    assert boot.confidence_interval.high == pytest.approx(hi, rel=0.01)


def test_ratio_estimate_edge_cases():
    assert np.isnan(pm.ratio_estimate([1, 2], [0, 0])[0])
    r, se, _, _ = pm.ratio_estimate([3], [10])
    assert r == 0.3 and np.isnan(se)


# -- daily metrics ---------------------------------------------------------------------------------------


def test_daily_totals_sums_inside_the_engine(totals):
    ref = make_daily().groupby("platform")[["impressions", "clicks", "conversions"]].sum()
    got = totals.groupby("platform")[["impressions", "clicks", "conversions"]].sum()
    pd.testing.assert_frame_equal(got.astype(float), ref.astype(float))
    assert totals["date"].dtype.kind == "M"


def test_engagement_sum_adds_the_parts_present_and_is_none_without_any(con):
    df = pd.DataFrame({"likes": [3, None], "shares": [1, 4], "impressions": [10, 20]})
    table = con.create_table("engagement_parts", df, overwrite=True)
    assert table.select(e=pm.engagement_sum(table)).to_pandas()["e"].tolist() == [4, 4]
    assert pm.engagement_sum(table.select("impressions")) is None


def test_daily_totals_builds_engagements_from_parts(con):
    df = pd.DataFrame({"date": [pd.Timestamp("2026-01-01").date()] * 2, "platform": ["weibo", "weibo"],
                       "followers": [5, 6], "impressions": [100, 200], "likes": [3, None],
                       "comments": [1, 2], "shares": [0, 4]})
    out = pm.daily_totals(con.create_table("daily_parts", df, overwrite=True))
    assert out["engagements"].tolist() == [10]
    assert out["followers"].tolist() == [6]
    assert "clicks" not in out


def test_platform_metrics_are_ratios_of_sums(totals):
    m = pm.platform_metrics(totals).set_index("platform")
    raw = make_daily()
    w = raw[raw.platform == "wechat"]
    assert m.loc["wechat", "conversion_rate"] == pytest.approx(w.conversions.sum() / w.clicks.sum(), rel=1e-12)
    assert m.loc["wechat", "cost_per_follower"] == pytest.approx(w.spend.sum() / w.new_followers.sum(), rel=1e-9)
    assert m.loc["wechat", "follower_growth"] == pytest.approx(w.followers.iloc[-1] / w.followers.iloc[0] - 1)
    assert m.index[0] == "douyin"  # sorted by reach
    for name in pm.RATIO_METRICS:
        assert (m[f"{name}_low"] < m[name]).all() and (m[name] < m[f"{name}_high"]).all()
    # the planted rates lie inside their intervals (engagement rate is drawn around its profile value with a
    # lognormal day effect whose mean is exp(0.02))
    er = PROFILES["xiaohongshu"][1] * np.exp(0.2**2 / 2)
    assert m.loc["xiaohongshu", "engagement_rate_low"] < er < m.loc["xiaohongshu", "engagement_rate_high"]


def test_platform_metrics_leaves_absent_columns_empty(con):
    df = make_daily(days=20).drop(columns=["clicks", "conversions", "spend"])
    m = pm.platform_metrics(pm.daily_totals(con.create_table("daily_min", df, overwrite=True)))
    assert m["ctr"].isna().all() and m["cost_per_follower"].isna().all()
    assert m["engagement_rate"].notna().all()


def test_period_change_finds_a_planted_jump_only(con):
    df = make_daily(days=120, seed=9)
    late = pd.to_datetime(df["date"]) >= pd.Timestamp("2026-03-02")
    df.loc[late & (df.platform == "weibo"), "impressions"] *= 2
    totals = pm.daily_totals(con.create_table("daily_jump", df, overwrite=True))
    ch = pm.period_change(totals, as_of="2026-04-30", period_days=60).set_index(["platform", "metric"])
    jump = ch.loc[("weibo", "impressions_per_day")]
    assert jump["change"] == pytest.approx(1.0, abs=0.2)
    assert jump["significant"] and jump["ci_low"] < 1.0 < jump["ci_high"]
    others = ch.xs("impressions_per_day", level="metric").drop(index="weibo")
    assert not others["significant"].any()


def test_calendar_days():
    as_of = pd.Timestamp("2026-09-30 23:59:59")
    (start, end), (prev, _) = pm.calendar_days(as_of, 30), pm.calendar_days(as_of, 30, back=1)
    assert (prev, start, end) == (pd.Timestamp("2026-08-02"), pd.Timestamp("2026-09-01"),
                                  pd.Timestamp("2026-09-30"))


def test_calendar_days_tile_the_days_up_to_as_of():
    for as_of in (pd.Timestamp("2026-09-30"), pd.Timestamp("2026-09-30 12:30")):
        start, end = pm.calendar_days(as_of, 30)
        prev_start, prev_end = pm.calendar_days(as_of, 30, back=1)
        assert end == pd.Timestamp("2026-09-30") and (end - start).days + 1 == 30
        assert prev_end == start - pd.Timedelta(days=1) and (prev_end - prev_start).days + 1 == 30


def test_scored_period_starts_no_earlier_than_the_data():
    totals = pd.DataFrame({"date": pd.to_datetime(["2026-09-20", "2026-09-30"])})
    as_of = pd.Timestamp("2026-09-30 23:59:59")
    assert pm.scored_period(totals, as_of, 30) == (pd.Timestamp("2026-09-20"), pd.Timestamp("2026-09-30"))
    assert pm.scored_period(totals, as_of, 5) == (pd.Timestamp("2026-09-26"), pd.Timestamp("2026-09-30"))


# -- audience fit ----------------------------------------------------------------------------------------


def test_parse_target_audience():
    assert pm.parse_target_audience("age:25-34=0.5, gender:female=0.7") == {
        "age": {"25-34": 0.5}, "gender": {"female": 0.7}}
    assert pm.parse_target_audience({"age:25-34": 0.5, "age:35-44": 0.2}) == {"age": {"25-34": 0.5, "35-44": 0.2}}
    assert pm.parse_target_audience("") == {}
    for bad in ("age=0.5", "age:25-34=x", "age:a=1.2", "age:a=0.6,age:b=0.6", "age:0.5", {"age:": 0.1}):
        with pytest.raises(ValueError):
            pm.parse_target_audience(bad)


def test_audience_fit_is_the_overlap_of_distributions(con):
    aud = pd.DataFrame({
        "platform": ["a"] * 5 + ["b"] * 5,
        "dimension": ["gender", "gender", "age", "age", "age"] * 2,
        "bucket": ["female", "male", "18-24", "25-34", "35+"] * 2,
        "share": [0.7, 0.3, 0.25, 0.5, 0.25, 0.2, 0.8, 0.8, 0.1, 0.1]})
    fit = pm.audience_fit(con.create_table("aud", aud, overwrite=True),
                          pm.parse_target_audience("age:25-34=0.5, gender:female=0.7")).set_index("platform")
    # target: gender female .7 / male .3; age 25-34 .5, the other two buckets .25 each
    assert fit.loc["a", "audience_fit"] == pytest.approx(1.0)
    assert fit.loc["b", "fit_gender"] == pytest.approx(0.2 + 0.3)
    assert fit.loc["b", "fit_age"] == pytest.approx(0.25 + 0.1 + 0.1)
    assert fit.loc["b", "audience_fit"] == pytest.approx((0.5 + 0.45) / 2)
    assert fit.loc["b", "dimensions"] == 2
    # a platform reporting none of the target's dimensions is listed, without a fit
    aud_c = pd.concat([aud, pd.DataFrame({"platform": ["c"], "dimension": ["city"], "bucket": ["tier1"],
                                          "share": [1.0]})])
    fit_c = pm.audience_fit(con.create_table("aud_c", aud_c, overwrite=True),
                            pm.parse_target_audience("age:25-34=0.5")).set_index("platform")
    assert fit_c.index.tolist() == ["a", "b", "c"]
    assert np.isnan(fit_c.loc["c", "audience_fit"]) and fit_c.loc["c", "dimensions"] == 0


# -- score and roles -------------------------------------------------------------------------------------


def test_score_ranks_follow_the_goal(totals):
    m = pm.platform_metrics(totals)
    conv = pm.score_platforms(m, goal="conversion")
    aware = pm.score_platforms(m, goal="awareness")
    assert conv.iloc[0]["platform"] == "wechat"
    assert aware.iloc[0]["platform"] == "douyin"
    assert conv["rank"].tolist() == [1, 2, 3, 4]
    assert conv.iloc[-1]["platform"] == "weibo" and conv.iloc[-1]["role"] == "deprioritize"
    assert conv["score"].between(0, 1).all()


def test_score_renormalises_over_available_components():
    m = pd.DataFrame({"platform": ["a", "b"], "impressions": [10.0, 1000.0], "engagement_rate": [0.1, 0.05],
                      "ctr": [np.nan, np.nan], "conversion_rate": [0.02, 0.01],
                      "cost_per_follower": [5.0, 10.0], "follower_growth": [0.1, 0.2]})
    s = pm.score_platforms(m, weights={"reach": 1, "conversion_rate": 3, "ctr": 5}).set_index("platform")
    # ctr is absent everywhere, so a scores 3/4 (best conversion) and b 1/4 (widest reach)
    assert s.loc["a", "score"] == pytest.approx(0.75)
    assert s.loc["b", "score"] == pytest.approx(0.25)
    with pytest.raises(ValueError):
        pm.score_platforms(m, weights={"followers": 1})
    with pytest.raises(ValueError):
        pm.score_platforms(m, goal="fame")


def test_score_uses_audience_fit_when_given():
    m = pd.DataFrame({"platform": ["a", "b"], "impressions": [100.0, 100.0], "engagement_rate": [0.1, 0.1],
                      "ctr": [0.01, 0.01], "conversion_rate": [0.02, 0.02], "cost_per_follower": [5.0, 5.0],
                      "follower_growth": [0.1, 0.1]})
    fit = pd.DataFrame({"platform": ["a", "b"], "audience_fit": [0.4, 0.9]})
    s = pm.score_platforms(m, goal="brand", fit=fit)
    assert s.iloc[0]["platform"] == "b"


@pytest.mark.parametrize(("scores", "roles"), [
    ([0.9, 0.8, 0.5, 0.2], ["core", "core", "auxiliary", "deprioritize"]),
    ([0.9, 0.7, 0.31, 0.29], ["core", "auxiliary", "auxiliary", "deprioritize"]),
    ([0.5], ["core"]),
    ([0.8, 0.6, np.nan], ["core", "auxiliary", "deprioritize"]),
])
def test_assign_roles(scores, roles):
    assert pm.assign_roles(pd.Series(scores)) == roles


def test_score_intervals_bracket_the_point_scores(totals):
    point = pm.score_platforms(pm.platform_metrics(totals), goal="conversion").set_index("platform")
    iv = pm.score_intervals(totals, goal="conversion", n_boot=200).set_index("platform")
    assert iv["p_top"].sum() == pytest.approx(1.0)
    assert iv["p_top"].idxmax() == "wechat"
    score = point["score"].reindex(iv.index)
    inside = (iv["score_low"] <= score + 1e-9) & (score <= iv["score_high"] + 1e-9)
    assert inside.all()


# -- money -----------------------------------------------------------------------------------------------


def test_money_metrics_are_sums_and_ratios_of_sums_with_the_regression_interval(con):
    raw = make_daily(days=60)
    raw["revenue"] = raw["spend"] * np.random.default_rng(5).lognormal(0.3, 0.4, len(raw))
    money = pm.money_metrics(pm.daily_totals(con.create_table("daily_money", raw, overwrite=True)))
    money = money.set_index("platform")
    w = raw[raw.platform == "weibo"]
    assert money.loc["weibo", "spend"] == pytest.approx(w.spend.sum(), rel=1e-12)
    assert money.loc["weibo", "revenue"] == pytest.approx(w.revenue.sum(), rel=1e-12)
    assert money.loc["weibo", "roi"] == pytest.approx((w.revenue.sum() - w.spend.sum()) / w.spend.sum(), rel=1e-9)
    assert money.loc["weibo", "cost_per_conversion"] == pytest.approx(w.spend.sum() / w.conversions.sum(), rel=1e-9)
    # independent reference of the ROI's interval: WLS of revenue on spend with weights 1/spend, HC1, less one
    fit = sm.WLS(w.revenue.to_numpy(), w.spend.to_numpy(), weights=1 / w.spend.to_numpy()).fit(cov_type="HC1")
    low, high = fit.conf_int(alpha=0.05)[0] - 1
    assert (money.loc["weibo", "roi_low"], money.loc["weibo", "roi_high"]) == pytest.approx((low, high), rel=1e-9)
    assert (money["cost_per_follower_low"] < money["cost_per_follower"]).all()


def test_money_metrics_without_revenue_or_conversions_leave_them_empty(con):
    raw = make_daily(days=20).drop(columns=["conversions"])
    money = pm.money_metrics(pm.daily_totals(con.create_table("daily_spend", raw, overwrite=True)))
    assert money["spend"].gt(0).all()
    assert money[["revenue", "roi", "roi_low", "cost_per_conversion", "cost_per_conversion_high"]].isna().all().all()
    assert money["cost_per_follower"].notna().all()
