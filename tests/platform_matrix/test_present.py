"""Unit tests of socialops.platform_matrix.present: tables, findings, advice, headlines and recorded results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialops.platform_matrix import analysis as pm
from socialops.platform_matrix import posting as po
from socialops.platform_matrix import present
from socialops.report.findings import Message
from socialops.report.i18n import Translator
from tests.platform_matrix.test_analysis import make_daily
from tests.platform_matrix.test_posting import make_posts

EN = Translator("en", "platform_matrix")
ZH = Translator("zh", "platform_matrix")
NAN = np.nan


class Capitals(Translator):
    """The English catalog with platform names in capitals, so that a test tells a display name from an id."""

    def label(self, prefix, value):
        return str(value).upper() if prefix == "platform" else super().label(prefix, value)


def keys(messages):
    return [m.key for m in messages]


def by_key(messages):
    return {m.key: m.values for m in messages}


def make_metrics(**columns) -> pd.DataFrame:
    """Three platforms as platform_metrics returns them (largest reach first); keyword columns replace defaults."""
    frame = pd.DataFrame({
        "platform": ["douyin", "wechat", "newsite"], "days": [30, 30, 30],
        "impressions": [3_000_000.0, 1_000_000.0, 1_000_000.0],
        "impressions_per_day": [100_000.0, 33_333.3, 33_333.3],
        "engagement_rate": [0.03, 0.05, 0.04], "engagement_rate_low": [0.025, 0.045, 0.035],
        "engagement_rate_high": [0.035, 0.055, 0.045],
        "ctr": [0.01, 0.03, 0.02], "ctr_low": [0.009, 0.028, 0.018], "ctr_high": [0.011, 0.032, 0.022],
        "conversion_rate": [0.01, 0.08, 0.02], "conversion_rate_low": [0.008, 0.07, 0.015],
        "conversion_rate_high": [0.012, 0.09, 0.025],
        "cost_per_follower": [30.0, 8.0, 1234.5], "cost_per_follower_low": [25.0, 7.0, 1000.0],
        "cost_per_follower_high": [35.0, 9.0, 1469.0],
        "new_followers": [900.0, 400.0, 10.0], "follower_growth": [0.1, 0.05, NAN]})
    for name, values in columns.items():
        frame[name] = values
    return frame


def without(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The frame as platform_metrics returns it when the data lack a metric's columns."""
    return frame.assign(**{metric: NAN, f"{metric}_low": NAN, f"{metric}_high": NAN})


# ------------------------------------------------------------------ names


def test_platform_names_are_display_names_in_the_report_language():
    assert present.platform_names(["wechat", "douyin"], EN) == "WeChat, Douyin"
    assert present.platform_names(["wechat", "douyin"], ZH) == "微信、抖音"
    assert present.platform_names(["newsite"], EN) == "newsite"
    assert present.platform_names([], EN) == ""


def test_metric_name_is_capitalised():
    assert present.metric_name("ctr", EN) == "Click-through rate"
    assert present.metric_name("cost_per_follower", EN) == "Cost per new follower"
    assert present.metric_name("ctr", ZH) == "点击率"


def test_goal_key_is_custom_only_with_weights():
    assert present.goal_key("conversion", None) == "conversion"
    assert present.goal_key("awareness", {}) == "awareness"
    assert present.goal_key("awareness", {"reach": 1.0}) == "custom"


def test_hours_label_merges_consecutive_hours():
    assert present.hours_label([21, 20]) == "20:00–21:59"
    assert present.hours_label([8, 20, 21, 23]) == "08:00–08:59, 20:00–21:59, 23:00–23:59"


# ------------------------------------------------------------------ how the platforms compare


def test_period_findings_count_both_ends():
    assert present.period_findings(pd.Timestamp("2026-04-02"), pd.Timestamp("2026-06-30")) == [
        Message("find_period", {"days": 90, "start": "2026-04-02", "end": "2026-06-30"})]


def test_platform_table_shows_rates_with_intervals_and_blanks_for_absent_metrics():
    table = present.platform_table(without(make_metrics(), "conversion_rate"), EN, "CNY")
    assert list(table.columns) == ["Platform", "Impressions", "Engagement rate", "Click-through rate",
                                   "Conversions per click", "Cost per new follower", "Follower growth"]
    wechat = table.iloc[1]
    assert wechat["Platform"] == "WeChat" and wechat["Impressions"] == 1_000_000
    # each estimate to the digit its interval supports, the ends rounded outward
    assert wechat["Engagement rate"] == "5% (4% – 6%)" and wechat["Click-through rate"] == "3.0% (2.8% – 3.2%)"
    assert wechat["Cost per new follower"] == "CNY 8 (CNY 7 – CNY 9)"
    assert wechat["Conversions per click"] == ""
    assert table["Follower growth"].tolist() == ["10.0%", "5.0%", ""]
    assert table.iloc[2]["Cost per new follower"] == "CNY 1,234 (CNY 1,000 – CNY 1,469)"
    assert present.platform_table(make_metrics(), ZH, "USD").columns[5] == "单个新增粉丝成本"


def test_platform_findings_name_the_leaders():
    found = by_key(present.platform_findings(make_metrics(), EN, "CNY"))
    assert list(found) == ["find_reach", "find_engagement", "find_conversion", "find_cost"]
    assert found["find_reach"] == {"platform": "Douyin", "impressions": "3,000,000", "share": "60%"}
    # an interval one point wide: whole percentages
    assert found["find_engagement"] == {"platform": "WeChat", "rate": "5%", "low": "4%", "high": "6%"}
    assert found["find_conversion"] == {"platform": "WeChat", "rate": "8%", "low": "7%", "high": "9%",
                                        "worst": "Douyin", "worst_rate": "1.00%"}
    # the costs as the table shows them, with their currency
    assert found["find_cost"] == {"platform": "WeChat", "cost": "CNY 8", "worst": "newsite",
                                  "worst_cost": "CNY 1,234"}


def test_platform_findings_say_nothing_about_absent_conversions_or_spend():
    metrics = make_metrics()
    assert keys(present.platform_findings(without(metrics, "conversion_rate"), EN, "CNY")) == [
        "find_reach", "find_engagement", "find_cost"]
    assert keys(present.platform_findings(without(metrics, "cost_per_follower"), EN, "CNY")) == [
        "find_reach", "find_engagement", "find_conversion"]


# ------------------------------------------------------------------ against the previous period


def make_change(significant=(True, False, False)) -> pd.DataFrame:
    return pd.DataFrame({"platform": ["wechat", "wechat", "douyin"],
                         "metric": ["ctr", "impressions_per_day", "ctr"],
                         "current": [0.0336, 1000.0, 0.0102], "previous": [0.03, 1010.0, 0.01],
                         "change": [0.12, -0.01, 0.02], "ci_low": [0.05, -0.1, -0.03],
                         "ci_high": [0.2, 0.08, 0.07], "significant": list(significant)})


def test_change_table_puts_platforms_against_metrics_and_stars_real_changes():
    table = present.change_table(make_change(), EN).set_index("Platform")
    assert list(table.columns) == ["Click-through rate", "Impressions a day"]
    assert table.loc["WeChat", "Click-through rate"] == "+12% (+5% – +20%) *"  # an interval 15 points wide: whole percentages
    assert table.loc["WeChat", "Impressions a day"] == "-1% (-10% – +8%)"
    assert table.loc["Douyin", "Click-through rate"] == "+2% (-3% – +7%)"
    assert pd.isna(table.loc["Douyin", "Impressions a day"])


def test_change_findings_choose_by_significance():
    assert present.change_findings(make_change(), EN) == [
        Message("find_change_sig", {"changes": "WeChat, click-through rate +12.0%"})]
    both = present.change_findings(make_change((True, False, True)), EN)
    assert both[0].values["changes"] == "WeChat, click-through rate +12.0%; Douyin, click-through rate +2.0%"
    assert present.change_findings(make_change((False, False, False)), EN) == [Message("find_change_none")]


def test_change_findings_are_silent_without_a_previous_period():
    assert present.change_findings(make_change().iloc[:0], EN) == []


# ------------------------------------------------------------------ audience fit


def make_fit() -> pd.DataFrame:
    return pd.DataFrame({"platform": ["xiaohongshu", "wechat", "douyin"], "audience_fit": [0.812, 0.7, 0.455],
                         "dimensions": [2, 2, 1], "fit_age": [0.8, 0.7, 0.455], "fit_region": [0.824, 0.7, NAN]})


def test_the_target_profile_is_named_in_the_report_language():
    target = {"age:25-34": 0.45, "gender:female": 0.6, "interest:knitting": 0.1}
    note = present.target_note(target)
    assert note.key == "note_target" and note.kind == "note"
    assert note.values["target"] == present.target_shares(target)
    assert EN(note.key, **note.values) == ("Target audience used: age 25-34: 45%, gender female: 60%, "
                                           "interest knitting: 10%.")
    # no "age:25-34" in Chinese: dimension and bucket through the catalog, full-width colon and list mark
    assert ZH(note.key, **note.values) == "所用目标人群：年龄 25-34：45%、性别 女性：60%、兴趣 knitting：10%。"


def test_fit_table_names_each_dimension():
    table = present.fit_table(make_fit(), EN)
    assert list(table.columns) == ["Platform", "Audience fit", "Fit: age", "Fit: region"]
    assert table["Platform"].tolist() == ["Xiaohongshu", "WeChat", "Douyin"]
    assert list(present.fit_table(make_fit(), ZH).columns)[2] == "匹配度：年龄"


def test_fit_findings_name_best_and_worst():
    assert present.fit_findings(make_fit(), EN) == [
        Message("find_fit", {"platform": "Xiaohongshu", "fit": "0.81", "worst": "Douyin", "worst_fit": "0.46"})]


# ------------------------------------------------------------------ score and roles


def make_scored(roles=("core", "core", "auxiliary")) -> pd.DataFrame:
    return pd.DataFrame({"rank": [1, 2, 3], "platform": ["wechat", "xiaohongshu", "weibo"], "role": list(roles),
                         "score": [0.9, 0.8, 0.4], "score_low": [0.85, 0.7, 0.3], "score_high": [0.95, 0.88, 0.5],
                         "p_top": [0.754, 0.246, 0.0]})


def test_score_table_translates_roles_and_shows_the_chance_of_first():
    table = present.score_table(make_scored(), EN)
    assert list(table.columns) == ["Rank", "Platform", "Role", "Score", "Score: low", "Score: high",
                                   "Chance of ranking first"]
    assert table["Role"].tolist() == ["core", "core", "auxiliary"]
    assert table["Chance of ranking first"].tolist() == ["75%", "25%", "0%"]
    assert present.score_table(make_scored(), ZH)["定位"].tolist() == ["核心", "核心", "辅助"]


def test_score_findings_list_roles_and_say_none_for_an_empty_role():
    found = by_key(present.score_findings(make_scored(), "conversion", EN))
    assert found["find_score"] == {"goal": "conversion", "core": "WeChat, Xiaohongshu", "auxiliary": "Weibo",
                                   "weak": "none"}
    assert found["find_score_stable"] == {"platform": "WeChat", "p_top": "75%"}
    custom = by_key(present.score_findings(make_scored(("core", "auxiliary", "deprioritize")), "custom", EN))
    assert custom["find_score"] == {"goal": "custom weights", "core": "WeChat", "auxiliary": "Xiaohongshu",
                                    "weak": "Weibo"}


# ------------------------------------------------------------------ posting cadence


def make_cadence(douyin_per_week: float = 3.5) -> pd.DataFrame:
    douyin_status = "below" if douyin_per_week < 7 else "within"
    return pd.DataFrame({"platform": ["douyin", "wechat", "weibo"], "posts": [45, 30, 12],
                         "posts_per_week": [douyin_per_week, 2.33, 0.93], "target_low": [7.0, 2.0, NAN],
                         "target_high": [14.0, 3.0, NAN], "status": [douyin_status, "within", "no_guidance"]})


def test_cadence_table_shows_the_guidance_band():
    table = present.cadence_table(make_cadence(), EN)
    assert list(table.columns) == ["Platform", "Posts", "Posts a week", "Guidance a week", "Cadence"]
    assert table["Guidance a week"].tolist() == ["7–14", "2–3", ""]
    assert table["Cadence"].tolist() == ["below guidance", "within guidance", "no guidance"]


def test_platforms_below_lists_the_display_names_below_guidance():
    assert present.platforms_below(make_cadence().assign(status=["below", "within", "below"]), EN) == \
        "Douyin, Weibo"
    assert present.platforms_below(make_cadence(8.0), EN) == ""


def test_cadence_findings_name_the_platforms_below_guidance():
    assert present.cadence_findings(make_cadence(), EN) == [Message("find_cadence_below", {"platforms": "Douyin"})]
    assert present.cadence_findings(make_cadence(8.0), EN) == [Message("find_cadence_ok")]


def test_cadence_without_any_guidance_is_not_judged():
    # one platform without guidance: no "every platform keeps up" about none
    assert present.cadence_findings(make_cadence().iloc[[2]], EN) == [
        Message("note_cadence_unguided", {"platforms": "Weibo"}, "note")]


# ------------------------------------------------------------------ best time to post


def test_hours_findings_give_the_mean_lift_of_the_best_hours():
    profile = pd.DataFrame({"hour": [19, 20, 21], "shrunk": [1.0, 1.3, 1.5]})
    assert present.hours_findings(profile, [20, 21]) == [
        Message("find_hours", {"hours": "20:00–21:59", "lift": "1.40"})]


def test_best_slots_table():
    slots = pd.DataFrame({"platform": ["wechat", "wechat"], "hour": [20, 8], "n": [12, 5],
                          "rate": [0.0412, 0.05], "shrunk_rate": [0.0401, 0.041], "weight": [0.8, 0.2]})
    table = present.best_slots_table(slots, EN)
    assert list(table.columns) == ["Platform", "Hour", "Posts", "Engagement rate (raw)",
                                   "Engagement rate (shrunk)"]
    assert table.iloc[0].tolist() == ["WeChat", "20:00–20:59", 12, "4.12%", "4.01%"]


# ------------------------------------------------------------------ what content works


def make_performance(by: str, values: list[str], index: list[float], index_low: list[float]) -> pd.DataFrame:
    index, index_low = np.array(index), np.array(index_low)
    return pd.DataFrame({by: values, "n": [40] * len(values), "engagement_rate": 0.04 * index,
                         "engagement_rate_low": 0.04 * index_low,
                         "engagement_rate_high": 0.04 * (2 * index - index_low),
                         "index": index, "index_low": index_low, "index_high": 2 * index - index_low})


CONTENT = make_performance("content_type", ["tutorial", "story", "promotion"], [1.4, 1.0, 0.6], [1.2, 0.9, 0.5])


def test_content_findings_with_a_format_that_stands_out():
    formats = make_performance("format", ["video", "image_text"], [1.2, 0.9], [1.05, 0.8])
    assert present.content_findings(CONTENT, EN, formats) == [
        Message("find_content", {"best": "tutorial", "index": "1.4", "low": "1.2", "high": "1.6",
                                 "worst": "promotion", "worst_index": "0.60"}),
        Message("find_format", {"best": "video", "index": "1.2", "low": "1.0", "high": "1.4"})]


def test_content_findings_when_no_format_stands_out_or_there_is_no_format_column():
    formats = make_performance("format", ["video", "image_text"], [1.1, 0.95], [0.95, 0.8])
    assert keys(present.content_findings(CONTENT, EN, formats)) == ["find_content", "find_format_none"]
    assert keys(present.content_findings(CONTENT, EN)) == ["find_content"]
    assert present.content_findings(CONTENT, ZH)[0].values["best"] == "干货教程"


def test_performance_table_labels_values_of_each_grouping():
    table = present.performance_table(CONTENT, "content_type", EN)
    assert list(table.columns) == ["Content type", "Posts", "Engagement index (1 = platform average)",
                                   "Engagement rate"]
    assert table.iloc[0].tolist() == ["tutorial", 40, "1.40 (1.20 – 1.60)", "5.60% (4.80% – 6.40%)"]
    formats = make_performance("format", ["image_text", "h5"], [1.1, 0.9], [1.0, 0.8])
    assert present.performance_table(formats, "format", EN)["Format"].tolist() == ["image + text", "h5"]


# ------------------------------------------------------------------ content mix


MIX = {"value_share": 0.6, "ad_share": 0.4, "target_value_share": 0.7, "verdict": "over_marketing", "posts": 500,
       "ads": 200, "ad_share_low": 0.357, "ad_share_high": 0.444, "basis": "is_ad"}


def test_mix_table_and_findings():
    by_platform = pd.DataFrame({"platform": ["douyin"], "posts": [100], "ads": [45], "ad_share": [0.45],
                                "ad_share_low": [0.354], "ad_share_high": [0.549]})
    table = present.mix_table(by_platform, EN)
    assert list(table.columns) == ["Platform", "Posts", "Adverts", "Advert share"]
    assert table.iloc[0].tolist() == ["Douyin", 100, 45, "45% (35% – 55%)"]
    assert present.mix_findings(MIX, EN) == [
        Message("find_mix", {"share": "40%", "low": "36%", "high": "44%", "verdict": "over-marketing"})]
    assert present.mix_findings(MIX, ZH)[0].values["verdict"] == "过度营销"


# ------------------------------------------------------------------ recommendations


@pytest.fixture(scope="module")
def totals(con):
    return pm.daily_totals(con.create_table("platform_daily", make_daily(), overwrite=True))


@pytest.fixture(scope="module")
def posts(con):
    return con.create_table("posts", make_posts(), overwrite=True)


def test_recommendations_and_records(totals, posts):
    scored = pm.score_platforms(pm.platform_metrics(totals), goal="conversion")
    cad = po.posting_cadence(posts, "2026-01-01", "2026-06-29", platforms=scored.platform,
                             guidance={"douyin": (100, 200), "wechat": (2, 3)})
    mix, _ = po.content_mix(posts)
    upper = Capitals("en", "platform_matrix")
    recs = present.recommendations(scored, "conversion", upper, cad, mix, po.group_performance(posts), [20, 21])
    keys = [m.key for m in recs]
    assert keys[0] == "rec_core_conversion" and "WECHAT" in recs[0].values["platforms"]
    assert "rec_deprioritize" in keys and "rec_mix_over_marketing" in keys
    # douyin is to be scaled back under this goal: no "post more" for it, only "commit or hold back"
    assert scored.set_index("platform").loc["douyin", "role"] == "deprioritize"
    assert ("rec_cadence_below_weak", "DOUYIN") in [(m.key, m.values.get("platform")) for m in recs]
    kept = scored.assign(role=np.where(scored.platform == "douyin", "auxiliary", scored.role))
    kept_recs = present.recommendations(kept, "conversion", upper, cad)
    assert ("rec_cadence_below", "DOUYIN") in [(m.key, m.values.get("platform")) for m in kept_recs]
    assert by_key(recs)["rec_hours"] == {"hours": "20:00–21:59"}
    records = present.platform_records(scored, cad)
    assert [r["rank"] for r in records] == [1, 2, 3, 4]
    wechat = next(r for r in records if r["platform"] == "wechat")
    assert wechat["cadence_target"] == [2.0, 3.0] and wechat["role"] == "core"
    assert next(r for r in records if r["platform"] == "weibo")["cadence_target"] is None


def test_recommendations_without_posts_speak_of_roles_only():
    scored = make_scored(("core", "auxiliary", "deprioritize")).merge(
        make_metrics(platform=["xiaohongshu", "wechat", "weibo"]).assign(audience_fit=[0.5, 0.9, 0.4]), on="platform")
    assert present.recommendations(scored, "brand", EN) == [
        Message("rec_core_brand", {"platforms": "WeChat"}), Message("rec_auxiliary", {"platforms": "Xiaohongshu"}),
        Message("rec_deprioritize", {"platforms": "Weibo"})]
    assert present.recommendations(make_scored(), "custom", EN)[:2] == [
        Message("rec_core", {"platforms": "WeChat, Xiaohongshu", "goal": "custom weights"}),
        Message("rec_auxiliary", {"platforms": "Weibo"})]
    assert present.recommendations(None, "conversion", EN, mix=MIX) == [
        Message("rec_mix_over_marketing", {"ad_share": "40%", "target": "30%"})]


@pytest.mark.parametrize("goal, drop, kept", [
    ("conversion", None, True), ("conversion", "conversion_rate", False), ("conversion", "cost_per_follower", False),
    ("brand", None, True), ("brand", "audience_fit", False), ("awareness", None, False)])
def test_the_reason_for_the_core_is_given_only_when_the_leader_earns_it(goal, drop, kept):
    # wechat ranks first: best conversion, cheapest follower, best engagement and fit, but not the widest reach
    metrics = make_metrics(platform=["xiaohongshu", "wechat", "weibo"]).assign(audience_fit=[0.5, 0.9, 0.4])
    if drop is not None:
        metrics = without(metrics, drop) if drop in pm.RATIO_METRICS else metrics.assign(**{drop: NAN})
    scored = make_scored(("core", "auxiliary", "auxiliary")).merge(metrics, on="platform")
    first = present.recommendations(scored, goal, EN)[0]
    if kept:
        assert first == Message(f"rec_core_{goal}", {"platforms": "WeChat"})
    else:
        assert first == Message("rec_core", {"platforms": "WeChat", "goal": EN(f"goal_{goal}")})
    assert "converts" not in EN(first.key, **first.values) or goal == "conversion"


def test_recommendations_word_cadence_mix_and_content():
    scored = make_scored()
    cadence = make_cadence().assign(status=["below", "above", "no_guidance"])
    balanced = {**MIX, "ad_share": 0.25, "verdict": "balanced"}
    recs = present.recommendations(scored, "conversion", EN, cadence=cadence, mix=balanced,
                                   content=CONTENT.iloc[:1])
    assert recs[2:] == [
        Message("rec_cadence_below", {"platform": "Douyin", "per_week": "3.5", "low": "7", "high": "14"}),
        Message("rec_cadence_above", {"platform": "WeChat", "per_week": "2.3", "low": "2", "high": "3"}),
        Message("rec_mix_balanced", {"ad_share": "25%", "target": "30%"})]
    with_content = present.recommendations(scored, "conversion", EN, content=CONTENT)
    assert with_content[-2:] == [Message("rec_content", {"best": "tutorial"}),
                                 Message("rec_content_spare", {"worst": "promotion"})]
    # neither interval clear of the platform average: no advice on content
    level = make_performance("content_type", ["tutorial", "promotion"], [1.05, 0.95], [0.9, 0.8])
    assert keys(present.recommendations(scored, "conversion", EN, content=level)) == ["rec_core", "rec_auxiliary"]


# ------------------------------------------------------------------ headlines and recorded results


def test_headlines_follow_the_data_present():
    scored = make_scored()
    assert present.headlines(scored, EN, MIX, [20, 21]) == [
        ("Core platforms", "WeChat, Xiaohongshu"), ("Advert share", "40%"), ("Best hours", "20:00–21:59")]
    assert present.headlines(scored, EN, MIX, None) == [("Core platforms", "WeChat, Xiaohongshu"),
                                                       ("Advert share", "40%")]
    assert present.headlines(scored, ZH) == [("核心平台", "微信、小红书")]


def test_platform_records_turn_missing_numbers_into_null():
    scored = make_scored().merge(without(make_metrics(platform=["wechat", "xiaohongshu", "weibo"]),
                                         "conversion_rate"), on="platform")
    records = present.platform_records(scored)
    assert records[0]["conversion_rate"] is None and records[0]["ctr"] == 0.01
    assert records[0]["posts_per_week"] is None and records[0]["cadence_target"] is None


def test_chapter_results_hold_every_key_and_null_for_absent_tables():
    scored = make_scored().merge(make_metrics(platform=["wechat", "xiaohongshu", "weibo"]), on="platform")
    stability = scored[["platform", "score_low", "score_high", "p_top"]]
    period = (pd.Timestamp("2026-04-02"), pd.Timestamp("2026-06-30"))
    results = present.chapter_results(scored, stability, make_change().iloc[:0], period, 90, "conversion")
    assert list(results) == ["platforms", "currency", "metrics", "content_mix", "period", "periods", "goal",
                             "score_intervals", "change", "audience_fit", "cadence", "best_hours", "content_types"]
    assert results["currency"] == "CNY" and results["platforms"][0]["currency"] == "CNY"
    assert results["period"] == {"start": "2026-04-02", "end": "2026-06-30", "days": 90}
    assert results["change"] == [] and results["goal"] == "conversion"
    assert all(results[k] is None for k in ("content_mix", "audience_fit", "cadence", "best_hours",
                                            "content_types"))
    full = present.chapter_results(scored, stability, make_change(), period, 90, "custom", fit=make_fit(),
                                   cadence=make_cadence(), mix=MIX, best=[20, 21], content=CONTENT)
    assert full["content_mix"] == {k: MIX[k] for k in present.MIX_KEYS} and "basis" not in full["content_mix"]
    assert full["best_hours"] == [20, 21] and len(full["content_types"]) == 3
    assert full["cadence"][0]["platform"] == "douyin" and full["audience_fit"][0]["fit_age"] == 0.8
    # the sections on the scored days say so; the comparison covers the period before too, when there is one
    assert results["periods"] == dict.fromkeys(present.PERIOD_SECTIONS, ["2026-04-02", "2026-06-30"])
    assert full["periods"]["change"] == ["2026-01-02", "2026-06-30"]


# ------------------------------------------------------------------ what the data support

DAILY = ("date", "platform", "followers", "impressions", "engagements", "clicks", "conversions", "spend",
         "new_followers", "revenue")
POSTS = ("post_id", "platform", "published_at", "content_type", "format", "impressions", "likes")


def test_skipped_sections_name_what_to_add_in_report_order():
    assert present.skipped_sections({"platform_daily": DAILY, "posts": POSTS, "audience": ()}) == {}
    posts_only = present.skipped_sections({"posts": POSTS})
    assert list(posts_only) == ["platforms", "money", "change", "audience_fit", "score"]
    assert posts_only["score"] == Message("skip_platform_daily", kind="skip")
    bare = present.skipped_sections({"platform_daily": DAILY[:5], "posts": POSTS[:4] + ("impressions",)})
    assert list(bare) == ["ctr", "conversion_rate", "cost_per_follower", "money", "audience_fit", "best_time",
                          "content", "format"]
    assert bare["money"] == Message("skip_money", {"columns": "spend"}, "skip")
    no_revenue = present.skipped_sections({"platform_daily": DAILY[:-1], "posts": POSTS, "audience": ()})
    assert no_revenue == {"roi": Message("skip_roi", {"columns": "revenue"}, "skip")}
    assert bare["conversion_rate"].values == {"columns": "conversions, clicks"}
    record = present.skipped_record(bare, EN)
    assert record[1] == {"section": "conversion_rate",
                         "reason": "conversion rate: add the columns conversions, clicks to `platform_daily`"}
    no_format = present.skipped_sections({"posts": tuple(c for c in POSTS if c != "format"), "audience": ()})
    assert list(no_format) == ["platforms", "money", "change", "score", "format"]


def test_score_basis_names_the_missing_parts():
    scored = pm.score_platforms(without(without(make_metrics(), "conversion_rate"), "cost_per_follower"))
    [note] = present.score_basis(scored, "conversion", None, EN)
    assert note.kind == "note"
    assert note.values == {"missing": "conversion rate, cost per new follower, audience fit",
                           "used": "click-through rate, engagement rate"}
    assert present.score_basis(pm.score_platforms(make_metrics()), "conversion", {"ctr": 1.0}, EN) == []


def test_content_findings_need_two_types_to_compare():
    assert present.content_findings(CONTENT.iloc[:1], EN) == [Message("find_content_none")]
    assert keys(present.content_findings(CONTENT, EN, CONTENT.iloc[:0].rename(columns={"content_type": "format"}))) \
        == ["find_content"]


def test_headlines_without_the_daily_table_name_only_the_posts():
    assert present.headlines(None, EN, MIX, []) == [("Advert share", "40%")]
    assert present.chapter_results(None, None, None, (pd.Timestamp("2026-04-02"), pd.Timestamp("2026-06-30")), 90,
                                   "conversion", mix=MIX)["platforms"] == []


# ------------------------------------------------------------------ money


def make_money() -> pd.DataFrame:
    return pd.DataFrame({
        "platform": ["douyin", "wechat", "weibo"], "spend": [2_193_738.87, 100_122.14, 662_121.58],
        "revenue": [783_617.0, 2_029_651.37, 618_393.0], "roi": [-0.6428, 19.2718, -0.0660],
        "roi_low": [-0.67, 18.19, -0.13], "roi_high": [-0.62, 20.35, -0.01],
        "cost_per_follower": [10.0, 3.05, 29.76], "cost_per_follower_low": [9.7, 2.98, 29.1],
        "cost_per_follower_high": [10.2, 3.11, 30.5], "cost_per_conversion": [135.02, 2.369, 52.0],
        "cost_per_conversion_low": [128.7, 2.26, 49.3], "cost_per_conversion_high": [141.4, 2.48, 54.8]})


def test_money_table_shows_amounts_with_their_currency_largest_spend_first():
    table = present.money_table(make_money(), EN, "CNY")
    assert list(table.columns) == ["Platform", "Spend", "Revenue", "Return on spend (ROI)", "Cost per new follower",
                                   "Cost per conversion"]
    assert table["Platform"].tolist() == ["Douyin", "Weibo", "WeChat"]
    assert table.iloc[0].tolist()[1:] == ["CNY 2,193,739", "CNY 783,617", "-64% (-67% – -62%)",
                                          "CNY 10.0 (CNY 9.7 – CNY 10.2)", "CNY 135 (CNY 128 – CNY 142)"]
    assert table.iloc[2]["Cost per conversion"] == "CNY 2.4 (CNY 2.2 – CNY 2.5)"
    no_revenue = make_money().assign(revenue=np.nan, roi=np.nan, roi_low=np.nan, roi_high=np.nan)
    assert list(present.money_table(no_revenue, ZH, "USD").columns) == ["平台", "投放花费", "单个新增粉丝成本",
                                                                          "单次转化成本"]


def test_money_findings_total_the_spend_and_name_the_best_and_worst_return():
    found = by_key(present.money_findings(make_money(), EN, "CNY"))
    assert list(found) == ["find_money", "find_roi", "find_cost_conversion"]
    spend, revenue = 2_193_738.87 + 100_122.14 + 662_121.58, 783_617.0 + 2_029_651.37 + 618_393.0
    assert found["find_money"] == {"spend": "CNY 2,955,983", "revenue": "CNY 3,431,661",
                                   "roi": f"{revenue / spend - 1:.0%}"}
    assert found["find_roi"] == {"platform": "WeChat", "roi": "1,927%", "low": "1,819%", "high": "2,035%",
                                 "worst": "Douyin", "worst_roi": "-64%"}
    assert found["find_cost_conversion"] == {"platform": "WeChat", "cost": "CNY 2.4", "worst": "Douyin",
                                             "worst_cost": "CNY 135"}
    no_revenue = make_money().assign(revenue=np.nan, roi=np.nan)
    assert keys(present.money_findings(no_revenue, EN, "EUR")) == ["find_spend", "find_cost_conversion"]


def test_metric_records_carry_each_platform_s_value_interval_and_the_currency_of_amounts():
    records = present.metric_records(make_metrics(), make_money(), "USD")
    spend = [r for r in records if r["metric"] == "spend"]
    assert [r["platform"] for r in spend] == ["douyin", "wechat", "weibo"]
    assert spend[1] == {"metric": "spend", "platform": "wechat", "value": 100_122.14, "ci_low": None,
                        "ci_high": None, "unit": "amount", "currency": "USD"}
    roi = next(r for r in records if r["metric"] == "roi" and r["platform"] == "weibo")
    assert (roi["value"], roi["ci_low"], roi["ci_high"], roi.get("currency")) == (-0.0660, -0.13, -0.01, None)
    assert present.metric_records(None, None, "CNY") == []


def test_clearly_highest_needs_its_interval_above_every_other():
    rows = [{"p": "a", "v": 3.0, "lo": 2.5, "hi": 3.5}, {"p": "b", "v": 2.0, "lo": 1.5, "hi": 2.4}]
    assert present.clearly_highest(rows, "v", "lo", "hi")["p"] == "a"
    assert present.clearly_highest([rows[0], {**rows[1], "hi": 2.6}], "v", "lo", "hi") is None
    assert present.clearly_highest(rows[:1], "v", "lo", "hi") is None
