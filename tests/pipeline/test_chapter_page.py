"""A chapter page as published: Methods appendix by edition, contents, section anchors, links between chapters."""

from __future__ import annotations

import functools
import html
import json
import re

import nbformat
import pytest

from socialops.chapters import notebook_path
from socialops.pipeline import chapter_page, publish
from socialops.report.i18n import Translator
from tests.conftest import cell_tags


def markdown(text: str, *tags: str, lang: str = "en"):
    return nbformat.v4.new_markdown_cell(text, metadata={"tags": [f"lang-{lang}", *tags]})


def code(shown: str, *tags: str, stderr: str = ""):
    outputs = [nbformat.v4.new_output("display_data", data={"text/html": f"<p>{shown}</p>"})]
    if stderr:
        outputs.append(nbformat.v4.new_output("stream", name="stderr", text=stderr))
    return nbformat.v4.new_code_cell(f"show({shown!r})", outputs=outputs, metadata={"tags": list(tags)})


def chapter(lang: str = "en"):
    """A chapter with a findings box, a section of statistics, a section whose model cell is statistics, and a
    plain section; its sections are numbered."""
    nb = nbformat.v4.new_notebook()
    start = nbformat.v4.new_code_cell("rep = start()", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": '<div class="so-summary tex2jax_ignore"><p>FINDINGS BOX</p></div>'})])
    nb.cells = [
        markdown("# Title\n\nIntro."),
        start,
        markdown("## 1. Is the split sound?", "section-srm", "methods"),
        code("CHI-SQUARE TABLE", "methods", stderr="UserWarning: overflow in exp\n"),
        markdown("## 2. How long customers stay", "section-survival"),
        code("SURVIVAL FINDING"),
        code("COX PARAMETERS", "methods"),
        markdown("Paragraph about the detector.", "section-detectors"),
        markdown("## 3. Verdicts", "section-verdicts"),
        code("VERDICT FINDING"),
    ]
    if lang == "zh":
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.metadata["tags"] = ["lang-zh" if t == "lang-en" else t for t in cell.metadata["tags"]]
        nb.cells[4].source = "## 2. 客户能留多久？"
    return nb


@functools.cache
def page(audience: str, lang: str = "en", warnings: tuple = ()) -> str:
    """The rendered page (rendering takes seconds: each page once)."""
    return publish.render_html(chapter(lang), lang=lang, audience=audience, title="T", warnings=list(warnings))


def body_and_appendix(text: str) -> tuple[str, str]:
    start = text.find('<details class="so-methods"')
    return (text, "") if start < 0 else (text[:start], text[start:])


def test_client_edition_moves_methods_cells_into_a_collapsed_appendix_at_the_end():
    body, appendix = body_and_appendix(page("client"))
    for finding in ("FINDINGS BOX", "SURVIVAL FINDING", "VERDICT FINDING"):
        assert finding in body and finding not in appendix
    for statistics in ("CHI-SQUARE TABLE", "COX PARAMETERS", "Is the split sound?"):
        assert statistics in appendix and statistics not in body
    assert re.match(r'<details class="so-methods" id="methods"><summary>Methods</summary>', appendix)
    assert appendix.index("CHI-SQUARE TABLE") < appendix.index("COX PARAMETERS")  # in the order of the notebook
    assert "<!--so-cell" not in body + appendix


def test_a_moved_cell_under_a_heading_that_stays_is_introduced_by_its_section_and_pointed_to():
    body, appendix = body_and_appendix(page("client"))
    body = body[body.index("</nav>"):]
    section = body[body.index("How long customers stay"):body.index("Verdicts")]
    assert '<a href="#methods">The statistical details of this section are in the Methods appendix.</a>' in section
    assert appendix.index("From the section “1. How long customers stay”") < appendix.index("COX PARAMETERS")


def test_sections_are_numbered_again_in_the_order_the_body_shows_them():
    body, appendix = body_and_appendix(page("client"))
    headings = [chapter_page.heading_text(inner) for _, inner in re.findall(r'<h2 id="([^"]*)">(.*?)</h2>', body)]
    assert headings == ["1. How long customers stay", "2. Verdicts"]
    assert re.search(r"<h3 id=\"[^\"]*\">Is the split sound\?", appendix)  # its number gone, a level down
    analyst = [chapter_page.heading_text(inner) for _, inner in re.findall(r"<h2 id=\"([^\"]*)\">(.*?)</h2>",
                                                                             page("analyst"))]
    assert analyst == ["1. Is the split sound?", "2. How long customers stay", "3. Verdicts"]


def test_analyst_edition_keeps_methods_inline_and_lists_the_warnings_in_its_appendix():
    warnings = ["fit: RuntimeWarning <x>", {"warning": "repeated_key", "table": "events"}]
    body, appendix = body_and_appendix(publish.render_html(chapter(), lang="en", audience="analyst", title="T",
                                                           warnings=warnings))
    assert "CHI-SQUARE TABLE" in body and "COX PARAMETERS" in body
    assert "UserWarning: overflow in exp" in body  # what the cell printed, where it printed it
    assert "<details class=\"so-methods\" id=\"methods\" open>" in appendix
    items = re.findall(r"<li>(.*?)</li>", appendix)
    assert items == ["fit: RuntimeWarning &lt;x&gt;", "warning: repeated_key · table: events"]
    assert "This run raised no warnings." in page("analyst")


def test_client_edition_shows_no_warning_and_no_log_line():
    text = page("client", warnings=("fit: RuntimeWarning",))
    assert "overflow in exp" not in text and "RuntimeWarning" not in text
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in text
    assert 'data-mime-type="application/vnd.jupyter.stderr"' in page("analyst")  # the analyst sees it where it was


def test_contents_list_the_body_sections_and_every_entry_leads_to_its_place():
    text = page("client")
    nav = re.search(r'<nav class="so-nav">.*?</nav>', text, re.DOTALL).group(0)
    entries = re.findall(r'<li><a href="#([^"]*)">(.*?)</a></li>', nav)
    assert [label for _, label in entries] == ["Findings and actions", "1. How long customers stay", "2. Verdicts",
                                               "Methods"]
    ids = set(re.findall(r'\sid="([^"]*)"', text))
    assert all(html.unescape(anchor) in ids for anchor, _ in entries)
    assert '<a href="index.html">Summary of all chapters</a>' in nav
    assert text.index(nav) < text.index("FINDINGS BOX")


def test_an_empty_findings_box_is_not_listed_in_the_contents():
    nb = chapter()
    nb.cells[1].outputs[0].data["text/html"] = '<div class="so-summary tex2jax_ignore"></div>'
    text = publish.render_html(nb, lang="en", audience="client", title="T")
    nav = re.search(r'<nav class="so-nav">.*?</nav>', text, re.DOTALL).group(0)
    assert "Findings and actions" not in nav and "1. How long customers stay" in nav


def test_chinese_headings_lead_to_their_place_too():
    text = page("client", lang="zh")
    nav = re.search(r'<nav class="so-nav">.*?</nav>', text, re.DOTALL).group(0)
    entries = dict((label, anchor) for anchor, label in re.findall(r'<li><a href="#([^"]*)">(.*?)</a></li>', nav))
    assert "1. 客户能留多久？" in entries
    assert f'id="{entries["1. 客户能留多久？"]}"' in text
    assert "方法附录" in nav


@pytest.mark.parametrize(("heading", "listed"), [
    ("1. Warning: when did it start, and when would a monitor have told us?", "1. Warning"),
    ("1. Is each test sound? The sample ratio check", "1. Is each test sound?"),
    ("Did the win-back offer work?", "Did the win-back offer work?"),
    ("Content mix: the 7:3 rule", "Content mix"),
    ("2. 哪些版本带来了变化？逐一与对照组比较", "2. 哪些版本带来了变化？"),
    ("内容结构：7:3 原则", "内容结构"),
    ("客户能留多久", "客户能留多久"),
])
def test_contents_list_a_heading_up_to_its_first_colon_or_question(heading, listed):
    assert chapter_page.short_title(heading) == listed


def test_section_anchors_name_the_heading_of_their_section():
    text = page("client")
    titles = chapter_page.section_titles(text)
    assert titles["survival"] == ("section-survival", "1. How long customers stay")
    assert titles["detectors"] == ("section-detectors", "1. How long customers stay")  # a paragraph: its section's
    assert titles["srm"] == ("section-srm", "Is the split sound?")  # moved, in the appendix
    ids = set(re.findall(r'\sid="([^"]*)"', text))
    assert {anchor for anchor, _ in titles.values()} <= ids


def test_chapter_links_are_filled_in_once_the_run_knows_its_chapters():
    t = Translator("en")
    text = page("client")
    linked = chapter_page.with_chapter_links(text, t, "03_ab_testing", "05_crisis_postmortem")
    assert '<a class="so-previous" href="03_ab_testing.html">‹ 03 A/B testing</a>' in linked
    assert '<a class="so-next" href="05_crisis_postmortem.html">05 Crisis postmortem ›</a>' in linked
    first = chapter_page.with_chapter_links(linked, t, None, "02_lifecycle")  # again: replaced, not added
    assert "so-previous" not in first and first.count("so-next\"") == 1
    error = publish.error_page(title="T", lang="en", detail="cell 3")
    assert chapter_page.with_chapter_links(error, t, "01_platform_matrix", None) == error


def test_run_warnings_add_what_cells_wrote_to_standard_error_to_the_results(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"warnings": [{"warning": "repeated_key"}], "x": 1}), encoding="utf-8")
    nb = chapter()
    nb.cells.append(code("AGAIN", stderr="UserWarning: overflow in exp\n"))  # the same line twice: kept once
    nb.cells.append(code("CALL", stderr="call 13812345678 now\n"))
    warnings = publish.run_warnings(nb, results, audience="client")
    assert warnings[0] == {"warning": "repeated_key"} and warnings[1] == "UserWarning: overflow in exp"
    assert len(warnings) == 3 and "13812345678" not in warnings[2]  # masked for the client
    assert json.loads(results.read_text(encoding="utf-8")) == {"warnings": warnings, "x": 1}


def test_run_warnings_leave_results_untouched_when_nothing_was_written_to_standard_error(tmp_path):
    results = tmp_path / "results.json"
    results.write_text('{"warnings": []}', encoding="utf-8")
    nb = chapter()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if o.output_type != "stream"]
    assert publish.run_warnings(nb, results, audience="client") == []
    assert results.read_text(encoding="utf-8") == '{"warnings": []}'
    assert publish.run_warnings(nb, tmp_path / "absent.json", audience="client") == []


# ------------------------------------------------------------------------------ on the samples
def methods_headings(chapter: str, lang: str) -> list[str]:
    """The section headings of the chapter's notebook that its cells tagged ``methods`` open."""
    nb = nbformat.read(notebook_path(chapter), as_version=4)
    return [cell.source.splitlines()[0].lstrip("#").strip() for cell in nb.cells
            if cell.cell_type == "markdown" and {"methods", f"lang-{lang}"} <= cell_tags(cell)
            and cell.source.startswith("#")]


PERIODS = chapter_page.Periods(("2025-10-01", "2026-09-30"), {"survival": ("2026-07-03", "2026-09-30")})


def test_each_section_states_its_own_period_or_the_whole_window():
    text = publish.render_html(chapter(), lang="en", audience="analyst", title="T", periods=PERIODS)
    stated = re.findall(r'</h[23]><p class="so-period">Period covered: (\S+) to (\S+)</p>', text)
    # srm and verdicts cover the window, survival its own days; the paragraph without a heading states nothing
    assert stated == [("2025-10-01", "2026-09-30"), ("2026-07-03", "2026-09-30"), ("2025-10-01", "2026-09-30")]
    zh = publish.render_html(chapter("zh"), lang="zh", audience="client", title="T", periods=PERIODS)
    assert "数据时段：2026-07-03 至 2026-09-30" in zh


def test_advice_and_unheaded_cells_state_no_period():
    t = Translator("en")
    advice = chapter_page.Cell(frozenset({"section-recommendations"}), "<h2>Recommendations</h2>")
    assert chapter_page.with_period(advice, PERIODS, t) == advice
    plain = chapter_page.Cell(frozenset(), "<h2>Title</h2>")
    assert chapter_page.with_period(plain, PERIODS, t) == plain
    assert chapter_page.with_period(plain, None, t) == plain


def test_periods_come_from_the_results():
    results = {"data_range": ["2025-10-01T00:02:57", "2026-09-30T23:59:59"], "as_of": "2026-09-30T23:59:59",
               "periods": {"money": ["2026-07-03", "2026-09-30"]}}
    periods = chapter_page.Periods.of(results)
    assert periods.window == ("2025-10-01", "2026-09-30")
    assert periods.of_section({"money", "roi"}) == ("2026-07-03", "2026-09-30")
    assert periods.of_section({"audience_fit"}) == ("2025-10-01", "2026-09-30")
    assert chapter_page.Periods.of({"data_range": [None, None], "as_of": "2026-09-30"}) is None


def test_section_periods_read_the_staged_results(tmp_path):
    results = tmp_path / "results.json"
    assert publish.section_periods(results) is None
    results.write_text(json.dumps({"data_range": ["2026-01-01", "2026-03-31"], "as_of": "2026-03-31T23:59:59"}))
    assert publish.section_periods(results) == chapter_page.Periods(("2026-01-01", "2026-03-31"), {})


@pytest.mark.notebook
def test_the_churn_client_report_on_the_samples_keeps_its_statistics_in_the_appendix(chapter_run):
    run = chapter_run("04_churn")
    assert run.exit_code == 0, run.stderr
    body, appendix = body_and_appendix(run.html)
    moved = methods_headings("04_churn", "en")
    assert moved and appendix.startswith('<details class="so-methods" id="methods">')
    for heading in moved:
        text = re.sub(r"^\d+\.\s+", "", html.escape(heading, quote=False))
        assert text in appendix and f">{text}<" not in body, heading
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in run.html
    for finding in run.json.get("summary") or []:  # a finding rests on a section the client sees
        assert f'id="section-{finding["section"]}"' in body, finding["section"]
    ids = {html.unescape(found) for found in re.findall(r'\sid="([^"]*)"', run.html)}
    contents = re.findall(r'<li><a href="#([^"]*)">', re.search(r"<nav.*?</nav>", run.html, re.DOTALL).group(0))
    assert contents and all(html.unescape(anchor) in ids for anchor in contents)
    # every section of the body says which period it covers; the advice covers none
    headings = re.findall(r"</h2>(.{0,60})", body)
    assert headings and all(after.startswith('<p class="so-period">Period covered: ') for after in headings[:-1])
    index = (run.out_dir / "index.html").read_text(encoding="utf-8")
    for anchor in re.findall(r'href="04_churn\.html#([^"]+)"', index):  # findings and actions lead to their sections
        assert html.unescape(anchor) in ids, anchor


@pytest.mark.notebook
def test_the_churn_analyst_report_on_the_samples_keeps_its_statistics_in_place(chapter_run):
    run = chapter_run("04_churn", lang="zh", audience="analyst")
    assert run.exit_code == 0, run.stderr
    body, appendix = body_and_appendix(run.html)
    for heading in methods_headings("04_churn", "zh"):
        assert html.escape(heading, quote=False) in body
    assert appendix.startswith('<details class="so-methods" id="methods" open>')
    assert "本次运行的警告" in appendix
    assert len(re.findall(r"<li>", appendix)) == len(run.json["warnings"])
