"""The executive summary's pieces: findings kept to five, actions by priority, the line on missing data."""

from __future__ import annotations

import pytest

from socialops.report.findings import Message
from socialops.report.i18n import Translator
from socialops.report.summary import (
    MAX_FINDINGS,
    Action,
    Finding,
    Said,
    by_priority,
    more_data,
    points_size,
    ranked,
)


def _finding(i: int) -> Finding:
    return Finding(Message(f"key_{i}"), i, "section")


def test_ranked_keeps_the_first_five_in_their_order():
    kept = ranked(_finding(i) for i in range(8))
    assert MAX_FINDINGS == 5
    assert [f.value for f in kept] == [0, 1, 2, 3, 4]
    assert ranked([_finding(3), _finding(1)]) == [_finding(3), _finding(1)]


def test_actions_come_most_urgent_first_keeping_their_order_within_a_priority():
    actions = [Action(Message(name), "", "kpi", priority)
               for name, priority in [("a", "low"), ("b", "high"), ("c", "medium"), ("d", "high")]]
    assert [a.what.key for a in by_priority(actions)] == ["b", "d", "c", "a"]


def test_an_action_refuses_a_priority_the_table_cannot_show():
    with pytest.raises(ValueError, match="priority"):
        Action(Message("a"), "", "kpi", "urgent")


def test_more_data_names_the_first_section_left_out_in_report_order():
    skipped = {"late": Message("table_absent", {"table": "b"}, "skip"),
               "early": Message("table_absent", {"table": "a"}, "skip")}
    line = more_data(skipped, ("early", "middle", "late"))
    assert line.key == "summary_more_data" and line.values["n"] == 2
    t = Translator("en")
    assert t.text(line.values["reason"]) == t("table_absent", table="a")
    assert "`a`" in t(line.key, **t.texts(line.values))


def test_more_data_of_one_section_says_so_in_words():
    line = more_data({"only": Message("table_absent", {"table": "a"}, "skip")}, ("only",))
    assert line.key == "summary_more_data_one" and "n" not in line.values
    t = Translator("en")
    assert t(line.key, **t.texts(line.values)).startswith("More data would add a finding. One section is left out")


def test_more_data_is_none_when_nothing_was_left_out():
    assert more_data({}, ("a", "b")) is None


def test_said_writes_its_message_in_the_translator_s_language():
    said = Said(Message("table_absent", {"table": "posts"}))
    assert said.words(Translator("zh")) == Translator("zh")("table_absent", table="posts")


@pytest.mark.parametrize(("diff", "low", "high", "shown"), [
    (0.0101125, 0.0036896, 0.0165627, ("+1.01", "+0.37", "+1.66")),
    (-0.004, -0.0125, 0.00049, ("-0.40", "-1.25", "+0.05")),
])
def test_a_difference_of_rates_reads_in_signed_points_with_its_interval(diff, low, high, shown):
    size = points_size(diff, low, high, "90")
    assert (size.estimate, size.low, size.high, size.unit) == (diff, low, high, "points")
    values = size.text.values
    assert (values["estimate"], values["low"], values["high"], values["level"]) == (*shown, "90")
    assert Translator("en")(size.text.key, **values) == f"{shown[0]} pp (90% interval {shown[1]} to {shown[2]})"
