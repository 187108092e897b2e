"""The ``mentions`` table of the samples: two months of brand mentions with a planted crisis.

Hourly counts follow a daily cycle and a weekday effect with some overdispersion. On 2026-09-10 at 09:00 a
product-quality story breaks (bottled cold brew with a foreign object): mentions jump in that very hour, peak
six hours later and decay over a few days. The brand stays silent for 30 hours (its routine posts pause too)
and answers at 2026-09-11 15:00, missing the 24-hour rule. Texts are Chinese; a few carry phone numbers and
@nicknames so that masking has something to mask.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socialops.sample._common import (
    DAY,
    HOUR,
    HOUR_WEIGHTS,
    PLATFORMS,
    WEEKDAY_WEIGHTS,
    WINDOW_END,
    ids,
    off_last_minute,
    to_datetime,
    weekday_of,
)

START = int(np.datetime64("2026-08-01T00:00:00", "s").astype(np.int64))
ONSET = int(np.datetime64("2026-09-10T09:00:00", "s").astype(np.int64))
RESPONSE_HOURS = 30
BASE_PER_HOUR = 6.0
#: Expected extra mentions in the first hours after onset (peak in hour 6), then exponential decay.
RAMP = [40, 70, 100, 130, 160, 185, 220]
DECAY_FROM, DECAY_HOURS = 160.0, 26.0
BASE_PLATFORMS = [0.25, 0.25, 0.10, 0.30, 0.10]
CRISIS_PLATFORMS = [0.15, 0.20, 0.05, 0.55, 0.05]
BASE_SENTIMENT, CRISIS_SENTIMENT = 0.30, -0.65

BRAND = "澜岸咖啡"
NICKNAMES = [
    "小鹿爱喝咖啡",
    "阿岚的日常",
    "咖啡续命王",
    "周末去哪儿",
    "Momo在上海",
    "老陈说消费",
    "一只程序猿",
]
PHONES = ["13800138000", "13912345678", "15800001111", "18612345678"]
ROUTINE = [
    f"{BRAND}秋季新品上线，欢迎到店品尝",
    f"{BRAND}会员日：今天下单享双倍积分",
    f"【{BRAND}】一杯好咖啡的秘密：烘焙曲线",
    f"{BRAND}门店招募咖啡师，欢迎投递",
    f"【{BRAND}】本周手冲课程开放报名",
]
RESPONSE = (
    f"【{BRAND}关于冷萃瓶装产品的说明】我们对近日消费者反映的问题深表歉意。经核查，问题源于一条灌装线，"
    "我们已暂停该线生产，召回同批次产品，并为购买者全额退款及补偿。"
)
REPLIES = [
    "您好，非常抱歉给您带来不好的体验，已私信您处理退款与补偿",
    "感谢反馈，召回与退款细则请见置顶声明",
    "抱歉让您担心了，同批次产品可在任意门店退换",
]
POSITIVE = [
    f"{BRAND}的冷萃真的好喝，清爽不苦",
    f"今天在{BRAND}打卡了新品，拉花好好看",
    f"{BRAND}的燕麦拿铁是我的早八续命神器",
    f"推荐{BRAND}的挂耳，办公室必备",
    f"{BRAND}新店环境不错，适合周末看书",
]
NEUTRAL = [
    f"有人喝过{BRAND}的冷萃瓶装吗？",
    f"{BRAND}和别家比哪个性价比高",
    f"{BRAND}今天排队的人好多",
    f"路过{BRAND}，看到在做会员活动",
]
NEGATIVE = [
    f"{BRAND}今天的拿铁有点淡",
    f"{BRAND}外卖送得太慢了",
]
CRISIS = [
    f"{BRAND}冷萃瓶装喝出异物，太恶心了",
    f"#{BRAND}异物# 客服到现在都没回应",
    f"{BRAND}质量问题谁来管管",
    f"再也不买{BRAND}了，瓶子里有黑色颗粒",
    f"{BRAND}差评！冷萃里有不明物体",
    f"转发扩散：{BRAND}冷萃瓶装有问题，大家别喝了",
    f"{BRAND}出了这么大的事一句解释都没有？",
]


def _hour_index(ts: int) -> int:
    return (ts - START) // HOUR


def expected_counts() -> tuple[np.ndarray, np.ndarray]:
    """Expected baseline and crisis mentions for each hour of the two months (no noise)."""
    hours = START + np.arange((WINDOW_END + 1 - START) // HOUR) * HOUR
    cycle = HOUR_WEIGHTS / HOUR_WEIGHTS.mean()
    baseline = BASE_PER_HOUR * cycle[(hours % DAY) // HOUR] * WEEKDAY_WEIGHTS[weekday_of(hours)]
    k = np.arange(hours.size) - _hour_index(ONSET)
    decay = DECAY_FROM * np.exp(-(k - len(RAMP)) / DECAY_HOURS)
    crisis = np.where(k < 0, 0.0, np.where(k < len(RAMP), np.take(RAMP, np.clip(k, 0, len(RAMP) - 1)), decay))
    return baseline, crisis


def _texts(rng: np.random.Generator, pools: list[list[str]], which: np.ndarray) -> list[str]:
    """Draw a text for each mention from its pool; some mention a user, a few carry a phone number."""
    texts = []
    tags = rng.random(which.size)
    for w, tag in zip(which, tags, strict=True):
        pool = pools[w]
        text = pool[rng.integers(len(pool))]
        if tag < 0.04:
            text = f"@{NICKNAMES[rng.integers(len(NICKNAMES))]} {text}"
        elif tag < 0.043:
            text = f"{text}，我的电话{PHONES[rng.integers(len(PHONES))]}，请尽快联系我"
        texts.append(text)
    return texts


def mentions(rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    """The mentions table and the crisis truths."""
    baseline, crisis = expected_counts()
    n_hours = baseline.size
    base_n = rng.poisson(baseline * rng.gamma(25.0, 1 / 25.0, n_hours))
    crisis_n = rng.poisson(crisis)
    hour_of = np.concatenate([np.repeat(np.arange(n_hours), base_n), np.repeat(np.arange(n_hours), crisis_n)])
    is_crisis = np.repeat([False, True], [base_n.sum(), crisis_n.sum()])
    ts = START + hour_of * HOUR + rng.integers(0, HOUR, hour_of.size)
    m = ts.size
    platform = np.where(
        is_crisis,
        rng.choice(len(PLATFORMS), m, p=CRISIS_PLATFORMS),
        rng.choice(len(PLATFORMS), m, p=BASE_PLATFORMS),
    )
    sentiment = np.where(is_crisis, rng.normal(CRISIS_SENTIMENT, 0.2, m), rng.normal(BASE_SENTIMENT, 0.35, m))
    tone = np.where(is_crisis, 3, np.select([sentiment > 0.35, sentiment > -0.1], [0, 1], 2))
    reach = np.exp(rng.normal(np.where(is_crisis, 6.5, 6.0), 1.5, m)).astype(np.int64)
    text = _texts(rng, [POSITIVE, NEUTRAL, NEGATIVE, CRISIS], tone)
    public = pd.DataFrame(
        {
            "ts": ts,
            "platform": platform,
            "sentiment": sentiment,
            "reach": reach,
            "text": text,
            "is_official": False,
        }
    )
    response_at = ONSET + RESPONSE_HOURS * HOUR
    official = _official(rng, response_at)
    # One last routine mention at 23:59:59 fixes the table's latest timestamp at the samples' as_of.
    closing = pd.DataFrame(
        {
            "ts": [WINDOW_END],
            "platform": [PLATFORMS.index("weibo")],
            "sentiment": [0.4],
            "reach": [850],
            "text": [POSITIVE[0]],
            "is_official": [False],
        }
    )
    public["ts"] = off_last_minute(public["ts"].to_numpy())
    out = pd.concat([public, official, closing], ignore_index=True)
    out = out.iloc[np.lexsort((out.text.to_numpy(), out.ts.to_numpy()))].reset_index(drop=True)
    out["sentiment"] = out.sentiment.clip(-1, 1).round(3)
    out["platform"] = np.array(PLATFORMS)[out.platform.to_numpy()]
    out["ts"] = to_datetime(out.ts.to_numpy())
    out.insert(0, "mention_id", ids("m", np.arange(1, len(out) + 1), 6))

    counts = np.bincount(_hour_index(public.ts.to_numpy()), minlength=n_hours)
    peak_hour = START + int(np.argmax(counts)) * HOUR
    iso = "%Y-%m-%dT%H:%M:%S"
    truths = {
        "onset": pd.Timestamp(ONSET, unit="s").strftime(iso),
        "peak_at": pd.Timestamp(peak_hour, unit="s").strftime(iso),
        "first_response_at": pd.Timestamp(response_at, unit="s").strftime(iso),
        "response_hours": RESPONSE_HOURS,
        "met_24h_rule": False,
        "recovered_by": pd.Timestamp(ONSET + 7 * DAY, unit="s").strftime(iso),
        "decay_hours": DECAY_HOURS,
        "excess_mentions": int(crisis_n.sum()),
        "excess_expected": round(float(crisis.sum()), 1),
        "baseline_sentiment": BASE_SENTIMENT,
        "crisis_sentiment": CRISIS_SENTIMENT,
    }
    return out, truths


def _official(rng: np.random.Generator, response_at: int) -> pd.DataFrame:
    """The brand's own posts: routine ones outside the silence, the statement, then replies to complaints."""
    days = START + np.arange((WINDOW_END + 1 - START) // DAY) * DAY
    routine = np.concatenate([days + 10 * HOUR, days[weekday_of(days) % 2 == 0] + 19 * HOUR])
    routine = np.sort(routine + rng.integers(0, 50 * 60, routine.size))
    silent = (routine >= ONSET) & (routine < response_at + DAY)
    routine = routine[~silent]
    replies = response_at + np.sort(rng.integers(HOUR, 3 * DAY, 24))
    ts = np.concatenate([routine, [response_at], replies])
    text = (
        [ROUTINE[i] for i in rng.integers(0, len(ROUTINE), routine.size)]
        + [RESPONSE]
        + [REPLIES[i] for i in rng.integers(0, len(REPLIES), replies.size)]
    )
    platform = np.concatenate(
        [
            np.where((routine % DAY) // HOUR == 10, PLATFORMS.index("weibo"), PLATFORMS.index("wechat")),
            [PLATFORMS.index("weibo")],
            rng.choice([PLATFORMS.index("weibo"), PLATFORMS.index("xiaohongshu")], replies.size),
        ]
    )
    return pd.DataFrame(
        {
            "ts": ts,
            "platform": platform,
            "sentiment": np.concatenate([np.full(routine.size, 0.5), [0.1], np.full(replies.size, 0.2)]),
            "reach": np.concatenate(
                [rng.integers(2_000, 20_000, routine.size), [250_000], rng.integers(300, 3_000, replies.size)]
            ),
            "text": text,
            "is_official": True,
        }
    )
