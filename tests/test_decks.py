"""The consultants' files of real chapter runs: each deck opens with python-pptx and converts to PDF with LibreOffice
(a page per slide, its text and fonts), client decks are masked, and the workbook holds numbers as numbers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation

from socialops.pipeline import publish
from socialops.report.i18n import Translator
from tests.conftest import require_component

pytestmark = pytest.mark.notebook
require_component(shutil.which("soffice") is not None, "LibreOffice is absent: run `make office-deps` (Debian)")
require_component(all(shutil.which(tool) for tool in ("pdftotext", "pdfinfo", "pdffonts")),
                  "poppler-utils is absent: run `make office-deps` (Debian)")

PHONE = "13800138000"
#: (chapter, language, client name): an English chapter and a Chinese one whose client name holds a phone number.
RUNS = [("01_platform_matrix", "en", ""), ("04_churn", "zh", f"样例品牌 {PHONE}")]


@pytest.fixture(scope="module")
def runs(chapter_run):
    done = []
    for chapter, lang, client in RUNS:
        run = chapter_run(chapter, lang=lang, **({"client": client} if client else {}))
        assert run.exit_code == 0, run.stderr
        done.append(run)
    return done


@pytest.fixture(scope="module")
def pdfs(runs, tmp_path_factory) -> dict[Path, Path]:
    """Every deck of the runs converted to PDF, in one LibreOffice call with a profile of its own."""
    decks = [p for run in runs for p in (run.out_dir / f"{run.chapter}.pptx", run.out_dir / "summary.pptx")]
    out = tmp_path_factory.mktemp("pdf")
    profile = tmp_path_factory.mktemp("lo-profile")
    for number, deck in enumerate(decks):  # the summary decks share a name: one folder each
        folder = out / str(number)
        subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(folder), str(deck)], check=True, capture_output=True, timeout=180)
    return {deck: out / str(n) / f"{deck.stem}.pdf" for n, deck in enumerate(decks)}


def _texts(slide) -> str:
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


def _all_text(prs) -> str:
    parts = []
    for slide in prs.slides:
        parts.append(_texts(slide))
        if slide.has_notes_slide:
            parts.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(parts)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_a_chapter_deck_has_title_summary_and_a_slide_per_chart(runs):
    for run in runs:
        results, t = run.json, Translator(run.json["params"]["lang"])
        prs = Presentation(str(run.out_dir / f"{run.chapter}.pptx"))
        charts = sorted((run.out_dir / f"{run.chapter}_figures").glob("*.png"))
        slides = list(prs.slides)
        assert len(slides) == 2 + len(charts) and charts
        assert t(f"ch_{run.chapter}") in _texts(slides[0])
        assert results["data_range"][0][:10] in _texts(slides[0])
        summary = _texts(slides[1])
        assert all(h["value"] in summary for h in results["headline"])
        for slide in slides[2:]:
            assert [shape.shape_type for shape in slide.shapes].count(13) == 1  # the chart
            assert slide.notes_slide.notes_text_frame.text.strip()  # its numbers for the speaker


def test_every_deck_converts_to_a_pdf_page_per_slide_with_its_text(runs, pdfs):
    for deck, pdf in pdfs.items():
        prs = Presentation(str(deck))
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == len(prs.slides), deck
        text = _squeeze(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                       check=True).stdout)
        for slide in prs.slides:  # every slide's title reaches the page
            first = next(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
            assert _squeeze(first) in text, (deck.name, first)


def test_chinese_decks_render_in_the_cjk_font(runs, pdfs):
    chinese = [pdf for deck, pdf in pdfs.items() if deck.parent == runs[1].out_dir]
    assert len(chinese) == 2
    for pdf in chinese:
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "NotoSansCJK" in fonts.replace(" ", ""), fonts
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "流失与召回" in text


def test_client_decks_are_masked(runs):
    run = runs[1]
    for deck in (run.out_dir / f"{run.chapter}.pptx", run.out_dir / "summary.pptx"):
        text = _all_text(Presentation(str(deck)))
        assert PHONE not in text, deck.name
        assert "样例品牌" in text  # the name is kept, the number masked


def test_the_workbook_holds_numbers_with_a_title_and_units_row(runs):
    for run in runs:
        book = openpyxl.load_workbook(run.out_dir / f"{run.chapter}.xlsx")
        lang = run.json["params"]["lang"]
        numbers = 0
        for sheet in book.worksheets:
            title = sheet["A1"].value
            assert run.json["data_range"][0][:10] in title and "socialops" in title
            assert any(cell.value for cell in sheet[2])  # the units row
            assert sheet.freeze_panes == "A4"
            for row in sheet.iter_rows(min_row=4):
                for cell in row:
                    assert not (isinstance(cell.value, str) and re.fullmatch(r"[-+]?[\d.,]+%? \(.*\)", cell.value))
                    numbers += cell.data_type == "n" and cell.value is not None
            if lang == "zh":
                assert re.search("[\u4e00-\u9fff]", sheet.title), sheet.title
        assert numbers > 20
        assert PHONE not in str([c.value for s in book.worksheets for row in s.iter_rows() for c in row])


def test_the_deck_is_part_of_the_chapter_set(tmp_path):
    chapter = "01_platform_matrix"
    assert f"{chapter}.pptx" in publish.chapter_entries(chapter)
    (tmp_path / f"{chapter}.pptx").write_bytes(b"old deck")
    (tmp_path / f"{chapter}.html").write_text("old", encoding="utf-8")
    publish.publish_error_page(tmp_path, chapter, "<html>failed</html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{chapter}.html"]  # the error page stands alone
