"""Slide decks for consultants: ``CHAPTER.pptx`` for a chapter and ``summary.pptx`` for a run.

A deck holds a title slide (chapter or run, client, period), an executive summary (the headline figures as tiles
and the findings as points) and one slide per chart, titled with what the chart shows, its numbers in the speaker
notes. Every run of text names its fonts for Latin and East Asian script, so Chinese shows in a CJK font wherever
the deck is opened. The deck is built from what the report already shows (masked for clients), never from raw data.
"""

from __future__ import annotations

import io
import json
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Emu, Inches, Pt

from socialops.report.exports import atomic_path
from socialops.report.format import is_missing, table_cell
from socialops.report.i18n import Translator

__all__ = ["ChartSlide", "Deck", "SummarySlide", "chapter_period", "notes_from_table", "notes_lines", "run_deck",
           "summary_points", "write_deck"]

#: The CJK font of the charts, named for East Asian text in every run.
CJK_FONT = "Noto Sans CJK SC"
LATIN_FONT = {"en": "Arial", "zh": CJK_FONT}
_WIDE, _HIGH = Emu(12192000), Emu(6858000)  # 16:9, as PowerPoint makes it
_MARGIN = Inches(0.6)
_BLUE, _INK, _GREY, _PALE = (RGBColor(0x2B, 0x6C, 0xB0), RGBColor(0x1A, 0x20, 0x2C), RGBColor(0x4A, 0x55, 0x68),
                             RGBColor(0xED, 0xF2, 0xF7))
_BLANK_LAYOUT = 6
_MAX_TILES, _MAX_POINTS, _MAX_NOTE_ROWS = 4, 5, 30
# Width of a character in ems, to tell how many lines a text takes: CJK is square, Latin about half (bold more).
_LATIN_EM, _BOLD_EM, _WIDE_EM = 0.5, 0.6, 1.0


@dataclass(frozen=True)
class SummarySlide:
    """A slide of headline figures (tiles) above findings (points).

    Attributes
    ----------
    title : str
        The slide's title.
    figures : Sequence[tuple[str, str]]
        (label, value) pairs shown as tiles; at most four are drawn.
    points : Sequence[str]
        Findings in plain text, as many as fit (at most five).
    notes : str
        Speaker notes.
    image : Path or bytes, optional
        A chart drawn under the points when at least two inches are left.
    """

    title: str
    figures: Sequence[tuple[str, str]] = ()
    points: Sequence[str] = ()
    notes: str = ""
    image: Path | bytes | None = None


@dataclass(frozen=True)
class ChartSlide:
    """A chart (a PNG file or its bytes) under its action title, its numbers in the speaker notes."""

    title: str
    image: Path | bytes
    notes: str = ""


@dataclass
class Deck:
    """A deck: the title slide's text, then its slides in order.

    Attributes
    ----------
    lang : str
        ``en`` or ``zh``: the fonts of every run.
    title : str
        Title slide: the chapter or the run.
    subtitle : str
        Title slide: client and period (one per line).
    footer : str
        Title slide: edition, date and source.
    slides : list
        :class:`SummarySlide` and :class:`ChartSlide` in order.
    """

    lang: str
    title: str
    subtitle: str
    footer: str = ""
    slides: list[SummarySlide | ChartSlide] = field(default_factory=list)


# ------------------------------------------------------------------ text


def _display_width(text: str, latin_em: float = _LATIN_EM) -> float:
    """Width of a text in ems: a CJK character is one em, others about half."""
    return sum(_WIDE_EM if unicodedata.east_asian_width(ch) in "WF" else latin_em for ch in text)


def _lines(text: str, width_in: float, size_pt: float, latin_em: float = _LATIN_EM) -> int:
    """Lines a text takes in a box (an estimate, erring long)."""
    per_line = max(width_in * 72 / size_pt, 1.0)  # ems a line holds, not rounded: a 9-em word needs 9
    return sum(max(1, math.ceil(_display_width(part, latin_em) / per_line)) for part in text.split("\n"))


def _unbroken(text: str, width_in: float, size_pt: float) -> bool:
    """Whether the text's longest word fits one line (bold), so no word is cut in two."""
    longest = max((_display_width(word, _BOLD_EM) for word in text.split()), default=0.0)
    return longest * size_pt <= width_in * 72


def _fonts(run, lang: str) -> None:
    """Name the run's Latin and East Asian fonts (python-pptx sets only the Latin one)."""
    run.font.name = LATIN_FONT[lang]
    props = run._r.get_or_add_rPr()
    for old in props.findall(qn("a:ea")):
        props.remove(old)
    east_asian = OxmlElement("a:ea")
    east_asian.set("typeface", CJK_FONT)
    props.find(qn("a:latin")).addnext(east_asian)


def _box(slide, lang: str, left, top, width, height, paragraphs: Iterable[tuple[str, float, bool, RGBColor]], *,
         anchor=MSO_ANCHOR.TOP, align=PP_ALIGN.LEFT, space_pt: float = 0):
    """A text box of (text, size, bold, colour) paragraphs, wrapped, fonts named."""
    shape = slide.shapes.add_textbox(left, top, width, height)
    frame = shape.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = anchor
    frame.margin_left = frame.margin_right = Inches(0.05)
    for i, (text, size, bold, colour) in enumerate(paragraphs):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = align
        paragraph.space_after = Pt(space_pt)
        run = paragraph.add_run()
        run.text = text
        run.font.size, run.font.bold = Pt(size), bold
        run.font.color.rgb = colour
        _fonts(run, lang)
    return shape


def _bullets(shape) -> None:
    """Turn a text box's paragraphs into bulleted points with a hanging indent."""
    for paragraph in shape.text_frame.paragraphs:
        props = paragraph._p.get_or_add_pPr()
        props.set("marL", str(Inches(0.3)))
        props.set("indent", str(-Inches(0.3)))
        bullet = OxmlElement("a:buChar")
        bullet.set("char", "•")
        props.append(bullet)


def _title(slide, lang: str, text: str) -> None:
    """The slide's title on one line where a size down allows it, else on two; standing on a short rule."""
    width_in = (_WIDE - 2 * _MARGIN) / 914400 - 0.1
    size = next((s for s in (28, 24, 22) if _lines(text, width_in, s, _BOLD_EM) == 1), None)
    size = size or next((s for s in (24, 20) if _lines(text, width_in, s, _BOLD_EM) <= 2), 18)
    _box(slide, lang, _MARGIN, Inches(0.25), _WIDE - 2 * _MARGIN, Inches(1.2), [(text, size, True, _INK)],
         anchor=MSO_ANCHOR.BOTTOM)
    rule = slide.shapes.add_shape(1, _MARGIN + Inches(0.05), Inches(1.55), Inches(1.2), Inches(0.06))
    rule.fill.solid()
    rule.fill.fore_color.rgb = _BLUE
    rule.line.fill.background()


def _notes(slide, lang: str, text: str) -> None:
    if not text:
        return
    frame = slide.notes_slide.notes_text_frame
    frame.text = text
    for paragraph in frame.paragraphs:
        for run in paragraph.runs:
            _fonts(run, lang)


# ------------------------------------------------------------------ slides


def _title_slide(prs, deck: Deck) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[_BLANK_LAYOUT])
    band = slide.shapes.add_shape(1, 0, 0, Inches(0.35), _HIGH)
    band.fill.solid()
    band.fill.fore_color.rgb = _BLUE
    band.line.fill.background()
    width = _WIDE - 2 * Inches(1.1)
    _box(slide, deck.lang, Inches(1.1), Inches(2.0), width, Inches(1.6), [(deck.title, 40, True, _INK)],
         anchor=MSO_ANCHOR.BOTTOM)
    lines = [(line, 20, False, _GREY) for line in deck.subtitle.split("\n") if line]
    _box(slide, deck.lang, Inches(1.1), Inches(3.8), width, Inches(1.4), lines, space_pt=4)
    if deck.footer:
        _box(slide, deck.lang, Inches(1.1), Inches(6.4), width, Inches(0.6), [(deck.footer, 12, False, _GREY)])


def _tiles(slide, lang: str, figures: Sequence[tuple[str, str]], top) -> None:
    shown = list(figures)[:_MAX_TILES]
    gap = Inches(0.25)
    width = int((_WIDE - 2 * _MARGIN - gap * (len(shown) - 1)) / len(shown))
    for i, (label, value) in enumerate(shown):
        left = _MARGIN + i * (width + gap)
        tile = slide.shapes.add_shape(1, left, top, width, Inches(1.45))
        tile.fill.solid()
        tile.fill.fore_color.rgb = _PALE
        tile.line.fill.background()
        width_in = width / 914400 - 0.3
        size = next((s for s in (32, 24, 18) if _lines(value, width_in, s, _BOLD_EM) <= 1), None)
        size = size or next((s for s in (16, 14, 12) if _unbroken(value, width_in, s)), 11)
        _box(slide, lang, left + Inches(0.15), top + Inches(0.1), width - Inches(0.3), Inches(0.8),
             [(value, size, True, _BLUE)], anchor=MSO_ANCHOR.MIDDLE)
        _box(slide, lang, left + Inches(0.15), top + Inches(0.9), width - Inches(0.3), Inches(0.5),
             [(label, 12, False, _GREY)])


def _points_height(points: Sequence[str], width_in: float, size: float) -> float:
    """Height in inches that bullet points take at a font size (line spacing 1.25, 10 pt after each)."""
    lines = sum(_lines(p, width_in, size) for p in points)
    return (lines * size * 1.25 + len(points) * 10) / 72 + 0.15


def _fitting(points: Sequence[str], width_in: float, height_in: float) -> tuple[list[str], float]:
    """The points that fit the box and their font size: the largest size that holds all, else fewer points."""
    points = list(points)[:_MAX_POINTS]
    while points:
        for size in (24, 20, 18, 16, 14):
            if _points_height(points, width_in, size) <= height_in:
                return points, size
        points = points[:-1]
    return [], 14


def _summary_slide(prs, lang: str, content: SummarySlide) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[_BLANK_LAYOUT])
    _title(slide, lang, content.title)
    top = Inches(1.85)
    if content.figures:
        _tiles(slide, lang, content.figures, top)
        top += Inches(1.75)
    width = _WIDE - 2 * _MARGIN
    width_in = width / 914400 - 0.4
    points, size = _fitting(content.points, width_in, (_HIGH - top - Inches(0.4)) / 914400)
    if points:
        _bullets(_box(slide, lang, _MARGIN, top, width, _HIGH - top - Inches(0.4),
                      [(p, size, False, _INK) for p in points], space_pt=10))
        top += Inches(_points_height(points, width_in, size))
    if content.image is not None and _HIGH - top >= Inches(2.3):
        _picture(slide, content.image, top)
    _notes(slide, lang, content.notes)


def _chart_slide(prs, lang: str, content: ChartSlide) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[_BLANK_LAYOUT])
    _title(slide, lang, content.title)
    _picture(slide, content.image, Inches(1.75))
    _notes(slide, lang, content.notes)


def _picture(slide, image_file: Path | bytes, top) -> None:
    """A picture as large as the room below `top` allows, centred, its proportions kept."""
    from PIL import Image

    room_w, room_h = _WIDE - 2 * _MARGIN, _HIGH - top - Inches(0.3)
    source = io.BytesIO(image_file) if isinstance(image_file, bytes) else str(image_file)
    with Image.open(source) as image:
        ratio = image.width / image.height
    width = min(room_w, int(room_h * ratio))
    height = int(width / ratio)
    if isinstance(source, io.BytesIO):
        source.seek(0)
    slide.shapes.add_picture(source, Emu(int((_WIDE - width) / 2)), top, width, height)


def write_deck(deck: Deck, path: str | Path) -> Path:
    """Write a deck as a 16:9 ``.pptx`` file, atomically.

    Parameters
    ----------
    deck : Deck
        The deck's content.
    path : str or Path
        The file to write.

    Returns
    -------
    Path
        The written file.
    """
    prs = Presentation()
    prs.slide_width, prs.slide_height = _WIDE, _HIGH
    prs.core_properties.title = deck.title
    prs.core_properties.language = "zh-CN" if deck.lang == "zh" else "en-US"
    _title_slide(prs, deck)
    for content in deck.slides:
        if isinstance(content, ChartSlide):
            _chart_slide(prs, deck.lang, content)
        else:
            _summary_slide(prs, deck.lang, content)
    final = Path(path)
    with atomic_path(final) as tmp:
        prs.save(str(tmp))
    return final


# ------------------------------------------------------------------ content


def notes_from_table(df: pd.DataFrame, heading: str) -> str:
    """Speaker notes listing a table's rows as ``column: value`` lines, under a heading.

    Parameters
    ----------
    df : pandas.DataFrame
        A table as the report shows it.
    heading : str
        The first line.

    Returns
    -------
    str
        One line per row (at most 30): its cells joined by `` · ``, numbers as the report's tables write them.
    """
    lines = [heading]
    for row in df.head(_MAX_NOTE_ROWS).itertuples(index=False):
        cells = [f"{name}: {table_cell(value) if not isinstance(value, str) else value}"
                 for name, value in zip(df.columns, row, strict=True) if not is_missing(value) and value != ""]
        lines.append(" · ".join(cells))
    return "\n".join(lines)


def chapter_period(results: Mapping[str, object]) -> str:
    """The period of a results document as ``first day – last day`` (empty when the data had no dates)."""
    low, high = (list(results.get("data_range") or []) + [None, None])[:2]
    if not low or not high:
        return ""
    return f"{str(low)[:10]} – {str(high)[:10]}"


def notes_lines(heading: str, pairs: Iterable[tuple[str, str]]) -> str:
    """Speaker notes of (label, value) pairs, one ``label: value`` line each, under a heading."""
    return "\n".join([heading, *(f"{label}: {value}" for label, value in pairs)])


def summary_points(results: Mapping[str, object]) -> list[str]:
    """The findings a results document records in ``summary``: text, or mappings holding it under ``text``."""
    points = []
    for item in results.get("summary") or []:
        if isinstance(item, str):
            points.append(item)
        elif isinstance(item, Mapping):
            text = next((item[k] for k in ("text", "finding", "headline", "title") if item.get(k)), "")
            points.append(str(text))
    return [p for p in points if p]


def _run_period(documents: Iterable[Mapping[str, object]]) -> str:
    lows, highs = [], []
    for results in documents:
        low, high = (list(results.get("data_range") or []) + [None, None])[:2]
        lows += [str(low)[:10]] if low else []
        highs += [str(high)[:10]] if high else []
    return f"{min(lows)} – {max(highs)}" if lows and highs else ""


def _lead_chart(path: Path) -> tuple[str, bytes] | None:
    """The first chart slide of a chapter's deck: its title and picture."""
    if not path.exists():
        return None
    for slide in list(Presentation(str(path)).slides)[2:3]:
        pictures = [shape for shape in slide.shapes if shape.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
        texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame and shape.text_frame.text]
        if pictures and texts:
            return texts[0], pictures[0].image.blob
    return None


def _chapter_slide(out_dir: Path, chapter: str, t: Translator) -> tuple[SummarySlide, str, dict | None]:
    """A chapter's slide in the summary deck, its line in the overview and its results (None when it failed)."""
    name = t("deck_chapter_title", number=chapter[:2], name=t(f"ch_{chapter}"))
    results_path = out_dir / f"{chapter}.json"
    if not results_path.exists():
        failed = t("deck_chapter_failed")
        return SummarySlide(name, points=[failed]), t("deck_chapter_point", chapter=name, text=failed), None
    results = json.loads(results_path.read_text(encoding="utf-8"))
    figures = [(h["label"], h["value"]) for h in results.get("headline", [])]
    points = summary_points(results)
    lead = _lead_chart(out_dir / f"{chapter}.pptx")
    if lead and not points:
        points = [lead[0]]
    shown = t("deck_join").join(t("deck_figure", label=label, value=value) for label, value in figures)
    line = t("deck_chapter_point", chapter=name, text=(points[0] if summary_points(results) else shown) or "—")
    slide = SummarySlide(name, figures, points, notes=notes_lines(chapter_period(results), figures),
                         image=lead[1] if lead else None)
    return slide, line, results


def run_deck(out_dir: Path, chapters: Sequence[str], *, lang: str, client: str = "") -> Deck:
    """The summary deck of a report folder: an overview, then one slide per chapter.

    Parameters
    ----------
    out_dir : Path
        The report folder (``CHAPTER.json`` and ``CHAPTER.pptx`` are read from it; they are masked for clients
        already).
    chapters : Sequence[str]
        Chapter ids in order; those without a report in the folder are left out, a failed one is named as such.
    lang : str
        Language of the deck.
    client : str
        Client name as the index shows it (masked for clients by the caller).

    Returns
    -------
    Deck
        The overview lists each chapter with its first finding (``summary`` in its results) or its headline
        figures; each chapter's slide shows its headline figures, its findings and its lead chart.
    """
    t = Translator(lang, "office")
    slides, lines, documents = [], [], []
    for chapter in chapters:
        if (out_dir / f"{chapter}.html").exists():
            slide, line, results = _chapter_slide(out_dir, chapter, t)
            slides.append(slide)
            lines.append(line)
            documents += [results] if results is not None else []
    subtitle = t("deck_subtitle", client=client or t("no_client"), period=_run_period(documents) or "—")
    return Deck(lang, t("deck_run_title"), subtitle, slides=[SummarySlide(t("deck_summary"), points=lines), *slides])
