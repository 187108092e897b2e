"""Chapter 05's summary: the crisis and its cost only when shown, each checklist step's lesson and its action."""

from dataclasses import replace

import pytest

from socialops.crisis import present, summary
from socialops.crisis.analysis import analyse_crisis, checklist
from socialops.report.findings import Message
from socialops.report.i18n import Translator
from tests.crisis_data import mentions_frame


@pytest.fixture(scope="module")
def quiet(con):
    return analyse_crisis(con.create_table("mentions_quiet_summary", mentions_frame(onset=None, days=30, seed=3),
                                           overwrite=True))


def test_a_crisis_opens_with_its_extra_mentions_then_each_step_s_lesson(crisis):
    found = summary.findings(crisis, {})
    assert [f.message.key for f in found] == ["sum_crisis", "lesson_warning_met", "lesson_response_missed",
                                              "lesson_repair_met"]
    first = found[0]
    assert (first.value["excess_mentions"], first.value["ci_low"], first.value["ci_high"]) == (
        crisis.excess["effect"], crisis.excess["ci_low"], crisis.excess["ci_high"])
    assert first.section == "impact" and {f.section for f in found[1:]} == {"checklist"}
    assert [f.message for f in found[1:]] == present.lessons(checklist(crisis))  # the checklist's own lessons
    assert found[2].value["hours"] == crisis.response_hours


def test_extra_mentions_whose_interval_reaches_zero_are_not_claimed(crisis):
    unclear = replace(crisis, excess={**crisis.excess, "ci_low": -5.0})
    first = summary.findings(unclear, {})[0]
    assert first.message.key == "sum_crisis_onset" and "excess_mentions" not in first.value
    assert summary.findings(crisis, {"impact": Message("no_text", kind="skip")})[0].message.key == "sum_crisis_onset"


def test_actions_follow_the_checklist_s_verdicts_most_urgent_first(crisis):
    acts = summary.actions(crisis, {})
    assert [(a.what.key, a.priority) for a in acts] == [("act_holding_statement", "high"), ("act_alert_keep", "low"),
                                                         ("act_repair_proof", "low")]
    assert all(a.size is None for a in acts)  # the data hold no estimate of an action's effect
    assert {a.section for a in acts} == {"checklist"}
    assert summary.actions(crisis, {"checklist": Message("no_text", kind="skip")}) == []


def test_a_quiet_period_is_one_finding_and_no_action(quiet):
    result = summary.chapter_summary(quiet, {})
    assert [f.message for f in result.findings] == [present.quiet_period(quiet)]
    assert result.actions == [] and result.more_data is None


def test_too_little_history_gives_no_finding_and_a_line_on_what_to_add(crisis):
    short = replace(crisis, scores=crisis.scores.assign(z=float("nan")))  # no period scored
    assert not short.assessed
    skipped = {"detection": Message("no_text", kind="skip")}
    result = summary.chapter_summary(short, skipped)
    assert result.findings == [] and result.actions == []
    assert result.more_data.values["reason"].message == skipped["detection"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_action_of_every_verdict_reads_in_both_languages(lang):
    t = Translator(lang, "crisis_postmortem")
    for key, where, kpi, _ in summary.ACTIONS.values():
        assert all("{" not in t(k) for k in (key, where, kpi))
    for key in ("sum_crisis", "sum_crisis_onset"):
        assert "{" not in t(key, onset="2026-09-10 09:00", excess="5,044", low="4,977", high="5,104")
