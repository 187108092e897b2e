"""The ``events`` table of the samples: users moving through the lifecycle.

The generator first draws a per-user plan (arrival, kind of user, activity span, the key events: follow,
signup, purchases, referrals, win-back comebacks); then it writes the plentiful engagement events (views,
likes, comments, shares) chunk by chunk of users, so millions of users never sit in memory as rows at once.

Customers' repeat purchases follow the BG/NBD story of Fader, Hardie & Lee (2005): while alive a customer buys
as a Poisson process with rate ``lambda ~ Gamma(r, alpha)`` per day; after each repeat purchase they drop out
with probability ``p ~ Beta(a, b)``. A customer's dropout hazard in calendar time is ``lambda * p``.

Referred customers drop out more slowly, yet every customer's ``p`` still comes from the one planted
``Beta(a, b)`` (so a BG/NBD fit on all customers targets the planted values): who arrives through a referral is
selected with odds proportional to ``(1 - p) ** k``, which gives the referred ``p ~ Beta(a, b + k)``, with ``k``
chosen so that their mean dropout probability is `REFERRED_DROPOUT` times the others'. Their interest in the
brand's content also lasts longer by that factor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from socialops.sample._common import (
    DAY,
    HOUR,
    PLATFORMS,
    WEEKDAY_WEIGHTS,
    WINDOW_END,
    WINDOW_START,
    arrow_table,
    csv_text,
    ids,
    off_last_minute,
    to_datetime,
    weekday_of,
    with_daily_cycle,
)

EVENTS = ("view", "like", "comment", "share", "follow", "unfollow", "signup", "purchase", "referral")
VIEW, LIKE, COMMENT, SHARE, FOLLOW, UNFOLLOW, SIGNUP, PURCHASE, REFERRAL = range(len(EVENTS))

#: Planted BG/NBD parameters (time unit: day).
BGNBD = {"r": 0.75, "alpha": 30.0, "a": 0.9, "b": 5.0}
#: Referred customers' mean dropout probability (and so dropout hazard) relative to other customers'.
REFERRED_DROPOUT = 0.6
#: Where users first meet the brand.
USER_PLATFORM_SHARE = np.array([0.30, 0.35, 0.12, 0.13, 0.10])
#: Chance that a user becomes a customer, by platform (WeChat converts best, Douyin and Weibo worst).
CUSTOMER_CHANCE = np.array([0.36, 0.25, 0.60, 0.22, 0.34])
ACQUIRED_CHANCE = 0.20
#: Share of customers who arrive through a referral.
REFERRED_OF_CUSTOMERS = 0.15
#: Mean days a customer keeps engaging after the first purchase while still buying now and then.
ENGAGEMENT_DAYS = 60
#: Win-back test: assignment week, declared split and planted comeback rates.
WINBACK_START = int(np.datetime64("2026-09-01T10:00:00", "s").astype(np.int64))
WINBACK_DAYS = 5
WINBACK_SPLIT = {"holdout": 0.10, "coupon": 0.90}
WINBACK_RATE = {"holdout": 0.05, "coupon": 0.15}
#: End of the purchase model's calibration: the last second before the win-back test's first day. Its comeback
#: purchases are a planted treatment, outside any stationary purchase model, so fits that should find the planted
#: BG/NBD parameters stop here.
CALIBRATION_END = "2026-08-31T23:59:59"
CHURN_DAYS = 90
LOYAL_MIN_PURCHASES = 3
LOYAL_WINDOW_DAYS = 180
PERIOD_DAYS = 30
#: Users per chunk of written events (bounds memory for millions of users).
CHUNK_USERS = 100_000


@dataclass
class Plan:
    """The per-user plan the events are drawn from.

    Attributes
    ----------
    platform : numpy.ndarray
        Index into `PLATFORMS` of each user's main platform.
    kind : numpy.ndarray
        0 prospect, 1 acquired (followed or signed up, never bought), 2 customer.
    referred : numpy.ndarray
        Whether the user came through a referral.
    dropout : numpy.ndarray
        Each user's BG/NBD dropout probability ``p`` (used by customers only).
    start, end : numpy.ndarray
        Epoch seconds bounding the user's engagement events.
    rate : numpy.ndarray
        Engagement events a day while active.
    share_chance : numpy.ndarray
        Chance that an engagement event is a share.
    key : pandas.DataFrame
        The key events (uid, ts, code, amount, referrer), sorted by uid then ts; referrer is -1 when absent.
    winback : pandas.DataFrame
        The win-back test units (uid, variant, assigned_at, converted, value, pre_value).
    """

    platform: np.ndarray
    kind: np.ndarray
    referred: np.ndarray
    dropout: np.ndarray
    start: np.ndarray
    end: np.ndarray
    rate: np.ndarray
    share_chance: np.ndarray
    key: pd.DataFrame
    winback: pd.DataFrame

    @property
    def n(self) -> int:
        """Number of users."""
        return self.platform.size


def _arrivals(rng: np.random.Generator, n: int) -> np.ndarray:
    """First-touch times with a growing audience: density proportional to 1 + g x over the window."""
    g = 0.4
    u = rng.random(n)
    x = (-1.0 + np.sqrt(1.0 + 2.0 * g * u * (1.0 + g / 2.0))) / g
    t = WINDOW_START + (x * (WINDOW_END - WINDOW_START - DAY)).astype(np.int64)
    return with_daily_cycle(rng, t, np.full(n, WINDOW_START), np.full(n, WINDOW_END - DAY))


def _repeat_purchases(rng: np.random.Generator, first: np.ndarray, lam: np.ndarray, p: np.ndarray):
    """Simulate BG/NBD repeat purchases after each first purchase up to the end of the window.

    While alive, repeat purchases arrive as a Poisson process, so given ``N ~ Poisson(lambda * D)`` arrivals
    in the remaining ``D`` days their times are sorted uniforms; the customer drops out right after repeat
    purchase number ``K ~ Geometric(p)``, so only the first ``min(N, K)`` arrivals happen.

    The fit counts purchases on distinct days (DESIGN.md), so two purchases of one day would count once and
    bias the fitted ``r`` and ``alpha`` upwards (by about 5 % and 10 % at the planted values). A purchase that
    falls on a day that already has one moves to the next free day at the same time of day instead: the count
    stays, the recency grows by a day now and then, and the 95 % intervals of a fit on the samples cover the
    planted parameters (``tests/sample/test_planted_bgnbd.py``).

    Returns
    -------
    owner, times : numpy.ndarray
        Index into `first` and epoch seconds of each repeat purchase, sorted by owner then time.
    dead : numpy.ndarray
        Whether the customer dropped out inside the window.
    """
    remaining = (WINDOW_END - first) / DAY
    arrivals = rng.poisson(lam * remaining)
    lifetime = rng.geometric(p)
    kept = np.minimum(arrivals, lifetime)
    owner = np.repeat(np.arange(first.size), arrivals)
    offset = rng.random(owner.size) * remaining[owner]
    order = np.lexsort((offset, owner))
    owner, offset = owner[order], offset[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    keep = rank < kept[owner]
    owner, offset, rank = owner[keep], offset[keep], rank[keep]
    # Days since the first purchase's day; the i-th repeat (rank i) needs day >= i + 1 and a day of its own:
    # day'_i = i + max(1, max_{j <= i} (day_j - j)).
    first_day = first[owner] // DAY
    since = (first[owner] - first_day * DAY) / DAY + offset
    day = np.floor(since).astype(np.int64)
    lead = pd.Series(day - rank).groupby(owner).cummax().to_numpy()
    moved = rank + np.maximum(lead, 1)
    times = (first_day + moved) * DAY + ((since - day) * DAY).astype(np.int64)
    inside = times <= WINDOW_END
    return owner[inside], times[inside], lifetime <= arrivals


def referral_selection_power() -> float:
    """The ``k`` of the referral selection odds ``(1 - p) ** k`` (see the module docstring).

    With selection odds ``(1 - p) ** k`` the selected have ``p ~ Beta(a, b + k)``, mean ``x = a / (a + b + k)``;
    the others then have mean ``(m - q x) / (1 - q)`` where ``m = a / (a + b)`` and ``q`` is the referred share
    of customers. Setting ``x`` to `REFERRED_DROPOUT` times that mean and solving gives ``k``.
    """
    a, b, q, ratio = BGNBD["a"], BGNBD["b"], REFERRED_OF_CUSTOMERS, REFERRED_DROPOUT
    x = ratio * a / (a + b) / (1 - q + ratio * q)
    return a / x - a - b


def _amounts(rng: np.random.Generator, level: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Order values in yuan around each buyer's level; a fifth of first orders are the 9.9-yuan trial."""
    amount = np.maximum(np.round(level * rng.gamma(8.0, 1.0 / 8.0, level.size), 2), 9.9)
    return np.where(first & (rng.random(level.size) < 0.2), 9.9, amount)


class _Keys:
    """Collects key events as arrays before they become one frame."""

    def __init__(self) -> None:
        self.parts: list[tuple] = []

    def add(self, uid, ts, code, amount=None, referrer=None) -> None:
        uid = np.asarray(uid, dtype=np.int64)
        n = uid.size
        self.parts.append(
            (
                uid,
                np.broadcast_to(np.asarray(ts, dtype=np.int64), n),
                np.full(n, code, dtype=np.int8),
                np.full(n, np.nan) if amount is None else np.asarray(amount, dtype=float),
                np.full(n, -1, dtype=np.int64) if referrer is None else np.asarray(referrer, dtype=np.int64),
            )
        )

    def frame(self) -> pd.DataFrame:
        cols = [np.concatenate(c) for c in zip(*self.parts, strict=True)]
        df = pd.DataFrame(dict(zip(["uid", "ts", "code", "amount", "referrer"], cols, strict=True)))
        df["ts"] = off_last_minute(df["ts"].to_numpy())
        return df.sort_values(["uid", "ts", "code"], kind="stable").reset_index(drop=True)


@dataclass
class _Draft:
    """The per-user arrays while a plan is drawn, filled in step by step by the ``_draw_*`` functions."""

    platform: np.ndarray
    kind: np.ndarray
    start: np.ndarray
    level: np.ndarray  # each buyer's typical order value, yuan
    lam: np.ndarray  # BG/NBD purchase rate a day
    p: np.ndarray  # BG/NBD dropout probability
    referred: np.ndarray
    first: np.ndarray  # first purchase (planned; meaningful for customers)
    end: np.ndarray
    rate: np.ndarray
    dead: np.ndarray
    keys: _Keys


def plan_users(rng: np.random.Generator, n: int) -> Plan:
    """Draw the per-user plan of `n` users (see the module docstring).

    The steps draw from `rng` in a fixed order, which keeps the samples byte-identical for a seed.
    """
    users = _draw_users(rng, n)
    organic, n_repeat = _draw_organic_customers(rng, users)
    _draw_referred_users(rng, users, organic, n_repeat)
    _draw_acquired_users(rng, users)
    _draw_prospects(rng, users)
    users.keys.add(np.arange(n), users.start, VIEW)  # every user's first touch
    winback = _winback(rng, users.kind, users.end, users.dead, users.keys)
    key = _with_closing_view(users.keys.frame(), users.end)
    winback["pre_value"] = _spent_before(key, winback)
    share_chance = rng.beta(1.0, 14.0, n)
    return Plan(
        users.platform, users.kind, users.referred, users.p, users.start, users.end, users.rate, share_chance,
        key, winback,
    )


def _draw_users(rng: np.random.Generator, n: int) -> _Draft:
    """Each user's platform, arrival, kind, purchase traits and planned first purchase; who is referred."""
    platform = rng.choice(len(PLATFORMS), n, p=USER_PLATFORM_SHARE)
    start = _arrivals(rng, n)
    u = rng.random(n)
    kind = np.where(
        u < CUSTOMER_CHANCE[platform], 2, np.where(u < CUSTOMER_CHANCE[platform] + ACQUIRED_CHANCE, 1, 0)
    )
    level = rng.gamma(3.0, 15.0, n)
    lam = rng.gamma(BGNBD["r"], 1.0 / BGNBD["alpha"], n)
    p = rng.beta(BGNBD["a"], BGNBD["b"], n)

    # Who comes through a referral: customers selected with odds (1 - p) ** k.
    customers = np.flatnonzero(kind == 2)
    odds = (1.0 - p[customers]) ** referral_selection_power()
    chance = np.minimum(1.0, REFERRED_OF_CUSTOMERS * customers.size * odds / odds.sum())
    referred = np.zeros(n, dtype=bool)
    referred[customers[rng.random(customers.size) < chance]] = True
    first = start + rng.exponential(5 * DAY, n).astype(np.int64) + 600
    return _Draft(
        platform=platform,
        kind=kind,
        start=start,
        level=level,
        lam=lam,
        p=p,
        referred=referred,
        first=first,
        end=np.zeros(n, dtype=np.int64),
        rate=np.zeros(n),
        dead=np.zeros(n, dtype=bool),
        keys=_Keys(),
    )


def _draw_organic_customers(rng: np.random.Generator, users: _Draft) -> tuple[np.ndarray, np.ndarray]:
    """Customers who were not referred; they are the pool the referred users' referrers come from.

    Returns the organic customers and the number of repeat purchases of each.
    """
    organic = np.flatnonzero((users.kind == 2) & ~users.referred)
    late = organic[users.first[organic] > WINDOW_END - HOUR]
    users.kind[late] = 1
    organic = np.setdiff1d(organic, late)
    return organic, _customers(rng, users, organic, 1.0)


def _draw_referred_users(
    rng: np.random.Generator, users: _Draft, organic: np.ndarray, n_repeat: np.ndarray
) -> None:
    """Referred users arrive a few hours after a referral by a customer, at a time when that customer is active."""
    start, first, end = users.start, users.first, users.end
    ref = np.flatnonzero(users.referred)
    span = (end[organic] - first[organic]).astype(float)
    weight = span * (1 + n_repeat)
    referrer = organic[rng.choice(organic.size, ref.size, p=weight / weight.sum())]
    sent = first[referrer] + (rng.random(ref.size) * (end[referrer] - first[referrer])).astype(np.int64)
    users.keys.add(referrer, sent, REFERRAL)
    start[ref] = np.minimum(
        sent + rng.exponential(4 * HOUR, ref.size).astype(np.int64) + 60, WINDOW_END - HOUR
    )
    signs_up = rng.random(ref.size) < 0.75
    first[ref] = start[ref] + rng.exponential(2 * DAY, ref.size).astype(np.int64) + 1_800
    late = first[ref] > WINDOW_END - HOUR
    signs_up |= late  # a referral needs a signup or a first purchase to carry it
    signup_at = start[ref] + rng.integers(120, 1_800, ref.size)
    users.keys.add(ref[signs_up], signup_at[signs_up], SIGNUP, referrer=referrer[signs_up])
    users.kind[ref[late]] = 1
    _customers(
        rng,
        users,
        ref[~late],
        REFERRED_DROPOUT,
        signed_up=signs_up[~late],
        referrer=np.where(signs_up[~late], -1, referrer[~late]),
    )
    acquired_late = ref[late]
    end[acquired_late] = np.minimum(
        signup_at[late] + rng.exponential(30 * DAY, late.sum()).astype(np.int64), WINDOW_END
    )
    users.rate[acquired_late] = rng.gamma(1.5, 0.12 / 1.5, late.sum())


def _draw_acquired_users(rng: np.random.Generator, users: _Draft) -> None:
    """Acquired users: a follow and/or a signup soon after arrival, then a while of engagement."""
    acq = np.flatnonzero((users.kind == 1) & ~users.referred)
    acquired_at = users.start[acq] + rng.exponential(DAY, acq.size).astype(np.int64) + 60
    too_late = acquired_at > WINDOW_END - HOUR
    users.kind[acq[too_late]] = 0
    acq, acquired_at = acq[~too_late], acquired_at[~too_late]
    signs_up = rng.random(acq.size) < 0.55
    follows = ~signs_up | (rng.random(acq.size) < 0.5)
    users.keys.add(acq[signs_up], acquired_at[signs_up], SIGNUP)
    users.keys.add(acq[follows], acquired_at[follows] + 30, FOLLOW)
    users.end[acq] = np.minimum(
        acquired_at + 60 + rng.exponential(45 * DAY, acq.size).astype(np.int64), WINDOW_END
    )
    users.rate[acq] = rng.gamma(1.5, 0.12 / 1.5, acq.size)
    _unfollows(rng, acq[follows], acquired_at[follows] + 30, users.end, users.keys)


def _draw_prospects(rng: np.random.Generator, users: _Draft) -> None:
    """Prospects: a short look around."""
    pro = np.flatnonzero(users.kind == 0)
    users.end[pro] = np.minimum(
        users.start[pro] + rng.exponential(20 * DAY, pro.size).astype(np.int64), WINDOW_END
    )
    users.rate[pro] = rng.gamma(1.5, 0.2 / 1.5, pro.size)


def _with_closing_view(key: pd.DataFrame, end: np.ndarray) -> pd.DataFrame:
    """The key events with one view at the very end of the window, by a user still active then.

    It fixes the samples' as_of at 2026-09-30 23:59:59; it comes after `_Keys.frame`, which keeps every other
    event out of a day's last minute.
    """
    closer = int(np.argmax(end == WINDOW_END))
    closing = pd.DataFrame(
        {"uid": [closer], "ts": [WINDOW_END], "code": np.int8(VIEW), "amount": [np.nan], "referrer": [-1]}
    )
    key = pd.concat([key, closing], ignore_index=True)
    return key.sort_values(["uid", "ts", "code"], kind="stable").reset_index(drop=True)


def _spent_before(key: pd.DataFrame, winback: pd.DataFrame) -> pd.Series:
    """Each win-back unit's spend before its assignment (the test's ``pre_value``)."""
    spent = key[key.code == PURCHASE].merge(winback[["uid", "assigned_at"]], on="uid")
    spent = spent[spent.ts < spent.assigned_at].groupby("uid").amount.sum()
    return winback.uid.map(spent).fillna(0.0).round(2)


def _customers(rng, users: _Draft, who, interest_scale, *, signed_up=None, referrer=None):
    """Key events of customers `who`: signup, follow, unfollow and purchases; fills their `end`, `rate`, `dead`.

    Returns the number of repeat purchases of each customer.
    """
    start, first, end, lam, keys = users.start, users.first, users.end, users.lam, users.keys
    m = who.size
    owner, times, gone = _repeat_purchases(rng, first[who], lam[who], users.p[who])
    users.dead[who] = gone
    n_repeat = np.bincount(owner, minlength=m)
    f = first[who]
    keys.add(
        who,
        f,
        PURCHASE,
        _amounts(rng, users.level[who], np.ones(m, dtype=bool)),
        referrer,
    )
    keys.add(
        who[owner], times, PURCHASE, _amounts(rng, users.level[who[owner]], np.zeros(owner.size, dtype=bool))
    )
    last_purchase = f.copy()
    np.maximum.at(last_purchase, owner, times)
    # Dropped-out customers fall silent soon after their last purchase. Those still alive in the purchase
    # process may still lose interest (views stop after an engagement lifetime) yet keep their planned
    # purchases; referred customers' interest lasts longer by the same factor as their dropout.
    tail = rng.integers(0, 10 * DAY, m)
    interest = f + rng.exponential(ENGAGEMENT_DAYS * DAY / interest_scale, m).astype(np.int64)
    end[who] = np.minimum(
        np.where(gone, last_purchase + tail, np.maximum(last_purchase + tail, interest)), WINDOW_END
    )
    # Engagement follows buying intensity, with a floor so buyers keep looking in now and then.
    users.rate[who] = 0.03 + 4.0 * lam[who] * rng.gamma(2.0, 0.5, m)
    if signed_up is None:
        signed_up = rng.random(m) < 0.8
        s = start[who] + ((0.05 + 0.9 * rng.random(m)) * (f - start[who])).astype(np.int64)
        keys.add(who[signed_up], s[signed_up], SIGNUP)
    follows = rng.random(m) < 0.6
    follow_at = start[who] + rng.exponential(DAY, m).astype(np.int64) + 60
    follow_at = np.where(follow_at <= end[who], follow_at, (start[who] + end[who]) // 2)
    keys.add(who[follows], follow_at[follows], FOLLOW)
    _unfollows(rng, who[follows], follow_at[follows], end, keys)
    return n_repeat


def _unfollows(rng, who, followed_at, end, keys) -> None:
    """About one follower in eight unfollows at some point of their active span."""
    leaves = rng.random(who.size) < 0.12
    at = followed_at + (rng.random(who.size) * (end[who] - followed_at)).astype(np.int64)
    keys.add(who[leaves], at[leaves], UNFOLLOW)


def _winback(rng, kind, end, dead, keys) -> pd.DataFrame:
    """The win-back test on customers churned at assignment, and the comeback purchases of its converters.

    Units are customers whose whole planned activity ends more than `CHURN_DAYS` (+1 for safety) before their
    assignment, so they have no purchase after it unless the test gives them one. Arms and converters are
    allocated in exact proportions, so the planted rates hold in the data.
    """
    assigned = off_last_minute(WINBACK_START + rng.integers(0, WINBACK_DAYS * DAY, kind.size))
    units = np.flatnonzero((kind == 2) & (end < assigned - (CHURN_DAYS + 1) * DAY))
    units = rng.permutation(units)
    n_hold = round(WINBACK_SPLIT["holdout"] * units.size)
    variant = np.where(np.arange(units.size) < n_hold, "holdout", "coupon")
    converted = np.zeros(units.size, dtype=np.int64)
    for arm in WINBACK_SPLIT:
        members = np.flatnonzero(variant == arm)
        # Comebacks come from customers still alive in the BG/NBD sense (merely lapsed), so that a purchase
        # after a long silence does not contradict the planted purchase process.
        members = members[np.argsort(dead[units[members]], kind="stable")]
        converted[members[: round(WINBACK_RATE[arm] * members.size)]] = 1
    back = units[converted == 1]
    opened = assigned[back] + 600 + rng.exponential(1.5 * DAY, back.size).astype(np.int64)
    opened = np.minimum(opened, WINDOW_END - 4 * HOUR)
    bought = opened + rng.integers(300, 3 * HOUR, back.size)
    value = np.maximum(np.round(rng.gamma(4.0, 12.0, back.size), 2), 9.9)
    keys.add(back, opened, VIEW)
    keys.add(back, bought, PURCHASE, value)
    out = pd.DataFrame(
        {"uid": units, "variant": variant, "assigned_at": assigned[units], "converted": converted}
    )
    out["value"] = 0.0
    out.loc[out.converted == 1, "value"] = value
    return out


def _engagement(rng: np.random.Generator, plan: Plan, lo: int, hi: int) -> pd.DataFrame:
    """Views, likes, comments and shares of users ``lo..hi-1``, with daily and weekly rhythm."""
    who = np.arange(lo, hi)
    a, e = plan.start[who], plan.end[who]
    busiest = WEEKDAY_WEIGHTS.max()
    expected = plan.rate[who] * (e - a) / DAY * busiest / WEEKDAY_WEIGHTS.mean()
    counts = rng.poisson(expected)
    uid = np.repeat(who, counts)
    lo_t, hi_t = plan.start[uid], plan.end[uid]
    ts = lo_t + (rng.random(uid.size) * (hi_t - lo_t)).astype(np.int64)
    ts = with_daily_cycle(rng, ts, lo_t, hi_t)
    keep = rng.random(uid.size) < WEEKDAY_WEIGHTS[weekday_of(ts)] / busiest
    uid, ts = uid[keep], ts[keep]
    u = rng.random(uid.size)
    s = plan.share_chance[uid]
    code = np.select([u < s, u < s + 0.20, u < s + 0.26], [SHARE, LIKE, COMMENT], VIEW).astype(np.int8)
    return pd.DataFrame(
        {"uid": uid, "ts": off_last_minute(ts), "code": code, "amount": np.nan, "referrer": np.int64(-1)}
    )


def _platforms(rng: np.random.Generator, plan: Plan, uid: np.ndarray) -> np.ndarray:
    """Platform of each event: mostly the user's main platform, sometimes another one."""
    other = rng.integers(0, len(PLATFORMS), uid.size)
    return np.where(rng.random(uid.size) < 0.85, plan.platform[uid], other)


def churn_truths(plan: Plan) -> dict:
    """The planted churn truths, with the realised dropout ratio of referred customers."""
    customers = plan.kind == 2
    ratio = plan.dropout[customers & plan.referred].mean() / plan.dropout[customers & ~plan.referred].mean()
    return {
        "bgnbd": {**BGNBD, "time_unit": "day"},
        "referred_hazard_ratio": REFERRED_DROPOUT,
        "referred_dropout_ratio_observed": round(float(ratio), 4),
        "churn_days": CHURN_DAYS,
        "customers": int(customers.sum()),
        "referred_customers": int((customers & plan.referred).sum()),
        "calibration_end": CALIBRATION_END,
    }


def id_width(n: int) -> int:
    """Digits of user ids for `n` users (at least six: ``u000123``)."""
    return max(6, len(str(n)))


def chunks(rng: np.random.Generator, plan: Plan) -> Iterator[pd.DataFrame]:
    """The events of the plan, one frame per chunk of users, each sorted by time.

    Frames carry the integer columns ``uid``, ``ts`` (epoch seconds), ``code``, ``platform`` and ``referrer``
    plus ``amount``; `to_output` turns one into the table's columns.
    """
    starts = np.searchsorted(plan.key.uid.to_numpy(), np.arange(0, plan.n + CHUNK_USERS, CHUNK_USERS))
    for k, lo in enumerate(range(0, plan.n, CHUNK_USERS)):
        hi = min(lo + CHUNK_USERS, plan.n)
        key = plan.key.iloc[starts[k] : starts[k + 1]]
        df = pd.concat([key, _engagement(rng, plan, lo, hi)], ignore_index=True)
        df["platform"] = _platforms(rng, plan, df.uid.to_numpy())
        order = np.lexsort((df.code.to_numpy(), df.uid.to_numpy(), df.ts.to_numpy()))
        yield df.iloc[order].reset_index(drop=True)


def to_output(df: pd.DataFrame, width: int) -> pd.DataFrame:
    """A chunk of planned events as the ``events`` table's columns."""
    ref = df.referrer.to_numpy()
    referrer = ids("u", np.where(ref >= 0, ref + 1, 0), width)
    referrer[ref < 0] = None
    return pd.DataFrame(
        {
            "user_id": ids("u", df.uid.to_numpy() + 1, width),
            "ts": to_datetime(df.ts.to_numpy()),
            "event": np.array(EVENTS)[df.code.to_numpy()],
            "platform": np.array(PLATFORMS)[df.platform.to_numpy()],
            "amount": df.amount.to_numpy(),
            "referrer_id": referrer,
        }
    )


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """Per-user facts behind the lifecycle truths, from one chunk of events (straight pandas)."""
    as_of = WINDOW_END
    recent = df.ts > as_of - LOYAL_WINDOW_DAYS * DAY
    period = df.ts > as_of - PERIOD_DAYS * DAY
    purchase = df.code == PURCHASE
    facts = pd.DataFrame(
        {
            "last_ts": df.ts,
            "purchases": purchase,
            "acquired": df.code.isin([FOLLOW, SIGNUP]),
            "purchases_recent": purchase & recent,
            "referrals_recent": (df.code == REFERRAL) & recent,
            "in_period": period,
            "shared_in_period": (df.code == SHARE) & period,
            "referred_in_period": (df.referrer >= 0) & df.code.isin([SIGNUP, PURCHASE]) & period,
        }
    )
    return facts.groupby(df.uid).agg(
        {
            "last_ts": "max",
            "purchases": "sum",
            "acquired": "any",
            "purchases_recent": "sum",
            "referrals_recent": "any",
            "in_period": "any",
            "shared_in_period": "any",
            "referred_in_period": "any",
        }
    )


def referred_to_recently(df: pd.DataFrame) -> np.ndarray:
    """Users named as `referrer_id` on an event inside the loyalty window."""
    hits = (df.referrer >= 0) & (df.ts > WINDOW_END - LOYAL_WINDOW_DAYS * DAY)
    return np.unique(df.referrer[hits].to_numpy())


def lifecycle_truths(facts: pd.DataFrame, referred_to: np.ndarray) -> dict:
    """Exact stage counts, K-factor and share rate at the samples' as_of under DESIGN.md's rules."""
    as_of = WINDOW_END
    churned = facts.last_ts < as_of - CHURN_DAYS * DAY
    bought = facts.purchases > 0
    loyal_now = (facts.purchases_recent >= LOYAL_MIN_PURCHASES) | facts.referrals_recent
    loyal_now |= facts.index.isin(referred_to)
    stage = np.select(
        [churned, ~bought & ~facts.acquired, ~bought & facts.acquired, loyal_now],
        ["churned", "potential", "new", "loyal"],
        "active",
    )
    counts = pd.Series(stage).value_counts()
    stages = {s: int(counts.get(s, 0)) for s in ("potential", "new", "active", "loyal", "churned")}
    active_users = int(facts.in_period.sum())
    return {
        "as_of": "2026-09-30T23:59:59",
        "params": {
            "churn_days": CHURN_DAYS,
            "loyal_min_purchases": LOYAL_MIN_PURCHASES,
            "loyal_window_days": LOYAL_WINDOW_DAYS,
            "period_days": PERIOD_DAYS,
        },
        "users": len(facts),
        "stages": stages,
        "k_factor": round(int(facts.referred_in_period.sum()) / active_users, 6),
        "share_rate": round(int(facts.shared_in_period.sum()) / active_users, 6),
        "period_active_users": active_users,
        "period_referred_users": int(facts.referred_in_period.sum()),
        "period_sharing_users": int(facts.shared_in_period.sum()),
    }


EVENTS_SCHEMA = pa.schema(
    [
        ("user_id", pa.string()),
        ("ts", pa.timestamp("us")),
        ("event", pa.string()),
        ("platform", pa.string()),
        ("amount", pa.float64()),
        ("referrer_id", pa.string()),
    ]
)


def write(rng: np.random.Generator, plan: Plan, out_dir: Path, fmt: str) -> tuple[Path, dict]:
    """Write ``events`` chunk by chunk and return its path with the lifecycle truths."""
    width = id_width(plan.n)
    path = out_dir / f"events.{fmt}"
    facts, referred = [], []
    writer = None
    with open(path, "w", encoding="utf-8") if fmt == "csv" else nullcontext() as handle:
        for k, chunk in enumerate(chunks(rng, plan)):
            facts.append(summarise(chunk))
            referred.append(referred_to_recently(chunk))
            out = to_output(chunk, width)
            if fmt == "csv":
                handle.write(csv_text(out, header=k == 0))
            else:
                table = arrow_table(out).cast(EVENTS_SCHEMA)
                writer = writer or pq.ParquetWriter(path, EVENTS_SCHEMA, compression="zstd")
                writer.write_table(table, row_group_size=1_000_000)
    if writer is not None:
        writer.close()
    truths = lifecycle_truths(pd.concat(facts), np.unique(np.concatenate(referred)))
    return path, truths
