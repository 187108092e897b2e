"""Chapter 01, posting: cadence, best time to post, content performance and the content-to-advert mix.

Per-post work (rates, weekday and hour, advert flags) runs as Ibis expressions inside the engine; only
per-cell sums come back. Intervals come from the variation between posts.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import numpy as np
import pandas as pd
from ibis import _
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from socialops.platform_matrix.analysis import engagement_sum, period_from

#: Posts a week recommended per platform (DOMAIN.md §1); platforms not listed have no guidance.
CADENCE_GUIDANCE: dict[str, tuple[float, float]] = {
    "xiaohongshu": (3, 5),
    "douyin": (7, 14),
    "wechat": (2, 3),
}


def has_engagement(posts: ibis.Table) -> bool:
    """Whether the posts table carries any engagement column (likes, comments, shares, saves)."""
    return engagement_sum(posts) is not None


def _rated_posts(posts: ibis.Table) -> ibis.Table:
    """Posts with impressions, their engagement rate and their rate relative to the platform's mean."""
    t = posts.filter(posts.impressions > 0).mutate(rate=engagement_sum(posts).cast("float64") / posts.impressions)
    if "clicks" in posts.columns:
        t = t.mutate(click_rate=t.clicks.fill_null(0).cast("float64") / t.impressions)
    means = t.group_by("platform").aggregate(platform_rate=t.rate.mean())
    return (t.join(means, "platform")
            .mutate(index=_.rate / _.platform_rate.nullif(0),
                    weekday=_.published_at.day_of_week.index(), hour=_.published_at.hour()))


def _cell_sums(t: ibis.Table, keys: list[str], value: str) -> pd.DataFrame:
    """Per group: post count, sum and sum of squares of ``value`` (enough for means and variances)."""
    v = t[value]
    return (t.filter(v.notnull()).group_by(keys)
            .aggregate(n=v.count(), total=v.sum(), total_sq=(v * v).sum())
            .to_pandas().sort_values(keys, ignore_index=True))


def eb_shrink(n, total, total_sq) -> pd.DataFrame:
    """Empirical-Bayes shrinkage of cell means toward the grand mean (normal-normal, method of moments).

    Each cell's mean of ``n`` posts has sampling variance ``s2 / n`` (``s2`` the pooled within-cell
    variance); the true cell means spread with variance ``tau2 = max(0, var(cell means) - mean(s2 / n))``.
    The shrunk mean is ``B * grand + (1 - B) * cell mean`` with ``B = (s2/n) / (s2/n + tau2)``: cells with few
    posts are pulled toward the grand mean, so noise does not win the "best slot". One viral post inflates
    ``tau2`` (and so weakens the shrinkage of every cell); :func:`best_slots` therefore also asks for a
    minimum of posts. (A robust spread such as the MAD would ignore the few truly better slots we look for.)

    Parameters
    ----------
    n, total, total_sq : array-like
        Per-cell post count, sum of the values and sum of their squares.

    Returns
    -------
    pandas.DataFrame
        ``mean`` (raw cell mean), ``shrunk``, ``weight`` (``1 - B``, the trust put in the cell's own mean);
        the frame's ``attrs`` hold ``grand``, ``s2`` and ``tau2``.
    """
    n = np.asarray(n, dtype=float)
    total = np.asarray(total, dtype=float)
    total_sq = np.asarray(total_sq, dtype=float)
    mean = total / n
    grand = total.sum() / n.sum()
    within_df = n.sum() - len(n)
    s2 = (total_sq - n * mean**2).sum() / within_df if within_df > 0 else 0.0
    sampling = s2 / n
    tau2 = max(0.0, float(np.var(mean, ddof=1) - sampling.mean())) if len(n) > 1 else 0.0
    denom = sampling + tau2
    shrink = np.divide(sampling, denom, out=np.ones_like(n), where=denom > 0)
    out = pd.DataFrame({"mean": mean, "shrunk": shrink * grand + (1 - shrink) * mean, "weight": 1 - shrink})
    out.attrs.update(grand=float(grand), s2=float(s2), tau2=tau2)
    return out


def slot_performance(posts: ibis.Table, keys: tuple[str, ...] = ("weekday", "hour")) -> pd.DataFrame:
    """Engagement by time slot of publication, per platform, shrunk toward the platform's mean.

    Parameters
    ----------
    posts : ibis.Table
        The ``posts`` table with at least one engagement column.
    keys : tuple of str
        Slot columns: any of ``weekday`` (0 = Monday) and ``hour``; with few posts a platform, hours alone
        give cells big enough to compare.

    Returns
    -------
    pandas.DataFrame
        ``platform``, the key columns, ``n`` (posts), ``rate`` (mean engagement rate), ``shrunk_rate``,
        ``weight``.
    """
    cells = _cell_sums(_rated_posts(posts), ["platform", *keys], "rate")
    parts = []
    for _platform, g in cells.groupby("platform"):
        eb = eb_shrink(g["n"], g["total"], g["total_sq"])
        parts.append(g.assign(rate=eb["mean"].to_numpy(), shrunk_rate=eb["shrunk"].to_numpy(),
                              weight=eb["weight"].to_numpy()))
    out = pd.concat(parts, ignore_index=True) if parts else cells.assign(rate=[], shrunk_rate=[], weight=[])
    return out[["platform", *keys, "n", "rate", "shrunk_rate", "weight"]]


def best_slots(slots: pd.DataFrame, top: int = 3, min_posts: int = 3) -> pd.DataFrame:
    """Each platform's best weekday × hour slots by shrunk engagement rate.

    Shrinkage assumes roughly normal noise; one viral post can still inflate the spread between cells, so a
    slot also needs ``min_posts`` posts to be named. A platform whose slots show no spread beyond noise
    (every cell shrunk fully to its mean) has no best slot and is left out.

    Parameters
    ----------
    slots : pandas.DataFrame
        Output of :func:`slot_performance`.
    top : int
        Slots per platform.
    min_posts : int
        Fewest posts a slot needs to be eligible.

    Returns
    -------
    pandas.DataFrame
        The eligible rows of ``slots``, ``top`` per platform, best first within each platform.
    """
    varies = slots.groupby("platform")["weight"].transform("max") > 0
    eligible = slots[(slots["n"] >= min_posts) & varies]
    return (eligible.sort_values(["platform", "shrunk_rate"], ascending=[True, False])
            .groupby("platform", sort=True).head(top).reset_index(drop=True))


def slot_index(posts: ibis.Table, keys: tuple[str, ...] = ("weekday", "hour"),
               level: float = 0.95) -> pd.DataFrame:
    """Engagement index by time slot, pooled over platforms, with intervals and shrinkage.

    A post's index is its engagement rate over its platform's mean rate (1 = an average post of that
    platform), so platforms with very different rates can be pooled without their mix driving the slots.

    Parameters
    ----------
    posts : ibis.Table
        The ``posts`` table with at least one engagement column.
    keys : tuple of str
        Slot columns: any of ``weekday`` (0 = Monday) and ``hour``.
    level : float
        Confidence level of the t interval of each slot's mean index.

    Returns
    -------
    pandas.DataFrame
        The key columns, ``n``, ``index`` (mean), ``ci_low``, ``ci_high``, ``shrunk`` (toward the pooled
        mean) and ``weight``.
    """
    cells = _cell_sums(_rated_posts(posts), list(keys), "index")
    eb = eb_shrink(cells["n"], cells["total"], cells["total_sq"])
    lo, hi = _t_interval(cells["n"], cells["total"], cells["total_sq"], level)
    return cells[list(keys) + ["n"]].assign(index=eb["mean"], ci_low=lo, ci_high=hi, shrunk=eb["shrunk"],
                                            weight=eb["weight"])


def best_hours(hour_profile: pd.DataFrame, top: int = 2, min_posts: int = 3) -> list[int]:
    """The hours of the day that earn the most engagement, by the chapter's evidence rule; in clock order.

    Evidence rule: an hour is named only when it holds at least ``min_posts`` posts and its shrunk index lies
    above 1 (its posts beat their platforms' average after shrinkage); when the hours do not differ beyond noise
    (every hour shrunk fully to the mean) none is named. Of the hours that pass, the ``top`` highest.

    Parameters
    ----------
    hour_profile : pandas.DataFrame
        Output of ``slot_index(posts, keys=("hour",))``.
    top : int
        At most how many hours to return.
    min_posts : int
        Fewest posts an hour needs to be named.

    Returns
    -------
    list of int
        The hours, possibly empty.
    """
    if hour_profile.empty or not hour_profile["weight"].max() > 0:
        return []
    eligible = hour_profile[(hour_profile["n"] >= min_posts) & (hour_profile["shrunk"] > 1)]
    return sorted(int(h) for h in eligible.nlargest(top, "shrunk")["hour"])


def _t_interval(n, total, total_sq, level: float) -> tuple[np.ndarray, np.ndarray]:
    n = np.asarray(n, dtype=float)
    mean = np.asarray(total, dtype=float) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (np.asarray(total_sq, dtype=float) - n * mean**2) / (n - 1)
        half = stats.t.ppf(0.5 + level / 2, n - 1) * np.sqrt(np.clip(var, 0, None) / n)
    return mean - half, mean + half


def group_performance(posts: ibis.Table, by: str = "content_type", level: float = 0.95,
                      min_posts: int = 1) -> pd.DataFrame:
    """Engagement (and click-through where clicks exist) per content type or format, with t intervals.

    Parameters
    ----------
    posts : ibis.Table
        The ``posts`` table with at least one engagement column.
    by : str
        Grouping column, e.g. ``content_type`` or ``format``.
    level : float
        Confidence level.
    min_posts : int
        Fewest posts a group needs to be compared; groups with fewer are left out.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``n``, ``engagement_rate`` (mean per-post rate) with ``_low``/``_high``, ``index`` (mean rate
        relative to the post's platform mean: 1 = platform average, so a type posted mostly on a
        high-engagement platform is not flattered) with ``index_low``/``index_high``, and ``ctr`` with
        interval when clicks are present; sorted by index, best first.
    """
    t = _rated_posts(posts)
    t = t.filter(t[by].notnull())
    out = None
    for value, name in [("rate", "engagement_rate"), ("index", "index"), ("click_rate", "ctr")]:
        if value not in t.columns:
            continue
        cells = _cell_sums(t, [by], value)
        lo, hi = _t_interval(cells["n"], cells["total"], cells["total_sq"], level)
        part = pd.DataFrame({by: cells[by], "n": cells["n"], name: cells["total"] / cells["n"],
                             f"{name}_low": lo, f"{name}_high": hi})
        out = part if out is None else out.merge(part.drop(columns="n"), on=by)
    out = out[out["n"] >= min_posts]
    return out.sort_values("index", ascending=False, ignore_index=True)


def _ad_flag(posts: ibis.Table) -> ibis.Value:
    """DESIGN.md: an advert is ``is_ad`` true, or ``content_type`` = promotion where ``is_ad`` is absent."""
    promotion = posts.content_type.lower() == "promotion"
    if "is_ad" in posts.columns:
        return posts.is_ad.cast("boolean").fill_null(promotion)
    return promotion


def content_mix(posts: ibis.Table, target_value_share: float = 0.7, tolerance: float = 0.05,
                under_ad_share: float = 0.15, level: float = 0.95) -> tuple[dict, pd.DataFrame]:
    """Share of adverts against the 7:3 value-to-advert rule, overall and per platform.

    Verdict rule: ``over_marketing`` when the advert share exceeds ``1 - target_value_share + tolerance``;
    ``under_monetised`` when it is below ``under_ad_share`` (so few adverts that the audience built is
    hardly asked to buy); ``balanced`` otherwise. The interval is Wilson's, across posts.

    Parameters
    ----------
    posts : ibis.Table
        The ``posts`` table (is_ad optional).
    target_value_share : float
        The value-content share the rule aims at (0.7 for 7:3).
    tolerance : float
        How far above the target advert share still counts as balanced.
    under_ad_share : float
        Advert share below which the mix is called under-monetised.
    level : float
        Confidence level.

    Returns
    -------
    tuple
        ``(summary, by_platform)``: summary is the results contract's ``content_mix`` dict (value_share,
        ad_share, target_value_share, verdict) plus ``posts``, ``ads``, ``ad_share_low``, ``ad_share_high``,
        ``basis`` ("is_ad" or "content_type"); by_platform has ``platform``, ``posts``, ``ads``,
        ``ad_share``, ``ad_share_low``, ``ad_share_high``.
    """
    t = posts.mutate(ad=_ad_flag(posts).cast("int64"))
    by_platform = (t.group_by("platform").aggregate(posts=t.count(), ads=t.ad.sum())
                   .to_pandas().sort_values("platform", ignore_index=True))
    by_platform["ad_share"] = by_platform["ads"] / by_platform["posts"]
    lo, hi = proportion_confint(by_platform["ads"], by_platform["posts"], alpha=1 - level, method="wilson")
    by_platform["ad_share_low"], by_platform["ad_share_high"] = lo, hi
    n, ads = int(by_platform["posts"].sum()), int(by_platform["ads"].sum())
    share = ads / n if n else float("nan")
    if share > 1 - target_value_share + tolerance:
        verdict = "over_marketing"
    elif share < under_ad_share:
        verdict = "under_monetised"
    else:
        verdict = "balanced"
    lo, hi = proportion_confint(ads, n, alpha=1 - level, method="wilson") if n else (np.nan, np.nan)
    summary = {"value_share": 1 - share, "ad_share": share, "target_value_share": target_value_share,
               "verdict": verdict, "posts": n, "ads": ads, "ad_share_low": float(lo), "ad_share_high": float(hi),
               "basis": "is_ad" if "is_ad" in posts.columns else "content_type"}
    return summary, by_platform


def posts_period(posts: ibis.Table, as_of: pd.Timestamp, days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The days the posting sections count when there is no daily table: the current period, from the first post.

    Parameters
    ----------
    posts : ibis.Table
        The ``posts`` table (already cut at ``as_of``).
    as_of : pandas.Timestamp
        End of the observation window.
    days : int
        Length of the period in days (the ``period_days`` parameter).

    Returns
    -------
    tuple of pandas.Timestamp
        ``(first_day, last_day)``, both inclusive, at midnight (see
        :func:`~socialops.platform_matrix.analysis.scored_period` for the daily table's).
    """
    return period_from(posts.published_at.min().to_pandas(), as_of, days)


def posting_cadence(posts: ibis.Table, start, end, platforms=(),
                    guidance: Mapping[str, tuple[float, float]] = CADENCE_GUIDANCE) -> pd.DataFrame:
    """Posts a week per platform in a period, against the cadence guidance.

    Parameters
    ----------
    posts : ibis.Table
        The ``posts`` table.
    start, end : date-like
        First and last day (inclusive) of the period.
    platforms : iterable of str
        Platforms to list even when they posted nothing in the period (e.g. those of the daily table).
    guidance : mapping
        ``{platform: (low, high)}`` posts a week.

    Returns
    -------
    pandas.DataFrame
        ``platform``, ``posts``, ``posts_per_week``, ``target_low``, ``target_high`` and ``status``: one of
        ``below``, ``within``, ``above``, ``no_guidance``.
    """
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    upper = end + pd.Timedelta(days=1)
    inside = (posts.published_at >= start.to_pydatetime()) & (posts.published_at < upper.to_pydatetime())
    # every platform of the table, those silent in the period with 0 posts, in one query
    counts = posts.group_by("platform").aggregate(posts=posts.count(where=inside)).to_pandas()
    weeks = (upper - start).days / 7
    names = sorted(set(counts["platform"]) | set(platforms))
    out = pd.DataFrame({"platform": names}).merge(counts, on="platform", how="left").fillna({"posts": 0})
    out["posts"] = out["posts"].astype(int)
    out["posts_per_week"] = out["posts"] / weeks
    out["target_low"] = [guidance.get(p, (np.nan, np.nan))[0] for p in out["platform"]]
    out["target_high"] = [guidance.get(p, (np.nan, np.nan))[1] for p in out["platform"]]
    out["status"] = np.select(
        [out["target_low"].isna(), out["posts_per_week"] < out["target_low"],
         out["posts_per_week"] > out["target_high"]],
        ["no_guidance", "below", "above"], default="within")
    return out
