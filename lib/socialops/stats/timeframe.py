"""Time windows of event tables: the as_of cut, half-open periods before it and calendar-month arithmetic.

The functions that touch rows build Ibis expressions, so the filtering runs on the engine that holds the rows.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
from ibis.expr.types import Table, TimestampValue


def timestamp(value: pd.Timestamp | dt.datetime | str) -> TimestampValue:
    """Return `value` as an Ibis timestamp literal (naive local time, as the data contract stores it)."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return ibis.literal(stamp.to_pydatetime(), type="timestamp")


def cut_at(table: Table, as_of: pd.Timestamp, column: str = "ts") -> Table:
    """Keep the rows of `table` at or before `as_of` (rows after it are ignored everywhere).

    This is the one definition of the cut: the report applies it to every table it hands out, and each function
    that takes `as_of` applies it too, so that it is right on any table (the engine folds a repeated filter). A
    date column keeps the rows up to `as_of`'s day.
    """
    if table[column].type().is_date():
        return table.filter(table[column] <= pd.Timestamp(as_of).date())
    return table.filter(table[column] <= timestamp(as_of))


def period_bounds(as_of: pd.Timestamp, days: int, back: int = 0) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the half-open period ``(start, end]`` of `days` days ending `back` periods before `as_of`.

    ``back=0`` is the last `days` days up to `as_of`, ``back=1`` the previous period of equal length; half-open
    periods tile time, so an event belongs to exactly one of them.
    """
    end = pd.Timestamp(as_of) - pd.Timedelta(days=days * back)
    return end - pd.Timedelta(days=days), end


def in_period(table: Table, start: pd.Timestamp, end: pd.Timestamp, column: str = "ts"):
    """Boolean expression: the row's `column` lies in ``(start, end]``."""
    return (table[column] > timestamp(start)) & (table[column] <= timestamp(end))


def month_index(value):
    """Months since year 0 of a timestamp expression (``year * 12 + month - 1``), for calendar-month arithmetic."""
    return value.year() * 12 + value.month() - 1


def month_label(index: int) -> str:
    """The ``YYYY-MM`` label of a month index made by `month_index`."""
    year, month = divmod(int(index), 12)
    return f"{year:04d}-{month + 1:02d}"
