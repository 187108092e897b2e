"""What the reader of chapter 02 sees: tables, findings, recommendations, headlines and recorded results."""

from __future__ import annotations

import math
import string

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from socialops.lifecycle import analysis as lc
from socialops.lifecycle import present, virality
from socialops.report.findings import Message
from socialops.report.format import percent
from socialops.report.i18n import Translator, load_catalog
from socialops.report.metrics import MetricLabel
from socialops.stats import rfm

EN = Translator("en", "lifecycle")
ZH = Translator("zh", "lifecycle")
NAN = float("nan")

SIZES = pd.DataFrame(
    {
        "users": [50, 30, 10, 2, 8],
        "share": [0.5, 0.3, 0.1, 0.02, 0.08],
        "previous_users": [40, 31, 5, 2, 2],
        "change": [10, -1, 5, 0, 6],
    },
    index=list(lc.STAGES),
)
CHURNED = pd.DataFrame(
    {"users": [3, 5], "share": [0.03, 0.05], "previous_users": [1, 1], "change": [2, 4]},
    index=list(lc.CHURN_GROUPS),
)
FUNNEL = lc.stage_funnel(SIZES["users"])
TIERS = pd.DataFrame(
    {"users": [10, 0, 50, 20], "user_share": [0.125, 0.0, 0.625, 0.25], "revenue_share": [0.4, 0.0, 0.5, 0.1]},
    index=list(rfm.TIERS),
)
SEGMENTS = pd.DataFrame(
    {
        "users": [10, 0, 5, 5, 0, 20, 20, 20],
        "user_share": [0.125, 0.0, 0.0625, 0.0625, 0.0, 0.25, 0.25, 0.25],
        "revenue_share": [0.4, 0.0, 0.1, 0.1, 0.0, 0.2, 0.1, 0.1],
        "mean_recency_days": [3.14, NAN, 50.0, 60.0, NAN, 5.0, 70.0, 80.06],
        "mean_frequency": [4.444, NAN, 3.0, 1.0, NAN, 1.0, 2.0, 1.0],
        "mean_monetary": [99.95, NAN, 10.0, 9.0, NAN, 8.0, 7.0, 1.04],
    },
    index=list(rfm.SEGMENT_ORDER),
)
VIRAL = pd.DataFrame(
    {
        "value": [0.2, 0.01802],
        "ci_low": [0.1, 0.0101],
        "ci_high": [0.3, 0.0299],
        "previous": [0.25, 0.02],
    },
    index=["share_rate", "k_factor"],
)
FIRST_ORDER = {"new_users": 20, "converted": 5, "rate": 0.25, "ci_low": 0.11, "ci_high": 0.47}


# ---------------------------------------------------------------- results
def test_user_counts_are_plain_ints():
    got = present.user_counts(SIZES)
    assert got == {"potential": 50, "new": 30, "active": 10, "loyal": 2, "churned": 8}
    assert all(type(n) is int for n in got.values())


def test_transition_counts_nest_by_row():
    matrix = pd.DataFrame(np.arange(30).reshape(6, 5), index=[lc.UNSEEN, *lc.STAGES], columns=list(lc.STAGES))
    got = present.transition_counts(matrix)
    assert list(got) == [lc.UNSEEN, *lc.STAGES]
    assert got["none"] == {"potential": 0, "new": 1, "active": 2, "loyal": 3, "churned": 4}
    assert type(got["churned"]["churned"]) is int and got["churned"]["churned"] == 29


def test_virality_results():
    got = present.virality_results(VIRAL)
    assert list(got) == ["k_factor", "share_rate"] and got == {"k_factor": 0.01802, "share_rate": 0.2}
    assert all(type(v) is float for v in got.values())


# ---------------------------------------------------------------- tables
def test_stage_table():
    table = present.stage_table(SIZES, EN, 30)
    assert list(table.columns) == ["Stage", "Goal", "Users", "Share", "Users 30 days earlier", "Change"]
    assert table["Stage"].tolist() == ["Potential", "New", "Active", "Loyal", "Churned"]
    assert table["Goal"].iloc[1] == "Win the first order"
    assert table["Share"].tolist() == ["50.0%", "30.0%", "10.0%", "2.0%", "8.0%"]
    assert table["Change"].tolist() == [10, -1, 5, 0, 6]


def test_churned_table_in_chinese():
    table = present.churned_table(CHURNED, ZH, 60)
    assert list(table.columns) == ["分组", "用户数", "占比", "60 天前用户数", "变化"]
    assert table["分组"].tolist() == ["流失老客户", "流失的潜在客户"]
    assert table["占比"].tolist() == ["3.0%", "5.0%"]


def test_funnel_table_leaves_the_first_step_without_conversion():
    table = present.funnel_table(FUNNEL, EN)
    assert table["Stage"].tolist() == ["Potential", "New", "Active", "Loyal"]
    assert table["Reached this step"].tolist() == [92, 42, 12, 2]
    # each step to the precision its interval supports: a few users give whole percentages
    assert table["Conversion from previous step"].tolist() == ["—", "46%", "29%", "17%"]
    low, high = table.loc[3, "95% low"], table.loc[3, "95% high"]
    ref_low, ref_high = proportion_confint(2, 12, method="wilson")
    assert float(low.rstrip("%")) == math.floor(100 * ref_low) and float(high.rstrip("%")) == math.ceil(100 * ref_high)
    assert table["95% low"].iloc[0] == "—" and table["95% high"].iloc[3] != "—"


def test_stage_moves_table_follows_stage_order():
    shuffled = SIZES.iloc[::-1]
    table = present.stage_moves_table(shuffled, EN)
    assert table["Stage"].tolist() == ["Potential", "New", "Active", "Loyal", "Churned"]
    assert table["Users"].tolist() == [50, 30, 10, 2, 8]
    assert list(table.columns) == ["Stage", "Users", "Goal", "What to do"]


def test_tier_table():
    table = present.tier_table(TIERS, EN)
    assert table["Tier"].tolist() == ["High value", "Potential high value", "General", "Low value"]
    assert table["Who"].iloc[0] == "recent, frequent, big spenders"
    assert table["Share of revenue"].tolist() == ["40.0%", "0.0%", "50.0%", "10.0%"]
    assert table["What to do"].iloc[2] == "Coupons to raise frequency."


def test_segment_table_rounds_the_means():
    table = present.segment_table(SEGMENTS, EN, "CNY")
    assert table["Segment"].iloc[0] == "Important value" and len(table) == 8
    assert table["Mean days since last purchase"].iloc[0] == 3.1
    assert table["Mean purchases"].iloc[0] == 4.44
    assert table["Mean spend"].iloc[7] == f"CNY {SEGMENTS['mean_monetary'].iloc[7]:,.2f}"
    assert table["Mean spend"].iloc[1] == "—"
    assert present.segment_table(SEGMENTS, EN, "JPY")["Mean spend"].iloc[7].startswith("JPY ")


def test_format_metric():
    assert present.metric_text("rate", 0.01234) == "1.23%"
    assert present.metric_text("count", 12345.0) == "12,345"
    assert present.metric_text("ratio", 1.5) == "1.50"
    assert present.metric_text("factor", 0.01802) == "0.018"
    assert present.metric_text("rate", float("nan")) == "—"


def test_metric_table():
    metrics = pd.DataFrame({
        "layer": ["awareness", "virality"],
        "metric": ["impressions", "k_factor"],
        "kind": ["count", "factor"],
        "value": [12345.0, 0.01802],
        "ci_low": [NAN, 0.01],
        "ci_high": [NAN, 0.03],
        "previous": [1000.0, NAN],
    })
    table = present.metric_table(metrics, EN, 30)
    assert list(table.columns) == ["Layer", "Metric", "Last 30 days", "95% low", "95% high", "Previous 30 days"]
    assert table["Layer"].tolist() == ["Awareness", "Virality"]
    assert table["Metric"].tolist() == ["Impressions", "K-factor"]
    # the K-factor's interval (0.01 – 0.03) supports two decimals
    assert table["Last 30 days"].tolist() == ["12,345", "0.02"]
    assert table["95% low"].tolist() == ["—", "0.01"]
    assert table["Previous 30 days"].tolist() == ["1,000", "—"]


# ---------------------------------------------------------------- findings
def test_stage_findings():
    [found] = present.stage_findings(SIZES, EN, pd.Timestamp("2026-09-30 23:59:59"), 30)
    key, values = found.key, found.values
    assert key == "say_stages"
    assert values == {
        "as_of": "2026-09-30", "total": 100, "largest": "Potential", "share": "50.0%", "days": 30,
        "grew": "Potential", "change": "+10",
    }
    bigger = SIZES.assign(change=[10, -1, 5, 0, 1234])
    assert present.stage_findings(bigger, EN, pd.Timestamp("2026-09-30"), 30)[0].values["change"] == "+1,234"


def test_churned_findings():
    assert present.churned_findings(CHURNED) == [Message("say_churned", {"churned": 8, "customers": 3, "prospects": 5})]


def test_funnel_findings_with_first_order():
    *steps, first_order = present.funnel_findings(FUNNEL, FIRST_ORDER, 30)
    assert [m.key for m in steps] == ["say_funnel_new", "say_funnel_active", "say_funnel_loyal"]
    assert steps[2].values == {"rate": "17%"}
    # the funnel's step into active and the first orders since a snapshot are two metrics, named apart
    assert steps[1].values["label"] == MetricLabel("acquired_buyer_share")
    first, conversion = first_order.key, first_order.values
    assert first == "say_first_order"
    assert conversion == {"label": MetricLabel("new_user_first_order", 30), "new_users": 20, "converted": 5,
                          "days": 30, "rate": "25%", "low": "11%",
                          "high": "47%"}  # an interval 36 points wide: whole percentages
    assert EN(first, **conversion).startswith("First orders of users new 30 days ago: of the **20** users")
    assert ZH(first, **conversion).startswith("30 天前新用户的首单转化率：")


def test_funnel_findings_when_nobody_was_new():
    nobody = {"new_users": 0, "converted": 0, "rate": NAN, "ci_low": NAN, "ci_high": NAN}
    got = present.funnel_findings(FUNNEL, nobody, 14)
    assert [m.key for m in got][-1] == "say_first_order_none"
    assert got[-1].values == {"days": 14}


def test_transition_findings():
    matrix = pd.DataFrame(0, index=[lc.UNSEEN, *lc.STAGES], columns=list(lc.STAGES))
    matrix.loc["none", "potential"] = 7
    matrix.loc["active", "churned"] = 3
    matrix.loc["churned", "churned"] = 50  # stayed churned: neither lost nor won back
    matrix.loc["churned", "active"] = 2
    assert present.transition_findings(matrix, 30) == [
        Message("say_transitions", {"days": 30, "arrived": 7, "lost": 3, "won_back": 2})
    ]


def test_rfm_findings():
    [found] = present.rfm_findings(SEGMENTS, TIERS, EN)
    key, values = found.key, found.values
    assert key == "say_rfm"
    # the first of the tied largest segments
    assert values == {"customers": 80, "users": "12.5%", "revenue": "40.0%", "segment": "General development",
                      "segment_users": 20}


def test_cohort_findings():
    repeat = {"rate": 0.5, "ci_low": 0.15, "ci_high": 0.85}
    assert present.cohort_findings(NAN, repeat) == [
        Message("say_cohorts", {"month1_label": MetricLabel("next_month_repurchase"), "month1": "—",
                                "repeat_label": MetricLabel("repeat_customer_share"), "rate": "50%", "low": "15%",
                                "high": "85%"})
    ]
    [found] = present.cohort_findings(0.3689, repeat)
    assert EN(found.key, **found.values) == ("Cohort buying again the month after its first purchase: 36.9%. "
                                             "Customers who bought more than once (all time): **50%** "
                                             "(95% interval 15% to 85%).")


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-09-30 23:59:59.999999", []),
        ("2026-09-30 23:59:59", [Message("say_cohorts_partial", {"month": "2026-09"}, "note")]),
        ("2026-02-01 00:00:00", [Message("say_cohorts_partial", {"month": "2026-02"}, "note")]),
        ("2025-12-31 23:59:59.999999", []),
    ],
)
def test_cohort_notes_only_for_a_running_month(as_of, expected):
    assert present.cohort_notes(pd.Timestamp(as_of)) == expected


def test_virality_findings():
    share, k = present.virality_findings(VIRAL, 30)
    # each to the digits its interval supports, the period before alike
    assert share == Message("say_share_rate", {"days": 30, "share_rate": "20%", "share_low": "10%",
                                               "share_high": "30%", "share_prev": "25%"})
    assert k == Message("say_k_factor", {"days": 30, "k": "0.02", "k_low": "0.01", "k_high": "0.03",
                                         "per100": "2", "k_prev": "0.02"})
    narrow = VIRAL.assign(ci_low=[0.199, 0.0175], ci_high=[0.201, 0.0185])
    share, k = present.virality_findings(narrow, 30)
    assert (share.values["share_rate"], k.values["k"], k.values["per100"]) == ("20.0%", "0.018", "1.8")


def test_virality_findings_without_a_previous_period():
    viral = VIRAL.assign(previous=[NAN, NAN])
    share, k = present.virality_findings(viral, 30)
    assert share.values["share_prev"] == "—" and k.values["k_prev"] == "—"


def test_metrics_finding_names_the_period():
    assert present.metrics_finding(30) == Message("say_metrics", {"days": 30})
    assert "last 30 days" in EN("say_metrics", **present.metrics_finding(30).values)


def test_crm_notes():
    sizes = {"new": 2, "loyal": 1}
    assert present.crm_notes(sizes, "analyst") == [Message("note_crm_exported", {"files": 2, "users": 3}, "note")]
    assert present.crm_notes({}, "analyst") == [Message("note_crm_exported", {"files": 0, "users": 0}, "note")]
    assert present.crm_notes({}, "client") == [Message("note_crm_client", kind="note")]


def test_recommendations_rank_by_users_and_skip_empty_groups():
    sizes = pd.DataFrame({"users": {"potential": 500, "new": 120, "active": 80, "loyal": 0, "churned": 40}})
    churned = pd.DataFrame({"users": {"former_customers": 30, "lapsed_prospects": 10}})
    tiers = pd.DataFrame(
        {"users": [10, 0, 50, 20], "revenue_share": [0.4, 0.0, 0.5, 0.1]},
        index=["high_value", "potential_high_value", "general", "low_value"],
    )
    recs = present.recommendations(sizes, churned, {"rate": 0.25, "ci_low": 0.2, "ci_high": 0.3}, tiers,
                                   k_factor=0.0123, days=30)
    keys = [m.key for m in recs]
    assert keys == ["rec_awareness", "rec_first_order", "rec_winback", "rec_low_value", "rec_high_value"]
    values = {m.key: m.values for m in recs}
    # the rate as the finding writes it (to its interval's precision), under the same label
    assert values["rec_first_order"] == {"users": 120, "rate": "25%",
                                         "label": MetricLabel("new_user_first_order", 30)}
    assert values["rec_high_value"]["revenue_share"] == "40.0%"
    assert "rec_referral" not in values  # no loyal users


def test_recommendations_carry_the_k_factor_and_every_tier():
    recs = {m.key: m.values
            for m in present.recommendations(SIZES, CHURNED, FIRST_ORDER, TIERS.assign(users=[1, 2, 3, 4]), 0.01802,
                                             days=30)}
    assert recs["rec_referral"] == {"users": 2, "k": "0.018"}
    assert recs["rec_potential_high"] == {"users": 2}
    assert recs["rec_winback"] == {"users": 3}


# ---------------------------------------------------------------- headlines
def test_headlines():
    sizes = SIZES.assign(users=[50, 30, 10, 1875, 10914])
    assert present.headlines(sizes, VIRAL, EN, 30) == [
        ("Loyal users", "1,875"), ("Churned users", "10,914"), ("K-factor (last 30 days)", "0.018")
    ]
    assert present.headlines(sizes, VIRAL, ZH, 7)[2] == ("K 因子（近 7 天）", "0.018")


# ---------------------------------------------------------------- catalog
def test_percent_text():
    assert percent(0.1234) == "12.3%" and percent(float("nan")) == "—" and percent(0.01234, 2) == "1.23%"


def test_catalog_covers_every_label_in_both_languages():
    catalog = load_catalog("lifecycle")
    fields = {
        key: {lang: {f for _, f, _, _ in string.Formatter().parse(text) if f} for lang, text in entry.items()}
        for key, entry in catalog.items()
    }
    for key, by_lang in fields.items():
        assert by_lang["en"] == by_lang["zh"], key
        # Report.say hands every value over as text, so no template may carry a numeric format spec.
        for text in catalog[key].values():
            text.format(**{name: "x" for name in by_lang["en"]})
    needed = [f"stage_{s}" for s in (*lc.STAGES, lc.UNSEEN)]
    needed += [f"{kind}_{s}" for s in lc.STAGES for kind in ("goal", "moves")]
    needed += [f"churn_{g}" for g in lc.CHURN_GROUPS]
    needed += [f"segment_{s}" for s in rfm.SEGMENT_ORDER]
    needed += [f"{kind}_{t}" for t in rfm.TIERS for kind in ("tier", "tier_rule", "tier_moves")]
    needed += [f"layer_{x}" for x in virality.METRIC_LAYERS]
    needed += [f"metric_{m}" for ms in virality.METRIC_LAYERS.values() for m in ms]
    needed += ["rec_winback", "rec_first_order", "rec_awareness", "rec_referral", "rec_high_value"]
    needed += ["rec_potential_high", "rec_low_value"]
    t = Translator("zh", "lifecycle")
    assert [key for key in needed if not t.has(key)] == []


# ---------------------------------------------------------------- evidence: what the log can show
PURCHASES_ONLY = frozenset({"purchase"})


def test_skipped_sections_say_what_to_add_in_report_order():
    got = present.skipped_sections(PURCHASES_ONLY, ["user_id", "ts", "event", "amount"], platform_daily=False)
    assert list(got) == ["churned", "funnel_new", "funnel_active", "first_order", "share_rate", "k_factor",
                         "platform_awareness"]
    assert all(m.kind == "skip" for m in got.values())
    assert present.skipped_sections(present.EVERYTHING, ["amount"], platform_daily=True) == {}
    no_amount = present.skipped_sections(present.EVERYTHING, ["user_id"], platform_daily=True)
    assert no_amount == {"rfm": Message("skip_rfm_amount", kind="skip")}
    record = present.skipped_record(got, EN)
    assert record[5] == {"section": "k_factor", "reason": "no referral events in the data: add referrer_id to "
                                                          "signups or purchases to measure the K-factor"}
    assert record[0]["section"] == "churned" and "：" in present.skipped_record(got, ZH)[0]["reason"]


def test_a_purchase_log_blanks_the_steps_it_cannot_measure():
    funnel = present.measured_funnel(FUNNEL, PURCHASES_ONLY)
    assert funnel.loc[["new", "active"], "conversion"].isna().all()
    assert funnel.loc["loyal", "conversion"] == FUNNEL.loc["loyal", "conversion"]
    assert present.funnel_table(funnel, EN).iloc[1, 3] == "—"
    assert [m.key for m in present.funnel_findings(funnel, None, 30, PURCHASES_ONLY)] == ["say_funnel_loyal"]
    assert not present.buyers_measured(PURCHASES_ONLY) and present.buyers_measured({"purchase", "view"})
    assert [m.key for m in present.stage_notes(PURCHASES_ONLY)] == ["note_no_browsing", "note_no_acquisition"]


def test_virality_without_its_events_is_null_unsaid_and_out_of_the_headlines():
    assert present.virality_results(VIRAL, PURCHASES_ONLY) == {"k_factor": None, "share_rate": None}
    assert present.virality_findings(VIRAL, 30, PURCHASES_ONLY) == []
    assert [m.key for m in present.virality_findings(VIRAL, 30, {"share"})] == ["say_share_rate"]
    assert present.headlines(SIZES, VIRAL, EN, 30, PURCHASES_ONLY) == [("Loyal users", "2"), ("Churned users", "8")]


def test_recommendations_leave_unmeasured_numbers_out_of_their_wording():
    recs = {m.key: m.values for m in present.recommendations(SIZES, CHURNED, None, None, None, days=30)}
    assert recs["rec_first_order_plain"] == {"users": 30} and recs["rec_referral_plain"] == {"users": 2}
    assert not {"rec_high_value", "rec_low_value", "rec_first_order", "rec_referral"} & set(recs)


def test_metric_rows_rest_on_their_events():
    metrics = pd.DataFrame({"metric": ["active_users", "share_rate", "k_factor", "repurchase_rate"]})
    assert present.measured_metrics(metrics, PURCHASES_ONLY)["metric"].tolist() == ["active_users",
                                                                                     "repurchase_rate"]
    assert present.metrics_note(metrics, PURCHASES_ONLY, EN) == [
        Message("note_metrics_left_out", {"metrics": "Share rate, K-factor"}, "note")]
    assert present.metrics_note(metrics, present.EVERYTHING, EN) == []


def test_metric_records_name_each_conversion_and_repurchase_rate_apart():
    system = pd.DataFrame({"metric": ["first_order_conversion", "repurchase_rate", "share_rate"],
                           "value": [0.53, 0.79, 0.14], "ci_low": [0.50, 0.78, 0.13], "ci_high": [0.56, 0.81, 0.15]})
    repeat = {"rate": 0.7, "ci_low": 0.69, "ci_high": 0.71}
    records = present.metric_records(FUNNEL, FIRST_ORDER, repeat, 0.369, system, compare_days=14, period_days=30)
    by_name = {r["metric"]: r for r in records}
    assert list(by_name) == ["acquired_buyer_share", "new_user_first_order", "repeat_customer_share",
                             "next_month_repurchase", "period_acquired_first_order", "period_buyer_repeat_share"]
    active = FUNNEL.loc["active"]
    assert by_name["acquired_buyer_share"]["value"] == active["reached"] / FUNNEL.loc["new", "reached"]
    assert by_name["new_user_first_order"] == {"metric": "new_user_first_order", "days": 14, "value": 0.25,
                                               "ci_low": 0.11, "ci_high": 0.47, "unit": "share"}
    assert by_name["period_buyer_repeat_share"]["days"] == 30 and by_name["period_buyer_repeat_share"]["value"] == 0.79
    nobody = {**FIRST_ORDER, "new_users": 0}
    unmeasured = FUNNEL.assign(conversion=np.nan)
    assert present.metric_records(unmeasured, nobody, None, None, None, compare_days=30, period_days=30) == []
