"""The platform tables: daily metrics, posts and audience with the planted platform-matrix truths."""

from __future__ import annotations

import numpy as np
import pytest

from socialops.sample import platforms


def test_platform_roles(frames, truths):
    pm = truths["platform_matrix"]
    d = frames["platform_daily"].groupby("platform").sum(numeric_only=True)
    assert d.impressions.idxmax() == pm["best_awareness"] == "douyin"
    for rate in (
        d.conversions / d.clicks,
        d.conversions / d.impressions,
        d.conversions / d.followers.clip(1),
    ):
        assert rate.idxmax() == pm["best_conversion"] == "wechat"
        assert rate.idxmin() == "douyin"
    assert (d.spend / d.new_followers).idxmin() == "wechat"
    assert (d.spend / d.new_followers).idxmax() == "weibo"
    assert (d.engagements / d.impressions).idxmax() == pm["best_engagement"] == "xiaohongshu"
    assert (d.engagements / d.impressions).idxmin() == "weibo"


def test_post_effects(frames, truths):
    pm = truths["platform_matrix"]
    posts = frames["posts"].copy()
    posts["rate"] = posts[["likes", "comments", "shares", "saves"]].sum(axis=1) / posts.impressions
    by_type = posts.groupby("content_type").rate.mean()
    assert by_type.idxmax() == pm["best_content_type"] == "tutorial"
    assert by_type.idxmin() == "promotion"
    by_hour = posts.groupby(posts.published_at.dt.hour).rate.mean()
    assert sorted(by_hour.nlargest(2).index) == pm["best_hours"] == [20, 21]
    assert posts.is_ad.mean() == pytest.approx(pm["ad_share"], abs=1e-4)
    assert 0.38 < pm["ad_share"] < 0.42 and pm["verdict"] == "over_marketing"
    per_week = posts.groupby("platform").size() / (365 / 7)
    assert per_week["douyin"] < 7 and pm["under_cadence"] == ["douyin"]
    assert 3 <= per_week["xiaohongshu"] <= 5 and 2 <= per_week["wechat"] <= 3
    assert posts.title.str.contains(r"[\u4e00-\u9fff]").all()


def test_audience_profiles(frames):
    a = frames["audience"].set_index(["platform", "dimension", "bucket"]).sort_index().share
    assert a["bilibili", "age"].idxmax() == "18-24"
    assert a["xiaohongshu", "age"].idxmax() == "25-34"
    assert a["xiaohongshu", "gender"].idxmax() == "female"
    assert set(a["wechat", "age"].nlargest(2).index) == {"25-34", "35-44"}


def test_audience_shares_sum_to_one_per_dimension():
    a = platforms.audience()
    assert list(a.columns) == ["platform", "dimension", "bucket", "share"]
    assert np.allclose(a.groupby(["platform", "dimension"]).share.sum(), 1, atol=1e-3)


def test_posts_are_the_same_for_a_seed():
    one, two = (platforms.posts(np.random.default_rng(2)) for _ in range(2))
    assert one.equals(two) and one.post_id.is_unique
    # shares are exact up to the rounding remainder, which goes to the largest label
    assert one.is_ad.mean() == pytest.approx(platforms.CONTENT_SHARES["promotion"], abs=4 / len(one))
