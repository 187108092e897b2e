"""Reader-facing tables, findings and headlines of the crisis postmortem, in the report's language.

Each finding is a :class:`~socialops.report.findings.Message` (a catalog key with the values of its template), for
``Report.tell``; tables carry translated headers and the moments as the reader reads them (``09-05 14:00``).

Evidence rules, one per kind of claim (the report states each where it applies):

* a crisis is found when the robust detector fired (``confirm`` periods in a row above ``threshold``); "none
  found" is said only when the detector had the history to score the window, and with the span it scored;
* "it started on X" only when X's own onset is strictly the earliest; platforms that start in the same period are
  named together;
* extra mentions are claimed when their interval lies above zero, a fall in sentiment when its interval lies below
  zero; otherwise the report says the change cannot be told apart from the usual level;
* recovery is claimed only against a fitted normal band; without one the repair step is "unknown".

Numbers follow the report's rules: counts whole, every span of time of a sentence in one unit (a
:class:`~socialops.report.findings.Duration`), sentiment to the precision of its interval, lists of platforms and
words joined in the report's language (tuples).

A section that cannot be computed is replaced by one skip message saying why or what to add
(:func:`skipped_sections`), and listed in the results' ``skipped``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import pandas as pd

from socialops.crisis.analysis import CrisisAnalysis, results
from socialops.report.findings import Duration, Message
from socialops.report.format import (
    count,
    duration,
    estimate,
    interval_digits,
    is_missing,
    number,
    percent,
    time_unit,
)
from socialops.report.i18n import Translator

MOMENT = "%Y-%m-%d %H:%M"
SHORT_MOMENT = "%m-%d %H:%M"


def _hours(delta: pd.Timedelta) -> float:
    return delta.total_seconds() / 3600


def _span(hours: float) -> Duration:
    """One span of time alone in its sentence, in the unit that suits it."""
    return Duration(hours, time_unit(hours))


#: The sections of the chapter, in report order, as named in the results' ``skipped``.
SECTIONS = ("detection", "detectors", "response", "impact", "spread", "negative_words", "checklist")


def _days(value: float) -> str:
    """Days as the reader reads them: whole days without a decimal, else to a tenth (``"5"``, ``"1.5"``)."""
    return duration(24 * value, "days")


def headlines(analysis: CrisisAnalysis, t: Translator) -> list[tuple[str, str]]:
    """The headline figures: the onset and hours to the first statement, "none found", or "not assessed"."""
    if not analysis.assessed:
        return [(t("headline_none"), t("headline_not_assessed_value", days=_days(analysis.history_days)))]
    if not analysis.found:
        return [(t("headline_none"), t("headline_none_value"))]
    found = [(t("headline_onset"), f"{analysis.detection.onset:{MOMENT}}")]
    if analysis.response_hours is not None:
        found.append((t("headline_response"), number(analysis.response_hours)))
    return found


def quiet_period(analysis: CrisisAnalysis) -> Message:
    """The "no crisis" finding, with the days the detector scored (from its first scored period).

    Within one day (a short export leaves the detector only its last hours) the hours are given too: "between
    2011-10-18 and 2011-10-18" would hide how little was watched.
    """
    start, end = analysis.first_scored, analysis.as_of
    form = MOMENT if start.normalize() == end.normalize() else "%Y-%m-%d"
    return Message("no_crisis", {"start": f"{start:{form}}", "end": f"{end:{form}}"})


def history_notes(analysis: CrisisAnalysis) -> list[Message]:
    """How much history the detector had, and that its bands are wider when it had fewer than ``baseline_days``.

    The history runs to the onset, or over the whole window when no crisis was found; nothing is said when the
    detector could not score at all (the skipped sections say so).
    """
    if not analysis.assessed:
        return []
    key = ("history_short" if analysis.short_history else "history_full") + ("" if analysis.found else "_quiet")
    return [Message(key, {"days": _days(analysis.history_days), "full": analysis.settings.baseline_days},
                    kind="note")]


def _no_crisis_reason(analysis: CrisisAnalysis) -> Message | None:
    """Why no section about the crisis can be shown: the history was too short to look, or nothing was found."""
    if not analysis.assessed:
        return Message("history_too_short", {"days": _days(analysis.history_days),
                                             "needed": analysis.history_needed_days}, kind="skip")
    if not analysis.found:
        return Message("skipped_no_crisis", kind="skip")
    return None


def _impact_reason(analysis: CrisisAnalysis) -> Message | None:
    gap = analysis.counterfactual_gap
    if gap is not None:
        return Message("counterfactual_too_short", {"days": _days(gap.days), "needed": gap.needed}, kind="skip")
    if analysis.counterfactual is None:
        return Message("counterfactual_failed", kind="skip")
    return None


def _column_reasons(columns: Collection[str], platforms: int) -> dict[str, Message]:
    """The sections an absent optional column (or a single platform) leaves out, with what to add."""
    reasons = {}
    if "is_official" not in columns:
        reasons["response"] = Message("add_is_official", kind="skip")
    if "platform" not in columns:
        reasons["spread"] = Message("add_platform", kind="skip")
    elif platforms < 2:
        reasons["spread"] = Message("one_platform", kind="skip")
    if "sentiment" not in columns:
        reasons["negative_words"] = Message("add_sentiment", kind="skip")
    elif "text" not in columns:
        reasons["negative_words"] = Message("add_text", kind="skip")
    return reasons


def skipped_sections(analysis: CrisisAnalysis, columns: Collection[str], platforms: int) -> dict[str, Message]:
    """The sections the data cannot support, each with the skip message that replaces it.

    Parameters
    ----------
    analysis : CrisisAnalysis
    columns : collection of str
        The columns of the ``mentions`` table.
    platforms : int
        Distinct platforms in the mentions.

    Returns
    -------
    dict
        Section (one of :data:`SECTIONS`) to its skip :class:`Message`, in report order. Without history to
        score, every section; without a crisis, all but the detector comparison; otherwise the sections an absent
        column, a single platform or a short history before the onset leaves out.
    """
    general = _no_crisis_reason(analysis)
    if general is not None:
        left_out = SECTIONS if not analysis.assessed else [s for s in SECTIONS if s != "detectors"]
        return dict.fromkeys(left_out, general)
    reasons = _column_reasons(columns, platforms)
    impact = _impact_reason(analysis)
    if impact is not None:
        reasons["impact"] = impact
    return {section: reasons[section] for section in SECTIONS if section in reasons}


def no_negative_text() -> Message:
    """The skip message of the word list when no negative mention with text fell in the crisis window."""
    return Message("no_negative_text", kind="skip")


def skipped_record(skipped: dict[str, Message], t: Translator) -> list[dict[str, str]]:
    """The results' ``skipped``: one {section, reason} per section left out, in report order and language."""
    return [{"section": section, "reason": t(skipped[section].key, **skipped[section].values)}
            for section in SECTIONS if section in skipped]


def detection_finding(analysis: CrisisAnalysis) -> Message:
    """The detection finding: onset, peak and its size against the usual level, alert and delay."""
    d = analysis.detection
    peak = analysis.scores.loc[d.peak_at]
    # the usual level is floored at half a mention, so that an hour that is usually silent gives a finite ratio
    return Message("finding_detection", {
        "onset": f"{d.onset:{MOMENT}}", "peak": f"{d.peak_at:{MOMENT}}", "peak_mentions": int(peak["count"]),
        "ratio": number(peak["count"] / max(peak["expected"], 0.5), 1), "alert": f"{d.alert_at:{MOMENT}}",
        "delay": _span(_hours(d.alert_at - d.onset))})


def detectors_table(compare: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """The detector comparison with translated detector names and headers."""
    shown = compare.assign(detector=compare["detector"].map(lambda name: t(f"detector_{name}")),
                           first_alert=compare["first_alert"].dt.strftime(MOMENT))
    return shown.rename(columns={c: t.col(c) for c in compare.columns})


def detectors_finding(compare: pd.DataFrame, naive_k: float, found: bool = True) -> Message:
    """The false-alarm comparison of the two detectors.

    Before the crisis, or (``found`` false) over the whole window the detector watched, which held no crisis.
    """
    counts = compare.set_index("detector")["false_alarms"]
    key = "finding_detectors" if found else "finding_detectors_quiet"
    return Message(key, {"k": f"{naive_k:g}", "naive": int(counts["naive"]), "robust": int(counts["robust"])})


def response_finding(analysis: CrisisAnalysis) -> Message:
    """Whether and when the brand spoke after the onset of a crisis that was found.

    For data that carry ``is_official``: without it :func:`skipped_sections` leaves the section out.

    Parameters
    ----------
    analysis : CrisisAnalysis
        An analysis with a crisis.

    Returns
    -------
    Message
        ``finding_response_none`` (hours so far), or ``finding_response_met`` / ``finding_response_missed`` with
        the time of the statement and the hours it took.
    """
    if analysis.first_response_at is None:
        return Message("finding_response_none",
                       {"hours": _span(_hours(analysis.as_of - analysis.detection.onset))})
    return Message("finding_response_met" if analysis.met_24h_rule else "finding_response_missed",
                   {"response": f"{analysis.first_response_at:{MOMENT}}", "hours": _span(analysis.response_hours)})


def impact_table(analysis: CrisisAnalysis, t: Translator) -> pd.DataFrame:
    """The impact measures, each with its interval and to the precision the interval supports.

    Extra mentions are whole, sentiment on its own scale, the change of the negative share in percentage points
    (its label says so).
    """
    rows = []
    for row in results(analysis)["impact"]:
        shown = _impact_numbers(row["metric"], row["effect"], row["ci_low"], row["ci_high"])
        rows.append(dict(zip([t.col("metric"), t.col("effect"), t.col("ci_low"), t.col("ci_high")],
                             [t(f"metric_{row['metric']}"), *shown], strict=True)))
    return pd.DataFrame(rows)


def _impact_numbers(metric: str, *values: float) -> list[float | int | None]:
    """An impact row's effect and interval as shown: whole mentions, else to the digits of its interval."""
    if metric == "mentions":
        return [None if is_missing(v) else round(v) for v in values]
    scale = 100.0 if metric == "negative_share" else 1.0
    digits = interval_digits(values[1], values[2], scale)
    # + 0.0 turns a rounded -0.0 into 0.0
    return [None if is_missing(v) else round(scale * v, 2 if digits is None else digits) + 0.0 for v in values]


def _volume_finding(analysis: CrisisAnalysis) -> Message:
    """Extra mentions over the window: claimed when the interval lies above zero."""
    ex = analysis.excess
    end = analysis.window_end or analysis.as_of
    values = {"start": f"{analysis.detection.onset:{SHORT_MOMENT}}", "end": f"{end:{SHORT_MOMENT}}",
              "excess": count(ex["effect"]), "low": count(ex["ci_low"]), "high": count(ex["ci_high"])}
    return Message("finding_impact_volume" if ex["ci_low"] > 0 else "finding_impact_volume_unclear", values)


def _sentiment_findings(analysis: CrisisAnalysis) -> list[Message]:
    """The fall in mean sentiment: claimed when its interval lies below zero; nothing without rated mentions."""
    se = analysis.sentiment
    if se is None or se["effect"] is None:
        return []
    values = {"base": number(se["baseline"], 2), "crisis": number(se["observed"], 2)}
    if se["ci_high"] < 0:
        dip, low, high = estimate(-se["effect"], -se["ci_high"], -se["ci_low"], "number")
        return [Message("finding_sentiment_fell", {**values, "dip": dip, "dip_low": low, "dip_high": high})]
    change, low, high = estimate(se["effect"], se["ci_low"], se["ci_high"], "number")
    return [Message("finding_sentiment_unclear", {**values, "change": change, "low": low, "high": high})]


def impact_findings(analysis: CrisisAnalysis) -> list[Message]:
    """The impact over the crisis window (volume, then sentiment), then whether volume settled back in its band."""
    found = [_volume_finding(analysis), *_sentiment_findings(analysis)]
    hold = analysis.settings.recovery_hours
    if analysis.recovered_at is None:
        return [*found, Message("finding_not_recovered", {"hold": _span(hold)})]
    # two sentences, each in the unit that suits its span ("4.8 days after the onset", "12 hours in a row")
    after, hold = _span(_hours(analysis.recovered_at - analysis.detection.onset)), _span(hold)
    return [*found, Message("finding_recovered", {"recovered": f"{analysis.recovered_at:{MOMENT}}",
                                                  "after": after, "hold": hold})]


def counterfactual_note(analysis: CrisisAnalysis) -> Message:
    """How the normal level was modelled, with the days it was actually fitted on."""
    return Message("counterfactual_note", {"days": _days(analysis.counterfactual.fit_days)}, kind="note")


def spread_table(spread: pd.DataFrame, t: Translator, label: Callable[[str], str]) -> pd.DataFrame:
    """The spread between platforms with display names, moments as text and translated headers."""
    shown = spread.assign(platform=spread["platform"].map(label), excess=spread["excess"].round().astype("Int64"),
                          started_at=spread["started_at"].dt.strftime(SHORT_MOMENT),
                          peak_at=spread["peak_at"].dt.strftime(SHORT_MOMENT))
    return shown.rename(columns={c: t.col(c) for c in spread.columns})


def spread_findings(spread: pd.DataFrame, label: Callable[[str], str]) -> list[Message]:
    """Where the crisis started, its share of the excess, and which platforms followed how soon (none: no finding).

    "It started on X" only when X's own start is strictly the earliest; platforms that started in the same period
    are named together, without a first.
    """
    involved = spread.dropna(subset=["started_at"])
    if involved.empty:
        return []
    earliest = involved["started_at"].min()
    firsts = involved[involved["started_at"] == earliest]
    others = involved[involved["started_at"] > earliest]
    if len(firsts) == 1:
        found = [Message("finding_spread_first", {"first": label(firsts["platform"].iloc[0]),
                                                  "share": percent(firsts["excess_share"].iloc[0], 0)})]
    else:
        found = [Message("finding_spread_tied", {"firsts": tuple(label(p) for p in firsts["platform"]),
                                                 "start": f"{earliest:{SHORT_MOMENT}}",
                                                 "share": percent(firsts["excess_share"].sum(), 0)})]
    if len(others):
        found.append(Message("finding_spread_followed", {"others": tuple(label(p) for p in others["platform"]),
                                                         "lag": _span(others["lead_hours"].max())}))
    return found


def words_table(words: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """The most frequent negative words with translated headers."""
    return words.rename(columns={"word": t.col("word"), "count": t.col("count")})


def words_finding(words: pd.DataFrame, shown: int = 6) -> Message:
    """The finding naming the words the negative mentions return to most."""
    return Message("finding_words", {"words": tuple(words["word"].head(shown))})


def checklist_table(check: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """The postmortem checklist: each step with its verdict and the hours behind it."""
    return pd.DataFrame({t.col("step"): check["step"].map(lambda s: t(f"step_{s}")),
                         t.col("verdict"): check["verdict"].map(lambda v: t(f"verdict_{v}")),
                         t.col("hours"): check["hours"].round(1)})


def lessons(check: pd.DataFrame) -> list[Message]:
    """The lesson of each checklist step, chosen by its verdict.

    ``hours`` is the step's span in the unit that suits it, ``days`` the same span in days (the repair step's
    unit); an unknown span is shown as a dash.
    """
    return [Message(f"lesson_{step}_{verdict}",
                    {"hours": _span(None if is_missing(hours) else float(hours)),
                     "days": Duration(None if is_missing(hours) else float(hours), "days")})
            for step, verdict, hours in check.itertuples(index=False)]
