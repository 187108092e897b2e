"""The summary page: period covered, decisions across chapters, findings linked to their sections, previous period."""

from __future__ import annotations

import html
import json
import re

import pytest

from socialops.pipeline import summary_page


def chapter_page(*sections: tuple[str, str]) -> str:
    """A published chapter page holding the findings box and one anchored section per (name, heading)."""
    anchors = "".join(f'<span id="section-{name}" data-title="{html.escape(title)}"></span><h2>{title}</h2>'
                      for name, title in sections)
    return f'<html><body><div id="summary" class="so-summary">box</div>{anchors}</body></html>'


def write(out, chapter: str, results: dict, page: str | None = None) -> None:
    (out / f"{chapter}.json").write_text(json.dumps(results), encoding="utf-8")
    (out / f"{chapter}.html").write_text(page or chapter_page(), encoding="utf-8")


def action(what: str, priority: str, **more) -> dict:
    return {"what": what, "where": "WeChat", "kpi_label": "Conversion rate", "expected_text": "+1.0 pp",
            "priority": priority, **more}


@pytest.fixture
def folder(tmp_path):
    write(tmp_path, "03_ab_testing", {
        "data_range": ["2026-03-02T00:02:44", "2026-09-06T09:54:03"],
        "summary": [{"text": "title_summer: ship variant <b>now</b>.", "section": "verdicts"},
                    {"text": "A finding on a section the page lacks.", "section": "nowhere"}],
        "actions": [action("Stop push_time", "low"), action("Ship title_summer", "high", section="verdicts")],
        "headline": [{"label": "Experiments analysed", "value": "4"}],
    }, chapter_page(("verdicts", "6. Verdicts")))
    write(tmp_path, "04_churn", {
        "data_range": ["2025-10-01T00:02:57", "2026-09-30T23:59:59"],
        "actions": [action("Call the win-back list", "medium")],
        "headline": [{"label": "Customers", "value": "6,461"}],
    })
    return tmp_path


def render(out, lang: str = "en", **statuses: str) -> str:
    return summary_page.page(out, lang=lang, statuses=statuses or {"03_ab_testing": "ok", "04_churn": "ok"})


def test_decisions_of_every_chapter_in_one_table_most_urgent_first(folder):
    text = render(folder)
    table = re.search(r'<table class="decisions">.*?</table>', text, re.DOTALL).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)[1:]
    whats = [re.findall(r"<td>(.*?)</td>", row)[0] for row in rows]
    assert whats == ["Ship title_summer", "Call the win-back list", "Stop push_time"]
    assert ">High<" in rows[0] and ">Medium<" in rows[1] and ">Low<" in rows[2]


def test_every_link_leads_to_an_anchor_of_the_chapter_page(folder):
    text = render(folder)
    links = re.findall(r'href="([^"#]+)#([^"]+)"', text)
    assert ("03_ab_testing.html", "section-verdicts") in links
    for page, anchor in links:
        assert f'id="{anchor}"' in (folder / page).read_text(encoding="utf-8"), (page, anchor)


def test_a_finding_links_to_its_section_named_by_its_heading_or_else_to_the_findings(folder):
    text = render(folder)
    items = re.findall(r"<li>(.*?)</li>", re.search(r"<ol>.*?</ol>", text, re.DOTALL).group(0))
    assert "title_summer: ship variant &lt;b&gt;now&lt;/b&gt;." in items[0]
    assert '<a href="03_ab_testing.html#section-verdicts">see Verdicts</a>' in items[0]  # its number left out
    assert '<a href="03_ab_testing.html#summary">see Findings and actions</a>' in items[1]
    decisions = re.search(r'<table class="decisions">.*?</table>', text, re.DOTALL).group(0)
    assert "03 A/B testing: Verdicts" in decisions and "04 Churn and win-back: Findings and actions" in decisions


def test_period_covered_spans_the_chapters_and_a_chapter_shows_the_period_it_analysed(folder):
    write(folder, "01_platform_matrix", {"data_range": ["2025-09-01T00:00:00", "2026-09-30T00:00:00"],
                                         "period": {"start": "2026-07-03", "end": "2026-09-30", "days": 90}})
    text = render(folder, **{"01_platform_matrix": "ok", "03_ab_testing": "ok", "04_churn": "ok"})
    assert "Period covered: 2025-10-01 – 2026-09-30" in text  # 01's analysed period, not its whole data
    assert '<p class="period">2026-07-03 – 2026-09-30</p>' in text
    assert "覆盖期间：2025-10-01 至 2026-09-30" in render(folder, lang="zh")


def test_headline_figures_stand_in_for_a_summary_the_results_lack(folder):
    cards = re.findall(r'<section class="card">.*?</section>', render(folder), re.DOTALL)
    assert "<ol>" not in cards[1] and "Customers" in cards[1] and "6,461" in cards[1]


def change(platform: str, metric: str, value: float, low: float, high: float) -> dict:
    return {"platform": platform, "metric": metric, "change": value, "ci_low": low, "ci_high": high,
            "significant": low > 0 or high < 0, "current": 1.0, "previous": 1.0}


def test_the_previous_period_is_shown_where_a_chapter_measured_it_and_nowhere_else(folder):
    write(folder, "01_platform_matrix", {"change": [change("douyin", "impressions_per_day", 0.062, 0.01, 0.118),
                                                    change("wechat", "ctr", -0.001, -0.03, 0.03)]})
    text = render(folder, **{"01_platform_matrix": "ok", "03_ab_testing": "ok", "04_churn": "ok"})
    previous = re.findall(r'<p class="previous">(.*?)</p>', text)
    assert len(previous) == 1
    assert "Douyin, impressions a day +6" in previous[0] and "WeChat" not in previous[0]
    write(folder, "01_platform_matrix", {"change": [change("wechat", "ctr", -0.001, -0.03, 0.03)]})
    text = render(folder, **{"01_platform_matrix": "ok"})
    assert "No metric moved beyond day-to-day noise" in re.search(r'<p class="previous">(.*?)</p>', text).group(1)
    write(folder, "01_platform_matrix", {})
    assert 'class="previous"' not in render(folder, **{"01_platform_matrix": "ok"})


def test_no_decisions_table_when_no_chapter_recorded_actions(tmp_path):
    write(tmp_path, "02_lifecycle", {"headline": [{"label": "Users", "value": "7"}]})
    text = render(tmp_path, **{"02_lifecycle": "ok"})
    assert "Decisions to take" not in text and "Users" in text


def test_an_action_without_its_section_rests_on_the_finding_about_the_same_place(folder):
    results = json.loads((folder / "03_ab_testing.json").read_text(encoding="utf-8"))
    results["actions"] = [action("Ship the variant", "high", where="title_summer"),
                          action("Stop the test", "low", where="push_time")]
    (folder / "03_ab_testing.json").write_text(json.dumps(results), encoding="utf-8")
    rows = {re.findall(r"<td>(.*?)</td>", row)[0]: row
            for row in re.findall(r"<tr>(.*?)</tr>", render(folder), re.DOTALL)[1:]}
    assert '<a href="03_ab_testing.html#section-verdicts">03 A/B testing: Verdicts</a>' in rows["Ship the variant"]
    assert '<a href="03_ab_testing.html#summary">03 A/B testing: Findings and actions</a>' in rows["Stop the test"]


def test_one_decision_per_win_back_offer_when_the_churn_chapter_weighed_its_payback(folder):
    ab = json.loads((folder / "03_ab_testing.json").read_text(encoding="utf-8"))
    ab["actions"].append(action("Ship coupon to everyone", "high", key="act_ship", where="winback_q3"))
    write(folder, "03_ab_testing", ab, chapter_page(("verdicts", "6. Verdicts")))
    churn = {"data_range": ["2025-10-01", "2026-09-30"], "params": {"winback_experiment": "winback_q3"},
             "actions": [action("Extend the win-back test", "medium", key="act_offer_extend", where="The offer")]}
    write(folder, "04_churn", churn)
    text = render(folder)
    assert "Ship coupon to everyone" not in text and "Extend the win-back test" in text
    assert "verdict on winback_q3 judges its lift alone" in text
    # without a judgement of the payback, 03's action stands
    write(folder, "04_churn", {**churn, "actions": [action("Call the list", "high", key="act_contact_list")]})
    text = render(folder)
    assert "Ship coupon to everyone" in text and "judges its lift alone" not in text
