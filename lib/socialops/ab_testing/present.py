"""Reader-facing tables, findings and headlines of chapter 03, in the report's language.

The analysis frames carry raw numbers for CHAPTER.json; these functions turn them into what a marketer reads:
rates as percentages, differences in percentage points with their intervals, verdicts in plain words. A finding
is a :class:`~socialops.report.findings.Message` (a catalog key with its values), for ``Report.tell``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping

import pandas as pd

from socialops.ab_testing.analysis import Analysis, significant_in_sound_tests, unmatched_splits
from socialops.report.findings import Message
from socialops.report.format import number, p_value, percent, probability, signed, small
from socialops.report.i18n import Translator
from socialops.stats import decision
from socialops.stats.proportions import family_alpha

#: Variance removed by CUPED below which it is reported as no gain.
CUPED_NO_GAIN = 0.05


def interval_text(low: float | None, high: float | None, digits: int = 2, scale: float = 1.0) -> str:
    """An interval of signed changes in brackets (``[+0.41, +1.62]``)."""
    return f"[{signed(low, digits, scale)}, {signed(high, digits, scale)}]"


def diff_text(row: pd.Series, t: Translator) -> tuple[str, str]:
    """The difference and its interval, in percentage points for rates, in the metric's units otherwise."""
    if row["metric"] == "conversion":
        return signed(row["abs_diff"], 2, 100, t("unit_pp")), interval_text(row["ci_low"], row["ci_high"], 2, 100)
    return signed(row["abs_diff"]), interval_text(row["ci_low"], row["ci_high"])


def mde_text(mde: float, t: Translator) -> str:
    """The smallest change worth detecting, in percentage points without a sign (``1.00 pp``)."""
    return signed(mde, 2, 100, t("unit_pp")).lstrip("+")


def level_of(alpha: float) -> str:
    """The confidence level of the intervals, as text (alpha 0.05 → "95")."""
    return f"{100 * (1 - alpha):g}"


def split_text(shares: Mapping[str, float]) -> str:
    """A split as "control 50% / variant 50%"."""
    return " / ".join(f"{v} {percent(s)}".replace(".0%", "%") for v, s in shares.items())


#: The sections that a missing column or thin data can leave out, in report order, as the results' ``skipped``
#: names them.
SECTIONS = ("comparisons", "cuped", "peeking", "segments", "plan")


def skipped_sections(columns: Collection[str], segment_column: str, analysis: Analysis) -> dict[str, Message]:
    """The sections the data cannot support, each with the skip message that replaces it (what to add).

    Parameters
    ----------
    columns : collection of str
        The columns of the ``experiment`` table.
    segment_column : str
        The column the segments section breaks results down by.
    analysis : Analysis
        The experiments analysed (for comparisons that could be made at all, and CUPED's).

    Returns
    -------
    dict
        Section (one of :data:`SECTIONS`) to its skip :class:`Message`: every section but the plan when no
        experiment has a variant besides its control; ``cuped`` without ``value``, without ``pre_value``, or when no comparison
        had the units for it; ``peeking`` without ``assigned_at``; ``segments`` without ``segment_column``.
        The planning section's reason comes later, from :func:`plan_gap`.
    """
    present = set(columns)
    if analysis.tests.empty:
        return dict.fromkeys(["comparisons", "cuped", "peeking", "segments"], Message("no_comparisons", kind="skip"))
    reasons: dict[str, Message] = {}
    if "value" not in present:
        reasons["cuped"] = Message("value_absent", kind="skip")
    elif "pre_value" not in present:
        reasons["cuped"] = Message("cuped_absent", kind="skip")
    elif analysis.cuped.empty:
        reasons["cuped"] = Message("cuped_no_units", kind="skip")
    if "assigned_at" not in present:
        reasons["peeking"] = Message("add_assigned_at", kind="skip")
    if not segment_column or segment_column not in present:
        reasons["segments"] = Message("segments_absent", {"column": segment_column}, "skip")
    return reasons


def skipped_record(skipped: Mapping[str, Message], t: Translator) -> list[dict[str, str]]:
    """The results' ``skipped``: one {section, reason} per section left out, in report order and language."""
    return [{"section": section, "reason": t(skipped[section].key, **skipped[section].values)}
            for section in SECTIONS if section in skipped]


def broken_splits(srm: pd.DataFrame) -> set[str]:
    """The experiments whose sample ratio check failed: none of their comparisons is read."""
    return set(srm.loc[srm["mismatch"], "experiment_id"])


def srm_table(srm: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """The sample-ratio check, one row per experiment."""
    return pd.DataFrame({
        t.col("experiment"): srm["experiment_id"],
        t.col("expected_split"): srm["expected_split"].map(split_text),
        t.col("observed_split"): srm["observed_share"].map(split_text),
        t.col("units"): srm["observed"].map(lambda d: sum(d.values())),
        t.col("chi2"): srm["chi2"].round(2),
        t.col("p"): srm["p_value"].map(lambda p: p_value(p, missing="")),
        t.col("status"): srm["mismatch"].map(lambda m: t("srm_status_broken") if m else t("srm_status_ok")),
    })


def _rate_text(metric: str) -> Callable[[float], str]:
    return (lambda x: percent(x, 2, missing="")) if metric == "conversion" else (lambda x: number(x, 2, missing=""))


def _loss_text(row: pd.Series, t: Translator) -> str:
    if row["metric"] == "conversion":
        return small(100 * row["expected_loss"], 3) + t("unit_pp")
    return small(row["expected_loss"], 2)


def _lift_interval(row: pd.Series) -> str:
    if pd.isna(row["lift_low"]):
        return ""
    return f"[{signed(row['lift_low'], 1, 100, '%')}, {signed(row['lift_high'], 1, 100, '%')}]"


def tests_table(tests: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """Every comparison: rates or means, difference with interval, p-values, Bayesian read-out."""
    rows = []
    for _, r in tests.iterrows():
        diff, ci = diff_text(r, t)
        rate = _rate_text(r["metric"])
        rows.append({
            t.col("experiment"): r["experiment_id"], t.col("metric"): t(f"metric_{r['metric']}"),
            t.col("comparison"): f"{r['variant']} vs {r['control']}",
            t.col("n"): f"{r['n_variant']:,} / {r['n_control']:,}",
            t.col("rates"): f"{rate(r['variant_rate'])} vs {rate(r['control_rate'])}",
            t.col("diff"): diff, t.col("ci"): ci,
            t.col("lift"): signed(r["rel_lift"], 1, 100, "%"), t.col("lift_ci"): _lift_interval(r),
            t.col("p"): p_value(r["p_value"], missing=""), t.col("p_adj"): p_value(r["p_adjusted"], missing=""),
            t.col("p_seq"): p_value(r["p_sequential"], missing=""),
            t.col("prob"): percent(r["prob_beat_control"], 1, missing=""), t.col("loss"): _loss_text(r, t),
        })
    return pd.DataFrame(rows)


def cuped_table(cuped: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """Raw against CUPED-adjusted comparison of `value`."""
    return pd.DataFrame({
        t.col("experiment"): cuped["experiment_id"], t.col("variant"): cuped["variant"],
        t.col("raw_diff"): cuped["raw_diff"].map(signed),
        t.col("raw_ci"): [interval_text(a, b) for a, b in zip(cuped["raw_ci_low"], cuped["raw_ci_high"],
                                                               strict=True)],
        t.col("cuped_diff"): cuped["cuped_diff"].map(signed),
        t.col("cuped_ci"): [interval_text(a, b) for a, b in zip(cuped["cuped_ci_low"], cuped["cuped_ci_high"],
                                                                 strict=True)],
        t.col("reduction"): cuped["variance_reduction"].map(lambda x: percent(x, 1, missing="")),
        t.col("p_raw"): cuped["raw_p_value"].map(lambda p: p_value(p, missing="")),
        t.col("p_cuped"): cuped["cuped_p_value"].map(lambda p: p_value(p, missing="")),
    })


def segments_table(seg: pd.DataFrame, t: Translator, label: Callable[[str], str] = str) -> pd.DataFrame:
    """Conversion by segment, with p-values adjusted across every slice of the experiment."""
    rows = []
    for _, r in seg.iterrows():
        rows.append({
            t.col("experiment"): r["experiment_id"], t.col("segment"): label(r["segment"]),
            t.col("variant"): r["variant"], t.col("n"): f"{r['n_variant']:,} / {r['n_control']:,}",
            t.col("rates"): f"{percent(r['variant_rate'], 2, missing='')} vs "
                            f"{percent(r['control_rate'], 2, missing='')}",
            t.col("diff"): signed(r["abs_diff"], 2, 100, t("unit_pp")),
            t.col("ci"): interval_text(r["ci_low"], r["ci_high"], 2, 100),
            t.col("p"): p_value(r["p_value"], missing=""), t.col("p_adj"): p_value(r["p_adjusted"], missing=""),
        })
    return pd.DataFrame(rows)


def verdict_table(verdicts: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """One line per experiment: the verdict and its reason."""
    return pd.DataFrame({
        t.col("experiment"): verdicts["experiment_id"],
        t.col("verdict"): verdicts["verdict"].map(lambda v: t(f"verdict_label_{v}")),
        t.col("reason"): verdicts["reason"].map(lambda r: t(f"reason_{r}")),
    })


def overview(analysis: Analysis) -> Message:
    """The opening finding: how many experiments, their names and each one's control."""
    return Message("overview_found", {
        "n": len(analysis.controls), "names": tuple(analysis.controls),
        "controls": tuple(f"{e} → {c}" for e, c in analysis.controls.items())})


def split_notes(splits: Mapping[str, object] | None, analysis: Analysis) -> list[Message]:
    """A note when entries of the ``splits`` parameter name no experiment (a typo leaves a split undeclared).

    The note counts the entries and names the experiments the data hold, not the entries themselves: a default
    written for other data would otherwise put experiments that do not exist into the report.
    """
    unmatched = unmatched_splits(splits, list(analysis.controls))
    if not unmatched:
        return []
    return [Message("splits_unmatched", {"n": len(unmatched), "names": tuple(analysis.controls)}, "note")]


def srm_findings(srm: pd.DataFrame) -> list[Message]:
    """One finding per broken split, then one that the others (or all) split as planned."""
    found = [
        Message("srm_mismatch", {"experiment": r.experiment_id, "expected": split_text(r.expected_split),
                                 "observed": split_text(r.observed_share), "chi2": f"{r.chi2:.1f}",
                                 "p": p_value(r.p_value, missing="")})
        for r in srm[srm["mismatch"]].itertuples()]
    return [*found, Message("srm_all_ok" if found else "srm_none")]


def results_summary(tests: pd.DataFrame, broken: set[str], alpha: float, correction: str,
                    t: Translator) -> list[Message]:
    """How many conversion comparisons of the tests with a sound split show a change, then how p is corrected.

    Returns
    -------
    list of Message
        ``results_summary`` (comparisons that show a change by the decision rule's reading of a comparison),
        then ``correction_families``: which families the correction runs within, and which correction.
    """
    n_sig, n = significant_in_sound_tests(tests, broken, alpha)
    name = t(f"correction_{correction}")
    return [Message("results_summary", {"correction": name, "n_sig": n_sig, "n": n, "alpha": f"{alpha:g}"}),
            Message("correction_families", {"correction": name})]


def excluded_notes(analysis: Analysis) -> list[Message]:
    """A note per experiment with units left out for lacking a recorded conversion."""
    return [Message("excluded_units", {"experiment": e, "n": f"{n:,}"}, "note") for e, n in analysis.excluded.items()]


def tests_caption(alpha: float, correction: str, t: Translator) -> str:
    """The caption of the comparisons table: interval level and correction."""
    return t("cap_tests", level=level_of(alpha), correction=t(f"correction_{correction}"))


def effective_sample_factor(variance_reduction: float) -> float:
    """How many times the units a test without CUPED would need for the same precision."""
    return math.inf if variance_reduction >= 1 else 1 / (1 - variance_reduction)


def cuped_findings(cuped: pd.DataFrame, broken: set[str]) -> list[Message]:
    """Per comparison of a sound test: how much variance CUPED removed and how the interval narrowed."""
    found: list[Message] = []
    for r in cuped[~cuped["experiment_id"].isin(broken)].itertuples():
        if r.variance_reduction < CUPED_NO_GAIN:
            found.append(Message("cuped_no_gain", {"experiment": r.experiment_id,
                                                   "reduction": percent(r.variance_reduction, 1, missing="")}))
            continue
        found.append(Message("cuped_finding", {
            "experiment": r.experiment_id, "variant": r.variant,
            "reduction": percent(r.variance_reduction, 0, missing=""),
            "factor": f"{effective_sample_factor(r.variance_reduction):.1f}",
            "raw_ci": interval_text(r.raw_ci_low, r.raw_ci_high),
            "cuped_ci": interval_text(r.cuped_ci_low, r.cuped_ci_high)}))
    return found


def peeking_summary(looks: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per experiment and variant (conversion): days at which the classic p-value was below ``alpha``.

    Returns
    -------
    pandas.DataFrame
        experiment_id, variant, days (looks), days_below (classic p < alpha), p_classic_final,
        p_sequential_final, first_day_sequential (first look with the always-valid p < alpha, or None).
    """
    conv = looks[looks["metric"] == "conversion"]
    rows = []
    for (exp, var), g in conv.groupby(["experiment_id", "variant"], sort=True):
        below = g["p_sequential"] < alpha
        rows.append({"experiment_id": exp, "variant": var, "days": len(g),
                     "days_below": int((g["p_classic"] < alpha).sum()),
                     "p_classic_final": float(g["p_classic"].iloc[-1]),
                     "p_sequential_final": float(g["p_sequential"].iloc[-1]),
                     "first_day_sequential": int(below.to_numpy().argmax()) + 1 if below.any() else None})
    return pd.DataFrame(rows)


def peeking_findings(looks: pd.DataFrame, broken: set[str], alpha: float) -> list[Message]:
    """Per conversion comparison of a sound test: days a daily reader saw p < alpha, and when it was safe."""
    found: list[Message] = []
    for r in peeking_summary(looks, alpha).itertuples():
        if r.experiment_id in broken:
            continue
        crossed = r.first_day_sequential is not None and not math.isnan(r.first_day_sequential)
        found.append(Message("peek_finding_crossed" if crossed else "peek_finding", {
            "experiment": r.experiment_id, "variant": r.variant, "alpha": f"{alpha:g}",
            "days_below": r.days_below, "days": r.days, "p_seq": p_value(r.p_sequential_final, missing=""),
            "day": int(r.first_day_sequential) if crossed else 0}))
    return found


def segments_caution(segments: pd.DataFrame, alpha: float) -> Message:
    """The warning under the segments: slices compared, slices still significant after adjustment."""
    return Message("segments_caution", {"k": len(segments), "n_sig": int((segments["p_adjusted"] < alpha).sum())})


def segments_caption(column: str, correction: str, t: Translator) -> str:
    """The caption of the segments table."""
    return t("cap_segments", column=column, correction=t(f"correction_{correction}"))


def verdict_message(verdict: pd.Series, tests: pd.DataFrame, srm: pd.DataFrame, t: Translator, mde: float,
                    alpha: float) -> Message:
    """One experiment's verdict in plain words.

    Returns
    -------
    Message
        Key ``verdict_<verdict>_<reason>`` and its values.
    """
    exp = verdict["experiment_id"]
    conv = tests[(tests["experiment_id"] == exp) & (tests["metric"] == "conversion")]
    values: dict[str, object] = {"experiment": exp, "mde": mde_text(mde, t), "level": level_of(alpha)}
    reason = verdict["reason"]
    if reason == "srm":
        values["p"] = p_value(srm.set_index("experiment_id").loc[exp, "p_value"], missing="")
    elif reason == "winner":
        r = conv[conv["variant"] == verdict["variant"]].iloc[0]
        diff, ci = diff_text(r, t)
        values |= {"variant": r["variant"], "control_rate": percent(r["control_rate"], 2, missing=""),
                   "variant_rate": percent(r["variant_rate"], 2, missing=""), "diff": diff, "ci": ci,
                   "prob": probability(r["prob_beat_control"], 1, missing="")}
    elif reason == "harm":
        values["variants"] = ", ".join(conv["variant"])
    elif reason in ("underpowered", "too_few_units"):
        values |= {"n_have": f"{int(verdict['n_smallest_arm']):,}", "n_min": decision.MIN_UNITS_PER_ARM}
        return Message(f"verdict_{verdict['verdict']}_{reason}{_pace_suffix(verdict, reason, values)}", values)
    return Message(f"verdict_{verdict['verdict']}_{reason}", values)


def _pace_suffix(verdict: pd.Series, reason: str, values: dict[str, object]) -> str:
    """Add the units needed and the days to reach them to ``values`` where known; the key suffix saying which.

    Without assignment times the experiment's pace is unknown (``_no_pace``); at a control rate of 0 or 1 no
    size fits (``_no_size``, of a test still running). Nothing unknown is put into a sentence.
    """
    if reason == "underpowered":
        if pd.isna(verdict["n_needed"]):
            return "_no_size"
        values["n_needed"] = f"{int(verdict['n_needed']):,}"
    if pd.isna(verdict["days_more"]):
        return "_no_pace"
    values["days"] = int(verdict["days_more"])
    return ""


def verdict_findings(analysis: Analysis, t: Translator, mde: float, alpha: float) -> list[Message]:
    """The verdict of every experiment, in the order of the verdicts table."""
    return [verdict_message(v, analysis.tests, analysis.srm, t, mde, alpha) for _, v in analysis.verdicts.iterrows()]


def plan_finding(plan: Mapping[str, object], inputs: Mapping[str, object], target_power: float, alpha: float,
                 arms: int, t: Translator) -> Message:
    """The size of the next test, in units per variant and, when the daily traffic is known, in days."""
    values = {"mde": mde_text(plan["mde"], t), "baseline": percent(inputs["baseline_rate"], 2, missing=""),
              "power": percent(target_power, 0, missing=""), "alpha": f"{alpha:g}",
              "n": f"{plan['n_per_variant']:,}", "days": plan["days_needed"],
              "traffic": f"{inputs['daily_traffic'] or 0.0:,.0f}", "arms": arms}
    return Message("plan_finding" if plan["days_needed"] else "plan_no_traffic", values)


def plan_alpha_notes(alpha: float, arms: int) -> list[Message]:
    """With more than two arms, a note that each comparison was sized at its share of ``alpha``."""
    if arms <= 2:
        return []
    return [Message("plan_alpha_shared", {"arms": arms, "k": arms - 1, "alpha": f"{alpha:g}",
                                          "alpha_each": f"{family_alpha(alpha, arms - 1):.3g}"}, "note")]


def plan_sources(inputs: Mapping[str, object], t: Translator) -> Message:
    """The note saying where the baseline rate and the daily traffic of the plan come from (or that it is unknown)."""
    return Message("plan_sources", {"baseline_source": t(f"source_{inputs['baseline_source']}_rate"),
                                    "traffic_source": t(f"source_{inputs['traffic_source']}_traffic")}, "note")


def plan_gap(plan: Mapping[str, object], inputs: Mapping[str, object]) -> Message | None:
    """Why the next test cannot be sized, as the skip message of the planning section; None when it can.

    No size without a baseline rate (no comparison with control in the data and no ``baseline_rate`` given),
    nor when a change of ``mde`` fits neither above nor below the baseline (a rate of 0 or 1, or ``mde`` as
    large as the rate allows).
    """
    if plan["n_per_variant"] is not None:
        return None
    if inputs["baseline_rate"] is None:
        return Message("plan_no_baseline", kind="skip")
    return Message("plan_no_room", {"baseline": percent(inputs["baseline_rate"], 2, missing=""),
                                    "mde": f"{plan['mde']:g}"}, "skip")


def headlines(analysis: Analysis, t: Translator) -> list[tuple[str, object]]:
    """The chapter's headline figures: experiments analysed, variants ready to ship, broken splits.

    Without any comparison (no experiment has a variant), only the count: no split was checked, nothing judged.
    """
    if analysis.tests.empty:
        return [(t("headline_experiments"), len(analysis.controls))]
    ship = analysis.verdicts[analysis.verdicts["verdict"] == "ship"]
    return [(t("headline_experiments"), len(analysis.controls)),
            (t("headline_ship"), ", ".join(f"{r.experiment_id}: {r.variant}" for r in ship.itertuples()) or "0"),
            (t("headline_srm"), ", ".join(sorted(broken_splits(analysis.srm))) or "0")]
