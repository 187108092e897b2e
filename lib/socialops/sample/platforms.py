"""The platform tables of the samples: ``platform_daily``, ``posts`` and ``audience``.

Each platform has a planted profile (DESIGN.md, the sample data): Douyin reaches widest and converts worst,
WeChat reaches few but converts best and wins followers cheapest, Xiaohongshu engages best, Weibo is weak and
costly, Bilibili is small, engaged and young.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socialops.sample._common import (
    DAY,
    HOUR,
    PLATFORMS,
    WEEKDAY_WEIGHTS,
    WINDOW_END,
    WINDOW_START,
    ids,
    to_datetime,
    weekday_of,
)

#: Planted daily profile per platform: followers at the start, impressions a day, engagement rate,
#: click-through rate, conversions per click, new followers a day, spend a day (yuan).
PROFILES = pd.DataFrame(
    {
        "followers0": [120_000, 350_000, 60_000, 200_000, 40_000],
        "impressions": [450_000, 1_800_000, 70_000, 400_000, 160_000],
        "engagement_rate": [0.075, 0.040, 0.030, 0.012, 0.055],
        "ctr": [0.020, 0.008, 0.060, 0.009, 0.025],
        "conversion_per_click": [0.030, 0.010, 0.090, 0.030, 0.020],
        "new_followers": [800, 2_000, 300, 200, 300],
        "spend": [8_000.0, 20_000.0, 900.0, 6_000.0, 2_400.0],
    },
    index=list(PLATFORMS),
)
#: How engagements split into likes, comments, shares and saves on each platform.
ENGAGEMENT_MIX = {
    "xiaohongshu": [0.50, 0.12, 0.08, 0.30],
    "douyin": [0.75, 0.10, 0.10, 0.05],
    "wechat": [0.55, 0.10, 0.25, 0.10],
    "weibo": [0.60, 0.20, 0.15, 0.05],
    "bilibili": [0.55, 0.15, 0.10, 0.20],
}
AVERAGE_ORDER_YUAN = 48.0

#: Posts a week per platform; Douyin's 4 is well below its 1-2 videos a day guidance.
POSTS_PER_WEEK = {"xiaohongshu": 4.0, "douyin": 4.0, "wechat": 2.5, "weibo": 6.0, "bilibili": 2.0}
#: Share of posts by content type; promotion (the adverts) is 40%, above the 7:3 rule.
CONTENT_SHARES = {"tutorial": 0.22, "story": 0.18, "interactive": 0.20, "promotion": 0.40}
#: Planted engagement multiplier by content type.
CONTENT_LIFT = {"tutorial": 1.5, "story": 1.05, "interactive": 1.2, "promotion": 0.55}
#: Posting hours (posts go out between 08:00 and 23:59) and their relative frequency.
POST_HOURS = np.arange(8, 24)
POST_HOUR_WEIGHTS = np.array([3, 4, 5, 6, 8, 6, 4, 4, 4, 5, 7, 8, 9, 9, 6, 3], dtype=float)
#: Hours whose posts earn the planted evening uplift, and its size.
BEST_HOURS = (20, 21)
HOUR_LIFT = 1.5
FORMATS = {
    "xiaohongshu": (["image_text", "video"], [0.7, 0.3]),
    "douyin": (["video", "live"], [0.85, 0.15]),
    "wechat": (["article", "image_text"], [0.8, 0.2]),
    "weibo": (["image_text", "video", "other"], [0.6, 0.3, 0.1]),
    "bilibili": (["video", "live"], [0.9, 0.1]),
}
POST_IMPRESSIONS = {
    "xiaohongshu": 15_000,
    "douyin": 60_000,
    "wechat": 6_000,
    "weibo": 12_000,
    "bilibili": 10_000,
}
TITLES = {
    "tutorial": [
        "3分钟学会手冲咖啡",
        "冷萃咖啡在家怎么做",
        "咖啡豆怎么选？一篇讲清楚",
        "拿铁拉花入门教程",
        "夏天这样喝：清爽不腻",
        "办公室提神咖啡指南",
        "咖啡和牛奶的黄金比例",
    ],
    "story": [
        "创始人的第一家小店",
        "一位老顾客的十年",
        "凌晨四点的烘焙车间",
        "我们为什么坚持现磨",
        "咖啡农的一天",
        "门店店长的日常",
    ],
    "interactive": [
        "评论区抽10位送新品",
        "你最爱哪种口味？投票",
        "晒出你的咖啡角",
        "#澜岸夏日挑战# 来参加",
        "猜猜新品叫什么",
        "留言说说你的早晨",
    ],
    "promotion": [
        "新品8折限时抢",
        "第二杯半价",
        "会员日全场满减",
        "9.9元尝鲜装上线",
        "直播间专属优惠券",
        "618大促预告",
        "双11提前购",
    ],
}
#: Audience profile per platform: {dimension: {bucket: weight}}; weights are normalised to shares.
AUDIENCE = {
    "xiaohongshu": {
        "age": {"18-24": 24, "25-34": 48, "35-44": 18, "45+": 10},
        "gender": {"female": 78, "male": 22},
        "city_tier": {"tier1": 38, "new_tier1": 30, "tier2": 20, "tier3_below": 12},
        "interest": {"beauty": 30, "food": 25, "coffee": 20, "travel": 15, "fitness": 10},
    },
    "douyin": {
        "age": {"18-24": 28, "25-34": 32, "35-44": 24, "45+": 16},
        "gender": {"female": 52, "male": 48},
        "city_tier": {"tier1": 18, "new_tier1": 22, "tier2": 25, "tier3_below": 35},
        "interest": {"food": 30, "travel": 20, "coffee": 15, "fitness": 15, "tech": 20},
    },
    "wechat": {
        "age": {"18-24": 12, "25-34": 40, "35-44": 33, "45+": 15},
        "gender": {"female": 58, "male": 42},
        "city_tier": {"tier1": 35, "new_tier1": 28, "tier2": 22, "tier3_below": 15},
        "interest": {"coffee": 35, "food": 25, "parenting": 15, "travel": 15, "tech": 10},
    },
    "weibo": {
        "age": {"18-24": 30, "25-34": 34, "35-44": 22, "45+": 14},
        "gender": {"female": 55, "male": 45},
        "city_tier": {"tier1": 25, "new_tier1": 25, "tier2": 25, "tier3_below": 25},
        "interest": {"entertainment": 35, "food": 20, "coffee": 10, "travel": 15, "tech": 20},
    },
    "bilibili": {
        "age": {"18-24": 58, "25-34": 30, "35-44": 9, "45+": 3},
        "gender": {"female": 45, "male": 55},
        "city_tier": {"tier1": 30, "new_tier1": 30, "tier2": 22, "tier3_below": 18},
        "interest": {"tech": 30, "gaming": 25, "coffee": 15, "food": 15, "fitness": 15},
    },
}


def platform_daily(rng: np.random.Generator) -> pd.DataFrame:
    """One row per day and platform over the window, with weekday effects, a gentle trend and noise."""
    days = np.arange(WINDOW_START, WINDOW_END + 1, DAY)
    n_days = days.size
    weekday = WEEKDAY_WEIGHTS[weekday_of(days)]
    trend = 1.0 + 0.25 * np.arange(n_days) / n_days
    frames = []
    for platform, prof in PROFILES.iterrows():
        level = weekday * trend * rng.lognormal(0.0, 0.15, n_days)
        impressions = rng.poisson(prof.impressions * level)
        reach = rng.binomial(impressions, 0.62)
        rate = prof.engagement_rate * rng.lognormal(0.0, 0.10, n_days)
        engagements = rng.binomial(impressions, np.clip(rate, 0, 1))
        parts = np.stack([rng.multinomial(e, ENGAGEMENT_MIX[platform]) for e in engagements])
        clicks = rng.binomial(impressions, prof.ctr * rng.lognormal(0.0, 0.10, n_days))
        conversions = rng.binomial(clicks, prof.conversion_per_click)
        new_followers = rng.poisson(prof.new_followers * weekday * trend)
        unfollows = rng.binomial(new_followers, 0.3)
        spend = np.round(prof.spend * trend * rng.lognormal(0.0, 0.08, n_days), 2)
        revenue = np.round(conversions * AVERAGE_ORDER_YUAN * rng.lognormal(0.0, 0.10, n_days), 2)
        frames.append(
            pd.DataFrame(
                {
                    "date": days.astype("datetime64[s]").astype("datetime64[D]"),
                    "platform": platform,
                    "followers": int(prof.followers0) + np.cumsum(new_followers - unfollows),
                    "impressions": impressions,
                    "reach": reach,
                    "engagements": engagements,
                    "likes": parts[:, 0],
                    "comments": parts[:, 1],
                    "shares": parts[:, 2],
                    "saves": parts[:, 3],
                    "clicks": clicks,
                    "new_followers": new_followers,
                    "conversions": conversions,
                    "revenue": revenue,
                    "spend": spend,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True).sort_values(["date", "platform"], kind="stable")
    out["date"] = pd.to_datetime(out["date"]).dt.date
    return out.reset_index(drop=True)


def _exact_labels(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    """`n` labels in the given shares, rounded once and shuffled (so planted shares do not drift by chance)."""
    counts = np.floor(np.array(list(shares.values())) * n).astype(int)
    counts[np.argmax(counts)] += n - counts.sum()
    return rng.permutation(np.repeat(np.array(list(shares)), counts))


def posts(rng: np.random.Generator) -> pd.DataFrame:
    """One row per post, with the planted content-type, posting-hour and platform effects."""
    weeks = (WINDOW_END + 1 - WINDOW_START) / (7 * DAY)
    platform = np.concatenate([[p] * round(POSTS_PER_WEEK[p] * weeks) for p in PLATFORMS])
    n = platform.size
    content = _exact_labels(rng, CONTENT_SHARES, n)
    day = rng.integers(0, (WINDOW_END + 1 - WINDOW_START) // DAY, n)
    hour = rng.choice(POST_HOURS, n, p=POST_HOUR_WEIGHTS / POST_HOUR_WEIGHTS.sum())
    minute = rng.integers(0, 59, n)
    published = WINDOW_START + day * DAY + hour * HOUR + minute * 60 + rng.integers(0, 60, n)

    prof = PROFILES.loc[platform]
    base = np.array([POST_IMPRESSIONS[p] for p in platform])
    impressions = rng.poisson(base * rng.lognormal(0.0, 0.5, n))
    lift = np.array([CONTENT_LIFT[c] for c in content]) * np.where(np.isin(hour, BEST_HOURS), HOUR_LIFT, 1.0)
    rate = np.clip(prof.engagement_rate.to_numpy() * lift * rng.lognormal(0.0, 0.25, n), 0, 1)
    engagements = rng.binomial(impressions, rate)
    parts = np.stack(
        [rng.multinomial(e, ENGAGEMENT_MIX[p]) for e, p in zip(engagements, platform, strict=True)]
    )
    fmt = np.array([rng.choice(FORMATS[p][0], p=FORMATS[p][1]) for p in platform])
    title = np.array(
        [TITLES[c][i % len(TITLES[c])] for c, i in zip(content, rng.integers(0, 100, n), strict=True)]
    )
    order = np.lexsort((platform, published))
    out = (
        pd.DataFrame(
            {
                "platform": platform,
                "published_at": to_datetime(published),
                "content_type": content,
                "format": fmt,
                "is_ad": content == "promotion",
                "title": title,
                "impressions": impressions,
                "reach": rng.binomial(impressions, 0.7),
                "clicks": rng.binomial(impressions, prof.ctr.to_numpy()),
                "likes": parts[:, 0],
                "comments": parts[:, 1],
                "shares": parts[:, 2],
                "saves": parts[:, 3],
            }
        )
        .iloc[order]
        .reset_index(drop=True)
    )
    out.insert(0, "post_id", ids("p", np.arange(1, n + 1), 5))
    return out


def audience() -> pd.DataFrame:
    """Audience shares per platform, dimension and bucket (each dimension sums to 1 within a platform)."""
    rows = []
    for platform, dims in AUDIENCE.items():
        for dimension, buckets in dims.items():
            total = sum(buckets.values())
            rows += [(platform, dimension, b, round(w / total, 4)) for b, w in buckets.items()]
    return pd.DataFrame(rows, columns=["platform", "dimension", "bucket", "share"])


def truths(daily: pd.DataFrame, post_table: pd.DataFrame) -> dict:
    """The planted platform-matrix truths, with the realised figures behind them."""
    weeks = (WINDOW_END + 1 - WINDOW_START) / (7 * DAY)
    ad_share = float(post_table["is_ad"].mean())
    per_week = (post_table.groupby("platform").size() / weeks).round(3)
    return {
        "best_awareness": "douyin",
        "best_conversion": "wechat",
        "best_engagement": "xiaohongshu",
        "best_content_type": "tutorial",
        "best_hours": list(BEST_HOURS),
        "hour_lift": HOUR_LIFT,
        "content_lift": CONTENT_LIFT,
        "ad_share": round(ad_share, 4),
        "verdict": "over_marketing" if ad_share > 0.3 else "balanced",
        "under_cadence": ["douyin"],
        "posts_per_week": {p: float(per_week[p]) for p in PLATFORMS},
        "audience_top": {
            "bilibili": {"age": "18-24"},
            "xiaohongshu": {"age": "25-34", "gender": "female"},
            "wechat": {"age": ["25-34", "35-44"]},
        },
    }
