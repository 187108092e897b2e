"""The money formatter and the currency check of `socialops.report.format`."""

from __future__ import annotations

import math

import pytest

from socialops.report.format import CURRENCIES, currency_problems, money


def test_an_amount_carries_its_code_and_the_currency_minor_units():
    assert money(1234.5, "CNY") == "CNY 1,234.50"
    assert money(1234.56, "JPY") == "JPY 1,235"
    assert money(1.23456, "KWD") == "KWD 1.235"
    assert money(1234.56, "USD", 0) == "USD 1,235"


@pytest.mark.parametrize("value", [0.4, 2.5, 999.995, 123456.789, -756.93])
def test_the_shown_amount_reads_back_as_the_value_rounded(value):
    text = money(value, "CNY", 2)
    code, _, digits = text.partition(" ")
    assert code == "CNY"
    assert math.isclose(float(digits.replace(",", "")), round(value, 2), abs_tol=1e-9)


def test_never_a_negative_zero_and_missing_amounts_read_as_missing():
    assert money(-0.001, "CNY", 0) == "CNY 0"
    assert money(None, "CNY") == "—"
    assert money(float("nan"), "CNY", missing="") == ""


def test_an_unknown_code_is_refused_with_the_parameter_named():
    assert currency_problems("CNY") == currency_problems("EUR") == []
    assert "did you mean CNY" in currency_problems("cny")[0]
    for bad in ("RMB", "XAU", "", 5, None):
        problems = currency_problems(bad)
        assert len(problems) == 1 and problems[0].startswith("currency:")
    with pytest.raises(ValueError, match="ISO 4217"):
        money(1.0, "RMB")


def test_the_code_list_holds_three_capital_letters_each_with_its_minor_units():
    assert len(CURRENCIES) > 150
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in CURRENCIES)
    assert {CURRENCIES[c] for c in ("CNY", "USD", "EUR", "HKD", "TWD")} == {2}
    assert CURRENCIES["JPY"] == CURRENCIES["KRW"] == 0
    assert CURRENCIES["BHD"] == 3
