"""Synthetic mention data with a planted crisis, shared by the crisis tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

PLATFORMS = ("weibo", "douyin", "xiaohongshu")
START = pd.Timestamp("2026-08-01")
ONSET = pd.Timestamp("2026-09-05 09:00")


def baseline_mean(index: pd.DatetimeIndex, level: float = 20.0) -> np.ndarray:
    """Mean mentions per hour with a daily cycle (quiet at night, busy in the evening)."""
    hour = index.hour.to_numpy()
    return level * (0.3 + 0.7 * (1 + np.sin((hour - 9) / 24 * 2 * np.pi)) / 2 * 1.6)


def crisis_mean(
    index: pd.DatetimeIndex, onset: pd.Timestamp, amplitude: float, decay_hours: float = 18.0
) -> np.ndarray:
    """Extra mentions per hour: a jump at the onset, a peak 4 hours later, then exponential decay."""
    k = ((index - onset) / pd.Timedelta(hours=1)).to_numpy()
    ramp = amplitude * (0.5 + 0.5 * k / 4)
    decay = amplitude * np.exp(-(k - 4) / decay_hours)
    return np.where(k < 0, 0.0, np.where(k <= 4, ramp, decay))


def hourly_counts(
    days: int = 42,
    onset: pd.Timestamp | None = ONSET,
    amplitude: float = 150.0,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[pd.Series, pd.Series]:
    """Hourly counts: negative binomial baseline (overdispersion ``alpha``) plus Poisson crisis mentions.

    Returns the total counts and the crisis part alone (the planted excess).
    """
    rng = np.random.default_rng(seed)
    index = pd.date_range(START, periods=days * 24, freq="h")
    mu = baseline_mean(index)
    size = 1 / alpha
    base = rng.negative_binomial(size, size / (size + mu))
    extra = (
        np.zeros(len(index), dtype=int)
        if onset is None
        else rng.poisson(crisis_mean(index, onset, amplitude))
    )
    return pd.Series(base + extra, index=index), pd.Series(extra, index=index)


def mentions_frame(
    onset: pd.Timestamp | None = ONSET,
    response_hours: float = 30.0,
    days: int = 42,
    amplitude: float = 150.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Row-level mentions: crisis mentions are negative and start on weibo; official posts are routine every two
    days (none between the onset and the response) plus, when there is a crisis, a statement ``response_hours`` after the onset."""
    rng = np.random.default_rng(seed + 1)
    counts, extra = hourly_counts(days=days, onset=onset, amplitude=amplitude, seed=seed)
    rows = []
    for period, total, crisis in zip(counts.index, counts.to_numpy(), extra.to_numpy(), strict=True):
        for j in range(int(total)):
            is_crisis = j < crisis
            if is_crisis:
                lag = (period - onset) / pd.Timedelta(hours=1)
                platform = "weibo" if lag < 2 else PLATFORMS[j % 3]
                sentiment = float(np.clip(rng.normal(-0.6, 0.2), -1, 1))
                text = "品牌 质量问题 退款 太差了 @张三 13800138000" if j % 2 else "质量问题 投诉 客服 不理人"
            else:
                platform = PLATFORMS[rng.integers(3)]
                sentiment = float(np.clip(rng.normal(0.3, 0.3), -1, 1))
                text = "新品 好用 推荐" if sentiment > -0.2 else "物流 有点 慢"
            rows.append(
                (period + pd.Timedelta(minutes=int(rng.integers(60))), platform, sentiment, text, False)
            )
    for day in range(0, days, 2):
        posted = START + pd.Timedelta(days=day, hours=10)
        if onset is None or not onset <= posted <= onset + pd.Timedelta(hours=response_hours):
            rows.append((posted, "weibo", 0.5, "新品 上市", True))
    if onset is not None:
        rows.append((onset + pd.Timedelta(hours=response_hours, minutes=5), "weibo", 0.0, "致歉 声明", True))
    frame = pd.DataFrame(rows, columns=["ts", "platform", "sentiment", "text", "is_official"])
    frame = frame.sort_values("ts", ignore_index=True)
    frame["mention_id"] = [f"m{i:06d}" for i in range(len(frame))]
    frame["reach"] = rng.integers(10, 5000, len(frame))
    return frame


def week_mentions_frame(level: float = 80.0, days: int = 7, crisis_day: int = 6, seed: int = 0) -> pd.DataFrame:
    """A short export: ``days`` days of flat hourly mentions whose ``crisis_day``-th day doubles, mostly negative.

    Only the required columns (``mention_id``, ``ts``, ``platform``, ``sentiment``). The extra mentions come from
    weibo alone in the crisis day's first two hours, then from every platform; on that day about 87% of the
    mentions are negative, against about 10% before.
    """
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-03-01", periods=days * 24, freq="h")
    crisis = (index >= index[0] + pd.Timedelta(days=crisis_day - 1)) & (
        index < index[0] + pd.Timedelta(days=crisis_day))
    base = rng.poisson(level, len(index))
    extra = np.where(crisis, rng.poisson(level, len(index)), 0)
    rows = []
    for hour, (period, n_base, n_extra) in enumerate(zip(index, base, extra, strict=True)):
        early = crisis[hour] and not crisis[max(hour - 2, 0)]
        for j in range(n_base + n_extra):
            is_extra = j >= n_base
            platform = "weibo" if is_extra and early else PLATFORMS[rng.integers(3)]
            negative = rng.random() < (1.0 if is_extra else 0.74 if crisis[hour] else 0.1)
            sentiment = -0.6 if negative else 0.4
            rows.append((period + pd.Timedelta(minutes=int(rng.integers(60))), platform, sentiment))
    frame = pd.DataFrame(rows, columns=["ts", "platform", "sentiment"]).sort_values("ts", ignore_index=True)
    frame.insert(0, "mention_id", [f"w{i:06d}" for i in range(len(frame))])
    return frame
