"""One definition per metric: the registry every text, table, chart, spreadsheet and JSON file takes a metric from.

A metric has one name, one definition, one unit and one label per language. Two numbers that answer different
questions get different names, even when the trade calls both "conversion": the share of acquired users who have
bought by now (``acquired_buyer_share``), the share of the users new some days ago who have bought since
(``new_user_first_order``) and the share of the users acquired within a period who bought by its end
(``period_acquired_first_order``) are three metrics, and a reader sees three labels.

Units and how each reads (:mod:`socialops.report.format`):

* ``share``: a percentage; its decimals follow its interval where it has one;
* ``ratio``: a plain number, never a percentage (a K-factor);
* ``count``: a whole number;
* ``amount``: money, whole, with the currency's code (a total: spend, revenue, net);
* ``unit_amount``: money to the currency's minor unit (an amount per follower, per conversion, per customer).

A label or definition may name the period with ``{days}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from socialops.report.format import (
    CURRENCIES,
    DASH,
    count,
    estimate,
    is_missing,
    money,
    number,
    percent,
)

#: The units a metric can have.
UNITS = ("share", "ratio", "count", "amount", "unit_amount")

#: The units whose values are money (and carry a currency).
MONEY_UNITS = frozenset({"amount", "unit_amount"})


@dataclass(frozen=True)
class Metric:
    """One metric of the registry.

    Attributes
    ----------
    name : str
        Its one name, as in the results' ``metrics`` list.
    unit : str
        One of :data:`UNITS`.
    labels : mapping
        ``{lang: label}`` for ``en`` and ``zh``: what tables, charts and spreadsheets call it.
    definitions : mapping
        ``{lang: definition}``: what it counts, over which users or days.
    digits : int
        Decimals without an interval (shares in percent, ratios); amounts follow their currency.
    """

    name: str
    unit: str
    labels: Mapping[str, str]
    definitions: Mapping[str, str]
    digits: int = 1

    def label(self, lang: str, **values: object) -> str:
        """The metric's name in `lang`, its ``{days}`` filled from `values`."""
        return self.labels[lang].format(**values)

    def definition(self, lang: str, **values: object) -> str:
        """What the metric counts, in `lang`."""
        return self.definitions[lang].format(**values)

    @property
    def is_money(self) -> bool:
        """Whether the metric is an amount of money."""
        return self.unit in MONEY_UNITS

    def text(self, value: float | None, *, currency: str | None = None, digits: int | None = None,
             missing: str = DASH) -> str:
        """One value as the report shows it (a share as a percentage, an amount with its currency)."""
        shown = self.digits if digits is None else digits
        if self.unit == "share":
            return percent(value, shown, missing=missing)
        if self.unit == "ratio":
            return number(value, shown, missing=missing)
        if self.unit == "count":
            return count(value, missing=missing)
        return money(value, _currency(self, currency), self._money_digits(currency, digits), missing=missing)

    def texts(self, value: float | None, low: float | None, high: float | None, *,
              currency: str | None = None) -> tuple[str, str, str]:
        """The value and its interval's ends, to the decimals the interval supports (never more than usual).

        All go through :func:`~socialops.report.format.estimate` (ends rounded outward); amounts keep to the
        currency's minor units and carry its code, counts are whole.
        """
        if self.unit in ("share", "ratio"):
            kind = "percent" if self.unit == "share" else "number"
            return estimate(value, low, high, kind, most=self.digits)
        if self.unit == "count":
            return tuple(self.text(v) for v in (value, low, high))
        code = _currency(self, currency)
        shown = estimate(value, low, high, "number", most=self._money_digits(code, None))
        return tuple(text if is_missing(v) else f"{code} {text}" for v, text in zip((value, low, high), shown,
                                                                                   strict=True))

    def record(self, value: float | None, low: float | None = None, high: float | None = None, *,
               currency: str | None = None, **scope: object) -> dict[str, object]:
        """The metric's entry in the results' ``metrics`` list: its name, scope, value, interval, unit and currency.

        Parameters
        ----------
        value, low, high : float or None
            The estimate and its interval (None where it has none).
        currency : str, optional
            The ISO 4217 code of an amount; required for money.
        **scope
            What the value is of, such as ``platform="wechat"`` or ``days=30``.
        """
        entry: dict[str, object] = {"metric": self.name, **scope, "value": _plain(value), "ci_low": _plain(low),
                                    "ci_high": _plain(high), "unit": self.unit}
        if self.is_money:
            entry["currency"] = _currency(self, currency)
        return entry

    def _money_digits(self, currency: str | None, digits: int | None) -> int:
        if digits is not None:
            return digits
        return 0 if self.unit == "amount" else CURRENCIES.get(currency or "", 2)


def _currency(metric: Metric, currency: str | None) -> str:
    if currency is None:
        raise ValueError(f"{metric.name} is an amount of money: give its currency")
    return currency


def _plain(value: float | None) -> float | None:
    return None if is_missing(value) else float(value)


def _metric(name: str, unit: str, en: str, zh: str, define_en: str, define_zh: str, digits: int = 1) -> Metric:
    return Metric(name, unit, {"en": en, "zh": zh}, {"en": define_en, "zh": define_zh}, digits)


#: Every metric a report names, by name.
METRICS: dict[str, Metric] = {m.name: m for m in (
    # ---- chapter 01: the platforms over the scored period
    _metric("engagement_rate", "share", "Engagement rate", "互动率",
            "engagements ÷ impressions over the period", "周期内互动数 ÷ 曝光量", 2),
    _metric("ctr", "share", "Click-through rate", "点击率",
            "clicks ÷ impressions over the period", "周期内点击数 ÷ 曝光量", 2),
    _metric("conversion_rate", "share", "Conversions per click", "点击转化率",
            "conversions ÷ clicks over the period", "周期内转化数 ÷ 点击数", 2),
    _metric("spend", "amount", "Spend", "投放花费",
            "advertising spend over the period", "周期内的投放花费"),
    _metric("revenue", "amount", "Revenue", "收入",
            "revenue attributed to the platform over the period", "周期内归属该平台的收入"),
    _metric("roi", "share", "Return on spend (ROI)", "投入产出比（ROI）",
            "(revenue − spend) ÷ spend over the period", "周期内（收入 − 花费）÷ 花费", 0),
    _metric("cost_per_follower", "unit_amount", "Cost per new follower", "单个新增粉丝成本",
            "spend ÷ new followers over the period", "周期内花费 ÷ 新增粉丝数"),
    _metric("cost_per_conversion", "unit_amount", "Cost per conversion", "单次转化成本",
            "spend ÷ conversions over the period", "周期内花费 ÷ 转化数"),
    # ---- chapter 02: three first-order conversions
    _metric("acquired_buyer_share", "share", "Acquired users who have bought (today)", "已下单的获客用户占比（当前）",
            "of the users not churned today who followed or signed up, the share who have bought",
            "当前未流失且已关注或注册的用户中，已下过单的比例"),
    _metric("new_user_first_order", "share", "First orders of users new {days} days ago",
            "{days} 天前新用户的首单转化率",
            "of the users who were new (acquired, no purchase) {days} days ago, the share who have bought since",
            "{days} 天前处于新用户阶段（已获客、未购买）的用户中，此后下了首单的比例"),
    _metric("period_acquired_first_order", "share", "First orders of users acquired in the last {days} days",
            "近 {days} 天获客用户的首单转化率",
            "of the users whose first follow or signup lies in the last {days} days, the share who have bought",
            "首次关注或注册发生在近 {days} 天内的用户中，已下过单的比例", 2),
    # ---- chapter 02: three repurchase rates
    _metric("repeat_customer_share", "share", "Customers who bought more than once (all time)",
            "多次购买的客户占比（全部历史）",
            "of all customers, the share with more than one purchase to date", "全部客户中，累计购买超过一次的比例"),
    _metric("period_buyer_repeat_share", "share", "Repeat buyers among the last {days} days' buyers",
            "近 {days} 天购买者中的复购占比",
            "of the users who bought in the last {days} days, the share with at least two purchases to date",
            "近 {days} 天内有购买的用户中，累计购买至少两次的比例", 2),
    _metric("next_month_repurchase", "share", "Cohort buying again the month after its first purchase",
            "首购次月复购率",
            "the share of customers who buy again in the calendar month after their first purchase, over the "
            "cohorts whose next month is observed", "在首购次月再次购买的客户比例（按已观察到次月的各批次客户合计）"),
    # ---- chapter 04: win-back economics and customer value
    _metric("winback_offer_cost", "amount", "Cost of the offer", "优惠成本",
            "coupons redeemed by the treated customers × the coupon's cost", "实验组兑换的优惠券数 × 单张成本"),
    _metric("winback_value_won", "amount", "Value won back", "召回带来的价值",
            "extra comebacks over the holdout × the value of a comeback", "相对对照组多召回的客户数 × 单个回流客户的价值"),
    _metric("winback_net", "amount", "Net result of the offer", "优惠净收益",
            "value won back − cost of the offer", "召回带来的价值 − 优惠成本"),
    _metric("customer_value_total", "amount", "Customer value over {days} days", "未来 {days} 天客户价值合计",
            "the expected spend of all customers over the next {days} days", "全部客户在未来 {days} 天的预期消费合计"),
)}


def metric(name: str) -> Metric:
    """The registry's metric called `name` (a KeyError names the unknown metric)."""
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"no metric {name!r} in the registry") from None


@dataclass(frozen=True)
class MetricLabel:
    """A metric's label as a template value: written in the language of the report that says it.

    The catalog's templates take it like any value (``"{label}: {rate}"``); the translator calls :meth:`words`.
    """

    name: str
    days: int | None = None

    def words(self, t) -> str:
        """The label in the translator's language, its period filled in."""
        return metric(self.name).label(t.lang, days=self.days)
