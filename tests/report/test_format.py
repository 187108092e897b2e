"""The report's number formatters: one per kind of number, each with its text for a missing value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialops.report.format import (
    is_missing,
    number,
    p_compared,
    p_value,
    percent,
    signed,
    small,
    span,
    table_cell,
    with_interval,
)


@pytest.mark.parametrize("value, text", [
    (1234567, "1,234,567"), (np.int64(3075), "3,075"), (0.1234, "0.123"), (12.345, "12.3"),
    (1234.5, "1,234"), (np.float64(2.5), "2.50"), (None, ""), (float("nan"), ""), (0.0012, "0.0012"),
    (pd.NA, ""), (pd.NaT, ""),
])
def test_table_cell(value, text):
    assert table_cell(value) == text



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
