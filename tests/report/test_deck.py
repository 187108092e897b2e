import io
import json

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from pptx import Presentation
from pptx.oxml.ns import qn

from socialops.report import deck
from socialops.report.deck import ChartSlide, Deck, SummarySlide, notes_from_table, run_deck, write_deck


@pytest.fixture(scope="module")
def chart_png() -> bytes:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(["Douyin", "WeChat"], [3, 5])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _texts(slide) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame and shape.text_frame.text]


def _runs(prs):
    for slide in prs.slides:
        frames = [s.text_frame for s in slide.shapes if s.has_text_frame]
        if slide.has_notes_slide:
            frames.append(slide.notes_slide.notes_text_frame)
        for frame in frames:
            for paragraph in frame.paragraphs:
                yield from paragraph.runs


def _deck(lang, chart_png, tmp_path, points=("Douyin reaches the most people.",)):
    image = tmp_path / "chart.png"
    image.write_bytes(chart_png)
    content = Deck(lang, "01 · Platform matrix", "Client: Brand\nPeriod: 2026-07-03 – 2026-09-30", "Client edition",
                   [SummarySlide("Executive summary", [("Core platforms", "WeChat"), ("Advert share", "40%")], points,
                                 notes="Headline figures"),
                    ChartSlide("Douyin reaches the most people", image, "Impressions: 201,253,560"),
                    ChartSlide("微信转化最好", chart_png, "转化率：9.05%")])
    return Presentation(str(write_deck(content, tmp_path / "deck.pptx")))


def test_a_deck_has_title_summary_and_one_slide_per_chart(chart_png, tmp_path):
    prs = _deck("en", chart_png, tmp_path)
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)  # 16:9
    slides = list(prs.slides)
    assert len(slides) == 4
    assert _texts(slides[0])[:2] == ["01 · Platform matrix", "Client: Brand\nPeriod: 2026-07-03 – 2026-09-30"]
    summary = _texts(slides[1])
    assert summary[0] == "Executive summary"
    assert {"WeChat", "Core platforms", "40%", "Advert share", "Douyin reaches the most people."} <= set(summary)
    assert _texts(slides[2]) == ["Douyin reaches the most people"]
    assert [s.shape_type for s in slides[2].shapes].count(13) == 1  # one picture
    assert slides[2].notes_slide.notes_text_frame.text == "Impressions: 201,253,560"
    assert slides[3].notes_slide.notes_text_frame.text == "转化率：9.05%"
    assert list((tmp_path).glob(".*")) == []  # written atomically, no temporary file left


@pytest.mark.parametrize(("lang", "latin"), [("en", "Arial"), ("zh", deck.CJK_FONT)])
def test_every_run_names_the_cjk_font_for_east_asian_text(chart_png, tmp_path, lang, latin):
    runs = list(_runs(_deck(lang, chart_png, tmp_path)))
    assert len(runs) > 10
    for run in runs:
        props = run._r.find(qn("a:rPr"))
        assert props.find(qn("a:ea")).get("typeface") == "Noto Sans CJK SC"
        assert props.find(qn("a:latin")).get("typeface") == latin
        children = [child.tag for child in props]  # the schema's order: latin before ea
        assert children.index(qn("a:latin")) < children.index(qn("a:ea"))


def test_points_that_do_not_fit_are_left_out_rather_than_overflowing():
    long = "A finding that goes on for a while with its number and what to do about it. " * 4
    points, size = deck._fitting([long] * 5, width_in=11.5, height_in=3.6)
    assert 0 < len(points) < 5
    assert deck._points_height(points, 11.5, size) <= 3.6 < deck._points_height([long] * (len(points) + 1), 11.5, 14)
    short, size = deck._fitting(["One.", "Two."], width_in=11.5, height_in=3.6)
    assert short == ["One.", "Two."] and size == 24  # the largest size when all fit
    assert len(deck._fitting(["x"] * 9, width_in=11.5, height_in=6)[0]) == 5  # five findings at most


def test_line_estimate_counts_chinese_as_twice_as_wide():
    assert deck._lines("a" * 100, 5, 18) == 3  # 100 × 0.5 em × 18 pt = 900 pt over 360 pt a line
    assert deck._lines("中" * 100, 5, 18) == 5  # 1 em each: 1800 pt
    assert deck._lines("one\ntwo", 5, 18) == 2


def test_notes_list_the_rows_of_the_chart_table():
    table = pd.DataFrame({"Platform": ["Douyin", "WeChat"], "Impressions": [201253560, None],
                          "Engagement rate": ["4.1% (4.0% – 4.2%)", ""]})
    notes = notes_from_table(table, "The numbers behind this chart").splitlines()
    assert notes == ["The numbers behind this chart",
                     "Platform: Douyin · Impressions: 201,253,560 · Engagement rate: 4.1% (4.0% – 4.2%)",
                     "Platform: WeChat"]


def _chapter(out_dir, chapter, results=None, deck_file=None):
    (out_dir / f"{chapter}.html").write_text("<html></html>", encoding="utf-8")
    if results is not None:
        (out_dir / f"{chapter}.json").write_text(json.dumps(results), encoding="utf-8")
    if deck_file is not None:
        (out_dir / f"{chapter}.pptx").write_bytes(deck_file.read_bytes())


def test_the_run_deck_has_an_overview_and_a_slide_per_chapter(chart_png, tmp_path):
    _deck("en", chart_png, tmp_path)  # a chapter deck whose first chart leads the chapter's slide
    out = tmp_path / "out"
    out.mkdir()
    _chapter(out, "01_platform_matrix", {"headline": [{"label": "Core platforms", "value": "WeChat"}],
                                         "data_range": ["2026-07-03T00:00:00", "2026-09-30T00:00:00"]},
             tmp_path / "deck.pptx")
    _chapter(out, "02_lifecycle")  # an error page alone: the chapter failed
    _chapter(out, "04_churn", {"headline": [], "data_range": ["2026-01-01T00:00:00", "2026-10-31T00:00:00"],
                               "summary": [{"text": "Win back the 424 customers at risk."}, "Second finding."]})
    chapters = ["01_platform_matrix", "02_lifecycle", "03_ab_testing", "04_churn"]
    content = run_deck(out, chapters, lang="en", client="Brand")
    assert content.subtitle == "Client: Brand\nPeriod: 2026-01-01 – 2026-10-31"
    overview, *slides = content.slides
    assert overview.points == ["01 · Platform matrix: Core platforms WeChat",
                               "02 · User lifecycle: This chapter did not complete: see its report.",
                               "04 · Churn and win-back: Win back the 424 customers at risk."]
    assert [s.title for s in slides] == ["01 · Platform matrix", "02 · User lifecycle", "04 · Churn and win-back"]
    assert slides[0].points == ["Douyin reaches the most people"] and slides[0].image  # the lead chart
    assert slides[2].points == ["Win back the 424 customers at risk.", "Second finding."]
    prs = Presentation(str(write_deck(content, out / "summary.pptx")))
    assert len(prs.slides) == 5


def test_the_chinese_run_deck_uses_chinese_punctuation(tmp_path):
    _chapter(tmp_path, "01_platform_matrix", {"headline": [{"label": "核心平台", "value": "微信"},
                                                            {"label": "广告占比", "value": "40%"}]})
    content = run_deck(tmp_path, ["01_platform_matrix"], lang="zh", client="")
    assert content.subtitle == "客户：未指定\n周期：—"
    assert content.slides[0].points == ["01 平台矩阵：核心平台 微信；广告占比 40%"]


def test_summary_points_are_the_texts_of_the_results_summary_in_order():
    results = {"summary": [{"key": "sum_at_risk", "text": "424 valuable customers are probably gone.", "value": 424,
                            "section": "win_back_list"},
                           {"key": "sum_survival", "text": "62% are still active.", "value": {"survival": 0.62},
                            "section": "survival"},
                           {"key": "empty", "text": "", "value": None, "section": "x"}]}
    assert deck.summary_points(results) == ["424 valuable customers are probably gone.", "62% are still active."]
    assert deck.summary_points({"summary": []}) == [] and deck.summary_points({}) == []


def test_a_word_one_em_too_wide_for_a_line_takes_two():
    # 15 bold Latin characters are 9 ems; at 32 pt a 3.58-inch box holds 8.05 of them
    assert deck._lines("invite_campaign", 3.58, 32, deck._BOLD_EM) == 2
    assert deck._lines("invite_campaign", 3.58, 24, deck._BOLD_EM) == 1
