"""The end of the observation window: the forms of ``as_of`` and the default taken from the data."""

from __future__ import annotations

import pandas as pd
import pytest

from socialops.inputs.window import AS_OF_FORMS, end_of_day, latest_as_of, parse_as_of
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
