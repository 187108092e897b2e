"""The metric registry: one name, unit, label and definition per metric, and how its values read."""

from __future__ import annotations

import pytest

from socialops.report.chinese import problems
from socialops.report.metrics import METRICS, UNITS, metric


def test_every_metric_has_a_unit_and_its_label_and_definition_in_both_languages():
    for name, m in METRICS.items():
        assert m.name == name and m.unit in UNITS
        for lang in ("en", "zh"):
            assert m.label(lang, days=30) and m.definition(lang, days=30)
        assert problems(m.label("zh", days=30)) == [] and problems(m.definition("zh", days=30)) == []


def test_different_definitions_read_as_different_labels():
    for lang in ("en", "zh"):
        labels = [m.label(lang, days=30) for m in METRICS.values()]
        assert len(set(labels)) == len(labels)


def test_the_three_first_order_conversions_and_three_repurchase_rates_are_six_metrics():
    names = ("acquired_buyer_share", "new_user_first_order", "period_acquired_first_order",
             "repeat_customer_share", "period_buyer_repeat_share", "next_month_repurchase")
    assert all(metric(n).unit == "share" for n in names)
    assert len({metric(n).definition("en", days=30) for n in names}) == 6


def test_values_read_by_unit():
    assert metric("acquired_buyer_share").text(0.74489) == "74.5%"
    assert metric("spend").text(19678.12, currency="CNY") == "CNY 19,678"
    assert metric("cost_per_follower").text(3.126, currency="CNY") == "CNY 3.13"
    assert metric("cost_per_follower").text(3.126, currency="JPY") == "JPY 3"
    assert metric("roi").text(-0.624) == "-62%"


def test_an_interval_sets_the_decimals_and_its_ends_round_outward():
    assert metric("new_user_first_order").texts(0.0486, 0.0389, 0.0606) == ("5%", "3%", "7%")
    value, low, high = metric("cost_per_conversion").texts(12.345, 11.02, 13.71, currency="CNY")
    assert (value, low, high) == ("CNY 12", "CNY 11", "CNY 14")
    assert metric("cost_per_conversion").texts(12.345, 12.30, 12.39, currency="CNY") == (
        "CNY 12.35", "CNY 12.30", "CNY 12.39")


def test_amounts_need_their_currency_and_record_it():
    with pytest.raises(ValueError, match="currency"):
        metric("revenue").text(1.0)
    entry = metric("revenue").record(1234.5, currency="USD", platform="wechat")
    assert entry == {"metric": "revenue", "platform": "wechat", "value": 1234.5, "ci_low": None, "ci_high": None,
                     "unit": "amount", "currency": "USD"}
    assert "currency" not in metric("ctr").record(0.01)
    with pytest.raises(KeyError, match="no metric 'conversion'"):
        metric("conversion")
