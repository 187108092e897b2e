"""The end of the observation window, ``as_of``: the one reading of the parameter and of its default.

``YYYY-MM-DD`` means the end of that day and ``YYYY-MM-DD HH:MM:SS`` that instant (``HH:MM`` and a ``T`` between
date and time are read too); empty means the latest time in a chapter's main table. The command line checks the
text with :func:`parse_as_of` before any kernel starts, and the report reads it with the same function, so a
notebook run by hand accepts exactly what the command line accepts.
"""

from __future__ import annotations

import re

import pandas as pd

#: The accepted forms, as error messages name them.
AS_OF_FORMS = "YYYY-MM-DD (the end of that day), YYYY-MM-DD HH:MM:SS (that instant) or empty (the latest data)"

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")


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


def parse_as_of(value: str | None) -> pd.Timestamp | None:
    """Read an ``as_of`` parameter.

    Parameters
    ----------
    value : str or None
        The parameter as given; surrounding spaces are ignored.

    Returns
    -------
    pandas.Timestamp or None
        The end of the window, or None when the text is empty (the caller takes the latest data).

    Raises
    ------
    ValueError
        If the text is in none of the accepted forms or names no real date and time (``2026-13-45``); the message
        lists the accepted forms.
    """
    text = (value or "").strip()
    if not text:
        return None
    whole_day = bool(_DAY.fullmatch(text))
    if not whole_day and not _INSTANT.fullmatch(text):
        raise ValueError(f"expected {AS_OF_FORMS}, got {value!r}")
    try:
        moment = pd.Timestamp(text)
        return end_of_day(moment) if whole_day else moment
    except ValueError:  # a month 13, a 30 February, a 25th hour, a year pandas cannot hold
        raise ValueError(f"expected {AS_OF_FORMS}, got {value!r}, which is not a real date and time") from None


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
