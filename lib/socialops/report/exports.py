"""Formula-safe spreadsheet exports (``CHAPTER.xlsx`` and analysts' CSV lists).

Text from social platforms is untrusted: a comment reading ``=HYPERLINK("http://evil", "click")`` must never
become a live formula when a client opens the export (CSV injection, OWASP). CSV cells are neutralised with a
leading apostrophe; xlsx cells are written as typed string cells, never as formulas, with Excel's quote-prefix
flag on text that would look like a formula if retyped. Files appear only when complete.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import unicodedata
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from socialops.report.format import is_missing

__all__ = ["atomic_path", "neutralize", "write_csv", "write_xlsx"]

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


class _Writer:
    """Writes one DataFrame cell by cell with an explicit type, so no text is ever parsed as a formula."""

    def __init__(self, book: xlsxwriter.Workbook):
        self.header = book.add_format({"bold": True, "bottom": 1})
        self.header_quoted = book.add_format({"bold": True, "bottom": 1, "quote_prefix": True})
        self.quoted = book.add_format({"quote_prefix": True})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})

    def text(self, sheet, row: int, col: int, value: str, header: bool = False) -> None:
        if header:
            fmt = self.header_quoted if _is_risky(value) else self.header
        else:
            fmt = self.quoted if _is_risky(value) else None
        sheet.write_string(row, col, value, fmt)

    def cell(self, sheet, row: int, col: int, value: Any) -> None:
        if is_missing(value):
            sheet.write_blank(row, col, None)
        elif isinstance(value, (bool, np.bool_)):
            sheet.write_boolean(row, col, bool(value))
        elif isinstance(value, (int, float, np.integer, np.floating)):
            if np.isfinite(value):
                sheet.write_number(row, col, float(value))
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


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | os.PathLike) -> Path:
    """Write tables to one formula-safe workbook, atomically.

    Parameters
    ----------
    sheets : Mapping[str, pandas.DataFrame]
        Sheet name to table, in order. Names are made valid for Excel (forbidden characters replaced, at most
        31 characters, unique ignoring case). A non-default index is written as leading columns.
    path : str or os.PathLike
        The ``.xlsx`` file to write.

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
        names = _sheet_names(list(sheets))
        for name, df in zip(names, sheets.values(), strict=True):
            writer.frame(book.add_worksheet(name), _flat(df))
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
