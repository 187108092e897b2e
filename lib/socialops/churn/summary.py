"""Chapter 04's executive summary: who to win back, whether the offer brings them back and pays, who stays.

It reads the numbers the chapter recorded in its results (so the summary and ``CHAPTER.json`` state one number
per fact), and each finding rests on the rule the chapter already applies to it: the win-back list on its
thresholds; the offer's uplift on the decision rule shared with chapter 03 (:mod:`socialops.stats.decision`), so
that both chapters give one verdict on one test; whether it pays on
:func:`socialops.churn.present.winback_verdict` (the whole interval of the net result on one side of zero); who
stays longer on the early-signs model (a hazard ratio whose interval lies wholly below 1); how many stay on the
survival curve read at a fixed day.
"""

from __future__ import annotations

from collections.abc import Mapping

from socialops.churn import present
from socialops.report.findings import Message
from socialops.report.format import percent, signed
from socialops.report.i18n import Translator
from socialops.report.metrics import metric
from socialops.report.summary import (
    Action,
    Finding,
    Size,
    Summary,
    by_priority,
    more_data,
    points_size,
    ranked,
)
from socialops.stats import decision

#: The offer's money verdicts (:func:`socialops.churn.present.winback_verdict`): action key, priority.
MONEY_ACTIONS = {"pays": ("act_offer_keep", "high"), "loses": ("act_offer_narrow", "high"),
                 "unclear": ("act_offer_extend", "medium"), "too_few": ("act_offer_more", "medium")}


def _money(winback: Mapping[str, object] | None) -> str | None:
    """Whether the offer pays, loses or is unclear (None without a test or without its economics)."""
    if winback is None or winback.get("economics") is None:
        return None
    return present.winback_verdict({**winback["economics"], "uplift_verdict": winback["verdict"]})


def net_texts(economics: Mapping[str, object]) -> tuple[str, str, str]:
    """The offer's net result and its interval in its currency, as the win-back section writes them."""
    return metric("winback_net").texts(economics["net"], economics["net_low"], economics["net_high"],
                                       currency=economics.get("currency") or "CNY")


def net_size(economics: Mapping[str, object]) -> Size:
    """The offer's net result as an expected size, in money with its interval."""
    net, low, high = net_texts(economics)
    return Size(float(economics["net"]), float(economics["net_low"]), float(economics["net_high"]), "money",
                Message("size_money_interval", {"estimate": net, "low": low, "high": high}))


def at_risk_findings(results: Mapping[str, object]) -> list[Finding]:
    """The win-back list's length, when it holds anyone (its rule: valuable and probably gone)."""
    n = results.get("at_risk_users")
    if not n:
        return []
    return [Finding(Message("sum_at_risk", {"n": f"{n:,}"}), n, "win_back_list")]


def winback_findings(results: Mapping[str, object]) -> list[Finding]:
    """The verdict on the offer's uplift (the rule of chapter 03), then whether it pays when the uplift is judged."""
    winback = results.get("winback")
    if winback is None:
        return []
    value = {k: winback[k] for k in ("holdout_rate", "treated_rate", "uplift", "ci_low", "ci_high", "verdict",
                                     "reason", "n_holdout", "n_treated")}
    values = {"holdout": percent(winback["holdout_rate"]), "treated": percent(winback["treated_rate"]),
              "uplift": signed(winback["uplift"], 2, 100), "low": signed(winback["ci_low"], 2, 100),
              "high": signed(winback["ci_high"], 2, 100), "n_min": decision.MIN_UNITS_PER_ARM}
    found = [Finding(Message(f"sum_winback_{winback['reason']}", values), value, "winback_test")]
    money = _money(winback)
    if money in ("pays", "loses", "unclear"):
        economics = winback["economics"]
        net, low, high = net_texts(economics)
        found.append(Finding(Message(f"sum_money_{money}", {"net": net, "low": low, "high": high}),
            {k: economics[k] for k in ("net", "net_low", "net_high", "roi")}, "winback_economics"))
    return found


def driver_findings(results: Mapping[str, object], t: Translator) -> list[Finding]:
    """Referral, then the clearest other first-30-day behaviour, each when its hazard ratio lies wholly below 1."""
    clear = sorted(((feature, row) for feature, row in (results.get("cox") or {}).items() if row["ci_high"] < 1),
                   key=lambda item: (item[0] != "referred", item[1]["p_value"]))
    found: list[Finding] = []
    for feature, row in clear:
        key = "sum_referral" if feature == "referred" else "sum_early"
        if all(f.message.key != key for f in found):
            found.append(Finding(Message(key, {"feature": t.label("feature", feature),
                                               "change": percent(1 - row["hazard_ratio"], 0)}),
                                 {"feature": feature, **{k: row[k] for k in ("hazard_ratio", "ci_low", "ci_high")}},
                                 "drivers"))
    return found


def survival_findings(results: Mapping[str, object]) -> list[Finding]:
    """The share of customers still active a fixed number of days after their first purchase, with its interval."""
    survival = results.get("survival")
    if survival is None:
        return []
    low, high = survival["survival_ci"]  # written as the survival section writes them: one number per fact
    return [Finding(Message("sum_survival", {"share": percent(survival["survival_at"]), "low": percent(low),
                                             "high": percent(high), "at": survival["at_days"]}),
                    {"survival": survival["survival_at"], "ci_low": low, "ci_high": high,
                     "at_days": survival["at_days"]}, "survival")]


def actions(results: Mapping[str, object]) -> list[Action]:
    """Contact the list, decide on the offer, invest in referral, shape the first 30 days; most urgent first.

    The list's expected size is the offer's uplift when the shared rule ships it; the offer's is its net result
    with its interval.
    """
    found = []
    winback, n = results.get("winback"), results.get("at_risk_users")
    if n:
        shipped = winback is not None and winback["verdict"] == decision.SHIP
        size = points_size(winback["uplift"], winback["ci_low"], winback["ci_high"]) if shipped else None
        found.append(Action(Message("act_contact_list"), Message("where_list", {"n": f"{n:,}"}),
                            "kpi_comeback_rate", "high", size, "win_back_list"))
    money = _money(winback)
    if money is not None:
        key, priority = MONEY_ACTIONS[money]
        size = None if money == "too_few" else net_size(winback["economics"])
        found.append(Action(Message(key), Message("where_offer"), "kpi_net_value", priority, size,
                            "winback_test" if money == "too_few" else "winback_economics"))
    cox = results.get("cox") or {}
    if "referred" in cox and cox["referred"]["ci_high"] < 1:
        found.append(Action(Message("act_referral"), Message("where_referrers"), "kpi_retention", "medium",
                            section="drivers"))
    if any(row["ci_high"] < 1 for feature, row in cox.items() if feature != "referred"):
        found.append(Action(Message("act_onboarding"), Message("where_new_customers"), "kpi_retention", "low",
                            section="drivers"))
    return by_priority(found)


def chapter_summary(results: Mapping[str, object], skipped: Mapping[str, Message], t: Translator) -> Summary:
    """The chapter's summary from its recorded results: findings, actions and what data would add more.

    Parameters
    ----------
    results : Mapping
        The chapter's results as recorded (``at_risk_users``, ``winback``, ``cox``, ``survival``; a key absent
        or None leaves its findings out).
    skipped : Mapping[str, Message]
        The sections left out, with what to add.
    t : Translator
        The report's translator (names of the first-30-day behaviours).

    Returns
    -------
    Summary
    """
    found = [*at_risk_findings(results), *winback_findings(results), *driver_findings(results, t),
             *survival_findings(results)]
    return Summary(ranked(found), actions(results), more_data(skipped, present.SECTIONS))
