"""The end of the observation window: the forms of ``as_of`` and the default taken from the data."""

from __future__ import annotations

import pandas as pd
import pytest

from socialops.inputs.window import (
    AS_OF_FORMS,
    data_span,
    end_of_day,
    latest_as_of,
    parse_as_of,
    resolve_as_of,
)
from socialops.inputs.workspace import open_workspace

DAILY = (
    "date,platform,followers,impressions,engagements\n"
    "2026-09-01,douyin,100,5000,15\n"
    "2026-09-02,douyin,101,5200,23\n"
)
MENTIONS = (
    "mention_id,ts,platform,sentiment\n"
    "m1,2026-09-01 08:00:00,weibo,0.5\n"
    "m2,2026-09-03 21:15:30,weibo,-0.2\n"
)


def test_as_of_date_means_end_of_day():
    assert parse_as_of("2026-09-30") == pd.Timestamp("2026-09-30 23:59:59.999999")
    assert parse_as_of("2026-09-30 12:00:00") == pd.Timestamp("2026-09-30 12:00")
    assert parse_as_of("") is None and parse_as_of("  ") is None


def test_other_spellings_of_an_instant():
    assert parse_as_of("2026-09-30T12:00:00") == pd.Timestamp("2026-09-30 12:00")
    assert parse_as_of(" 2026-09-30 12:30 ") == pd.Timestamp("2026-09-30 12:30")
    assert parse_as_of(None) is None


@pytest.mark.parametrize("bad", ["30/09/2026", "2026-9-30", "yesterday", "2026-09-30T25"])
def test_as_of_rejects_other_forms(bad):
    with pytest.raises(ValueError):
        parse_as_of(bad)


@pytest.mark.parametrize("bad", ["2026-13-45", "2026-02-30", "2026-09-30 25:00:00", "9999-12-31"])
def test_impossible_dates_name_the_accepted_forms(bad):
    with pytest.raises(ValueError) as error:
        parse_as_of(bad)
    assert AS_OF_FORMS in str(error.value) and repr(bad) in str(error.value)
    assert "YYYY-MM-DD HH:MM:SS" in AS_OF_FORMS


def test_end_of_day_is_its_last_microsecond():
    assert end_of_day(pd.Timestamp("2026-09-30 08:15")) == pd.Timestamp("2026-09-30 23:59:59.999999")
    assert end_of_day(pd.Timestamp("2026-09-30")) == pd.Timestamp("2026-09-30 23:59:59.999999")


def test_latest_as_of_takes_the_end_of_a_dated_table_and_the_last_instant_of_a_timed_one(tmp_path):
    (tmp_path / "platform_daily.csv").write_text(DAILY, encoding="utf-8")
    (tmp_path / "mentions.csv").write_text(MENTIONS, encoding="utf-8")
    with open_workspace(tmp_path, ["platform_daily", "mentions"], threads=1) as ws:
        assert latest_as_of(ws, "platform_daily") == pd.Timestamp("2026-09-02 23:59:59.999999")
        assert latest_as_of(ws, "mentions") == pd.Timestamp("2026-09-03 21:15:30")


# ----------------------------------------------------------------------------------- as_of against the data's span
SPAN = (pd.Timestamp("2025-10-01 08:00"), pd.Timestamp("2026-09-30 17:30"))


@pytest.mark.parametrize("inside", ["2025-10-01 08:00", "2025-10-01", "2026-09-30", "2026-10-01",
                                    "2026-10-01 23:59:59"])
def test_as_of_within_the_data_or_up_to_a_day_after_it_is_read(inside):
    assert parse_as_of(inside, span=SPAN) == parse_as_of(inside)


@pytest.mark.parametrize(("outside", "where"), [
    ("2020-01-01", "before the data"),
    ("2025-09-30", "before the data"),  # the end of that day is still before the first row
    ("2025-10-01 07:59:59", "before the data"),
    ("2026-10-02", "more than one day after the data"),
    ("2026-10-02 00:00:00", "more than one day after the data"),
])
def test_as_of_outside_the_data_names_the_range(outside, where):
    with pytest.raises(ValueError) as error:
        parse_as_of(outside, span=SPAN, dated_by="mentions.ts")
    assert str(error.value).startswith(f"as_of {outside} is {where} (mentions.ts), which run from "
                                       "2025-10-01 08:00:00 to 2026-09-30 17:30:00")
    assert "leave as_of empty" in str(error.value)


def test_a_span_without_dated_rows_checks_the_form_alone():
    assert parse_as_of("2020-01-01", span=(None, None)) == pd.Timestamp("2020-01-01 23:59:59.999999")
    assert parse_as_of("2020-01-01", span=(pd.NaT, pd.NaT)) is not None
    with pytest.raises(ValueError, match="expected YYYY-MM-DD"):
        parse_as_of("2020-1-1", span=SPAN)


def test_resolve_as_of_checks_against_the_main_table_and_defaults_to_its_latest_time(tmp_path):
    (tmp_path / "platform_daily.csv").write_text(DAILY, encoding="utf-8")
    with open_workspace(tmp_path, ["platform_daily"], threads=1) as ws:
        assert data_span(ws, "platform_daily") == (pd.Timestamp("2026-09-01"), pd.Timestamp("2026-09-02"))
        assert resolve_as_of("", ws, "platform_daily") == (pd.Timestamp("2026-09-02 23:59:59.999999"), "latest")
        assert resolve_as_of("2026-09-03", ws, "platform_daily") == (
            pd.Timestamp("2026-09-03 23:59:59.999999"), "given")
        with pytest.raises(ValueError) as error:
            resolve_as_of("2020-01-01", ws, "platform_daily")
        assert str(error.value).startswith(
            "as_of 2020-01-01 is before the data (platform_daily.date), which run from 2026-09-01 to 2026-09-02")
        with pytest.raises(ValueError, match=r"^as_of: expected YYYY-MM-DD"):
            resolve_as_of("soon", ws, "platform_daily")


def test_a_table_without_its_time_column_has_no_span(tmp_path):
    (tmp_path / "experiment.csv").write_text("experiment_id,unit_id,variant,converted\ne,u1,A,1\ne,u2,B,0\n",
                                             encoding="utf-8")
    with open_workspace(tmp_path, ["experiment"], threads=1) as ws:
        assert data_span(ws, "experiment") == (None, None)
        assert resolve_as_of("2001-01-01", ws, "experiment")[1] == "given"
