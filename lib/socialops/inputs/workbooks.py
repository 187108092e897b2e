"""Reading one sheet of an ``.xlsx`` workbook as text cells, or refusing it with what to set.

A workbook is read from the sheet and header row its table's settings name (the first sheet and row 1 by
default). Four layouts that would be misread are refused instead, each saying what it is: a title row above the
header (``header_row``), the data on another sheet than the first (``sheet``), merged cells in the header or the
data (only a merge's first cell holds its value), and formulas whose values were never saved (a workbook written
by a program that does not calculate: openpyxl, pandas, many exporters).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from socialops.inputs.layout import (
    HEADER_SEARCH_ROWS,
    ReadError,
    filled,
    how_to_set,
    is_header,
    misplaced_header,
)

#: First bytes of an OLE compound file: what Excel writes for an encrypted workbook (and for old .xls files).
_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_CHUNK = 1 << 20
_NS = rb"(?:\w+:)?"
#: A cell whose first child is a formula, with its attributes and the value element after the formula, if any.
_FORMULA_CELL = re.compile(
    rb"<" + _NS + rb"c\b([^>]*)>\s*<" + _NS + rb"f\b[^>]*?(?:/>|>[^<]*</" + _NS + rb"f>)\s*"
    rb"(?:<" + _NS + rb"v\s*/>|<" + _NS + rb"v>([^<]*)</" + _NS + rb"v>)?"
)
_MERGE = re.compile(rb"<" + _NS + rb"mergeCell\b[^>]*?\bref=\"([A-Z]+)(\d+):([A-Z]+)(\d+)\"")
_REF = re.compile(rb"\br=\"([A-Z]+)(\d+)\"")
_TYPE = re.compile(rb"\bt=\"(\w+)\"")


def check_workbook_file(path: Path) -> None:
    """Refuse, with what to do instead, a file that cannot be an .xlsx workbook (judged by its first bytes).

    Raises
    ------
    ReadError
        For an empty file, an encrypted workbook or old .xls file, or a file that is not a zip archive.
    """
    with path.open("rb") as fh:
        magic = fh.read(8)
    if not magic:
        raise ReadError(path, "the file is empty (0 bytes), not an .xlsx workbook")
    if magic == _OLE_MAGIC:
        raise ReadError(path, "a password-protected (encrypted) workbook or an old .xls file; "
                              "save it without a password as .xlsx, or export it as .csv")
    if not magic.startswith(b"PK"):
        raise ReadError(path, "not an .xlsx workbook (a text or CSV file renamed to .xlsx?); "
                              "give it the ending of its real format, e.g. .csv")


def cell_text(value: object) -> str | None:
    """Render an xlsx cell as the text a CSV export would hold (whole floats without ``.0``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def sheet_cells(rows: Iterable[tuple], first: int = 1) -> tuple[list[str], list[list[str | None]], list[int]]:
    """Header, text columns and spreadsheet row numbers of a sheet's rows; blank rows are skipped.

    Parameters
    ----------
    rows : iterable of tuples
        The sheet's rows from the header row on.
    first : int
        The header row's number in the sheet.
    """
    rows = iter(rows)
    header = [cell_text(v) or "" for v in next(rows, ())]
    while header and not header[-1]:
        header.pop()
    columns: list[list[str | None]] = [[] for _ in header]
    numbers: list[int] = []
    for number, row in enumerate(rows, start=first + 1):
        cells = [cell_text(v) for v in row[: len(header)]]
        if not any(cells):
            continue
        cells += [None] * (len(header) - len(cells))
        for values, cell in zip(columns, cells, strict=True):
            values.append(cell)
        numbers.append(number)
    return header, columns, numbers


def _top(sheet, first: int) -> list[list[str | None]]:
    """The header row and the rows under it that the header search looks at, as text."""
    rows = sheet.iter_rows(min_row=first, max_row=first + HEADER_SEARCH_ROWS, values_only=True)
    return [[cell_text(v) for v in row] for row in rows]


def choose_sheet(book, path: Path, table: str, sheet: str | None, first: int, known: Callable[[str], bool]):
    """The worksheet to read: the one `sheet` names, else the first, unless only another holds the table.

    Raises
    ------
    ReadError
        When no sheet has the name set, or the first sheet holds no header of the table while another does
        (naming that sheet and the ``sheet`` setting).
    """
    sheets = book.worksheets
    names = ", ".join(repr(s.title) for s in sheets)
    if sheet is not None:
        chosen = next((s for s in sheets if s.title == sheet), None)
        chosen = chosen or next((s for s in sheets if s.title.strip().casefold() == sheet.strip().casefold()), None)
        if chosen is None and sheet.isdigit() and 1 <= int(sheet) <= len(sheets):
            chosen = sheets[int(sheet) - 1]
        if chosen is None:
            raise ReadError(path, f"no sheet {sheet!r} (the sheets are {names}): "
                                  f"{how_to_set(table, 'sheet', sheets[0].title)} or to another of them")
        return chosen
    top = _top(sheets[0], first)
    if any(is_header(row, known) for row in top):
        return sheets[0]
    for other in sheets[1:]:
        if any(is_header(row, known) for row in _top(other, first)):
            state = "is empty" if not any(filled(row) for row in top) else f"has no {table} header"
            raise ReadError(path, f"data on sheet {other.title!r} (the first sheet, {sheets[0].title!r}, {state}): "
                                  f"{how_to_set(table, 'sheet', other.title)}")
    return sheets[0]


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def _scan(chunk: bytes, first: int, merges: list[tuple[str, int, int]], uncached: list[str]) -> None:
    """Collect the merged ranges and the formula cells without a saved value (from row `first` on) of a chunk."""
    for m in _MERGE.finditer(chunk):
        merges.append(((m[1] + m[2] + b":" + m[3] + m[4]).decode(), int(m[2]), int(m[4])))
    for m in _FORMULA_CELL.finditer(chunk):
        ref, kind = _REF.search(m[1]), _TYPE.search(m[1])
        # an empty saved value is a formula's text result "" only where the cell says its type is text
        if ref and int(ref[2]) >= first and not m[2] and not (m[2] is not None and kind and kind[1] == b"str"):
            uncached.append((ref[1] + ref[2]).decode())


def _last_row_end(data: bytes) -> int:
    """Where the last whole row of a piece of sheet XML ends (0 when none does)."""
    at = data.rfind(b"row>")
    while at > 0 and data[at - 1 : at] not in (b"/", b":"):  # an opening <row>, not a closing </row> or </x:row>
        at = data.rfind(b"row>", 0, at)
    return at + 4 if at > 0 else 0


def sheet_layout(path: Path, sheet, first: int) -> tuple[list[tuple[str, int, int]], list[str]]:
    """The merged ranges of a sheet (``A1:C1``, first row, last row) and its formula cells without saved values.

    The sheet's XML is scanned as bytes, in chunks cut after a whole row; a sheet whose part cannot be found
    (a reader without it) gives nothing.
    """
    part = getattr(sheet, "_worksheet_path", None)
    merges: list[tuple[str, int, int]] = []
    uncached: list[str] = []
    if not part:
        return merges, uncached
    with zipfile.ZipFile(path) as archive, archive.open(part.lstrip("/")) as fh:
        rest = b""
        while chunk := fh.read(_CHUNK):
            data = rest + chunk
            cut = _last_row_end(data)
            _scan(data[:cut], first, merges, uncached)
            rest = data[cut:]
        _scan(rest, first, merges, uncached)
    return merges, uncached


def check_sheet_layout(path: Path, sheet, first: int) -> None:
    """Refuse a sheet with merged cells from the header row down, or formulas whose values were never saved.

    Raises
    ------
    ReadError
        Saying which of these it is, where, and what to do.
    """
    merges, uncached = sheet_layout(path, sheet, first)
    header = [ref for ref, top, bottom in merges if top <= first <= bottom]
    if header:
        raise ReadError(path, f"merged cells in the header row {first} ({', '.join(header[:5])}): unmerge them so "
                              f"that every column has its own name in one row, and set header_row to that row")
    body = [ref for ref, top, _ in merges if top > first]
    if body:
        raise ReadError(path, f"merged cells in the data ({', '.join(body[:5])}"
                              f"{f' and {len(body) - 5} more' if len(body) > 5 else ''}): only the first cell of a "
                              f"merge holds its value; unmerge them and fill every cell, or export CSV")
    if uncached:
        more = f" and {len(uncached) - 5} more" if len(uncached) > 5 else ""
        raise ReadError(path, f"formulas without saved values (cells {', '.join(uncached[:5])}{more}): the "
                              f"workbook was written by a program that does not calculate; open and save it in "
                              f"Excel, or export CSV")


def read_sheet(path: Path, table: str, sheet: str | None, header_row: int | None,
               known: Callable[[str], bool]) -> tuple[list[str], list[list[str | None]], list[int]]:
    """Read the table's sheet of a workbook as text cells: header, columns and spreadsheet row numbers.

    Parameters
    ----------
    path : Path
        The ``.xlsx`` file.
    table : str
        Contract table name.
    sheet, header_row : optional
        The table's settings (default: the first sheet, row 1).
    known : callable
        Whether a header names a column of the table.

    Raises
    ------
    ReadError
        When the file is no workbook, or its layout is one of those refused (see the module's description).
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    check_workbook_file(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ReadError(path, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from exc
    first = header_row or 1
    try:
        chosen = choose_sheet(book, path, table, sheet, first, known)
        moved = misplaced_header(table, _top(chosen, first), first, known)
        if moved:
            raise ReadError(path, f"sheet {chosen.title!r}: {moved}")
        check_sheet_layout(path, chosen, first)
        return sheet_cells(chosen.iter_rows(min_row=first, values_only=True), first)
    finally:
        book.close()
