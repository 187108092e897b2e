"""Shared pieces of the generator: clock helpers, ids and the table writers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from socialops.sample import _common as common


def test_weekday_of_epoch_seconds():
    monday = int(np.datetime64("2026-09-28T12:00:00", "s").astype(np.int64))
    assert common.weekday_of(np.array([monday, monday + 6 * common.DAY])).tolist() == [0, 6]


def test_daily_cycle_keeps_the_date_and_the_bounds():
    rng = np.random.default_rng(0)
    ts = common.WINDOW_START + np.arange(1_000) * common.HOUR
    lo, hi = ts - common.HOUR, ts + common.HOUR
    moved = common.with_daily_cycle(rng, ts, lo, hi)
    assert (moved // common.DAY == ts // common.DAY).all()
    assert ((moved >= lo) & (moved <= hi)).all()


def test_off_last_minute_moves_only_the_last_minute():
    day = common.WINDOW_START
    ts = np.array([day + common.DAY - 60, day + common.DAY - 1, day + common.DAY - 61])
    assert common.off_last_minute(ts).tolist() == [ts[0] - 60, ts[1] - 60, ts[2]]


def test_ids_and_timestamps():
    assert common.ids("u", np.array([1, 123]), 6).tolist() == ["u000001", "u000123"]
    assert str(common.to_datetime(np.array([common.WINDOW_END]))[0]) == "2026-09-30T23:59:59.000000"


def test_tables_written_as_csv_and_parquet(tmp_path):
    df = pd.DataFrame({"ts": pd.to_datetime(["2026-01-02 03:04:05"]), "ok": [True], "n": [None]})
    csv = common.write_table(df, tmp_path, "t", "csv")
    assert csv.read_text(encoding="utf-8") == "ts,ok,n\n2026-01-02 03:04:05,true,\n"
    schema = pq.read_schema(common.write_table(df, tmp_path, "t", "parquet"))
    assert str(schema.field("ts").type) == "timestamp[us]" and schema.metadata is None
