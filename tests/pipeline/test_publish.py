"""Rendering and publishing: one language, no code for clients, scrubbed metadata, atomic files, index links,
links between the chapters of a run."""

from __future__ import annotations

import contextlib
import json
import os
import re

import nbformat
import pytest

from socialops.pipeline import publish


def executed_notebook():
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('data_dir = "/home/someone/secret/client-data"', metadata={"tags": ["parameters"]})
    injected = nbformat.v4.new_code_cell('data_dir = "/home/someone/secret/client-data"\nclient = "ACME"',
                                         metadata={"tags": ["injected-parameters"]})
    code = nbformat.v4.new_code_cell("print('hello')", outputs=[nbformat.v4.new_output("stream", text="hello\n")])
    nb.cells = [
        nbformat.v4.new_markdown_cell("English narrative", metadata={"tags": ["lang-en"]}),
        nbformat.v4.new_markdown_cell("中文叙述", metadata={"tags": ["lang-zh"]}),
        params, injected, code,
    ]
    nb.metadata["papermill"] = {"input_path": "/home/someone/notebooks/x.ipynb", "cwd": "/home/someone",
                                "parameters": {"client": "ACME", "data_dir": "/home/someone/secret"}}
    return nb


def test_client_html_has_no_code_and_one_language():
    page = publish.render_html(executed_notebook(), lang="zh", audience="client", title="测试")
    assert "中文叙述" in page and "English narrative" not in page
    assert "print(" not in page and "hello" in page
    assert "client-data" not in page
    assert 'lang="zh-CN"' in page


def test_analyst_html_shows_code():
    page = publish.render_html(executed_notebook(), lang="en", audience="analyst", title="Test")
    assert "print" in page and "English narrative" in page and "中文叙述" not in page


def test_scrubbed_notebook_has_no_paths_or_parameter_values_or_warnings():
    executed = executed_notebook()
    executed.cells[-1].outputs.append(nbformat.v4.new_output("stream", name="stderr", text="UserWarning: at /x\n"))
    nb = publish.scrub_notebook(executed, data_dir="/home/someone/secret/client-data")
    text = json.dumps(nb)
    assert "/home/someone" not in text
    assert "UserWarning" not in text and "hello" in text
    assert "parameters" not in nb.metadata["papermill"]


def test_error_page_escapes_the_message():
    page = publish.error_page(title="T", lang="en", detail="cell 3", message="<script>alert(1)</script>")
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_index_links_resolve_and_show_headlines(tmp_path):
    (tmp_path / "01_platform_matrix.html").write_text("<html></html>", encoding="utf-8")
    (tmp_path / "01_platform_matrix.json").write_text(
        json.dumps({"headline": [{"label": "Core", "value": "<b>WeChat</b>"}]}), encoding="utf-8")
    page = publish.write_index(tmp_path, lang="en", statuses={"01_platform_matrix": "ok", "03_ab_testing": "failed"})
    text = page.read_text(encoding="utf-8")
    assert "&lt;b&gt;WeChat" in text
    for href in re.findall(r'href="([^"]+)"', text):
        if href != "03_ab_testing.html":  # a failed chapter's error page is written by the runner
            assert (tmp_path / href).exists(), href
    assert "failed" in text


def test_write_text_atomic_leaves_no_temporary(tmp_path):
    target = tmp_path / "a.html"
    publish.write_text_atomic(target, "x")
    assert target.read_text() == "x" and [p.name for p in tmp_path.iterdir()] == ["a.html"]


def test_report_fetches_nothing_from_the_internet_and_runs_no_script():
    page = publish.render_html(executed_notebook(), lang="en", audience="client", title="Test")
    assert not re.findall(r'(?:src|href)="https?://', page)
    assert "<script" not in page


def test_line_breaks_inside_chinese_paragraphs_leave_no_space():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("区间由比率在各天之间的\n波动计算。\n\nEnglish\nstays", metadata={"tags": ["lang-zh"]})]
    page = publish.render_html(nb, lang="zh", audience="client", title="t")
    assert "各天之间的波动计算" in page and "English\nstays" in page


# ------------------------------------------------------------------------------ a chapter's set, replaced whole
CH = "01_platform_matrix"


def _previous_set(out):
    """A complete set of an earlier run, with a workbook, figures and exports."""
    for suffix in (".json", ".xlsx", ".ipynb", ".html"):
        (out / f"{CH}{suffix}").write_text(f"old{suffix}", encoding="utf-8")
    for folder in ("_figures", "_exports"):
        (out / f"{CH}{folder}").mkdir()
        (out / f"{CH}{folder}" / "old.png").write_text("old", encoding="utf-8")


def _staged_report(out):
    """A stage as a notebook leaves it (results and a figure, no tables, no exports), gathered into a set."""
    stage = out / f".{CH}.stage-{os.getpid()}-test"
    (stage / "figures").mkdir(parents=True)
    (stage / "figures" / "new.png").write_text("new", encoding="utf-8")
    (stage / "results.json").write_text("new.json", encoding="utf-8")
    return stage, publish.stage_report(stage, CH, html_text="new.html", notebook=nbformat.v4.new_notebook())


def _visible(out):
    return {str(p.relative_to(out)) for p in out.rglob("*") if not p.relative_to(out).parts[0].startswith(".")}


NEW_SET = {f"{CH}.json", f"{CH}.ipynb", f"{CH}.html", f"{CH}_figures", f"{CH}_figures/new.png"}


def test_a_new_report_replaces_the_whole_previous_set(tmp_path):
    _previous_set(tmp_path)
    stage, staged = _staged_report(tmp_path)
    written = publish.publish_set(staged, tmp_path, CH)
    # the old workbook and exports are gone: a new set never sits beside files of the old one
    assert _visible(tmp_path) == NEW_SET
    assert sorted(p.name for p in written) == sorted(n for n in NEW_SET if "/" not in n)
    assert (tmp_path / f"{CH}.html").read_text(encoding="utf-8") == "new.html"
    assert list(stage.iterdir()) == []


def test_an_error_page_replaces_the_whole_set(tmp_path):
    _previous_set(tmp_path)
    publish.publish_error_page(tmp_path, CH, "<p>failed</p>")
    assert _visible(tmp_path) == {f"{CH}.html"}
    assert (tmp_path / f"{CH}.html").read_text(encoding="utf-8") == "<p>failed</p>"
    assert [p.name for p in tmp_path.iterdir()] == [f"{CH}.html"]  # its staging folder is gone too


def test_a_publication_cut_short_at_any_step_ends_as_one_whole_set(tmp_path, monkeypatch):
    """A process dies after k of the publication's 7 renames; the next run's recovery leaves one whole set.

    Dying at the first rename (the commit) leaves the previous set; any later, the new one.
    """
    real_replace = os.replace
    for k in range(8):
        out = tmp_path / str(k)
        out.mkdir()
        _previous_set(out)
        stage, staged = _staged_report(out)
        done = []

        def dying_replace(src, dst, done=done, k=k):
            if len(done) == k:
                raise SystemExit("killed")
            done.append(src)
            real_replace(src, dst)

        monkeypatch.setattr(publish.os, "replace", dying_replace)
        with contextlib.suppress(SystemExit):
            publish.publish_set(staged, out, CH)
        monkeypatch.setattr(publish.os, "replace", real_replace)
        publish.recover_stage(stage, out, CH)
        assert _visible(out) == (_old_set_names() if k == 0 else NEW_SET), k
        assert not stage.exists()
    assert len(done) == 7  # the last one ran through


def _old_set_names():
    return {f"{CH}.json", f"{CH}.xlsx", f"{CH}.ipynb", f"{CH}.html", f"{CH}_figures", f"{CH}_figures/old.png",
            f"{CH}_exports", f"{CH}_exports/old.png"}


def test_an_uncommitted_stage_is_dropped_and_the_previous_set_kept(tmp_path):
    _previous_set(tmp_path)
    stage, _ = _staged_report(tmp_path)  # gathered, never committed: the process died before publishing
    publish.recover_stage(stage, tmp_path, CH)
    assert _visible(tmp_path) == _old_set_names() and not stage.exists()


def test_index_lists_an_error_page_of_an_earlier_run_or_an_interrupted_chapter_as_failed(tmp_path):
    (tmp_path / "01_platform_matrix.html").write_text("error page", encoding="utf-8")  # no JSON beside it
    (tmp_path / "02_lifecycle.html").write_text("report", encoding="utf-8")
    (tmp_path / "02_lifecycle.json").write_text(json.dumps({"headline": [{"label": "Users", "value": "7"}]}),
                                                encoding="utf-8")
    text = publish.write_index(tmp_path, lang="en", statuses={"01_platform_matrix": "interrupted",
                                                               "03_ab_testing": "interrupted"}).read_text("utf-8")
    cards = re.findall(r'<section class="card">.*?</section>', text)
    assert len(cards) == 2  # an interrupted chapter without files has no card
    assert "status-failed" in cards[0] and "status-ok" in cards[1] and "Users" in cards[1]


@pytest.mark.parametrize(("lang", "reason"), [
    ("en", "Left out: needs platform_daily or posts in the data folder"),
    ("zh", "未运行：数据目录中缺少 platform_daily 或 posts"),
])
def test_index_lists_chapters_left_out_with_what_they_lack_and_no_link(tmp_path, lang, reason):
    (tmp_path / "01_platform_matrix.html").write_text("an earlier run's report", encoding="utf-8")
    (tmp_path / "01_platform_matrix.json").write_text("{}", encoding="utf-8")
    text = publish.write_index(tmp_path, lang=lang, statuses={"05_crisis_postmortem": "failed"},
                               left_out={"01_platform_matrix": ["platform_daily or posts"],
                                         "04_churn": ["events"]}).read_text("utf-8")
    cards = re.findall(r'<section class="card">.*?</section>', text)
    assert len(cards) == 3
    assert reason in cards[0] and "href" not in cards[0]
    assert ("events" in cards[1]) and "status-left-out" in cards[1]
    assert "05_crisis_postmortem.html" in cards[2]


def test_index_links_each_chapter_of_the_run_to_the_one_before_and_after_it(tmp_path):
    page = publish.render_html(executed_notebook(), lang="en", audience="client", title="Test")
    ok = ("01_platform_matrix", "02_lifecycle", "04_churn")
    for chapter in ok:
        (tmp_path / f"{chapter}.html").write_text(page, encoding="utf-8")
        (tmp_path / f"{chapter}.json").write_text("{}", encoding="utf-8")
    error = publish.error_page(title="A/B testing", lang="en", detail="cell 3")
    (tmp_path / "03_ab_testing.html").write_text(error, encoding="utf-8")
    publish.write_index(tmp_path, lang="en", statuses={**dict.fromkeys(ok, "ok"), "03_ab_testing": "failed"})

    def neighbours(chapter):
        text = (tmp_path / f"{chapter}.html").read_text(encoding="utf-8")
        return (re.findall(r'class="so-previous" href="([^"]+)"', text), re.findall(r'class="so-next" href="([^"]+)"', text))

    assert neighbours("01_platform_matrix") == ([], ["02_lifecycle.html"])
    assert neighbours("02_lifecycle") == (["01_platform_matrix.html"], ["04_churn.html"])  # the failed one skipped
    assert neighbours("04_churn") == (["02_lifecycle.html"], [])
    assert (tmp_path / "03_ab_testing.html").read_text(encoding="utf-8") == error
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left
