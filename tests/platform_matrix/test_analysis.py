"""Unit tests of chapter 01's library: socialops.platform_matrix.analysis and socialops.platform_matrix.posting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from socialops.platform_matrix import analysis as pm
from socialops.platform_matrix import posting as po

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


def test_period_bounds():
    prev, start, end = pm.period_bounds(pd.Timestamp("2026-09-30 23:59:59"), 30)
    assert (prev, start, end) == (pd.Timestamp("2026-08-02"), pd.Timestamp("2026-09-01"),
                                  pd.Timestamp("2026-09-30"))


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


# -- posts -----------------------------------------------------------------------------------------------


def make_posts(n: int = 3000, seed: int = 2) -> pd.DataFrame:
    """Posts with a planted +60 % engagement at 20:00-21:59 and type effects (tutorial best)."""
    rng = np.random.default_rng(seed)
    base = {"douyin": 0.03, "xiaohongshu": 0.08, "wechat": 0.04}
    type_effect = {"tutorial": 1.4, "story": 1.1, "interactive": 1.0, "promotion": 0.6}
    platform = rng.choice(list(base), n)
    ctype = rng.choice(list(type_effect), n, p=[0.25, 0.2, 0.15, 0.4])
    published = (pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 180, n), unit="D")
                 + pd.to_timedelta(rng.integers(8, 24, n), unit="h") + pd.to_timedelta(rng.integers(0, 60, n), unit="m"))
    uplift = np.where(published.hour.isin([20, 21]), 1.6, 1.0)
    rate = np.array([base[p] for p in platform]) * np.array([type_effect[c] for c in ctype]) * uplift
    impressions = rng.integers(2_000, 50_000, n)
    eng = rng.binomial(impressions, np.clip(rate * rng.lognormal(0, 0.3, n), 0, 1))
    likes = (eng * 0.7).astype(int)
    return pd.DataFrame({"post_id": [f"p{i:05d}" for i in range(n)], "platform": platform,
                         "published_at": published, "content_type": ctype,
                         "format": rng.choice(["video", "image_text"], n),
                         "is_ad": ctype == "promotion", "impressions": impressions,
                         "clicks": rng.binomial(impressions, 0.01), "likes": likes, "comments": eng - likes})


@pytest.fixture(scope="module")
def posts_df():
    return make_posts()


@pytest.fixture(scope="module")
def posts(con, posts_df):
    return con.create_table("posts", posts_df, overwrite=True)


def test_hours_label_merges_consecutive_hours():
    assert po.hours_label([21, 20]) == "20:00–21:59"
    assert po.hours_label([8, 20, 21, 23]) == "08:00–08:59, 20:00–21:59, 23:00–23:59"


def test_eb_shrink_by_hand():
    # two cells: values [1, 3] and [5, 7, 9]
    out = po.eb_shrink([2, 3], [4, 21], [10, 155])
    s2 = (2 + 8) / 3  # pooled within variance: (2 + 8) / (5 - 2)
    sampling = s2 / np.array([2, 3])
    tau2 = np.var([2, 7], ddof=1) - sampling.mean()
    b = sampling / (sampling + tau2)
    assert out.attrs["tau2"] == pytest.approx(tau2)
    np.testing.assert_allclose(out["shrunk"], b * 5 + (1 - b) * np.array([2, 7]))


def test_eb_shrink_beats_raw_means_and_pools_when_cells_do_not_differ():
    rng = np.random.default_rng(11)
    truth = rng.normal(1.0, 0.1, 150)
    n = rng.integers(1, 12, 150)
    samples = [rng.normal(t, 0.5, k) for t, k in zip(truth, n, strict=True)]
    out = po.eb_shrink(n, [s.sum() for s in samples], [(s**2).sum() for s in samples])
    assert ((out["shrunk"] - truth) ** 2).mean() < 0.5 * ((out["mean"] - truth) ** 2).mean()
    flat = [rng.normal(1.0, 0.5, k) for k in n]
    same = po.eb_shrink(n, [s.sum() for s in flat], [(s**2).sum() for s in flat])
    assert same.attrs["tau2"] < 0.005
    assert same["shrunk"].std() < 0.3 * same["mean"].std()


def test_best_hours_finds_the_planted_evening(posts):
    profile = po.slot_index(posts, keys=("hour",))
    assert po.best_hours(profile) == [20, 21]
    evening = profile.set_index("hour").loc[[20, 21]]
    assert (evening["ci_low"] > 1.2).all()


def test_a_lucky_post_does_not_win_a_slot(con, posts_df):
    # one post at 03:00 with three times douyin's usual rate: its raw cell mean beats the evening,
    # its shrunk mean must not
    lucky = posts_df.iloc[:1].assign(post_id="lucky", published_at=pd.Timestamp("2026-02-01 03:00"),
                                     likes=1_800, comments=0, impressions=20_000, platform="douyin")
    t = con.create_table("posts_lucky", pd.concat([posts_df, lucky]), overwrite=True)
    douyin = po.slot_performance(t).query("platform == 'douyin'").set_index(["weekday", "hour"])
    assert douyin.loc[(6, 3), "rate"] == pytest.approx(0.09) and douyin.loc[(6, 3), "n"] == 1
    assert douyin.loc[(6, 3), "rate"] > douyin.xs(20, level="hour")["rate"].max()
    assert douyin.loc[(6, 3), "shrunk_rate"] < douyin.xs(20, level="hour")["shrunk_rate"].max()


def test_best_slots_need_a_minimum_of_posts(con, posts_df):
    viral = posts_df.iloc[:1].assign(post_id="viral", published_at=pd.Timestamp("2026-02-02 04:00"),
                                     likes=20_000, comments=0, impressions=20_000, platform="douyin")
    table = con.create_table("posts_viral", pd.concat([posts_df, viral]), overwrite=True)
    slots = po.slot_performance(table)
    best = po.best_slots(slots, top=3, min_posts=3)
    assert set(best[best.platform == "douyin"]["hour"]) <= {20, 21}
    assert (best.groupby("platform").size() == 3).all()
    assert (best["n"] >= 3).all()
    by_hour = po.best_slots(po.slot_performance(table, keys=("hour",)))
    assert set(by_hour[by_hour.platform == "xiaohongshu"]["hour"]) >= {20, 21}
    assert "weekday" not in by_hour


def test_best_slots_leave_out_platforms_without_slot_differences():
    slots = pd.DataFrame({"platform": ["a"] * 3 + ["b"] * 3, "hour": [8, 9, 10] * 2, "n": [5] * 6,
                          "rate": [0.1, 0.2, 0.3] * 2, "shrunk_rate": [0.1, 0.2, 0.3, 0.2, 0.2, 0.2],
                          "weight": [0.5] * 3 + [0.0] * 3})
    best = po.best_slots(slots, top=2)
    assert best["platform"].tolist() == ["a", "a"] and best["hour"].tolist() == [10, 9]


def test_group_performance_intervals_match_scipy(posts, posts_df):
    perf = po.group_performance(posts, "content_type").set_index("content_type")
    assert perf.index[0] == "tutorial" and perf.index[-1] == "promotion"
    rates = (posts_df.likes + posts_df.comments) / posts_df.impressions
    tut = rates[posts_df.content_type == "tutorial"]
    ci = stats.ttest_1samp(tut, 0).confidence_interval(0.95)
    assert perf.loc["tutorial", "engagement_rate"] == pytest.approx(tut.mean(), rel=1e-12)
    assert (perf.loc["tutorial", "engagement_rate_low"], perf.loc["tutorial", "engagement_rate_high"]) == \
        pytest.approx((ci.low, ci.high), rel=1e-9)
    assert perf.loc["tutorial", "index"] == pytest.approx(1.4 / 0.91, rel=0.08)  # 0.91: the type-mix mean
    assert {"ctr", "ctr_low", "ctr_high"} <= set(perf.columns)


def test_content_mix_and_verdicts(con, posts_df, posts):
    mix, by_platform = po.content_mix(posts)
    share = posts_df.is_ad.mean()
    assert mix["ad_share"] == pytest.approx(share, abs=1e-12)
    assert mix["value_share"] == pytest.approx(1 - share, abs=1e-12)
    assert mix["verdict"] == "over_marketing" and mix["basis"] == "is_ad"
    ref = stats.binomtest(int(posts_df.is_ad.sum()), len(posts_df)).proportion_ci(0.95, method="wilson")
    assert (mix["ad_share_low"], mix["ad_share_high"]) == pytest.approx((ref.low, ref.high), rel=1e-9)
    assert by_platform["posts"].sum() == len(posts_df)

    no_flag = con.create_table("posts_noflag", posts_df.drop(columns="is_ad"), overwrite=True)
    assert po.content_mix(no_flag)[0]["basis"] == "content_type"
    assert po.content_mix(no_flag)[0]["ad_share"] == pytest.approx(share)

    few_ads = posts_df.assign(is_ad=np.arange(len(posts_df)) % 10 == 0)
    assert po.content_mix(con.create_table("p10", few_ads, overwrite=True))[0]["verdict"] == "under_monetised"
    right = posts_df.assign(is_ad=np.arange(len(posts_df)) % 10 < 3)
    assert po.content_mix(con.create_table("p30", right, overwrite=True))[0]["verdict"] == "balanced"


def test_null_is_ad_falls_back_to_content_type(con):
    df = pd.DataFrame({"post_id": ["a", "b", "c", "d"], "platform": ["weibo"] * 4,
                       "published_at": pd.to_datetime(["2026-01-01"] * 4),
                       "content_type": ["promotion", "promotion", "story", "story"],
                       "is_ad": pd.array([None, False, True, None], dtype="boolean"),
                       "impressions": [10, 10, 10, 10]})
    mix, _ = po.content_mix(con.create_table("pnull", df, overwrite=True))
    assert mix["ads"] == 2


def test_posting_cadence_against_guidance(posts, posts_df):
    cad = po.posting_cadence(posts, "2026-01-01", "2026-06-29", platforms=["weibo"]).set_index("platform")
    weeks = 180 / 7
    assert cad.loc["douyin", "posts"] == (posts_df.platform == "douyin").sum()
    assert cad.loc["douyin", "posts_per_week"] == pytest.approx(cad.loc["douyin", "posts"] / weeks)
    # about 1000 posts each over 26 weeks: ~39 a week, above every guidance
    assert cad.loc["wechat", "status"] == "above"
    assert cad.loc["weibo", "posts"] == 0 and cad.loc["weibo", "status"] == "no_guidance"
    short = po.posting_cadence(posts, "2026-03-01", "2026-03-07").set_index("platform")
    in_week = posts_df[(posts_df.published_at >= "2026-03-01") & (posts_df.published_at < "2026-03-08")]
    assert short.loc["xiaohongshu", "posts"] == (in_week.platform == "xiaohongshu").sum()
    low = po.posting_cadence(posts, "2026-01-01", "2026-06-29", guidance={"douyin": (100, 200)})
    assert low.set_index("platform").loc["douyin", "status"] == "below"


def test_recommendations_and_records(totals, posts):
    scored = pm.score_platforms(pm.platform_metrics(totals), goal="conversion")
    cad = po.posting_cadence(posts, "2026-01-01", "2026-06-29", platforms=scored.platform,
                             guidance={"douyin": (100, 200), "wechat": (2, 3)})
    mix, _ = po.content_mix(posts)
    recs = po.recommendations(scored, "conversion", cad, mix, po.group_performance(posts), [20, 21],
                              label=str.upper)
    keys = [k for k, _ in recs]
    assert keys[0] == "rec_core_conversion" and "WECHAT" in recs[0][1]["platforms"]
    assert "rec_deprioritize" in keys and "rec_mix_over_marketing" in keys
    # douyin is to be scaled back under this goal: no "post more" for it, only "commit or hold back"
    assert scored.set_index("platform").loc["douyin", "role"] == "deprioritize"
    assert ("rec_cadence_below_weak", "DOUYIN") in [(k, v.get("platform")) for k, v in recs]
    kept = scored.assign(role=np.where(scored.platform == "douyin", "auxiliary", scored.role))
    kept_recs = po.recommendations(kept, "conversion", cad, label=str.upper)
    assert ("rec_cadence_below", "DOUYIN") in [(k, v.get("platform")) for k, v in kept_recs]
    assert dict(recs)["rec_hours"] == {"hours": "20:00–21:59"}
    records = pm.platform_records(scored, cad)
    assert [r["rank"] for r in records] == [1, 2, 3, 4]
    wechat = next(r for r in records if r["platform"] == "wechat")
    assert wechat["cadence_target"] == [2.0, 3.0] and wechat["role"] == "core"
    assert next(r for r in records if r["platform"] == "weibo")["cadence_target"] is None
