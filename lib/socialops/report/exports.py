"""Formula-safe spreadsheet exports (``CHAPTER.xlsx`` and analysts' CSV lists).

The workbook is made for consultants who build charts and decks from it: numbers are numbers with Excel number
formats (an estimate shown with its interval becomes three columns: estimate, low and high), sheet and column names
are in the report's language, and each sheet opens with a title row (chapter, client, period, source) and a units
row above the header.

Text from social platforms is untrusted: a comment reading ``=HYPERLINK("http://evil", "click")`` must never
become a live formula when a client opens the export (CSV injection, OWASP). CSV cells are neutralised with a
leading apostrophe; xlsx cells are written as typed string cells, never as formulas, with Excel's quote-prefix
flag on text that would look like a formula if retyped. Files appear only when complete.

Row-level lists (a CRM list of every user) are written by the engine itself (`write_table_csv`): the rows go from
the engine to the file without passing through Python, neutralised and formatted inside the query.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import xlsxwriter

from socialops.report.format import CURRENCIES, DASH, is_missing
from socialops.report.i18n import Translator

__all__ = ["SheetColumn", "WorkbookInfo", "atomic_path", "csv_text", "neutralize", "neutralized", "sheet_label",
           "typed_columns", "write_csv", "write_table_csv", "write_xlsx"]

# The OWASP list of characters that start a formula, plus their full-width forms that Chinese input methods
# produce. Hand-written: the rule is one line and the maintained packages for it cover CSV only.
_FORMULA_START = frozenset("=+-@\t\r＝＋－＠")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_SHEET_MAX = 31
_WIDTH_MIN, _WIDTH_MAX = 6, 60


def _is_risky(text: str) -> bool:
    # Spreadsheets skip leading spaces before reading "=", so look past them.
    stripped = text.lstrip(" ")
    return bool(stripped) and stripped[0] in _FORMULA_START


def neutralize(value: Any) -> Any:
    """Make one cell value safe to open in a spreadsheet.

    Parameters
    ----------
    value : Any
        A cell value.

    Returns
    -------
    Any
        Text that a spreadsheet could read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
        carriage return, possibly after spaces) gets a leading ``'``; every other value, numbers included, is
        returned unchanged.
    """
    if isinstance(value, str) and _is_risky(value):
        return "'" + value
    return value


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` and move it into place when the block succeeds.

    Parameters
    ----------
    path : str or os.PathLike
        The final file. Its folder is created if missing.

    Yields
    ------
    pathlib.Path
        A hidden temporary name in the same folder (so the final ``os.replace`` is atomic). It is removed
        if the block raises, and readers never see a half-written ``path``.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """One header row, and a meaningful index (named, or not plain row numbers) turned into columns."""
    named = any(n is not None for n in df.index.names)
    if named or not pd.api.types.is_integer_dtype(df.index.dtype):
        df = df.reset_index()
    if isinstance(df.columns, pd.MultiIndex):
        df = df.copy()
        df.columns = [" / ".join(str(p) for p in parts if str(p)) for parts in df.columns]
    return df


def _sheet_names(names: list[str]) -> list[str]:
    r"""Valid Excel sheet names: no ``[]:*?/\``, not blank, at most 31 characters, unique ignoring case."""
    out: list[str] = []
    taken: set[str] = set()
    for i, raw in enumerate(names, start=1):
        base = _BAD_SHEET_CHARS.sub("_", str(raw)).strip().strip("'") or f"Sheet{i}"
        if base.casefold() == "history":  # reserved by Excel
            base += "_"
        name, n = base[:_SHEET_MAX], 1
        while name.casefold() in taken:
            n += 1
            suffix = f"~{n}"
            name = base[: _SHEET_MAX - len(suffix)] + suffix
        taken.add(name.casefold())
        out.append(name)
    return out


def _display_width(text: str) -> int:
    # Wide (CJK) characters take two columns in a spreadsheet cell.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, pd.Timestamp):
        return value.strftime(
            "%Y-%m-%d %H:%M:%S" if (value.hour or value.minute or value.second) else "%Y-%m-%d"
        )
    return "" if is_missing(value) else str(value)


# ------------------------------------------------------------------ numbers shown as text, read back as numbers

# A number as the report's formatters write it: a sign, an optional currency (a symbol, or an ISO 4217 code and a
# space as `format.money` writes amounts), digits grouped by thousands (no leading zero, so codes such as "010"
# stay text), decimals and an optional unit.
_CODE = "(?:" + "|".join(sorted(CURRENCIES)) + ") "
_NUMBER = (rf"(?P<cur>{_CODE})?(?P<sign>[+\-−]?)(?P<sym>[¥$€£])?"
           r"(?P<int>0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?:\.(?P<dec>\d+))?"
           r"(?P<unit>%| ?pp| ?百分点| ?[a-zA-Z]{1,5}| ?[\u4e00-\u9fff]{1,3})?")
_ONE = re.compile(_NUMBER)
_DASHES = "[–—-]"
_VALUE = rf"(?:{_CODE})?\S+"  # one shown value, an amount's currency code included
_INTERVAL = re.compile(
    rf"(?P<est>{_VALUE}) [(（](?P<low>{_VALUE}) {_DASHES} (?P<high>{_VALUE})[)）](?P<mark> ?[*＊†]+)?")
_SPAN = re.compile(rf"(?P<low>{_VALUE}) {_DASHES} (?P<high>{_VALUE})")
_BRACKETS = re.compile(r"\[(?P<low>[^,\s]+), ?(?P<high>[^,\s]+)\]")
# A value known only as a bound ("< 0.001"): kept as text among the column's numbers.
_BOUND = re.compile(r"[<>≤≥] ?\S+(?: \S+)?")
_HEADER_UNIT = re.compile(r"[(（]([^()（）]+)[)）]\s*$")
_BLANKS = frozenset({"", DASH, "–", "-", "n/a", "NA"})


@dataclass(frozen=True)
class _Number:
    value: float
    unit: str  # "%" for a percentage (value already divided by 100), a currency symbol, "CNY " (a code written
    # before the amount), a unit word or ""
    decimals: int
    signed: bool
    grouped: bool


def _number(text: str) -> _Number | None:
    match = _ONE.fullmatch(text.strip())
    if not match:
        return None
    digits = match["int"].replace(",", "") + (f".{match['dec']}" if match["dec"] else "")
    value = float(digits) * (-1 if match["sign"] in ("-", "−") else 1)
    unit = (match["unit"] or "").strip()
    if unit == "%":
        value /= 100
    return _Number(round(value, 12), match["cur"] or match["sym"] or unit, len(match["dec"] or ""),
                   match["sign"] == "+", "," in match["int"])


@dataclass(frozen=True)
class _Cell:
    est: _Number | None
    low: _Number | None = None
    high: _Number | None = None
    mark: str = ""
    text: str | None = None  # a bound, kept as written


def _end(text: str) -> _Number | None | bool:
    """One end of an interval: a number, None when shown missing, False when not a number."""
    return None if text in _BLANKS else (_number(text) or False)


def _cell(text: str) -> _Cell | None:
    """A shown cell read back: a number, a number with its interval, an interval alone or a bound; None else."""
    text = text.strip()
    if text in _BLANKS:
        return _Cell(None)
    if (plain := _number(text)) is not None:
        return _Cell(plain)
    for pattern in (_INTERVAL, _SPAN, _BRACKETS):
        match = pattern.fullmatch(text)
        if not match:
            continue
        low, high = _end(match["low"]), _end(match["high"])
        est = _number(match["est"]) if "est" in pattern.groupindex else None
        if low is not False and high is not False and (est is not None or "est" not in pattern.groupindex):
            return _Cell(est, low, high, (match.groupdict().get("mark") or "").strip())
    if _BOUND.fullmatch(text) and _number(text[1:]) is not None:
        return _Cell(None, text=text)
    return None


def _excel_format(numbers: list[_Number]) -> str:
    """One Excel number format for a column: the most decimals shown, the sign when any value shows one."""
    decimals = max(n.decimals for n in numbers)
    unit = numbers[0].unit
    grouped = any(n.grouped or abs(n.value) >= 1000 for n in numbers)
    body = ("#,##0" if grouped else "0") + ("." + "0" * decimals if decimals else "")
    if unit == "%":
        body += "%"
    elif unit.endswith(" ") or (unit in "¥$€£" and unit):
        body = f'"{unit}"{body}'
    elif unit:
        body += f'" {unit}"'
    if any(n.signed for n in numbers):
        return f"+{body};-{body};{body}"
    return body


@dataclass(frozen=True)
class SheetColumn:
    """One column as the workbook writes it.

    Attributes
    ----------
    header : str
        Column name.
    values : list
        Cell values: numbers, text, dates or None (blank).
    num_format : str or None
        Excel number format of the column's numbers.
    unit : str
        Text of the units row.
    cell_formats : tuple, optional
        One number format per cell, for a column whose rows hold different units.
    """

    header: str
    values: list
    num_format: str | None = None
    unit: str = ""
    cell_formats: tuple[str | None, ...] | None = None


def _unit_text(unit: str, header: str, t: Translator) -> str:
    if unit == "%":
        return t("unit_percent")
    if unit in ("pp", "百分点"):
        return t("unit_points")
    if unit:
        return unit.strip()
    found = _HEADER_UNIT.search(header)
    return found.group(1) if found else ""


def _read_back(header: str, values: list, t: Translator) -> list[SheetColumn] | None:
    """A text column whose every cell is a shown number, as number columns; None when any cell is other text.

    A column of one unit gets one format; a column whose rows hold different units (a table of metrics) gets each
    cell the format its row showed.
    """
    cells = [_cell(v) if isinstance(v, str) else (None if not is_missing(v) else _Cell(None)) for v in values]
    if any(c is None for c in cells):
        return None
    numbers = [n for c in cells for n in (c.est, c.low, c.high) if n is not None]
    if not numbers:
        return None
    units = {n.unit for n in numbers}
    unit = _unit_text(numbers[0].unit, header, t) if len(units) == 1 else ""

    def column(name: str, part: str) -> SheetColumn:
        parts = [getattr(c, part) for c in cells]
        shown = [n.value if n is not None else (c.text if part == "est" else None) for n, c in zip(parts, cells, strict=True)]
        if len(units) == 1:
            return SheetColumn(name, shown, _excel_format(numbers), unit)
        rows = [[n for n in (c.est, c.low, c.high) if n is not None] for c in cells]
        return SheetColumn(name, shown, None, unit, tuple(_excel_format(r) if r else None for r in rows))

    out = []
    if any(c.est is not None or c.text for c in cells):
        out.append(column(header, "est"))
    if any(c.low is not None for c in cells):
        out += [column(t("xlsx_low", column=header), "low"), column(t("xlsx_high", column=header), "high")]
    if any(c.mark for c in cells):
        out.append(SheetColumn(t("xlsx_mark", column=header), [c.mark or None for c in cells]))
    return out


def _float_format(values: list) -> str:
    """The format of a column of raw numbers: as many decimals as the report's table cells show."""
    finite = [abs(float(v)) for v in values if not is_missing(v) and np.isfinite(float(v))]
    if all(float(v).is_integer() for v in finite):
        return "#,##0"
    top = max(finite, default=0.0)
    return "#,##0" if top >= 1000 else "#,##0.0" if top >= 10 else "0.00" if top >= 1 else "0.000"


def typed_columns(df: pd.DataFrame, t: Translator) -> list[SheetColumn]:
    """A shown table's columns as numbers with formats, ready for a workbook.

    Parameters
    ----------
    df : pandas.DataFrame
        A table as the report shows it: numbers formatted as text (``"4.1% (4.0% – 4.2%)"``, ``"12,346"``,
        ``"+1.3 pp"``) or raw numbers.
    t : Translator
        The report's translator (names of the interval columns, units).

    Returns
    -------
    list of SheetColumn
        A text column whose every cell is a shown number becomes number columns: the estimate, and when the cells
        carry an interval, its low and high ends in their own columns, all with the Excel format the text showed
        (percent, decimals, thousands, currency, sign); a marker after an interval (``*``) gets its own column.
        Raw numbers keep their full precision with the decimals the report shows; other columns are unchanged.
        Read-back values are the values the report shows, rounded as shown.
    """
    out: list[SheetColumn] = []
    for i, name in enumerate(df.columns):
        header, series = str(name), df.iloc[:, i]
        values = series.tolist()
        if _may_hold_text(series.dtype):
            out += _read_back(header, values, t) or [SheetColumn(header, values)]
        elif pd.api.types.is_bool_dtype(series.dtype):
            out.append(SheetColumn(header, values))
        elif pd.api.types.is_numeric_dtype(series.dtype):
            out.append(SheetColumn(header, values, _float_format(values), _unit_text("", header, t)))
        else:
            out.append(SheetColumn(header, values, unit=t("unit_date")))
    return out


def sheet_label(name: str, t: Translator) -> str:
    """A table's sheet name in the report's language (catalog ``sheet_<name>``), else the name as given."""
    key = f"sheet_{name}"
    return t(key) if t.has(key) else name


@dataclass(frozen=True)
class WorkbookInfo:
    """What the workbook says above each table.

    Attributes
    ----------
    lang : str
        The report's language (sheet names, interval columns and units).
    title : str
        The title row: chapter, client, period and source.
    """

    lang: str
    title: str

    @property
    def translator(self) -> Translator:
        """The translator of the workbook's labels."""
        return Translator(self.lang, "office")


class _Writer:
    """Writes one DataFrame cell by cell with an explicit type, so no text is ever parsed as a formula."""

    def __init__(self, book: xlsxwriter.Workbook):
        self.header = book.add_format({"bold": True, "bottom": 1})
        self.header_quoted = book.add_format({"bold": True, "bottom": 1, "quote_prefix": True})
        self.quoted = book.add_format({"quote_prefix": True})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.title = book.add_format({"bold": True, "font_size": 12})
        self.unit = book.add_format({"italic": True, "font_color": "#4a5568"})
        self.book = book
        self.numbers: dict[str, Any] = {}

    def number_format(self, code: str | None):
        """The cell format of an Excel number format code (one per code in the workbook)."""
        if code is None:
            return None
        if code not in self.numbers:
            self.numbers[code] = self.book.add_format({"num_format": code})
        return self.numbers[code]

    def text(self, sheet, row: int, col: int, value: str, header: bool = False) -> None:
        if header:
            fmt = self.header_quoted if _is_risky(value) else self.header
        else:
            fmt = self.quoted if _is_risky(value) else None
        sheet.write_string(row, col, value, fmt)

    def cell(self, sheet, row: int, col: int, value: Any, number_format=None) -> None:
        if is_missing(value):
            sheet.write_blank(row, col, None)
        elif isinstance(value, (bool, np.bool_)):
            sheet.write_boolean(row, col, bool(value))
        elif isinstance(value, (int, float, np.integer, np.floating)):
            if np.isfinite(value):
                sheet.write_number(row, col, float(value), number_format)
            else:
                sheet.write_blank(row, col, None)
        elif isinstance(value, (dt.datetime, dt.date)):
            value = pd.Timestamp(value)
            # xlsx has no time zones: keep the local wall-clock time the report shows.
            naive = value.tz_localize(None) if value.tzinfo else value
            midnight = naive == naive.normalize()
            sheet.write_datetime(row, col, naive.to_pydatetime(), self.date if midnight else self.datetime)
        else:
            self.text(sheet, row, col, str(value))

    def frame(self, sheet, df: pd.DataFrame) -> None:
        widths = []
        for col, name in enumerate(df.columns):
            header = str(name)
            self.text(sheet, 0, col, header, header=True)
            width = _display_width(header)
            for row, value in enumerate(df.iloc[:, col].tolist(), start=1):
                self.cell(sheet, row, col, value)
                width = max(width, _display_width(_cell_text(value)))
            widths.append(width)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(max(width + 2, _WIDTH_MIN), _WIDTH_MAX))
        sheet.freeze_panes(1, 0)

    def columns(self, sheet, columns: list[SheetColumn], title: str, unit_label: str) -> None:
        """Title row, units row, header row, then the typed columns; the three rows stay in view."""
        self.text(sheet, 0, 0, title)
        sheet.set_row(0, None, self.title)
        if columns and not columns[0].unit:  # the first column is mostly labels: its units cell names the row
            self.text(sheet, 1, 0, unit_label)
        for col, column in enumerate(columns):
            if column.unit:
                self.text(sheet, 1, col, column.unit)
            self.text(sheet, 2, col, column.header, header=True)
            formats = column.cell_formats or [column.num_format] * len(column.values)
            width = max(_display_width(column.header), _display_width(column.unit))
            for row, (value, code) in enumerate(zip(column.values, formats, strict=True), start=3):
                self.cell(sheet, row, col, value, self.number_format(code))
                width = max(width, _display_width(_cell_text(value)) + (2 if column.num_format else 0))
            sheet.set_column(col, col, min(max(width + 2, _WIDTH_MIN), _WIDTH_MAX))
        sheet.set_row(1, None, self.unit)
        sheet.freeze_panes(3, 0)


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | os.PathLike, info: WorkbookInfo | None = None) -> Path:
    """Write tables to one formula-safe workbook, atomically.

    Parameters
    ----------
    sheets : Mapping[str, pandas.DataFrame]
        Sheet name to table, in order. Names are made valid for Excel (forbidden characters replaced, at most
        31 characters, unique ignoring case). A non-default index is written as leading columns.
    path : str or os.PathLike
        The ``.xlsx`` file to write.
    info : WorkbookInfo, optional
        The report's workbook: sheet names are translated (:func:`sheet_label`), each sheet starts with the
        title row and a units row above its header, and numbers shown as text are written as numbers
        (:func:`typed_columns`). Without it, each table is written as given under a plain header row.

    Returns
    -------
    pathlib.Path
        The written file.

    Notes
    -----
    Every text cell is a string cell, never a formula; text that looks like a formula also carries Excel's
    quote-prefix flag so that editing the cell keeps it text. Numbers stay numbers (NaN and infinities are
    left blank), timestamps are dates. The header row is bold and frozen; column widths follow the content.
    """
    final = Path(path)
    with atomic_path(final) as tmp:
        options = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
        book = xlsxwriter.Workbook(str(tmp), options)
        writer = _Writer(book)
        t = info.translator if info else None
        names = _sheet_names([sheet_label(name, t) if t else name for name in sheets])
        for name, df in zip(names, sheets.values(), strict=True):
            if info is None:
                writer.frame(book.add_worksheet(name), _flat(df))
            else:
                writer.columns(book.add_worksheet(name), typed_columns(_flat(df), t), info.title, t("xlsx_unit"))
        if not names:  # a workbook needs one sheet to be valid
            book.add_worksheet()
        book.close()
    return final


def _may_hold_text(dtype: Any) -> bool:
    types = pd.api.types
    return not (
        types.is_numeric_dtype(dtype)
        or types.is_datetime64_any_dtype(dtype)
        or types.is_timedelta64_dtype(dtype)
    )


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a formula-safe CSV file that Excel opens with Chinese text intact, atomically.

    Parameters
    ----------
    df : pandas.DataFrame
        The table. A non-default index is written as leading columns.
    path : str or os.PathLike
        The ``.csv`` file to write.

    Returns
    -------
    pathlib.Path
        The written file: UTF-8 with a byte-order mark (Excel needs it to detect UTF-8), every header and text
        cell passed through :func:`neutralize`, numbers as numbers, missing values empty.
    """
    final = Path(path)
    flat = _flat(df)
    safe = flat.copy()
    safe.columns = [neutralize(str(c)) for c in flat.columns]
    for i in range(safe.shape[1]):
        column = safe.iloc[:, i]
        if _may_hold_text(column.dtype):
            safe.isetitem(i, column.astype(object).map(neutralize, na_action="ignore"))
    with atomic_path(final) as tmp:
        safe.to_csv(tmp, index=False, encoding="utf-8-sig")
    return final


# ------------------------------------------------------------------ lists written by the engine

#: The decimals a float keeps in an engine-written CSV (money sums are exact to as many, `stats.rfm.AMOUNT_SCALE`).
CSV_DECIMALS = 6


def neutralized(value: ir.StringValue) -> ir.StringValue:
    """:func:`neutralize` as an engine expression: text a spreadsheet could read as a formula gets a leading ``'``.

    Parameters
    ----------
    value : ibis.StringValue
        A text column.

    Returns
    -------
    ibis.StringValue
        ``'`` + the text where it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or their
        full-width forms), possibly after spaces; the text unchanged elsewhere, null where null.
    """
    first = value.re_replace("^ +", "").substr(0, 1)
    return ibis.ifelse(first.isin(sorted(_FORMULA_START)), ibis.literal("'") + value, value)


def _plain(number: ir.DecimalValue) -> ir.StringValue:
    """A decimal with a fraction as Python writes a float: plain digits, trailing zeros dropped but one."""
    return number.cast("string").re_replace("0+$", "").re_replace("[.]$", ".0")


def csv_text(table: ir.Table) -> ir.Table:
    """`table` as the text of a formula-safe CSV, computed by the engine, in the same order.

    Parameters
    ----------
    table : ibis.Table
        The rows to export, in the order to write them.

    Returns
    -------
    ibis.Table
        One text column per column of `table`, written the same on every engine: text neutralised
        (:func:`neutralized`), integers as integers (a missing score stays empty, never ``4.0``), booleans as
        ``True``/``False``, decimals and floats in plain notation without trailing zeros (floats rounded to
        `CSV_DECIMALS` places), timestamps as ``YYYY-MM-DD HH:MM:SS`` and dates as ``YYYY-MM-DD``; null stays
        null. Column names are neutralised too, and the first starts with a byte-order mark, so that the file
        opens in Excel as UTF-8 (Chinese text intact) like :func:`write_csv`'s.
    """
    columns = {}
    for i, (name, dtype) in enumerate(table.schema().items()):
        value = table[name]
        if dtype.is_string():
            text = neutralized(value)
        elif dtype.is_boolean():
            text = ibis.cases((value, "True"), (~value, "False"))
        elif dtype.is_decimal() and dtype.scale:
            text = _plain(value)
        elif dtype.is_floating():
            # rounded from the float's shortest text (DuckDB's direct cast scales in floating point and makes up
            # digits past 2^53); beyond a decimal's range, or NaN, the engine's own text
            shortest = value.cast("string")
            text = ibis.coalesce(_plain(shortest.try_cast(f"decimal(38, {CSV_DECIMALS})")), shortest)
        elif dtype.is_timestamp():
            text = value.strftime("%Y-%m-%d %H:%M:%S")
        elif dtype.is_date():
            text = value.strftime("%Y-%m-%d")
        else:
            text = value.cast("string")
        columns[("\ufeff" if i == 0 else "") + str(neutralize(name))] = text
    return table.select(**columns)


def write_table_csv(table: ir.Table, path: str | os.PathLike) -> Path:
    """Write an engine table to a formula-safe CSV with the engine's own writer, atomically.

    Parameters
    ----------
    table : ibis.Table
        The rows, in the order to write them.
    path : str or os.PathLike
        The ``.csv`` file to write, in a folder the engine can write to.

    Returns
    -------
    pathlib.Path
        The written file: UTF-8 with a byte-order mark, a header row, the cells of :func:`csv_text` quoted where
        needed (RFC 4180), missing values empty.

    Notes
    -----
    DuckDB writes the file with ``COPY``; Spark with its DataFrame writer, one task writing the rows in order into
    a folder of part files, whose one part becomes the file (the folder is not kept); other backends stream the
    rows through Python (Ibis' ``to_csv``). Nothing is created in the engine's database.
    """
    from socialops.inputs.readers import sql_string

    final = Path(path)
    text = csv_text(table)
    con = ibis.get_backend(table)
    with atomic_path(final) as tmp:
        if con.name == "duckdb":
            con.raw_sql(f"COPY ({con.compile(text)}) TO {sql_string(str(tmp))} (FORMAT csv, HEADER true)")
        elif con.name == "pyspark":
            _spark_write_csv(con, text, tmp)
        else:
            con.to_csv(text, tmp)
    return final


def _spark_write_csv(con, text: ir.Table, path: Path) -> None:
    """Have Spark write `text` as one CSV file at `path`: a single task writes the sorted rows, in their order."""
    parts = path.with_name(path.name + ".parts")
    # coalesce(1) joins the sorted partitions in their order without another shuffle
    frame = con._session.sql(con.compile(text)).coalesce(1)
    try:
        # Spark's defaults differ from RFC 4180 and DuckDB: quotes escaped by a backslash, cells trimmed
        frame.write.csv(str(parts), header=True, quote='"', escape='"', ignoreLeadingWhiteSpace=False,
                        ignoreTrailingWhiteSpace=False, lineSep="\n", encoding="UTF-8")
        (part,) = parts.glob("part-*")
        os.replace(part, path)
    finally:
        shutil.rmtree(parts, ignore_errors=True)
