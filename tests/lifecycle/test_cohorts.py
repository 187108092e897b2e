"""Cohort retention by first-purchase month and the repurchase rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialops.lifecycle import cohorts
from tests import lifecycle_reference as ref

AS_OF = pd.Timestamp("2026-09-30 23:59:59")


def events(con, rows, name="events"):
    df = pd.DataFrame(rows, columns=["user_id", "ts", "event"])
    df["ts"] = pd.to_datetime(df["ts"], format="ISO8601")
    df["amount"] = 1.0
    return con.create_table(name, df, overwrite=True)


ROWS = [
    ("a", "2026-07-01", "purchase"),
    ("a", "2026-07-20", "purchase"),  # twice in its cohort month: still one user at month 0
    ("a", "2026-09-01", "purchase"),
    ("b", "2026-07-31 23:59:59", "purchase"),
    ("b", "2026-08-01 00:00:00", "purchase"),  # the next calendar month, one second later
    ("c", "2026-08-15", "purchase"),
    ("c", "2026-10-01", "purchase"),  # after as_of: ignored
    ("d", "2026-06-01", "view"),  # never bought: in no cohort
    ("e", "2026-09-30", "purchase"),
]


def test_cohort_table(con):
    table = cohorts.cohort_table(events(con, ROWS), AS_OF)
    assert table.index.tolist() == ["2026-07", "2026-08", "2026-09"]
    assert table["size"].tolist() == [2, 1, 1]
    assert table.loc["2026-07", [0, 1, 2]].tolist() == [1.0, 0.5, 0.5]
    assert table.loc["2026-08", 0] == 1.0 and table.loc["2026-08", 1] == 0.0
    assert np.isnan(table.loc["2026-08", 2])  # November is not observed
    assert cohorts.cohort_retention(table) == {
        "2026-07": [1.0, 0.5, 0.5],
        "2026-08": [1.0, 0.0],
        "2026-09": [1.0],
    }


def test_empty_when_nobody_bought(con):
    table = cohorts.cohort_table(events(con, [("d", "2026-06-01", "view")]), AS_OF)
    assert table.empty and cohorts.cohort_retention(table) == {}


def test_repurchase_rate(con):
    got = cohorts.repurchase_rate(events(con, ROWS), AS_OF)
    # a and b bought twice or more; c's second purchase is after as_of.
    assert (got["customers"], got["repeat_customers"], got["rate"]) == (4, 2, 0.5)
    assert got["ci_low"] < 0.5 < got["ci_high"]


@pytest.mark.parametrize("seed", [1, 5])
def test_engine_matches_pandas_reference(con, seed):
    df = ref.synthetic_events(seed)
    table = cohorts.cohort_table(con.create_table("synthetic", df, overwrite=True), AS_OF)
    got = cohorts.cohort_retention(table)
    expected = ref.cohort_retention(df, AS_OF)
    assert list(got) == list(expected)
    for month, rates in expected.items():
        np.testing.assert_allclose(got[month], rates, rtol=1e-12, err_msg=month)


def test_next_month_rate_weighs_cohorts_by_size(con):
    table = cohorts.cohort_table(events(con, ROWS), AS_OF)
    # July: 2 customers, half back in August; August: 1 customer, not back in September; September not yet seen.
    assert cohorts.next_month_rate(table) == pytest.approx(1 / 3)


def test_next_month_rate_without_an_observed_next_month(con):
    only_september = cohorts.cohort_table(events(con, [("e", "2026-09-30", "purchase")]), AS_OF)
    assert list(only_september.columns) == ["size", 0]
    assert np.isnan(cohorts.next_month_rate(only_september))
    assert np.isnan(cohorts.next_month_rate(cohorts.cohort_table(events(con, [("d", "2026-06-01", "view")]), AS_OF)))
    unseen = pd.DataFrame({"size": [3], 0: [1.0], 1: [np.nan]}, index=["2026-09"])
    assert np.isnan(cohorts.next_month_rate(unseen))
