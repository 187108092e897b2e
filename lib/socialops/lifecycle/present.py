"""What the reader of chapter 02 sees: its tables, findings, recommendations, headline figures and recorded results.

The analysis modules return raw numbers; the functions here put them into the words and number formats of the
report language through the translator ``t`` (a :class:`socialops.report.i18n.Translator`, e.g. ``Report.t``).
A finding is a :class:`~socialops.report.findings.Message`: a key of the lifecycle catalog with the values it is
filled with, ready for ``Report.tell``; a function returns a list of them, empty when there is nothing to say.

Evidence rule, one for every claim of the chapter: a claim is made only when the events that define it occur in
the log (`NEEDS`, `METRIC_NEEDS`; the types seen come from `analysis.observed_events`). A funnel step, the
first-order conversion, the split of the churned, RFM, cohorts, the share rate and the K-factor each need their
own event types (and RFM the ``amount`` column); a section that lacks them is replaced by one skip message saying
what to add (:func:`skipped_sections`) and listed in the results' ``skipped``, and its numbers are null there.
Stage counts are always shown, with a note where a stage cannot occur in the log.

An estimate with an interval (a conversion, the repurchase and share rates, the K-factor) is written to the
precision its interval supports (`socialops.report.format.estimate`), the period before to the same decimals.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pandas as pd

from socialops.inputs.tables import EVENTS
from socialops.lifecycle.analysis import FUNNEL, REFERRED, STAGES, UNSEEN
from socialops.report.findings import Message
from socialops.report.format import count, estimate, interval_digits, is_missing, money, number, percent
from socialops.report.i18n import Translator
from socialops.report.metrics import MetricLabel, metric

ACQUISITION = ("follow", "signup")
BROWSING = ("view", "like", "comment", "share")

#: Every event type and referrals: what a log that holds everything shows (the default of the functions below).
EVERYTHING = frozenset(EVENTS) | {REFERRED}

#: The sections that rest on particular events, in report order, as named in the results' ``skipped``; each needs
#: at least one event type of every group. ``funnel_<stage>`` is the funnel's step into that stage.
NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "churned": (("purchase",), (*ACQUISITION, *BROWSING)),
    "funnel_new": (ACQUISITION, BROWSING),
    "funnel_active": (ACQUISITION, ("purchase",)),
    "funnel_loyal": (("purchase",),),
    "first_order": (ACQUISITION, ("purchase",)),
    "rfm": (("purchase",),),
    "cohorts": (("purchase",),),
    "share_rate": (("share",),),
    "k_factor": ((REFERRED,),),
}

#: The registry's name of a funnel step's conversion where the step is one of the chapter's named metrics.
FUNNEL_METRICS = {"active": "acquired_buyer_share"}

#: The registry's names of the metric-system rows whose catalog names would collide with other definitions
#: (the metric system measures its conversion and repurchase over the period, not over all time).
SYSTEM_METRICS = {"first_order_conversion": "period_acquired_first_order",
                  "repurchase_rate": "period_buyer_repeat_share"}

#: Sections listed in ``skipped``, in report order (those of `NEEDS`, then the daily table's awareness metrics).
SECTIONS = (*NEEDS, "platform_awareness")

#: The events each row of the metric system rests on (rows not listed need no particular event type).
METRIC_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "reached_users": (("view",),),
    "follow_to_purchase": (("follow",), ("purchase",)),
    "first_order_conversion": NEEDS["first_order"],
    "repurchase_rate": (("purchase",),),
    "interactions_per_user": (("like", "comment", "share"),),
    "share_rate": NEEDS["share_rate"],
    "k_factor": NEEDS["k_factor"],
    "referred_share_of_new": NEEDS["k_factor"],
}


def _met(groups: tuple[tuple[str, ...], ...], observed: Collection[str]) -> bool:
    return all(set(group) & set(observed) for group in groups)


def skipped_sections(observed: Collection[str], columns: Collection[str],
                     platform_daily: bool) -> dict[str, Message]:
    """The sections the data cannot support, each with the skip message that says what to add.

    Parameters
    ----------
    observed : collection of str
        From `analysis.observed_events`.
    columns : collection of str
        The columns of the ``events`` table.
    platform_daily : bool
        Whether the ``platform_daily`` table is present.

    Returns
    -------
    dict
        Section (one of `SECTIONS`) to its skip :class:`Message`, in report order.
    """
    reasons = {section: Message(f"skip_{section}", kind="skip")
               for section, groups in NEEDS.items() if not _met(groups, observed)}
    if "rfm" not in reasons and "amount" not in columns:
        reasons["rfm"] = Message("skip_rfm_amount", kind="skip")
    if not platform_daily:
        reasons["platform_awareness"] = Message("reason_platform_daily", kind="skip")
    return {section: reasons[section] for section in SECTIONS if section in reasons}


def skipped_record(skipped: dict[str, Message], t: Translator) -> list[dict[str, str]]:
    """The results' ``skipped``: one {section, reason} per section left out, in report order and language."""
    return [{"section": section, "reason": t(skipped[section].key, **skipped[section].values)}
            for section in SECTIONS if section in skipped]


def stage_notes(observed: Collection[str]) -> list[Message]:
    """Notes for the stages the log cannot hold.

    No potential users without browsing, no new ones without follows or signups, no customers without purchases.
    """
    notes = []
    if not set(BROWSING) & set(observed):
        notes.append(Message("note_no_browsing", kind="note"))
    if not set(ACQUISITION) & set(observed):
        notes.append(Message("note_no_acquisition", kind="note"))
    if "purchase" not in observed:
        notes.append(Message("note_no_purchase", kind="note"))
    return notes


def measured_metrics(metrics: pd.DataFrame, observed: Collection[str]) -> pd.DataFrame:
    """The rows of `virality.metric_system` whose events occur in the log."""
    keep = [_met(METRIC_NEEDS.get(m, ()), observed) for m in metrics["metric"]]
    return metrics[keep].reset_index(drop=True) if len(metrics) else metrics


def metrics_note(metrics: pd.DataFrame, observed: Collection[str], t: Translator) -> list[Message]:
    """A note naming the metric-system rows left out for want of their events (empty when none is)."""
    left = [m for m in metrics["metric"] if not _met(METRIC_NEEDS.get(m, ()), observed)]
    if not left:
        return []
    return [Message("note_metrics_left_out", {"metrics": t("list_sep").join(t.label("metric", m) for m in left)},
                    "note")]


# ---------------------------------------------------------------- results (CHAPTER.json)
def user_counts(frame: pd.DataFrame) -> dict[str, int]:
    """The ``users`` column of a summary (stages, RFM segments or tiers) as ``{group: count}``."""
    return {group: int(n) for group, n in frame["users"].items()}


def transition_counts(matrix: pd.DataFrame) -> dict[str, dict[str, int]]:
    """A stage-transition matrix as ``{from_stage: {to_stage: count}}``."""
    return {source: {target: int(n) for target, n in row.items()} for source, row in matrix.iterrows()}


def virality_results(viral: pd.DataFrame, observed: Collection[str] = EVERYTHING) -> dict[str, float | None]:
    """The K-factor and the share rate of the period, from `virality.virality`; null where their events lack."""
    return {metric: float(viral.loc[metric, "value"]) if _met(NEEDS[metric], observed) else None
            for metric in ("k_factor", "share_rate")}


# ---------------------------------------------------------------- tables
def stage_table(sizes: pd.DataFrame, t: Translator, days: int) -> pd.DataFrame:
    """Users per stage with its goal, share, the count `days` earlier and the change."""
    return pd.DataFrame({
        t.col("stage"): [t.label("stage", s) for s in sizes.index],
        t.col("goal"): [t(f"goal_{s}") for s in sizes.index],
        t.col("users"): sizes["users"].tolist(),
        t.col("share"): [percent(v) for v in sizes["share"]],
        t.col("previous_users", days=days): sizes["previous_users"].tolist(),
        t.col("change"): sizes["change"].tolist(),
    })


def churned_table(churned: pd.DataFrame, t: Translator, days: int) -> pd.DataFrame:
    """Churned former customers against churned prospects, now and `days` earlier."""
    return pd.DataFrame({
        t.col("group"): [t.label("churn", g) for g in churned.index],
        t.col("users"): churned["users"].tolist(),
        t.col("share"): [percent(v) for v in churned["share"]],
        t.col("previous_users", days=days): churned["previous_users"].tolist(),
        t.col("change"): churned["change"].tolist(),
    })


def funnel_steps(observed: Collection[str]) -> list[str]:
    """The funnel stages whose step into them the log can measure (see `NEEDS`, ``funnel_<stage>``)."""
    return [stage for stage in FUNNEL[1:] if _met(NEEDS[f"funnel_{stage}"], observed)]


def measured_funnel(funnel: pd.DataFrame, observed: Collection[str] = EVERYTHING) -> pd.DataFrame:
    """`analysis.stage_funnel` with the conversion of each step the log cannot measure (`funnel_steps`) blanked."""
    unmeasured = ~funnel.index.isin(funnel_steps(observed))
    return funnel.assign(**{c: funnel[c].mask(unmeasured) for c in ("conversion", "ci_low", "ci_high")})


def buyers_measured(observed: Collection[str]) -> bool:
    """Whether the log can tell buyers from other users: purchases and some other way of being seen."""
    return _met(NEEDS["churned"], observed)


def funnel_texts(funnel: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Each step's conversion and interval as text, to the precision the interval supports (ends rounded outward)."""
    return [estimate(v, lo, hi, most=1) for v, lo, hi in funnel[["conversion", "ci_low", "ci_high"]].to_numpy()]


def funnel_table(funnel: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """The funnel steps: users in each, users who reached it, the step conversion and its interval."""
    texts = funnel_texts(funnel)
    return pd.DataFrame({
        t.col("stage"): [t.label("stage", s) for s in funnel.index],
        t.col("users"): funnel["users"].tolist(),
        t.col("reached"): funnel["reached"].tolist(),
        t.col("conversion"): [v for v, _, _ in texts],
        t.col("ci_low"): [lo for _, lo, _ in texts],
        t.col("ci_high"): [hi for _, _, hi in texts],
    })


def stage_moves_table(sizes: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """Each stage's goal and usual moves beside its users today, in stage order."""
    return pd.DataFrame({
        t.col("stage"): [t.label("stage", s) for s in STAGES],
        t.col("users"): [int(sizes.loc[s, "users"]) for s in STAGES],
        t.col("goal"): [t(f"goal_{s}") for s in STAGES],
        t.col("moves"): [t(f"moves_{s}") for s in STAGES],
    })


def tier_table(tiers: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """The four RFM tiers: who they are, their share of customers and of revenue, and how to serve them."""
    return pd.DataFrame({
        t.col("tier"): [t.label("tier", s) for s in tiers.index],
        t.col("rule"): [t(f"tier_rule_{s}") for s in tiers.index],
        t.col("users"): tiers["users"].tolist(),
        t.col("user_share"): [percent(v) for v in tiers["user_share"]],
        t.col("revenue_share"): [percent(v) for v in tiers["revenue_share"]],
        t.col("moves"): [t(f"tier_moves_{s}") for s in tiers.index],
    })


def segment_table(segments: pd.DataFrame, t: Translator, currency: str) -> pd.DataFrame:
    """The eight RFM segments: customers, shares and mean recency, frequency and spend (in `currency`)."""
    return pd.DataFrame({
        t.col("segment"): [t.label("segment", s) for s in segments.index],
        t.col("users"): segments["users"].tolist(),
        t.col("user_share"): [percent(v) for v in segments["user_share"]],
        t.col("revenue_share"): [percent(v) for v in segments["revenue_share"]],
        t.col("mean_recency"): segments["mean_recency_days"].round(1).tolist(),
        t.col("mean_frequency"): segments["mean_frequency"].round(2).tolist(),
        t.col("mean_monetary"): [money(v, currency) for v in segments["mean_monetary"]],
    })


#: How each kind of metric-system value reads: rates as percentages, factors and ratios as plain numbers, counts
#: whole; each with its usual and its most decimals (an interval narrows the digits between them).
METRIC_FORMATS = {
    "rate": (percent, 100.0, 2),
    "factor": (number, 1.0, 3),
    "count": (lambda v, _digits=0: count(v), 1.0, 0),
    "ratio": (number, 1.0, 2),
}


def metric_text(kind: str, value: float, digits: int | None = None) -> str:
    """A metric-system value as display text for its kind (``"rate"``, ``"factor"``, ``"count"``, ``"ratio"``)."""
    fmt, _, usual = METRIC_FORMATS[kind]
    return fmt(value, usual if digits is None else digits)


def metric_digits(kind: str, low: float, high: float) -> int:
    """The decimals of a metric-system row: those its interval supports, at most the kind's usual ones."""
    _, scale, usual = METRIC_FORMATS[kind]
    digits = interval_digits(low, high, scale, most=usual)
    return usual if digits is None else digits


def metric_table(metrics: pd.DataFrame, t: Translator, days: int) -> pd.DataFrame:
    """The metric system layer by layer: each metric over the last `days` days, its interval and the period before."""
    digits = [metric_digits(kind, lo, hi) for kind, lo, hi in metrics[["kind", "ci_low", "ci_high"]].itertuples(
        index=False)]
    texts = [_system_texts(row.kind, row.value, row.ci_low, row.ci_high) for row in metrics.itertuples()]
    return pd.DataFrame({
        t.col("layer"): [t.label("layer", x) for x in metrics["layer"]],
        t.col("metric"): [metric(SYSTEM_METRICS[x]).label(t.lang, days=days) if x in SYSTEM_METRICS
                          else t.label("metric", x) for x in metrics["metric"]],
        t.col("value", days=days): [v for v, _, _ in texts],
        t.col("ci_low"): [lo for _, lo, _ in texts],
        t.col("ci_high"): [hi for _, _, hi in texts],
        t.col("previous", days=days): [metric_text(kind, v, d) for kind, v, d in
                                        zip(metrics["kind"], metrics["previous"], digits, strict=True)],
    })


def _system_texts(kind: str, value: float, low: float, high: float) -> tuple[str, str, str]:
    """A metric-system row's value and interval: with an interval, to its precision and its ends rounded outward."""
    if kind in ("rate", "factor") and not is_missing(low):
        _, _, usual = METRIC_FORMATS[kind]
        return estimate(value, low, high, "percent" if kind == "rate" else "number", most=usual)
    return metric_text(kind, value), metric_text(kind, low), metric_text(kind, high)


# ---------------------------------------------------------------- findings
def stage_findings(sizes: pd.DataFrame, t: Translator, as_of: pd.Timestamp, days: int) -> list[Message]:
    """How many users there are, the largest stage and the stage that grew most since `days` earlier."""
    largest, grew = sizes["users"].idxmax(), sizes["change"].idxmax()
    return [Message("say_stages", {
        "as_of": f"{as_of:%Y-%m-%d}",
        "total": int(sizes["users"].sum()),
        "largest": t.label("stage", largest),
        "share": percent(sizes.loc[largest, "share"]),
        "days": days,
        "grew": t.label("stage", grew),
        "change": f"{int(sizes.loc[grew, 'change']):+,}",
    })]


def churned_findings(churned: pd.DataFrame) -> list[Message]:
    """How the churned users split into former customers and lapsed prospects."""
    return [Message("say_churned", {
        "churned": int(churned["users"].sum()),
        "customers": int(churned.loc["former_customers", "users"]),
        "prospects": int(churned.loc["lapsed_prospects", "users"]),
    })]


def funnel_findings(funnel: pd.DataFrame, first_order: dict[str, float] | None, days: int,
                    observed: Collection[str] = EVERYTHING) -> list[Message]:
    """The step conversions the log can measure, then the first-order conversion of the users new `days` ago.

    Each step is said only when its events occur in the log (`funnel_steps`); the first-order conversion only when
    `first_order` is given (None: the log cannot measure it), and when nobody was new then, that it cannot be
    measured yet.
    """
    texts = dict(zip(funnel.index, funnel_texts(funnel), strict=True))
    found = [Message(f"say_funnel_{stage}", {"rate": texts[stage][0],
                                             **({"label": MetricLabel(FUNNEL_METRICS[stage])}
                                                if stage in FUNNEL_METRICS else {})})
             for stage in funnel_steps(observed)]
    if first_order is None:
        return found
    if not first_order["new_users"]:
        return [*found, Message("say_first_order_none", {"days": days})]
    rate, low, high = metric("new_user_first_order").texts(first_order["rate"], first_order["ci_low"],
                                                            first_order["ci_high"])
    return [*found, Message("say_first_order", {
        "label": MetricLabel("new_user_first_order", days), "new_users": first_order["new_users"],
        "converted": first_order["converted"], "days": days, "rate": rate, "low": low, "high": high,
    })]


def transition_findings(transitions: pd.DataFrame, days: int) -> list[Message]:
    """Users who arrived, slipped into churn and came back from churn in the last `days` days."""
    return [Message("say_transitions", {
        "days": days,
        "arrived": int(transitions.loc[UNSEEN].sum()),
        "lost": int(transitions["churned"].drop("churned").sum()),
        "won_back": int(transitions.loc["churned"].drop("churned").sum()),
    })]


def rfm_findings(segments: pd.DataFrame, tiers: pd.DataFrame, t: Translator) -> list[Message]:
    """The customers, the weight of the high-value tier and the largest of the eight segments."""
    top = segments["users"].idxmax()
    return [Message("say_rfm", {
        "customers": int(segments["users"].sum()),
        "users": percent(tiers.loc["high_value", "user_share"]),
        "revenue": percent(tiers.loc["high_value", "revenue_share"]),
        "segment": t.label("segment", top),
        "segment_users": int(segments.loc[top, "users"]),
    })]


def cohort_findings(month_one: float, repeat: dict[str, float]) -> list[Message]:
    """The mean share of a cohort buying again the month after, and the repurchase rate with its interval."""
    rate, low, high = metric("repeat_customer_share").texts(repeat["rate"], repeat["ci_low"], repeat["ci_high"])
    return [Message("say_cohorts", {
        "month1_label": MetricLabel("next_month_repurchase"), "month1": metric("next_month_repurchase").text(month_one),
        "repeat_label": MetricLabel("repeat_customer_share"), "rate": rate, "low": low, "high": high})]


def cohort_notes(as_of: pd.Timestamp) -> list[Message]:
    """A caveat when `as_of` falls before the end of its month: the last cohort month is still running."""
    as_of = pd.Timestamp(as_of)
    if (as_of + pd.Timedelta(microseconds=1)).month != as_of.month:
        return []
    return [Message("say_cohorts_partial", {"month": f"{as_of:%Y-%m}"}, "note")]


def virality_findings(viral: pd.DataFrame, days: int, observed: Collection[str] = EVERYTHING) -> list[Message]:
    """Share rate and K-factor of the last `days` days with their intervals, against the period before.

    Each is said only when the log holds its events (`NEEDS`); the skip messages say what to add otherwise.
    """
    found = []
    if _met(NEEDS["share_rate"], observed):
        share = viral.loc["share_rate"]
        digits = metric_digits("rate", share["ci_low"], share["ci_high"])
        rate, low, high, prev = (percent(share[c], digits) for c in ("value", "ci_low", "ci_high", "previous"))
        found.append(Message("say_share_rate", {
            "days": days, "share_rate": rate, "share_low": low, "share_high": high, "share_prev": prev}))
    if _met(NEEDS["k_factor"], observed):
        k = viral.loc["k_factor"]
        digits = metric_digits("factor", k["ci_low"], k["ci_high"])
        value, low, high, prev = (number(k[c], digits) for c in ("value", "ci_low", "ci_high", "previous"))
        found.append(Message("say_k_factor", {
            "days": days, "k": value, "k_low": low, "k_high": high,
            "per100": number(100 * k["value"], max(digits - 2, 0)), "k_prev": prev}))
    return found


def metrics_finding(days: int) -> Message:
    """How to read the metric system table: four layers, each over the last `days` days against the days before."""
    return Message("say_metrics", {"days": days})


def crm_notes(sizes: Mapping[str, int], audience: str) -> list[Message]:
    """What became of the CRM lists: exported (analyst edition) or kept out of the client edition.

    `sizes` maps each exported list's stage to its number of users (`analysis.crm_lists`).
    """
    if audience != "analyst":
        return [Message("note_crm_client", kind="note")]
    return [Message("note_crm_exported", {"files": len(sizes), "users": sum(sizes.values())}, "note")]


def recommendations(
    sizes: pd.DataFrame,
    churned: pd.DataFrame,
    first_order: dict[str, float] | None,
    tiers: pd.DataFrame | None,
    k_factor: float | None,
    *,
    days: int,
) -> list[Message]:
    """The chapter's recommended moves, most users concerned first.

    Each move is DOMAIN.md's advice for one stage or tier, sized with this client's numbers; groups without users
    are left out, and a number the log cannot measure is left out of its move's wording.

    Parameters
    ----------
    sizes, churned : pandas.DataFrame
        From `analysis.stage_sizes`.
    first_order : dict or None
        From `analysis.first_order_conversion`; None when the log cannot measure it.
    tiers : pandas.DataFrame or None
        The tier summary of `stats.rfm.rfm_summary`; None without RFM (no tier moves then).
    k_factor : float or None
        The period's K-factor; None when the log holds no referrals.
    days : int
        How many days back the first-order conversion starts (``compare_days``).

    Returns
    -------
    list of Message
        Key ``rec_<move>`` of the lifecycle catalog and its values.
    """
    measured = first_order is not None and first_order.get("new_users", 1)
    rate = first_order["rate"] if measured else None
    first = metric("new_user_first_order")
    first_order_move = _with_number("rec_first_order", int(sizes.loc["new", "users"]), "rate", rate,
                                    lambda v: first.texts(v, first_order["ci_low"], first_order["ci_high"])[0])
    if rate is not None and not is_missing(rate):
        first_order_move[2]["label"] = MetricLabel("new_user_first_order", days)
    moves = [
        ("rec_winback", int(churned.loc["former_customers", "users"]), {}),
        first_order_move,
        ("rec_awareness", int(sizes.loc["potential", "users"]), {}),
        _with_number("rec_referral", int(sizes.loc["loyal", "users"]), "k", k_factor, lambda v: number(v, 3)),
    ]
    if tiers is not None:
        moves += [
            ("rec_high_value", int(tiers.loc["high_value", "users"]),
             {"revenue_share": percent(tiers.loc["high_value", "revenue_share"])}),
            ("rec_potential_high", int(tiers.loc["potential_high_value", "users"]), {}),
            ("rec_low_value", int(tiers.loc["low_value", "users"]), {}),
        ]
    ranked = sorted((m for m in moves if m[1] > 0), key=lambda m: -m[1])
    return [Message(key, {"users": users, **values}) for key, users, values in ranked]


def _with_number(key: str, users: int, name: str, value: float | None, fmt) -> tuple[str, int, dict]:
    """A move that quotes a number, or its plain wording (``<key>_plain``) when the number is not measured."""
    if value is None or is_missing(value):
        return f"{key}_plain", users, {}
    return key, users, {name: fmt(value)}


# ---------------------------------------------------------------- the metrics list (CHAPTER.json)
def metric_records(funnel: pd.DataFrame, first_order: dict | None, repeat: dict | None, month_one: float | None,
                   system: pd.DataFrame | None, *, compare_days: int, period_days: int) -> list[dict]:
    """The results' ``metrics`` list: the chapter's three first-order conversions and three repurchase rates.

    Parameters
    ----------
    funnel : pandas.DataFrame
        From `measured_funnel` (a step the log cannot measure is missing, and left out).
    first_order : dict or None
        From `analysis.first_order_conversion` (None or nobody new: left out).
    repeat : dict or None
        From `cohorts.repurchase_rate`; `month_one` from `cohorts.next_month_rate` (None without cohorts).
    system : pandas.DataFrame or None
        The measured rows of `virality.metric_system`.
    compare_days, period_days : int
        The periods of the first-order conversion and of the metric system.

    Returns
    -------
    list of dict
        Each entry of :meth:`socialops.report.metrics.Metric.record`, with ``days`` where the metric has a period.
    """
    out = []
    if not is_missing(funnel.loc["active", "conversion"]):
        row = funnel.loc["active"]
        out.append(metric("acquired_buyer_share").record(row["conversion"], row["ci_low"], row["ci_high"]))
    if first_order is not None and first_order["new_users"]:
        out.append(metric("new_user_first_order").record(first_order["rate"], first_order["ci_low"],
                                                         first_order["ci_high"], days=compare_days))
    if repeat is not None:
        out.append(metric("repeat_customer_share").record(repeat["rate"], repeat["ci_low"], repeat["ci_high"]))
    if month_one is not None and not is_missing(month_one):
        out.append(metric("next_month_repurchase").record(month_one))
    for row in ([] if system is None else system.to_dict("records")):
        if row["metric"] in SYSTEM_METRICS:
            out.append(metric(SYSTEM_METRICS[row["metric"]]).record(row["value"], row["ci_low"], row["ci_high"],
                                                                     days=period_days))
    return out


# ---------------------------------------------------------------- headline figures (index.html)
def headlines(sizes: pd.DataFrame, viral: pd.DataFrame, t: Translator, days: int,
              observed: Collection[str] = EVERYTHING) -> list[tuple[str, str]]:
    """Label and value of the headline figures: loyal and churned users, the K-factor of `days` days if measured."""
    heads = [
        (t("headline_loyal"), number(sizes.loc["loyal", "users"])),
        (t("headline_churned"), number(sizes.loc["churned", "users"])),
    ]
    if _met(NEEDS["k_factor"], observed):
        heads.append((t("headline_k_factor", days=days), number(viral.loc["k_factor", "value"], 3)))
    return heads
