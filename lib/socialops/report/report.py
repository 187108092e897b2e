"""The object a chapter notebook talks to: header, tables, figures, findings, results.

A notebook holds narrative and calls; everything it shows or records goes through one :class:`Report`, so that
masking, escaping, translation and the output files are handled in one place. When the runner executes a
notebook it sets ``SOCIALOPS_STAGE`` to a staging folder; :meth:`Report.finish` writes the recorded results,
figures and tables there and the runner publishes them. Run interactively (no staging folder), the report only
displays.
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markdown_it import MarkdownIt

from socialops import __version__
from socialops.chapters import resolve_chapter, short_name
from socialops.inputs.tables import CHAPTER_TABLES
from socialops.inputs.window import parse_as_of, resolve_as_of
from socialops.report import charts, jsonsafe, masking
from socialops.report.findings import Message
from socialops.report.format import table_cell, table_column
from socialops.report.i18n import Translator
from socialops.report.summary import MAX_FINDINGS, Action, Finding, Said, Summary
from socialops.stats.timeframe import cut_at

STAGE_ENV = "SOCIALOPS_STAGE"
VALIDATED_ENV = "SOCIALOPS_VALIDATED"
#: Class of every block a report displays: Jupyter's math typesetting skips it, so "$x$" in data stays text.
INERT = "tex2jax_ignore"
# A value's place in a template while the template's Markdown is rendered: private-use characters, which no
# Markdown rule reads and no message or value holds.
_SLOT = "\ue000{}\ue001"
_SLOT_FOUND = re.compile("\ue000(\\d+)\ue001")
# Where a nested message's HTML goes in its outer message (see `Report._nested_html`).
_NESTED = "\ue002{}\ue003"
_MAX_NAME = 80
#: The summary's box: set apart from the sections below it.
_SUMMARY_STYLE = "border-left:4px solid #2b6cb0;background:#f7fafc;padding:0.4em 1em;margin:0.8em 0"


@cache
def _markdown() -> MarkdownIt:
    # CommonMark without raw HTML: the catalog's emphasis and code spans, no autolinks of bare addresses.
    return MarkdownIt("commonmark", {"html": False})


def message_html(t: Translator, key: str, values: Mapping[str, str]) -> str:
    r"""A catalog message as HTML: the template's own Markdown rendered, each value inserted as plain text.

    Parameters
    ----------
    t : Translator
        The report's translator.
    key : str
        Catalog key.
    values : Mapping[str, str]
        The template's values as display text.

    Returns
    -------
    str
        The message as HTML. The values never pass through the Markdown parser, so no link, emphasis, heading,
        list, math or markup is made from them: a value shows exactly as written, ``*`` and ``\`` included.
    """
    names = list(values)
    rendered = _markdown().render(t(key, **{name: _SLOT.format(i) for i, name in enumerate(names)}))
    return _SLOT_FOUND.sub(lambda m: html.escape(values[names[int(m.group(1))]]), rendered).strip()


def table_html(df: pd.DataFrame) -> str:
    """An escaped HTML table: numbers right-aligned with one number of decimals per column, text left-aligned."""
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns]
    cls = ['class="num"' if flag else 'class="txt"' for flag in numeric]
    header = "".join(f"<th {c}>{html.escape(str(name))}</th>" for c, name in zip(cls, df.columns, strict=True))
    # positional: a table may repeat a header
    columns = [table_column(df.iloc[:, i]) for i in range(df.shape[1])]
    rows = []
    for texts in zip(*columns, strict=True):
        cells = "".join(f"<td {c}>{html.escape(text)}</td>" for c, text in zip(cls, texts, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    return f'<table class="so-table {INERT}"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


@dataclass
class Report:
    """One chapter's report as a notebook builds it.

    Create it with :meth:`Report.start`; see ``docs/architecture.md`` for the calls a notebook makes.
    """

    chapter: str
    params: dict[str, Any]
    workspace: Any
    as_of: pd.Timestamp
    as_of_source: str
    main_table: str
    t: Translator
    stage: Path | None
    results: dict[str, Any] = field(default_factory=dict)
    headlines: list[dict[str, str]] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    #: The findings as displayed (plain text, masked) and each figure's title: the deck's summary and slide titles.
    findings: list[str] = field(default_factory=list)
    figure_titles: dict[str, str] = field(default_factory=dict)
    deck_images: dict[str, bytes] = field(default_factory=dict)
    #: The display under the header that the executive summary fills in once the chapter has computed it.
    summary_display: Any = field(default=None, repr=False)

    # ------------------------------------------------------------------ start
    @classmethod
    def start(cls, chapter: str, *, data_dir: str, lang: str = "en", audience: str = "client",
              client: str = "", as_of: str = "", engine: str = "duckdb", **chapter_params: Any) -> Report:
        """Open the chapter's data, resolve ``as_of``, apply the chart theme and display the header.

        Parameters
        ----------
        chapter : str
            Chapter id or short name.
        data_dir, lang, audience, client, as_of, engine
            The common parameters of DESIGN.md.
        **chapter_params
            The chapter's own parameters, recorded in the results.

        Returns
        -------
        Report
        """
        from socialops.inputs.workspace import open_workspace

        chapter = resolve_chapter(chapter)
        if audience not in ("client", "analyst"):
            raise ValueError(f"audience must be client or analyst, not {audience!r}")
        try:
            parse_as_of(as_of)  # the form, before any data is read
        except ValueError as error:
            raise ValueError(f"as_of: {error}") from None
        needs = CHAPTER_TABLES[chapter]
        tables = list(needs.all)
        if os.environ.get(VALIDATED_ENV) != "1":
            from socialops.inputs import contract  # imported only when needed: pandera takes a second to load

            contract.validate(data_dir, chapters=[chapter], engine=engine).raise_for_failures()
        workspace = open_workspace(data_dir, tables, engine=engine)
        main_table = needs.main_table([name for name in tables if workspace.has(name)])
        try:
            resolved, source = resolve_as_of(as_of, workspace, main_table)  # checked against the data's span
        except ValueError:
            workspace.close()
            raise
        stage = os.environ.get(STAGE_ENV)
        report = cls(
            chapter=chapter,
            params={"data_dir": data_dir, "lang": lang, "audience": audience, "client": client,
                    "as_of": as_of, "engine": engine, **chapter_params},
            workspace=workspace,
            as_of=resolved,
            as_of_source=source,
            main_table=main_table,
            t=Translator(lang, short_name(chapter)),
            stage=Path(stage) if stage else None,
        )
        charts.apply_theme()
        report._display_header()
        report._open_summary()
        return report

    # ------------------------------------------------------------------ data
    @property
    def lang(self) -> str:
        """The report language."""
        return self.t.lang

    @property
    def audience(self) -> str:
        """``client`` or ``analyst``."""
        return self.params["audience"]

    def has(self, name: str, column: str | None = None) -> bool:
        """Whether table ``name`` (and, if given, its optional ``column``) is present."""
        return self.workspace.has(name, column)

    def table(self, name: str):
        """Return the Ibis table ``name`` with the rows after ``as_of`` removed."""
        table = self.workspace.table(name)
        column = self.workspace.time_column(name)
        # a table without its (optional) time column, or a window with no end (no dated rows), is not cut
        if column is None or not self.has(name, column) or pd.isna(self.as_of):
            return table
        return cut_at(table, self.as_of, column)

    def data_range(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """First and last time of the main table, within the window."""
        low, high = self.workspace.date_range(self.main_table)
        if low is None:
            return None, None
        return pd.Timestamp(low), min(pd.Timestamp(high), self.as_of)

    # ------------------------------------------------------------------ display
    def col(self, name: str, **values: object) -> str:
        """The header of table column `name` in the report language (see :meth:`Translator.col`)."""
        return self.t.col(name, **values)

    def platform_label(self, platform: str) -> str:
        """A platform's display name in the report language (unknown ids are shown as given)."""
        return self.t.label("platform", platform)

    def mask(self, obj):
        """Mask personal data in a string, Series or DataFrame for the client audience."""
        if self.audience != "client":
            return obj
        return masking.mask(obj)

    def say(self, key: str, **values: object) -> None:
        """Display a translated finding: the catalog's Markdown rendered, the values masked and shown as text."""
        from IPython.display import HTML, display

        shown = {k: self.mask(v) if isinstance(v, str) else _fmt(v) for k, v in values.items()}
        finding = message_html(self.t, key, shown)
        self.findings.append(_plain(finding))
        display(HTML(f'<div class="so-finding {INERT}">{finding}</div>'))

    def note(self, key: str, **values: object) -> None:
        """Display a short muted note (a skipped section, a caveat)."""
        from IPython.display import HTML, display

        text = self.t(key, **{k: self.mask(v) if isinstance(v, str) else _fmt(v) for k, v in values.items()})
        display(HTML(f'<p class="so-note {INERT}">{html.escape(text)}</p>'))

    def skip(self, reason_key: str, **values: object) -> None:
        """Display that a section is skipped, with the reason from the catalog."""
        self.note("section_skipped", reason=self.t(reason_key, **values))

    def tell(self, messages: Message | Iterable[Message]) -> None:
        """Show one message or several, in order, each with the method its kind names (say, note or skip)."""
        shows = {"say": self.say, "note": self.note, "skip": self.skip}
        for message in [messages] if isinstance(messages, Message) else messages:
            shows[message.kind](message.key, **self.t.texts(message.values))

    def runs(self, skipped: Mapping[str, Message], section: str) -> bool:
        """Whether `section` runs; when `skipped` holds a message for it, tell that message and return False.

        The message says why the section is left out and what data would add it.
        """
        if section in skipped:
            self.tell(skipped[section])
            return False
        return True

    def show(self, df: pd.DataFrame, name: str, caption: str | None = None) -> None:
        """Display a table (masked for clients, escaped) and keep it for ``CHAPTER.xlsx``.

        Parameters
        ----------
        df : DataFrame
            The table as the reader should see it (translated headers, formatted where needed).
        name : str
            Sheet name in the workbook.
        caption : str, optional
            A caption shown above the table.
        """
        from IPython.display import HTML, display

        shown = self.mask(df)
        self.tables[name] = shown
        head = f'<p class="so-caption {INERT}">{html.escape(self.mask(caption))}</p>' if caption else ""
        display(HTML(head + table_html(shown)))

    def figure(self, fig, name: str) -> None:
        """Save a figure as ``CHAPTER_figures/<name>.png``, display it and close it."""
        import matplotlib.pyplot as plt
        from IPython.display import Image, display

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        title = _title_text(fig)
        if title is not None and self.stage is not None:  # the deck's slide states the title: the chart omits it
            self.figure_titles[name] = str(self.mask(title.get_text()))
            self.deck_images[name] = _without(fig, title)
        plt.close(fig)
        data = buffer.getvalue()
        if self.stage is not None:
            folder = self.stage / "figures"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{_safe_name(name)}.png").write_bytes(data)
        self.figures.append(name)
        display(Image(data=data, format="png"))

    def summarize(self, summary: Summary) -> None:
        """Show the executive summary at the top of the report and record it as ``summary`` and ``actions``.

        The findings and the action table fill the display left under the header by :meth:`start` (the executed
        notebook keeps the updated display, so the summary opens the report even though it is computed last).

        Parameters
        ----------
        summary : Summary
            The chapter's findings (at most five are shown), its actions and, on thin data, the line on what data
            would add more.
        """
        from IPython.display import HTML, display

        findings = [self._finding_record(f) for f in summary.findings[:MAX_FINDINGS]]
        actions = [self._action_record(a) for a in summary.actions]
        self.record({"summary": [{k: v for k, v in f.items() if k != "html"} for f in findings],
                     "actions": actions})
        page = HTML(self._summary_html(findings, actions, summary.more_data))
        if self.summary_display is not None:
            self.summary_display.update(page)
        else:
            display(page)

    def _shown(self, values: Mapping[str, object]) -> dict[str, str]:
        """A template's values as a finding shows them: in the report's language, masked, numbers formatted."""
        return {k: self.mask(v) if isinstance(v, str) else _fmt(v) for k, v in self.t.texts(dict(values)).items()}

    def _nested_html(self, message: Message) -> str:
        """A message as HTML whose values may be catalog messages themselves (`Said`), each rendered in place.

        A nested message keeps its own Markdown (code spans, emphasis), while its values and the outer ones stay
        plain text, as in `message_html`.
        """
        nested = {k: v.message for k, v in message.values.items() if isinstance(v, Said)}
        plain = {k: v for k, v in message.values.items() if k not in nested}
        page = message_html(self.t, message.key, {**self._shown(plain), **{k: _NESTED.format(k) for k in nested}})
        for name, inner in nested.items():
            page = page.replace(_NESTED.format(name), _inline(self._nested_html(inner)))
        return page

    def _finding_record(self, finding: Finding) -> dict[str, Any]:
        page = message_html(self.t, finding.message.key, self._shown(finding.message.values))
        return {"key": finding.message.key, "text": _plain(page), "value": finding.value,
                "section": finding.section, "html": page}

    def _action_record(self, action: Action) -> dict[str, Any]:
        size = action.size
        return {
            "key": action.what.key,
            "what": _plain(message_html(self.t, action.what.key, self._shown(action.what.values))),
            "where": self._shown({"where": Said(action.where) if isinstance(action.where, Message)
                                  else action.where})["where"],
            "kpi": action.kpi,
            "kpi_label": self.t(action.kpi),
            "expected": None if size is None else {"estimate": size.estimate, "low": size.low, "high": size.high,
                                                   "unit": size.unit},
            "expected_text": "" if size is None else _plain(message_html(self.t, size.text.key,
                                                                         self._shown(size.text.values))),
            "priority": action.priority,
            "section": action.section or None,
        }

    def _summary_html(self, findings: list[dict[str, Any]], actions: list[dict[str, Any]],
                      more: Message | None) -> str:
        t = self.t
        items = "".join(f"<li>{f['html']}</li>" for f in findings)
        body = f'<ol class="so-summary-findings">{items}</ol>' if findings else f"<p>{html.escape(t('summary_none'))}</p>"
        if more is not None:
            body += f'<p class="so-note">{_inline(self._nested_html(more))}</p>'
        if actions:
            rows = pd.DataFrame({
                t("action_col_what"): [a["what"] for a in actions],
                t("action_col_where"): [a["where"] for a in actions],
                t("action_col_kpi"): [a["kpi_label"] for a in actions],
                t("action_col_size"): [a["expected_text"] or "—" for a in actions],
                t("action_col_priority"): [t(f"priority_{a['priority']}") for a in actions],
            })
            body += f'<p class="so-caption"><strong>{html.escape(t("actions_title"))}</strong></p>{table_html(rows)}'
        return (f'<div class="so-summary {INERT}" style="{_SUMMARY_STYLE}">'
                f'<p class="so-summary-title"><strong>{html.escape(t("summary_title"))}</strong></p>{body}</div>')

    # ------------------------------------------------------------------ outputs
    def result(self, key: str, value: Any) -> None:
        """Record a key of ``CHAPTER.json``."""
        self.results[key] = value

    def record(self, results: Mapping[str, object]) -> None:
        """Record several keys of ``CHAPTER.json`` at once, in the mapping's order."""
        self.results.update(results)

    def headline(self, label: str, value: object) -> None:
        """Record a headline figure for ``index.html`` (label and value as the reader should see them)."""
        self.headlines.append({"label": str(self.mask(str(label))), "value": str(self.mask(str(value)))})

    def export_csv(self, df: pd.DataFrame, name: str) -> Path | None:
        """Write an analyst-only, formula-safe CSV (e.g. a CRM list); does nothing for clients."""
        if self.audience == "client" or self.stage is None:
            return None
        from socialops.report import exports

        folder = self.stage / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{_safe_name(name)}.csv"
        exports.write_csv(df, path)
        return path

    def export_table(self, table, name: str) -> Path | None:
        """Have the engine write an analyst-only, formula-safe CSV of an engine table (e.g. a CRM list).

        The rows go from the engine to ``exports/NAME.csv`` without passing through Python (see
        `exports.write_table_csv`); does nothing for clients.
        """
        if self.audience == "client" or self.stage is None:
            return None
        from socialops.report import exports

        path = self.stage / "exports" / f"{_safe_name(name)}.csv"
        return exports.write_table_csv(table, path)

    def document(self) -> dict[str, Any]:
        """The results contract of DESIGN.md: common keys first, then the chapter's."""
        low, high = self.data_range()
        params = {k: (masking.mask_text(v) if isinstance(v, str) and self.audience == "client" else v)
                  for k, v in self.params.items()}
        if self.audience == "client":
            params["data_dir"] = Path(str(self.params["data_dir"])).name
        return {
            "chapter": self.chapter,
            "socialops_version": __version__,
            "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "params": params,
            "inputs": self.workspace.inputs(),
            "engine": self.params["engine"].split("://")[0],
            "as_of": None if pd.isna(self.as_of) else self.as_of.isoformat(),
            "as_of_source": self.as_of_source,
            "data_range": [low.isoformat() if low is not None else None,
                           high.isoformat() if high is not None else None],
            "headline": self.headlines,
            "warnings": self.workspace.warnings(),
            "summary": [],  # every results document holds both; :meth:`summarize` fills them
            "actions": [],
            **self.results,
        }

    def finish(self) -> None:
        """Write the results, tables and figures to the staging folder (the notebook's last step)."""
        if self.stage is None:
            return
        from socialops.report import deck, exports

        self.stage.mkdir(parents=True, exist_ok=True)
        document = self.document()
        if self.tables:
            exports.write_xlsx(self.tables, self.stage / "tables.xlsx", self._workbook_info(document))
        deck.write_deck(self._deck(document), self.stage / "deck.pptx")
        payload = jsonsafe.dumps(document, indent=2, ensure_ascii=False)
        tmp = self.stage / "results.json.tmp"
        tmp.write_text(payload, encoding="utf-8")
        os.replace(tmp, self.stage / "results.json")

    # ------------------------------------------------------------------ workbook and deck
    def _source(self, document: Mapping[str, Any]) -> str:
        files = ", ".join(info.get("file", name) for name, info in (document.get("inputs") or {}).items()
                          if isinstance(info, Mapping))
        return f"{files} · socialops {__version__}" if files else f"socialops {__version__}"

    def _workbook_info(self, document: Mapping[str, Any]):
        from socialops.report import deck, exports

        t = Translator(self.lang, "office")
        title = t("xlsx_title", chapter=f"{self.chapter[:2]} {self.t(f'ch_{self.chapter}')}",
                  client=self.mask(self.params["client"]) or t("no_client"),
                  period=deck.chapter_period(document) or "—", source=self._source(document))
        return exports.WorkbookInfo(self.lang, title)

    def _deck(self, document: Mapping[str, Any]):
        """The chapter's deck: title, executive summary, then one slide per chart the report drew."""
        from socialops.report import deck, exports

        t = Translator(self.lang, "office")
        headlines = [(h["label"], h["value"]) for h in self.headlines]
        points = deck.summary_points(document) or self.findings
        summary = deck.SummarySlide(t("deck_summary"), headlines, points,
                                    notes=deck.notes_lines(t("deck_notes_headline"), headlines))
        slides: list = [summary]
        for name in self.figures:
            image = self.deck_images.get(name) or self.stage / "figures" / f"{_safe_name(name)}.png"
            table = self.tables.get(name)
            notes = (deck.notes_from_table(table, t("deck_notes_numbers")) if table is not None
                     else deck.notes_lines(t("deck_notes_headline"), headlines))
            title = self.figure_titles.get(name) or exports.sheet_label(name, t)
            slides.append(deck.ChartSlide(title, image, notes))
        edition = t(f"deck_edition_{self.audience}")
        footer = f"{edition} · {document['generated_at'][:10]} · {t('deck_source', source=self._source(document))}"
        subtitle = t("deck_subtitle", client=self.mask(self.params["client"]) or t("no_client"),
                     period=deck.chapter_period(document) or "—")
        title = t("deck_chapter_title", number=self.chapter[:2], name=self.t(f"ch_{self.chapter}"))
        return deck.Deck(self.lang, title, subtitle, footer, slides)

    # ------------------------------------------------------------------ header
    def _open_summary(self) -> None:
        """Leave an empty display under the header for :meth:`summarize` to fill in."""
        from IPython.display import HTML, DisplayHandle

        self.summary_display = DisplayHandle()
        self.summary_display.display(HTML(f'<div class="so-summary {INERT}"></div>'))

    def _display_header(self) -> None:
        from IPython.display import HTML, display

        low, high = self.data_range()
        fmt = "%Y-%m-%d %H:%M"
        span = f"{low:%Y-%m-%d} – {high:%Y-%m-%d}" if low is not None else self.t("no_data_range")
        source = (self.t("header_as_of_latest", table=self.main_table) if self.as_of_source == "latest"
                  else self.t("header_as_of_given"))
        rows = [
            (self.t("header_client"), self.mask(self.params["client"]) or "—"),
            (self.t("header_data_range"), span),
            (self.t("header_as_of"),
             self.t("no_data_range") if pd.isna(self.as_of)
             else self.t("header_as_of_value", moment=f"{self.as_of:{fmt}}", source=source)),
            (self.t("header_generated"), datetime.now().strftime(fmt)),
            (self.t("header_engine"), self.params["engine"].split("://")[0]),
        ]
        edition = self.t(f"header_audience_{self.audience}")
        cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        kicker = f"{self.t('suite_name')} · {self.chapter[:2]} {self.t(f'ch_{self.chapter}')}"
        display(HTML(
            f'<div class="so-header"><p class="so-kicker">{html.escape(kicker)}</p>'
            f'<table class="so-meta">{cells}</table><p class="so-edition">{html.escape(edition)}</p></div>'
        ))


def _fmt(value: object) -> str:
    return table_cell(value) if isinstance(value, int | float | np.number) and not isinstance(value, bool) else str(value)


def _inline(html_text: str) -> str:
    """One rendered paragraph without its ``<p>`` tags, to sit inside another block."""
    return re.sub(r"^<p>(.*)</p>$", r"\1", html_text.strip(), flags=re.S)


def _plain(html_text: str) -> str:
    """A rendered message as plain text: tags dropped, entities read, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", html_text)).split())


def _title_text(fig):
    """The text artist of a figure's title: its suptitle, else the first axes title wherever the theme put it."""
    if fig._suptitle is not None and fig._suptitle.get_text():
        return fig._suptitle
    for ax in fig.axes:
        for text in (ax.title, ax._left_title, ax._right_title):
            if text.get_text():
                return text
    return None


def _without(fig, title) -> bytes:
    """The figure as PNG without its title (restored afterwards)."""
    text = title.get_text()
    title.set_text("")
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png")
    finally:
        title.set_text(text)
    return buffer.getvalue()


def _safe_name(name: str) -> str:
    # A file name from data: word characters, dots and dashes only, no leading dot, no path, not too long.
    return re.sub(r"[^\w.-]+", "_", name)[:_MAX_NAME].strip("._") or "item"
