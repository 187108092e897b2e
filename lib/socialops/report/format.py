"""How numbers read in reports: the one set of formatters every chapter uses.

Each formatter takes a value that may be missing (None, NaN, NaT, pandas' NA) and returns display text; the text
for a missing value is the ``missing`` argument (an em dash by default, blank in dense tables).

The rules every report follows, each held by one formatter:

* a share is a percentage (:func:`percent`); a difference of two shares is in percentage points
  (:func:`points`, a number without "%": the catalog's template names the unit);
* a ratio such as a K-factor is a plain number (:func:`number`), never a percentage;
* a count is a whole number (:func:`count`): "991 mentions", not "991.1";
* an amount of money carries its currency's ISO 4217 code (:func:`money`): "CNY 1,234" in every language;
* a sentence speaks of time in one unit (:func:`time_unit` chooses it for all the durations of the sentence,
  :func:`duration` writes each);
* an estimate with an interval is written to the digit where the interval's width begins
  (:func:`interval_digits`, :func:`estimate`), no more precisely than the data support, and the interval's ends
  are rounded outward, so that it never reads narrower than it is;
* zero is never negative: a value that rounds to zero reads "0.0", never "-0.0" (the ``z`` of Python's format
  specification); an infinite value reads "∞".
* a table column has one number of decimals (:func:`table_column`): "1" beside "0", not "1.00" beside "0".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

DASH = "—"
INFINITY = "∞"
#: Below this magnitude a table's typical value reads as zero.
_TINY = 5e-5

#: The time units a duration is told in, with their length in hours; names match the ``unit_<name>`` catalog keys.
TIME_UNITS: dict[str, float] = {"minutes": 1 / 60, "hours": 1.0, "days": 24.0}


def is_missing(value: object) -> bool:
    """Whether a scalar is missing: None, a float NaN, NaT or pandas' NA."""
    return value is None or (np.ndim(value) == 0 and bool(pd.isna(value)))


def _fixed(value: float, spec: str) -> str:
    """`value` in the format `spec` (without its type's ``z``), infinities as ∞ and zero never negative."""
    value = float(value)
    if math.isinf(value):
        return ("-" if value < 0 else "+" if spec.startswith("+") else "") + INFINITY
    sign = "+" if spec.startswith("+") else ""
    return f"{value:{sign}z{spec.removeprefix('+')}}"


def percent(value: float | None, digits: int = 1, *, missing: str = DASH) -> str:
    """A share as a percentage (``0.1234`` → ``"12.3%"``, ``19.27`` → ``"1,927.0%"``)."""
    return missing if is_missing(value) else _fixed(value, f",.{digits}%").replace(f"{INFINITY}", f"{INFINITY}%")


def probability(value: float | None, digits: int = 1, *, missing: str = DASH) -> str:
    """A probability as a percentage that never claims certainty: ``"> 99.9%"`` and ``"< 0.1%"`` at the ends."""
    if is_missing(value):
        return missing
    floor = 10.0 ** -(digits + 2)
    if value > 1 - floor:
        return f"> {percent(1 - floor, digits)}"
    if value < floor:
        return f"< {percent(floor, digits)}"
    return percent(value, digits)


def number(value: float | None, digits: int = 0, *, missing: str = DASH) -> str:
    """A number with thousands separators and fixed decimals (``12345.6`` → ``"12,346"``)."""
    return missing if is_missing(value) else _fixed(value, f",.{digits}f")


def count(value: float | None, *, missing: str = DASH) -> str:
    """A count as a whole number with thousands separators (``991.1`` → ``"991"``), whatever its type."""
    return number(value, 0, missing=missing)


def points(value: float | None, digits: int = 1, *, sign: bool = False, missing: str = DASH) -> str:
    """A difference of two shares in percentage points, without its unit (``0.1`` → ``"10.0"``).

    The catalog's template carries the unit ("{diff} percentage points more", "多 {diff} 个百分点"), so that a
    difference of rates is never read as a relative change. With `sign`, a ``+`` marks a rise.
    """
    return missing if is_missing(value) else _fixed(100 * value, f"{'+' if sign else ''}.{digits}f")


def signed(value: float | None, digits: int = 2, scale: float = 1.0, unit: str = "", *, missing: str = "") -> str:
    """A signed number, scaled, with an optional unit (``0.01, scale=100, unit=" pp"`` → ``"+1.00 pp"``)."""
    return missing if is_missing(value) else _fixed(scale * value, f"+.{digits}f") + unit


def small(value: float, digits: int) -> str:
    """A non-negative number with fixed decimals, or ``"< 0.001"`` below what those decimals show."""
    floor = 10.0**-digits
    return f"< {floor:.{digits}f}" if value < floor else _fixed(value, f".{digits}f")


def p_value(p: float | None, *, missing: str = DASH) -> str:
    """A p-value for a table: three decimals, or ``"< 0.001"``."""
    return missing if is_missing(p) else small(p, 3)


def p_compared(p: float | None, *, missing: str = DASH) -> str:
    """A p-value for running text, as a comparison: ``"= 0.031"`` or ``"< 0.001"``."""
    if is_missing(p):
        return missing
    text = small(p, 3)
    return text if text.startswith("<") else f"= {text}"


def time_unit(*hours: float | None) -> str:
    """The one unit to tell these durations (in hours) in: minutes under an hour, hours under three days, else days.

    Missing values are ignored; with none left, hours.
    """
    known = [abs(float(h)) for h in hours if not is_missing(h) and math.isfinite(float(h))]
    longest = max(known, default=1.0)
    return "minutes" if longest < 1 else "hours" if longest < 72 else "days"


def duration(hours: float | None, unit: str | None = None, *, missing: str = DASH) -> str:
    """A duration given in hours, as a number of `unit` (:func:`time_unit` of it when None), without the unit word.

    Whole numbers read without decimals (``24`` hours → ``"24"``), others with one (``114`` hours in days →
    ``"4.8"``); the catalog's ``unit_<unit>`` message adds the word.
    """
    if is_missing(hours):
        return missing
    size = float(hours) / TIME_UNITS[unit or time_unit(hours)]
    return number(size, 0 if round(size, 1).is_integer() else 1)


def interval_digits(low: float | None, high: float | None, scale: float = 1.0, *, most: int = 3) -> int | None:
    """The decimals an estimate with this interval supports: those down to the first digit of the interval's width.

    Parameters
    ----------
    low, high : float
        The interval's ends.
    scale : float
        What the display multiplies the values by (100 for percentages and percentage points).
    most : int
        The most decimals ever shown.

    Returns
    -------
    int or None
        Between 0 and `most`; None when the interval has no finite positive width (the caller's usual digits
        apply then).
    """
    if is_missing(low) or is_missing(high):
        return None
    width = abs(float(high) - float(low)) * scale
    if not math.isfinite(width) or width == 0:
        return None
    return int(min(max(-math.floor(math.log10(width)), 0), most))


#: Each kind of estimate: its formatter, the scale of its display and its decimals without an interval.
_KINDS: dict[str, tuple[Callable[..., str], float, int]] = {
    "percent": (percent, 100.0, 1),
    "points": (points, 100.0, 1),
    "number": (number, 1.0, 2),
}


def estimate(value: float | None, low: float | None, high: float | None, kind: str = "percent", *,
             most: int = 3, missing: str = DASH) -> tuple[str, str, str]:
    """An estimate and its interval's ends, each written to the decimals the interval supports.

    Parameters
    ----------
    value, low, high : float
        The estimate and its interval.
    kind : str
        ``"percent"`` (a share), ``"points"`` (a difference of shares) or ``"number"``.
    most : int
        The most decimals ever shown.
    missing : str
        The text of a missing value.

    Returns
    -------
    tuple of str
        The value, low and high as text (``0.041, 0.040, 0.042`` → ``("4.1%", "4.0%", "4.2%")``); the low end
        rounded down and the high end up at the shown decimals.
    """
    fmt, scale, usual = _KINDS[kind]
    digits = interval_digits(low, high, scale, most=most)
    digits = min(usual, most) if digits is None else digits
    return (fmt(value, digits, missing=missing), fmt(_outward(low, scale, digits, math.floor), digits, missing=missing),
            fmt(_outward(high, scale, digits, math.ceil), digits, missing=missing))


def _outward(end: float | None, scale: float, digits: int, rounding: Callable[[float], int]) -> float | None:
    """An interval's end rounded away from its middle at `digits` (shown never narrower than it is).

    A millionth of the last digit of tolerance keeps an end that is exact in decimal (0.042 held as
    0.04200000001) where it is.
    """
    if is_missing(end) or not math.isfinite(float(end)):
        return end
    step = 10.0**digits
    shifted = float(end) * scale * step
    nudged = shifted + 1e-6 if rounding is math.floor else shifted - 1e-6
    return rounding(nudged) / step / scale


def span(low: float | None, high: float | None, fmt: Callable[[float], str] = number, *,
         missing: str = DASH) -> str:
    """An interval as ``"low – high"``; `missing` when both ends are missing."""
    return missing if is_missing(low) and is_missing(high) else f"{fmt(low)} – {fmt(high)}"


def with_interval(value: float, low: float, high: float, fmt: Callable[[float], str] | str = "percent") -> str:
    """A value followed by its interval: ``"4.1% (4.0% – 4.2%)"``.

    `fmt` is a kind of :func:`estimate` (the decimals then follow the interval) or a formatter of one value.
    """
    if isinstance(fmt, str):
        shown, lo, hi = estimate(value, low, high, fmt)
    else:
        shown, lo, hi = fmt(value), fmt(low), fmt(high)
    return f"{shown} ({lo} – {hi})"


def table_cell(value: object) -> str:
    """One number in a report table, as :func:`table_column` writes a column holding only it."""
    return table_column([value])[0]


def table_column(values: Iterable[object]) -> list[str]:
    """The cells of one report table column, every number in it with the same decimals.

    A column of whole numbers (counts, even when held as floats after arithmetic) reads whole; otherwise the
    decimals are those a typical value of the column needs (its median magnitude: none from 1,000, one from 10,
    two from 1, three below, two significant digits below 0.01), less any trailing zero every cell shares.
    Thousands are separated, zero is never negative, missing values are blank, text and flags stay as they are.

    Parameters
    ----------
    values : iterable
        The column's values (a pandas Series, a list).

    Returns
    -------
    list of str
        One text per value, in order.
    """
    values = list(values)
    numbers = [float(v) for v in values if _is_number(v)]
    finite = [v for v in numbers if math.isfinite(v)]
    digits = 0 if all(v.is_integer() for v in finite) else _decimals(finite)
    while digits > 0 and all(_fixed(v, f".{digits}f").endswith("0") for v in finite):
        digits -= 1
    return ["" if is_missing(v) else _fixed(float(v), f",.{digits}f") if _is_number(v) else str(v) for v in values]


def _is_number(value: object) -> bool:
    """Whether a table value is a number to format (not a flag, not missing)."""
    return (isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)
            and not is_missing(value))


def _decimals(finite: list[float]) -> int:
    """The decimals of a column whose typical (median non-zero) magnitude is that of `finite`'s values."""
    magnitudes = [abs(v) for v in finite if v != 0]
    typical = float(np.median(magnitudes)) if magnitudes else 0.0
    if typical >= 1000:
        return 0
    if typical >= 10:
        return 1
    if typical >= 1:
        return 2
    if typical >= 0.01 or typical < _TINY:
        return 3
    # two significant digits, written out in full (no "1.2e-05" in a client's table)
    return 1 - math.floor(math.log10(typical))


# ------------------------------------------------------------------ money

#: The currencies of ISO 4217 in use (funds, precious metals and test codes left out), each with its minor units:
#: the decimals its prices are written to. Held here rather than read from a locale database, so that a run never
#: depends on the machine's locales.
_MINOR_UNITS: dict[int, str] = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF",
    2: "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY "
       "COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR "
       "ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK "
       "MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE "
       "SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR "
       "ZMW ZWG",
    3: "BHD IQD JOD KWD LYD OMR TND",
}
CURRENCIES: dict[str, int] = {code: digits for digits, codes in _MINOR_UNITS.items() for code in codes.split()}


def currency_problems(code: object) -> list[str]:
    """Why `code` is not a currency a report can show amounts in (empty when it is one).

    Parameters
    ----------
    code : object
        The ``currency`` parameter: an ISO 4217 code in capitals, such as ``CNY`` or ``USD``.

    Returns
    -------
    list of str
        One message naming the parameter and what to give instead, or nothing.
    """
    if isinstance(code, str) and code in CURRENCIES:
        return []
    hint = f" (did you mean {code.upper()}?)" if isinstance(code, str) and code.upper() in CURRENCIES else ""
    return [f"currency: {code!r} is not an ISO 4217 currency code such as CNY, USD or EUR{hint}"]


def money(value: float | None, currency: str, digits: int | None = None, *, missing: str = DASH) -> str:
    """An amount with its currency's code in front, the same in every language (``1234.5, "CNY"`` → ``"CNY 1,235"``).

    Parameters
    ----------
    value : float or None
        The amount.
    currency : str
        Its ISO 4217 code (:data:`CURRENCIES`).
    digits : int, optional
        Decimals; by default the currency's minor units (two for yuan, none for yen). Totals are usually written
        whole (``digits=0``), amounts per customer or per follower to the minor unit.
    missing : str
        The text of a missing value.

    Raises
    ------
    ValueError
        For a code that is not in :data:`CURRENCIES`.
    """
    if currency not in CURRENCIES:
        raise ValueError(currency_problems(currency)[0])
    if is_missing(value):
        return missing
    return f"{currency} {number(value, CURRENCIES[currency] if digits is None else digits)}"
