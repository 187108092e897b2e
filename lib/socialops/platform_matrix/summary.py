"""Chapter 01's executive summary: which platform leads, which to scale back, and how the brand posts.

It reads the numbers the chapter recorded in its results, so the summary and ``CHAPTER.json`` state one number per
fact, and each finding rests on the rule the chapter already applies: the roles of the score (core, auxiliary,
deprioritize), the content mix's verdict against the 7:3 rule, the cadence guidance per platform, a content type
named only when its whole interval lies above the average, best hours only where enough posts were published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from socialops.platform_matrix import present
from socialops.report.findings import Message
from socialops.report.format import number, percent
from socialops.report.i18n import Translator
from socialops.report.metrics import metric
from socialops.report.summary import Action, Finding, Size, Summary, by_priority, more_data, ranked

#: The KPI the core platform moves under each goal.
GOAL_KPI = {"conversion": "kpi_conversions", "awareness": "kpi_reach", "brand": "kpi_engagement"}


def _names(platforms: Sequence[str], t: Translator) -> tuple[str, ...]:
    return tuple(t.label("platform", p) for p in platforms)


def _role(results: Mapping[str, object], role: str) -> list[Mapping[str, object]]:
    return [p for p in results.get("platforms") or [] if p.get("role") == role]


def _best_content(results: Mapping[str, object]) -> Mapping[str, object] | None:
    """The content type that engages most, when its whole interval lies above the average of all posts."""
    types = sorted(results.get("content_types") or [], key=lambda c: c["index"], reverse=True)
    return types[0] if types and types[0]["index_low"] > 1 else None


def _roi(results: Mapping[str, object]) -> tuple[Mapping[str, object] | None, list[Mapping[str, object]]]:
    """The platform clearly returning most on spend, and those clearly losing money.

    The best is named only when its interval lies above every other platform's; a platform loses money when its
    whole interval lies below zero.
    """
    rows = [m for m in results.get("metrics") or [] if m["metric"] == "roi" and m.get("ci_low") is not None]
    if len(rows) < 2:
        return None, []
    return present.clearly_highest(rows, "value", "ci_low", "ci_high"), [m for m in rows if m["ci_high"] < 0]


def _below(results: Mapping[str, object]) -> list[Mapping[str, object]]:
    return [c for c in results.get("cadence") or [] if c["status"] == "below"]


def findings(results: Mapping[str, object], t: Translator) -> list[Finding]:
    """The core platform, the best return on spend, those to scale back, the mix, cadence, content and hours.

    Returns
    -------
    list of Finding
        At most five, in that order; each only when its rule holds in the results.
    """
    found: list[Finding] = []
    goal = results.get("goal", "conversion")
    core, weak = _role(results, "core"), _role(results, "deprioritize")
    ranked_platforms = sorted(results.get("platforms") or [], key=lambda p: p["rank"])
    if core:
        runner = next((p for p in ranked_platforms if p["role"] != "core"), None)
        key = "sum_core" if runner is not None else "sum_core_alone"
        found.append(Finding(Message(key, {
            "platforms": _names([p["platform"] for p in core], t), "score": number(core[0]["score"], 2),
            "goal": t.label("goal", goal), "next": _names([runner["platform"]], t) if runner else (),
            "next_score": number(runner["score"], 2) if runner else ""}),
            {"platforms": [p["platform"] for p in core], "score": core[0]["score"],
             "next_score": runner["score"] if runner else None}, "score"))
    best_roi, losing = _roi(results)
    if best_roi is not None:
        roi, low, high = metric("roi").texts(best_roi["value"], best_roi["ci_low"], best_roi["ci_high"])
        found.append(Finding(Message("sum_roi_losing" if losing else "sum_roi", {
            "platform": t.label("platform", best_roi["platform"]), "roi": roi, "low": low, "high": high,
            "losing": _names([m["platform"] for m in losing], t)}),
            {m["platform"]: {k: m[k] for k in ("value", "ci_low", "ci_high")} for m in [best_roi, *losing]},
            "money"))
    if weak:
        found.append(Finding(Message("sum_deprioritize", {"platforms": _names([p["platform"] for p in weak], t)}),
                             {p["platform"]: p["score"] for p in weak}, "score"))
    mix = results.get("content_mix")
    if mix is not None:
        found.append(Finding(Message(f"sum_mix_{mix['verdict']}", {
            "ad_share": percent(mix["ad_share"], 0), "low": percent(mix["ad_share_low"], 0),
            "high": percent(mix["ad_share_high"], 0), "target": percent(1 - mix["target_value_share"], 0)}),
            {k: mix[k] for k in ("ad_share", "ad_share_low", "ad_share_high", "target_value_share", "verdict")},
            "content_mix"))
    below = _below(results)
    if below:
        found.append(Finding(Message("sum_cadence_below", {"platforms": tuple(
            t("sum_cadence_item", platform=t.label("platform", c["platform"]), per_week=number(c["posts_per_week"], 1),
              low=number(c["target_low"]), high=number(c["target_high"])) for c in below)}),
            {c["platform"]: c["posts_per_week"] for c in below}, "cadence"))
    best = _best_content(results)
    if best is not None:
        found.append(Finding(Message("sum_content", {
            "best": t.label("ct", best["content_type"]), "index": number(best["index"], 2),
            "low": number(best["index_low"], 2), "high": number(best["index_high"], 2)}),
            {k: best[k] for k in ("content_type", "index", "index_low", "index_high")}, "content"))
    if results.get("best_hours"):
        found.append(Finding(Message("sum_hours", {"hours": present.hours_label(results["best_hours"])}),
                             list(results["best_hours"]), "best_time"))
    return ranked(found)


def actions(results: Mapping[str, object], t: Translator) -> list[Action]:
    """One action per finding's rule that holds: the core, scaling back, the mix, the cadence, content, hours."""
    found = []
    goal = results.get("goal", "conversion")
    core, weak = _role(results, "core"), _role(results, "deprioritize")
    if core:
        found.append(Action(Message("act_core"), _names([p["platform"] for p in core], t),
                            GOAL_KPI.get(goal, "kpi_score"), "high", section="score"))
    best_roi, losing = _roi(results)
    if best_roi is not None:
        found.append(Action(Message("act_shift_spend", {"platform": t.label("platform", best_roi["platform"])}),
                            _names([m["platform"] for m in losing], t) or _names([best_roi["platform"]], t),
                            "kpi_roi", "high", section="money"))
    if weak:
        found.append(Action(Message("act_scale_back"), _names([p["platform"] for p in weak], t), "kpi_cost",
                            "medium", section="score"))
    mix = results.get("content_mix")
    if mix is not None and mix["verdict"] != "balanced":
        found.append(Action(Message(f"act_mix_{mix['verdict']}",
                                    {"target": percent(1 - mix["target_value_share"], 0)}),
                            Message("where_all_platforms"), "kpi_engagement", "high", section="content_mix"))
    below = _below(results)
    if below:
        found.append(Action(Message("act_post_more"), _names([c["platform"] for c in below], t), "kpi_posts",
                            "medium", section="cadence"))
    best = _best_content(results)
    if best is not None:
        found.append(Action(Message("act_more_content", {"best": t.label("ct", best["content_type"])}),
                            Message("where_all_platforms"), "kpi_engagement", "medium",
                            Size(best["index"], best["index_low"], best["index_high"], "ratio",
                                 Message("size_ratio_interval", {"estimate": number(best["index"], 2),
                                                                 "low": number(best["index_low"], 2),
                                                                 "high": number(best["index_high"], 2)})),
                            "content"))
    if results.get("best_hours"):
        found.append(Action(Message("act_schedule", {"hours": present.hours_label(results["best_hours"])}),
                            Message("where_all_platforms"), "kpi_engagement", "low", section="best_time"))
    return by_priority(found)


def chapter_summary(results: Mapping[str, object], skipped: Mapping[str, Message], t: Translator) -> Summary:
    """The chapter's summary from its recorded results: findings, actions and what data would add more."""
    return Summary(findings(results, t), actions(results, t), more_data(skipped, present.SECTIONS))
