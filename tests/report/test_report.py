"""The pieces of the report object that need no kernel: inert text, tables."""

from __future__ import annotations

import html
import re

import nbformat
import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from ibis.backends.duckdb import Backend as DuckDBBackend

from socialops.report.findings import Message
from socialops.report.i18n import Translator
from socialops.report.report import INERT, VALIDATED_ENV, Report, _safe_name, message_html, table_html
from tests.conftest import ROOT

HOSTILE_NAMES = yaml.safe_load((ROOT / "tests" / "data" / "hostile" / "text-names.yaml").read_text(encoding="utf-8"))[
    "names"
]
# Markup that data must never make: links, emphasis, headings, lists, quotes, code, images, scripts, frames.
MADE_TAGS = re.compile(r"<(a|em|strong|h[1-6]|ol|ul|li|blockquote|code|del|s|img|script|iframe|hr)[\s>/]", re.I)


def made_tags(page: str) -> list[str]:
    return sorted(m.group(1).lower() for m in MADE_TAGS.finditer(page))


@pytest.fixture(scope="module")
def churn_t():
    return Translator("en", "churn")


def test_message_markdown_is_the_catalog_s_and_values_are_plain_text(churn_t):
    values = {"name": "**bold** _it_", "treated": "5%", "holdout": "3%", "uplift": "2 pp", "low": "1", "high": "3",
              "p": "= 0.01"}
    page = message_html(churn_t, "say_winback", values)
    assert page.startswith("<p>In the win-back test <strong>**bold** _it_</strong>")
    assert made_tags(page) == ["strong"] * 4  # the template's own four


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_name_in_a_message_makes_no_markup_and_reads_as_written(churn_t, name):
    values = {"treated": "5%", "holdout": "3%", "uplift": "2 pp", "low": "1", "high": "3", "p": "= 0.01"}
    page = message_html(churn_t, "say_winback", {"name": name, **values})
    neutral = message_html(churn_t, "say_winback", {"name": "plain", **values})
    assert made_tags(page) == made_tags(neutral)
    assert html.escape(name) in page  # every character shown, no backslash added
    assert page.replace(html.escape(name), "plain") == neutral


@pytest.mark.parametrize("name", ["../../etc/passwd", ".hidden", "a/b\\c:d", "x" * 300, "http://evil.example/a?b", ""])
def test_file_names_from_data_stay_plain_and_inside(name):
    safe = _safe_name(name)
    assert re.fullmatch(r"[\w][\w.-]*", safe) and ".." not in safe.split("_") and len(safe) <= 80


def test_table_html_escapes_hostile_names():
    page = table_html(pd.DataFrame({"platform": HOSTILE_NAMES, "n": range(len(HOSTILE_NAMES))}))
    assert made_tags(page) == [] and f'class="so-table {INERT}"' in page
    assert all(html.escape(name) in page for name in HOSTILE_NAMES)


def test_table_html_escapes_text_and_aligns_numbers():
    df = pd.DataFrame({"title": ["<script>alert(1)</script>", None], "views": np.array([1500, 2])})
    page = table_html(df)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert '<td class="num">1,500</td>' in page and '<td class="txt"></td>' in page


def test_table_html_gives_each_column_one_precision():
    # the detector comparison of chapter 05: hours held as floats beside a zero read as whole hours
    df = pd.DataFrame({"detector": ["robust", "naive"], "alarms": [0, 4], "delay": [1.0, 0.0], "share": [0.25, 0.5]})
    cells = re.findall(r'<td class="num">([^<]*)</td>', table_html(df))
    assert cells == ["0", "1", "0.25", "4", "0", "0.50"]


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


def test_results_record_the_rows_of_a_repeated_key_and_what_was_kept(tmp_path, monkeypatch, shown):
    (tmp_path / "mentions.csv").write_text(
        "mention_id,ts,platform,sentiment\nm1,2026-01-01 08:00:00,weibo,0.5\nm2,2026-01-02 09:00:00,weibo,-0.2\n"
        "m1,2026-01-01 08:00:00,weibo,0.4\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(VALIDATED_ENV, "1")
    rep = Report.start("crisis_postmortem", data_dir=str(tmp_path), audience="client")
    try:
        document = rep.document()
        assert rep.table("mentions").count().execute() == 2
    finally:
        rep.workspace.close()
    assert document["warnings"] == [{"warning": "repeated_key", "table": "mentions", "file": "mentions.csv",
                                     "key": ["mention_id"], "rows": [2, 4], "repeated_rows": 2, "dropped_rows": 1,
                                     "treatment": "kept_last"}]


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
    assert [type(item).__name__ for item in shown] == ["HTML", "HTML", "HTML"]
    finding = message_html(report.t, "no_crisis", {"start": "2026-01-01", "end": "2026-01-02"})
    assert shown[0].data == f'<div class="so-finding {INERT}">{finding}</div>'
    assert finding.startswith("<p><strong>") and "2026-01-01" in finding
    assert shown[1].data == f'<p class="so-note {INERT}">{report.t("too_little_history")}</p>'
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


def test_runs_tells_a_skipped_section_why_and_lets_the_others_run(report, shown):
    skipped = {"survival": Message("no_text", kind="skip")}
    assert report.runs(skipped, "value") is True and shown == []
    assert report.runs(skipped, "survival") is False
    assert len(shown) == 1 and report.t("section_skipped", reason=report.t("no_text")) in shown[0].data


def test_record_keeps_several_results_in_order(report):
    report.result("first", 1)
    report.record({"second": {"a": 2}, "third": [3], "first": 4})
    report.record({})
    assert report.results == {"first": 4, "second": {"a": 2}, "third": [3]}
    assert list(report.document())[-3:] == ["first", "second", "third"]


def test_platform_label_names_known_platforms_and_shows_others_as_given(report):
    assert report.platform_label("weibo") == report.t("platform_weibo") != "weibo"
    assert report.platform_label("mastodon") == "mastodon"


def _rendered_page(report, shown, names: list[str]) -> str:
    """The client HTML page of what the report shows for `names`, rendered as the runner renders it."""
    from socialops.pipeline.publish import render_html

    shown.clear()
    for name in names:
        report.say("no_crisis", start=name, end="2026-01-02")
        report.note("section_skipped", reason=name)
        report.headline(name, name)
    report.show(pd.DataFrame({"platform": names, "n": range(len(names))}), "names", caption=names[0])
    outputs = [nbformat.v4.new_output("display_data", data={"text/html": item.data}) for item in shown]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("rep.show(...)", outputs=outputs)]
    page = render_html(nb, lang="en", audience="client", title="names")
    return page[page.index("<body"):]


def test_hostile_names_shown_by_a_report_make_no_markup_in_the_page(report, shown):
    page = _rendered_page(report, shown, HOSTILE_NAMES)
    neutral = _rendered_page(report, shown, [f"name{i}" for i in range(len(HOSTILE_NAMES))])
    assert made_tags(page) == made_tags(neutral)
    # the page's own links (its navigation) are the neutral page's: no name made one
    links = re.findall(r"href=\"([^\"]*)\"", page)
    assert links == re.findall(r"href=\"([^\"]*)\"", neutral)
    assert not any("javascript:" in link or "evil" in link for link in links)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "**bold**" in page and r"$\evilmacro{x}$" in page  # as written: no escape left behind
    assert "\\*" not in page and "\\_" not in page and "\\#" not in page


# platform names a hostile export may carry: a bare address, a TeX macro that matplotlib's math parser rejects,
# Markdown emphasis and a script link
HOSTILE_PLATFORMS = {"weibo": "http://evil.example/win", "bilibili": r"$\evilmacro{x}$",
                     "douyin": "**bold** [x](javascript:alert(1))"}
CLIENT = "Brand\t+86 139 1234 5678 微信:zhangsan"


@pytest.fixture(scope="module")
def hostile_platform_run(tmp_path_factory):
    """Chapter 01 for a client on the samples with three platforms renamed, and a client name holding contacts."""
    import csv
    import subprocess
    import sys

    from tests.conftest import SAMPLES

    data = tmp_path_factory.mktemp("hostile-platforms") / "data"
    data.mkdir()
    for name in ("platform_daily.csv", "posts.csv", "audience.csv"):
        with (SAMPLES / name).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            row["platform"] = HOSTILE_PLATFORMS.get(row["platform"], row["platform"])
        with (data / name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    out = data.parent / "out"
    done = subprocess.run([sys.executable, "-m", "socialops", "run", "platform_matrix", "--data", str(data), "--out",
                           str(out), "-p", f"client={CLIENT}"], capture_output=True, text=True, cwd=ROOT,
                          timeout=900)
    return done, out


@pytest.mark.notebook
def test_hostile_platform_names_and_client_reach_no_report_as_markup_or_contact(hostile_platform_run):
    done, out = hostile_platform_run
    assert done.returncode == 0, done.stderr
    chapter = "01_platform_matrix"
    page = (out / f"{chapter}.html").read_text(encoding="utf-8")
    body = page[page.index("<body"):]
    assert not re.search(r"""href=["']?(?:https?:|javascript:|www\.)""", body)
    assert not re.search(r"<(em|strong)>(bold|x)</\1>", body) and "<script>alert" not in body
    assert r"$\evilmacro{x}$" in body and "**bold**" in body  # shown as written
    assert (out / f"{chapter}_figures").is_dir() and any((out / f"{chapter}_figures").glob("*.png"))
    notebook = (out / f"{chapter}.ipynb").read_text(encoding="utf-8")
    for text in (page, notebook, (out / f"{chapter}.json").read_text(encoding="utf-8")):
        assert "1234 5678" not in text and "zhangsan" not in text
    book = openpyxl.load_workbook(out / f"{chapter}.xlsx")
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "http://evil.example/win" in {c.value for c in cells}
    assert not any(c.data_type == "f" for c in cells) and not any(sheet._hyperlinks for sheet in book.worksheets)


def test_start_refuses_an_as_of_outside_the_data_naming_its_range(tmp_path):
    (tmp_path / "mentions.csv").write_text(
        "mention_id,ts,platform,sentiment\nm1,2026-01-01 08:00:00,weibo,0.5\nm2,2026-01-02 09:00:00,weibo,-0.2\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"^as_of 2025-06-30 is before the data \(mentions.ts\), which run from "
                                         r"2026-01-01 08:00:00 to 2026-01-02 09:00:00"):
        Report.start("crisis_postmortem", data_dir=str(tmp_path), as_of="2025-06-30")


class _Display:
    """Stands for the display the report leaves under its header: keeps what it is updated with."""

    def __init__(self):
        self.pages = []

    def update(self, page):
        self.pages.append(page.data)


def test_summarize_fills_the_display_under_the_header_and_records_summary_and_actions(report):
    from socialops.report.summary import Action, Finding, Size, Summary

    assert report.summary_display is not None  # left by start, before any section
    report.summary_display = _Display()
    finding = Finding(Message("no_crisis", {"start": "call 13812345678", "end": "2026-01-02"}), {"n": 3}, "detection")
    size = Size(0.01, 0.004, 0.016, "points", Message("size_points_interval",
                                                      {"estimate": "+1.00", "low": "+0.40", "high": "+1.60",
                                                       "level": "95"}))
    action = Action(Message("no_text"), Message("table_absent", {"table": "mentions"}), "header_client", "high", size)
    assert Action(Message("a"), "", "k", "low", section="detection").section == "detection"
    report.summarize(Summary([finding], [action], Message("summary_more_data", {"reason": "x", "n": 1}, "note")))
    summary, actions = report.results["summary"], report.results["actions"]
    masked = report.mask("call 13812345678")
    assert "13812345678" not in masked
    text = _plain_text(message_html(report.t, "no_crisis", {"start": masked, "end": "2026-01-02"}))
    assert summary == [{"key": "no_crisis", "text": text, "value": {"n": 3}, "section": "detection"}]
    assert masked in text
    assert actions == [{"key": "no_text", "what": _plain_text(message_html(report.t, "no_text", {})), "where": report.t("table_absent", table="mentions"),
                        "kpi": "header_client", "kpi_label": report.t("header_client"),
                        "expected": {"estimate": 0.01, "low": 0.004, "high": 0.016, "unit": "points"},
                        "expected_text": "+1.00 pp (95% interval +0.40 to +1.60)", "priority": "high",
                        "section": None}]
    [page] = report.summary_display.pages
    assert page.index(report.t("summary_title")) < page.index("<ol") < page.index(report.t("actions_title"))
    assert report.t("priority_high") in page and "13812345678" not in page


def test_a_summary_without_findings_says_no_finding_passed_its_rule(report):
    from socialops.report.summary import Summary

    report.summary_display = _Display()
    report.summarize(Summary())
    assert report.results["summary"] == [] and report.results["actions"] == []
    [page] = report.summary_display.pages
    assert html.escape(report.t("summary_none")) in page and "<ol" not in page and "<table" not in page


def _plain_text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def test_every_results_document_holds_a_summary_and_actions_even_before_summarize(report):
    document = report.document()
    assert document["summary"] == [] and document["actions"] == []
    report.summary_display = _Display()
    from socialops.report.summary import Finding, Summary

    report.summarize(Summary([Finding(Message("no_text"), None, "detection")]))
    assert [f["key"] for f in report.document()["summary"]] == ["no_text"]


def test_the_more_data_line_renders_its_reasons_markdown_and_keeps_values_plain(report):
    from socialops.report.summary import Said, Summary

    report.summary_display = _Display()
    reason = Message("column_absent", {"column": "*bold* `x`", "table": "experiment"}, "skip")
    report.summarize(Summary(more_data=Message("summary_more_data", {"reason": Said(reason), "n": 2}, "note")))
    [page] = report.summary_display.pages
    note = re.search(r'<p class="so-note">(.*?)</p>', page, re.S).group(1)
    assert "<code>experiment</code>" in note and "`" not in note.replace("`x`", "")
    assert "<code>*bold* `x`</code>" in note and "<em>" not in note  # the value as written, no emphasis made


def test_export_table_has_the_engine_write_an_analyst_list_into_the_stage_exports(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "mentions.csv").write_text(
        "mention_id,ts,platform,sentiment,text\nm2,2026-01-02 09:00:00,weibo,-0.2,=cmd()\n"
        "m1,2026-01-01 08:00:00,weibo,0.5,好评\n", encoding="utf-8")
    for audience in ("client", "analyst"):
        rep = Report.start("crisis_postmortem", data_dir=str(data), audience=audience)
        rep.stage = tmp_path / audience
        mentions = rep.table("mentions")
        path = rep.export_table(mentions.select("mention_id", "text").order_by("mention_id"), "../mentions list")
        rep.workspace.close()
        if audience == "client":
            assert path is None and not rep.stage.exists()
            continue
        assert path == rep.stage / "exports" / "mentions_list.csv"
        assert path.read_text(encoding="utf-8-sig") == "mention_id,text\nm1,好评\nm2,'=cmd()\n"
