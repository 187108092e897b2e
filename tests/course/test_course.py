"""The course site: strict builds of both editions, links, exercises in both languages, no solution for students.

To keep the suite fast the site is built once per edition from the committed notebooks (unexecuted) plus one
chapter executed through the runner, which is enough to check the charts and the exercises' outputs.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from socialops.chapters import CHAPTERS, notebook_path
from socialops.course import (
    COURSE_DIR,
    PLAYBOOK_DIR,
    build_course,
    course_notebook,
    glossary_page,
    home_page,
    join_cjk_lines,
    load_glossary,
    load_labels,
    mkdocs_config,
)
from socialops.course.__main__ import main as course_main
from socialops.pipeline.publish import render_html
from tests.conftest import cell_tags

EXECUTED = "05_crisis_postmortem"  # the quickest chapter to run
LANGS = ("en", "zh")


@pytest.fixture(scope="module")
def run_dir(chapter_run, tmp_path_factory) -> Path:
    """One chapter executed for analysts (in Chinese, used for both trees); the others as committed."""
    run = chapter_run(EXECUTED, audience="analyst", lang="zh")
    assert run.exit_code == 0, run.stderr
    folder = tmp_path_factory.mktemp("course-run")
    for lang in LANGS:
        (folder / lang).mkdir()
        for chapter in CHAPTERS:
            source = run.out_dir / f"{chapter}.ipynb" if chapter == EXECUTED else notebook_path(chapter)
            shutil.copyfile(source, folder / lang / f"{chapter}.ipynb")
    shutil.copytree(run.out_dir / f"{EXECUTED}_figures", folder / f"{EXECUTED}_figures")
    return folder


@pytest.fixture(scope="module")
def sites(run_dir, tmp_path_factory) -> dict[str, Path]:
    """Both editions, built with ``mkdocs build --strict`` (a warning fails the build)."""
    out = tmp_path_factory.mktemp("course-site")
    return {edition: build_course(out / edition, trainer=edition == "trainer", run_dir=run_dir)
            for edition in ("student", "trainer")}


# --- the notebooks ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_has_exercises_and_solutions_in_both_languages(chapter):
    nb = nbformat.read(str(notebook_path(chapter)), as_version=4)
    for tag in ("exercise", "solution"):
        code = [c for c in nb.cells if c.cell_type == "code" and tag in cell_tags(c)]
        assert len(code) >= 2, f"{chapter}: fewer than two {tag} code cells"
        for lang in LANGS:
            wanted = {tag, f"lang-{lang}"}
            text = [c for c in nb.cells if c.cell_type == "markdown" and wanted <= cell_tags(c)]
            assert len(text) >= 2, f"{chapter}: fewer than two {tag} texts in {lang}"
    # the report's last code cell ends with rep.finish(); exercises come before it
    last_code = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert last_code.source.strip().splitlines()[-1] == "rep.finish()"
    assert not cell_tags(last_code) & {"exercise", "solution"}


def test_exercises_run_as_written(run_dir):
    nb = nbformat.read(str(run_dir / "zh" / f"{EXECUTED}.ipynb"), as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and cell_tags(c) & {"exercise", "solution"}]
    assert cells
    for cell in cells:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        assert cell.outputs, f"no output from:\n{cell.source}"


def test_course_notebook_keeps_one_language_and_removes_solutions_for_students():
    nb = nbformat.read(str(notebook_path("02_lifecycle")), as_version=4)
    student = course_notebook(nb, lang="zh", trainer=False)
    trainer = course_notebook(nb, lang="zh", trainer=True)
    for prepared in (student, trainer):
        assert not [c for c in prepared.cells if cell_tags(c) & {"lang-en", "parameters"}]
        assert [c for c in prepared.cells if "exercise" in cell_tags(c)]
    assert not [c for c in student.cells if "solution" in cell_tags(c)]
    solutions = [c for c in nb.cells if "solution" in cell_tags(c) and "lang-en" not in cell_tags(c)]
    assert len([c for c in trainer.cells if "solution" in cell_tags(c)]) == len(solutions)
    assert len(nb.cells) > len(trainer.cells) > len(student.cells)


def test_reports_leave_out_exercises_and_solutions():
    nb = nbformat.v4.new_notebook()
    for tag, text in (("exercise", "EXERCISE-MARKER"), ("solution", "SOLUTION-MARKER"), ("lang-en", "KEPT-MARKER")):
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    for audience in ("client", "analyst"):
        page = render_html(nb, lang="en", audience=audience, title="t")
        assert "KEPT-MARKER" in page
        assert "EXERCISE-MARKER" not in page and "SOLUTION-MARKER" not in page


# --- the text around the notebooks ---------------------------------------------------------------------------

def test_glossary_has_both_languages_and_the_core_terms():
    entries = load_glossary()
    for entry in entries:
        assert all(entry.get(key, "").strip() for key in ("en", "zh", "def_en", "def_zh")), entry
    zh_terms = {e["zh"] for e in entries}
    for term in ("曝光量", "私域", "裂变", "首单", "复购率", "K 因子", "种草"):
        assert term in zh_terms
    page = glossary_page("zh", entries, load_labels())
    assert page.count("\n| **") == len(entries)
    assert "| **曝光量** | impressions |" in page
    assert page.startswith("# 术语表\n\n| 中文 | English | 释义 |")


def test_labels_and_guides_exist_for_every_chapter_in_both_languages():
    labels = load_labels()
    for lang in LANGS:
        assert set(labels[lang]["chapters"]) == set(CHAPTERS)
        for chapter in CHAPTERS:
            assert (PLAYBOOK_DIR / lang / f"{chapter}.md").is_file()
            guide = (COURSE_DIR / "guides" / lang / f"{chapter}.md").read_text(encoding="utf-8")
            assert guide.count("\n## ") >= 6  # goals, plan, questions, misreadings, case, exercises
            assert {"en": "(45 minutes)", "zh": "（45 分钟）"}[lang] in guide  # the session's length


def test_home_page_links_guides_only_for_trainers():
    labels = load_labels()["en"]
    assert "guide.md" not in home_page("en", labels, trainer=False)
    assert home_page("en", labels, trainer=True).count("guide.md") == len(CHAPTERS)


def test_config_needs_no_network_at_view_time(tmp_path):
    config = mkdocs_config(load_labels(), "zh", trainer=False, docs_dir=tmp_path)
    assert config["theme"]["font"] is False
    jupyter = next(p["mkdocs-jupyter"] for p in config["plugins"] if "mkdocs-jupyter" in p)
    assert jupyter["include_requirejs"] is False and jupyter["execute"] is False


# --- the built sites -----------------------------------------------------------------------------------------

class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name) and not (tag == "link" and attrs.get("rel") == "alternate" and name == "href"):
                self.links.append(attrs[name])


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("edition", ["student", "trainer"])
def test_every_internal_link_resolves(sites, edition):
    site = sites[edition]
    pages = {p: _parse(p) for p in site.rglob("*.html")}
    broken = []
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "data:", "mailto:")):
                continue
            # 404.html links from the site's root (a server shows it at any address); every other page is relative
            base = site if parts.path.startswith("/") else page.parent
            target = page if not parts.path else (base / unquote(parts.path).lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or site.resolve() not in [target, *target.parents]:
                broken.append(f"{page.relative_to(site)} → {link}")
            elif parts.fragment and target.suffix == ".html" and target in pages \
                    and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{page.relative_to(site)} → {link} (no such anchor)")
    assert not broken, "\n".join(broken[:20])


@pytest.mark.parametrize("edition", ["student", "trainer"])
def test_every_chapter_page_in_both_languages_with_switch(sites, edition):
    site = sites[edition]
    pages = ["playbook.html", "notebook.html"] + (["guide.html"] if edition == "trainer" else [])
    for chapter in CHAPTERS:
        for lang in LANGS:
            root = site if lang == "en" else site / lang
            for name in pages:
                html = (root / chapter / name).read_text(encoding="utf-8")
                other = "zh" if lang == "en" else "en"
                assert f'hreflang="{other}" class="md-select__link"' in html
            notebook = (root / chapter / "notebook.html").read_text(encoding="utf-8")
            assert ("练习" if lang == "zh" else "Exercises") in notebook
            assert "celltag_exercise" in notebook
        assert (site / chapter / "guide.html").exists() == (edition == "trainer")
    assert (site / "search" / "search_index.json").is_file()
    assert (site / "zh" / "search" / "search_index.json").is_file()
    zh_index = json.loads((site / "zh" / "search" / "search_index.json").read_text(encoding="utf-8"))
    zh_text = " ".join(doc["title"] + doc["text"] for doc in zh_index["docs"])
    assert "私域" in zh_text and "\u200b" in zh_text  # Chinese split into words for the search


def test_student_build_has_no_solution_and_trainer_build_has_them(sites):
    for lang_root in ("", "zh"):
        for chapter in CHAPTERS:
            student = (sites["student"] / lang_root / chapter / "notebook.html").read_text(encoding="utf-8")
            trainer = (sites["trainer"] / lang_root / chapter / "notebook.html").read_text(encoding="utf-8")
            assert "celltag_solution" not in student
            assert "celltag_solution" in trainer
            marker = "参考答案" if lang_root else "Solution."
            assert marker not in student and marker in trainer
    search = (sites["student"] / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "Solution." not in search


def test_every_chart_of_the_executed_chapter_is_on_its_page(sites, run_dir):
    figures = list((run_dir / f"{EXECUTED}_figures").glob("*.png"))
    assert figures
    for lang_root in ("", "zh"):
        html = (sites["student"] / lang_root / EXECUTED / "notebook.html").read_text(encoding="utf-8")
        assert len(re.findall(r'<img[^>]+src="data:image/png', html)) >= len(figures)
        assert "rep.finish()" in html  # analyst edition: code shown


def test_site_needs_no_network_at_view_time(sites):
    for page in sites["student"].rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', html), page


def test_command_fails_cleanly_without_executed_notebooks(tmp_path, capsys):
    assert course_main(["--out", str(tmp_path / "site"), "--run-dir", str(tmp_path / "missing")]) == 1
    assert "01_platform_matrix.ipynb" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_line_breaks_inside_chinese_text_are_removed():
    assert join_cjk_lines("一次改动\n是否有效。\n\n下一段\n- 列表\nEnglish\nline") == \
        "一次改动是否有效。\n\n下一段\n- 列表\nEnglish\nline"
    assert join_cjk_lines("区间，\n   两者") == "区间，两者"
