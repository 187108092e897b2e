"""Messages: a catalog key with its values, shown as a finding unless told otherwise."""

from __future__ import annotations

import pytest

from socialops.report.findings import KINDS, Duration, Message, durations


def test_a_message_is_a_finding_without_values_by_default():
    message = Message("say_customers")
    assert (message.key, message.values, message.kind) == ("say_customers", {}, "say")
    assert Message("note_x", {"n": 2}, "note") == Message("note_x", {"n": 2}, kind="note")
    assert Message("note_x", {"n": 2}, "note") != Message("note_x", {"n": 2})


def test_each_kind_names_a_way_of_showing():
    assert KINDS == ("say", "note", "skip")
    assert [Message("k", kind=kind).kind for kind in KINDS] == list(KINDS)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind must be one of say, note, skip, not 'finish'"):
        Message("k", kind="finish")


def test_the_spans_of_one_sentence_share_one_unit():
    # 114 hours beside 6 hours: both in days, never "4.8 days" beside "114 h"
    assert durations(114, 6) == (Duration(114, "days"), Duration(6, "days"))
    assert durations(6, 23.5) == (Duration(6, "hours"), Duration(23.5, "hours"))
    assert durations(None, 0.5) == (Duration(None, "minutes"), Duration(0.5, "minutes"))
    assert Duration(3.0).unit == "hours"
