"""Dates written in other ways than ISO: reading them with a ``date_format`` setting, and naming what was seen.

A table's ``date_format`` (the ``read:`` section of ``aliases.yaml``) is a strftime pattern (``%m/%d/%Y %H:%M``,
``%d.%m.%y``, ``%Y%m%d``, ``%a %b %d %H:%M:%S %z %Y``) or the word ``excel`` for the serial day numbers a
spreadsheet stores. Without it, a column whose values all fail to read as ISO dates gets one message naming the
form its values take and the setting that reads them (`unread_dates_message`), rather than one error per row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

#: The ``date_format`` value for Excel's serial day numbers.
EXCEL = "excel"
#: Day 0 of Excel's serial numbers (with its 1900 leap-year quirk, day 60 is 1900-02-29 and 61 is 1900-03-01,
#: so counting from 1899-12-30 is right from March 1900 on).
_EXCEL_DAY0 = dt.datetime(1899, 12, 30)
#: Serial numbers Excel can show as dates: 1 (1900-01-01) to 2958465 (9999-12-31).
_EXCEL_RANGE = (1, 2958466)
#: The earliest date accepted anywhere: an earlier year is a misread (``12/1/10`` taken as the year 12).
EARLIEST = dt.date(1900, 1, 1)

#: A zone written after a time (``+0800``, ``+08:00``, ``Z``, ``UTC``); dropped, as the reader drops it from ISO
#: times, so that the wall-clock time as written is kept.
_ZONE_TEXT = r"\s*(?:[+-]\d{2}:?\d{2}|UTC|GMT|Z)\b"
_ZONE_DIRECTIVE = re.compile(r"\s*%[zZ]")
#: A weekday name (English, as exports write it) and its directive, both dropped before parsing.
_WEEKDAY_TEXT = r"(?i)\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*"
_WEEKDAY_DIRECTIVE = re.compile(r"%[aA]\.?,?\s*")
#: Date separators, made one so that ``4/22/2018`` and ``04-11-2018`` in one column read with one format.
_SEPARATORS = r"[-./]"


@ibis.udf.scalar.builtin(name="try_strptime")
def _try_strptime(value: str, fmt: str) -> dt.datetime:  # pragma: no cover - DuckDB's own function
    """DuckDB's strptime returning NULL where the text does not match."""


def is_excel(date_format: str) -> bool:
    """Whether a ``date_format`` setting asks for Excel serial numbers."""
    return date_format.strip().lower() == EXCEL


def formatted_time(value: ir.Value, date_format: str, engine: str | None = None) -> ir.TimestampValue:
    """The timestamp `value` holds when written as `date_format` (null where it is not).

    Parameters
    ----------
    value : ibis value
        Cleaned text (or a typed Parquet column).
    date_format : str
        A strftime pattern or ``excel``.
    engine : str, optional
        The name of the backend that will run the expression (default: the one `value` belongs to, which for a
        table made in memory is Ibis's default, DuckDB). DuckDB gets its ``try_strptime``, Spark its
        ``try_to_timestamp`` (with the pattern in Spark's own letters); other engines Ibis's translation of the
        pattern.

    Returns
    -------
    ibis timestamp value
    """
    if is_excel(date_format):
        return _excel_time(value)
    if value.type().is_timestamp() or value.type().is_date():
        return value.cast("timestamp")
    text = value if value.type().is_string() else value.cast("string")
    fmt = date_format
    if _ZONE_DIRECTIVE.search(fmt):
        text, fmt = text.re_replace(_ZONE_TEXT, ""), _ZONE_DIRECTIVE.sub("", fmt)
    if _WEEKDAY_DIRECTIVE.search(fmt):  # the weekday says nothing the date does not (and Spark cannot parse it)
        text, fmt = text.re_replace(_WEEKDAY_TEXT, ""), _WEEKDAY_DIRECTIVE.sub("", fmt)
    text, fmt = text.re_replace(_SEPARATORS, "/"), re.sub(r"(?<!%)" + _SEPARATORS, "/", fmt)
    engine = engine or ibis.get_backend(value).name
    if engine == "duckdb":
        return _try_strptime(text, fmt)
    if engine == "pyspark":
        return _try_to_timestamp(text, spark_pattern(fmt))
    return text.as_timestamp(fmt)


#: strftime directives in Spark's pattern letters. One letter where the field may have one digit or two (Spark
#: reads ``M`` as 1 or 2 digits but ``MM`` as exactly 2, and ``8:26`` has a one-digit hour).
_SPARK_LETTERS = {"Y": "yyyy", "y": "yy", "m": "M", "d": "d", "H": "H", "I": "h", "M": "m", "S": "s",
                  "f": "SSSSSS", "p": "a", "b": "MMM", "h": "MMM", "B": "MMMM", "j": "D", "%": "%"}


def spark_pattern(fmt: str) -> str:
    """A strftime pattern in Spark's datetime pattern letters; other text quoted as literal.

    A field next to another field with nothing between (``%Y%m%d``) keeps its fixed width: without a separator,
    only the width tells where one ends.

    Raises
    ------
    ValueError
        For a directive Spark cannot parse (a weekday, a week number).
    """
    tokens = re.findall(r"%.|[^%]+|%", fmt)
    out = []
    for i, token in enumerate(tokens):
        if len(token) != 2 or token[0] != "%":
            out.append(_quoted(token))
            continue
        if token[1] not in _SPARK_LETTERS:
            raise ValueError(f"date_format {fmt!r}: {token} cannot be read on Spark")
        letters = _SPARK_LETTERS[token[1]]
        packed = any(0 <= j < len(tokens) and tokens[j].startswith("%") and len(tokens[j]) == 2
                     for j in (i - 1, i + 1))
        out.append(letters * 2 if packed and len(letters) == 1 and letters in "MdHhms" else letters)
    return "".join(out)


def _quoted(literal: str) -> str:
    """Text of a Spark pattern read as itself (letters would be pattern letters)."""
    if not literal:
        return ""
    return "'" + literal.replace("'", "''") + "'" if re.search(r"[A-Za-z']", literal) else literal


@ibis.udf.scalar.builtin(name="try_to_timestamp")
def _try_to_timestamp(value: str, fmt: str) -> dt.datetime:  # pragma: no cover - Spark's own function
    """Spark's to_timestamp returning NULL where the text does not match (also under ANSI mode)."""


def _excel_time(value: ir.Value) -> ir.TimestampValue:
    """An Excel serial number (days since 1899-12-30, the fraction being the time of day) as a timestamp."""
    if value.type().is_timestamp() or value.type().is_date():
        return value.cast("timestamp")
    number = value.try_cast("float64")
    low, high = _EXCEL_RANGE
    days = ibis.ifelse((number >= low) & (number < high), number, ibis.null("float64"))
    return ibis.timestamp(_EXCEL_DAY0) + (days * 86_400e6).round().cast("int64").as_interval("us")


# ------------------------------------------------------------------------------------------ naming the form
#: Day-month or month-day with a year and perhaps a time: the first two numbers, the year, the time.
_NUMERIC = re.compile(r"^(\d{1,2})([-./])(\d{1,2})[-./](\d{4}|\d{2})(?:[ T]+(\d{1,2}):(\d{2})(:\d{2})?)?$")
#: The regular expression, for the engine, giving the first two numbers of such a date.
FIRST_TWO = r"^\s*(\d{1,2})[-./](\d{1,2})[-./]\d{2,4}(?:[ T].*)?\s*$"
_COMPACT = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_SERIAL = re.compile(r"^\d{1,7}(\.\d+)?$")
#: Serial numbers taken for dates when naming a column's form: 1927 to 2173 (smaller numbers are more likely
#: something else, such as a year).
_MODERN_SERIALS = (10_000, 100_000)
_TWITTER = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} [+-]\d{4} \d{4}$")


@dataclass(frozen=True)
class DateForm:
    """The form a column's dates take.

    Attributes
    ----------
    looks : str
        The form in words (``M/D/YY H:MM``).
    formats : tuple of str
        The ``date_format`` values that read it: one, or two when day and month cannot be told apart.
    ambiguous : bool
        Whether day and month are both 12 or less in every value, so either order reads them.
    """

    looks: str
    formats: tuple[str, ...]
    ambiguous: bool = False


def date_form(sample: str, first_max: int | None = None, second_max: int | None = None) -> DateForm | None:
    """The form of a date written as `sample`, or None when it is none that `date_format` names.

    Parameters
    ----------
    sample : str
        One value of the column, as written.
    first_max, second_max : int, optional
        The largest first and second number over the whole column, for ``D/M`` or ``M/D`` dates: a first number
        above 12 is a day, a second above 12 too; both 12 or less everywhere leaves the order open.

    Returns
    -------
    DateForm or None
    """
    text = sample.strip()
    if _COMPACT.match(text):
        return DateForm("YYYYMMDD", ("%Y%m%d",))
    if _TWITTER.match(text):
        return DateForm("Twitter's created_at", ("%a %b %d %H:%M:%S %z %Y",))
    if _SERIAL.match(text) and _MODERN_SERIALS[0] <= float(text) < _MODERN_SERIALS[1]:
        return DateForm("Excel serial day numbers", (EXCEL,))
    found = _NUMERIC.match(text)
    if found is None:
        return None
    return _day_month_form(found, first_max or int(found[1]), second_max or int(found[3]))


def _day_month_form(found: re.Match, first_max: int, second_max: int) -> DateForm | None:
    """A ``D/M/Y`` or ``M/D/Y`` date (with a time perhaps), the order told by the numbers above 12."""
    sep, year, hour, seconds = found[2], found[4], found[5], found[7]
    tail_words, tail_format = "", ""
    if hour is not None:
        tail_words = (" H" if len(hour) == 1 else " HH") + ":MM" + (":SS" if seconds else "")
        tail_format = " %H:%M" + (":%S" if seconds else "")
    year_words, year_format = ("YYYY", "%Y") if len(year) == 4 else ("YY", "%y")

    def form(first: str, second: str) -> tuple[str, str]:
        words = f"{first[0].upper()}{sep}{second[0].upper()}{sep}{year_words}{tail_words}"
        return words, f"%{first[0]}{sep}%{second[0]}{sep}{year_format}{tail_format}"

    if first_max > 12 and second_max > 12:
        return None  # day first in some rows, month first in others: no one format reads them
    if first_max > 12:
        return DateForm(*_one(form("day", "month")))
    if second_max > 12:
        return DateForm(*_one(form("month", "day")))
    (day_words, day_format), (month_words, month_format) = form("day", "month"), form("month", "day")
    return DateForm(f"{day_words} or {month_words}", (day_format, month_format), ambiguous=True)


def _one(pair: tuple[str, str]) -> tuple[str, tuple[str]]:
    return pair[0], (pair[1],)


def unread_dates_message(table: str, sample: str, form: DateForm | None, date_format: str | None) -> str:
    """One message for a date column none of whose values could be read: the form seen and how to read it.

    Parameters
    ----------
    table : str
        The table (the ``read:`` entry to set).
    sample : str
        A value of the column as written.
    form : DateForm or None
        Its form (`date_form`), None when unknown.
    date_format : str or None
        The setting in force, if any.

    Returns
    -------
    str
    """
    where = f"under read: {table} in aliases.yaml"
    seen = f"(e.g. {sample!r})"
    head = f"no value matches date_format {date_format!r} {seen}" if date_format else None
    if form is None:
        advice = (f"write dates as YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, or set date_format (a strftime pattern "
                  f"such as '%d.%m.%Y %H:%M', or excel) {where}")
        return f"{head}: {advice}" if head else f"dates not recognised {seen}: {advice}"
    looks = f"dates look like {form.looks}" + ("" if head else f" {seen}")
    if form.ambiguous:
        day_first, month_first = form.formats
        advice = (f"day and month are 12 or less in every row, so their order cannot be told from the data: set "
                  f"date_format: {day_first!r} (day first) or {month_first!r} (month first) {where}")
    else:
        advice = f"set date_format: {form.formats[0]!r} {where}"
    return f"{head}; {looks}: {advice}" if head else f"{looks}: {advice}"
