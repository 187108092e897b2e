"""The playbook as a bilingual course site: strategy texts, executed notebooks, exercises, trainer guides.

MkDocs does the site work (navigation, search, theme) with mkdocs-material, and mkdocs-jupyter renders the
executed notebooks with their charts. Each language is its own MkDocs build (English at the root, Chinese under
``zh/``), joined by mkdocs-material's language switch: mkdocs-static-i18n would do the same in one build but
leaves notebooks unrendered (its issue #198). This module only assembles the pages and writes the configuration:

``docs/<lang>/index.md``, ``docs/<lang>/glossary.md`` and, per chapter, ``docs/<lang>/<chapter>/playbook.md``,
``notebook.ipynb`` (the executed notebook, one language, solutions removed in the student edition) and, in the
trainer edition only, ``guide.md``.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

from socialops.chapters import CHAPTERS
from socialops.pipeline.publish import ALWAYS_REMOVED, join_cjk_lines, replace_dir, without_tagged_cells
from socialops.report.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parents[3]
COURSE_DIR = ROOT / "course"
PLAYBOOK_DIR = ROOT / "playbook"

SOLUTION_TAG = "solution"


def load_labels() -> dict[str, dict]:
    """Return the site's labels per language (``course/site.yaml``)."""
    return yaml.safe_load((COURSE_DIR / "site.yaml").read_text(encoding="utf-8"))


def load_glossary() -> list[dict[str, str]]:
    """Return the glossary entries (``course/glossary.yaml``), each with ``en``, ``zh``, ``def_en`` and ``def_zh``."""
    return yaml.safe_load((COURSE_DIR / "glossary.yaml").read_text(encoding="utf-8"))


def course_notebook(nb, *, lang: str, trainer: bool):
    """Return a copy of an executed chapter notebook prepared for one language and edition.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (analyst audience).
    lang : str
        The language kept; narrative cells tagged ``lang-<other>`` are removed.
    trainer : bool
        Whether solution cells stay. The student edition removes them whole, source and output, so that
        nothing of a solution reaches the page.
    """
    remove = set(ALWAYS_REMOVED) | {f"lang-{code}" for code in LANGUAGES if code != lang}
    if not trainer:
        remove.add(SOLUTION_TAG)
    nb = copy.deepcopy(nb)
    nb.cells = without_tagged_cells(nb.cells, remove)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "markdown":
            cell.source = join_cjk_lines(cell.source)
    nb.metadata.pop("papermill", None)
    return nb


def glossary_page(lang: str, entries: list[dict[str, str]], labels: dict[str, dict]) -> str:
    """Render the glossary as a Markdown table in one language, each term shown in both languages.

    Parameters
    ----------
    lang : str
        The page's language; English pages sort the terms alphabetically, Chinese pages keep the file's order
        (grouped by chapter).
    entries : list of dict
        From :func:`load_glossary`.
    labels : dict
        The site's labels per language (:func:`load_labels`).
    """
    other = next(code for code in LANGUAGES if code != lang)
    rows = sorted(entries, key=lambda e: e["en"].lower()) if lang == "en" else entries
    lines = [f"# {labels[lang]['glossary']}", "",
             f"| {labels[lang]['name']} | {labels[other]['name']} | {labels[lang]['definition']} |", "|---|---|---|"]
    for entry in rows:
        definition = " ".join(entry[f"def_{lang}"].split())
        lines.append(f"| **{entry[lang]}** | {entry[other]} | {definition} |")
    return "\n".join(lines) + "\n"


def home_page(lang: str, labels: dict, *, trainer: bool) -> str:
    """Render a language's home page: the hand-written introduction and a table linking every chapter page."""
    intro = (COURSE_DIR / "home" / f"{lang}.md").read_text(encoding="utf-8").rstrip()
    edition = labels["trainer_edition"] if trainer else labels["student_edition"]
    columns = ["playbook", "notebook"] + (["guide"] if trainer else [])
    note = f"*{edition}.* {labels['trainer_note']}" if trainer else f"*{edition}*"
    lines = [intro, "", note, "", "| " + " | ".join([labels["chapter"]] + [labels[c] for c in columns]) + " |",
             "|" + "---|" * (len(columns) + 1)]
    for chapter in CHAPTERS:
        files = {"playbook": "playbook.md", "notebook": "notebook.ipynb", "guide": "guide.md"}
        links = [f"[{labels['read']}]({chapter}/{files[c]})" for c in columns]
        lines.append("| " + " | ".join([labels["chapters"][chapter]] + links) + " |")
    lines += ["", f"[{labels['glossary']}](glossary.md)"]
    return "\n".join(lines) + "\n"


def _nav(labels: dict, *, trainer: bool) -> list:
    nav: list = [{labels["home"]: "index.md"}]
    for chapter in CHAPTERS:
        pages = [{labels["playbook"]: f"{chapter}/playbook.md"}, {labels["notebook"]: f"{chapter}/notebook.ipynb"}]
        if trainer:
            pages.append({labels["guide"]: f"{chapter}/guide.md"})
        nav.append({labels["chapters"][chapter]: pages})
    nav.append({labels["glossary"]: "glossary.md"})
    return nav


def mkdocs_config(labels: dict[str, dict], lang: str, *, trainer: bool, docs_dir: Path) -> dict:
    """Return the MkDocs configuration of one language's tree of the course site.

    The first language is built at the site's root, each other one in a folder named after it; the language
    switch (``extra.alternate``, rendered by ``course/overrides``) links each page to the same page in the other
    trees. Fonts are not fetched from a font service (``font: false``) and mkdocs-jupyter loads no require.js,
    so the site needs no network when viewed. Links to missing pages or anchors are warnings, which
    ``--strict`` turns into errors.
    """
    edition = labels[lang]["trainer_edition" if trainer else "student_edition"]
    up = "" if lang == LANGUAGES[0] else "../"
    alternate = [{"name": labels[code]["name"], "lang": code,
                  "link": up + ("" if code == LANGUAGES[0] else f"{code}/")} for code in LANGUAGES]
    return {
        "site_name": f"{labels[lang]['site_name']} · {edition}",
        "docs_dir": str(docs_dir),
        "use_directory_urls": False,  # pages open from the file system as well as from a web server
        "nav": _nav(labels[lang], trainer=trainer),
        "theme": {"name": "material", "custom_dir": str(COURSE_DIR / "overrides"), "font": False,
                  "language": lang,
                  "features": ["navigation.sections", "navigation.footer", "search.highlight", "toc.follow"]},
        "extra": {"alternate": alternate},
        "markdown_extensions": ["tables", "admonition", "attr_list", "footnotes", "pymdownx.details",
                                "pymdownx.superfences", {"toc": {"permalink": True}}],
        "hooks": [str(Path(__file__).with_name("hooks.py"))],
        "plugins": [
            # Chinese pages are split into words with jieba when the search index is built.
            {"search": {"lang": ["en", "zh"] if lang == "zh" else ["en"]}},
            {"mkdocs-jupyter": {"execute": False, "include_source": False, "include_requirejs": False,
                                "ignore_h1_titles": True, "cache": False}},
        ],
        "validation": {"omitted_files": "warn", "absolute_links": "warn", "unrecognized_links": "warn",
                       "anchors": "warn"},
    }


def assemble_docs(docs: Path, run_dir: Path, *, trainer: bool) -> dict[str, dict]:
    """Write the course pages of both languages under ``docs`` from the playbook, guides and executed notebooks.

    Parameters
    ----------
    docs : Path
        An empty folder that becomes MkDocs' ``docs_dir``.
    run_dir : Path
        Holds one folder per language, each the output of ``socialops run --audience analyst --lang <lang>``
        (``run_dir/en/CHAPTER.ipynb`` …), so that each language's pages show findings and charts in it.
    trainer : bool
        Whether to include the solutions and the trainer's guides.

    Returns
    -------
    dict
        The labels used, per language.

    Raises
    ------
    FileNotFoundError
        If a chapter's executed notebook, playbook text or trainer's guide is missing.
    """
    labels = load_labels()
    glossary = load_glossary()
    for lang in LANGUAGES:
        target = docs / lang
        target.mkdir(parents=True)
        pages = {"index.md": home_page(lang, labels[lang], trainer=trainer),
                 "glossary.md": glossary_page(lang, glossary, labels)}
        for chapter in CHAPTERS:
            pages[f"{chapter}/playbook.md"] = (PLAYBOOK_DIR / lang / f"{chapter}.md").read_text(encoding="utf-8")
            if trainer:
                pages[f"{chapter}/guide.md"] = (COURSE_DIR / "guides" / lang / f"{chapter}.md").read_text(
                    encoding="utf-8")
            executed = nbformat.read(str(run_dir / lang / f"{chapter}.ipynb"), as_version=4)
            (target / chapter).mkdir()
            prepared = course_notebook(executed, lang=lang, trainer=trainer)
            nbformat.write(prepared, str(target / chapter / "notebook.ipynb"))
        for name, text in pages.items():
            (target / name).write_text(join_cjk_lines(text), encoding="utf-8")
    return labels


def run_chapters(run_dir: Path, *, data: Path, jobs: int = 2) -> None:
    """Execute every chapter for the analyst audience in each language, into ``run_dir/<lang>/``.

    Raises
    ------
    RuntimeError
        If the run does not succeed; the message carries the command's output.
    """
    for lang in LANGUAGES:
        cmd = [sys.executable, "-m", "socialops.cli", "run", "--data", str(data), "--audience", "analyst",
               "--lang", lang, "--out", str(run_dir / lang), "--jobs", str(jobs)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"socialops run failed with exit code {done.returncode}:\n{done.stdout}\n{done.stderr}")


def build_course(out: Path, *, trainer: bool = False, run_dir: Path | None = None,
                 data: Path = ROOT / "data" / "samples", jobs: int = 2) -> Path:
    """Build the course site into ``out`` with ``mkdocs build --strict``; return ``out``.

    Parameters
    ----------
    out : Path
        The site folder; replaced whole once the new site is complete.
    trainer : bool
        The trainer edition (solutions and trainer's guides) instead of the student edition.
    run_dir : Path, optional
        Executed notebooks of earlier runs, one folder per language (see :func:`assemble_docs`); without it
        every chapter is run on ``data`` first, in each language.
    data : Path
        The workspace the chapters run on when ``run_dir`` is not given.
    jobs : int
        Chapters run in parallel when running them.

    Raises
    ------
    RuntimeError
        If a chapter run or the site build fails (any MkDocs warning fails the build).
    """
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".course-", dir=out.parent) as tmp:
        work = Path(tmp)
        if run_dir is None:
            run_dir = work / "run"
            run_chapters(run_dir, data=data, jobs=jobs)
        docs = work / "docs"
        labels = assemble_docs(docs, Path(run_dir), trainer=trainer)
        site = work / "site"
        for lang in LANGUAGES:
            config = work / f"mkdocs-{lang}.yml"
            config.write_text(yaml.safe_dump(mkdocs_config(labels, lang, trainer=trainer, docs_dir=docs / lang),
                                             allow_unicode=True, sort_keys=False), encoding="utf-8")
            tree = site if lang == LANGUAGES[0] else work / f"site-{lang}"
            done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                                   "--config-file", str(config), "--site-dir", str(tree)],
                                  capture_output=True, text=True, cwd=work,
                                  env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
            if done.returncode != 0:
                raise RuntimeError(f"mkdocs build of the {lang} pages failed:\n{done.stdout}\n{done.stderr}")
            if tree != site:
                os.replace(tree, site / lang)
        replace_dir(site, out)
    return out
