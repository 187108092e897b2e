"""A chapter's report page as published: contents, links to the summary and other chapters, Methods appendix.

The ``socialops`` template writes every cell of the page between two comments naming the cell's tags; this
module reads those cells back and lays the page out:

* cells tagged ``methods`` (model parameters, tests, checks, citations) move, in the client edition, into a
  collapsed Methods appendix at the end of the page; the analyst edition keeps them where they are, and its
  appendix lists what the run warned about (the results' ``warnings``);
* a cell tagged ``section-NAME`` gets the anchor ``#section-NAME``: the summary page links a finding to the
  section it rests on through it (``NAME`` is the section a results' ``summary`` entry names);
* every section heading is followed by the period its numbers cover: the results' ``periods`` entry for the
  section, else the whole window of the data (first record to the end of the observation window);
* numbered section headings (``3. …``) are numbered again in the order they are shown;
* a bar at the top links to the summary page (``index.html``) and lists the sections; the links to the previous
  and next chapter of the run are filled in once the run knows which chapters it published
  (`socialops.pipeline.publish.link_chapters`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from socialops.report.i18n import Translator

#: The tag of a cell holding the statistics behind a finding rather than the finding.
METHODS_TAG = "methods"
#: Tags ``section-NAME`` name the section a cell opens, for links from the summary page.
SECTION_PREFIX = "section-"
#: Anchors of the executive summary and of the Methods appendix.
SUMMARY_ID, METHODS_ID = "summary", "methods"
SUMMARY_PAGE = "index.html"
_CELL = re.compile(r"<!--so-cell ([^>]*)-->\n?(.*?)<!--/so-cell-->", re.DOTALL)
_H2 = re.compile(r'<h2 id="([^"]*)">(.*?)</h2>', re.DOTALL)
_HEADING = re.compile(r'<h([1-3]) id="[^"]*">(.*?)</h\1>', re.DOTALL)
_NUMBERED = re.compile(r"^(\s*)\d+\.\s+")
_SUBTITLE = re.compile(r"[:]\s|：|[?？]\s*\S")  # a colon, or a question followed by more
_CHAPTER_LINKS = re.compile(r"<!--so-chapter-links-->.*?<!--/so-chapter-links-->", re.DOTALL)
_SUMMARY_BOX = '<div class="so-summary '
_FILLED_SUMMARY = re.compile(r'<div class="so-summary [^"]*"[^>]*>(?!\s*</div>)')
_SECTION_HEADING_END = re.compile(r"</h[23]>")
#: Sections that hold advice, not numbers: they cover no period of their own.
PERIODLESS = frozenset({"recommendations"})
_SECTION_ANCHOR = re.compile(f'<span id="{SECTION_PREFIX}([^"]*)" data-title="([^"]*)"></span>')

STYLE = """
<style>
.so-nav { font-size: .9em; border-bottom: 1px solid #e2e8f0; padding: .3em 0 .6em 0; margin: 0 20px 1em 20px; }
.so-nav a { color: #2b6cb0; text-decoration: none; }
.so-nav a:hover { text-decoration: underline; }
.so-nav-chapters { display: flex; gap: 1.5em; flex-wrap: wrap; }
.so-nav-chapters .so-next { margin-left: auto; }
.so-toc { margin: .5em 0 0 0; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: .2em 1.2em; }
.so-toc-title { color: #4a5568; font-weight: 600; margin: .5em 0 0 0; }
details.so-methods { border-top: 3px solid #cbd5e0; margin-top: 2.5em; padding-top: .5em; }
details.so-methods > summary { cursor: pointer; font-size: 1.4em; font-weight: 600; margin: .3em 0; }
.so-methods-from { color: #4a5568; font-weight: 600; margin: 1.2em 0 .2em 0; }
.so-period { color: #4a5568; font-size: .9em; margin: -.3em 0 .8em 0; }
.so-warnings li { font-family: monospace; font-size: .85em; white-space: pre-wrap; }
</style>
"""


@dataclass(frozen=True)
class Cell:
    """One cell of a rendered page: its tags and its HTML."""

    tags: frozenset[str]
    html: str

    @property
    def methods(self) -> bool:
        """Whether the cell holds statistics behind a finding."""
        return METHODS_TAG in self.tags

    @property
    def heading(self) -> str | None:
        """The text of the heading the cell opens, if it opens one."""
        match = _HEADING.search(self.html)
        return heading_text(match.group(2)) if match else None


def heading_text(inner: str) -> str:
    """The plain text of a heading's inner HTML, without its ``¶`` link."""
    inner = re.sub(r'<a class="anchor-link".*?</a>', "", inner, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", inner)).split())


@dataclass(frozen=True)
class Periods:
    """The period each section of a chapter covers, as ISO dates.

    Attributes
    ----------
    window : tuple of str
        First and last day of the data the chapter read: the period of a section without an entry of its own.
    sections : mapping
        Section name → (first day, last day) where a section covers less than the window.
    """

    window: tuple[str, str]
    sections: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, results: Mapping[str, object]) -> Periods | None:
        """The periods a chapter's results state (``data_range``, ``as_of`` and ``periods``); None without dates."""
        data_range, as_of = results.get("data_range"), results.get("as_of")
        if not data_range or not data_range[0] or not as_of:
            return None
        given = results.get("periods") or {}
        return cls((str(data_range[0])[:10], str(as_of)[:10]),
                   {name: (str(span[0])[:10], str(span[1])[:10]) for name, span in given.items()})

    def of_section(self, names: Iterable[str]) -> tuple[str, str]:
        """The period of a cell opening the sections `names`: the first with a period of its own, else the window."""
        return next((self.sections[name] for name in sorted(names) if name in self.sections), self.window)


def with_period(cell: Cell, periods: Periods | None, t: Translator) -> Cell:
    """The cell with the period it covers under its section heading (h2 or h3); other cells as they are."""
    names = {tag[len(SECTION_PREFIX):] for tag in cell.tags if tag.startswith(SECTION_PREFIX)}
    if periods is None or not names or names & PERIODLESS:
        return cell
    start, end = periods.of_section(names)
    line = f'<p class="so-period">{html.escape(t("period_covered", start=start, end=end))}</p>'
    return Cell(cell.tags, _SECTION_HEADING_END.sub(lambda m: m.group(0) + line, cell.html, count=1))


def split_cells(page: str) -> tuple[str, list[Cell], str]:
    """A rendered page as what comes before its first cell, its cells in order and what follows the last one."""
    found = list(_CELL.finditer(page))
    if not found:
        return page, [], ""
    cells = [Cell(frozenset(html.unescape(m.group(1)).split()), m.group(2)) for m in found]
    return page[:found[0].start()], cells, page[found[-1].end():]


def lay_out(page: str, *, lang: str, audience: str, warnings: Sequence[object] = (),
            periods: Periods | None = None) -> str:
    """Lay out a rendered chapter page: anchors, periods, Methods appendix, numbering, navigation bar and style.

    Parameters
    ----------
    page : str
        The page as the ``socialops`` template renders it (cells between their marking comments).
    lang : str
        Language of the page.
    audience : str
        ``client``: cells tagged ``methods`` move into the collapsed appendix; ``analyst``: they stay in place and
        the appendix lists `warnings`.
    warnings : Sequence
        What the run warned about (the results' ``warnings``: text, or mappings of what was noticed).
    periods : Periods, optional
        The period each section covers, stated under its heading (none stated without).

    Returns
    -------
    str
        The page, its cells' marking comments removed.
    """
    t = Translator(lang)
    head, cells, tail = split_cells(page)
    cells = [with_period(cell, periods, t) for cell in cells]
    move = audience == "client"
    body, moved = _separate(_numbered(cells, move=move), t, move=move)
    appendix = _appendix(moved, t, warnings=list(warnings) if audience != "client" else None)
    text = "".join(body)
    summary = bool(_FILLED_SUMMARY.search(text))  # a chapter that never gave its summary leaves the box empty
    text = text.replace(_SUMMARY_BOX, f'<div id="{SUMMARY_ID}" class="so-summary ', 1)
    nav = navigation(t, sections(text), summary=summary, methods=bool(appendix))
    head = head.replace("<main>", "<main>" + nav, 1).replace("</head>", STYLE + "</head>", 1)
    return head + text + appendix + tail


def _separate(cells: list[Cell], t: Translator, *, move: bool) -> tuple[list[str], list[str]]:
    """The cells' HTML for the page's body and for the appendix, each with its section anchors.

    A run of moved cells that does not open its own section is introduced in the appendix by the section it came
    from, and that section in the body points to the appendix.
    """
    body: list[str] = []
    moved: list[str] = []
    section = ""
    previous_moved = False
    for cell in cells:
        heading = cell.heading
        section = heading or section
        shown = _anchors(cell, section) + cell.html
        if not (move and cell.methods):
            body.append(shown)
            previous_moved = False
            continue
        if not previous_moved and heading is None and section:
            moved.append(f'<p class="so-methods-from">{html.escape(t("methods_from", section=section))}</p>')
            body.append(f'<p class="so-note"><a href="#{METHODS_ID}">{html.escape(t("methods_moved"))}</a></p>')
        moved.append(shown)
        previous_moved = True
    return body, moved


def _anchors(cell: Cell, section: str) -> str:
    """The cell's section anchors, each naming the heading of the section it is in (for links to it)."""
    names = sorted(tag for tag in cell.tags if tag.startswith(SECTION_PREFIX))
    return "".join(f'<span id="{html.escape(name)}" data-title="{html.escape(section)}"></span>' for name in names)


def _numbered(cells: list[Cell], *, move: bool) -> list[Cell]:
    """The cells with their numbered section headings (``3. …``) numbered 1, 2, … in the order the body shows them.

    The headings of the cells that `move` to the appendix lose their numbers.
    """
    counter = iter(range(1, 1000))

    def renumber(match: re.Match, keep: bool) -> str:
        inner = match.group(2)
        if not _NUMBERED.match(inner):
            return match.group(0)
        inner = _NUMBERED.sub(lambda m: f"{m.group(1)}{next(counter)}. " if keep else m.group(1), inner, count=1)
        return f'<h2 id="{match.group(1)}">{inner}</h2>'

    return [Cell(cell.tags, _H2.sub(lambda m, keep=not (move and cell.methods): renumber(m, keep), cell.html))
            for cell in cells]


def _appendix(moved: list[str], t: Translator, *, warnings: list[object] | None) -> str:
    """The Methods appendix: the moved cells (collapsed) or, for analysts, the run's warnings."""
    if not moved and warnings is None:
        return ""
    parts = [f'<p class="so-note">{html.escape(t("methods_intro"))}</p>'] if moved else []
    parts += [re.sub(r"<(/?)h2\b", r"<\1h3", re.sub(r"<(/?)h3\b", r"<\1h4", part)) for part in moved]
    if warnings is not None:
        parts.append(f"<h3>{html.escape(t('warnings_title'))}</h3>")
        items = "".join(f"<li>{html.escape(warning_text(w))}</li>" for w in warnings)
        parts.append(f'<ul class="so-warnings">{items}</ul>' if items else f"<p>{html.escape(t('warnings_none'))}</p>")
    opened = " open" if warnings is not None else ""
    return (f'<details class="so-methods" id="{METHODS_ID}"{opened}><summary>{html.escape(t("methods_title"))}'
            f"</summary>{''.join(parts)}</details>")


def warning_text(warning: object) -> str:
    """A warning of the results as one line: text as it is, a mapping as ``key: value`` pairs."""
    if isinstance(warning, dict):
        return " · ".join(f"{key}: {value}" for key, value in warning.items())
    return str(warning)


def sections(body: str) -> list[tuple[str, str]]:
    """The (id, text) of every section heading of a page's body, in order."""
    return [(html.unescape(m.group(1)), heading_text(m.group(2))) for m in _H2.finditer(body)]


def short_title(heading: str) -> str:
    """A section heading as the contents list it: up to its first colon, or its first question when more follows.

    ``1. Warning: when did it start?`` → ``1. Warning``; ``1. Is each test sound? The sample ratio check`` →
    ``1. Is each test sound?``.
    """
    match = _SUBTITLE.search(heading)
    return heading[:match.start() + (1 if match.group(0)[0] in "?？" else 0)].strip() if match else heading


def navigation(t: Translator, toc: Iterable[tuple[str, str]], *, summary: bool, methods: bool) -> str:
    """The bar at the top of a chapter page: the summary page, the chapter links' place, and the contents."""
    entries = [(SUMMARY_ID, t("nav_findings"))] if summary else []
    entries += [(anchor, short_title(text)) for anchor, text in toc]
    entries += [(METHODS_ID, t("methods_title"))] if methods else []
    items = "".join(f'<li><a href="#{html.escape(anchor)}">{html.escape(text)}</a></li>' for anchor, text in entries)
    return (f'<nav class="so-nav"><div class="so-nav-chapters"><a href="{SUMMARY_PAGE}">{html.escape(t("nav_summary"))}'
            f"</a><!--so-chapter-links--><!--/so-chapter-links--></div>"
            f'<p class="so-toc-title">{html.escape(t("nav_contents"))}</p><ul class="so-toc">{items}</ul></nav>')


def with_chapter_links(page: str, t: Translator, previous: str | None, following: str | None) -> str:
    """A chapter page with its links to the previous and the next chapter of the run (ids; None: no such chapter).

    Pages without the navigation bar (error pages) are returned as they are.
    """
    links = []
    if previous:
        links.append(f'<a class="so-previous" href="{html.escape(previous)}.html">'
                     f"{html.escape(t('nav_previous', chapter=_chapter_name(t, previous)))}</a>")
    if following:
        links.append(f'<a class="so-next" href="{html.escape(following)}.html">'
                     f"{html.escape(t('nav_next', chapter=_chapter_name(t, following)))}</a>")
    filled = f"<!--so-chapter-links-->{''.join(links)}<!--/so-chapter-links-->"
    return _CHAPTER_LINKS.sub(lambda _: filled, page, count=1)


def _chapter_name(t: Translator, chapter: str) -> str:
    return f"{chapter[:2]} {t(f'ch_{chapter}')}"


def section_titles(page: str) -> dict[str, tuple[str, str]]:
    """Section name → (its anchor, the text of the heading it opens) in a published chapter page."""
    return {html.unescape(name): (SECTION_PREFIX + html.unescape(name), html.unescape(title) or html.unescape(name))
            for name, title in _SECTION_ANCHOR.findall(page)}
