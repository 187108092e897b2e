"""Reader-facing tables, findings and headlines of the crisis postmortem, in the report's language.

Each finding is a :class:`~socialops.report.findings.Message` (a catalog key with the values of its template), for
``Report.tell``; tables carry translated headers and the moments as the reader reads them (``09-05 14:00``).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from socialops.crisis.analysis import CrisisAnalysis, results
from socialops.report.findings import Message
from socialops.report.format import is_missing, number, percent
from socialops.report.i18n import Translator

MOMENT = "%Y-%m-%d %H:%M"
SHORT_MOMENT = "%m-%d %H:%M"


def _hours(delta: pd.Timedelta) -> float:
    return delta.total_seconds() / 3600


def headlines(analysis: CrisisAnalysis, t: Translator) -> list[tuple[str, str]]:
    """The headline figures: the onset and the hours to the first statement, or that no crisis was found."""
    if not analysis.found:
        return [(t("headline_none"), t("headline_none_value"))]
    found = [(t("headline_onset"), f"{analysis.detection.onset:{MOMENT}}")]
    if analysis.response_hours is not None:
        found.append((t("headline_response"), number(analysis.response_hours)))
    return found


def quiet_period(analysis: CrisisAnalysis) -> Message:
    """The "no crisis" finding, with the days the detector watched."""
    return Message("no_crisis", {"start": f"{analysis.series['period'].min():%Y-%m-%d}",
                                 "end": f"{analysis.as_of:%Y-%m-%d}"})


def detection_finding(analysis: CrisisAnalysis) -> Message:
    """The detection finding: onset, peak and its size against the usual level, alert and delay."""
    d = analysis.detection
    peak = analysis.scores.loc[d.peak_at]
    # the usual level is floored at half a mention, so that an hour that is usually silent gives a finite ratio
    return Message("finding_detection", {
        "onset": f"{d.onset:{MOMENT}}", "peak": f"{d.peak_at:{MOMENT}}", "peak_mentions": int(peak["count"]),
        "ratio": round(peak["count"] / max(peak["expected"], 0.5), 1), "alert": f"{d.alert_at:{MOMENT}}",
        "delay": _hours(d.alert_at - d.onset)})


def detectors_table(compare: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """The detector comparison with translated detector names and headers."""
    shown = compare.assign(detector=compare["detector"].map(lambda name: t(f"detector_{name}")),
                           first_alert=compare["first_alert"].dt.strftime(MOMENT))
    return shown.rename(columns={c: t.col(c) for c in compare.columns})


def detectors_finding(compare: pd.DataFrame, naive_k: float) -> Message:
    """The false-alarm comparison of the two detectors."""
    counts = compare.set_index("detector")["false_alarms"]
    return Message("finding_detectors", {"k": naive_k, "naive": int(counts["naive"]), "robust": int(counts["robust"])})


def response_finding(analysis: CrisisAnalysis, flagged: bool) -> Message:
    """Whether and when the brand spoke after the onset of a crisis that was found.

    Parameters
    ----------
    analysis : CrisisAnalysis
        An analysis with a crisis.
    flagged : bool
        Whether the mentions carry ``is_official``; without it the response cannot be timed.

    Returns
    -------
    Message
        ``finding_response_unknown``, ``finding_response_none`` (hours so far), or ``finding_response_met`` /
        ``finding_response_missed`` with the time of the statement and the hours it took.
    """
    if not flagged:
        return Message("finding_response_unknown")
    if analysis.first_response_at is None:
        return Message("finding_response_none",
                       {"hours": round(_hours(analysis.as_of - analysis.detection.onset), 1)})
    return Message("finding_response_met" if analysis.met_24h_rule else "finding_response_missed",
                   {"response": f"{analysis.first_response_at:{MOMENT}}", "hours": round(analysis.response_hours, 1)})


def impact_table(analysis: CrisisAnalysis, t: Translator) -> pd.DataFrame:
    """The impact measures (extra mentions, sentiment, negative share), each with its interval."""
    return pd.DataFrame([{t.col("metric"): t(f"metric_{row['metric']}"), t.col("effect"): row["effect"],
                          t.col("ci_low"): row["ci_low"], t.col("ci_high"): row["ci_high"]}
                         for row in results(analysis)["impact"]])


def impact_findings(analysis: CrisisAnalysis) -> list[Message]:
    """The impact over the crisis window, then whether and when volume settled back in its normal band."""
    ex, se = analysis.excess, analysis.sentiment
    onset = analysis.detection.onset
    end = analysis.window_end or analysis.as_of
    impact = Message("finding_impact", {
        "start": f"{onset:{SHORT_MOMENT}}", "end": f"{end:{SHORT_MOMENT}}", "excess": round(ex["effect"]),
        "low": round(ex["ci_low"]), "high": round(ex["ci_high"]), "dip": round(-se["effect"], 2),
        "base": round(se["baseline"], 2), "crisis": round(se["observed"], 2), "dip_low": round(-se["ci_high"], 2),
        "dip_high": round(-se["ci_low"], 2)})
    hours = analysis.settings.recovery_hours
    if analysis.recovered_at is None:
        return [impact, Message("finding_not_recovered", {"hours": hours})]
    days = round((analysis.recovered_at - onset).total_seconds() / 86400, 1)
    return [impact, Message("finding_recovered", {"recovered": f"{analysis.recovered_at:{MOMENT}}", "hours": hours,
                                                  "days": days})]


def spread_table(spread: pd.DataFrame, t: Translator, label: Callable[[str], str]) -> pd.DataFrame:
    """The spread between platforms with display names, moments as text and translated headers."""
    shown = spread.assign(platform=spread["platform"].map(label),
                          started_at=spread["started_at"].dt.strftime(SHORT_MOMENT),
                          peak_at=spread["peak_at"].dt.strftime(SHORT_MOMENT))
    return shown.rename(columns={c: t.col(c) for c in spread.columns})


def spread_findings(spread: pd.DataFrame, label: Callable[[str], str]) -> list[Message]:
    """Where the crisis started, its share of the excess, and which platforms followed how soon (none: no finding)."""
    involved = spread.dropna(subset=["started_at"])
    if involved.empty:
        return []
    first, others = involved.iloc[0], involved.iloc[1:]
    return [Message("finding_spread", {
        "first": label(first["platform"]), "share": percent(first["excess_share"], 0),
        "others": ", ".join(label(p) for p in others["platform"]) or "—",
        "lag": round(others["lead_hours"].max(), 1) if len(others) else 0})]


def words_table(words: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """The most frequent negative words with translated headers."""
    return words.rename(columns={"word": t.col("word"), "count": t.col("count")})


def words_finding(words: pd.DataFrame, shown: int = 6) -> Message:
    """The finding naming the words the negative mentions return to most."""
    return Message("finding_words", {"words": ", ".join(words["word"].head(shown))})


def checklist_table(check: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """The postmortem checklist: each step with its verdict and the hours behind it."""
    return pd.DataFrame({t.col("step"): check["step"].map(lambda s: t(f"step_{s}")),
                         t.col("verdict"): check["verdict"].map(lambda v: t(f"verdict_{v}")),
                         t.col("hours"): check["hours"].round(1)})


def lessons(check: pd.DataFrame) -> list[Message]:
    """The lesson of each checklist step, chosen by its verdict (hours and days unknown shown as a dash)."""
    return [Message(f"lesson_{step}_{verdict}",
                    {"hours": "—" if is_missing(hours) else round(hours, 1),
                     "days": "—" if is_missing(hours) else round(hours / 24, 1)})
            for step, verdict, hours in check.itertuples(index=False)]
