"""Shared pieces of the sample generator: the window, the clock helpers and the table writers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

DAY = 86_400
HOUR = 3_600

#: The observation window of the samples, in naive local time (seconds since the epoch as int64).
WINDOW_START = int(np.datetime64("2025-10-01T00:00:00", "s").astype(np.int64))
#: The samples' as_of: every chapter's main table ends exactly here, so "end of 2026-09-30" is unambiguous.
WINDOW_END = int(np.datetime64("2026-09-30T23:59:59", "s").astype(np.int64))
AS_OF = "2026-09-30T23:59:59"

PLATFORMS = ("xiaohongshu", "douyin", "wechat", "weibo", "bilibili")

#: Relative social-media activity by hour of day (quiet nights, a lunch bump, the evening peak).
HOUR_WEIGHTS = np.array(
    [
        2.0,
        1.1,
        0.6,
        0.4,
        0.4,
        0.6,
        1.2,
        2.5,
        4.0,
        4.5,
        4.5,
        5.0,
        6.0,
        5.5,
        4.5,
        4.5,
        4.8,
        5.2,
        5.8,
        6.8,
        8.0,
        8.2,
        6.5,
        4.0,
    ]
)
#: Relative activity by weekday, Monday first (weekends are busier on social platforms).
WEEKDAY_WEIGHTS = np.array([0.90, 0.92, 0.95, 0.97, 1.05, 1.15, 1.10])


def weekday_of(ts: np.ndarray) -> np.ndarray:
    """Weekday (Monday = 0) of epoch seconds; 1970-01-01 was a Thursday."""
    return ((ts // DAY) + 3) % 7


def with_daily_cycle(rng: np.random.Generator, ts: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Move each timestamp to a time of day drawn from `HOUR_WEIGHTS`, keeping its date.

    Where the moved time would leave ``[lo, hi]`` the original time is kept, so the bounds of each user's
    activity span hold.
    """
    hours = rng.choice(24, size=ts.size, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    moved = (ts // DAY) * DAY + hours * HOUR + rng.integers(0, HOUR, size=ts.size)
    return np.where((moved >= lo) & (moved <= hi), moved, ts)


def off_last_minute(ts: np.ndarray) -> np.ndarray:
    """Keep timestamps out of 23:59 of any day.

    Cut-offs such as "more than 90 days before as_of" then give the same answer whether a reader takes as_of as
    23:59:59, 23:59:59.999999 or midnight, because no event sits between those instants.
    """
    return np.where(ts % DAY >= DAY - 60, ts - 60, ts)


def to_datetime(ts: np.ndarray) -> np.ndarray:
    """Epoch seconds to ``datetime64[us]`` (microseconds: Spark refuses nanosecond Parquet timestamps)."""
    return np.asarray(ts, dtype=np.int64).astype("datetime64[s]").astype("datetime64[us]")


def ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Text ids such as ``u000123`` (ids stay text so leading zeros survive every reader)."""
    return np.char.add(prefix, np.char.zfill(np.asarray(numbers).astype(str), width)).astype(object)


def arrow_table(df: pd.DataFrame) -> pa.Table:
    """A pandas frame as an Arrow table with microsecond timestamps and no pandas index metadata."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    fields = [
        pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f for f in table.schema
    ]
    return table.cast(pa.schema(fields)).replace_schema_metadata(None)


def csv_text(df: pd.DataFrame, header: bool = True) -> str:
    """A frame as CSV text: ISO timestamps to the second, booleans as true/false, empty cells for nulls."""
    out = df.copy()
    for name in out.columns:
        if out[name].dtype == bool:
            out[name] = np.where(out[name], "true", "false")
    return out.to_csv(index=False, header=header, lineterminator="\n", date_format="%Y-%m-%d %H:%M:%S")


def write_table(df: pd.DataFrame, out_dir: Path, name: str, fmt: str) -> Path:
    """Write one table as ``name.csv`` (UTF-8) or ``name.parquet`` and return its path."""
    path = out_dir / f"{name}.{fmt}"
    if fmt == "csv":
        path.write_text(csv_text(df), encoding="utf-8")
    else:
        pq.write_table(arrow_table(df), path, compression="zstd")
    return path
