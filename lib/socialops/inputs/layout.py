"""Where a table file's header is, and the error that refuses a file with what to set instead.

Exports often put a title, a date range or a blank line above the column names. The header is the first row in
which the table's column names appear; a file whose expected header row holds none of them, while a row a little
further down does, is refused with the row to set rather than read with its title as column names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence

#: How many rows below the expected header are searched for the real one.
HEADER_SEARCH_ROWS = 10


class ReadError(Exception):
    """A table file that cannot be read at all (missing, ambiguous, corrupt, unknown encoding, unknown layout)."""

    def __init__(self, file: str | os.PathLike, message: str):
        self.file = str(file)
        self.message = message
        super().__init__(f"{file}: {message}")


def how_to_set(table: str, setting: str, value: object) -> str:
    """The ``aliases.yaml`` line that sets one reading setting of `table`, ready to copy.

    Parameters
    ----------
    table : str
        Contract table name.
    setting : str
        A reading setting (``encoding``, ``separator``, ``sheet``, ``header_row``, ``date_format``).
    value : object
        Its value; text other than letters, digits, ``-`` and ``_`` is quoted.

    Returns
    -------
    str
        For example ``set read: {posts: {header_row: 2}} in aliases.yaml``.
    """
    text = str(value)
    if not isinstance(value, int) and not text.replace("-", "").replace("_", "").isalnum():
        text = json.dumps(text, ensure_ascii=False)
    return f"set read: {{{table}: {{{setting}: {text}}}}} in aliases.yaml"


def filled(row: Sequence[str | None]) -> list[str]:
    """The non-blank cells of a row, stripped."""
    return [str(c).strip() for c in row if c is not None and str(c).strip()]


def is_header(row: Sequence[str | None], known: Callable[[str], bool]) -> bool:
    """Whether a row looks like the table's header: two of its cells (or all, if fewer) name known columns.

    Parameters
    ----------
    row : sequence of str or None
        The row's cells as text.
    known : callable
        Whether a header names a column of the table (after aliases).
    """
    cells = filled(row)
    hits = sum(1 for c in cells if known(c))
    return hits >= 2 or (hits >= 1 and hits == len(cells))


def header_below(rows: Sequence[Sequence[str | None]], known: Callable[[str], bool]) -> int | None:
    """How many rows below ``rows[0]`` the header is, when ``rows[0]`` is not a header and a later row is.

    Parameters
    ----------
    rows : sequence of rows
        The expected header row followed by the rows under it (at least `HEADER_SEARCH_ROWS` of them when the
        file has that many).
    known : callable
        Whether a header names a column of the table.

    Returns
    -------
    int or None
        The offset (1 = the next row), or None when ``rows[0]`` is a header or no row below is.
    """
    if not rows or is_header(rows[0], known):
        return None
    for offset, row in enumerate(rows[1 : HEADER_SEARCH_ROWS + 1], start=1):
        if is_header(row, known):
            return offset
    return None


def misplaced_header(table: str, rows: Sequence[Sequence[str | None]], first: int,
                     known: Callable[[str], bool], unit: str = "row") -> str | None:
    """Why the header is not where expected and what to set, or None when it is (or cannot be found).

    Parameters
    ----------
    table : str
        Contract table name.
    rows : sequence of rows
        The rows from the expected header row on.
    first : int
        The expected header row's number (1 for the first row).
    known : callable
        Whether a header names a column of the table.
    unit : str
        What the file calls a row (``row`` for a sheet, ``line`` for a CSV).

    Returns
    -------
    str or None
    """
    offset = header_below(rows, known)
    if offset is None:
        return None
    found = first + offset
    cells = filled(rows[0])
    if not cells:
        why = f"{unit} {first} is empty and the column names are on {unit} {found}"
    elif len(cells) == 1:
        why = f"a title {unit} above the header ({unit} {first} holds only {cells[0]!r}; the column names are on " \
              f"{unit} {found})"
    else:
        why = f"the column names are on {unit} {found}, not on {unit} {first}"
    return f"{why}: {how_to_set(table, 'header_row', found)}"
