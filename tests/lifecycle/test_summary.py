"""Chapter 02's summary: the recommended moves as findings (most users first) and as actions by priority."""

import pandas as pd
import pytest

from socialops.lifecycle import present, summary
from socialops.report.findings import Message
from socialops.report.i18n import Translator


def _moves(loyal: int = 0, first_order: dict | None = None) -> list[Message]:
    sizes = pd.DataFrame({"users": {"potential": 500, "new": 120, "active": 80, "loyal": loyal, "churned": 40}})
    churned = pd.DataFrame({"users": {"former_customers": 30, "lapsed_prospects": 10}})
    tiers = pd.DataFrame({"users": [10, 0, 50, 20], "revenue_share": [0.4, 0.0, 0.5, 0.1]},
                         index=["high_value", "potential_high_value", "general", "low_value"])
    return present.recommendations(sizes, churned, first_order, tiers, k_factor=0.0123, days=30)


def test_findings_are_the_moves_most_urgent_then_most_users_first_with_their_sections():
    found = summary.findings(_moves(first_order={"rate": 0.25, "ci_low": 0.2, "ci_high": 0.3}))
    assert [f.message.key for f in found] == ["rec_first_order", "rec_winback", "rec_high_value", "rec_awareness",
                                              "rec_low_value"]
    assert [f.value["users"] for f in found] == [120, 30, 10, 500, 20]
    assert [f.section for f in found] == ["first_order", "churned", "rfm", "stages", "rfm"]


def test_an_empty_group_gives_no_finding_and_at_most_five_are_kept():
    moves = _moves(loyal=7)
    assert len(moves) == 6 and "rec_referral" in [m.key for m in moves]
    found = summary.findings(moves)
    assert len(found) == 5 and "rec_low_value" not in [f.message.key for f in found]  # the least urgent
    assert "rec_referral" not in [f.message.key for f in summary.findings(_moves(loyal=0))]


def test_an_unmeasured_rate_keeps_the_move_in_its_plain_wording():
    found = summary.findings(_moves())
    first = next(f for f in found if f.section == "first_order")
    assert first.message.key == "rec_first_order_plain" and "rate" not in first.message.values
    assert [a.what.key for a in summary.actions(_moves())].count("act_first_order") == 1


def test_actions_most_urgent_first_naming_the_group():
    acts = summary.actions(_moves(loyal=7))
    assert [(a.what.key, a.priority) for a in acts] == [
        ("act_first_order", "high"), ("act_winback", "high"), ("act_protect", "high"), ("act_awareness", "medium"),
        ("act_referral", "medium"), ("act_wake", "low")]
    assert acts[0].where == Message("where_new", {"users": "120"})
    assert all(a.size is None for a in acts)
    assert [a.section for a in acts] == ["first_order", "churned", "rfm", "stages", "k_factor", "rfm"]


def test_thin_data_say_what_to_add():
    skipped = {"rfm": Message("table_absent", {"table": "events"}, "skip")}
    result = summary.chapter_summary([], skipped)
    assert result.findings == [] and result.actions == []
    assert result.more_data.values["reason"].message == skipped["rfm"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_action_reads_in_both_languages(lang):
    t = Translator(lang, "lifecycle")
    for _, key, where, kpi, _ in summary.MOVES.values():
        assert "{" not in t(key) + t(where, users="1,234") + t(kpi)
