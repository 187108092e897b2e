"""How numbers read in reports: the one set of formatters every chapter uses.

Each formatter takes a value that may be missing (None, NaN, NaT, pandas' NA) and returns display text; the text
for a missing value is the ``missing`` argument (an em dash by default, blank in dense tables).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

DASH = "—"


def is_missing(value: object) -> bool:
    """Whether a scalar is missing: None, a float NaN, NaT or pandas' NA."""
    return value is None or (np.ndim(value) == 0 and bool(pd.isna(value)))


def percent(value: float | None, digits: int = 1, *, missing: str = DASH) -> str:
    """A share as a percentage (``0.1234`` → ``"12.3%"``)."""
    return missing if is_missing(value) else f"{value:.{digits}%}"


def number(value: float | None, digits: int = 0, *, missing: str = DASH) -> str:
    """A number with thousands separators and fixed decimals (``12345.6`` → ``"12,346"``)."""
    return missing if is_missing(value) else f"{value:,.{digits}f}"


def signed(value: float | None, digits: int = 2, scale: float = 1.0, unit: str = "", *, missing: str = "") -> str:
    """A signed number, scaled, with an optional unit (``0.01, scale=100, unit=" pp"`` → ``"+1.00 pp"``)."""
    return missing if is_missing(value) else f"{scale * value:+.{digits}f}{unit}"


def small(value: float, digits: int) -> str:
    """A non-negative number with fixed decimals, or ``"< 0.001"`` below what those decimals show."""
    floor = 10.0**-digits
    return f"< {floor:.{digits}f}" if value < floor else f"{value:.{digits}f}"


def p_value(p: float | None, *, missing: str = DASH) -> str:
    """A p-value for a table: three decimals, or ``"< 0.001"``."""
    return missing if is_missing(p) else small(p, 3)


def p_compared(p: float | None, *, missing: str = DASH) -> str:
    """A p-value for running text, as a comparison: ``"= 0.031"`` or ``"< 0.001"``."""
    if is_missing(p):
        return missing
    text = small(p, 3)
    return text if text.startswith("<") else f"= {text}"


def span(low: float | None, high: float | None, fmt: Callable[[float], str] = number, *,
         missing: str = DASH) -> str:
    """An interval as ``"low – high"``; `missing` when both ends are missing."""
    return missing if is_missing(low) and is_missing(high) else f"{fmt(low)} – {fmt(high)}"


def with_interval(value: float, low: float, high: float, fmt: Callable[[float], str] = percent) -> str:
    """A value followed by its interval: ``"4.1% (4.0% – 4.2%)"``."""
    return f"{fmt(value)} ({fmt(low)} – {fmt(high)})"


def table_cell(value: object) -> str:
    """A number in a report table: thousands separators, few decimals, blank when missing."""
    if is_missing(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, int | np.integer):
        return f"{value:,}"
    if isinstance(value, float | np.floating):
        return _float_cell(float(value))
    return str(value)


def _float_cell(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:,.1f}"
    if magnitude >= 0.01 or magnitude == 0:
        return f"{value:.3f}".rstrip("0").rstrip(".") if magnitude < 1 else f"{value:.2f}"
    return f"{value:.2g}"
