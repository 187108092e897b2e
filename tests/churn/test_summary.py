"""Chapter 04's summary, from results shaped as the chapter records them: each finding only when its rule holds."""

import copy

import pytest

from socialops.churn import summary
from socialops.report.findings import Message
from socialops.report.i18n import Translator
from socialops.stats import decision


def _economics(net: float, low: float, high: float) -> dict:
    return {"net": net, "net_low": low, "net_high": high, "roi": 0.5, "extra_comebacks": 150.0,
            "extra_comebacks_low": 80.0, "extra_comebacks_high": 195.0, "coupon_spend": 4440.0, "currency": "USD"}


@pytest.fixture
def results():
    """A run's results: a win-back list, a test whose uplift ships but whose net spans zero, referral protects."""
    return {
        "at_risk_users": 424,
        "winback": {"holdout_rate": 0.0485, "treated_rate": 0.1497, "uplift": 0.1012, "ci_low": 0.0537,
                    "ci_high": 0.1316, "verdict": "ship", "reason": "winner", "n_holdout": 165, "n_treated": 1483,
                    "economics": _economics(2502.6, -755.9, 4589.7)},
        "cox": {"referred": {"hazard_ratio": 0.61, "ci_low": 0.50, "ci_high": 0.73, "p_value": 2e-7},
                "log_interactions_first": {"hazard_ratio": 1.13, "ci_low": 1.04, "ci_high": 1.22, "p_value": 0.005},
                "log_spend_first": {"hazard_ratio": 0.97, "ci_low": 0.90, "ci_high": 1.05, "p_value": 0.5}},
        "survival": {"at_days": 180, "survival_at": 0.6162, "survival_ci": [0.6013, 0.6308]},
    }


@pytest.fixture
def en():
    return Translator("en", "churn")


def _keys(result) -> list[str]:
    return [f.message.key for f in result.findings]


def test_findings_on_the_sample_s_shape_most_actionable_first(results, en):
    found = summary.chapter_summary(results, {}, en)
    assert _keys(found) == ["sum_at_risk", "sum_winback_winner", "sum_money_unclear", "sum_referral",
                            "sum_survival"]
    assert [f.section for f in found.findings] == ["win_back_list", "winback_test", "winback_economics", "drivers",
                                                   "survival"]
    assert found.findings[0].value == 424
    winner = found.findings[1]
    assert (winner.value["uplift"], winner.value["ci_low"], winner.value["ci_high"]) == (0.1012, 0.0537, 0.1316)
    text = en(winner.message.key, **winner.message.values)
    assert "+10.12 pp" in text and "+5.37 to +13.16" in text  # as chapter 03 writes the same difference
    # the net in its currency, as the win-back section writes it
    assert "USD -756 to USD 4,590" in en(found.findings[2].message.key, **found.findings[2].message.values)
    assert found.more_data is None


def test_the_uplift_verdict_follows_the_shared_rule_and_money_only_what_its_interval_shows(results, en):
    for reason, verdict in [("harm", "stop"), ("no_effect", "stop"), ("underpowered", "keep_running")]:
        changed = copy.deepcopy(results)
        changed["winback"] |= {"reason": reason, "verdict": verdict}
        keys = _keys(summary.chapter_summary(changed, {}, en))
        assert f"sum_winback_{reason}" in keys and "sum_winback_winner" not in keys
    pays = copy.deepcopy(results)
    pays["winback"]["economics"] = _economics(2500.0, 300.0, 4500.0)
    assert "sum_money_pays" in _keys(summary.chapter_summary(pays, {}, en))
    # a net wholly above zero does not pay unless the uplift itself is shown
    unshown = copy.deepcopy(pays)
    unshown["winback"] |= {"reason": "underpowered", "verdict": "keep_running"}
    assert "sum_money_pays" not in _keys(summary.chapter_summary(unshown, {}, en))


def test_too_few_customers_give_no_money_finding_and_no_size(results, en):
    results["winback"] |= {"reason": "too_few_units", "verdict": decision.TOO_FEW_UNITS}
    found = summary.chapter_summary(results, {}, en)
    assert "sum_winback_too_few_units" in _keys(found) and not any(k.startswith("sum_money") for k in _keys(found))
    offer = [a for a in found.actions if a.what.key == "act_offer_more"]
    assert len(offer) == 1 and offer[0].size is None
    contact = [a for a in found.actions if a.what.key == "act_contact_list"]
    assert contact[0].size is None  # the uplift is not shown, so no expected size


def test_actions_carry_the_test_s_uplift_and_the_net_with_their_intervals(results):
    acts = summary.actions(results)
    assert [(a.what.key, a.priority) for a in acts] == [("act_contact_list", "high"), ("act_offer_extend", "medium"),
                                                         ("act_referral", "medium")]
    contact, offer = acts[0].size, acts[1].size
    assert (contact.estimate, contact.low, contact.high, contact.unit) == (0.1012, 0.0537, 0.1316, "points")
    assert (offer.estimate, offer.low, offer.high, offer.unit) == (2502.6, -755.9, 4589.7, "money")
    assert acts[0].where == Message("where_list", {"n": "424"})
    assert [a.section for a in acts] == ["win_back_list", "winback_economics", "drivers"]


def test_an_early_behaviour_counts_only_when_its_interval_lies_below_one(results, en):
    assert "sum_early" not in _keys(summary.chapter_summary(results, {}, en))  # harmful and unclear ones
    results["cox"]["log_spend_first"] |= {"ci_high": 0.99, "p_value": 0.02}
    found = summary.chapter_summary(results, {}, en)
    early = next(f for f in found.findings if f.message.key == "sum_early")
    assert early.value["feature"] == "log_spend_first"
    assert early.message.values["feature"] == en.label("feature", "log_spend_first")
    assert "act_onboarding" in [a.what.key for a in found.actions]


def test_thin_data_give_fewer_findings_and_a_line_on_what_to_add(en):
    skipped = {"winback_test": Message("winback_no_table", kind="skip"),
               "drivers": Message("winback_no_table", kind="skip")}
    found = summary.chapter_summary({"at_risk_users": 0, "winback": None, "cox": None, "survival": None},
                                    skipped, en)
    assert found.findings == [] and found.actions == []
    assert found.more_data.values["n"] == 2
    assert found.more_data.values["reason"].message == skipped["drivers"]  # drivers come first in report order


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_summary_message_reads_in_both_languages(results, lang):
    t = Translator(lang, "churn")
    variants = [results]
    for reason in ("harm", "no_effect", "underpowered", "too_few_units"):
        changed = copy.deepcopy(results)
        changed["winback"]["reason"] = reason
        variants.append(changed)
    for variant in variants:
        found = summary.chapter_summary(variant, {}, t)
        for message in [f.message for f in found.findings] + [a.what for a in found.actions]:
            assert "{" not in t(message.key, **t.texts(message.values))
