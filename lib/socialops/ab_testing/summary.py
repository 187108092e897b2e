"""Chapter 03's executive summary: one finding per experiment's verdict, and what to do about each.

The findings are the verdicts of the one decision rule (:mod:`socialops.stats.decision`, applied by
:func:`socialops.ab_testing.analysis.analyse_experiments`), most actionable first; each states its numbers as the
verdicts section does. The actions ship the winners (expected size: the difference in conversion with its
interval), repair broken splits, let undecided tests run and stop the rest.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from socialops.ab_testing import present
from socialops.ab_testing.analysis import Analysis
from socialops.report.findings import Message
from socialops.report.i18n import Translator
from socialops.report.summary import Action, Finding, Summary, by_priority, more_data, points_size, ranked
from socialops.stats import decision

#: The order of the verdicts in the summary, most actionable first: (verdict, reason).
ORDER = (("ship", "winner"), ("stop", "srm"), ("stop", "harm"), ("keep_running", "underpowered"),
         ("too_few_units", "too_few_units"), ("stop", "no_effect"))
#: Each verdict's action: catalog key, KPI and priority.
ACTIONS = {"winner": ("act_ship", "kpi_conversion", "high"), "srm": ("act_fix_split", "kpi_valid_test", "high"),
           "harm": ("act_keep_control", "kpi_conversion", "medium"),
           "underpowered": ("act_keep_running", "kpi_conversion", "medium"),
           "too_few_units": ("act_more_units", "kpi_conversion", "medium"),
           "no_effect": ("act_keep_control", "kpi_conversion", "low")}


def _ordered(verdicts: pd.DataFrame) -> list[pd.Series]:
    rank = {pair: i for i, pair in enumerate(ORDER)}
    rows = [row for _, row in verdicts.iterrows()]
    return sorted(rows, key=lambda r: rank.get((r["verdict"], r["reason"]), len(ORDER)))


def _winner_row(verdict: pd.Series, tests: pd.DataFrame) -> pd.Series:
    conv = tests[(tests["experiment_id"] == verdict["experiment_id"]) & (tests["metric"] == "conversion")]
    return conv[conv["variant"] == verdict["variant"]].iloc[0]


def _value(verdict: pd.Series, analysis: Analysis) -> dict[str, object]:
    """The raw numbers a verdict's sentence states."""
    value: dict[str, object] = {"experiment_id": verdict["experiment_id"], "verdict": verdict["verdict"],
                                "reason": verdict["reason"]}
    if verdict["reason"] == "winner":
        row = _winner_row(verdict, analysis.tests)
        value |= {key: row[key] for key in ("variant", "control_rate", "variant_rate", "abs_diff", "ci_low",
                                            "ci_high", "prob_beat_control")}
    elif verdict["reason"] == "srm":
        value["p_value"] = analysis.srm.set_index("experiment_id").loc[verdict["experiment_id"], "p_value"]
    elif verdict["reason"] in ("underpowered", "too_few_units"):
        value |= {key: None if pd.isna(verdict[key]) else int(verdict[key])
                  for key in ("n_smallest_arm", "n_needed", "days_more")}
    return value


def findings(analysis: Analysis, t: Translator, mde: float, alpha: float) -> list[Finding]:
    """One finding per experiment judged, most actionable first (at most five).

    Parameters
    ----------
    analysis : Analysis
        The experiments analysed, with their verdicts.
    t : Translator
        The report's translator (units of the differences).
    mde, alpha : float
        The smallest change worth detecting and the level, as the verdicts were judged.

    Returns
    -------
    list of Finding
        Each the verdict's sentence (the verdicts section's own), its numbers and the section ``verdicts``;
        none when no experiment has a comparison with its control.
    """
    if analysis.tests.empty:
        return []
    return ranked(Finding(present.verdict_message(v, analysis.tests, analysis.srm, t, mde, alpha),
                          _value(v, analysis), "verdicts") for v in _ordered(analysis.verdicts))


def actions(analysis: Analysis, alpha: float) -> list[Action]:
    """One action per experiment judged, most urgent first.

    A winner's action carries its expected size (the difference in conversion and its interval); the other
    actions have no size the data could estimate.
    """
    if analysis.tests.empty:
        return []
    found = []
    for verdict in _ordered(analysis.verdicts):
        key, kpi, priority = ACTIONS[verdict["reason"]]
        exp = verdict["experiment_id"]
        values: dict[str, object] = {"experiment": exp}
        size = None
        if verdict["reason"] == "winner":
            row = _winner_row(verdict, analysis.tests)
            values["variant"] = row["variant"]
            size = points_size(row["abs_diff"], row["ci_low"], row["ci_high"], present.level_of(alpha))
        elif verdict["reason"] == "underpowered" and not pd.isna(verdict["n_needed"]):
            values["n_needed"] = f"{int(verdict['n_needed']):,}"
        elif verdict["reason"] == "underpowered":
            key = "act_keep_running_no_size"
        elif verdict["reason"] == "too_few_units":
            values["n_min"] = decision.MIN_UNITS_PER_ARM
        found.append(Action(Message(key, values), exp, kpi, priority, size, "verdicts"))
    return by_priority(found)


def chapter_summary(analysis: Analysis, skipped: Mapping[str, Message], t: Translator, mde: float,
                    alpha: float) -> Summary:
    """The chapter's summary: the verdicts as findings, their actions, and what data would add more."""
    return Summary(findings(analysis, t, mde, alpha), actions(analysis, alpha), more_data(skipped, present.SECTIONS))
