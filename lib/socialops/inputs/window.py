"""The end of the observation window, ``as_of``: the one reading of the parameter and of its default.

``YYYY-MM-DD`` means the end of that day and ``YYYY-MM-DD HH:MM:SS`` that instant (``HH:MM`` and a ``T`` between
date and time are read too); empty means the latest time in a chapter's main table. Given the data's span, an
``as_of`` before its first row or more than one day after its last is refused: a window that holds no data, or
one that ends long after it, would make every count zero or every customer churned. The command line checks the
text with :func:`parse_as_of` before any kernel starts, and the report reads it with :func:`resolve_as_of`, which
calls the same function, so a notebook run by hand accepts exactly what the command line accepts.
"""

from __future__ import annotations

import re

import pandas as pd

#: The accepted forms, as error messages name them.
AS_OF_FORMS = "YYYY-MM-DD (the end of that day), YYYY-MM-DD HH:MM:SS (that instant) or empty (the latest data)"

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")
#: How far past the end of the data's last day a window may end (an export made the day after it closes).
GRACE = pd.Timedelta(days=1)


def end_of_day(moment: pd.Timestamp) -> pd.Timestamp:
    """Return the last microsecond of the day `moment` falls on.

    Parameters
    ----------
    moment : pandas.Timestamp
        Any time of the day.

    Returns
    -------
    pandas.Timestamp
    """
    return moment.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


def parse_as_of(value: str | None, span: tuple | None = None, dated_by: str = "") -> pd.Timestamp | None:
    """Read an ``as_of`` parameter, checked against the data's span when that is given.

    Parameters
    ----------
    value : str or None
        The parameter as given; surrounding spaces are ignored.
    span : tuple, optional
        ``(first, last)``: the first and last time of the chapter's main table (:func:`data_span`); None, or a
        span of missing values (a table without dated rows), checks the form alone.
    dated_by : str, optional
        What the span was taken from (``mentions.ts``), named in the message.

    Returns
    -------
    pandas.Timestamp or None
        The end of the window, or None when the text is empty (the caller takes the latest data).

    Raises
    ------
    ValueError
        If the text is in none of the accepted forms or names no real date and time (``2026-13-45``), the
        message listing the accepted forms; or if it lies before the first row of `span` or more than one day
        after its last (after the end of the day that follows the last row's day), the message naming the span.
    """
    text = (value or "").strip()
    if not text:
        return None
    whole_day = bool(_DAY.fullmatch(text))
    if not whole_day and not _INSTANT.fullmatch(text):
        raise ValueError(f"expected {AS_OF_FORMS}, got {value!r}")
    try:
        moment = pd.Timestamp(text)
        moment = end_of_day(moment) if whole_day else moment
    except ValueError:  # a month 13, a 30 February, a 25th hour, a year pandas cannot hold
        raise ValueError(f"expected {AS_OF_FORMS}, got {value!r}, which is not a real date and time") from None
    if span is not None:
        _check_within(text, moment, span, dated_by)
    return moment


def _check_within(text: str, moment: pd.Timestamp, span: tuple, dated_by: str) -> None:
    """Refuse a window end before the first row or past the day after the last one."""
    first, last = (None if pd.isna(end) else pd.Timestamp(end) for end in span)
    if first is None or last is None:
        return
    if moment < first:
        where = "before the data"
    elif moment > end_of_day(last) + GRACE:
        where = "more than one day after the data"
    else:
        return
    if dated_by:
        where += f" ({dated_by})"
    raise ValueError(f"as_of {text} is {where}, which run from {_shown(first)} to {_shown(last)}; give a time "
                     "in that range, or leave as_of empty for the latest data")


def _shown(moment: pd.Timestamp) -> str:
    """A date alone when the time is midnight (a dated table), else the date and the time to the second."""
    return f"{moment:%Y-%m-%d}" if moment == moment.normalize() else f"{moment:%Y-%m-%d %H:%M:%S}"


def data_span(workspace, table: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The first and last time of `table`, as :func:`parse_as_of` checks a window end against.

    Parameters
    ----------
    workspace : socialops.inputs.workspace.Workspace
        The opened data.
    table : str
        The chapter's main table.

    Returns
    -------
    tuple
        ``(first, last)`` as timestamps; ``(None, None)`` when the table has no time column or no dated row.
    """
    first, last = workspace.date_range(table)
    if first is None or last is None:
        return None, None
    return pd.Timestamp(first), pd.Timestamp(last)


def resolve_as_of(value: str | None, workspace, table: str) -> tuple[pd.Timestamp, str]:
    """The end of a chapter's window: ``as_of`` as given and checked against `table`'s span, else its latest time.

    Parameters
    ----------
    value : str or None
        The ``as_of`` parameter.
    workspace : socialops.inputs.workspace.Workspace
        The opened data.
    table : str
        The chapter's main table (`socialops.inputs.tables.ChapterTables.main_table`).

    Returns
    -------
    tuple
        ``(end, source)``: the window's end and ``"given"``, or the latest data (:func:`latest_as_of`) and
        ``"latest"`` when `value` is empty.

    Raises
    ------
    ValueError
        As :func:`parse_as_of`, every message beginning with ``as_of`` and the range named with its table.
    """
    try:
        given = parse_as_of(value, span=data_span(workspace, table), dated_by=f"{table}.{workspace.time_column(table)}")
    except ValueError as error:
        message = str(error)
        raise ValueError(message if message.startswith("as_of ") else f"as_of: {message}") from None
    if given is not None:
        return given, "given"
    return latest_as_of(workspace, table), "latest"


def latest_as_of(workspace, table: str) -> pd.Timestamp:
    """The ``as_of`` an empty parameter stands for: the latest time in `table`.

    Parameters
    ----------
    workspace : socialops.inputs.workspace.Workspace
        The opened data.
    table : str
        The chapter's main table.

    Returns
    -------
    pandas.Timestamp
        The table's latest time; for a table placed in time by dates, the end of its latest day (a date covers
        the whole day).
    """
    latest = pd.Timestamp(workspace.date_range(table)[1])
    column = workspace.time_column(table)
    if column and workspace.has(table, column) and str(workspace.table(table)[column].type()).startswith("date"):
        latest = end_of_day(latest)
    return latest
