import dataclasses
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socialops.report.jsonsafe import dumps, to_jsonable


def strict_loads(text: str):
    """Parse JSON and fail on NaN, Infinity and -Infinity tokens."""

    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def test_non_finite_numbers_become_null():
    obj = {"a": float("nan"), "b": float("inf"), "c": -np.inf, "d": np.float32("nan"), "e": Decimal("NaN")}
    assert strict_loads(dumps(obj)) == {"a": None, "b": None, "c": None, "d": None, "e": None}


def test_the_strict_parser_does_refuse_nan():
    with pytest.raises(ValueError, match="NaN"):
        strict_loads(json.dumps({"a": float("nan")}))


def test_numpy_scalars_and_arrays():
    obj = {
        "i": np.int64(7),
        "u": np.uint8(255),
        "f": np.float32(0.5),
        "b": np.bool_(True),
        "arr": np.array([[1, 2], [3, 4]]),
        "farr": np.array([1.5, np.nan, np.inf]),
    }
    out = strict_loads(dumps(obj))
    assert out == {"i": 7, "u": 255, "f": 0.5, "b": True, "arr": [[1, 2], [3, 4]], "farr": [1.5, None, None]}
    assert type(out["i"]) is int and type(out["b"]) is bool


def test_datetime_values_are_iso_8601():
    obj = [
        pd.Timestamp("2026-09-30 12:30:00"),
        pd.Timestamp("2026-09-30 12:30:00", tz="Asia/Shanghai"),
        pd.NaT,
        pd.Timedelta(days=1, hours=2),
        dt.datetime(2026, 1, 2, 3, 4, 5),
        dt.date(2026, 1, 2),
        dt.timedelta(minutes=90),
        np.datetime64("2026-03-01T00:00:00"),
        np.datetime64("NaT"),
    ]
    assert strict_loads(dumps(obj)) == [
        "2026-09-30T12:30:00",
        "2026-09-30T12:30:00+08:00",
        None,
        "P1DT2H0M0S",
        "2026-01-02T03:04:05",
        "2026-01-02",
        "P0DT1H30M0S",
        "2026-03-01T00:00:00",
        None,
    ]


def test_datetime64_arrays_do_not_become_integers():
    arr = pd.to_datetime(["2026-01-01", None]).values
    assert to_jsonable(arr) == ["2026-01-01T00:00:00", None]


def test_decimal_path_set_tuple_and_keys():
    obj = {
        2: Decimal("1.25"),
        None: Path("/tmp/x.csv"),
        True: {3, 1, 2},
        pd.Timestamp("2026-01-01"): (1, "a"),
    }
    assert strict_loads(dumps(obj)) == {
        "2": 1.25,
        "null": "/tmp/x.csv",
        "true": [1, 2, 3],
        "2026-01-01T00:00:00": [1, "a"],
    }


def test_colliding_keys_are_refused():
    with pytest.raises(TypeError, match="same JSON key"):
        to_jsonable({1: "a", "1": "b"})


def test_dataframe_is_a_list_of_records():
    df = pd.DataFrame(
        {
            "platform": ["xiaohongshu", "douyin"],
            "rate": [0.1, np.nan],
            "n": pd.array([1, None], dtype="Int64"),
            "day": pd.to_datetime(["2026-01-01", None]),
        }
    )
    assert strict_loads(dumps(df)) == [
        {"platform": "xiaohongshu", "rate": 0.1, "n": 1, "day": "2026-01-01T00:00:00"},
        {"platform": "douyin", "rate": None, "n": None, "day": None},
    ]


def test_named_index_is_kept_as_a_column():
    df = pd.DataFrame({"users": [3, 4]}, index=pd.Index(["new", "loyal"], name="stage"))
    assert to_jsonable(df) == [{"stage": "new", "users": 3}, {"stage": "loyal", "users": 4}]


def test_series_is_a_dict():
    s = pd.Series([1.0, np.nan], index=pd.Index(["a", "b"]))
    assert strict_loads(dumps(s)) == {"a": 1.0, "b": None}


def test_dataclass_and_chinese_text():
    @dataclasses.dataclass
    class Row:
        name: str
        share: float

    text = dumps(Row("对照组", float("inf")))
    assert "对照组" in text
    assert strict_loads(text) == {"name": "对照组", "share": None}


def test_unsupported_values_raise():
    with pytest.raises(TypeError, match="complex"):
        dumps({"z": 1 + 2j})
    with pytest.raises(TypeError, match="object"):
        dumps(object())


def test_allow_nan_cannot_be_switched_on():
    with pytest.raises(ValueError):
        dumps(1.0, allow_nan=True)
    assert dumps([1, 2], indent=None, separators=(",", ":")) == "[1,2]"
