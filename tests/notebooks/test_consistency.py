"""One number per fact: a metric reads the same in a chapter's HTML, workbook and JSON, and chapters agree.

Every entry of a chapter's ``metrics`` list (the registry of :mod:`socialops.report.metrics`) is written by the
registry's formatter and looked for in the report: its value and interval in the page's text beside its label, and,
for a metric a table shows, the same number in the workbook beside the same label. Chapters 03 and 04 judge the
samples' win-back test by the one decision rule: their verdicts on the lift must be the same.
"""

from __future__ import annotations

import html
import math
import re

import openpyxl
import pytest

from socialops.report.format import DASH
from socialops.report.i18n import Translator
from socialops.report.metrics import metric

pytestmark = pytest.mark.notebook

#: Metrics that chapter 02 states in its findings only (no table holds them).
TEXT_ONLY = frozenset({"new_user_first_order", "repeat_customer_share", "next_month_repurchase",
                       "customer_value_total"})
#: Metrics a table holds in a row named otherwise than by the metric's label: the funnel's step into active.
ROW_NAMES = {"acquired_buyer_share": "Active"}
_AMOUNT = re.compile(r"^(?:[A-Z]{3} )?(?P<number>[+\-]?[\d,]+(?:\.\d+)?)(?P<percent>%?)$")


def page_text(page: str) -> str:
    """The visible text of a report page, white space collapsed."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def shown_number(text: str) -> float:
    """The number a shown value stands for, as the workbook stores it (a percentage divided by 100)."""
    match = _AMOUNT.match(text)
    assert match, f"not a shown number: {text!r}"
    value = float(match["number"].replace(",", ""))
    return value / 100 if match["percent"] else value


def workbook_rows(path) -> list[tuple[str, list[object], list[object]]]:
    """(sheet, header row, data row) for every data row of every sheet (title, units and header rows above)."""
    book = openpyxl.load_workbook(path, read_only=True)
    out = []
    for sheet in book.worksheets:
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        header = rows[2] if len(rows) > 2 else []
        out += [(sheet.title, header, row) for row in rows[3:]]
    return out


def in_workbook(rows, label: str, scope: str | None, number: float) -> bool:
    """Whether a row holds `number` under the header `label` (and names `scope`), or beside the cell `label`."""
    def same(value) -> bool:
        return isinstance(value, int | float) and math.isclose(value, number, rel_tol=1e-9, abs_tol=1e-12)

    for _, header, row in rows:
        if scope is not None and scope not in row:
            continue
        if label in header and same(row[header.index(label)]):
            return True
        if label in row and any(same(v) for v in row):
            return True
    return False


def check_chapter(run, scope_label) -> list[str]:
    """Every way a chapter's registry metrics disagree between its JSON, HTML and workbook (empty when none)."""
    assert run.exit_code == 0, run.stderr
    results, text = run.json, page_text(run.html)
    rows = workbook_rows(run.out_dir / f"{run.chapter}.xlsx")
    lang = results["params"]["lang"]
    office = Translator(lang, "office")
    problems = []
    assert results["metrics"], "no metric recorded"
    for entry in results["metrics"]:
        m = metric(entry["metric"])
        value, low, high = m.texts(entry["value"], entry["ci_low"], entry["ci_high"],
                                   currency=entry.get("currency"))
        label = m.label(lang, days=entry.get("days"))
        scope = scope_label(entry)
        where = f"{entry['metric']} {entry.get('platform', '')}"
        if m.is_money and entry["currency"] != results["params"]["currency"]:
            problems.append(f"{where}: currency {entry['currency']}")
        if label not in text:
            problems.append(f"{where}: label {label!r} not in the page")
        shown = f"{value} ({low} – {high})" if low != DASH else value
        if f"{shown}" not in text and not (value in text and low in text and high in text):
            problems.append(f"{where}: {shown!r} not in the page")
        if entry["metric"] not in TEXT_ONLY:
            row_name = ROW_NAMES.get(entry["metric"], label)
            for part, number in (("value", value), ("low", low), ("high", high)):
                # an interval's ends stand in their own columns ("… (low)"), or beside the metric's row name
                headers = {row_name} | ({office(f"xlsx_{part}", column=label)} if part != "value" else set())
                if number != DASH and not any(in_workbook(rows, h, scope, shown_number(number)) for h in headers):
                    problems.append(f"{where}: {part} {number!r} not in the workbook")
    return problems


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_platform_matrix_metrics_agree_in_page_workbook_and_json(chapter_run, lang):
    run = chapter_run("01_platform_matrix", lang=lang)
    t = Translator(lang, "platform_matrix")
    assert check_chapter(run, lambda entry: t.label("platform", entry["platform"])) == []
    recorded = {(e["metric"], e["platform"]) for e in run.json["metrics"]}
    # every platform carries its money, in the currency of the run
    names = ("douyin", "xiaohongshu", "weibo", "bilibili", "wechat")
    assert {("spend", p) for p in names} | {("roi", p) for p in names} <= recorded
    assert {r["currency"] for r in run.json["platforms"]} == {"CNY"}


def test_lifecycle_conversions_and_repurchase_rates_agree_and_read_apart(chapter_run):
    run = chapter_run("02_lifecycle")
    assert check_chapter(run, lambda entry: None) == []
    by_name = {e["metric"]: e for e in run.json["metrics"]}
    assert set(by_name) == {"acquired_buyer_share", "new_user_first_order", "period_acquired_first_order",
                            "repeat_customer_share", "period_buyer_repeat_share", "next_month_repurchase"}
    # three definitions, three values: the page names each by its own label
    assert len({round(by_name[n]["value"], 3) for n in ("acquired_buyer_share", "new_user_first_order",
                                                        "period_acquired_first_order")}) == 3


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_churn_money_agrees_in_page_workbook_and_json(chapter_run, lang):
    run = chapter_run("04_churn", lang=lang)
    assert check_chapter(run, lambda entry: None) == []
    assert {e["metric"] for e in run.json["metrics"]} == {
        "customer_value_total", "winback_offer_cost", "winback_value_won", "winback_net"}


def test_a_currency_is_shown_with_every_amount_of_the_run(chapter_run):
    run = chapter_run("01_platform_matrix", currency="USD")
    assert run.exit_code == 0, run.stderr
    text = page_text(run.html)
    assert "USD " in text and "CNY " not in text
    assert {e["currency"] for e in run.json["metrics"] if "currency" in e} == {"USD"}


def test_an_unknown_currency_stops_the_run_before_any_kernel(chapter_run):
    run = chapter_run("04_churn", currency="RMB")
    assert run.exit_code == 2 and "ISO 4217" in run.stderr + run.stdout


def test_ab_testing_and_churn_give_the_win_back_lift_the_same_verdict(chapter_run):
    ab, churn = chapter_run("03_ab_testing"), chapter_run("04_churn")
    assert ab.exit_code == 0 and churn.exit_code == 0, ab.stderr + churn.stderr
    winback = churn.json["winback"]
    name = churn.json["params"]["winback_experiment"]
    [verdict] = [v for v in ab.json["verdicts"] if v["experiment_id"] == name]
    assert verdict["verdict"] == winback["verdict"] and verdict["reason"] == winback["reason"]
    [test] = [t for t in ab.json["tests"] if t["experiment_id"] == name and t["metric"] == "conversion"]
    # the same comparison underneath: rates, difference and its interval
    assert (test["control_rate"], test["variant_rate"]) == pytest.approx(
        (winback["holdout_rate"], winback["treated_rate"]), rel=1e-12)
    assert (test["abs_diff"], test["ci_low"], test["ci_high"]) == pytest.approx(
        (winback["uplift"], winback["ci_low"], winback["ci_high"]), rel=1e-9)
    # the payback is judged only as far as the verdict on the lift allows
    if winback["economics"] is not None:
        assert winback["economics"]["currency"] == churn.json["params"]["currency"]
