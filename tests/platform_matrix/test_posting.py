"""Unit tests of socialops.platform_matrix.posting: time slots, content performance, content mix, cadence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from socialops.platform_matrix import posting as po

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


def test_has_engagement_needs_one_engagement_column(posts):
    assert po.has_engagement(posts)
    assert not po.has_engagement(posts.drop(*(c for c in ("likes", "comments", "shares", "saves")
                                                if c in posts.columns)))


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
    before = po.posting_cadence(posts, "2025-01-01", "2025-01-07")  # before the first post
    assert before["platform"].tolist() == sorted(posts_df.platform.unique()) and (before["posts"] == 0).all()
    low = po.posting_cadence(posts, "2026-01-01", "2026-06-29", guidance={"douyin": (100, 200)})
    assert low.set_index("platform").loc["douyin", "status"] == "below"


def test_best_hours_need_the_minimum_of_posts_and_a_lift_above_average():
    profile = pd.DataFrame({"hour": [8, 20, 21, 3], "n": [40, 30, 25, 1], "shrunk": [0.9, 1.3, 1.2, 1.5],
                            "weight": [0.5, 0.6, 0.5, 0.1]})
    assert po.best_hours(profile) == [20, 21]
    assert po.best_hours(profile, min_posts=1) == [3, 20]  # the single post now counts
    assert po.best_hours(profile, min_posts=26) == [20]
    assert po.best_hours(profile.assign(shrunk=[0.9, 0.95, 0.8, 0.7])) == []  # nothing above average
    assert po.best_hours(profile.assign(weight=0.0)) == []  # hours do not differ beyond noise
    assert po.best_hours(profile.iloc[:0]) == []


def test_group_performance_leaves_out_thin_groups(posts):
    every = po.group_performance(posts, "content_type")
    assert every["n"].min() > 100
    assert po.group_performance(posts, "content_type", min_posts=int(every["n"].max()) + 1).empty
    kept = po.group_performance(posts, "content_type", min_posts=int(every["n"].median()))
    assert set(kept["content_type"]) == set(every.loc[every["n"] >= every["n"].median(), "content_type"])


def test_posts_period_starts_at_the_first_post(posts, posts_df):
    first, last = po.posts_period(posts, pd.Timestamp("2026-06-29 23:59:59"), 90)
    assert last == pd.Timestamp("2026-06-29") and first == pd.Timestamp("2026-04-01")
    first, _ = po.posts_period(posts, pd.Timestamp("2026-06-29 23:59:59"), 3650)
    assert first == posts_df["published_at"].min().normalize()
