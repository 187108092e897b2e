"""Repeated keys: found with their rows, the last row of each kept (checked against plain pandas)."""

from __future__ import annotations

import ibis
import pandas as pd

from socialops.inputs import keys
from socialops.inputs.readers import ROW
from socialops.inputs.tables import TABLES

ROWS = pd.DataFrame(
    {
        ROW: [2, 3, 4, 5, 6, 7],
        "date": ["2026-01-01", "2026-01-01", "2026-01-02", "2026-01-01", None, None],
        "platform": ["weibo", "douyin", "weibo", "weibo", "weibo", "weibo"],
        "followers": [10, 20, 30, 40, 50, 60],
    }
)
KEY = ("date", "platform")


def test_keep_last_keeps_the_lowest_row_of_each_key_and_every_incomplete_key():
    kept = keys.keep_last(ibis.memtable(ROWS), KEY).to_pandas().sort_values(ROW)
    complete = ROWS.dropna(subset=list(KEY))
    expected = pd.concat([complete.drop_duplicates(list(KEY), keep="last"), ROWS[ROWS.date.isna()]])
    assert kept[ROW].tolist() == sorted(expected[ROW].tolist()) == [3, 4, 5, 6, 7]
    assert kept.set_index(ROW).loc[5, "followers"] == 40


def test_repeats_are_found_with_their_rows_and_the_rows_dropped_counted():
    spec = TABLES["platform_daily"]
    assert spec.key == KEY and keys.keeps_last(spec, ROWS.columns)
    assert keys.has_repeats(ibis.memtable(ROWS), KEY)
    rows, found = keys.find_repeats(ibis.memtable(ROWS), spec, "platform_daily.csv")
    assert rows == 6
    assert found.rows == (2, 5) and found.repeated_rows == 2 and found.dropped_rows == 1
    assert found.record()["treatment"] == "kept_last"
    assert keys.find_repeats(ibis.memtable(ROWS[ROWS[ROW] != 5]), spec, "platform_daily.csv")[1] is None
