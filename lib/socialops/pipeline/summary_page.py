"""The run's summary page, ``index.html``: the period covered, the decisions to take and each chapter's findings.

Everything on it is read from the chapters' results (``CHAPTER.json``, masked for clients already): the actions
(``actions``) of every chapter in one table, most urgent first; each chapter's findings (``summary``), each linked
to the section of the chapter's report it rests on; where a chapter measured it, the change against the previous
period. A chapter whose results hold no summary shows its headline figures instead. Nothing is computed here.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from socialops.chapters import CHAPTERS
from socialops.pipeline import chapter_page
from socialops.report.i18n import Translator

#: Priorities of an action, most urgent first, as the results name them.
PRIORITIES = ("high", "medium", "low")
#: 04's actions on the win-back offer that rest on its payback: the lift and the money, judged together.
PAYBACK_ACTIONS = frozenset({"act_offer_keep", "act_offer_narrow", "act_offer_extend", "act_offer_more"})
_NUMBER = re.compile(r"^\d+\.\s+")

STYLE = (
    "<style>body{font-family:'Inter','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;max-width:66em;"
    "margin:2em auto;padding:0 1em;color:#1a202c;line-height:1.45}h1{border-bottom:3px solid #2b6cb0;"
    "padding-bottom:.3em;margin-bottom:.2em}h2{margin-top:1.6em;color:#2d3748}a{color:#2b6cb0;text-decoration:none}"
    "a:hover{text-decoration:underline}.period{color:#4a5568;margin:.2em 0 1em 0}"
    "table.decisions{border-collapse:collapse;width:100%;font-size:.92em}"
    ".decisions th{background:#edf2f7;text-align:left;padding:.4em .6em;white-space:nowrap}"
    ".decisions td{padding:.4em .6em;border-bottom:1px solid #e2e8f0;vertical-align:top}"
    ".priority{font-weight:600;white-space:nowrap}.priority-high{color:#c53030}.priority-medium{color:#b7791f}"
    ".priority-low{color:#4a5568}.card{border:1px solid #e2e8f0;border-radius:8px;padding:.6em 1.2em;margin:1em 0}"
    ".card h3{margin:.2em 0;font-size:1.15em}.card .period{font-size:.88em;margin:0 0 .4em 0}"
    ".card ol{margin:.4em 0;padding-left:1.4em}.card li{margin:.3em 0}.see{font-size:.85em;white-space:nowrap}"
    ".tiles{list-style:none;padding:0;margin:.4em 0;display:flex;flex-wrap:wrap;gap:.4em 2em}"
    ".tiles li span{display:block;color:#4a5568;font-size:.85em}.tiles li strong{font-size:1.1em}"
    ".previous{font-size:.92em;border-left:3px solid #cbd5e0;padding-left:.8em;color:#2d3748}"
    ".status-failed a,.status-timeout a{color:#c53030;font-weight:600}.status-left-out{color:#718096}</style>"
)


def page(out_dir: Path, *, lang: str, statuses: Mapping[str, str], client: str = "",
         left_out: Mapping[str, list[str]] | None = None) -> str:
    """The summary page of a report folder (see `socialops.pipeline.publish.write_index` for the arguments)."""
    t = Translator(lang)
    chapters = []  # (chapter, status, results or None)
    for chapter in CHAPTERS:
        if chapter in (left_out or {}):
            chapters.append((chapter, "left-out", None))
            continue
        report, results = out_dir / f"{chapter}.html", out_dir / f"{chapter}.json"
        status = statuses.get(chapter, "interrupted")
        if status == "interrupted":  # the chapter's set is as an earlier run left it: an error page stands alone
            if not report.exists():
                continue
            status = "ok" if results.exists() else "failed"
        document = json.loads(results.read_text(encoding="utf-8")) if status == "ok" and results.exists() else None
        chapters.append((chapter, status, document))
    sections = {c: _section_titles(out_dir / f"{c}.html") for c, _, doc in chapters if doc is not None}
    title = t("index_title") + (f" · {client}" if client else "")
    low, high = run_period([doc for _, _, doc in chapters if doc is not None])
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if low and high:
        period = t("index_chapter_period", start=low, end=high)
        parts.append(f'<p class="period">{html.escape(t("index_period", period=period))}</p>')
    parts.append(_decisions(t, [(c, doc) for c, _, doc in chapters if doc is not None], sections))
    parts.append(f"<h2>{html.escape(t('index_findings'))}</h2>")
    for chapter, status, document in chapters:
        if status == "left-out":
            parts.append(_left_out_card(t, chapter, (left_out or {})[chapter]))
        else:
            parts.append(_card(t, chapter, status, document, sections.get(chapter, {})))
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
            f"{STYLE}</head><body>{''.join(parts)}</body></html>")


def run_period(documents: list[Mapping[str, object]]) -> tuple[str, str]:
    """The span of the chapters' periods as (first day, last day); empty strings when none has dates."""
    spans = [chapter_period(document) for document in documents]
    lows = [low for low, _ in spans if low]
    highs = [high for _, high in spans if high]
    return (min(lows), max(highs)) if lows and highs else ("", "")


def chapter_period(document: Mapping[str, object]) -> tuple[str, str]:
    """A chapter's period as (first day, last day), empty strings when unknown.

    The period it analysed (``period``) when it records one, else its data's range (``data_range``).
    """
    period = document.get("period")
    if isinstance(period, Mapping) and period.get("start") and period.get("end"):
        return str(period["start"])[:10], str(period["end"])[:10]
    low, high = (list(document.get("data_range") or []) + [None, None])[:2]
    return (str(low)[:10] if low else ""), (str(high)[:10] if high else "")


def _section_titles(report: Path) -> dict[str, tuple[str, str]]:
    """Section name → (anchor, heading) in a chapter's published page (empty when the page is absent)."""
    if not report.exists():
        return {}
    return chapter_page.section_titles(report.read_text(encoding="utf-8"))


def _link(chapter: str, section: object, sections: Mapping[str, tuple[str, str]], t: Translator, *,
          with_chapter: bool) -> str:
    """A link to the section `section` of a chapter's report, named as its contents list it (without a number).

    A report without that section is linked at its findings.
    """
    anchor, heading = sections.get(str(section), (chapter_page.SUMMARY_ID, t("nav_findings")))
    heading = chapter_page.short_title(_NUMBER.sub("", heading))
    label = (t("index_evidence", chapter=f"{chapter[:2]} {t(f'ch_{chapter}')}", section=heading) if with_chapter
             else t("index_see", section=heading))
    return f'<a href="{html.escape(chapter)}.html#{html.escape(anchor)}">{html.escape(label)}</a>'


def _decisions(t: Translator, documents: list[tuple[str, Mapping]], sections: Mapping) -> str:
    """The table of every chapter's actions, most urgent first, each linked to the section behind it."""
    documents_by_chapter = dict(documents)
    rows = []
    for chapter, document in documents:
        for action in document.get("actions") or []:
            if isinstance(action, Mapping):
                rows.append((chapter, action))
    rows, folded = superseded(rows, documents_by_chapter)
    if not rows:
        return ""
    rows.sort(key=lambda row: PRIORITIES.index(row[1].get("priority")) if row[1].get("priority") in PRIORITIES
              else len(PRIORITIES))
    head = "".join(f"<th>{html.escape(t(key))}</th>" for key in (
        "action_col_priority", "action_col_what", "action_col_where", "action_col_kpi", "action_col_size",
        "index_col_evidence"))
    body = []
    for chapter, action in rows:
        priority = str(action.get("priority", ""))
        shown = t(f"priority_{priority}") if priority in PRIORITIES else priority
        cells = [f'<td class="priority priority-{html.escape(priority)}">{html.escape(shown)}</td>']
        cells += [f"<td>{html.escape(str(action.get(key) or '—'))}</td>"
                  for key in ("what", "where", "kpi_label", "expected_text")]
        section = action.get("section") or _evidence(action, documents_by_chapter[chapter])
        cells.append(f"<td>{_link(chapter, section, sections.get(chapter, {}), t, with_chapter=True)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    notes = "".join(f'<p class="previous">{html.escape(t("index_folded", experiment=name))}</p>' for name in folded)
    return (f"<h2>{html.escape(t('index_decisions'))}</h2><table class=\"decisions\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>{notes}")


def superseded(rows: list[tuple[str, Mapping]], documents: Mapping[str, Mapping]
               ) -> tuple[list[tuple[str, Mapping]], list[str]]:
    """The actions without 03's on the win-back test when 04 has judged that test's payback too.

    Both chapters judge the lift by the one decision rule, so their verdicts on it agree; 04 also weighs what the
    offer costs against what it wins back. A client should read one decision per offer: 04's, which may say to
    extend the test where 03, seeing the lift alone, says to ship.

    Returns
    -------
    tuple
        The rows kept, and the experiments whose 03 action was folded into 04's.
    """
    churn = documents.get("04_churn") or {}
    name = (churn.get("params") or {}).get("winback_experiment")
    if not name or not any(a.get("key") in PAYBACK_ACTIONS for a in churn.get("actions") or []
                           if isinstance(a, Mapping)):
        return rows, []
    kept = [(chapter, action) for chapter, action in rows
            if not (chapter == "03_ab_testing" and action.get("where") == name)]
    return kept, ([name] if len(kept) < len(rows) else [])


def _evidence(action: Mapping, document: Mapping) -> object:
    """The section of the chapter's first finding that names the action's place (None when none does).

    An action recorded without its section rests on the finding about the same experiment, platform or list.
    """
    where = str(action.get("where") or "")
    found = (f.get("section") for f in document.get("summary") or []
             if isinstance(f, Mapping) and where and where in str(f.get("text", "")))
    return next(found, None)


def _card(t: Translator, chapter: str, status: str, document: Mapping | None,
          sections: Mapping[str, tuple[str, str]]) -> str:
    """A chapter's block: its name, period, findings (else its headline figures) and status.

    Where the chapter measured the change against the previous period, the block states it.
    """
    name = f"{chapter[:2]} · {t(f'ch_{chapter}')}"
    parts = [f'<h3><a href="{html.escape(chapter)}.html">{html.escape(name)}</a></h3>']
    if document is None:
        label = t(f"index_status_{status}")
        parts.append(f'<p class="status status-{html.escape(status)}"><a href="{html.escape(chapter)}.html">'
                     f"{html.escape(label)}</a></p>")
        return f'<section class="card">{"".join(parts)}</section>'
    low, high = chapter_period(document)
    if low and high:
        parts.append(f'<p class="period">{html.escape(t("index_chapter_period", start=low, end=high))}</p>')
    tiles = "".join(f"<li><span>{html.escape(str(h.get('label', '')))}</span> "
                    f"<strong>{html.escape(str(h.get('value', '')))}</strong></li>"
                    for h in document.get("headline") or [] if isinstance(h, Mapping))
    parts.append(f'<ul class="tiles">{tiles}</ul>' if tiles else "")
    findings = [f for f in document.get("summary") or [] if isinstance(f, Mapping) and f.get("text")]
    if findings:
        items = "".join(f"<li>{html.escape(str(f['text']))} <span class=\"see\">"
                        f"{_link(chapter, f.get('section'), sections, t, with_chapter=False)}</span></li>" for f in findings)
        parts.append(f"<ol>{items}</ol>")
    previous = PREVIOUS_PERIOD.get(chapter)
    said = previous(document, t.lang) if previous else ""
    if said:
        parts.append(f'<p class="previous"><strong>{html.escape(t("index_previous"))}</strong> '
                     f"{html.escape(said)}</p>")
    parts.append(f'<p class="status status-ok"><a href="{html.escape(chapter)}.html">'
                 f"{html.escape(t('index_open'))}</a></p>")
    return f'<section class="card">{"".join(parts)}</section>'


def _left_out_card(t: Translator, chapter: str, lacking: list[str]) -> str:
    """The block of a chapter left out: its name and the tables it lacks."""
    tables = t("index_and").join(t("index_or").join(item.split(" or ")) for item in lacking)
    return (f'<section class="card"><h3>{html.escape(chapter[:2])} · {html.escape(t(f"ch_{chapter}"))}</h3>'
            f'<p class="status status-left-out">{html.escape(t("index_left_out", tables=tables))}</p></section>')


def _platform_changes(document: Mapping, lang: str) -> str:
    """Chapter 01's changes against the previous period of equal length, as its report states them."""
    from socialops.platform_matrix import present

    change = pd.DataFrame(document.get("change") or [])
    if change.empty or not {"platform", "metric", "change", "significant"} <= set(change.columns):
        return ""
    t = Translator(lang, "platform_matrix")
    return " ".join(t(m.key, **m.values) for m in present.change_findings(change, t))


#: The chapters that measure a change against the previous period, each with how to read it from its results.
PREVIOUS_PERIOD: dict[str, Callable[[Mapping, str], str]] = {"01_platform_matrix": _platform_changes}
