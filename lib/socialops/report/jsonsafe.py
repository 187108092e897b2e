"""Strict JSON for the results contract.

``CHAPTER.json`` must parse with any strict JSON parser: no ``NaN`` or ``Infinity`` tokens, and every value a
plain JSON type. Chapter code hands over numpy scalars, pandas timestamps, frames and the like; this module turns
them into JSON values with fixed rules (non-finite numbers become ``null``, dates and times ISO 8601).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
import numbers
from collections.abc import Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["dumps", "to_jsonable"]


def _number(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _key(key: Any) -> str:
    """A dict key as JSON text: strings as they are, other keys by their JSON value."""
    if isinstance(key, str):
        return key
    value = to_jsonable(key)
    if isinstance(value, str):
        return value
    # None, booleans and numbers are spelled as JSON spells them ("null", "true", "1.5").
    return json.dumps(value, allow_nan=False)


def _frame_records(df: pd.DataFrame) -> list:
    # A named index carries information (a platform, a date); keep it as columns rather than dropping it.
    if any(name is not None for name in df.index.names):
        df = df.reset_index()
    return [to_jsonable(row) for row in df.to_dict(orient="records")]


def _array(arr: np.ndarray) -> list:
    if arr.ndim > 1:
        return [_array(sub) for sub in arr]
    if arr.dtype.kind in "mMO":
        # tolist() would turn datetime64[ns] into bare integers; convert element by element instead.
        return [to_jsonable(x) for x in arr]
    return [to_jsonable(x) for x in arr.tolist()]


def _unordered(items: Any) -> list:
    values = [to_jsonable(x) for x in items]
    try:
        return sorted(values)
    except TypeError:
        # Mixed types cannot be compared; a stable order still keeps the output reproducible.
        return sorted(values, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))


#: What a converter step returns for a value that is not of its kind.
_NOT_MINE = object()


def _scalar(obj: Any) -> Any:
    """Text, booleans, enums and numbers; non-finite numbers become None."""
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, (float, np.floating, Decimal)):
        return _number(float(obj))
    return _NOT_MINE


def _moment(obj: Any) -> Any:
    """Missing values, dates, times and durations, as ISO 8601 text."""
    if obj is pd.NaT or obj is pd.NA:
        return None
    if isinstance(obj, np.datetime64):
        return to_jsonable(pd.Timestamp(obj))
    if isinstance(obj, np.timedelta64):
        return to_jsonable(pd.Timedelta(obj))
    if isinstance(obj, (dt.datetime, dt.date, dt.time)):
        return obj.isoformat()
    if isinstance(obj, dt.timedelta):
        return pd.Timedelta(obj).isoformat()
    return _NOT_MINE


def _tabular(obj: Any) -> Any:
    """Frames, series, indexes and arrays."""
    if isinstance(obj, pd.DataFrame):
        return _frame_records(obj)
    if isinstance(obj, pd.Series):
        return {_key(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (pd.Index, pd.api.extensions.ExtensionArray)):
        return [to_jsonable(x) for x in obj]
    if isinstance(obj, np.ndarray):
        return _array(obj)
    return _NOT_MINE


def _mapping(obj: Mapping) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        key = _key(k)
        if key in out:
            raise TypeError(f"two keys map to the same JSON key {key!r}")
        out[key] = to_jsonable(v)
    return out


def _collection(obj: Any) -> Any:
    """Paths, mappings, sets, sequences and dataclass instances."""
    if isinstance(obj, PurePath):
        return str(obj)
    if isinstance(obj, Mapping):
        return _mapping(obj)
    if isinstance(obj, (set, frozenset)):
        return _unordered(obj)
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(x) for x in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    return _NOT_MINE


_STEPS = (_scalar, _moment, _tabular, _collection)


def to_jsonable(obj: Any) -> Any:
    """Convert a value into plain JSON types (dict, list, str, int, float, bool, None).

    Parameters
    ----------
    obj : Any
        The value to convert. Supported: JSON types; numpy scalars and arrays; ``pandas.Timestamp``, ``NaT``,
        ``NA``, ``Timedelta``, ``DataFrame`` (a list of records; a named index becomes columns), ``Series``
        (a dict from index to value), ``Index`` and extension arrays; ``datetime``, ``date``, ``time``,
        ``timedelta``; ``Decimal``; paths; enums; dataclass instances; sets, tuples and other mappings.

    Returns
    -------
    Any
        A value that ``json.dumps(..., allow_nan=False)`` accepts. NaN and infinite numbers become ``None``;
        dates and times are ISO 8601 strings (durations like ``P1DT2H0M0S``); sets become sorted lists;
        dict keys become strings.

    Raises
    ------
    TypeError
        If ``obj`` (or something inside it) has no JSON form, e.g. a complex number.
    """
    for step in _STEPS:
        value = step(obj)
        if value is not _NOT_MINE:
            return value
    raise TypeError(f"no JSON form for a value of type {type(obj).__name__}: {obj!r}")


def dumps(obj: Any, **kw: Any) -> str:
    """Serialise ``obj`` as strict JSON text.

    Parameters
    ----------
    obj : Any
        Anything :func:`to_jsonable` accepts.
    **kw
        Passed to :func:`json.dumps` (``indent``, ``sort_keys`` ...). ``ensure_ascii`` defaults to False so
        Chinese text stays readable. ``allow_nan`` is always False.

    Returns
    -------
    str
        JSON text without ``NaN`` or ``Infinity`` tokens.
    """
    if kw.pop("allow_nan", False):
        raise ValueError("strict JSON never allows NaN or Infinity")
    kw.setdefault("ensure_ascii", False)
    return json.dumps(to_jsonable(obj), allow_nan=False, **kw)
