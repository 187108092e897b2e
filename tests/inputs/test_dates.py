"""Dates in other forms than ISO: read with a date_format setting, and named when none is set."""

import datetime as dt
import importlib.util
import shutil

import ibis
import pandas as pd
import pytest

from socialops.inputs.dates import (
    DateForm,
    date_form,
    formatted_time,
    is_excel,
    spark_pattern,
    unread_dates_message,
)
from socialops.inputs.engine import connect
from tests.conftest import require_component


def _read(values, date_format, con=None):
    """`values` read with `date_format` by DuckDB (or the engine `con`), as Python datetimes (None where unread)."""
    t = ibis.memtable({"v": values}, schema={"v": "string"})
    own = con is None
    con = ibis.duckdb.connect() if own else con
    try:
        got = con.execute(t.select(ts=formatted_time(t.v, date_format, engine=con.name)))["ts"]
    finally:
        if own:
            con.disconnect()
    return [None if pd.isna(v) else v.to_pydatetime() for v in got]


FORMATS = [
    # month first, two-digit year, hour without its leading zero (UCI Online Retail's CSV)
    ("%m/%d/%y %H:%M", ["12/1/10 8:26", "6/24/11 17:35"], [dt.datetime(2010, 12, 1, 8, 26),
                                                            dt.datetime(2011, 6, 24, 17, 35)]),
    # month first, two separators in one column (the Thai sellers' export)
    ("%m/%d/%Y %H:%M", ["4/22/2018 6:00", "04-11-2018 04:53"], [dt.datetime(2018, 4, 22, 6, 0),
                                                                 dt.datetime(2018, 4, 11, 4, 53)]),
    # day first, with dots written where the format has slashes
    ("%d/%m/%Y", ["31/12/2020", "01.02.2021"], [dt.datetime(2020, 12, 31), dt.datetime(2021, 2, 1)]),
    ("%Y%m%d", ["19970101", "19980630"], [dt.datetime(1997, 1, 1), dt.datetime(1998, 6, 30)]),
    # Twitter's created_at: the zone is dropped, the wall-clock time kept
    ("%a %b %d %H:%M:%S %z %Y", ["Tue Oct 18 21:53:25 +0000 2011"], [dt.datetime(2011, 10, 18, 21, 53, 25)]),
    ("%Y-%m-%dT%H:%M:%S%z", ["2026-09-01T10:00:00+08:00", "2026-09-01T02:00:00Z"],
     [dt.datetime(2026, 9, 1, 10), dt.datetime(2026, 9, 1, 2)]),
    # what does not match is null, not an error
    ("%m/%d/%Y", ["13/45/2020", "yesterday", "2020-01-01 10:00"], [None, None, None]),
]


@pytest.mark.parametrize(("date_format", "values", "expected"), FORMATS)
def test_formats_read_what_they_describe(date_format, values, expected):
    assert _read(values, date_format) == expected


@pytest.mark.parametrize(("date_format", "spark"), [
    ("%m/%d/%y %H:%M", "M/d/yy H:m"),
    ("%d.%m.%Y", "d.M.yyyy"),
    ("%Y-%m-%dT%H:%M:%S.%f", "yyyy-M-d'T'H:m:s.SSSSSS"),
    ("%b %d %Y, %I %p", "MMM d yyyy, h a"),
    ("%Y年%m月%d日", "yyyy年M月d日"),
    ("%Y%m%d", "yyyyMMdd"),
    ("%d/%m/%Y %H%M", "d/M/yyyy HHmm"),
    ("it's %Y", "'it''s 'yyyy"),
])
def test_spark_patterns_take_one_or_two_digits_and_quote_letters(date_format, spark):
    assert spark_pattern(date_format) == spark


def test_a_directive_spark_cannot_read_is_named():
    with pytest.raises(ValueError, match="%U cannot be read on Spark"):
        spark_pattern("%Y week %U")


def test_spark_reads_every_format_as_duckdb_does():
    require_component(importlib.util.find_spec("pyspark") is not None and shutil.which("java") is not None,
                      "PySpark or Java is not installed: run `make setup-spark`")
    con = connect("spark", threads=1)
    try:
        for date_format, values, expected in FORMATS:
            assert _read(values, date_format, con) == expected, date_format
        assert _read(["45000.5", "x"], "excel", con) == [dt.datetime(2023, 3, 15, 12), None]
    finally:
        con.disconnect()


def test_excel_serials_count_days_from_1899_12_30():
    # 45000 is 2023-03-15 in Excel (and in LibreOffice); 61 is 1900-03-01, the first day after Excel's 29 February
    got = _read(["45000.5", "45000", "61", "0", "-3", "3000000", "soon"], " Excel ")
    assert got == [dt.datetime(2023, 3, 15, 12), dt.datetime(2023, 3, 15), dt.datetime(1900, 3, 1),
                   None, None, None, None]
    assert is_excel("EXCEL") and not is_excel("%Y")


@pytest.mark.parametrize(("sample", "first_max", "second_max", "form"), [
    ("12/1/10 8:26", 12, 31, DateForm("M/D/YY H:MM", ("%m/%d/%y %H:%M",))),
    ("4/22/2018 6:00:05", 12, 31, DateForm("M/D/YYYY H:MM:SS", ("%m/%d/%Y %H:%M:%S",))),
    ("31.12.2020", 31, 12, DateForm("D.M.YYYY", ("%d.%m.%Y",))),
    ("25-12-20 08:00", 28, 12, DateForm("D-M-YY HH:MM", ("%d-%m-%y %H:%M",))),
    ("01/02/2020", 12, 11, DateForm("D/M/YYYY or M/D/YYYY", ("%d/%m/%Y", "%m/%d/%Y"), ambiguous=True)),
    ("19970101", None, None, DateForm("YYYYMMDD", ("%Y%m%d",))),
    ("45000", None, None, DateForm("Excel serial day numbers", ("excel",))),
    ("45000.25", None, None, DateForm("Excel serial day numbers", ("excel",))),
    ("Tue Oct 18 21:53:25 +0000 2011", None, None,
     DateForm("Twitter's created_at", ("%a %b %d %H:%M:%S %z %Y",))),
])
def test_the_form_of_a_column_is_named(sample, first_max, second_max, form):
    assert date_form(sample, first_max, second_max) == form


@pytest.mark.parametrize("sample", ["2021", "19971301", "yesterday", "12/1", "1.5"])
def test_values_of_no_known_form_are_not_named(sample):
    assert date_form(sample) is None


def test_day_first_in_some_rows_and_month_first_in_others_has_no_one_form():
    assert date_form("13/01/2020", 13, 14) is None


def test_the_message_says_the_form_the_setting_and_where_it_goes():
    form = date_form("12/1/10 8:26", 12, 31)
    assert unread_dates_message("posts", "12/1/10 8:26", form, None) == (
        "dates look like M/D/YY H:MM (e.g. '12/1/10 8:26'): set date_format: '%m/%d/%y %H:%M' under read: posts "
        "in aliases.yaml")


def test_an_ambiguous_form_is_said_to_be_one_with_both_settings():
    text = unread_dates_message("events", "01/02/2020", date_form("01/02/2020", 12, 12), None)
    assert "day and month are 12 or less in every row" in text
    assert "'%d/%m/%Y' (day first) or '%m/%d/%Y' (month first)" in text
    assert "read: events" in text


def test_a_setting_that_reads_nothing_is_named_with_what_would():
    text = unread_dates_message("events", "19970101", date_form("19970101"), "%m/%d/%Y")
    assert text == ("no value matches date_format '%m/%d/%Y' (e.g. '19970101'); dates look like YYYYMMDD: set "
                    "date_format: '%Y%m%d' under read: events in aliases.yaml")


def test_an_unknown_form_asks_for_iso_or_a_setting():
    text = unread_dates_message("mentions", "last Tuesday", None, None)
    assert text.startswith("dates not recognised (e.g. 'last Tuesday'): write dates as YYYY-MM-DD")
    assert "date_format" in text and "read: mentions" in text
    text = unread_dates_message("mentions", "last Tuesday", None, "%d/%m/%Y")
    assert text.startswith("no value matches date_format '%d/%m/%Y' (e.g. 'last Tuesday'): write dates as")
