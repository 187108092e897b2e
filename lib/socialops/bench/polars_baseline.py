"""The benchmark's polars baseline: the four outputs as lazy polars queries, run together on the streaming engine.

Written as an analyst who knows polars writes it: one lazy scan of the events file, one aggregate per purchaser
shared by the RFM scores and the BG/NBD summary, and every query collected at once (`polars.collect_all`) so that
the optimiser scans the file once for the queries that share it. It follows the definitions of DESIGN.md, as
`socialops.bench.baseline` does for pandas; `tests/bench/test_polars_baseline.py` checks that it gives the
library's numbers. Like the pandas baseline it is the thing being compared, so it stays plain polars.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import polars as pl

from socialops.stats.rfm import AMOUNT_SCALE, SEGMENTS

#: The RFM segment of each (r_high, f_high, m_high), keyed by the three flags read as a 3-bit number.
_SEGMENT_BY_CODE = {4 * r + 2 * f + m: name for (r, f, m), name in SEGMENTS.items()}
_DAY = 86_400_000_000  # microseconds
RFM_CELL_KEYS = ["r_score", "f_score", "m_score", "segment", "tier"]


def scan_events(path) -> pl.LazyFrame:
    """The events Parquet file as a lazy frame, cut at nothing yet."""
    return pl.scan_parquet(path)


def user_stages(ev: pl.LazyFrame, as_of: datetime, churn_days: int = 90, loyal_min_purchases: int = 3,
                loyal_window_days: int = 180) -> pl.LazyFrame:
    """The lifecycle stage of every user with an event up to `as_of`: columns user_id, stage."""
    ev = ev.filter(pl.col("ts") <= as_of)
    buy = pl.col("event") == "purchase"
    in_window = pl.col("ts") >= as_of - timedelta(days=loyal_window_days)
    users = ev.group_by("user_id").agg(
        last_ts=pl.col("ts").max(),
        purchases=buy.sum(),
        acquisitions=pl.col("event").is_in(["follow", "signup"]).sum(),
        window_purchases=(buy & in_window).sum(),
        window_referrals=((pl.col("event") == "referral") & in_window).sum(),
    )
    referrer = pl.col("referrer_id")
    referred = (
        ev.filter(referrer.is_not_null() & (referrer != "") & (referrer != pl.col("user_id")) & in_window)
        .group_by(user_id=referrer)
        .agg(referred=pl.len())
    )
    purchases = pl.col("purchases")
    stage = (
        pl.when(pl.col("last_ts") < as_of - timedelta(days=churn_days)).then(pl.lit("churned"))
        .when((purchases == 0) & (pl.col("acquisitions") == 0)).then(pl.lit("potential"))
        .when(purchases == 0).then(pl.lit("new"))
        .when((pl.col("window_purchases") >= loyal_min_purchases) | (pl.col("window_referrals") > 0)
              | (pl.col("referred").fill_null(0) > 0)).then(pl.lit("loyal"))
        .otherwise(pl.lit("active"))
    )
    return users.join(referred, on="user_id", how="left").select("user_id", stage=stage)


def purchasers(ev: pl.LazyFrame, as_of: datetime) -> pl.LazyFrame:
    """One row per customer with what both RFM and BG/NBD need: last purchase, purchases, spend, purchase days."""
    day = pl.col("ts").dt.truncate("1d")
    return (
        ev.filter((pl.col("ts") <= as_of) & (pl.col("event") == "purchase"))
        .group_by("user_id")
        .agg(
            last_ts=pl.col("ts").max(),
            frequency=pl.len(),
            # rounded to the library's decimal places so that equal spends tie as they do in its exact sums
            monetary=pl.col("amount").sum().round(AMOUNT_SCALE),
            purchase_days=day.n_unique(),
            first_day=day.min(),
            last_day=day.max(),
        )
    )


def rfm_scores(buyers: pl.LazyFrame, as_of: datetime) -> pl.LazyFrame:
    """RFM of every customer: user_id, recency_days, frequency, monetary, r/f/m scores, segment, tier."""
    n = pl.len().cast(pl.Int64)

    def score(column: str) -> pl.Expr:
        # ceil(5 x cume_dist) in integers; a later purchase, more purchases or more spend rank higher
        return (5 * pl.col(column).rank("max").cast(pl.Int64) + n - 1) // n

    recency = (pl.lit(as_of) - pl.col("last_ts")).dt.total_microseconds() / _DAY
    scored = buyers.with_columns(recency_days=recency).with_columns(
        r_score=score("last_ts"),
        f_score=score("frequency"),
        m_score=score("monetary"),
        r_high=pl.col("recency_days") < pl.col("recency_days").mean(),
        f_high=pl.col("frequency") > pl.col("frequency").mean(),
        m_high=pl.col("monetary") > pl.col("monetary").mean(),
    )
    r, f, m = pl.col("r_high"), pl.col("f_high"), pl.col("m_high")
    code = 4 * r.cast(pl.Int8) + 2 * f.cast(pl.Int8) + m.cast(pl.Int8)
    tier = (
        pl.when(r & f & m).then(pl.lit("high_value"))
        .when(r & ~f & m).then(pl.lit("potential_high_value"))
        .when(~r & ~f & ~m).then(pl.lit("low_value"))
        .otherwise(pl.lit("general"))
    )
    return scored.select(
        "user_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
        segment=code.replace_strict(_SEGMENT_BY_CODE, return_dtype=pl.String), tier=tier,
    )


def bgnbd_summary(buyers: pl.LazyFrame, as_of: datetime) -> pl.LazyFrame:
    """BG/NBD inputs of every customer in days: user_id, frequency (repeat purchase days), recency, T."""
    as_of_day = pd.Timestamp(as_of).normalize().to_pydatetime()
    return buyers.select(
        "user_id",
        frequency=pl.col("purchase_days") - 1,
        recency=(pl.col("last_day") - pl.col("first_day")).dt.total_days().cast(pl.Float64),
        T=(pl.lit(as_of_day) - pl.col("first_day")).dt.total_days().cast(pl.Float64),
    )


def cohort_cells(ev: pl.LazyFrame, as_of: datetime) -> pl.LazyFrame:
    """Customers per first-purchase month (cohort, as year × 12 + month − 1) and months since it (offset)."""
    months = (
        ev.filter((pl.col("ts") <= as_of) & (pl.col("event") == "purchase"))
        .select("user_id", month=pl.col("ts").dt.year().cast(pl.Int64) * 12 + pl.col("ts").dt.month() - 1)
        .unique()
    )
    first = months.group_by("user_id").agg(cohort=pl.col("month").min())
    return (
        months.join(first, on="user_id")
        .group_by("cohort", offset=pl.col("month") - pl.col("cohort"))
        .agg(users=pl.len())
    )


def outputs(path, as_of: pd.Timestamp) -> dict:
    """The four outputs of the events file at `path`, collected together on the streaming engine.

    Stages and RFM scores are counted in the query, as the chapters count them on the engine; the BG/NBD summary
    comes back as one row per customer, as the chapter's fit needs it.

    Returns
    -------
    dict
        ``stages`` (stage, users), ``rfm_cells`` (r/f/m scores, segment, tier, users), ``bgnbd`` (one row per
        customer) and ``cohort_cells`` (cohort, offset, users), as polars DataFrames.
    """
    when = pd.Timestamp(as_of).to_pydatetime()
    ev = scan_events(path)
    buyers = purchasers(ev, when)
    names = ("stages", "rfm_cells", "bgnbd", "cohort_cells")
    queries = (
        user_stages(ev, when).group_by("stage").agg(users=pl.len()),
        rfm_scores(buyers, when).group_by(RFM_CELL_KEYS).agg(users=pl.len()),
        bgnbd_summary(buyers, when),
        cohort_cells(ev, when),
    )
    return dict(zip(names, pl.collect_all(queries, engine="streaming"), strict=True))
