"""Chapter 01, platform matrix: per-platform metrics, audience fit, scores and roles.

The heavy aggregation (platform × day sums) runs as Ibis expressions on the chosen engine; the statistics
work on those small aggregates in pandas / numpy.

Rates over millions of impressions are not binomial samples (DESIGN.md): every interval here comes from the
variation between days, with the ratio-of-sums estimator and its delta-method standard error.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from socialops.inputs.tables import ENGAGEMENT_PARTS
from socialops.stats.timeframe import period_bounds

#: Score weights per goal. Keys are the normalised components of :func:`score_platforms`.
GOAL_WEIGHTS: dict[str, dict[str, float]] = {
    "awareness": {"reach": 0.60, "ctr": 0.10, "engagement_rate": 0.10, "follower_growth": 0.10,
                  "audience_fit": 0.10},
    "conversion": {"conversion_rate": 0.40, "cost_per_follower": 0.20, "ctr": 0.15, "audience_fit": 0.15,
                   "engagement_rate": 0.10},
    "brand": {"engagement_rate": 0.35, "audience_fit": 0.25, "reach": 0.20, "follower_growth": 0.20},
}

#: Components where a lower value is better (normalisation is reversed for them).
LOWER_IS_BETTER = frozenset({"cost_per_follower"})

#: Ratio metrics of the daily table: name -> (numerator column, denominator column).
RATIO_METRICS: dict[str, tuple[str, str]] = {
    "engagement_rate": ("engagements", "impressions"),
    "ctr": ("clicks", "impressions"),
    "conversion_rate": ("conversions", "clicks"),
    "cost_per_follower": ("spend", "new_followers"),
}

_SUM_COLUMNS = ("impressions", "engagements", "clicks", "new_followers", "conversions", "revenue", "spend")


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def engagement_sum(table: ibis.Table) -> ibis.Value | None:
    """Likes, comments, shares and saves added up per row, a missing value counting 0; None without any of them."""
    parts = [table[c].fill_null(0) for c in ENGAGEMENT_PARTS if c in table.columns]
    return sum(parts[1:], parts[0]) if parts else None


def daily_totals(daily: ibis.Table) -> pd.DataFrame:
    """Sum the daily platform table to one row per platform and day, inside the engine.

    Parameters
    ----------
    daily : ibis.Table
        The ``platform_daily`` table (already cut at ``as_of``). ``engagements`` may be replaced by any of
        likes, comments, shares, saves; the optional columns clicks, new_followers, conversions, revenue and
        spend are summed when present.

    Returns
    -------
    pandas.DataFrame
        Columns ``platform``, ``date`` (datetime64), ``followers`` (the day's maximum) and one column per
        summed count present in the table, sorted by platform and date.
    """
    cols = set(daily.columns)
    aggs = {"followers": daily.followers.max()}
    if "engagements" in cols:
        aggs["engagements"] = daily.engagements.sum()
    elif (engagements := engagement_sum(daily)) is not None:
        aggs["engagements"] = engagements.sum()
    for c in _SUM_COLUMNS:
        if c in cols and c != "engagements":
            aggs[c] = daily[c].sum()
    out = daily.group_by(["platform", "date"]).aggregate(**aggs).to_pandas()
    out["date"] = pd.to_datetime(out["date"])
    return out.sort_values(["platform", "date"], ignore_index=True)


def ratio_estimate(num: np.ndarray, den: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float]:
    """Ratio of sums over units (days) with a delta-method interval from the variation between units.

    ``R = sum(num) / sum(den)``; its standard error is ``sqrt(sum((num - R*den)^2) / (n (n-1))) / mean(den)``
    (the classical ratio estimator), which equals the HC1 sandwich error of a weighted regression of ``num``
    on ``den`` with weights ``1/den``.

    Parameters
    ----------
    num, den : array-like
        Per-unit numerator and denominator (e.g. daily clicks and impressions).
    level : float
        Confidence level of the normal interval.

    Returns
    -------
    tuple of float
        ``(ratio, se, low, high)``; NaN where the denominator sums to zero, NaN se with fewer than two units.
    """
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    ok = ~(np.isnan(num) | np.isnan(den))
    num, den = num[ok], den[ok]
    n = len(num)
    if n == 0 or den.sum() <= 0:
        return (np.nan, np.nan, np.nan, np.nan)
    r = num.sum() / den.sum()
    if n < 2:
        return (float(r), np.nan, np.nan, np.nan)
    resid = num - r * den
    se = np.sqrt((resid**2).sum() / (n * (n - 1))) / den.mean()
    z = _z(level)
    return (float(r), float(se), float(r - z * se), float(r + z * se))


def calendar_days(as_of: pd.Timestamp, days: int, back: int = 0) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last calendar day (both inclusive) of a period of :func:`~socialops.stats.timeframe.period_bounds`.

    The daily table dates each row at midnight, so the half-open period ``(start, end]`` holds the days after
    ``start``'s day up to ``end``'s day: ``days`` whole days ending on ``as_of``'s day for ``back=0``, the
    ``days`` days before them for ``back=1``.

    Parameters
    ----------
    as_of : pandas.Timestamp
        End of the observation window.
    days : int
        Length of the period in days.
    back : int
        How many periods of equal length to step back from ``as_of``.

    Returns
    -------
    tuple of pandas.Timestamp
        ``(first_day, last_day)``, both at midnight.
    """
    start, end = period_bounds(as_of, days, back)
    return start.normalize() + pd.Timedelta(days=1), end.normalize()


def scored_period(totals: pd.DataFrame, as_of: pd.Timestamp, days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The days the chapter scores: the current period of :func:`calendar_days`, from the first day with data.

    Parameters
    ----------
    totals : pandas.DataFrame
        Output of :func:`daily_totals`.
    as_of : pandas.Timestamp
        End of the observation window.
    days : int
        Length of the period in days (the ``period_days`` parameter).

    Returns
    -------
    tuple of pandas.Timestamp
        ``(first_day, last_day)``, both inclusive.
    """
    return period_from(totals["date"].min(), as_of, days)


def period_from(first, as_of: pd.Timestamp, days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The current period of :func:`calendar_days`, starting at `first` when the data begin later.

    Parameters
    ----------
    first : timestamp-like or None
        The first time with data (NaT or None: no data, the whole period).
    as_of : pandas.Timestamp
        End of the observation window.
    days : int
        Length of the period in days.

    Returns
    -------
    tuple of pandas.Timestamp
        ``(first_day, last_day)``, both inclusive, at midnight.
    """
    start, end = calendar_days(as_of, days)
    return (start if pd.isna(first) else max(start, pd.Timestamp(first).normalize())), end


def platform_metrics(totals: pd.DataFrame, start=None, end=None, level: float = 0.95) -> pd.DataFrame:
    """Reach, rates with day-to-day intervals, cost per new follower and follower growth per platform.

    Parameters
    ----------
    totals : pandas.DataFrame
        Output of :func:`daily_totals`.
    start, end : date-like, optional
        Inclusive day range to use (default: all days).
    level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per platform: ``days``, ``impressions`` (total), ``impressions_per_day``, each metric of
        :data:`RATIO_METRICS` with ``_low``/``_high`` (NaN where its columns are absent),
        ``new_followers``, ``follower_growth`` (followers at the last day over the first day, minus 1),
        sorted by impressions descending.
    """
    df = _between(totals, start, end)
    rows = []
    for platform, g in df.groupby("platform", sort=True):
        row = {"platform": platform, "days": int(g["date"].nunique()),
               "impressions": float(g["impressions"].sum()),
               "impressions_per_day": float(g["impressions"].mean())}
        for name, columns in RATIO_METRICS.items():
            row.update(_ratio_fields(g, name, columns, level))
        row["new_followers"] = float(g["new_followers"].sum()) if "new_followers" in g else np.nan
        first, last = g["followers"].iloc[0], g["followers"].iloc[-1]
        row["follower_growth"] = float(last / first - 1) if first > 0 else np.nan
        rows.append(row)
    return pd.DataFrame(rows).sort_values("impressions", ascending=False, ignore_index=True)


#: Amounts per unit of the daily table: name -> (amount column, denominator column), each a ratio of sums.
COST_METRICS: dict[str, tuple[str, str]] = {
    "cost_per_follower": RATIO_METRICS["cost_per_follower"],
    "cost_per_conversion": ("spend", "conversions"),
}


def money_metrics(totals: pd.DataFrame, start=None, end=None, level: float = 0.95) -> pd.DataFrame:
    """Spend, revenue, return on spend and the cost of a follower and of a conversion per platform.

    The return on spend (ROI) is ``(revenue - spend) / spend``: the ratio of sums ``revenue / spend`` less one,
    its interval that of the ratio (:func:`ratio_estimate`, from the variation between days) shifted alike. The
    costs are ratios of sums with their intervals in the same way.

    Parameters
    ----------
    totals : pandas.DataFrame
        Output of :func:`daily_totals` with a ``spend`` column (``revenue``, ``new_followers`` and
        ``conversions`` are optional).
    start, end : date-like, optional
        Inclusive day range to use (default: all days).
    level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per platform, in platform order: ``spend``, ``revenue`` (NaN without the column), ``roi``,
        ``roi_low``, ``roi_high`` and each cost of :data:`COST_METRICS` with ``_low`` and ``_high`` (NaN where
        its columns are absent or its denominator sums to zero).
    """
    df = _between(totals, start, end)
    rows = []
    for platform, g in df.groupby("platform", sort=True):
        row = {"platform": platform, "spend": float(g["spend"].sum()),
               "revenue": float(g["revenue"].sum()) if "revenue" in g else np.nan}
        ratio, _, lo, hi = ratio_estimate(g["revenue"], g["spend"], level) if "revenue" in g else (np.nan,) * 4
        row.update(roi=ratio - 1, roi_low=lo - 1, roi_high=hi - 1)
        for name, columns in COST_METRICS.items():
            row.update(_ratio_fields(g, name, columns, level))
        rows.append(row)
    return pd.DataFrame(rows)


def _ratio_fields(g: pd.DataFrame, name: str, columns: tuple[str, str], level: float) -> dict[str, float]:
    """A ratio of sums with its interval, as ``name``, ``name_low``, ``name_high``; NaN where a column is absent."""
    num, den = columns
    r, _, lo, hi = ratio_estimate(g[num], g[den], level) if num in g and den in g else (np.nan,) * 4
    return {name: r, f"{name}_low": lo, f"{name}_high": hi}


def _between(totals: pd.DataFrame, start, end) -> pd.DataFrame:
    mask = pd.Series(True, index=totals.index)
    if start is not None:
        mask &= totals["date"] >= pd.Timestamp(start)
    if end is not None:
        mask &= totals["date"] <= pd.Timestamp(end)
    return totals[mask]


def period_change(totals: pd.DataFrame, as_of, period_days: int = 90, level: float = 0.95) -> pd.DataFrame:
    """Compare the current period with the previous one of equal length, per platform and metric.

    Each metric is estimated per period from daily values (impressions as a daily mean, rates as ratios of
    sums with delta-method errors); the change is the ratio current / previous - 1 with an interval on the
    log scale, assuming the two periods' day-to-day noise is independent. Weekly rhythm and trends inside a
    period widen the day-to-day spread, so these intervals err on the wide side.

    Parameters
    ----------
    totals : pandas.DataFrame
        Output of :func:`daily_totals`.
    as_of : date-like
        End of the current period.
    period_days : int
        Length of each period in days.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        Columns ``platform``, ``metric``, ``current``, ``previous``, ``change`` (relative), ``ci_low``,
        ``ci_high``, ``significant`` (the interval excludes 0); empty where the previous period has no days.
    """
    cur = _between(totals, *calendar_days(as_of, period_days))
    prev = _between(totals, *calendar_days(as_of, period_days, back=1))
    z = _z(level)
    rows = []
    for platform in sorted(set(cur["platform"]) & set(prev["platform"])):
        c, p = cur[cur.platform == platform], prev[prev.platform == platform]
        estimates = {"impressions_per_day": (_mean_se(c["impressions"]), _mean_se(p["impressions"]))}
        for name, (num, den) in RATIO_METRICS.items():
            if num in c and den in c:
                estimates[name] = (ratio_estimate(c[num], c[den])[:2], ratio_estimate(p[num], p[den])[:2])
        for name, ((cv, cse), (pv, pse)) in estimates.items():
            if not (cv > 0 and pv > 0):
                continue
            log_se = np.sqrt((cse / cv) ** 2 + (pse / pv) ** 2)
            log_ratio = np.log(cv / pv)
            lo, hi = np.expm1(log_ratio - z * log_se), np.expm1(log_ratio + z * log_se)
            rows.append({"platform": platform, "metric": name, "current": cv, "previous": pv,
                         "change": cv / pv - 1, "ci_low": lo, "ci_high": hi,
                         "significant": bool(lo > 0 or hi < 0)})
    cols = ["platform", "metric", "current", "previous", "change", "ci_low", "ci_high", "significant"]
    return pd.DataFrame(rows, columns=cols)


def _mean_se(x: pd.Series) -> tuple[float, float]:
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else np.nan


def parse_target_audience(spec: str | Mapping[str, float]) -> dict[str, dict[str, float]]:
    """Read a target audience profile: ``{"dimension:bucket": share}`` or the text ``"dimension:bucket=share, ..."``.

    Example: ``{"age:25-34": 0.5, "gender:female": 0.7}`` (or ``"age:25-34=0.5, gender:female=0.7"``) means
    half the target users are 25–34 and 70 % are female. Buckets left out of a dimension share its remaining
    mass (see :func:`audience_fit`).

    Returns
    -------
    dict
        ``{dimension: {bucket: share}}``.

    Raises
    ------
    ValueError
        On a malformed item, a share outside [0, 1] or a dimension whose shares sum above 1.
    """
    profile: dict[str, dict[str, float]] = {}
    for key, share in _target_items(spec):
        dimension, bucket, value = _target_entry(key, share)
        profile.setdefault(dimension, {})[bucket] = value
    for dimension, buckets in profile.items():
        if sum(buckets.values()) > 1 + 1e-9:
            raise ValueError(f"target audience shares of {dimension!r} sum above 1")
    return profile


def _target_items(spec: str | Mapping[str, float]) -> list[tuple[object, object]]:
    """The ``(key, share)`` pairs of a target profile given as a mapping or as ``"key=share, ..."`` text."""
    if not isinstance(spec, str):
        return list(spec.items())
    items = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        key, sep, share = item.rpartition("=")
        if not sep:
            raise ValueError(f"target audience item {item!r} is not 'dimension:bucket=share'")
        items.append((key, share))
    return items


def _target_entry(key: object, share: object) -> tuple[str, str, float]:
    """One ``"dimension:bucket"`` key and its share as ``(dimension, bucket, share)``, checked."""
    dimension, sep, bucket = str(key).partition(":")
    try:
        value = float(share)
    except ValueError:
        value = float("nan")
    if not sep or not dimension.strip() or not bucket.strip() or not 0 <= value <= 1:
        raise ValueError(f"target audience item {key!r}: {share!r} is not 'dimension:bucket' with a share "
                         "in [0, 1]")
    return dimension.strip(), bucket.strip(), value


def audience_fit(audience: ibis.Table, target: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Overlap between each platform's audience and a target profile, averaged over the target's dimensions.

    Per dimension the target distribution puts the given shares on the named buckets and spreads the rest
    evenly over the other buckets seen for that dimension; the platform's shares are renormalised to sum to
    1. The overlap ``sum(min(p, q))`` (one minus the total variation distance) reads as "the share of the
    platform's audience that looks like the target"; 1 is a perfect match.

    Parameters
    ----------
    audience : ibis.Table
        The ``audience`` table (platform, dimension, bucket, share).
    target : mapping
        ``{dimension: {bucket: share}}``, e.g. from :func:`parse_target_audience`.

    Returns
    -------
    pandas.DataFrame
        ``platform``, ``audience_fit`` (mean overlap over the dimensions the platform reports),
        ``dimensions`` (how many target dimensions it reports), one ``fit_<dimension>`` column per
        dimension.
    """
    dims = list(target)
    # one query: every platform is listed, also one that reports none of the target's dimensions
    agg = audience.group_by(["platform", "dimension", "bucket"]).aggregate(share=audience.share.sum()).to_pandas()
    platforms = sorted(set(agg["platform"]))
    agg = agg[agg["dimension"].isin(dims)]
    rows = []
    for platform in platforms:
        row: dict[str, object] = {"platform": platform}
        for dim in dims:
            buckets = sorted(set(agg.loc[agg.dimension == dim, "bucket"]) | set(target[dim]))
            p = (agg[(agg.platform == platform) & (agg.dimension == dim)]
                 .set_index("bucket")["share"].reindex(buckets, fill_value=0.0))
            if p.sum() <= 0:
                row[f"fit_{dim}"] = np.nan
                continue
            q = pd.Series({b: target[dim].get(b, np.nan) for b in buckets})
            rest = [b for b in buckets if b not in target[dim]]
            q[rest] = (1 - sum(target[dim].values())) / len(rest) if rest else 0.0
            row[f"fit_{dim}"] = float(np.minimum(p / p.sum(), q / q.sum()).sum())
        rows.append(row)
    out = pd.DataFrame(rows, columns=["platform"] + [f"fit_{d}" for d in dims])
    fits = out[[f"fit_{d}" for d in dims]]
    out.insert(1, "audience_fit", fits.mean(axis=1))
    out.insert(2, "dimensions", fits.notna().sum(axis=1))
    return out


def score_platforms(metrics: pd.DataFrame, goal: str = "conversion", weights: Mapping[str, float] | None = None,
                    fit: pd.DataFrame | None = None, core_ratio: float = 0.8,
                    deprioritize_ratio: float = 1 / 3) -> pd.DataFrame:
    """Weighted score, rank and role of each platform.

    Each component is min-max normalised across platforms to [0, 1] (reversed where lower is better; reach
    on the log scale, so one giant platform does not flatten the rest). The score is the weighted mean of
    the components that are available (weights renormalised over them), so it also lies in [0, 1].

    Roles: the top-ranked platform is ``core``; the second is ``core`` too when its score reaches
    ``core_ratio`` × the top score (DOMAIN.md: one or two core platforms); a platform scoring below
    ``deprioritize_ratio`` × the top score is ``deprioritize``; the rest are ``auxiliary``.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Output of :func:`platform_metrics`.
    goal : str
        One of the keys of :data:`GOAL_WEIGHTS` (awareness, conversion, brand); ignored when ``weights``
        is given.
    weights : mapping, optional
        Explicit ``{component: weight}``; components: reach, engagement_rate, ctr, conversion_rate,
        cost_per_follower, follower_growth, audience_fit.
    fit : pandas.DataFrame, optional
        Output of :func:`audience_fit`; without it the audience component is left out.
    core_ratio, deprioritize_ratio : float
        Thresholds of the role rule, as fractions of the top score.

    Returns
    -------
    pandas.DataFrame
        ``metrics`` (plus ``audience_fit``) with ``norm_<component>`` columns, ``score``, ``rank`` (1 =
        best) and ``role``, sorted by rank.
    """
    weights = _goal_weights(goal, weights)
    df = _with_fit(metrics, fit)
    components = _components(df)
    unknown = set(weights) - set(components)
    if unknown:
        raise ValueError(f"unknown score components: {', '.join(sorted(unknown))}")
    norms, score = _weighted_scores({k: v[None, :] for k, v in components.items()}, weights)
    for name, norm in norms.items():
        df[f"norm_{name}"] = norm[0]
    df["score"] = score[0]
    df = df.sort_values(["score", "impressions"], ascending=False, ignore_index=True)
    df["rank"] = np.arange(1, len(df) + 1)
    df["role"] = assign_roles(df["score"], core_ratio, deprioritize_ratio)
    return df


def _goal_weights(goal: str, weights: Mapping[str, float] | None) -> Mapping[str, float]:
    """The explicit weights when given, else the goal's."""
    if weights is not None:
        return weights
    if goal not in GOAL_WEIGHTS:
        raise ValueError(f"goal must be one of {', '.join(GOAL_WEIGHTS)}, not {goal!r}")
    return GOAL_WEIGHTS[goal]


def _with_fit(metrics: pd.DataFrame, fit: pd.DataFrame | None) -> pd.DataFrame:
    """A copy of ``metrics`` with each platform's ``audience_fit`` from ``fit`` (missing without it)."""
    if fit is not None:
        return metrics.merge(fit[["platform", "audience_fit"]], on="platform", how="left")
    return metrics.assign(audience_fit=metrics.get("audience_fit", np.nan))


def _components(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Raw score components per platform (reach on the log scale)."""
    out = {"reach": np.log10(df["impressions"].clip(lower=1).to_numpy(dtype=float))}
    for name in ("engagement_rate", "ctr", "conversion_rate", "cost_per_follower", "follower_growth",
                 "audience_fit"):
        out[name] = df[name].to_numpy(dtype=float)
    return out


def _weighted_scores(components: Mapping[str, np.ndarray],
                     weights: Mapping[str, float]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Min-max normalise each component across platforms (the last axis) and take the weighted mean.

    Works on ``(replicates, platforms)`` arrays so that the bootstrap of :func:`score_intervals` shares this
    code with :func:`score_platforms`. Missing values drop out and the weights renormalise over the rest.
    """
    norms = {}
    total = weight_sum = 0.0
    for name, w in weights.items():
        x = components[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN row: the component is absent
            lo = np.nanmin(x, axis=-1, keepdims=True)
            hi = np.nanmax(x, axis=-1, keepdims=True)
        spread = np.where(hi > lo, hi - lo, 1.0)
        # all platforms equal on a component: it cannot separate them, so everyone gets the midpoint
        norm = np.where(hi > lo, (x - lo) / spread, np.where(np.isnan(x), np.nan, 0.5))
        if name in LOWER_IS_BETTER:
            norm = 1 - norm
        norms[name] = norm
        total = total + w * np.nan_to_num(norm)
        weight_sum = weight_sum + w * ~np.isnan(norm)
    score = np.where(weight_sum > 0, total / np.where(weight_sum > 0, weight_sum, 1.0), np.nan)
    return norms, score


def assign_roles(scores: pd.Series, core_ratio: float = 0.8, deprioritize_ratio: float = 1 / 3) -> list[str]:
    """Roles for scores sorted from best to worst (see :func:`score_platforms` for the rule)."""
    scores = list(scores)
    top = scores[0] if scores else np.nan
    roles = []
    for i, s in enumerate(scores):
        if i == 0 or (i == 1 and s >= core_ratio * top):
            roles.append("core")
        elif not s >= deprioritize_ratio * top:  # NaN scores fall here too
            roles.append("deprioritize")
        else:
            roles.append("auxiliary")
    return roles


def score_intervals(totals: pd.DataFrame, start=None, end=None, goal: str = "conversion",
                    weights: Mapping[str, float] | None = None, fit: pd.DataFrame | None = None,
                    n_boot: int = 300, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """How stable the scores and the ranking are: a bootstrap over days.

    Days are resampled with replacement (the same days for every platform, so shared shocks stay shared);
    each replicate recomputes the sums, rates and scores. Follower growth and audience fit are held at their
    point values (neither is a sum over days).

    Returns
    -------
    pandas.DataFrame
        ``platform``, ``score_low``, ``score_high`` (percentile interval) and ``p_top`` (share of replicates
        in which the platform ranks first).
    """
    df = _between(totals, start, end)
    weights = _goal_weights(goal, weights)
    base = _with_fit(platform_metrics(df), fit)
    fixed = _components(base)
    cubes = {c: df.pivot_table(index="date", columns="platform", values=c, aggfunc="sum")
             .reindex(columns=base["platform"]).to_numpy(dtype=float) for c in _SUM_COLUMNS if c in df}
    n_days = cubes["impressions"].shape[0]
    pick = np.random.default_rng(seed).integers(0, n_days, (n_boot, n_days))
    # (replicates, platforms) sums of each count over the resampled days
    tot = {c: np.stack([np.nansum(m[p], axis=0) for p in pick]) for c, m in cubes.items()}
    comps = {k: np.broadcast_to(v, (n_boot, len(base))) for k, v in fixed.items()}
    comps["reach"] = np.log10(np.clip(tot["impressions"], 1, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, (num, den) in RATIO_METRICS.items():
            if num in tot and den in tot:
                comps[name] = tot[num] / np.where(tot[den] > 0, tot[den], np.nan)
    _, score = _weighted_scores(comps, weights)
    top = np.argmax(np.nan_to_num(score, nan=-1.0), axis=1)
    alpha = (1 - level) / 2
    return pd.DataFrame({"platform": base["platform"],
                         "score_low": np.nanquantile(score, alpha, axis=0),
                         "score_high": np.nanquantile(score, 1 - alpha, axis=0),
                         "p_top": np.bincount(top, minlength=len(base)) / n_boot})
