"""Chapter 04's tables, findings, decision rules, results and headlines, on small hand-made inputs."""

import math

import numpy as np
import pandas as pd
import pytest

from socialops.churn import present
from socialops.churn.analysis import HoldoutCheck
from socialops.report.findings import Message
from socialops.report.format import percent
from socialops.report.i18n import Translator
from socialops.report.metrics import MetricLabel
from socialops.stats.bgnbd import BGNBDFit
from socialops.stats.clv import GammaGammaFit
from socialops.stats.survival import CoxResult

NAN = float("nan")


@pytest.fixture(scope="module")
def t():
    return Translator("en", "churn")


# ---------------------------------------------------------------- customers and survival


def test_customers_finding_and_headline(t):
    customers = pd.DataFrame({"churned": [1] * 300 + [0] * 1700})
    assert present.customers_finding(customers, 90) == Message(
        "say_customers", {"customers": 2000, "churned": 300, "share": "15.0%", "days": 90})
    assert present.customers_headline(customers, t) == ("Customers", "2,000")


def _overall(median, low=None, high=None):
    return {"curve": pd.DataFrame({"time": [0.0], "survival": [1.0], "ci_low": [1.0], "ci_high": [1.0]}),
            "median": {"median": median, "ci_low": low, "ci_high": high, "n": 10, "events": 6},
            "at": {"survival": 0.4321, "ci_low": 0.3, "ci_high": 0.55}}


def test_survival_finding_gives_the_median_when_half_have_churned():
    overall = _overall(120.4, 100.0, 1450.2)
    assert present.median_reached(overall["median"])
    assert present.survival_finding(overall, 180) == Message(
        "say_median", {"median": "120", "low": "100", "high": "1,450", "at": 180, "survival": "43.2%"})


def test_survival_finding_reads_the_curve_when_the_median_is_not_reached():
    overall = _overall(None)
    assert not present.median_reached(overall["median"])
    assert present.survival_finding(overall, 180) == Message(
        "say_median_not_reached", {"at": 180, "survival": "43.2%", "low": "30.0%", "high": "55.0%"})


def test_survival_headline(t):
    assert present.survival_headline(_overall(None), 180, t) == ("Still active after 180 days", "43.2%")


def test_survival_segments_follow_the_columns_of_the_events():
    assert present.survival_segments(["user_id", "ts", "platform", "referrer_id"]) == ["platform", "referred", "tier"]
    assert present.survival_segments(["user_id", "ts", "referrer_id"]) == ["referred", "tier"]
    assert present.survival_segments(["user_id", "ts"]) == ["tier"]


def test_skipped_sections_name_the_column_to_add():
    customers = pd.DataFrame({"user_id": ["u1"], "churned": [0]})
    assert present.skipped_sections(["user_id", "ts", "event", "platform", "amount", "referrer_id"], customers) == {}
    skipped = present.skipped_sections(["user_id", "ts", "event", "referrer_id"], customers)
    assert skipped == {"platform_split": Message("column_absent", {"column": "platform", "table": "events"}, "skip"),
                       "value": Message("add_amount_value", kind="skip")}
    # without a customer every section but the win-back test is left out, for the one reason
    none = present.skipped_sections(["user_id", "ts", "event"], customers.iloc[:0])
    assert set(none) == {s for s in present.SECTIONS if not s.startswith("winback")}
    assert all(m == Message("no_customers", kind="skip") for m in none.values())
    assert present.recommendations(None, None, None) == []
    few = {"verdict": "too_few_units"}
    assert present.economics_gap(few, 10.0) == Message("economics_too_few", {"n_min": 20}, "skip")
    assert present.economics_gap({"verdict": "ship"}, None) == Message("economics_no_value", kind="skip")
    assert present.economics_gap({"verdict": "ship"}, 10.0) is None
    records = present.skipped_record(none, Translator("zh", "churn"))
    assert [r["section"] for r in records] == [s for s in present.SECTIONS if s in none]
    assert all("purchase" in r["reason"] for r in records)


def test_survival_finding_does_not_call_a_median_of_zero_a_lifetime(t):
    overall = {**_overall(0.0, 0.0, 2.0), "churned_at_start": 0.517}
    found = present.survival_finding(overall, 180)
    assert found.key == "say_median_zero" and found.values["share"] == "51.7%"
    text = t(found.key, **found.values)
    assert "for 0 days" not in text and "no median" in text and not present.median_stated(overall["median"])
    assert present.median_stated({"median": 12.0}) and not present.median_stated({"median": None})


def test_charted_curves_differ_and_group_order():
    assert present.charted("platform") and present.charted("referred") and not present.charted("tier")
    assert present.curves_differ({"p_value": 0.049})
    assert not present.curves_differ({"p_value": 0.05})
    assert not present.curves_differ({"p_value": NAN})
    tiers = pd.DataFrame(index=["low_value", "general", "high_value"])
    assert present.group_order("tier", tiers) == ["high_value", "general", "low_value"]
    assert present.group_order("platform", pd.DataFrame(index=["weibo", "douyin"])) == ["weibo", "douyin"]


def _split(p_value, index=("0", "1"), excluded=0):
    medians = pd.DataFrame({
        "median": [80.0, None], "ci_low": [70.0, None], "ci_high": [95.0, None], "n": [30, 20], "events": [20, 5],
        "survival_at": [0.25, 0.6], "survival_ci_low": [0.15, 0.45], "survival_ci_high": [0.35, 0.75],
    }, index=list(index))
    return {"curves": pd.DataFrame(), "medians": medians, "excluded": excluded,
            "logrank": {"chi2": 7.5, "df": 1, "p_value": p_value, "excluded": excluded}}


def test_segment_findings_name_the_best_and_worst_group_when_curves_differ(t):
    assert present.segment_findings("referred", _split(0.0004), 180, t) == [Message("say_segment_differs", {
        "segment": "referral", "best": "Referred by a friend", "worst": "Came on their own",
        "at": 180, "best_share": "60.0%", "worst_share": "25.0%"})]


def test_segment_findings_say_same_when_chance_explains_the_gap(t):
    assert present.segment_findings("referred", _split(0.2), 180, t) == [
        Message("say_segment_same", {"segment": "referral"})]


def test_segment_findings_of_the_tier_are_a_caveat(t):
    assert present.segment_findings("tier", _split(0.0001, ("general", "low_value")), 180, t) == [
        Message("note_tier_leak", kind="note")]


def test_segment_findings_count_the_customers_without_a_group(t):
    found = present.segment_findings("referred", _split(0.2, excluded=12), 180, t)
    assert found == [Message("say_segment_same", {"segment": "referral"}),
                     Message("note_segment_excluded", {"n": 12, "segment": "referral"}, "note")]
    assert t("note_segment_excluded", n=12, segment="referral").startswith("12 customers have no value for referral")
    zh = Translator("zh", "churn")
    assert zh("note_segment_excluded", n=12, segment=zh("segment_referred")).startswith("12 位客户的是否经推荐未知，")


def test_survival_table(t):
    table = present.survival_table({"referred": _split(0.0004)}, 180, t)
    assert list(table.columns) == ["Group", "Customers", "Churned", "Median lifetime (days)", "95% interval (days)",
                                   "Still active after 180 days", "95% interval"]
    assert table.iloc[0].tolist() == ["referral: Came on their own", 30, 20, "80", "70 – 95", "25.0%",
                                      "15.0% – 35.0%"]
    assert table.iloc[1].tolist() == ["referral: Referred by a friend", 20, 5, "—", "—", "60.0%", "45.0% – 75.0%"]
    zh = present.survival_table({"referred": _split(0.0004)}, 180, Translator("zh", "churn"))
    assert zh.iloc[1, 0] == "是否经推荐：好友推荐而来"


def test_logrank_table_gives_each_split_its_test(t):
    table = present.logrank_table({"referred": _split(0.0004), "platform": _split(0.2)}, t)
    assert table.to_dict("list") == {"Split": ["referral", "platform of acquisition"], "Chi-square": ["7.50", "7.50"],
                                     "Degrees of freedom": [1, 1], "Log-rank p-value": ["< 0.001", "0.200"]}


def test_survival_result():
    result = present.survival_result(_overall(120.0, 100.0, 150.0), {"referred": _split(0.01)}, 180)
    assert {k: v for k, v in result.items() if k != "by_segment"} == {
        "median_days": 120.0, "median_ci": [100.0, 150.0], "at_days": 180, "survival_at": 0.4321,
        "survival_ci": [0.3, 0.55]}
    referred = result["by_segment"]["referred"]
    assert referred["logrank_chi2"] == 7.5 and referred["logrank_p"] == 0.01 and referred["excluded"] == 0
    assert present.survival_result(_overall(120.0, 100.0, 150.0), {"referred": _split(0.01, excluded=3)},
                                   180)["by_segment"]["referred"]["excluded"] == 3
    assert list(referred["groups"]) == ["0", "1"]
    assert referred["groups"]["0"] == {"customers": 30, "churned": 20, "median_days": 80.0,
                                       "median_ci": [70.0, 95.0], "survival_at": 0.25, "survival_ci": [0.15, 0.35]}
    assert math.isnan(referred["groups"]["1"]["median_days"])


# ---------------------------------------------------------------- early signs (Cox)


def _cox(rows, ph_p=None, dropped=(), excluded=0):
    hr = pd.DataFrame(rows, columns=["feature", "hazard_ratio", "ci_low", "ci_high", "p_value"]).set_index("feature")
    ph = pd.DataFrame({"chi2": 1.0, "p_value": ph_p or [0.5] * len(hr)}, index=hr.index)
    return CoxResult(hazard_ratios=hr, ph_test=ph, ph_global={"chi2": 1.0, "df": len(hr), "p_value": 0.5}, n=400,
                     events=150, excluded=excluded, dropped=list(dropped))


def test_clear_effects_need_the_whole_interval_on_one_side_of_one():
    cox = _cox([("referred", 0.6, 0.5, 0.8, 0.001), ("log_spend_first", 1.3, 1.1, 1.6, 0.01),
                ("purchase_days_first", 0.9, 0.7, 1.1, 0.4)])
    assert present.clear_effects(cox.hazard_ratios).tolist() == [True, True, False]


def test_drivers_table(t):
    cox = _cox([("referred", 0.6, 0.5, 0.8, 0.0001)], ph_p=[0.03])
    assert present.drivers_table(cox, t).iloc[0].tolist() == ["Referred by a friend", "0.60", "0.50 – 0.80"]
    table = present.drivers_table(cox, t, tests=True)  # the Methods appendix's version
    assert table.iloc[0].tolist() == ["Referred by a friend", "0.60", "0.50 – 0.80", "< 0.001", "0.030"]
    assert list(table.columns)[0] == "First-30-day behaviour"


def test_driver_findings_order_effects_by_evidence_and_the_checks_flag_drift(t):
    cox = _cox([("log_spend_first", 1.3, 1.1, 1.6, 0.01), ("referred", 0.6, 0.5, 0.8, 0.001),
                ("purchase_days_first", 0.9, 0.7, 1.1, 0.4)], ph_p=[0.5, 0.01, 0.2],
               dropped=["log_interactions_first"])
    assert present.driver_findings(cox, t) == [
        Message("note_cox_sample", {"n": 400, "events": 150}, "note"),
        Message("say_driver_protective", {"change": "40%", "feature": "Referred by a friend", "hr": "0.60",
                                          "low": "0.50", "high": "0.80"}),
        Message("say_driver_harmful", {"feature": "Spend in the first 30 days (log)", "hr": "1.30", "low": "1.10",
                                       "high": "1.60"}),
        Message("note_dropped", {"features": ("Interactions in the first 30 days (log)",)}, "note"),
    ]
    assert present.driver_checks(cox, t) == Message("note_ph_violated", {"features": ("Referred by a friend",)},
                                                    "note")


def test_driver_findings_without_clear_effects_or_drift(t):
    cox = _cox([("purchase_days_first", 0.9, 0.7, 1.1, 0.4)])
    assert [m.key for m in present.driver_findings(cox, t)] == ["note_cox_sample", "say_driver_none"]
    assert present.driver_checks(cox, t).key == "note_ph_ok"


def test_driver_findings_count_the_customers_with_a_missing_feature(t):
    cox = _cox([("purchase_days_first", 0.9, 0.7, 1.1, 0.4)], excluded=7)
    assert present.driver_findings(cox, t)[1] == Message("note_cox_excluded", {"n": 7}, "note")
    assert t("note_cox_excluded", n=7).startswith("7 customers with a missing first-30-day behaviour")


def test_cox_results():
    cox = _cox([("referred", 0.6, 0.5, 0.8, 0.001)], ph_p=[0.3], excluded=4)
    assert present.cox_results(cox) == {
        "cox": {"referred": {"hazard_ratio": 0.6, "ci_low": 0.5, "ci_high": 0.8, "p_value": 0.001,
                             "ph_p_value": 0.3}},
        "cox_excluded": 4}


# ---------------------------------------------------------------- purchase models and the holdout check


@pytest.fixture(scope="module")
def bg():
    return BGNBDFit(params={"r": 0.5, "alpha": 10.0, "a": 1.0, "b": 3.0}, log_likelihood=-123.4,
                    std_errors={"r": 0.05, "alpha": 1.0, "a": 0.2, "b": 0.6}, n_customers=250)


def test_bgnbd_table(t, bg):
    table = present.bgnbd_table(bg, t)
    assert list(table.columns) == ["Parameter", "Meaning", "Estimate", "95% interval"]
    assert table.iloc[0, :3].tolist() == ["r", "shape of purchase rates across customers", "0.500"]
    low, high = (0.5 * np.exp(s * 1.959964 * 0.1) for s in (-1, 1))
    assert table.iloc[0, 3] == f"{low:.3f} – {high:.3f}"


def test_bgnbd_findings(t, bg):
    assert present.bgnbd_findings(bg, "week", t) == [
        Message("say_bgnbd", {"n": 250, "every": "20.0", "unit": "weeks", "dropout": "25.0%"}),
        Message("note_mbgnbd", kind="note")]


def test_a_model_that_cannot_answer_is_named_as_such(t, bg):
    # the drop-out drifting to a ~ 0 with a relative standard error in the hundreds (as on UCI Online Retail)
    loose = BGNBDFit(params={**bg.params, "a": 1e-10, "b": 626.0}, log_likelihood=-1.0,
                     std_errors={**bg.std_errors, "a": 1.4e-8, "b": 21000.0}, n_customers=250)
    assert present.model_answers(bg, bg, 1.0) and not present.model_answers(bg, loose, 1.0)
    table = present.bgnbd_table(loose, t, 1.0)
    assert table["95% interval"].tolist()[2:] == ["not identified", "not identified"]
    assert "not identified" not in table["95% interval"].tolist()[0]
    found = present.bgnbd_findings(loose, "day", t, bg, 1.0)
    assert found == [Message("say_bgnbd_unidentified", {"params": ("a", "b"), "limit": "1"})]
    text = t(found[0].key, **found[0].values)
    assert "cannot tell who has left" in text and "`max_relative_error`" in text and "%" not in text
    # BG/NBD (the table) pinned down, the modified model not: its parameters are named as the modified model's
    found = present.bgnbd_findings(bg, "day", t, loose, 1.0)
    assert found == [Message("say_mbgnbd_unidentified", {"params": ("a", "b"), "limit": "1"})]
    assert "The parameters a, b of the modified model (MBG/NBD)" in t(found[0].key, **found[0].values)
    result = present.bgnbd_result(loose, "day", 1.0)
    assert result["unidentified"] == ["a", "b"] and result["ci"]["a"] is None and result["ci"]["r"] is not None
    assert present.value_gap(None, False) == {"value": Message("value_needs_model", kind="skip")}
    assert present.value_gap(None, True) == {"value": Message("note_no_spend_model", kind="skip")}


def test_bgnbd_and_fit_results(bg):
    assert present.fit_result(bg) == {"r": 0.5, "alpha": 10.0, "a": 1.0, "b": 3.0, "log_likelihood": -123.4}
    result = present.bgnbd_result(bg, "day")
    assert result["time_unit"] == "day" and result["customers"] == 250 and result["log_likelihood"] == -123.4
    assert list(result["ci"]) == ["r", "alpha", "a", "b"]
    assert result["ci"]["alpha"][0] < 10.0 < result["ci"]["alpha"][1]


def _check(actual=200.0, predicted=220.0, ran=True):
    table = pd.DataFrame({"customers": [5, 5]}) if ran else None
    return HoldoutCheck(90, pd.Timestamp("2026-07-02 23:59:59"), 10 if ran else 3, table, actual, predicted)


def test_holdout_rule_passes_within_fifteen_percent():
    assert present.holdout_fits(_check(200.0, 230.0))
    assert present.holdout_fits(_check(200.0, 172.0))
    assert not present.holdout_fits(_check(200.0, 231.0))
    assert not present.holdout_fits(_check(0.0, 5.0))  # no actual purchases: no relative error to trust


def test_holdout_findings_when_the_check_ran():
    assert present.holdout_ran(_check())
    assert present.holdout_findings(_check(2000.0, 1900.0)) == [Message("say_holdout", {
        "cut": "2026-07-02", "days": 90, "predicted": "1,900", "actual": "2,000", "gap": "-5.0%"})]


def test_holdout_findings_with_too_few_customers_are_a_skipped_section():
    check = _check(ran=False)
    check.first_purchase = pd.Timestamp("2026-01-05 10:00")
    assert not present.holdout_ran(check)
    gap = {"holdout": Message("skip_holdout_few_customers", {"n": 3, "cut": "2026-07-02", "min": 10}, "skip")}
    assert present.holdout_gap(check) == gap
    assert present.holdout_findings(check) == [gap["holdout"]]


@pytest.mark.parametrize(("first", "longest"), [("2026-07-03 08:00", 88), ("2026-09-30 12:00", 0), (None, 0)])
def test_a_holdout_window_reaching_before_the_first_purchase_names_the_longest_that_fits(first, longest):
    # the window of 90 days ends on 2026-09-30 23:59:59: a first purchase 89.7 days earlier leaves 88 whole days
    check = _check(ran=False)
    check.first_purchase = None if first is None else pd.Timestamp(first)
    (reason,) = present.holdout_gap(check).values()
    assert reason == Message("skip_holdout_before_data", {
        "days": 90, "cut": "2026-07-02", "start": "—" if first is None else first[:10], "longest": longest}, "skip")
    assert present.holdout_findings(check) == [reason]


def test_no_holdout_gap_when_the_check_ran_or_is_off():
    assert present.holdout_gap(_check()) == {} == present.holdout_gap(None)


def test_holdout_findings_when_the_check_is_off():
    assert not present.holdout_ran(None)
    assert present.holdout_findings(None) == [Message("note_no_holdout", kind="note")]


def test_holdout_result():
    assert present.holdout_result(_check(200.0, 220.0)) == {
        "holdout_days": 90, "calibration_end": "2026-07-02T23:59:59", "actual_purchase_days": 200.0,
        "predicted_purchase_days": 220.0, "relative_error": pytest.approx(0.1)}


# ---------------------------------------------------------------- customer value


@pytest.fixture(scope="module")
def gg():
    return GammaGammaFit(params={"p": 6.0, "q": 4.0, "gamma": 15.0}, log_likelihood=-50.0)


@pytest.fixture(scope="module")
def scored():
    return pd.DataFrame({
        "user_id": [f"u{i}" for i in range(12)],
        "tier": ["low_value"] * 4 + ["high_value"] * 6 + ["general"] * 2,
        "p_alive": [0.1] * 4 + [0.9] * 6 + [0.5] * 2,
        "expected_purchases": [0.2] * 4 + [1.5] * 6 + [0.5] * 2,
        "clv": [10.0] * 4 + [100.0] * 5 + [1400.0] + [50.0] * 2,
    })


def test_gamma_gamma_table(t, gg):
    table = present.gamma_gamma_table(gg, t)
    assert table.to_dict("list") == {"Parameter": ["p", "q", "gamma"],
                                     "Meaning": ["shape of spend per purchase", "shape of spend levels across customers",
                                                 "scale of spend levels"],
                                     "Estimate": ["6.000", "4.000", "15.000"]}


def test_value_findings_give_the_total_and_the_top_tenth(scored, gg, t):
    # 12 customers: the top tenth is the single largest value, 1,400 of 2,040
    assert present.value_findings(scored, gg, 365, "CNY") == [
        Message("say_value", {"label": MetricLabel("customer_value_total", 365), "total": "CNY 2,040",
                              "top_share": "68.6%"})]
    assert t("say_value", label=MetricLabel("customer_value_total", 365), total="CNY 2,040", top_share="68.6%"
             ).startswith("Customer value over 365 days: **CNY 2,040**")
    assert present.value_results(scored, gg, "USD") == {"gamma_gamma": {"p": 6.0, "q": 4.0, "gamma": 15.0,
                                                                        "log_likelihood": -50.0},
                                                        "clv_total": 2040.0, "currency": "USD"}


def test_value_findings_without_a_spend_model(scored):
    assert present.value_findings(scored, None, 365, "CNY") == [Message("note_no_spend_model", kind="note")]
    assert present.value_results(scored, None, "CNY") == {}


def test_value_by_tier_table_runs_from_high_to_low_value(t, scored):
    table = present.value_by_tier_table(scored, 90, t, "CNY")
    assert list(table.columns) == ["RFM tier", "Customers", "Mean P(still a customer)",
                                   "Expected purchases, next 90 days", "Mean customer value", "Total customer value"]
    assert table.iloc[:, 0].tolist() == ["High value", "General", "Low value"]
    assert table.iloc[0, 1:].tolist() == [6, "90.0%", "1.50", f"CNY {1900 / 6:,.2f}", "CNY 1,900"]


def test_counted_rows_read_as_their_customers(t, scored, gg):
    # the engine sends customers with equal scores as one row with their count; every sentence, result and table
    # reads the same as from one row per customer, the top tenth included when it ends inside a counted row
    wide = pd.concat([scored.drop(columns="user_id")] * 3, ignore_index=True).assign(churned=[1, 0, 0] * 12)
    counted = wide.groupby(list(wide.columns)).size().rename("weight").reset_index()
    assert len(counted) < len(wide)
    assert present.customers_finding(counted, 90) == present.customers_finding(wide, 90)
    assert present.customers_headline(counted, t) == present.customers_headline(wide, t) == ("Customers", "36")
    assert present.value_findings(counted, gg, 365, "CNY") == present.value_findings(wide, gg, 365, "CNY")
    assert present.value_results(counted, gg, "CNY") == present.value_results(wide, gg, "CNY")
    pd.testing.assert_frame_equal(present.value_by_tier_table(counted, 90, t, "CNY"),
                                  present.value_by_tier_table(wide.assign(user_id="u"), 90, t, "CNY"))
    # 32 customers: the top tenth (3) takes both of the first row and one of the second
    counted = pd.DataFrame({"clv": [1400.0, 100.0], "weight": [2, 30]})
    assert present.value_findings(counted, gg, 365, "CNY")[0].values["top_share"] == percent(2900 / 5800)
    assert present.value_findings(counted.loc[counted.index.repeat(counted["weight"])].drop(columns="weight"), gg,
                                  365, "CNY") == present.value_findings(counted, gg, 365, "CNY")


# ---------------------------------------------------------------- win-back list


@pytest.fixture(scope="module")
def at_risk():
    return pd.DataFrame({
        "user_id": ["u000123", "u000456"], "tier": ["high_value", "general"], "purchases": [7, 3],
        "total_spend": [812.456, 301.0], "days_since_purchase": [200.4, 149.6], "p_alive": [0.12345, 0.4],
        "expected_purchases": [0.01234, 0.1], "clv": [5.678, 20.0], "value_at_risk": [711.7534, 180.6],
    })


def test_at_risk_finding_by_rule_and_by_purchases(t, at_risk):
    by_rule = present.at_risk_finding(at_risk, 0.75, 0.5, churn_days=90)
    assert by_rule.key == "say_at_risk_rule" and by_rule.values["days"] == 90
    assert "90 days" in t(by_rule.key, **by_rule.values)
    counted = present.at_risk_finding(at_risk, 0.75, 0.5, value="purchases", churn_days=60)
    assert counted.key == "say_at_risk_rule_purchases" and "spent" not in t(counted.key, **counted.values)
    assert present.at_risk_finding(at_risk, 0.75, 0.5, value="purchases").key == "say_at_risk_purchases"


def test_at_risk_finding_and_headline(t, at_risk):
    assert present.at_risk_finding(at_risk, 0.75, 0.5) == Message(
        "say_at_risk", {"n": 2, "top": "25%", "threshold": "50%", "spend": "1,113"})
    assert present.at_risk_headline(at_risk, t) == ("Win-back list", "2")


def test_win_back_table_rounds_and_masks_the_user_column(t, at_risk):
    table = present.win_back_table(at_risk, t, "CNY", horizon_days=90, clv_days=365)
    assert list(table.columns) == ["User", "RFM tier", "Purchases", "Spend to date (CNY)", "Days since last purchase",
                                   "P(still a customer)", "Expected purchases, next 90 days",
                                   "Customer value, next 365 days (CNY)", "Value at risk (CNY)"]
    assert table.iloc[0].tolist() == ["u000123", "High value", 7, 812.46, 200, 0.123, 0.012, 5.68, 711.75]
    assert table.iloc[1, 4] == 150
    masked = present.win_back_table(at_risk.assign(user_id="***"), t, "CNY", horizon_days=90, clv_days=365)
    assert masked["User"].tolist() == ["***", "***"]


def test_export_notes():
    assert present.export_notes(True, "analyst") == [Message("note_export", kind="note")]
    assert present.export_notes(False, "client") == [Message("note_masked", kind="note")]
    assert present.export_notes(False, "analyst") == []


# ---------------------------------------------------------------- win-back test


EFFECT = {"treated_rate": 0.15, "holdout_rate": 0.05, "uplift": 0.1, "ci_low": 0.0512, "ci_high": 0.1488,
          "p_value": 0.0042, "test": "z", "n_treated": 900, "n_holdout": 100, "comebacks_treated": 135,
          "comebacks_holdout": 5, "n_excluded": 0, "verdict": "ship", "reason": "winner", "value_per_comeback": 50.0}
ECONOMICS = {"coupon_spend": 2700.0, "value_per_comeback": 50.0, "uplift_verdict": "ship", "extra_comebacks": 90.0,
             "extra_comebacks_low": 46.08, "extra_comebacks_high": 133.92, "value_won": 4500.0,
             "value_won_low": 2304.0, "value_won_high": 6696.0, "net": 1800.0, "net_low": -396.0, "net_high": 3996.0,
             "roi": 0.6667, "break_even_value": 30.0}


def test_winback_significance_is_the_decision_rules_verdict_to_ship():
    # the evidence (p, interval, units) is weighed by socialops.stats.decision, tested there
    assert present.winback_significant(EFFECT)
    for verdict, reason in [("keep_running", "underpowered"), ("too_few_units", "too_few_units"),
                            ("stop", "no_effect")]:
        assert not present.winback_significant(EFFECT | {"verdict": verdict, "reason": reason})


def test_winback_test_table(t):
    assert present.winback_test_table(EFFECT, t).to_dict("list") == {
        "Arm": ["Holdout (no offer)", "Offer sent"], "Customers": [100, 900], "Came back": [5, 135],
        "Comeback rate": ["5.0%", "15.0%"]}


def test_comeback_value_notes_only_when_the_test_carries_no_values():
    assert present.comeback_value_notes(EFFECT, 50.0, "CNY") == []
    assert present.comeback_value_notes(EFFECT | {"value_per_comeback": None}, 42.125, "CNY") == [
        Message("note_value_fallback", {"value": "CNY 42.12"}, "note")]


def test_winback_finding_and_headline(t):
    verdict, numbers = present.winback_finding(EFFECT, "winback_2026q3")
    assert verdict == Message("winback_verdict_winner", {"name": "winback_2026q3", "n_holdout": 100,
                                                         "n_treated": 900, "n_min": 20, "mde_points": "1"})
    assert numbers == Message("say_winback", {
        "name": "winback_2026q3", "treated": "15.0%", "holdout": "5.0%", "uplift": "10", "low": "5",
        "high": "15", "p": "= 0.004"})
    # a difference of rates, in percentage points to the digit of its interval, never "10.0% more"
    assert "an uplift of **10 percentage points** (95% interval 5 to 15, p = 0.004)" in t(numbers.key, **numbers.values)
    few = present.winback_finding(EFFECT | {"verdict": "too_few_units", "reason": "too_few_units",
                                            "n_excluded": 3}, "wb")
    assert [m.key for m in few] == ["winback_verdict_too_few_units", "say_winback", "note_winback_excluded"]
    assert "below 20 customers an arm" in t(few[0].key, **few[0].values)
    for reason in ("winner", "harm", "no_effect", "underpowered", "too_few_units"):
        message = present.winback_finding(EFFECT | {"reason": reason}, "wb")[0]
        assert t(message.key, **message.values)
    assert present.winback_headline(EFFECT, t) == ("Comeback rate", "5.0% → 15.0%")
    assert present.winback_headline(EFFECT | {"verdict": "too_few_units"}, t) == ("Comeback rate",
                                                                                 "too few customers to judge")


def test_winback_economics_table_and_finding(t):
    table = present.winback_economics_table(ECONOMICS, t, "CNY")
    assert list(table.columns) == ["Item", "Value", "Low", "High"]
    assert table["Item"].tolist()[1:4] == ["Value won back", "Cost of the offer", "Net result of the offer"]
    # extra customers whole; amounts with their currency, whole where an interval is wide
    assert table["Value"].tolist() == ["90", "CNY 4,500", "CNY 2,700", "CNY 1,800", "CNY 50.00", "CNY 30.00"]
    assert table["Low"].tolist() == ["46", "CNY 2,304", "", "CNY -396", "", ""]
    assert table["High"].tolist() == ["134", "CNY 6,696", "", "CNY 3,996", "", ""]
    no_break_even = present.winback_economics_table(ECONOMICS | {"break_even_value": None}, t, "CNY")
    assert no_break_even["Value"].iloc[-1] == "—"
    assert present.winback_money_finding(ECONOMICS, "EUR") == Message("say_winback_money", {
        "extra": "90", "won": "EUR 4,500", "cost": "EUR 2,700", "net": "EUR 1,800", "net_low": "EUR -396",
        "net_high": "EUR 3,996"})


def test_winback_result():
    assert present.winback_result(None, None) is None
    result = present.winback_result(EFFECT, ECONOMICS, "USD")
    money = {k: v for k, v in ECONOMICS.items() if k != "uplift_verdict"} | {"currency": "USD"}
    assert result == {"treated_rate": 0.15, "holdout_rate": 0.05, "uplift": 0.1, "ci_low": 0.0512, "ci_high": 0.1488,
                      "p_value": 0.0042, "test": "z", "n_treated": 900, "n_holdout": 100, "n_excluded": 0,
                      "verdict": "ship", "reason": "winner", "economics": money}


@pytest.mark.parametrize(("net_low", "net_high", "verdict"), [
    (10.0, 500.0, "pays"), (-500.0, -10.0, "loses"), (-396.0, 3996.0, "unclear"), (0.0, 0.0, "unclear"),
    (NAN, NAN, "unclear"),
])
def test_winback_verdict(net_low, net_high, verdict):
    assert present.winback_verdict(ECONOMICS | {"net_low": net_low, "net_high": net_high}) == verdict


def test_winback_verdict_without_a_test():
    assert present.winback_verdict(None) is None


def test_winback_verdict_reads_the_money_only_as_far_as_the_uplift_was_judged():
    paying = ECONOMICS | {"net_low": 10.0, "net_high": 500.0}
    assert present.winback_verdict(paying | {"uplift_verdict": "too_few_units"}) == "too_few"
    assert present.winback_verdict(paying | {"uplift_verdict": "keep_running"}) == "unclear"
    harm = ECONOMICS | {"uplift_verdict": "stop", "extra_comebacks": -30.0}
    assert present.winback_verdict(harm) == "loses"


# ---------------------------------------------------------------- recommendations


def _hazard_ratios(**ci_high):
    return pd.DataFrame({"ci_high": list(ci_high.values())}, index=list(ci_high))


def test_referral_rule():
    assert present.referral_protects(_hazard_ratios(referred=0.9, log_spend_first=1.2))
    assert not present.referral_protects(_hazard_ratios(referred=1.1))
    assert not present.referral_protects(_hazard_ratios(log_spend_first=0.5))  # no referral data


def test_early_behaviour_rule_leaves_referral_out():
    assert present.early_behaviour_protects(_hazard_ratios(referred=1.2, purchase_days_first=0.8))
    assert not present.early_behaviour_protects(_hazard_ratios(referred=0.5, purchase_days_first=1.01))
    assert not present.early_behaviour_protects(_hazard_ratios(referred=0.5))


def test_recommendations_with_everything_to_say(at_risk):
    recs = present.recommendations(at_risk, ECONOMICS | {"net_low": 10.0},
                                   _hazard_ratios(referred=0.8, purchase_days_first=0.9))
    assert recs == [Message("rec_reason"), Message("rec_winback_list", {"n": 2}), Message("rec_winback_pays"),
                    Message("rec_referral"), Message("rec_early")]


def test_recommendations_with_little_to_say(at_risk):
    recs = present.recommendations(at_risk.iloc[:0], None, _hazard_ratios(referred=1.2, purchase_days_first=1.1))
    assert recs == [Message("rec_reason")]
    recs = present.recommendations(at_risk, ECONOMICS | {"net_high": -1.0}, _hazard_ratios(referred=1.2))
    assert [m.key for m in recs] == ["rec_reason", "rec_winback_list", "rec_winback_loses"]


def test_every_message_key_is_in_the_catalog(t, bg, scored, gg, at_risk):
    messages = [
        present.customers_finding(pd.DataFrame({"churned": [1, 0]}), 90),
        present.survival_finding(_overall(1.0, 1.0, 2.0), 180), present.survival_finding(_overall(None), 180),
        *present.segment_findings("tier", _split(0.1), 180, t), *present.holdout_findings(None),
        *present.bgnbd_findings(bg, "day", t), *present.value_findings(scored, None, 365, "CNY"),
        *present.export_notes(False, "client"), *present.export_notes(True, "analyst"),
        *present.recommendations(at_risk, ECONOMICS, _hazard_ratios(referred=0.5, purchase_days_first=0.5)),
        *present.recommendations(at_risk, ECONOMICS | {"uplift_verdict": "too_few_units"}, _hazard_ratios()),
    ]
    for message in messages:
        assert t(message.key, **message.values)


def test_metric_records_read_the_recorded_value_and_win_back_money():
    econ = {"coupon_spend": 400.0, "value_won": 900.0, "value_won_low": 300.0, "value_won_high": 1500.0,
            "net": 500.0, "net_low": -100.0, "net_high": 1100.0}
    entries = present.metric_records({"clv_total": 2040.0, "winback": {"economics": econ}}, 365, "USD")
    assert [e["metric"] for e in entries] == ["customer_value_total", "winback_offer_cost", "winback_value_won",
                                              "winback_net"]
    assert entries[0] == {"metric": "customer_value_total", "days": 365, "value": 2040.0, "ci_low": None,
                          "ci_high": None, "unit": "amount", "currency": "USD"}
    assert (entries[3]["value"], entries[3]["ci_low"], entries[3]["ci_high"]) == (500.0, -100.0, 1100.0)
    # nothing measured, nothing listed
    assert present.metric_records({"winback": None}, 365, "USD") == []
