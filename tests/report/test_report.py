"""The pieces of the report object that need no kernel: escaping, tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ibis.backends.duckdb import Backend as DuckDBBackend

from socialops.report.findings import Message
from socialops.report.report import VALIDATED_ENV, Report, escape_markdown, table_html


def test_markdown_escaping_neutralises_links_and_html():
    text = escape_markdown("[click](javascript:alert(1)) <img src=x onerror=alert(1)> **bold**")
    assert "](" not in text and "<img" not in text and "**" not in text


def test_table_html_escapes_text_and_aligns_numbers():
    df = pd.DataFrame({"title": ["<script>alert(1)</script>", None], "views": np.array([1500, 2])})
    page = table_html(df)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert '<td class="num">1,500</td>' in page and '<td class="txt"></td>' in page


def test_missing_values_of_nullable_columns_are_blank():
    df = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "x": pd.array([0.5, None], dtype="Float64")})
    assert "NA" not in table_html(df) and table_html(df).count('<td class="num"></td>') == 2


def test_start_refuses_an_unreadable_as_of_before_opening_the_data(tmp_path):
    with pytest.raises(ValueError, match=r"^as_of: expected YYYY-MM-DD"):
        Report.start("lifecycle", data_dir=str(tmp_path / "nowhere"), as_of="2026-13-45")


def test_table_leaves_out_the_rows_after_as_of(tmp_path):
    (tmp_path / "mentions.csv").write_text(
        "mention_id,ts,platform,sentiment\n"
        "m1,2026-01-01 08:00:00,weibo,0.5\n"
        "m2,2026-01-02 23:00:00,weibo,-0.2\n"
        "m3,2026-01-03 00:00:00,weibo,0.1\n",
        encoding="utf-8",
    )
    given = Report.start("crisis_postmortem", data_dir=str(tmp_path), as_of="2026-01-02", audience="analyst")
    latest = Report.start("crisis_postmortem", data_dir=str(tmp_path), audience="analyst")
    try:
        assert given.as_of == pd.Timestamp("2026-01-02 23:59:59.999999") and given.as_of_source == "given"
        assert sorted(given.table("mentions").to_pandas().mention_id) == ["m1", "m2"]
        assert (latest.as_of, latest.as_of_source) == (pd.Timestamp("2026-01-03"), "latest")
        assert latest.table("mentions").count().execute() == 3
    finally:
        given.workspace.close()
        latest.workspace.close()


def test_start_header_and_results_query_the_data_range_once(tmp_path, monkeypatch, shown):
    (tmp_path / "mentions.csv").write_text(
        "mention_id,ts,platform,sentiment\nm1,2026-01-01 08:00:00,weibo,0.5\nm2,2026-01-02 09:00:00,weibo,-0.2\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(VALIDATED_ENV, "1")
    queries = []
    execute = DuckDBBackend.execute
    monkeypatch.setattr(DuckDBBackend, "execute", lambda con, *a, **k: queries.append(a) or execute(con, *a, **k))
    rep = Report.start("crisis_postmortem", data_dir=str(tmp_path), audience="analyst")
    try:
        document = rep.document()
    finally:
        rep.workspace.close()
    # one row count of the table read, one range behind the default as_of, the header and the results
    assert len(queries) == 2
    assert (rep.as_of, document["data_range"]) == (pd.Timestamp("2026-01-02 09:00"),
                                                   ["2026-01-01T08:00:00", "2026-01-02T09:00:00"])


@pytest.fixture
def report(tmp_path):
    """A client report of the crisis chapter on three mentions, outside any run (it only displays)."""
    (tmp_path / "mentions.csv").write_text(
        "mention_id,ts,platform,sentiment\nm1,2026-01-01 08:00:00,weibo,0.5\nm2,2026-01-02 09:00:00,weibo,-0.2\n",
        encoding="utf-8",
    )
    rep = Report.start("crisis_postmortem", data_dir=str(tmp_path), audience="client")
    yield rep
    rep.workspace.close()


@pytest.fixture
def shown(monkeypatch):
    """What the report displays, from the moment the fixture is used."""
    displayed = []
    monkeypatch.setattr("IPython.display.display", displayed.append)
    return displayed


def test_tell_displays_findings_notes_and_skips(report, shown):
    report.tell([Message("no_crisis", {"start": "2026-01-01", "end": "2026-01-02"}),
                 Message("too_little_history", kind="note"),
                 Message("no_text", kind="skip")])
    assert [type(item).__name__ for item in shown] == ["Markdown", "HTML", "HTML"]
    assert shown[0].data == report.t("no_crisis", start="2026-01-01", end="2026-01-02")
    assert shown[1].data == f'<p class="so-note">{report.t("too_little_history")}</p>'
    assert report.t("section_skipped", reason=report.t("no_text")) in shown[2].data


def test_tell_shows_what_say_note_and_skip_show(report, shown):
    values = {"start": "call 13812345678", "end": "[x](y)"}
    report.say("no_crisis", **values)
    report.note("section_skipped", reason="13812345678")
    report.skip("no_text")
    direct = [item.data for item in shown]
    shown.clear()
    report.tell(Message("no_crisis", values))
    report.tell([Message("section_skipped", {"reason": "13812345678"}, "note"), Message("no_text", kind="skip")])
    assert [item.data for item in shown] == direct
    assert "13812345678" not in "".join(direct)


def test_tell_shows_each_message_with_the_method_its_kind_names(report, monkeypatch):
    calls = []
    for kind in ("say", "note", "skip"):
        monkeypatch.setattr(report, kind, lambda key, _kind=kind, **values: calls.append((_kind, key, values)))
    report.tell([Message("say_a", {"n": 1}), Message("note_b", kind="note"),
                 Message("column_absent", {"column": "c"}, "skip")])
    assert calls == [("say", "say_a", {"n": 1}), ("note", "note_b", {}), ("skip", "column_absent", {"column": "c"})]


def test_tell_of_no_messages_shows_nothing(report, shown):
    report.tell([])
    assert shown == []


def test_record_keeps_several_results_in_order(report):
    report.result("first", 1)
    report.record({"second": {"a": 2}, "third": [3], "first": 4})
    report.record({})
    assert report.results == {"first": 4, "second": {"a": 2}, "third": [3]}
    assert list(report.document())[-3:] == ["first", "second", "third"]


def test_platform_label_names_known_platforms_and_shows_others_as_given(report):
    assert report.platform_label("weibo") == report.t("platform_weibo") != "weibo"
    assert report.platform_label("mastodon") == "mastodon"
