"""Chapter 01's summary, from results shaped as the chapter records them: each finding only when its rule holds."""

import copy

import pytest

from socialops.platform_matrix import summary
from socialops.report.findings import Message
from socialops.report.i18n import Translator


def _platform(name: str, rank: int, role: str, score: float) -> dict:
    return {"platform": name, "rank": rank, "role": role, "score": score}


@pytest.fixture
def results():
    """A run's results: a core platform, one to scale back, too many adverts, a thin cadence, a leading type."""
    return {
        "goal": "conversion",
        "platforms": [_platform("wechat", 1, "core", 0.93), _platform("xiaohongshu", 2, "auxiliary", 0.48),
                      _platform("weibo", 3, "deprioritize", 0.19)],
        "content_mix": {"ad_share": 0.401, "ad_share_low": 0.371, "ad_share_high": 0.432, "target_value_share": 0.7,
                        "verdict": "over_marketing"},
        "cadence": [{"platform": "douyin", "posts_per_week": 4.04, "status": "below", "target_low": 7.0,
                     "target_high": 14.0},
                    {"platform": "wechat", "posts_per_week": 2.0, "status": "within", "target_low": 2.0,
                     "target_high": 3.0}],
        "content_types": [{"content_type": "story", "index": 0.9, "index_low": 0.85, "index_high": 0.95},
                          {"content_type": "tutorial", "index": 1.52, "index_low": 1.46, "index_high": 1.58}],
        "best_hours": [20, 21],
    }


@pytest.fixture
def en():
    return Translator("en", "platform_matrix")


def _keys(found) -> list[str]:
    return [f.message.key for f in found]


def test_findings_in_order_at_most_five(results, en):
    found = summary.findings(results, en)
    assert _keys(found) == ["sum_core", "sum_deprioritize", "sum_mix_over_marketing", "sum_cadence_below",
                            "sum_content"]  # the best hours are the sixth: left out
    core = found[0]
    assert core.value == {"platforms": ["wechat"], "score": 0.93, "next_score": 0.48}
    text = en(core.message.key, **en.texts(core.message.values))
    assert "WeChat" in text and "0.93" in text and "Xiaohongshu at 0.48" in text
    cadence = en(found[3].message.key, **en.texts(found[3].message.values))
    assert "Douyin 4.0 a week against 7–14" in cadence and "WeChat" not in cadence
    assert found[4].value["content_type"] == "tutorial"


def test_a_finding_is_left_out_when_its_rule_fails(results, en):
    results["content_types"][1] |= {"index_low": 0.98}  # the interval reaches the average
    results["cadence"][0]["status"] = "within"
    results["platforms"][2]["role"] = "auxiliary"
    keys = _keys(summary.findings(results, en))
    assert keys == ["sum_core", "sum_mix_over_marketing", "sum_hours"]
    assert "act_more_content" not in [a.what.key for a in summary.actions(results, en)]


def test_a_balanced_mix_is_said_but_asks_for_no_action(results, en):
    results["content_mix"]["verdict"] = "balanced"
    assert "sum_mix_balanced" in _keys(summary.findings(results, en))
    assert not any(a.what.key.startswith("act_mix") for a in summary.actions(results, en))


def test_actions_most_urgent_first_with_the_content_index_as_size(results, en):
    acts = summary.actions(results, en)
    assert [(a.what.key, a.priority) for a in acts] == [
        ("act_core", "high"), ("act_mix_over_marketing", "high"), ("act_scale_back", "medium"),
        ("act_post_more", "medium"), ("act_more_content", "medium"), ("act_schedule", "low")]
    assert acts[0].where == ("WeChat",) and acts[0].kpi == "kpi_conversions"
    size = acts[4].size
    assert (size.estimate, size.low, size.high, size.unit) == (1.52, 1.46, 1.58, "ratio")
    assert acts[1].what.values == {"target": "30%"}
    assert [a.section for a in acts] == ["score", "content_mix", "score", "cadence", "content", "best_time"]


def test_the_core_s_kpi_follows_the_goal(results, en):
    results["goal"] = "awareness"
    assert summary.actions(results, en)[0].kpi == "kpi_reach"


def test_posts_alone_give_no_platform_finding_and_the_summary_says_what_to_add(results, en):
    posts_only = {k: v for k, v in results.items() if k != "platforms"}
    skipped = {"platforms": Message("table_absent", {"table": "platform_daily"}, "skip")}
    result = summary.chapter_summary(posts_only, skipped, en)
    assert "sum_core" not in _keys(result.findings) and "act_core" not in [a.what.key for a in result.actions]
    assert result.more_data.values["reason"].message == skipped["platforms"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_summary_message_reads_in_both_languages(results, lang):
    t = Translator(lang, "platform_matrix")
    for verdict in ("over_marketing", "under_monetised", "balanced"):
        changed = copy.deepcopy(results)
        changed["content_mix"]["verdict"] = verdict
        found = summary.chapter_summary(changed, {}, t)
        for message in [f.message for f in found.findings] + [a.what for a in found.actions]:
            assert "{" not in t(message.key, **t.texts(message.values))


def _roi(platform: str, value: float, low: float, high: float) -> dict:
    return {"metric": "roi", "platform": platform, "value": value, "ci_low": low, "ci_high": high, "unit": "share"}


def test_the_best_return_on_spend_is_named_only_when_its_interval_clears_every_other(results, en):
    results["metrics"] = [_roi("wechat", 19.3, 18.2, 20.3), _roi("douyin", -0.64, -0.66, -0.63),
                          _roi("xiaohongshu", 0.73, 0.65, 0.81)]
    found = summary.findings(results, en)
    assert _keys(found)[:2] == ["sum_core", "sum_roi_losing"]
    assert set(found[1].value) == {"wechat", "douyin"}
    assert "Douyin lose money" in en(found[1].message.key, **en.texts(found[1].message.values))
    shift = [a for a in summary.actions(results, en) if a.what.key == "act_shift_spend"]
    assert len(shift) == 1 and shift[0].where == ("Douyin",) and shift[0].priority == "high"
    results["metrics"][2] = _roi("xiaohongshu", 17.0, 15.0, 18.5)  # overlaps the best's interval
    assert not any(k.startswith("sum_roi") for k in _keys(summary.findings(results, en)))
