"""Rendering and publishing: one language, no code for clients, scrubbed metadata, atomic files, index links."""

from __future__ import annotations

import json
import re

import nbformat

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


def test_scrubbed_notebook_has_no_paths_or_parameter_values():
    nb = publish.scrub_notebook(executed_notebook(), data_dir="/home/someone/secret/client-data")
    text = json.dumps(nb)
    assert "/home/someone" not in text
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
