"""The report's number formatters: one per kind of number, each with its text for a missing value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialops.report.format import (
    count,
    duration,
    estimate,
    interval_digits,
    is_missing,
    number,
    p_compared,
    p_value,
    percent,
    points,
    probability,
    signed,
    small,
    span,
    table_cell,
    table_column,
    time_unit,
    with_interval,
)

INF = float("inf")


@pytest.mark.parametrize("value, text", [
    (1234567, "1,234,567"), (np.int64(3075), "3,075"), (0.1234, "0.123"), (12.345, "12.3"),
    (1234.5, "1,234"), (np.float64(2.5), "2.5"), (None, ""), (float("nan"), ""), (0.0012, "0.0012"),
    (pd.NA, ""), (pd.NaT, ""),
    (-0.0, "0"), (-1e-12, "0"), (-0.0004, "-0.0004"), (0.00003, "0"), (INF, "∞"), (-INF, "-∞"),
    (1e300, f"{1e300:,.0f}"), (-0.5, "-0.5"), (991.0, "991"), (991.1, "991.1"),
    # a whole number held as a float is a count: no decimals
    (2.0, "2"), (True, "True"), ("12", "12"),
])
def test_table_cell(value, text):
    assert table_cell(value) == text


@pytest.mark.parametrize("values, texts", [
    # a whole column of whole numbers reads whole, a float 1.0 beside a 0 included
    ([1.0, 0.0, None], ["1", "0", ""]),
    (pd.Series([1500, 2], dtype="Int64"), ["1,500", "2"]),
    (pd.Series([1500.0, np.nan, 3.0]), ["1,500", "", "3"]),
    # the typical value sets the decimals for every cell: 0.5 needs three, the zero the cells share is dropped
    ([0.25, 0.5, 12.0], ["0.25", "0.50", "12.00"]),
    ([0.0012, 0.5, 0.7], ["0.001", "0.500", "0.700"]),
    ([1.0, 0.0, 0.5], ["1.0", "0.0", "0.5"]),
    ([12.34, 1500.0, 0.0], ["12.3", "1,500.0", "0.0"]),
    ([0.0004, 0.00012], ["0.00040", "0.00012"]),
    # zero is never negative, infinity reads as such, text and flags stay as they are
    ([-0.00001, 0.25], ["0.00", "0.25"]),
    ([INF, 0.5, -0.04], ["∞", "0.50", "-0.04"]),
    (["Total", 3, 4.5], ["Total", "3.0", "4.5"]),
    ([True, False], ["True", "False"]),
    ([], []),
])
def test_table_column_has_one_precision(values, texts):
    assert table_column(values) == texts


def test_table_column_decimals_are_the_same_in_every_number_cell():
    texts = table_column(pd.Series([-0.00003, 0.1234, 7.0, 2.5, -0.01]))
    assert texts == ["0.000", "0.123", "7.000", "2.500", "-0.010"]
    assert len({len(t.partition(".")[2]) for t in texts}) == 1


@pytest.mark.parametrize("value", [None, float("nan"), np.nan, pd.NA, pd.NaT])
def test_every_kind_of_missing_value_is_missing(value):
    assert is_missing(value)
    assert percent(value) == number(value) == p_value(value) == p_compared(value) == "—"
    assert percent(value, missing="") == signed(value) == ""


@pytest.mark.parametrize("value", [0, 0.0, "", [None], np.array([np.nan])])
def test_present_values_and_containers_are_not_missing(value):
    assert not is_missing(value)


def test_percent_and_number():
    assert percent(0.1234) == "12.3%" and percent(0.0412, 2) == "4.12%" and percent(1) == "100.0%"
    assert number(12345.6) == "12,346" and number(2.345, 2) == "2.35" and number(-1500) == "-1,500"


def test_signed_scales_and_adds_the_unit():
    assert signed(0.0123, 2, 100, " pp") == "+1.23 pp" and signed(-0.5) == "-0.50"


def test_p_values_never_show_zero():
    assert p_value(0.0312) == "0.031" and p_value(1e-9) == "< 0.001" and p_value(0.001) == "0.001"
    assert p_compared(0.0312) == "= 0.031" and p_compared(0.0) == "< 0.001"
    assert small(0.004, 2) == "< 0.01" and small(0.04, 2) == "0.04"


def test_intervals():
    assert span(1.5, 2.5, lambda v: number(v, 1)) == "1.5 – 2.5"
    assert span(None, float("nan")) == "—" and span(1, None) == "1 – —"
    assert with_interval(0.041, 0.04, 0.042) == "4.1% (4.0% – 4.2%)"


# ---------------------------------------------------------------- the rules of units and precision
@pytest.mark.parametrize("tiny", [-1e-12, -0.0, -0.000049, np.float64(-1e-300)])
def test_zero_is_never_negative(tiny):
    # a value that rounds to zero reads as zero in every formatter, never "-0.0" nor "-0.0%"
    assert percent(tiny) == "0.0%" and percent(tiny / 100, 0) == "0%"
    assert number(tiny) == "0" and number(tiny, 1) == "0.0" and count(tiny) == "0"
    assert points(tiny) == "0.0" and points(tiny, sign=True) == "+0.0"
    assert signed(tiny) == "+0.00" and signed(tiny, 1, 100, " pp") == "+0.0 pp"
    assert duration(tiny) == "0" and table_cell(tiny / 10) == "0"
    assert with_interval(tiny, 0.0, 0.0004) == "0.00% (0.00% – 0.04%)"
    assert estimate(tiny, 0.0, 0.001, "points") == ("0.0", "0.0", "0.1")


def test_infinite_and_huge_values_read_as_numbers():
    assert percent(INF) == "∞%" and percent(-INF) == "-∞%" and number(INF) == "∞" and count(-INF) == "-∞"
    assert signed(INF) == "+∞" and points(-INF) == "-∞"
    assert number(1e20) == "100,000,000,000,000,000,000" and count(1e15 + 0.4) == "1,000,000,000,000,000"
    assert percent(1e6) == "100,000,000.0%" and percent(19.27, 0) == "1,927%"  # separators, as number() writes


@pytest.mark.parametrize("fmt", [count, points, duration, lambda v: estimate(v, v, v)[0], time_unit])
def test_the_new_formatters_take_every_missing_value(fmt):
    for value in (None, np.nan, pd.NA, pd.NaT):
        assert fmt(value) in ("—", "hours")


def test_counts_are_whole_numbers():
    assert count(991.1) == "991" and count(991.5) == "992" and count(np.int64(3075)) == "3,075"
    assert count(12345.678) == "12,346" and count(0.4) == "0"


def test_differences_of_rates_are_percentage_points_without_a_percent_sign():
    # 40 % against 30 %: ten points, not "10.0 %" (which reads as a relative change of a third)
    assert points(0.40 - 0.30) == "10.0" and points(0.1, 2, sign=True) == "+10.00"
    assert points(-0.0123, sign=True) == "-1.2" and "%" not in points(0.5)


def test_one_time_unit_per_sentence():
    # "4.80 days" beside "114 h": the sentence's unit is chosen once, for all its durations
    unit = time_unit(114, 6)
    assert unit == "days" and duration(114, unit) == "4.8" and duration(6, unit) == "0.2"
    assert time_unit(6.0, 23.5) == "hours" and duration(6.0, "hours") == "6" and duration(23.5) == "23.5"
    assert time_unit(0.25) == "minutes" and duration(0.25) == "15"
    assert time_unit(None, np.nan) == "hours" and time_unit(INF, 2) == "hours"
    assert time_unit(-100) == "days" and duration(-114, "days") == "-4.8"
    assert duration(48, "days") == "2" and duration(36, "days") == "1.5"


@pytest.mark.parametrize("low, high, scale, digits", [
    (0.040, 0.042, 100, 1),      # width 0.2 points: one decimal
    (0.30, 0.60, 100, 0),        # width 30 points: whole percentages (never coarser)
    (0.010, 0.018, 1, 3),        # a K-factor of 0.014 (0.010 – 0.018): three decimals
    (0.0140, 0.0141, 1, 3),      # a very narrow interval: no more than `most`
    (1200.0, 4100.0, 1, 0),      # money or counts: no decimals
    (0.5, 0.5, 1, None), (None, 1.0, 1, None), (0.0, INF, 1, None), (np.nan, 0.2, 1, None),
    (0.018, 0.010, 1, 3),        # ends given in the wrong order: the same width
])
def test_interval_digits_follow_the_width(low, high, scale, digits):
    assert interval_digits(low, high, scale) == digits


def test_estimates_are_written_to_the_precision_of_their_interval():
    assert estimate(0.01412, 0.0103, 0.0179, "number") == ("0.014", "0.010", "0.018")
    assert estimate(0.4512, 0.30, 0.60) == ("45%", "30%", "60%")
    # the ends are rounded outward: the interval never reads narrower than it is
    assert estimate(0.04123, 0.0401, 0.0424) == ("4.1%", "4.0%", "4.3%")
    assert estimate(0.05, 0.045, 0.055) == ("5%", "4%", "6%") and estimate(1.2, 1.05, 1.35, "number") == (
        "1.2", "1.0", "1.4")
    assert estimate(0.041, 0.040, 0.042) == ("4.1%", "4.0%", "4.2%")  # ends exact in decimal stay
    assert estimate(0.0, -1e-12, 0.0004) == ("0.00%", "0.00%", "0.04%")
    assert estimate(0.1, 0.08, 0.12, "points") == ("10", "8", "12")
    assert estimate(0.1, 0.099, 0.101, "points") == ("10.0", "9.9", "10.1")
    # without a usable interval, each kind's usual decimals
    assert estimate(0.5, np.nan, np.nan) == ("50.0%", "—", "—") and estimate(2.0, 2.0, 2.0, "number")[0] == "2.00"
    assert with_interval(0.4512, 0.30, 0.60) == "45% (30% – 60%)"
    assert with_interval(0.5, 0.25, 0.75, lambda v: number(v, 2)) == "0.50 (0.25 – 0.75)"


def test_a_probability_never_reads_as_certain():
    assert probability(0.9996) == "> 99.9%" and probability(1.0) == "> 99.9%"
    assert probability(0.0004) == "< 0.1%" and probability(0.0) == "< 0.1%"
    assert probability(0.999) == "99.9%" and probability(0.5) == "50.0%"
    assert probability(0.99996, 2) == "> 99.99%"
    assert probability(float("nan"), missing="") == ""
