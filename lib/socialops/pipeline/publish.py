"""Turning an executed notebook into the report files, each appearing only when complete.

A chapter's files form a set (HTML, JSON, notebook, workbook, deck, figures, exports), and a set is replaced whole.
Everything is first written inside a staging folder within the output folder (same file system) and committed
there; then the files are moved into place with ``os.replace``, so a reader never sees a half-written file. A
publication cut short is finished by the next run (`recover_stage`); one that never committed leaves the previous
set as it was.
"""

from __future__ import annotations

import contextlib
import copy
import html
import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from socialops.chapters import CHAPTERS
from socialops.pipeline import chapter_page, summary_page
from socialops.report import masking
from socialops.report.i18n import LANGUAGES, Translator

TEMPLATE_DIR = Path(__file__).with_name("templates")
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_CJK_BREAK = re.compile(f"(?<=[{_CJK}])[ \t]*\n[ \t]*(?=[{_CJK}])")
#: Cell tags that never reach a page: parameter cells (papermill's plumbing) and cells marked for removal.
ALWAYS_REMOVED = frozenset({"parameters", "injected-parameters", "remove-cell"})
#: The course's exercises and their solutions: on the course site, never in a report.
COURSE_TAGS = frozenset({"exercise", "solution"})
#: Most characters of one cell output kept in a report (see `cap_outputs`).
MAX_OUTPUT_CHARS = 100_000
#: Inside a chapter's staging folder: its set of files being gathered, then committed to be published.
STAGED_SET, COMMITTED_SET = "set.partial", "set"
#: In a committed set: the list of its names (JSON), which says what the published set holds.
MANIFEST = ".names"
#: The run's summary deck, beside ``index.html``.
SUMMARY_DECK = "summary.pptx"
STYLE = """
<style>
body, .jp-RenderedHTMLCommon, .jp-RenderedMarkdown {
  font-family: "Inter", "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
}
.so-header { border-bottom: 3px solid #2b6cb0; margin-bottom: 1.2em; padding-bottom: .6em; }
.so-kicker { color: #2b6cb0; font-weight: 600; letter-spacing: .03em; margin: 0; }
.so-meta { margin: .4em 0 0 0; }
.so-meta th { text-align: left !important; color: #4a5568; font-weight: 600; }
.so-meta td { text-align: left !important; }
.so-meta td, .so-meta th { border: none !important; padding: .1em 1.5em .1em 0 !important; background: none !important; }
.so-edition { color: #718096; font-size: .85em; }
.so-note { color: #718096; font-style: italic; }
.so-caption { font-weight: 600; margin-bottom: .2em; }
table.so-table { border-collapse: collapse; margin: .4em 0 1em 0; font-size: .88em; }
.jp-OutputArea-output:has(> table.so-table) { overflow-x: auto; }
table.so-table th { background: #edf2f7; text-align: left; padding: .35em .7em; }
table.so-table td { padding: .3em .7em; border-bottom: 1px solid #e2e8f0; }
table.so-table .txt { text-align: left; }
table.so-table .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
</style>
"""


def executed_cell_error(nb) -> tuple[int, str, str] | None:
    """Find the first code cell that raised.

    Returns
    -------
    tuple or None
        (cell number in the chapter's notebook, 1-based and not counting the injected parameters; the cell's
        first line; the error text), or None when no cell raised.
    """
    number = 0
    for cell in nb.cells:
        if {"injected-parameters", "papermill-error-cell-tag"} & set(cell.metadata.get("tags", [])):
            continue  # cells papermill added, not the chapter's own
        number += 1
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
                return number, first_line[:120], f"{output.get('ename', '')}: {output.get('evalue', '')}"
    return None


def render_html(nb, *, lang: str, audience: str, title: str, warnings: Sequence[object] = (),
                periods: chapter_page.Periods | None = None) -> str:
    """Render an executed notebook to HTML for one language and audience.

    The other language's narrative cells and the parameter cells are removed; for the client audience no code
    is shown at all, nor anything a cell wrote to standard error, and the cells tagged ``methods`` move into a
    collapsed Methods appendix (`chapter_page.lay_out`). The analyst edition's appendix lists `warnings`; each
    section states the period of `periods` it covers.
    """
    nb = copy.deepcopy(nb)
    _header_first(nb)
    if audience == "client":
        drop_stderr(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = join_cjk_lines(cell.source)
    cap_outputs(nb, lang=lang)
    if audience == "client":
        mask_plain_outputs(nb)
    other = [f"lang-{code}" for code in LANGUAGES if code != lang]
    remove = set(other) | ALWAYS_REMOVED | COURSE_TAGS
    if audience == "client":
        remove |= {"analyst-only"}
    tag_remover = TagRemovePreprocessor(remove_cell_tags=remove, remove_input_tags={"report-header"}, enabled=True)
    exporter = HTMLExporter(template_name="socialops", extra_template_basedirs=[str(TEMPLATE_DIR)])
    exporter.register_preprocessor(tag_remover, enabled=True)
    exporter.embed_images = False  # never read local files named by the notebook's markdown into the page
    if audience == "client":
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
    else:
        exporter.exclude_input_prompt = False
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = re.sub(r"<html[^>]*>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', body, count=1)
    body = chapter_page.lay_out(body, lang=lang, audience=audience, warnings=warnings, periods=periods)
    return body.replace("</head>", STYLE + "</head>", 1)


def stderr_texts(nb) -> list[str]:
    """What the code cells of an executed notebook wrote to standard error (warnings, log lines), each once."""
    texts: list[str] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = "".join(output.get("text", "")).strip()
                if text and text not in texts:
                    texts.append(text)
    return texts


def drop_stderr(nb) -> None:
    """Remove, in place, every output written to standard error: a client report shows no warning or log line."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def section_periods(results: Path) -> chapter_page.Periods | None:
    """The period each section covers, from the chapter's ``results.json`` (None when it is absent or undated)."""
    if not results.exists():
        return None
    return chapter_page.Periods.of(json.loads(results.read_text(encoding="utf-8")))


def run_warnings(nb, results: Path, *, audience: str) -> list[object]:
    """The run's warnings: the results' ``warnings`` with what the cells wrote to standard error added to them.

    The added lines are written back into `results` (masked for the client audience), so the JSON holds every
    warning that the client report leaves out.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook.
    results : Path
        The chapter's ``results.json`` in its staging folder (absent when the notebook did not finish).
    audience : str
        ``client`` or ``analyst``.

    Returns
    -------
    list
        The warnings, as the results now hold them.
    """
    if not results.exists():
        return []
    document = json.loads(results.read_text(encoding="utf-8"))
    warnings = list(document.get("warnings") or [])
    stray = [masking.mask_text(text) if audience == "client" else text for text in stderr_texts(nb)]
    added = [text for text in stray if text not in warnings]
    if added:
        document["warnings"] = warnings = warnings + added
        write_text_atomic(results, json.dumps(document, indent=2, ensure_ascii=False))
    return warnings


def join_cjk_lines(text: str) -> str:
    """Remove the line breaks between two Chinese characters, which Markdown would render as stray spaces."""
    return _CJK_BREAK.sub("", text)


def without_tagged_cells(cells: list, tags) -> list:
    """The cells that carry none of `tags`."""
    return [cell for cell in cells if not set(tags) & set(cell.get("metadata", {}).get("tags", []))]


def cap_outputs(nb, *, limit: int = MAX_OUTPUT_CHARS, lang: str = "en") -> None:
    """Cut every text output longer than `limit` characters, in place, ending it with a note of what was cut.

    A loop that prints a whole table must not turn a report into hundreds of megabytes that no browser opens.

    Parameters
    ----------
    nb : NotebookNode
        An executed notebook.
    limit : int
        Most characters kept of one output's text.
    lang : str
        Language of the note.
    """
    t = Translator(lang)
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            texts = {"text": output.get("text")} if output.get("output_type") == "stream" else {}
            if output.get("output_type") == "error":
                texts["traceback"] = "\n".join(output.get("traceback", []))
            texts.update({m: v for m, v in output.get("data", {}).items() if m.startswith("text/")})
            for key, value in texts.items():
                text = "".join(value) if isinstance(value, list) else value
                if not isinstance(text, str) or len(text) <= limit:
                    continue
                if key == "text/html":  # cut HTML cannot be trusted to close its tags: the note alone
                    short = f'<p class="so-note">{html.escape(t("output_cut", count=f"{len(text):,}"))}</p>'
                else:
                    short = f"{text[:limit]}\n[{t('output_cut', count=f'{len(text) - limit:,}')}]\n"
                if key in ("text", "traceback"):
                    output[key] = [short] if key == "traceback" else short
                else:
                    output["data"][key] = short


def mask_plain_outputs(nb) -> None:
    """Mask personal data in the plain-text outputs of a notebook, in place: printed text, plain results, errors.

    The Report masks what a chapter shows through it; this catches what a cell prints on its own.
    """
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "stream":
                output["text"] = masking.mask_text("".join(output.get("text", "")))
            elif output.get("output_type") == "error":
                output["evalue"] = masking.mask_text(output.get("evalue", ""))
                output["traceback"] = [masking.mask_text(line) for line in output.get("traceback", [])]
            if "text/plain" in output.get("data", {}):
                output["data"]["text/plain"] = masking.mask_text("".join(output["data"]["text/plain"]))


def _header_first(nb) -> None:
    """Move the report header (an output of the cell that starts the report) above the title cells."""
    for cell in nb.cells:
        outputs = cell.get("outputs", []) if cell.cell_type == "code" else []
        header = [o for o in outputs if 'class="so-header"' in str(o.get("data", {}).get("text/html", ""))]
        if header:
            cell.outputs = [o for o in outputs if o not in header]
            carrier = nbformat.v4.new_code_cell("", outputs=header, metadata={"tags": ["report-header"]})
            nb.cells.insert(0, carrier)
            return


def scrub_notebook(nb, *, data_dir: str):
    """Remove machine paths, parameter values and warnings from an executed notebook shipped to a client.

    What the cells wrote to standard error is in the results' ``warnings`` (`run_warnings`).
    """
    nb = copy.deepcopy(nb)
    drop_stderr(nb)
    meta = nb.metadata.get("papermill", {})
    for key in ("input_path", "output_path", "cwd"):
        if key in meta:
            meta[key] = Path(str(meta[key])).name if meta[key] else meta[key]
    meta.pop("parameters", None)
    meta.pop("environment_variables", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if data_dir and cell.cell_type == "code":
            cell.source = cell.source.replace(data_dir, Path(data_dir).name)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = masking.mask_source(cell.source)  # a phone number given as a parameter stays private
    mask_plain_outputs(nb)
    return nb


def error_page(*, title: str, lang: str, detail: str, message: str = "") -> str:
    """A self-contained HTML page saying that a chapter failed, and where."""
    t = Translator(lang)
    parts = [f"<h1>{html.escape(title)}</h1>", f"<h2>{html.escape(t('error_title'))}</h2>",
             f"<p>{html.escape(detail)}</p>"]
    if message:
        parts.append(f"<p><strong>{html.escape(t('error_message'))}:</strong></p>"
                     f"<pre>{html.escape(message[:4000])}</pre>")
    parts.append(f"<p>{html.escape(t('error_hint'))}</p>")
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title>{STYLE}</head><body style='max-width:60em;margin:2em auto'>"
            + "".join(parts) + "</body></html>")


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file under a temporary name in the same folder, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def replace_dir(staged: Path, target: Path) -> None:
    """Move a staged folder into place, replacing the old one with two renames."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(staged, target)
    shutil.rmtree(old, ignore_errors=True)


def chapter_entries(chapter: str) -> tuple[str, ...]:
    """The names a chapter's set of files may hold in the output folder, in publishing order.

    The HTML comes last: a reader who finds it finds the rest of its set beside it.
    """
    return (f"{chapter}.json", f"{chapter}.xlsx", f"{chapter}.pptx", f"{chapter}.ipynb", f"{chapter}_figures",
            f"{chapter}_exports", f"{chapter}.html")


def stage_report(stage: Path, chapter: str, *, html_text: str, notebook) -> Path:
    """Gather a chapter's report under its final names in a folder inside `stage`; return that folder.

    `stage` holds what the notebook wrote there (``results.json``, optional ``tables.xlsx``, ``deck.pptx``,
    ``figures/`` and ``exports/``); the HTML page and the notebook to ship are written beside them.
    """
    staged = _new_set(stage)
    for source, suffix in (("results.json", ".json"), ("tables.xlsx", ".xlsx"), ("deck.pptx", ".pptx"),
                           ("figures", "_figures"), ("exports", "_exports")):
        if (stage / source).exists():
            os.replace(stage / source, staged / f"{chapter}{suffix}")
    nbformat.write(notebook, str(staged / f"{chapter}.ipynb"))
    (staged / f"{chapter}.html").write_text(html_text, encoding="utf-8")
    return staged


def stage_error_page(stage: Path, chapter: str, page: str) -> Path:
    """Stage an error page as a chapter's whole set: published, it removes the chapter's other files."""
    staged = _new_set(stage)
    (staged / f"{chapter}.html").write_text(page, encoding="utf-8")
    return staged


def _new_set(stage: Path) -> Path:
    staged = stage / STAGED_SET
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    return staged


def publish_set(staged: Path, out_dir: Path, chapter: str) -> list[Path]:
    """Replace a chapter's files in `out_dir` by the set staged in `staged`; return the files written.

    The set is first committed (renamed, with the list of its names): from then on an interrupted publication is
    finished by `recover_stage`, so the folder ends with the old set or the new one, never a mix. Names of the
    chapter's set that the new one lacks (an error page has no JSON) are removed.
    """
    committed = staged.with_name(COMMITTED_SET)
    names = sorted(p.name for p in staged.iterdir())
    (staged / MANIFEST).write_text(json.dumps(names), encoding="utf-8")
    with _folder_lock(out_dir):
        os.replace(staged, committed)
        return _apply_set(committed, out_dir, chapter)


def _apply_set(committed: Path, out_dir: Path, chapter: str) -> list[Path]:
    """Move a committed set's remaining entries into `out_dir` and remove the names it lacks (re-entrant)."""
    names = set(json.loads((committed / MANIFEST).read_text(encoding="utf-8")))
    for name in chapter_entries(chapter):
        source, target = committed / name, out_dir / name
        if name not in names:
            _remove(target)
        elif source.is_dir():
            replace_dir(source, target)
        elif source.exists():
            os.replace(source, target)
    shutil.rmtree(committed, ignore_errors=True)
    return [out_dir / name for name in chapter_entries(chapter) if name in names]


def _remove(path: Path) -> None:
    """Remove a file or a folder, the folder renamed first so that it never shows half deleted."""
    if path.is_dir() and not path.is_symlink():
        old = path.with_name(f".{path.name}.old-{os.getpid()}")
        os.replace(path, old)
        shutil.rmtree(old, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def recover_stage(stage: Path, out_dir: Path, chapter: str) -> None:
    """Clean up after a process that died while it held `stage`, then remove `stage`.

    A publication it had committed is finished; anything it only staged is dropped.
    """
    with _folder_lock(out_dir):
        if (stage / COMMITTED_SET / MANIFEST).is_file():
            _apply_set(stage / COMMITTED_SET, out_dir, chapter)
        shutil.rmtree(stage, ignore_errors=True)


def publish_error_page(out_dir: Path, chapter: str, page: str) -> None:
    """Replace a chapter's set in `out_dir` by an error page alone, through a staging folder of this process."""
    stage = Path(tempfile.mkdtemp(prefix=f".{chapter}.stage-{os.getpid()}-", dir=out_dir))
    try:
        publish_set(stage_error_page(stage, chapter, page), out_dir, chapter)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


@contextlib.contextmanager
def _folder_lock(out_dir: Path):
    """Hold an exclusive lock on the output folder, so that two runs never publish into it at the same moment."""
    if fcntl is None:  # no advisory locks on this system: publications of one run still never mix
        yield
        return
    fd = os.open(out_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write_summary_deck(out_dir: Path, *, lang: str, client: str = "") -> Path:
    """Write ``summary.pptx`` beside ``index.html``: one slide per chapter report found in `out_dir`.

    Parameters
    ----------
    out_dir : Path
        The report folder.
    lang : str
        Language of the deck.
    client : str
        Client name as the index shows it (masked by the caller for the client audience).

    Returns
    -------
    Path
        The written deck.
    """
    from socialops.report import deck

    return deck.write_deck(deck.run_deck(out_dir, CHAPTERS, lang=lang, client=client), out_dir / SUMMARY_DECK)


def write_index(out_dir: Path, *, lang: str, statuses: dict[str, str], client: str = "",
                left_out: dict[str, list[str]] | None = None) -> Path:
    """Write ``index.html``, the one-page summary of the reports in ``out_dir``, and link this run's chapters.

    The page (`summary_page.page`) gives the period covered, the decisions to take and each chapter's findings,
    each linked to the section of the report behind it. Each chapter page this run published gets its links to
    the previous and the next of them (`link_chapters`).

    Parameters
    ----------
    out_dir : Path
        The report folder.
    lang : str
        Language of the page.
    statuses : dict
        Chapter id → ``ok``, ``failed`` or ``timeout`` for the chapters of this run; chapters of earlier runs
        found in the folder, and those this run left off (``interrupted``), are listed as they are: failed when
        their page is an error page (an HTML page without its JSON).
    client : str
        Client name for the page title.
    left_out : dict, optional
        Chapter id → what it lacks (``["events"]``), for the chapters a whole-folder run left out: each is
        listed with that reason, without a link (a report found from an earlier run was made on other data).
    """
    link_chapters(out_dir, [c for c in CHAPTERS if statuses.get(c) == "ok"], lang=lang)
    path = out_dir / "index.html"
    write_text_atomic(path, summary_page.page(out_dir, lang=lang, statuses=statuses, client=client,
                                              left_out=left_out))
    return path


def link_chapters(out_dir: Path, chapters: list[str], *, lang: str) -> None:
    """Give each of `chapters` (in order; those published by one run) links to the one before and after it.

    Done under the folder's lock, so that a page is never rewritten over a set another run has just published.
    """
    t = Translator(lang)
    with _folder_lock(out_dir):
        for i, chapter in enumerate(chapters):
            report = out_dir / f"{chapter}.html"
            if not report.exists():
                continue
            text = report.read_text(encoding="utf-8")
            linked = chapter_page.with_chapter_links(text, t, chapters[i - 1] if i else None,
                                                     chapters[i + 1] if i + 1 < len(chapters) else None)
            if linked != text:
                write_text_atomic(report, linked)
