"""The benchmark's DuckDB SQL baseline and its floor: the four outputs as an analyst writes them in SQL.

Two scans of the events file: one aggregates every user's activity for the lifecycle stages, the other keeps the
purchases in a temporary table that the RFM scores, the BG/NBD summary and the cohorts all read. The SQL follows
the definitions of DESIGN.md (money summed as decimals, as the library does); `tests/bench/test_sql_baseline.py`
checks that it gives the library's numbers. The floor is one scan of the file computing a count, a maximum, a
distinct count and a sum: no way of reading every row does less.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from socialops.stats.rfm import AMOUNT_SCALE, SEGMENTS

STAGE_COUNTS = """
WITH ev AS (
    SELECT * FROM read_parquet($path) WHERE ts <= $as_of
), users AS (
    SELECT user_id,
           max(ts) AS last_ts,
           count(*) FILTER (event = 'purchase') AS purchases,
           count(*) FILTER (event IN ('follow', 'signup')) AS acquisitions,
           count(*) FILTER (event = 'purchase' AND ts >= $window_start) AS window_purchases,
           count(*) FILTER (event = 'referral' AND ts >= $window_start) AS window_referrals
    FROM ev
    GROUP BY user_id
), referred AS (
    SELECT referrer_id AS user_id, count(*) AS referred
    FROM ev
    WHERE referrer_id <> '' AND referrer_id <> user_id AND ts >= $window_start
    GROUP BY referrer_id
)
SELECT CASE
           WHEN last_ts < $churned_before THEN 'churned'
           WHEN purchases = 0 AND acquisitions = 0 THEN 'potential'
           WHEN purchases = 0 THEN 'new'
           WHEN window_purchases >= $loyal_min_purchases OR window_referrals > 0
                OR coalesce(referred, 0) > 0 THEN 'loyal'
           ELSE 'active'
       END AS stage,
       count(*) AS users
FROM users LEFT JOIN referred USING (user_id)
GROUP BY stage
"""

PURCHASES = f"""
CREATE OR REPLACE TEMP TABLE purchases AS
SELECT user_id, ts, coalesce(amount, 0)::DECIMAL(18, {AMOUNT_SCALE}) AS amount
FROM read_parquet($path)
WHERE event = 'purchase' AND ts <= $as_of
"""

RFM_CELLS = """
WITH customers AS (
    SELECT user_id, max(ts) AS last_ts, count(*) AS frequency, sum(amount) AS monetary
    FROM purchases
    GROUP BY user_id
), scored AS (
    SELECT ceil(5 * cume_dist() OVER (ORDER BY last_ts))::INT AS r_score,
           ceil(5 * cume_dist() OVER (ORDER BY frequency))::INT AS f_score,
           ceil(5 * cume_dist() OVER (ORDER BY monetary))::INT AS m_score,
           epoch($as_of) - epoch(last_ts) < avg(epoch($as_of) - epoch(last_ts)) OVER () AS r_high,
           frequency > avg(frequency) OVER () AS f_high,
           monetary::DOUBLE > avg(monetary::DOUBLE) OVER () AS m_high
    FROM customers
)
SELECT r_score, f_score, m_score, r_high, f_high, m_high, count(*) AS users
FROM scored
GROUP BY ALL
"""

BGNBD_SUMMARY = """
SELECT user_id,
       count(DISTINCT ts::DATE) - 1 AS frequency,
       (max(ts)::DATE - min(ts)::DATE)::DOUBLE AS recency,
       ($as_of::DATE - min(ts)::DATE)::DOUBLE AS "T"
FROM purchases
GROUP BY user_id
"""

COHORT_CELLS = """
WITH months AS (
    SELECT DISTINCT user_id, year(ts) * 12 + month(ts) - 1 AS month FROM purchases
), cohorts AS (
    SELECT user_id, month, min(month) OVER (PARTITION BY user_id) AS cohort FROM months
)
SELECT cohort, month - cohort AS "offset", count(*) AS users
FROM cohorts
GROUP BY ALL
"""

FLOOR = """
SELECT count(*) AS events, max(ts) AS last_ts, count(DISTINCT user_id) AS users, sum(amount) AS amount
FROM read_parquet($path)
"""


def connect(threads: int = 2, memory_limit: str = "3GB") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the benchmark's threads and memory cap."""
    return duckdb.connect(config={"threads": threads, "memory_limit": memory_limit})


def outputs(con: duckdb.DuckDBPyConnection, path, as_of: pd.Timestamp, churn_days: int = 90,
            loyal_min_purchases: int = 3, loyal_window_days: int = 180) -> dict:
    """The four outputs of the events file at `path` by hand-written SQL.

    Returns
    -------
    dict
        pandas DataFrames: ``stages`` (stage, users), ``rfm_cells`` (r/f/m scores, segment, tier, users),
        ``bgnbd`` (one row per customer) and ``cohort_cells`` (cohort, offset, users).
    """
    as_of = pd.Timestamp(as_of)
    when = as_of.to_pydatetime()
    stages = con.execute(STAGE_COUNTS, {
        "path": str(path), "as_of": when,
        "window_start": (as_of - pd.Timedelta(days=loyal_window_days)).to_pydatetime(),
        "churned_before": (as_of - pd.Timedelta(days=churn_days)).to_pydatetime(),
        "loyal_min_purchases": loyal_min_purchases,
    }).df()
    con.execute(PURCHASES, {"path": str(path), "as_of": when})
    cells = con.execute(RFM_CELLS, {"as_of": when}).df()
    flags = zip(cells["r_high"], cells["f_high"], cells["m_high"], strict=True)
    cells["segment"] = [SEGMENTS[key] for key in flags]
    cells["tier"] = [_tier(*key) for key in zip(cells["r_high"], cells["f_high"], cells["m_high"], strict=True)]
    return {
        "stages": stages,
        "rfm_cells": cells.drop(columns=["r_high", "f_high", "m_high"]),
        "bgnbd": con.execute(BGNBD_SUMMARY, {"as_of": when}).df(),
        "cohort_cells": con.execute(COHORT_CELLS).df(),
    }


def _tier(r_high: bool, f_high: bool, m_high: bool) -> str:
    if r_high and f_high and m_high:
        return "high_value"
    if r_high and not f_high and m_high:
        return "potential_high_value"
    if not (r_high or f_high or m_high):
        return "low_value"
    return "general"


def floor_scan(con: duckdb.DuckDBPyConnection, path) -> dict:
    """One scan of the events file: its rows, last timestamp, distinct users and summed amount."""
    events, last_ts, users, amount = con.execute(FLOOR, {"path": str(path)}).fetchone()
    return {"events": int(events), "last_ts": str(last_ts), "users": int(users), "amount": float(amount or 0.0)}
