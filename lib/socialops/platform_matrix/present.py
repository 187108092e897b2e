"""What chapter 01's report shows and says: tables, findings, advice, headline values and recorded results.

Each function takes outputs of :mod:`~socialops.platform_matrix.analysis` or
:mod:`~socialops.platform_matrix.posting` and the report's translator ``t``. Tables come back with translated
headers and formatted cells, ready for ``rep.show``; what the report says comes back as
:class:`~socialops.report.findings.Message` objects, ready for ``rep.tell``. A list of findings holds only the
sentences the data supports: a finding about data that is absent is left out, never said with an empty value.

Evidence rules, one per kind of claim (the report states each where it applies):

* a section whose table or column is absent is replaced by one skip message saying what to add
  (:func:`skipped_sections`) and listed in the results' ``skipped``;
* a best hour needs at least ``min_posts_per_slot`` posts and engagement above its platforms' average after
  shrinkage (:func:`~socialops.platform_matrix.posting.best_hours`);
* a content type or format is compared only with at least ``min_posts_per_type`` posts; advice to lean on a type
  needs its interval above the platform average, advice to use one sparingly its interval below it;
* the reason given for a core platform ("converts best", "wins followers cheapest", ...) is given only when the
  top-ranked platform leads every metric the reason names; otherwise the advice names the goal alone, and the
  score's note says which of its parts the data lacked.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from socialops.inputs.tables import ENGAGEMENT_PARTS
from socialops.platform_matrix.analysis import GOAL_WEIGHTS, RATIO_METRICS
from socialops.report.findings import Message
from socialops.report.format import (
    estimate,
    interval_digits,
    is_missing,
    number,
    percent,
    signed,
    with_interval,
)
from socialops.report.i18n import Translator
from socialops.report.metrics import metric

#: Catalog prefix of the display names of each grouping column of the content tables.
LABEL_PREFIX = {"content_type": "ct", "format": "fmt"}

#: The goals with advice of their own for the core platforms (other goals get the plain advice).
GOALS_WITH_ADVICE = ("awareness", "conversion", "brand")

#: The sections of the chapter, in report order, as named in the results' ``skipped``.
SECTIONS = ("platforms", "ctr", "conversion_rate", "cost_per_follower", "money", "roi", "cost_per_conversion",
            "change", "audience_fit", "score", "cadence", "best_time", "content", "format", "content_mix")

#: The sections that compare the platforms day by day (the ``platform_daily`` table).
DAILY_SECTIONS = ("platforms", "money", "change", "score")

#: The sections drawn from the ``posts`` table, and those of them that need engagement counts.
POSTS_SECTIONS = ("cadence", "best_time", "content", "format", "content_mix")
ENGAGEMENT_SECTIONS = ("best_time", "content", "format")

#: The optional columns of ``platform_daily`` each rate needs (the required ones are always there).
METRIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "ctr": ("clicks",),
    "conversion_rate": ("conversions", "clicks"),
    "cost_per_follower": ("spend", "new_followers"),
}

#: The columns of ``platform_daily`` the money section needs (without spend there is no money section), and the
#: further columns each of its metrics needs.
MONEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "money": ("spend",),
    "roi": ("revenue",),
    "cost_per_conversion": ("conversions",),
}

#: The metrics each goal's reason for the core platform names, and whether the core must have the highest
#: (``max``) or the lowest (``min``) value of each.
CORE_CLAIMS: dict[str, dict[str, str]] = {
    "conversion": {"conversion_rate": "max", "cost_per_follower": "min"},
    "awareness": {"impressions": "max"},
    "brand": {"engagement_rate": "max", "audience_fit": "max"},
}

_change = partial(signed, digits=1, scale=100, unit="%")
_two_places = partial(number, digits=2)


def _estimate(row: pd.Series, column: str, kind: str) -> tuple[str, str, str]:
    """A row's ``column`` with its ``_low`` and ``_high`` ends, to the decimals its interval supports (at most 2)."""
    return estimate(row[column], row[f"{column}_low"], row[f"{column}_high"], kind, most=2)


def _change_digits(low: float, high: float):
    """The relative change's formatter, to the decimals its interval supports (at most one)."""
    digits = interval_digits(low, high, 100, most=1)
    return partial(signed, digits=1 if digits is None else digits, scale=100, unit="%")


# ------------------------------------------------------------------ what the data support


def skipped_sections(tables: Mapping[str, Collection[str]]) -> dict[str, Message]:
    """The sections the data cannot support, each with the skip message that says what to add.

    Parameters
    ----------
    tables : mapping
        ``{table: its columns}`` for each of ``platform_daily``, ``posts`` and ``audience`` present.

    Returns
    -------
    dict
        Section (one of :data:`SECTIONS`) to its skip :class:`Message`, in report order: the daily sections
        without ``platform_daily``, a rate without the columns it needs, the audience fit without ``audience``,
        the money section without ``spend`` (its ROI without ``revenue``, its cost per conversion without
        ``conversions``), the posting sections without ``posts``, those needing engagement without any of likes,
        comments, shares and saves, the format comparison without ``format``.
    """
    daily = tables.get("platform_daily")
    if daily is None:
        reasons = dict.fromkeys(DAILY_SECTIONS, Message("skip_platform_daily", kind="skip"))
    else:
        reasons = _column_reasons(daily, METRIC_COLUMNS)
        # without spend the whole money section goes; with it, each money metric needs its own column
        money = _column_reasons(daily, {"money": MONEY_COLUMNS["money"]})
        reasons |= money or _column_reasons(daily, MONEY_COLUMNS)
    if "audience" not in tables:
        reasons["audience_fit"] = Message("skip_audience", kind="skip")
    posts = tables.get("posts")
    if posts is None:
        reasons.update(dict.fromkeys(POSTS_SECTIONS, Message("skip_posts", kind="skip")))
    elif not set(ENGAGEMENT_PARTS) & set(posts):
        reasons.update(dict.fromkeys(ENGAGEMENT_SECTIONS, Message("skip_engagement", kind="skip")))
    elif "format" not in posts:
        reasons["format"] = Message("skip_format", kind="skip")
    return {section: reasons[section] for section in SECTIONS if section in reasons}


def _column_reasons(columns: Collection[str], needs: Mapping[str, tuple[str, ...]]) -> dict[str, Message]:
    """The skip message of each section of `needs` whose columns are not all among `columns`."""
    reasons = {}
    for section, needed in needs.items():
        missing = [c for c in needed if c not in columns]
        if missing:
            reasons[section] = Message(f"skip_{section}", {"columns": ", ".join(missing)}, "skip")
    return reasons


def skipped_record(skipped: Mapping[str, Message], t: Translator) -> list[dict[str, str]]:
    """The results' ``skipped``: one {section, reason} per section left out, in report order and language."""
    return [{"section": section, "reason": t(skipped[section].key, **skipped[section].values)}
            for section in SECTIONS if section in skipped]


# ------------------------------------------------------------------ names


def platform_names(platforms: Iterable[str], t: Translator) -> str:
    """Display names of platforms joined as a list in the report language (empty text for none)."""
    return t("list_sep").join(t.label("platform", p) for p in platforms)


def metric_name(metric: str, t: Translator) -> str:
    """A metric's name as a heading: the catalog's ``metric_<name>`` with its first letter in capitals."""
    text = t(f"metric_{metric}")
    return text[:1].upper() + text[1:]


def goal_key(goal: str, weights: Mapping[str, float] | None) -> str:
    """The goal the score served: ``custom`` when explicit weights were given, else the ``goal`` parameter."""
    return "custom" if weights else goal


def hours_label(hours: Iterable[int]) -> str:
    """Clock hours as readable ranges: consecutive hours merge (``[20, 21]`` → ``"20:00–21:59"``)."""
    runs: list[list[int]] = []
    for h in sorted(hours):
        if runs and h == runs[-1][-1] + 1:
            runs[-1].append(h)
        else:
            runs.append([h])
    return ", ".join(f"{r[0]:02d}:00–{r[-1]:02d}:59" for r in runs)


def platform_labels(platforms: pd.Series, t: Translator) -> pd.Series:
    """A column of platform ids as display names in the report language."""
    return platforms.map(lambda p: t.label("platform", p))


def _intervals(frame: pd.DataFrame, value: str, low: str, high: str, fmt) -> list[str]:
    """``value (low – high)`` per row; blank where the value itself is missing."""
    return ["" if is_missing(v) else with_interval(v, lo, hi, fmt)
            for v, lo, hi in frame[[value, low, high]].to_numpy()]


def _guidance(low: float, high: float) -> tuple[str, str]:
    return f"{low:g}", f"{high:g}"


# ------------------------------------------------------------------ how the platforms compare


def period_findings(first_day: pd.Timestamp, last_day: pd.Timestamp) -> list[Message]:
    """The sentence naming the days the matrix covers (both ends inclusive)."""
    return [Message("find_period", {"days": int((last_day - first_day).days) + 1, "start": f"{first_day:%Y-%m-%d}",
                                    "end": f"{last_day:%Y-%m-%d}"})]


def platform_table(metrics: pd.DataFrame, t: Translator, currency: str) -> pd.DataFrame:
    """Reach, the rates with their intervals across days, cost per new follower and follower growth.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.platform_metrics`.
    t : Translator
        The report's translator.
    currency : str
        ISO 4217 code of the amounts.

    Returns
    -------
    pandas.DataFrame
        One row per platform; rates as percentages and cost in money, each with its interval, blank where
        the data lack the metric; the metrics named as the registry names them.
    """
    view = metrics[["platform", "impressions"]].assign(platform=platform_labels(metrics["platform"], t))
    for name in RATIO_METRICS:
        view[name] = metric_cells(metrics, name, currency)
    view["follower_growth"] = metrics["follower_growth"].map(partial(percent, missing=""))
    return view.rename(columns=lambda c: metric(c).label(t.lang) if c in RATIO_METRICS else t.col(c))


def metric_cells(frame: pd.DataFrame, name: str, currency: str) -> list[str]:
    """A registry metric's column with its ``_low``/``_high`` ends as ``value (low – high)``, blank where missing."""
    shown = metric(name)
    return ["" if is_missing(v) else "{} ({} – {})".format(*shown.texts(v, lo, hi, currency=currency))
            for v, lo, hi in frame[[name, f"{name}_low", f"{name}_high"]].to_numpy()]


def _best_and_worst(metrics: pd.DataFrame, name: str, lowest_best: bool = False) -> tuple[pd.Series, pd.Series]:
    best, worst = metrics[name].idxmax(), metrics[name].idxmin()
    if lowest_best:
        best, worst = worst, best
    return metrics.loc[best], metrics.loc[worst]


def platform_findings(metrics: pd.DataFrame, t: Translator, currency: str) -> list[Message]:
    """Which platform reaches, engages and converts best, and where a new follower costs least.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.platform_metrics` (largest reach first).
    t : Translator
        The report's translator.
    currency : str
        ISO 4217 code of the amounts.

    Returns
    -------
    list of Message
        ``find_reach``, then ``find_engagement``, ``find_conversion`` and ``find_cost`` where the data hold
        the metric (conversions and spend are optional columns).
    """
    top = metrics.iloc[0]
    found: list[Message] = [Message("find_reach", {
        "platform": t.label("platform", top["platform"]), "impressions": number(top["impressions"]),
        "share": percent(top["impressions"] / metrics["impressions"].sum(), 0)})]
    if metrics["engagement_rate"].notna().any():
        best, _ = _best_and_worst(metrics, "engagement_rate")
        rate, low, high = _estimate(best, "engagement_rate", "percent")
        found.append(Message("find_engagement", {
            "platform": t.label("platform", best["platform"]), "rate": rate, "low": low, "high": high}))
    if metrics["conversion_rate"].notna().any():
        best, worst = _best_and_worst(metrics, "conversion_rate")
        rate, low, high = _estimate(best, "conversion_rate", "percent")
        found.append(Message("find_conversion", {
            "platform": t.label("platform", best["platform"]), "rate": rate, "low": low, "high": high,
            "worst": t.label("platform", worst["platform"]),
            "worst_rate": percent(worst["conversion_rate"], 2)}))
    if metrics["cost_per_follower"].notna().any():
        best, worst = _best_and_worst(metrics, "cost_per_follower", lowest_best=True)
        found.append(Message("find_cost", {
            "platform": t.label("platform", best["platform"]), "cost": _shown(best, "cost_per_follower", currency),
            "worst": t.label("platform", worst["platform"]),
            "worst_cost": _shown(worst, "cost_per_follower", currency)}))
    return found


def _shown(row: pd.Series, name: str, currency: str) -> str:
    """A row's registry metric as its table shows it: to the decimals its interval supports."""
    return metric(name).texts(row[name], row[f"{name}_low"], row[f"{name}_high"], currency=currency)[0]


# ------------------------------------------------------------------ money


def money_table(money: pd.DataFrame, t: Translator, currency: str) -> pd.DataFrame:
    """Spend, revenue, return on spend and the cost of a follower and of a conversion, per platform.

    Parameters
    ----------
    money : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.money_metrics`.
    t : Translator
        The report's translator.
    currency : str
        ISO 4217 code of the amounts.

    Returns
    -------
    pandas.DataFrame
        One row per platform, largest spend first; amounts with the currency, the ratios with their intervals;
        a metric the data lack (all missing) is left out.
    """
    money = money.sort_values("spend", ascending=False)
    view = pd.DataFrame({t.col("platform"): platform_labels(money["platform"], t).tolist()})
    for name in ("spend", "revenue"):
        if money[name].notna().any():
            view[metric(name).label(t.lang)] = [metric(name).text(v, currency=currency) for v in money[name]]
    for name in ("roi", "cost_per_follower", "cost_per_conversion"):
        if money[name].notna().any():
            view[metric(name).label(t.lang)] = metric_cells(money, name, currency)
    return view


def money_findings(money: pd.DataFrame, t: Translator, currency: str) -> list[Message]:
    """What the platforms cost and brought in, where spend returns most and least, and where a conversion is cheapest.

    Parameters
    ----------
    money : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.money_metrics`.
    t : Translator
        The report's translator.
    currency : str
        ISO 4217 code of the amounts.

    Returns
    -------
    list of Message
        ``find_money`` (spend, with revenue and the overall ROI where revenue is recorded), ``find_roi`` (the
        platforms with the highest and lowest ROI, the first with its interval) and ``find_cost_conversion``, each
        where the data hold its columns.
    """
    spend, revenue, roi = metric("spend"), metric("revenue"), metric("roi")
    total = money["spend"].sum()
    found: list[Message] = []
    if money["revenue"].notna().any():
        earned = money["revenue"].sum()
        found.append(Message("find_money", {
            "spend": spend.text(total, currency=currency), "revenue": revenue.text(earned, currency=currency),
            "roi": roi.text(earned / total - 1 if total > 0 else None)}))
        best, worst = _best_and_worst(money, "roi")
        value, low, high = roi.texts(best["roi"], best["roi_low"], best["roi_high"])
        found.append(Message("find_roi", {
            "platform": t.label("platform", best["platform"]), "roi": value, "low": low, "high": high,
            "worst": t.label("platform", worst["platform"]), "worst_roi": _shown(worst, "roi", currency)}))
    else:
        found.append(Message("find_spend", {"spend": spend.text(total, currency=currency)}))
    if money["cost_per_conversion"].notna().any():
        best, worst = _best_and_worst(money, "cost_per_conversion", lowest_best=True)
        found.append(Message("find_cost_conversion", {
            "platform": t.label("platform", best["platform"]), "cost": _shown(best, "cost_per_conversion", currency),
            "worst": t.label("platform", worst["platform"]),
            "worst_cost": _shown(worst, "cost_per_conversion", currency)}))
    return found


def metric_records(metrics: pd.DataFrame | None, money: pd.DataFrame | None, currency: str) -> list[dict]:
    """The results' ``metrics`` list: each registry metric of each platform with its interval (and currency).

    Parameters
    ----------
    metrics : pandas.DataFrame or None
        Output of :func:`~socialops.platform_matrix.analysis.platform_metrics` (None without the daily table).
    money : pandas.DataFrame or None
        Output of :func:`~socialops.platform_matrix.analysis.money_metrics` (None without spend).
    currency : str
        ISO 4217 code of the amounts.
    """
    out = []
    for frame, names in ((metrics, ("engagement_rate", "ctr", "conversion_rate", "cost_per_follower")),
                         (money, ("spend", "revenue", "roi", "cost_per_conversion"))):
        if frame is None:
            continue
        for name in names:
            for row in frame.to_dict("records"):
                if not is_missing(row[name]):
                    out.append(metric(name).record(row[name], row.get(f"{name}_low"), row.get(f"{name}_high"),
                                                   currency=currency, platform=row["platform"]))
    return out


# ------------------------------------------------------------------ against the previous period


def change_table(change: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """Platforms by metrics: each change with its interval, starred where it lies beyond day-to-day noise.

    Parameters
    ----------
    change : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.period_change`, not empty.
    t : Translator
        The report's translator.
    """
    cells = change.assign(
        platform=platform_labels(change["platform"], t), metric=change["metric"].map(lambda m: metric_name(m, t)),
        text=[with_interval(c, lo, hi, _change_digits(lo, hi)) + (" *" if significant else "")
              for c, lo, hi, significant in change[["change", "ci_low", "ci_high", "significant"]].to_numpy()])
    table = cells.pivot(index="platform", columns="metric", values="text").reset_index().rename_axis(columns=None)
    return table.rename(columns={"platform": t.col("platform")})


def change_findings(change: pd.DataFrame, t: Translator) -> list[Message]:
    """The changes beyond day-to-day noise (``find_change_sig``), or that there are none (``find_change_none``).

    Nothing is said when there is no previous period to compare with (an empty ``change``).
    """
    if change.empty:
        return []
    moved = change[change["significant"]]
    if moved.empty:
        return [Message("find_change_none")]
    items = [t("find_change_item", platform=t.label("platform", r.platform), metric=t(f"metric_{r.metric}"),
               change=_change(r.change)) for r in moved.itertuples()]
    return [Message("find_change_sig", {"changes": t("list_sep_long").join(items)})]


# ------------------------------------------------------------------ audience fit


@dataclass(frozen=True)
class TargetShare:
    """One part of the target profile (``"age:25-34": 0.45``), to name in the report's language.

    The dimension and the bucket are written with the catalog's names (a bucket it does not know as given).
    """

    dimension: str
    bucket: str
    share: float

    def words(self, t: Translator) -> str:
        """The part in the translator's language: ``"age 25-34: 45%"``, ``"年龄 25-34：45%"``."""
        return t("target_item", dimension=t.label("dim", self.dimension), bucket=t.label("bucket", self.bucket),
                 share=percent(self.share, 0))


def target_shares(target_audience: Mapping[str, float]) -> tuple[TargetShare, ...]:
    """The ``target_audience`` parameter (``{"dimension:bucket": share}``) as parts to name in the report."""
    return tuple(TargetShare(key.partition(":")[0], key.partition(":")[2], share)
                 for key, share in target_audience.items())


def target_note(target_audience: Mapping[str, float]) -> Message:
    """The note naming the target profile the audience fit was measured against."""
    return Message("note_target", {"target": target_shares(target_audience)}, "note")


def fit_table(fit: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """Audience fit per platform, overall and per target dimension.

    Parameters
    ----------
    fit : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.audience_fit`.
    t : Translator
        The report's translator.
    """
    dims = [c for c in fit.columns if c.startswith("fit_")]
    shown = fit[["platform", "audience_fit", *dims]].assign(platform=platform_labels(fit["platform"], t))

    def header(column: str) -> str:
        if column.startswith("fit_"):
            return t.col("fit_dimension", dimension=t.label("dim", column.removeprefix("fit_")))
        return t.col(column)

    return shown.rename(columns=header)


def fit_findings(fit: pd.DataFrame, t: Translator) -> list[Message]:
    """The platform whose audience fits the target best and the one that fits least.

    Parameters
    ----------
    fit : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.audience_fit`, best fit first.
    t : Translator
        The report's translator.
    """
    best, worst = fit.iloc[0], fit.iloc[-1]
    return [Message("find_fit", {"platform": t.label("platform", best["platform"]),
                                 "fit": _two_places(best["audience_fit"]),
                                 "worst": t.label("platform", worst["platform"]),
                                 "worst_fit": _two_places(worst["audience_fit"])})]


# ------------------------------------------------------------------ score and roles


def score_table(scored: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """Rank, role and score with its interval, and the chance of ranking first when the days are resampled.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.score_platforms` merged with
        :func:`~socialops.platform_matrix.analysis.score_intervals`.
    t : Translator
        The report's translator.
    """
    shown = scored[["rank", "platform", "role", "score", "score_low", "score_high", "p_top"]].assign(
        platform=platform_labels(scored["platform"], t), role=scored["role"].map(lambda r: t(f"role_{r}")),
        p_top=scored["p_top"].map(lambda v: percent(v, 0)))
    return shown.rename(columns=t.col)


def score_findings(scored: pd.DataFrame, goal: str, t: Translator) -> list[Message]:
    """The platforms of each role under the goal, and how often the leader stays first when days are resampled.

    Parameters
    ----------
    scored : pandas.DataFrame
        As for :func:`score_table`, in rank order.
    goal : str
        The goal the score served (see :func:`goal_key`).
    t : Translator
        The report's translator.
    """
    def names(role: str) -> str:
        return platform_names(scored.loc[scored["role"] == role, "platform"], t) or t("word_none")

    top = scored.iloc[0]
    return [Message("find_score", {"goal": t(f"goal_{goal}"), "core": names("core"),
                                   "auxiliary": names("auxiliary"), "weak": names("deprioritize")}),
            Message("find_score_stable", {"platform": t.label("platform", top["platform"]),
                                          "p_top": percent(top["p_top"], 0)})]


def score_basis(scored: pd.DataFrame, goal: str, weights: Mapping[str, float] | None,
                t: Translator) -> list[Message]:
    """The note naming the parts of the score the data lack (their weight went to the others); empty if none.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.score_platforms`.
    goal : str
        The ``goal`` parameter.
    weights : mapping, optional
        Explicit weights, when given (they replace the goal's).
    t : Translator
        The report's translator.
    """
    parts = weights or GOAL_WEIGHTS.get(goal, {})
    missing = [c for c in parts if not scored[f"norm_{c}"].notna().any()]
    if not missing:
        return []
    used = [c for c in parts if c not in missing]
    return [Message("note_score_missing", {
        "missing": t("list_sep").join(t(f"part_{c}") for c in missing),
        "used": t("list_sep").join(t(f"part_{c}") for c in used) or t("word_none")}, "note")]


# ------------------------------------------------------------------ posting cadence


def cadence_table(cadence: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """Posts and posts a week per platform against the guidance.

    Parameters
    ----------
    cadence : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.posting.posting_cadence`.
    t : Translator
        The report's translator.
    """
    shown = cadence.assign(
        platform=platform_labels(cadence["platform"], t), status=cadence["status"].map(lambda s: t(f"status_{s}")),
        target=["–".join(_guidance(lo, hi)) if np.isfinite(lo) else ""
                for lo, hi in cadence[["target_low", "target_high"]].to_numpy()])
    return shown[["platform", "posts", "posts_per_week", "target", "status"]].rename(columns=t.col)


def platforms_below(cadence: pd.DataFrame, t: Translator) -> str:
    """Display names of the platforms posting less than their guidance, as a list (empty text for none)."""
    return platform_names(cadence.loc[cadence["status"] == "below", "platform"], t)


def cadence_findings(cadence: pd.DataFrame, t: Translator) -> list[Message]:
    """The platforms posting less than the guidance (``find_cadence_below``), or that all keep up with it.

    Without guidance for any of the platforms, a note that their cadence is not judged, not a verdict on none.
    """
    below = platforms_below(cadence, t)
    if below:
        return [Message("find_cadence_below", {"platforms": below})]
    if not np.isfinite(cadence["target_low"].to_numpy(dtype=float)).any():
        return [Message("note_cadence_unguided", {"platforms": platform_names(cadence["platform"], t)}, "note")]
    return [Message("find_cadence_ok")]


# ------------------------------------------------------------------ best time to post


def hours_findings(hour_profile: pd.DataFrame, best: list[int]) -> list[Message]:
    """The best hours to post and how far above the platform average their posts engage (after shrinkage).

    Parameters
    ----------
    hour_profile : pandas.DataFrame
        Output of ``slot_index(posts, keys=("hour",))``.
    best : list of int
        Output of :func:`~socialops.platform_matrix.posting.best_hours`.
    """
    lift = hour_profile.set_index("hour").loc[best, "shrunk"].mean()
    return [Message("find_hours", {"hours": hours_label(best), "lift": _two_places(lift)})]


def no_best_hours(min_posts: int) -> Message:
    """The finding when no hour passes the evidence rule of :func:`~socialops.platform_matrix.posting.best_hours`."""
    return Message("find_hours_none", {"min_posts": min_posts})


def best_slots_table(slots: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """Each platform's best hours: posts, raw and shrunk engagement rate.

    Parameters
    ----------
    slots : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.posting.best_slots` on hours alone.
    t : Translator
        The report's translator.
    """
    shown = slots.assign(platform=platform_labels(slots["platform"], t),
                         hour=slots["hour"].map(lambda h: hours_label([h])),
                         rate=slots["rate"].map(lambda v: percent(v, 2)),
                         shrunk_rate=slots["shrunk_rate"].map(lambda v: percent(v, 2)))
    shown = shown[["platform", "hour", "n", "rate", "shrunk_rate"]].rename(
        columns={"n": "posts", "rate": "rate_raw", "shrunk_rate": "rate_shrunk"})
    return shown.rename(columns=t.col)


# ------------------------------------------------------------------ what content works


def content_findings(content: pd.DataFrame, t: Translator, formats: pd.DataFrame | None = None) -> list[Message]:
    """Which content type engages most and least, and whether a format stands out.

    Parameters
    ----------
    content : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.posting.group_performance` by content type (best first).
    t : Translator
        The report's translator.
    formats : pandas.DataFrame, optional
        The same by format; without it (no ``format`` column) nothing is said about formats.

    Returns
    -------
    list of Message
        ``find_content`` (``find_content_none`` when fewer than two types are left to compare), then
        ``find_format`` when the leading format's interval lies above the platform average, else
        ``find_format_none``; nothing about formats when no format is left to compare.
    """
    found = [Message("find_content_none")] if len(content) < 2 else [_content_leaders(content, t)]
    if formats is not None and not formats.empty:
        lead = formats.iloc[0]
        found.append(Message("find_format" if lead["index_low"] > 1 else "find_format_none", {
            "best": t.label("fmt", lead["format"]),
            **dict(zip(("index", "low", "high"), _estimate(lead, "index", "number"), strict=True))}))
    return found


def _content_leaders(content: pd.DataFrame, t: Translator) -> Message:
    best, worst = content.iloc[0], content.iloc[-1]
    index, low, high = _estimate(best, "index", "number")
    return Message("find_content", {
        "best": t.label("ct", best["content_type"]), "index": index, "low": low, "high": high,
        "worst": t.label("ct", worst["content_type"]), "worst_index": _two_places(worst["index"])})


def performance_table(performance: pd.DataFrame, by: str, t: Translator) -> pd.DataFrame:
    """Posts, engagement index and engagement rate, each with its interval, per content type or format.

    Parameters
    ----------
    performance : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.posting.group_performance`.
    by : str
        Its grouping column: ``content_type`` or ``format``.
    t : Translator
        The report's translator.
    """
    prefix = LABEL_PREFIX.get(by, by)
    shown = performance[[by, "n"]].assign(**{by: performance[by].map(lambda v: t.label(prefix, v))})
    shown["index"] = _intervals(performance, "index", "index_low", "index_high", _two_places)
    shown["engagement_rate"] = _intervals(performance, "engagement_rate", "engagement_rate_low",
                                          "engagement_rate_high", partial(percent, digits=2))
    return shown.rename(columns={"n": "posts"}).rename(columns=t.col)


# ------------------------------------------------------------------ content mix


def mix_table(by_platform: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """Posts, adverts and the advert share with its interval, per platform.

    Parameters
    ----------
    by_platform : pandas.DataFrame
        The second output of :func:`~socialops.platform_matrix.posting.content_mix`.
    t : Translator
        The report's translator.
    """
    shown = by_platform.assign(platform=platform_labels(by_platform["platform"], t))
    shown["ad_share"] = _intervals(by_platform, "ad_share", "ad_share_low", "ad_share_high",
                                   partial(percent, digits=0))
    return shown[["platform", "posts", "ads", "ad_share"]].rename(columns=t.col)


def mix_findings(mix: Mapping[str, object], t: Translator) -> list[Message]:
    """The advert share with its interval against the 7:3 rule, and the verdict."""
    return [Message("find_mix", {"share": percent(mix["ad_share"], 0), "low": percent(mix["ad_share_low"], 0),
                                 "high": percent(mix["ad_share_high"], 0),
                                 "verdict": t(f"verdict_{mix['verdict']}")})]


# ------------------------------------------------------------------ recommendations


def recommendations(scored: pd.DataFrame | None, goal: str, t: Translator, cadence: pd.DataFrame | None = None,
                    mix: Mapping[str, object] | None = None, content: pd.DataFrame | None = None,
                    hours: list[int] | None = None) -> list[Message]:
    """The chapter's closing advice as messages of the catalog, in reading order.

    Parameters
    ----------
    scored : pandas.DataFrame or None
        Output of :func:`~socialops.platform_matrix.analysis.score_platforms`; None without the daily table
        (no advice on roles then).
    goal : str
        The goal the score favoured (selects the wording of the core-platform advice).
    t : Translator
        The report's translator (platform and content-type names, the list separator).
    cadence, mix, content, hours : optional
        Outputs of :func:`~socialops.platform_matrix.posting.posting_cadence`,
        :func:`~socialops.platform_matrix.posting.content_mix` (its summary),
        :func:`~socialops.platform_matrix.posting.group_performance` by content type and
        :func:`~socialops.platform_matrix.posting.best_hours`; a missing one leaves its advice out.

    Returns
    -------
    list of Message
        Keys of ``messages/platform_matrix.yaml`` (prefix ``rec_``) and the values they format.
    """
    roles = {role: [] if scored is None else scored.loc[scored["role"] == role, "platform"].tolist()
             for role in ("core", "auxiliary", "deprioritize")}
    recs: list[Message] = [] if scored is None else [_core_advice(scored, goal, t)]
    recs += [Message(f"rec_{role}", {"platforms": platform_names(roles[role], t)})
             for role in ("auxiliary", "deprioritize") if roles[role]]
    if cadence is not None:
        recs += _cadence_advice(cadence, roles["deprioritize"], t)
    if mix is not None:
        recs.append(Message(f"rec_mix_{mix['verdict']}", {"ad_share": percent(mix["ad_share"], 0),
                                                          "target": percent(1 - mix["target_value_share"], 0)}))
    if content is not None and len(content) > 1:
        recs += _content_advice(content, t)
    if hours:
        recs.append(Message("rec_hours", {"hours": hours_label(hours)}))
    return recs


def leads(scored: pd.DataFrame, metric: str, direction: str) -> bool:
    """Whether the top-ranked platform has the highest (``max``) or lowest (``min``) measured value of `metric`."""
    if metric not in scored or is_missing(scored[metric].iloc[0]):
        return False
    best = scored[metric].max() if direction == "max" else scored[metric].min()
    return bool(scored[metric].iloc[0] == best)


def _core_advice(scored: pd.DataFrame, goal: str, t: Translator) -> Message:
    """The goal's reason for the core platforms when the leader earns it on every metric it names, else the goal."""
    core = platform_names(scored.loc[scored["role"] == "core", "platform"], t)
    claims = CORE_CLAIMS.get(goal)
    if claims and all(leads(scored, metric, direction) for metric, direction in claims.items()):
        return Message(f"rec_core_{goal}", {"platforms": core})
    return Message("rec_core", {"platforms": core, "goal": t(f"goal_{goal}")})


def _content_advice(content: pd.DataFrame, t: Translator) -> list[Message]:
    """Lean on the best type when its interval lies above the platform average; spare the worst below it."""
    best, worst = content.iloc[0], content.iloc[-1]
    advice = []
    if best["index_low"] > 1:
        advice.append(Message("rec_content", {"best": t.label("ct", best["content_type"])}))
    if worst["index_high"] < 1:
        advice.append(Message("rec_content_spare", {"worst": t.label("ct", worst["content_type"])}))
    return advice


def _cadence_advice(cadence: pd.DataFrame, weak: list[str], t: Translator) -> list[Message]:
    """Advice for each platform posting below or above its guidance."""
    advice = []
    for row in cadence[cadence["status"].isin(["below", "above"])].itertuples():
        # a platform to scale back gets no "post more" advice, only the choice to commit or hold back
        weak_below = row.status == "below" and row.platform in weak
        low, high = _guidance(row.target_low, row.target_high)
        advice.append(Message("rec_cadence_below_weak" if weak_below else f"rec_cadence_{row.status}",
                              {"platform": t.label("platform", row.platform),
                               "per_week": number(row.posts_per_week, 1), "low": low, "high": high}))
    return advice


# ------------------------------------------------------------------ headline values and recorded results


def headlines(scored: pd.DataFrame | None, t: Translator, mix: Mapping[str, object] | None = None,
              best: list[int] | None = None) -> list[tuple[str, str]]:
    """The chapter's headline figures for the summary page: ``(label, value)`` pairs.

    Only what was measured: the core platforms where the daily table scored them; the advert share where there
    are posts; the best hours where an hour passed the evidence rule.
    """
    heads = []
    if scored is not None:
        heads.append((t("head_core"), platform_names(scored.loc[scored["role"] == "core", "platform"], t)))
    if mix is not None:
        heads.append((t("head_ad_share"), percent(mix["ad_share"], 0)))
    if best:
        heads.append((t("head_best_hours"), hours_label(best)))
    return heads


#: The amounts and money ratios of each platform that the ``platforms`` list records.
MONEY_KEYS = ("spend", "revenue", "roi", "cost_per_conversion")


def platform_records(scored: pd.DataFrame, cadence: pd.DataFrame | None = None, money: pd.DataFrame | None = None,
                     currency: str = "CNY") -> list[dict]:
    """The ``platforms`` list of the results contract, in rank order.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.score_platforms`.
    cadence : pandas.DataFrame, optional
        Output of :func:`~socialops.platform_matrix.posting.posting_cadence`; without it ``posts_per_week``
        and ``cadence_target`` are null.
    money : pandas.DataFrame, optional
        Output of :func:`~socialops.platform_matrix.analysis.money_metrics`; without it (no spend) the amounts
        of :data:`MONEY_KEYS` are null.
    currency : str
        ISO 4217 code of the amounts, recorded with them (``currency``).
    """
    keys = ["platform", "score", "rank", "role", "impressions", "engagement_rate", "ctr", "conversion_rate",
            "cost_per_follower"]
    out = []
    cad = cadence.set_index("platform") if cadence is not None else None
    amounts = scored[["platform"]].merge(money, on="platform", how="left") if money is not None else None
    for i, rec in enumerate(scored[keys].to_dict("records")):
        rec |= {k: np.nan if amounts is None else amounts[k].iloc[i] for k in MONEY_KEYS}
        rec = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in rec.items()}
        rec["currency"] = currency
        rec["rank"] = int(rec["rank"])
        if cad is not None and rec["platform"] in cad.index:
            row = cad.loc[rec["platform"]]
            rec["posts_per_week"] = float(row["posts_per_week"])
            rec["cadence_target"] = (None if pd.isna(row["target_low"])
                                     else [float(row["target_low"]), float(row["target_high"])])
        else:
            rec["posts_per_week"] = None
            rec["cadence_target"] = None
        out.append(rec)
    return out


#: The keys of the content-mix summary that CHAPTER.json records.
MIX_KEYS = ("value_share", "ad_share", "target_value_share", "verdict", "ad_share_low", "ad_share_high", "posts",
            "ads")


def _records(frame: pd.DataFrame | None) -> list[dict] | None:
    return None if frame is None else frame.to_dict("records")


def clearly_highest(rows: Sequence[Mapping], value: str, low: str, high: str) -> Mapping | None:
    """The row with the highest `value` when its interval's `low` end lies above every other row's `high` end.

    The rule that names a best platform (such as the best return on spend) only when chance cannot explain its
    lead; None with fewer than two rows.
    """
    if len(rows) < 2:
        return None
    best = max(rows, key=lambda row: row[value])
    return best if all(best[low] > row[high] for row in rows if row is not best) else None


#: The sections that count the scored period only (the others read every post up to the end of the window).
PERIOD_SECTIONS = ("platforms", "money", "score", "cadence")


def section_periods(first_day: pd.Timestamp, last_day: pd.Timestamp, period_days: int, *,
                    compared: bool) -> dict[str, list[str]]:
    """The ``periods`` entry of CHAPTER.json: the days each section covers, where less than the whole window.

    The comparison with the previous period covers both periods.
    """
    span = [f"{first_day:%Y-%m-%d}", f"{last_day:%Y-%m-%d}"]
    periods = dict.fromkeys(PERIOD_SECTIONS, span)
    if compared:
        periods["change"] = [f"{first_day - pd.Timedelta(days=period_days):%Y-%m-%d}", span[1]]
    return periods


def chapter_results(scored: pd.DataFrame | None, stability: pd.DataFrame | None, change: pd.DataFrame | None,
                    period: tuple[pd.Timestamp, pd.Timestamp], period_days: int, goal: str, *,
                    fit: pd.DataFrame | None = None, cadence: pd.DataFrame | None = None,
                    mix: Mapping[str, object] | None = None, best: list[int] | None = None,
                    content: pd.DataFrame | None = None, metrics: pd.DataFrame | None = None,
                    money: pd.DataFrame | None = None, currency: str = "CNY") -> dict[str, object]:
    """The chapter's keys of ``CHAPTER.json``; the parts of absent tables are null.

    Parameters
    ----------
    scored, stability, change : pandas.DataFrame or None
        Outputs of :func:`~socialops.platform_matrix.analysis.score_platforms`,
        :func:`~socialops.platform_matrix.analysis.score_intervals` and
        :func:`~socialops.platform_matrix.analysis.period_change`; None without the daily table (``platforms``
        is then an empty list).
    period : tuple of pandas.Timestamp
        First and last day scored (see :func:`~socialops.platform_matrix.analysis.scored_period`, or
        :func:`~socialops.platform_matrix.posting.posts_period` without the daily table).
    period_days : int
        The ``period_days`` parameter.
    goal : str
        The goal the score served (see :func:`goal_key`).
    fit, cadence, mix, best, content : optional
        Audience fit, posting cadence, content-mix summary, best hours and performance by content type.
    metrics, money : pandas.DataFrame, optional
        Outputs of :func:`~socialops.platform_matrix.analysis.platform_metrics` and
        :func:`~socialops.platform_matrix.analysis.money_metrics`, for the amounts and the ``metrics`` list.
    currency : str
        ISO 4217 code of the amounts.

    Returns
    -------
    dict
        ``{key: value}`` for ``rep.record``.
    """
    first_day, last_day = period
    return {
        "platforms": [] if scored is None else platform_records(scored, cadence, money, currency),
        "currency": currency,
        "metrics": metric_records(metrics, money, currency),
        "content_mix": None if mix is None else {k: mix[k] for k in MIX_KEYS},
        "period": {"start": f"{first_day:%Y-%m-%d}", "end": f"{last_day:%Y-%m-%d}", "days": period_days},
        "periods": section_periods(first_day, last_day, period_days, compared=change is not None and len(change) > 0),
        "goal": goal,
        "score_intervals": _records(stability),
        "change": _records(change),
        "audience_fit": _records(fit),
        "cadence": _records(cadence),
        "best_hours": best,
        "content_types": _records(content),
    }
