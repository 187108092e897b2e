"""What the reader of chapter 04 sees: tables, findings, decisions, recommendations, results and headlines.

``socialops.churn.analysis`` returns numbers. The functions here turn them into tables with translated headers,
into the messages to show (:class:`~socialops.report.findings.Message` objects, for ``Report.tell``), into the
entries of CHAPTER.json and into the headline figures. Every threshold of a decision lives in one named rule below.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from socialops.report.findings import Message
from socialops.report.format import (
    DASH,
    count,
    estimate,
    money,
    number,
    p_compared,
    p_value,
    percent,
    signed,
    span,
)
from socialops.report.i18n import Translator
from socialops.report.metrics import MetricLabel, metric
from socialops.stats import decision
from socialops.stats.rfm import TIERS

if TYPE_CHECKING:
    from socialops.churn.analysis import HoldoutCheck
    from socialops.stats.bgnbd import BGNBDFit
    from socialops.stats.clv import GammaGammaFit
    from socialops.stats.survival import CoxResult

#: Significance level of the tests read in this chapter (log-rank, proportional hazards, win-back uplift).
ALPHA = 0.05
#: The purchase model passes the holdout check when its prediction is within this share of the actual purchases.
HOLDOUT_TOLERANCE = 0.15
#: Optional column of the events table behind each survival segment.
SEGMENT_COLUMNS = {"platform": "platform", "referred": "referrer_id"}
#: Segment whose curves describe rather than predict (the tier includes recency, part of the churn rule).
DESCRIPTIVE_SEGMENT = "tier"
#: The sections of the chapter that missing data can leave out, in report order, as the results' ``skipped``
#: names them.
SECTIONS = ("customers", "survival", "platform_split", "referral_split", "drivers", "purchase_model", "holdout",
            "value", "win_back_list", "winback_test", "winback_economics")
#: Optional column of the events table behind each split of the survival curves, by section.
SPLIT_COLUMNS = {"platform_split": "platform", "referral_split": "referrer_id"}


def skipped_sections(columns: Iterable[str], customers: pd.DataFrame) -> dict[str, Message]:
    """The sections the events cannot support, each with the skip message that replaces it (what to add).

    Parameters
    ----------
    columns : iterable of str
        Columns of the events table.
    customers : pandas.DataFrame
        The customers, one row each or counted (:func:`socialops.churn.customers.survival_inputs`): only whether
        there are any is read.

    Returns
    -------
    dict
        Section (one of :data:`SECTIONS`) to its skip :class:`Message`. Without a customer (no purchase by the end
        of the window), every section but the win-back test; otherwise the survival splits whose column is absent
        and, without ``amount``, customer value. Sections that thin data or a model leave out are added later
        (:func:`drivers_gap`, :func:`value_gap`, :func:`winback_gap`, :func:`economics_gap`).
    """
    if customers.empty:
        gone = Message("no_customers", kind="skip")
        return dict.fromkeys([s for s in SECTIONS if not s.startswith("winback")], gone)
    present = set(columns)
    reasons = {section: Message("column_absent", {"column": column, "table": "events"}, "skip")
               for section, column in SPLIT_COLUMNS.items() if column not in present}
    if "amount" not in present:
        reasons["value"] = Message("add_amount_value", kind="skip")
    return reasons


def skipped_record(skipped: dict[str, Message], t: Translator) -> list[dict[str, str]]:
    """The results' ``skipped``: one {section, reason} per section left out, in report order and language."""
    return [{"section": section, "reason": t(skipped[section].key, **skipped[section].values)}
            for section in SECTIONS if section in skipped]


def value_measure(columns: Iterable[str]) -> str:
    """What "valuable" is measured by: spend to date, or the number of purchases for events without amounts."""
    return "total_spend" if "amount" in set(columns) else "purchases"


# ---------------------------------------------------------------- customers


def _weight(customers: pd.DataFrame) -> pd.Series:
    """Customers each row stands for: the ``weight`` of rows counted on the engine, else one per row."""
    if "weight" in customers.columns:
        return customers["weight"]
    return pd.Series(1, index=customers.index, dtype="int64")


def customers_finding(customers: pd.DataFrame, churn_days: int) -> Message:
    """How many customers the chapter covers and how many of them have churned.

    `customers` has ``churned``: one row per customer, or counted rows with their ``weight``.
    """
    w = _weight(customers)
    n, churned = int(w.sum()), int((w * customers["churned"]).sum())
    return Message("say_customers", {"customers": n, "churned": churned, "share": percent(churned / n),
                                     "days": churn_days})


def customers_headline(customers: pd.DataFrame, t: Translator) -> tuple[str, str]:
    """Headline label and value: the number of customers (rows, or their ``weight``)."""
    return t.col("customers"), number(int(_weight(customers).sum()))


# ---------------------------------------------------------------- survival


def median_reached(median: dict) -> bool:
    """Whether half of the customers have churned, so that the median lifetime is known."""
    return median["median"] is not None


def median_stated(median: dict) -> bool:
    """Whether the median lifetime can be said as "half stay active for N days": known and above 0."""
    return median_reached(median) and median["median"] > 0


def survival_finding(overall: dict, at_days: int) -> Message:
    """The median lifetime with its interval, or the share still active at `at_days` when it is not reached.

    Evidence rule: a median lifetime is stated only when more than half of the customers have churned and it
    is above 0 days. A median of 0 (half of the customers never active after their first purchase day) is said
    as that share, with the curve read at `at_days`.

    Parameters
    ----------
    overall : dict
        The output of :func:`socialops.churn.analysis.overall_survival`.
    at_days : int
        The day the curve was read at.

    Returns
    -------
    Message
    """
    median, at = overall["median"], overall["at"]
    if median_reached(median) and median["median"] == 0:
        return Message("say_median_zero", {"share": percent(overall["churned_at_start"]), "at": at_days,
                                           "survival": percent(at["survival"]), "low": percent(at["ci_low"]),
                                           "high": percent(at["ci_high"])})
    if median_reached(median):
        return Message("say_median", {"median": number(median["median"]), "low": number(median["ci_low"]),
                                      "high": number(median["ci_high"]), "at": at_days,
                                      "survival": percent(at["survival"])})
    return Message("say_median_not_reached", {"at": at_days, "survival": percent(at["survival"]),
                                              "low": percent(at["ci_low"]), "high": percent(at["ci_high"])})


def survival_headline(overall: dict, at_days: int, t: Translator) -> tuple[str, str]:
    """Headline label and value: the share of customers still active `at_days` after their first purchase."""
    return t.col("survival_at", days=at_days), percent(overall["at"]["survival"])


def survival_segments(columns: Iterable[str]) -> list[str]:
    """The segments to split survival by: platform and referral where their column is present, then the RFM tier.

    The splits left out are in :func:`skipped_sections`, with what to add.
    """
    present = set(columns)
    return [*(segment for segment, column in SEGMENT_COLUMNS.items() if column in present), DESCRIPTIVE_SEGMENT]


def charted(segment: str) -> bool:
    """Whether a segment's survival curves get a chart (the descriptive tier gets only its table rows)."""
    return segment != DESCRIPTIVE_SEGMENT


def curves_differ(logrank: dict) -> bool:
    """Whether the log-rank test finds the curves of a split different (p below :data:`ALPHA`)."""
    return logrank["p_value"] < ALPHA


def group_order(segment: str, medians: pd.DataFrame) -> list[str]:
    """The groups of a split in reading order: tiers from high to low value, other groups as they come."""
    if segment == "tier":
        return [tier for tier in TIERS if tier in medians.index]
    return list(medians.index)


def segment_findings(segment: str, split: dict, at_days: int, t: Translator) -> list[Message]:
    """What a split by `segment` says: which group keeps its customers best and worst, or that none differs.

    Parameters
    ----------
    segment : str
        The segment column.
    split : dict
        The output of :func:`socialops.churn.analysis.survival_by_segment`.
    at_days : int
        The day the curves were read at.
    t : Translator
        The report's translator.

    Returns
    -------
    list of Message
        The finding, then a note counting the customers left out for want of a value of `segment`, if any.
    """
    found = [_split_finding(segment, split, at_days, t)]
    if split["excluded"]:
        found.append(Message("note_segment_excluded", {"n": split["excluded"], "segment": t(f"segment_{segment}")},
                             "note"))
    return found


def _split_finding(segment: str, split: dict, at_days: int, t: Translator) -> Message:
    if not charted(segment):
        return Message("note_tier_leak", kind="note")
    med = split["medians"]
    name = t(f"segment_{segment}")
    if not curves_differ(split["logrank"]):
        return Message("say_segment_same", {"segment": name})
    best, worst = med["survival_at"].idxmax(), med["survival_at"].idxmin()
    return Message("say_segment_differs", {
        "segment": name, "best": t.label(segment, best), "worst": t.label(segment, worst),
        "at": at_days, "best_share": percent(med.loc[best, "survival_at"]),
        "worst_share": percent(med.loc[worst, "survival_at"])})


def survival_table(splits: dict[str, dict], at_days: int, t: Translator) -> pd.DataFrame:
    """One row per group of every split: customers, churned, median lifetime and survival at `at_days`.

    The log-rank tests behind the verdicts are in :func:`logrank_table`, for the Methods appendix.
    """
    rows = []
    for segment, split in splits.items():
        med = split["medians"]
        for group in group_order(segment, med):
            row = med.loc[group]
            rows.append({
                t.col("segment"): t("segment_group", segment=t(f"segment_{segment}"), group=t.label(segment, group)),
                t.col("customers"): int(row["n"]), t.col("churned"): int(row["events"]),
                t.col("median_days"): number(row["median"]), t.col("median_ci"): span(row["ci_low"], row["ci_high"]),
                t.col("survival_at", days=at_days): percent(row["survival_at"]),
                t.col("survival_ci"): span(row["survival_ci_low"], row["survival_ci_high"], percent),
            })
    return pd.DataFrame(rows)


def logrank_table(splits: dict[str, dict], t: Translator) -> pd.DataFrame:
    """One row per split: the log-rank test of whether its groups' curves differ (chi-square, df, p-value)."""
    return pd.DataFrame([{
        t.col("split"): t(f"segment_{segment}"),
        t.col("chi2"): number(split["logrank"]["chi2"], 2),
        t.col("df"): int(split["logrank"]["df"]),
        t.col("logrank"): p_value(split["logrank"]["p_value"]),
    } for segment, split in splits.items()])


def _groups_result(segment: str, medians: pd.DataFrame) -> dict:
    return {group: {"customers": int(medians.loc[group, "n"]), "churned": int(medians.loc[group, "events"]),
                    "median_days": medians.loc[group, "median"],
                    "median_ci": [medians.loc[group, "ci_low"], medians.loc[group, "ci_high"]],
                    "survival_at": medians.loc[group, "survival_at"],
                    "survival_ci": [medians.loc[group, "survival_ci_low"], medians.loc[group, "survival_ci_high"]]}
            for group in group_order(segment, medians)}


def survival_result(overall: dict, splits: dict[str, dict], at_days: int) -> dict:
    """The ``survival`` entry of CHAPTER.json: the overall curve's median and reading, and every split.

    Parameters
    ----------
    overall : dict
        The output of :func:`socialops.churn.analysis.overall_survival`.
    splits : dict
        Segment → the output of :func:`socialops.churn.analysis.survival_by_segment`.
    at_days : int
        The day the curves were read at.

    Returns
    -------
    dict
        Per split, ``excluded`` counts the customers without a value of the segment (in no group, not tested).
    """
    median, at = overall["median"], overall["at"]
    return {
        "median_days": median["median"], "median_ci": [median["ci_low"], median["ci_high"]], "at_days": at_days,
        "survival_at": at["survival"], "survival_ci": [at["ci_low"], at["ci_high"]],
        "by_segment": {segment: {"logrank_chi2": split["logrank"]["chi2"], "logrank_p": split["logrank"]["p_value"],
                                 "excluded": split["excluded"], "groups": _groups_result(segment, split["medians"])}
                       for segment, split in splits.items()},
    }


# ---------------------------------------------------------------- early signs (Cox)


#: The column of the events table each first-30-day behaviour needs, beyond the required ones.
DRIVER_COLUMNS = {"referred": "referrer_id", "log_spend_first": "amount"}


def driver_features(columns: Iterable[str]) -> list[str]:
    """The first-30-day behaviours the events can give, in the order of the Cox model's features.

    No referral without ``referrer_id``, no spend without ``amount``.
    """
    from socialops.churn.analysis import DRIVER_FEATURES

    present = set(columns)
    return [f for f in DRIVER_FEATURES if DRIVER_COLUMNS.get(f, "user_id") in present]


def drivers_gap(sample: dict[str, int], needed: int) -> Message:
    """Why the early signs are left out: too few customers churned among those observed for 30 days.

    Evidence rule: hazard ratios are estimated only from at least ``needed`` churned customers
    (:data:`~socialops.churn.analysis.MIN_COX_EVENTS`) among those observed for the whole early window.
    """
    return Message("drivers_too_few", {"customers": sample["customers"], "churned": sample["churned"],
                                       "needed": needed}, "skip")


def drivers(cox: CoxResult) -> pd.DataFrame:
    """The hazard ratios with the p-value of each feature's proportional-hazards check (``ph_p_value``)."""
    return cox.hazard_ratios.join(cox.ph_test["p_value"].rename("ph_p_value"))


def clear_effects(hazard_ratios: pd.DataFrame) -> pd.Series:
    """Whether each feature's hazard-ratio interval lies wholly below or wholly above 1."""
    return (hazard_ratios["ci_high"] < 1) | (hazard_ratios["ci_low"] > 1)


def drivers_table(cox: CoxResult, t: Translator, *, tests: bool = False) -> pd.DataFrame:
    """One row per first-30-day behaviour: hazard ratio and interval.

    With `tests`, the p-value and the proportional-hazards check too: the Methods appendix's version.
    """
    hr = drivers(cox)
    table = pd.DataFrame({
        t.col("feature"): [t.label("feature", f) for f in hr.index],
        t.col("hazard_ratio"): [number(v, 2) for v in hr["hazard_ratio"]],
        t.col("hr_ci"): [span(lo, hi, lambda v: number(v, 2)) for lo, hi in zip(hr["ci_low"], hr["ci_high"],
                                                                                 strict=True)],
    })
    if tests:
        table[t.col("p_value")] = [p_value(p) for p in hr["p_value"]]
        table[t.col("ph_p_value")] = [p_value(p) for p in hr["ph_p_value"]]
    return table


def _effect_findings(hr: pd.DataFrame, t: Translator) -> list[Message]:
    """A finding per behaviour with a clear effect, strongest evidence first; one saying none if there is none."""
    found = []
    for feature, row in hr[clear_effects(hr)].sort_values("p_value").iterrows():
        values = {"feature": t.label("feature", feature), "hr": number(row["hazard_ratio"], 2),
                  "low": number(row["ci_low"], 2), "high": number(row["ci_high"], 2)}
        if row["hazard_ratio"] < 1:
            found.append(Message("say_driver_protective", {"change": percent(1 - row["hazard_ratio"], 0), **values}))
        else:
            found.append(Message("say_driver_harmful", values))
    return found or [Message("say_driver_none")]


def driver_findings(cox: CoxResult, t: Translator) -> list[Message]:
    """What the Cox model says: its sample, the clear effects and what was left out.

    Its proportional-hazards check is told by :func:`driver_checks`, in the Methods appendix.

    Parameters
    ----------
    cox : CoxResult
        The output of :func:`socialops.churn.analysis.churn_drivers`.
    t : Translator
        The report's translator.

    Returns
    -------
    list of Message
    """
    messages = [Message("note_cox_sample", {"n": cox.n, "events": cox.events}, "note")]
    if cox.excluded:
        messages.append(Message("note_cox_excluded", {"n": cox.excluded}, "note"))
    messages += _effect_findings(drivers(cox), t)
    if cox.dropped:
        messages.append(Message("note_dropped", {"features": tuple(t.label("feature", f) for f in cox.dropped)},
                                "note"))
    return messages


def driver_checks(cox: CoxResult, t: Translator) -> Message:
    """Whether any behaviour's effect drifts over a customer's lifetime (the proportional-hazards check)."""
    hr = drivers(cox)
    drifting = [t.label("feature", f) for f in hr.index[hr["ph_p_value"] < ALPHA]]
    if drifting:
        return Message("note_ph_violated", {"features": tuple(drifting)}, "note")
    return Message("note_ph_ok", kind="note")


def cox_results(cox: CoxResult) -> dict:
    """The Cox entries of CHAPTER.json.

    ``cox``: per feature, the hazard ratio, its interval and both p-values; ``cox_excluded``: the customers left
    out of the model because a feature was missing.
    """
    return {"cox": {feature: {"hazard_ratio": row["hazard_ratio"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
                              "p_value": row["p_value"], "ph_p_value": row["ph_p_value"]}
                    for feature, row in drivers(cox).iterrows()},
            "cox_excluded": cox.excluded}


# ---------------------------------------------------------------- purchase models


def model_answers(bg: BGNBDFit, mbg: BGNBDFit, max_relative_error: float) -> bool:
    """Whether the purchase models can tell who has left: every parameter of both identified.

    Evidence rule: a parameter is identified when its estimate is inside the search, its standard error exists
    and its relative standard error is at most ``max_relative_error``; a model with any other parameter cannot
    answer, and the chapter names it as such and falls back on the churn rule.
    """
    return not bg.unidentified(max_relative_error) and not mbg.unidentified(max_relative_error)


def bgnbd_table(fit: BGNBDFit, t: Translator, max_relative_error: float | None = None) -> pd.DataFrame:
    """The BG/NBD parameters: what each means, its estimate and interval.

    Where the data cannot pin a parameter down (``max_relative_error`` given), the interval reads "not
    identified" instead of a span of orders of magnitude.
    """
    summary = fit.summary()
    loose = set(fit.unidentified(max_relative_error)) if max_relative_error is not None else set()
    return pd.DataFrame({
        t.col("parameter"): list(summary.index),
        t.col("meaning"): [t(f"param_{k}") for k in summary.index],
        t.col("estimate"): [number(v, 3) for v in summary["estimate"]],
        t.col("interval"): [t("not_identified") if k in loose else span(lo, hi, lambda v: number(v, 3))
                            for k, lo, hi in zip(summary.index, summary["ci_low"], summary["ci_high"], strict=True)],
    })


def bgnbd_findings(fit: BGNBDFit, time_unit: str, t: Translator, mbg: BGNBDFit | None = None,
                   max_relative_error: float | None = None) -> list[Message]:
    """The purchase model in words, and why the win-back list uses the modified model.

    The words say how often an active customer buys and how likely each repeat purchase is the last. When the
    models cannot answer (:func:`model_answers`, given ``mbg`` and ``max_relative_error``), they say so instead,
    naming the parameters and the rule, and that the win-back list follows the churn rule.
    """
    if mbg is not None and max_relative_error is not None and not model_answers(fit, mbg, max_relative_error):
        # the table shows BG/NBD: when only the modified model is loose, its parameters are named as its own
        loose = fit.unidentified(max_relative_error)
        key = "say_bgnbd_unidentified" if loose else "say_mbgnbd_unidentified"
        return [Message(key, {"params": tuple(loose or mbg.unidentified(max_relative_error)),
                              "limit": f"{max_relative_error:g}"})]
    p = fit.params
    return [Message("say_bgnbd", {"n": fit.n_customers, "every": number(p["alpha"] / p["r"], 1),
                                  "unit": t(f"unit_{time_unit}"), "dropout": percent(p["a"] / (p["a"] + p["b"]))}),
            Message("note_mbgnbd", kind="note")]


def fit_result(fit: BGNBDFit | GammaGammaFit) -> dict:
    """A fitted model's entry of CHAPTER.json: its parameters and log-likelihood."""
    return {**fit.params, "log_likelihood": fit.log_likelihood}


def bgnbd_result(fit: BGNBDFit, time_unit: str, max_relative_error: float | None = None) -> dict:
    """The ``bgnbd`` entry of CHAPTER.json: parameters, log-likelihood, time unit, customers and intervals.

    With ``max_relative_error``, also ``unidentified``: the parameters the data do not pin down (their interval
    is then null rather than a span of orders of magnitude).
    """
    summary = fit.summary()
    loose = fit.unidentified(max_relative_error) if max_relative_error is not None else []
    out = {**fit_result(fit), "time_unit": time_unit, "customers": fit.n_customers,
           "ci": {k: None if k in loose else [summary.loc[k, "ci_low"], summary.loc[k, "ci_high"]]
                  for k in summary.index}}
    return out | ({"unidentified": loose} if max_relative_error is not None else {})


def holdout_ran(check: HoldoutCheck | None) -> bool:
    """Whether the holdout check was on and had customers enough to fit the model."""
    return check is not None and check.by_frequency is not None


def holdout_fits(check: HoldoutCheck) -> bool:
    """Whether the model's predicted purchase days are within :data:`HOLDOUT_TOLERANCE` of the actual ones."""
    return abs(check.relative_error) <= HOLDOUT_TOLERANCE


def holdout_gap(check: HoldoutCheck | None) -> dict[str, Message]:
    """Why the holdout check is left out, as ``{"holdout": skip message}``; empty when it ran or is off.

    A holdout window that reaches back to the first purchase or beyond leaves nothing to fit the model on: the
    message names the window, the first purchase and the longest ``holdout_days`` that leaves data to fit.
    Otherwise too few customers bought before the window.
    """
    if check is None or holdout_ran(check):
        return {}
    cut, first = check.calibration_end, check.first_purchase
    if first is None or cut <= first:
        as_of = cut + pd.Timedelta(days=check.holdout_days)
        values = {"days": check.holdout_days, "cut": f"{cut:%Y-%m-%d}",
                  "start": DASH if first is None else f"{first:%Y-%m-%d}",
                  "longest": 0 if first is None else max((as_of - first).days - 1, 0)}
        return {"holdout": Message("skip_holdout_before_data", values, "skip")}
    return {"holdout": Message("skip_holdout_few_customers", {"n": check.customers, "cut": f"{cut:%Y-%m-%d}",
                                                              "min": check.min_customers}, "skip")}


def holdout_findings(check: HoldoutCheck | None) -> list[Message]:
    """What the holdout check says: predicted against actual purchase days, or why it did not run.

    Parameters
    ----------
    check : HoldoutCheck or None
        The output of :func:`socialops.churn.analysis.holdout_check` (None: the check is off).

    Returns
    -------
    list of Message
    """
    if check is None:
        return [Message("note_no_holdout", kind="note")]
    if not holdout_ran(check):
        return list(holdout_gap(check).values())
    cut = f"{check.calibration_end:%Y-%m-%d}"
    return [Message("say_holdout", {"cut": cut, "days": check.holdout_days, "predicted": number(check.predicted),
                                    "actual": number(check.actual),
                                    "gap": signed(check.relative_error, 1, 100, "%", missing=DASH)})]


def holdout_result(check: HoldoutCheck) -> dict:
    """The ``holdout`` entry of CHAPTER.json (for a check that ran)."""
    return {"holdout_days": check.holdout_days, "calibration_end": check.calibration_end.isoformat(),
            "actual_purchase_days": check.actual, "predicted_purchase_days": check.predicted,
            "relative_error": check.relative_error}


# ---------------------------------------------------------------- customer value


def gamma_gamma_table(fit: GammaGammaFit, t: Translator) -> pd.DataFrame:
    """The Gamma–Gamma parameters: what each means and its estimate."""
    return pd.DataFrame({t.col("parameter"): list(fit.params), t.col("meaning"): [t(f"param_{k}") for k in fit.params],
                         t.col("estimate"): [number(v, 3) for v in fit.params.values()]})


def value_gap(spend_model: GammaGammaFit | None, answers: bool) -> dict[str, Message]:
    """Why customer value is left out, as ``{"value": skip message}``; empty when it is estimated.

    No value without a purchase model that can tell who has left (the value of a customer is their expected
    purchases, which rest on it), nor without a spend model (too few repeat buyers with an amount).
    """
    if not answers:
        return {"value": Message("value_needs_model", kind="skip")}
    if spend_model is None:
        return {"value": Message("note_no_spend_model", kind="skip")}
    return {}


def value_findings(scored: pd.DataFrame, spend_model: GammaGammaFit | None, clv_days: int,
                   currency: str) -> list[Message]:
    """The customers' total value and the share of it the top tenth carries, or why value is left out.

    Parameters
    ----------
    scored : pandas.DataFrame
        The output of :func:`socialops.churn.analysis.score_customers`: one row per customer, or counted rows with
        their ``weight``.
    spend_model : GammaGammaFit or None
        The spend model (None when too few repeat buyers to fit it).
    clv_days : int
        Horizon of the customer value.
    currency : str
        ISO 4217 code of the amounts.

    Returns
    -------
    list of Message
    """
    if spend_model is None:
        return [Message("note_no_spend_model", kind="note")]
    w = _weight(scored)
    total = (scored["clv"] * w).sum()
    # the top tenth of the customers: whole rows from the highest value down, and part of the row it ends in
    ranked = pd.DataFrame({"clv": scored["clv"], "w": w}).sort_values("clv", ascending=False, kind="stable")
    before = ranked["w"].cumsum() - ranked["w"]
    top = (ranked["clv"] * np.clip(max(1, int(w.sum()) // 10) - before, 0, ranked["w"])).sum()
    return [Message("say_value", {"label": MetricLabel("customer_value_total", clv_days),
                                  "total": metric("customer_value_total").text(total, currency=currency),
                                  "top_share": percent(top / total if total else float("nan"))})]


def value_results(scored: pd.DataFrame, spend_model: GammaGammaFit | None, currency: str) -> dict:
    """The ``gamma_gamma``, ``clv_total`` and ``currency`` entries of CHAPTER.json; none without a spend model."""
    if spend_model is None:
        return {}
    return {"gamma_gamma": fit_result(spend_model), "clv_total": (scored["clv"] * _weight(scored)).sum(),
            "currency": currency}


def value_by_tier_table(scored: pd.DataFrame, horizon_days: int, t: Translator, currency: str) -> pd.DataFrame:
    """Per RFM tier: customers, mean P(alive), mean expected purchases, mean and total customer value (`currency`).

    `scored` is one row per customer, or counted rows with their ``weight`` (the means weigh each row by it).
    """
    w = _weight(scored)
    sums = pd.DataFrame({"tier": scored["tier"], "customers": w, "p_alive": scored["p_alive"] * w,
                         "expected": scored["expected_purchases"] * w, "clv_total": scored["clv"] * w},
                        ).groupby("tier").sum(min_count=1)
    by_tier = sums.assign(p_alive=sums["p_alive"] / sums["customers"], expected=sums["expected"] / sums["customers"],
                          clv=sums["clv_total"] / sums["customers"], customers=sums["customers"].astype(int),
                          ).reindex([tier for tier in TIERS if tier in set(scored["tier"])])
    return pd.DataFrame({
        t.col("tier"): [t.label("tier", tier) for tier in by_tier.index],
        t.col("customers"): by_tier["customers"].tolist(),
        t.col("mean_p_alive"): [percent(v) for v in by_tier["p_alive"]],
        t.col("expected", days=horizon_days): [number(v, 2) for v in by_tier["expected"]],
        t.col("mean_clv"): [money(v, currency) for v in by_tier["clv"]],
        t.col("total_clv"): [money(v, currency, 0) for v in by_tier["clv_total"]],
    })


# ---------------------------------------------------------------- win-back list


def at_risk_finding(at_risk: pd.DataFrame, value_quantile: float, p_alive_below: float, *,
                    value: str = "total_spend", churn_days: int | None = None) -> Message:
    """How many valuable customers are probably gone, and what they spent.

    Parameters
    ----------
    at_risk : pandas.DataFrame
        The win-back list.
    value_quantile, p_alive_below : float
        The thresholds of the list.
    value : str
        What "valuable" was measured by: ``total_spend`` or ``purchases``.
    churn_days : int, optional
        Given when the list follows the churn rule (the purchase model could not answer): the sentence then
        says so, with the rule, instead of a probability threshold.
    """
    values = {"n": len(at_risk), "top": percent(1 - value_quantile, 0), "threshold": percent(p_alive_below, 0),
              "spend": number(at_risk["total_spend"].sum())}
    rule = "" if churn_days is None else "_rule"
    if churn_days is not None:
        values["days"] = churn_days
    measure = "" if value == "total_spend" else "_purchases"
    return Message(f"say_at_risk{rule}{measure}", values)


def at_risk_headline(at_risk: pd.DataFrame, t: Translator) -> tuple[str, str]:
    """Headline label and value: the length of the win-back list."""
    return t("chart_alive_risk"), number(len(at_risk))


def win_back_table(at_risk: pd.DataFrame, t: Translator, currency: str, *, horizon_days: int,
                   clv_days: int) -> pd.DataFrame:
    """The win-back list under translated headers, numbers rounded for reading and for a CRM import.

    Parameters
    ----------
    at_risk : pandas.DataFrame
        The output of :func:`socialops.churn.analysis.at_risk_customers`. Mask it before for a client: under its
        translated header the ``user_id`` column is no longer recognised by the report's masking.
    t : Translator
        The report's translator.
    horizon_days, clv_days : int
        Horizons of the expected purchases and of the customer value (they appear in the headers).
    currency : str
        ISO 4217 code of the amounts, named in their headers (the cells stay numbers for the CRM export).

    Returns
    -------
    pandas.DataFrame
    """
    table = pd.DataFrame({
        t.col("user"): at_risk["user_id"], t.col("tier"): [t.label("tier", tier) for tier in at_risk["tier"]],
        t.col("purchases"): at_risk["purchases"],
        _in(t, t.col("total_spend"), currency): at_risk["total_spend"].round(2),
        t.col("days_since"): at_risk["days_since_purchase"].round(0).astype(int),
        t.col("p_alive"): at_risk["p_alive"].round(3),
        t.col("expected", days=horizon_days): at_risk["expected_purchases"].round(3),
        _in(t, t.col("clv", days=clv_days), currency): at_risk["clv"].round(2),
        _in(t, t.col("value_at_risk"), currency): at_risk["value_at_risk"].round(2),
    })
    # a list made by the churn rule has no model columns: they are left out rather than shown empty
    model = [t.col("p_alive"), t.col("expected", days=horizon_days), _in(t, t.col("clv", days=clv_days), currency)]
    return table.drop(columns=[c for c in model if at_risk.empty or table[c].isna().all()])


def _in(t: Translator, header: str, currency: str) -> str:
    """A column header of amounts with their currency: ``"Value at risk (CNY)"``."""
    return t("col_in_currency", column=header, currency=currency)


def export_notes(exported: bool, audience: str) -> list[Message]:
    """Where the full list is: exported for the CRM, or (for clients) masked, with the analyst edition."""
    if exported:
        return [Message("note_export", kind="note")]
    return [Message("note_masked", kind="note")] if audience == "client" else []


# ---------------------------------------------------------------- win-back test


def winback_gap(arms: dict[str, list[str]] | None, name: str, control: str) -> Message:
    """Why there is no win-back test to read, naming the parameter to set and what the data hold.

    Parameters
    ----------
    arms : dict or None
        The output of :func:`socialops.churn.analysis.winback_arms`; None without an experiment table.
    name, control : str
        The ``winback_experiment`` and ``winback_control`` parameters (never repeated: a default written for other
        data would name a test that does not exist).
    """
    if arms is None:
        return Message("winback_no_table", kind="skip")
    if name not in arms["experiments"]:
        return Message("winback_not_found", {"names": ", ".join(arms["experiments"])}, "skip")
    if control not in arms["variants"]:
        return Message("winback_no_control", {"variants": ", ".join(arms["variants"])}, "skip")
    return Message("winback_no_outcomes", kind="skip")


def economics_gap(effect: dict, value_per_comeback: float | None) -> Message | None:
    """Why the offer's economics are left out, or None when they are shown.

    Evidence rule: money is counted only where the uplift could be judged (each arm holds at least
    :data:`~socialops.stats.decision.MIN_UNITS_PER_ARM` customers) and something values a comeback (the test's
    ``value``, or the purchases' ``amount``).
    """
    if effect["verdict"] == decision.TOO_FEW_UNITS:
        return Message("economics_too_few", {"n_min": decision.MIN_UNITS_PER_ARM}, "skip")
    if value_per_comeback is None:
        return Message("economics_no_value", kind="skip")
    return None


def winback_significant(effect: dict) -> bool:
    """Whether the offer clearly raised comebacks: the decision rule's verdict on the uplift is to ship it.

    The verdict (:func:`socialops.stats.decision.decide`, computed by
    :func:`socialops.churn.analysis.winback_effect`) needs p below :data:`ALPHA`, an interval above zero
    and enough customers in each arm; chapter 03 reads the same test by the same rule.
    """
    return effect["verdict"] == decision.SHIP


def winback_test_table(effect: dict, t: Translator) -> pd.DataFrame:
    """Customers, comebacks and comeback rate of the holdout and the treated arm."""
    return pd.DataFrame({
        t.col("arm"): [t("arm_holdout"), t("arm_treated")],
        t.col("units"): [effect["n_holdout"], effect["n_treated"]],
        t.col("comebacks"): [effect["comebacks_holdout"], effect["comebacks_treated"]],
        t.col("rate"): [percent(effect["holdout_rate"]), percent(effect["treated_rate"])],
    })


def comeback_value_notes(effect: dict, value: float, currency: str) -> list[Message]:
    """A note when a comeback is valued at the mean spend per purchase day, the test carrying no values."""
    if effect["value_per_comeback"] is not None:
        return []
    return [Message("note_value_fallback", {"value": money(value, currency)}, "note")]


def winback_finding(effect: dict, name: str) -> list[Message]:
    """The verdict on the uplift, then the comeback rates of both arms and the uplift with its interval and p.

    The uplift is a difference of two rates: it is told in percentage points, to the digit its interval supports.

    Returns
    -------
    list of Message
        ``winback_verdict_<reason>`` (with the arm sizes when there are too few customers to judge), then
        ``say_winback``, then a note of the customers left out for lacking an outcome, if any.
    """
    uplift, low, high = estimate(effect["uplift"], effect["ci_low"], effect["ci_high"], "points")
    found = [Message(f"winback_verdict_{effect['reason']}", {
        "name": name, "n_holdout": effect["n_holdout"], "n_treated": effect["n_treated"],
        "n_min": decision.MIN_UNITS_PER_ARM, "mde_points": f"{100 * decision.DEFAULT_MDE:g}"}),
        Message("say_winback", {
            "name": name, "treated": percent(effect["treated_rate"]), "holdout": percent(effect["holdout_rate"]),
            "uplift": uplift, "low": low, "high": high, "p": p_compared(effect["p_value"])})]
    if effect["n_excluded"]:
        found.append(Message("note_winback_excluded", {"n": effect["n_excluded"]}, "note"))
    return found


def winback_economics_table(economics: dict, t: Translator, currency: str) -> pd.DataFrame:
    """The offer's economics: extra comebacks, value won, cost of the offer, net result, with intervals where known.

    The amounts carry `currency` and take their names from the metric registry; extra customers are whole.
    """
    e = economics
    won = metric("winback_value_won").texts(e["value_won"], e["value_won_low"], e["value_won_high"],
                                            currency=currency)
    net = metric("winback_net").texts(e["net"], e["net_low"], e["net_high"], currency=currency)
    return pd.DataFrame({
        t.col("item"): [t("econ_extra_comebacks"), metric("winback_value_won").label(t.lang),
                        metric("winback_offer_cost").label(t.lang), metric("winback_net").label(t.lang),
                        t("econ_value_per_comeback"), t("econ_break_even")],
        t.col("value"): [count(e["extra_comebacks"]), won[0], money(e["coupon_spend"], currency, 0), net[0],
                         money(e["value_per_comeback"], currency), money(e["break_even_value"], currency)],
        t.col("low"): [count(e["extra_comebacks_low"]), won[1], "", net[1], "", ""],
        t.col("high"): [count(e["extra_comebacks_high"]), won[2], "", net[2], "", ""],
    })


def winback_money_finding(economics: dict, currency: str) -> Message:
    """The offer's money in one sentence: extra customers, value won, coupon cost and the net with its interval."""
    e = economics
    won = metric("winback_value_won").texts(e["value_won"], e["value_won_low"], e["value_won_high"],
                                            currency=currency)
    net, net_low, net_high = metric("winback_net").texts(e["net"], e["net_low"], e["net_high"], currency=currency)
    return Message("say_winback_money", {
        "extra": count(e["extra_comebacks"]), "won": won[0], "cost": money(e["coupon_spend"], currency, 0),
        "net": net, "net_low": net_low, "net_high": net_high})


def winback_headline(effect: dict, t: Translator) -> tuple[str, str]:
    """Headline label and value: the comeback rate without and with the offer, or that there are too few to judge."""
    if effect["verdict"] == decision.TOO_FEW_UNITS:
        return t("chart_winback_y"), t("headline_too_few")
    return t("chart_winback_y"), f"{percent(effect['holdout_rate'])} → {percent(effect['treated_rate'])}"


def winback_result(effect: dict | None, economics: dict | None, currency: str = "CNY") -> dict | None:
    """The ``winback`` entry of CHAPTER.json: rates, uplift, test, arm sizes and economics (None without a test).

    The economics' amounts carry their currency (``economics["currency"]``).
    """
    if effect is None:
        return None
    keys = ("treated_rate", "holdout_rate", "uplift", "ci_low", "ci_high", "p_value", "test", "n_treated",
            "n_holdout", "n_excluded", "verdict", "reason")
    money = None if economics is None else {k: v for k, v in economics.items() if k != "uplift_verdict"} | {
        "currency": currency}
    return {k: effect[k] for k in keys} | {"economics": money}


def metric_records(results: Mapping[str, object], clv_days: int, currency: str) -> list[dict]:
    """The registry metrics the chapter measured, for the results' ``metrics`` list.

    Read back from the results already recorded (``clv_total``, ``winback``), so the list holds the very numbers
    the report shows: the customers' value over `clv_days`, and the win-back offer's cost, value won and net.
    """
    entries = []
    if results.get("clv_total") is not None:
        entries.append(metric("customer_value_total").record(results["clv_total"], currency=currency, days=clv_days))
    econ = (results.get("winback") or {}).get("economics")
    if econ:
        entries += [
            metric("winback_offer_cost").record(econ["coupon_spend"], currency=currency),
            metric("winback_value_won").record(econ["value_won"], econ["value_won_low"], econ["value_won_high"],
                                               currency=currency),
            metric("winback_net").record(econ["net"], econ["net_low"], econ["net_high"], currency=currency),
        ]
    return entries


def winback_verdict(economics: dict | None) -> str | None:
    """Whether the offer pays, loses or is unclear, read only as far as the verdict on its uplift allows.

    The uplift is judged first, by the decision rule shared with chapter 03 (``economics["uplift_verdict"]``):
    too few customers to judge gives ``too_few``; an offer that clearly lowers comebacks (``stop`` for harm)
    ``loses``. Otherwise the money decides: ``pays`` needs the whole net interval above zero and the uplift
    shown (``ship``), ``loses`` the whole net interval below zero; anything else is ``unclear``.

    Returns
    -------
    str or None
        ``pays``, ``loses``, ``unclear`` or ``too_few``; None without a win-back test.
    """
    if economics is None:
        return None
    uplift = economics["uplift_verdict"]
    if uplift == decision.TOO_FEW_UNITS:
        return "too_few"
    if economics["net_low"] > 0 and uplift == decision.SHIP:
        return "pays"
    if economics["net_high"] < 0 or (uplift == decision.STOP and economics["extra_comebacks"] < 0):
        return "loses"
    return "unclear"


# ---------------------------------------------------------------- recommendations


def referral_protects(hazard_ratios: pd.DataFrame) -> bool:
    """Whether referred customers clearly churn less (the referral hazard ratio's interval below 1)."""
    return "referred" in hazard_ratios.index and bool(hazard_ratios.loc["referred", "ci_high"] < 1)


def early_behaviour_protects(hazard_ratios: pd.DataFrame) -> bool:
    """Whether any first-30-day behaviour other than referral clearly goes with churning less."""
    return bool((hazard_ratios.drop(index="referred", errors="ignore")["ci_high"] < 1).any())


def recommendations(at_risk: pd.DataFrame | None, economics: dict | None, hazard_ratios: pd.DataFrame | None
                    ) -> list[Message]:
    """What to do next, from the win-back list, the win-back test and the early signs of leaving.

    Parameters
    ----------
    at_risk : pandas.DataFrame or None
        The win-back list (None when there is none: no customers).
    economics : dict or None
        The output of :func:`socialops.churn.analysis.winback_economics` (None without a win-back test).
    hazard_ratios : pandas.DataFrame or None
        The Cox model's hazard ratios (indexed by feature, with ci_high); None when the early signs were left out.

    Returns
    -------
    list of Message
    """
    if at_risk is None:  # no customers: nothing to recommend from
        return []
    recs = [Message("rec_reason")]
    if len(at_risk):
        recs.append(Message("rec_winback_list", {"n": len(at_risk)}))
    verdict = winback_verdict(economics)
    if verdict is not None:
        recs.append(Message(f"rec_winback_{verdict}"))
    if hazard_ratios is not None and referral_protects(hazard_ratios):
        recs.append(Message("rec_referral"))
    if hazard_ratios is not None and early_behaviour_protects(hazard_ratios):
        recs.append(Message("rec_early"))
    return recs
