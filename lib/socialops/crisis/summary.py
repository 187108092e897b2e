"""Chapter 05's executive summary: whether there was a crisis, what it cost, and the lesson of each checklist step.

Each finding rests on the rule the chapter already applies: the detector's (a crisis is found, or the quiet
period is said), the impact's (extra mentions claimed only when their interval lies above zero) and the
checklist's (each step of warning, response and repair judged against its deadline). The actions follow the
checklist's verdicts; the data hold no estimate of how much an action would change, so no size is given.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from socialops.crisis import analysis as crisis
from socialops.crisis import present
from socialops.crisis.analysis import CrisisAnalysis
from socialops.report.findings import Message
from socialops.report.format import count
from socialops.report.summary import Action, Finding, Summary, by_priority, more_data, ranked

#: Each checklist step's verdict to its action: catalog key, where, KPI and priority.
ACTIONS = {
    ("warning", "late"): ("act_alert_threshold", "where_monitor", "kpi_alert_delay", "high"),
    ("warning", "met"): ("act_alert_keep", "where_monitor", "kpi_alert_delay", "low"),
    ("response", "missed"): ("act_holding_statement", "where_official", "kpi_response_time", "high"),
    ("response", "pending"): ("act_statement_now", "where_official", "kpi_response_time", "high"),
    ("response", "met"): ("act_statement_review", "where_official", "kpi_response_time", "low"),
    ("response", "unknown"): ("act_mark_official", "where_export", "kpi_response_time", "medium"),
    ("repair", "open"): ("act_repair_continue", "where_comments", "kpi_recovery_time", "high"),
    ("repair", "late"): ("act_repair_plan", "where_content", "kpi_recovery_time", "medium"),
    ("repair", "met"): ("act_repair_proof", "where_content", "kpi_recovery_time", "low"),
    ("repair", "unknown"): ("act_more_history", "where_export", "kpi_recovery_time", "medium"),
}


def steps(analysis: CrisisAnalysis, skipped: Mapping[str, Message]) -> pd.DataFrame:
    """The checklist's steps with their verdicts (empty without a crisis or when the checklist was left out)."""
    if not (analysis.assessed and analysis.found) or "checklist" in skipped:
        return pd.DataFrame(columns=["step", "verdict", "hours"])
    return crisis.checklist(analysis)


def crisis_finding(analysis: CrisisAnalysis, skipped: Mapping[str, Message]) -> list[Finding]:
    """The crisis in one sentence: its onset and, when their interval lies above zero, the extra mentions."""
    onset = f"{analysis.detection.onset:{present.MOMENT}}"
    excess = None if "impact" in skipped else analysis.excess
    if excess is not None and excess["ci_low"] > 0:
        return [Finding(Message("sum_crisis", {"onset": onset, "excess": count(excess["effect"]),
                                               "low": count(excess["ci_low"]), "high": count(excess["ci_high"])}),
                        {"onset": analysis.detection.onset.isoformat(), "excess_mentions": excess["effect"],
                         "ci_low": excess["ci_low"], "ci_high": excess["ci_high"]}, "impact")]
    return [Finding(Message("sum_crisis_onset", {"onset": onset}), {"onset": analysis.detection.onset.isoformat()},
                    "detection")]


def findings(analysis: CrisisAnalysis, skipped: Mapping[str, Message]) -> list[Finding]:
    """The crisis (or the quiet period), then the lesson of each checklist step; none before the data suffice.

    Returns
    -------
    list of Finding
        Nothing when too little history was scored to judge; the quiet period when no crisis was found;
        otherwise the crisis, then warning, response and repair, each the checklist's own lesson with its hours.
    """
    if not analysis.assessed:
        return []
    if not analysis.found:
        return [Finding(present.quiet_period(analysis), None, "detection")]
    check = steps(analysis, skipped)
    lessons = [Finding(message, {"step": step, "verdict": verdict, "hours": None if pd.isna(hours) else hours},
                       "checklist")
               for message, (step, verdict, hours) in zip(present.lessons(check), check.itertuples(index=False),
                                                          strict=True)]
    return ranked([*crisis_finding(analysis, skipped), *lessons])


def actions(analysis: CrisisAnalysis, skipped: Mapping[str, Message]) -> list[Action]:
    """One action per checklist step, by its verdict, most urgent first."""
    found = []
    for step, verdict, _ in steps(analysis, skipped).itertuples(index=False):
        key, where, kpi, priority = ACTIONS[(step, verdict)]
        found.append(Action(Message(key), Message(where), kpi, priority, section="checklist"))
    return by_priority(found)


def chapter_summary(analysis: CrisisAnalysis, skipped: Mapping[str, Message]) -> Summary:
    """The chapter's summary: the findings, the actions, and what data would add more."""
    return Summary(findings(analysis, skipped), actions(analysis, skipped), more_data(skipped, present.SECTIONS))
