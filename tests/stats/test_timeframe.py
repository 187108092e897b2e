"""Time windows: the as_of cut keeps its boundary, periods are half-open and tile time, months count across years."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from socialops.stats.timeframe import cut_at, in_period, month_index, month_label, period_bounds, timestamp

AS_OF = pd.Timestamp("2026-09-30 23:59:59")
DAY = pd.Timedelta(days=1)
SECOND = pd.Timedelta(seconds=1)


@pytest.fixture(scope="module")
def stamps(con):
    """A table of one timestamp per row, named by where it lies against AS_OF."""
    df = pd.DataFrame({
        "name": ["a_day_before", "at_as_of", "a_second_after", "period_start", "just_inside"],
        "ts": [AS_OF - DAY, AS_OF, AS_OF + SECOND, AS_OF - 30 * DAY, AS_OF - 30 * DAY + SECOND],
    })
    return con.create_table("stamps", df, overwrite=True)


@pytest.mark.parametrize(
    "value", [AS_OF, AS_OF.to_pydatetime(), "2026-09-30 23:59:59", AS_OF.tz_localize("Asia/Shanghai")]
)
def test_timestamp_is_a_naive_literal(con, value):
    got = con.execute(timestamp(value))
    assert pd.Timestamp(got) == AS_OF and pd.Timestamp(got).tzinfo is None


def test_cut_at_keeps_as_of_itself(stamps):
    kept = set(cut_at(stamps, AS_OF).to_pandas()["name"])
    assert kept == {"a_day_before", "at_as_of", "period_start", "just_inside"}


def test_cut_at_reads_another_column(con):
    df = pd.DataFrame({"when": [AS_OF, AS_OF + SECOND]})
    table = con.create_table("other_column", df, overwrite=True)
    assert cut_at(table, AS_OF, column="when").count().execute() == 1


def test_periods_tile_time():
    start, end = period_bounds(AS_OF, 30)
    before_start, before_end = period_bounds(AS_OF, 30, back=1)
    assert end == AS_OF and start == AS_OF - 30 * DAY == before_end
    assert before_start == AS_OF - 60 * DAY
    assert month_label(2026 * 12 + 8) == "2026-09" and month_label(2026 * 12) == "2026-01"


def test_period_bounds_take_any_date_form():
    assert period_bounds(dt.datetime(2026, 9, 30), 7, back=2) == (
        pd.Timestamp("2026-09-09"), pd.Timestamp("2026-09-16")
    )


def test_in_period_is_open_at_its_start_and_closed_at_its_end(stamps):
    start, end = period_bounds(AS_OF, 30)
    inside = stamps.filter(in_period(stamps, start, end))
    assert set(inside.to_pandas()["name"]) == {"a_day_before", "at_as_of", "just_inside"}


def test_month_index_counts_calendar_months_across_years(con):
    df = pd.DataFrame({"ts": pd.to_datetime(["2025-12-31 23:59:59", "2026-01-01 00:00:00", "2026-09-30 00:00:00"])})
    table = con.create_table("months", df, overwrite=True)
    got = table.select(m=month_index(table.ts)).to_pandas()["m"].tolist()
    assert got == [2025 * 12 + 11, 2026 * 12, 2026 * 12 + 8]
    assert [month_label(m) for m in got] == ["2025-12", "2026-01", "2026-09"]


def test_month_label_pads_year_and_month():
    assert month_label(999 * 12 + 2) == "0999-03"
    assert month_label(2026.0 * 12 + 11) == "2026-12"


def test_cut_at_a_date_column_keeps_the_whole_day(con):
    days = con.create_table("days_cut", pd.DataFrame({"date": pd.to_datetime(["2026-09-29", "2026-09-30", "2026-10-01"]).date}))
    kept = cut_at(days, pd.Timestamp("2026-09-30 12:00"), column="date").to_pandas()["date"].astype(str).tolist()
    assert kept == ["2026-09-29", "2026-09-30"]
