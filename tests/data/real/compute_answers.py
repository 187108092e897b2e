"""Compute, independently of socialops, the answers the real-data tests can assert; print them as JSON.

Usage::

    python tests/data/real/compute_answers.py

Reads the extracts next to this script with pandas alone (no socialops code), applies the definitions of
DESIGN.md where a number depends on one, and prints what README.md records. statsmodels gives the two-proportion
test of the e-mail experiment, lifetimes a second BG/NBD fit.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter
from lifetimes.utils import ConvergenceError
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

HERE = Path(__file__).resolve().parent


def facebook_answers() -> dict:
    """Totals, adverts, content types and posting hours of the 500 Facebook posts."""
    posts = pd.read_csv(HERE / "facebook_metrics" / "posts.csv", sep=";", dtype={"post_id": str})
    engagements = posts[["like", "comment", "share"]].fillna(0).sum(axis=1)
    rate = engagements / posts["Lifetime Post Total Impressions"]
    hours = posts.groupby("Post Hour").size()
    return {
        "posts": len(posts),
        "published_range": [posts.published_at.min(), posts.published_at.max()],
        "impressions": int(posts["Lifetime Post Total Impressions"].sum()),
        "reach": int(posts["Lifetime Post Total Reach"].sum()),
        "likes": int(posts["like"].sum()),
        "comments": int(posts["comment"].sum()),
        "shares": int(posts["share"].sum()),
        "missing_cells": {c: int(n) for c, n in posts.isna().sum().items() if n},
        "paid": int((posts.Paid == 1).sum()),
        "paid_missing": int(posts.Paid.isna().sum()),
        # DESIGN.md: where is_ad is empty, a promotion (category 2) counts as an advert
        "paid_missing_by_category": posts.Category[posts.Paid.isna()].value_counts().sort_index().to_dict(),
        "by_category": posts.Category.value_counts().sort_index().to_dict(),
        "by_type": posts.Type.value_counts().to_dict(),
        "mean_engagement_rate_by_category": rate.groupby(posts.Category).mean().round(6).to_dict(),
        "posts_by_hour": {int(h): int(n) for h, n in hours.items()},
        "hours_with_fewer_than_3_posts": [int(h) for h, n in hours.items() if n < 3],
    }


def thai_answers() -> dict:
    """Counts of the Thai sellers' posts; both date forms read month first (the rows are newest first)."""
    posts = pd.read_csv(HERE / "thai_live_sellers" / "posts.csv", dtype={"status_published": str})
    stamp = posts.status_published
    slashed = stamp.str.contains("/")
    when = pd.concat([
        pd.to_datetime(stamp[slashed], format="%m/%d/%Y %H:%M"),
        pd.to_datetime(stamp[~slashed], format="%m-%d-%Y %H:%M"),
    ]).sort_index()
    return {
        "posts": len(posts),
        "dates_with_slashes": int(slashed.sum()),
        "dates_with_dashes": int((~slashed).sum()),
        "published_range": [str(when.min()), str(when.max())],
        "by_type": posts.status_type.value_counts().to_dict(),
        "likes": int(posts.num_likes.sum()),
        "comments": int(posts.num_comments.sum()),
        "shares": int(posts.num_shares.sum()),
        "reactions": int(posts.num_reactions.sum()),
    }


def purchase_summary(events: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """x, t_x and T in weeks per customer, purchases on distinct days up to `end` (Fader, Hardie & Lee 2005).

    `events` has one row per purchase: ``user``, ``day`` (a timestamp) and ``amount``. Days are calendar days, and
    `end` is taken at its calendar day too.
    """
    events = events.assign(day=events.day.dt.normalize())
    end = end.normalize()
    days = events[events.day <= end].drop_duplicates(["user", "day"])
    by = days.groupby("user").day
    first, last, count = by.min(), by.max(), by.size()
    return pd.DataFrame({"x": count - 1, "t_x": (last - first).dt.days / 7, "T": (end - first).dt.days / 7})


def lifecycle_stages(events: pd.DataFrame, as_of: pd.Timestamp) -> dict:
    """DESIGN.md's stages for a purchase-only log: churned after 90 days, loyal at 3 purchases in 180 days."""
    seen = events[events.day <= as_of]
    last = seen.groupby("user").day.max()
    recent = seen[seen.day > as_of - pd.Timedelta(days=180)].groupby("user").size()
    churned = last < as_of - pd.Timedelta(days=90)
    loyal = ~churned & (recent.reindex(last.index, fill_value=0) >= 3)
    return {
        "churned": int(churned.sum()),
        "loyal": int(loyal.sum()),
        "active": int((~churned & ~loyal).sum()),
        "potential": 0,
        "new": 0,
    }


def bgnbd_reference(events: pd.DataFrame, end: str, days_per_unit: float) -> dict:
    """BG/NBD parameters fitted by lifetimes on purchase days up to `end`, in units of `days_per_unit` days."""
    summary = purchase_summary(events, pd.Timestamp(end))
    scale = 7 / days_per_unit  # purchase_summary gives weeks
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # lifetimes prints the optimiser's report when it fails
            fitter = BetaGeoFitter().fit(summary.x, summary.t_x * scale, summary["T"] * scale)
    except ConvergenceError:  # lifetimes gives up where the drop-out parameters are not identified
        return {"converged": False}
    return {name: round(float(value), 4) for name, value in fitter.params_.items()}


def rfm_tiers(events: pd.DataFrame, as_of: pd.Timestamp) -> dict:
    """DESIGN.md's four tiers: R, F and M each high or low against the mean (high R = more recent)."""
    by = events[events.day <= as_of].groupby("user")
    recency, frequency, monetary = (as_of - by.day.max()).dt.days, by.size(), by.amount.sum()
    r_high, f_high, m_high = recency < recency.mean(), frequency > frequency.mean(), monetary > monetary.mean()
    tiers = {
        "high_value": int((r_high & f_high & m_high).sum()),
        "potential_high_value": int((r_high & ~f_high & m_high).sum()),
        "low_value": int((~r_high & ~f_high & ~m_high).sum()),
    }
    tiers["general"] = len(recency) - sum(tiers.values())
    return tiers


def cohort_retention(events: pd.DataFrame, months: int = 4) -> dict:
    """Share of each first-purchase month's customers with a purchase in month 0, 1, … after it (None past the data)."""
    first = events.groupby("user").day.min().dt.to_period("M")
    cohort = events.user.map(first)
    offset = (events.day.dt.to_period("M") - cohort).map(lambda delta: delta.n)
    active = events.groupby([cohort.astype(str), offset]).user.nunique().unstack(fill_value=0)
    size = first.astype(str).value_counts()
    last = events.day.max().to_period("M")
    # months after the end of the data are unknown, not zero
    return {
        c: [round(active.loc[c, k] / size[c], 6) if pd.Period(c, "M") + k <= last else None for k in range(months)]
        for c in active.index
    }


def cdnow_answers() -> dict:
    """Counts, totals, the calibration summary and the stages of the CDNOW sample."""
    events = pd.read_csv(HERE / "cdnow" / "events.csv", dtype={"customer_id": str, "sample_id": str, "date": str})
    events = events.rename(columns={"sample_id": "user", "dollar_value": "amount"})
    events["day"] = pd.to_datetime(events.date, format="%Y%m%d")
    summary = purchase_summary(events, pd.Timestamp("1997-09-30"))
    reference = pd.read_csv(HERE.parent / "cdnow_customers_summary.csv")
    # the reference is rounded to two decimals
    ours, theirs = summary.sort_index()[["x", "t_x", "T"]].to_numpy(), reference[["x", "t_x", "T"]].to_numpy()
    same = np.allclose(ours, theirs, rtol=0, atol=0.005)
    first = events.groupby("user").day.min()
    return {
        "rows": len(events),
        "customers": int(events.user.nunique()),
        "distinct_purchase_days": int(len(events.drop_duplicates(["user", "day"]))),
        "date_range": [str(events.day.min().date()), str(events.day.max().date())],
        "dollar_total": round(float(events.amount.sum()), 2),
        "first_purchase_by_month": first.dt.strftime("%Y-%m").value_counts().sort_index().to_dict(),
        "calibration_1997_09_30": {
            "repeat_buyers": int((summary.x > 0).sum()),
            "repeat_purchases": int(summary.x.sum()),
            "equals_tests_data_cdnow_customers_summary": bool(same),
        },
        # an empty as_of takes the latest timestamp, midnight of the last day; as_of=1998-06-30 its end
        "stages_as_of_latest_1998_06_30_00_00": lifecycle_stages(events, pd.Timestamp("1998-06-30")),
        "stages_as_of_1998_06_30_end_of_day": lifecycle_stages(events, pd.Timestamp("1998-06-30 23:59:59")),
        "bgnbd_lifetimes_calibration_weeks": bgnbd_reference(events, "1997-09-30", 7),
        "bgnbd_lifetimes_latest_days": bgnbd_reference(events, "1998-06-30", 1),
        "rfm_tiers_as_of_latest": rfm_tiers(events, pd.Timestamp("1998-06-30")),
        "cohort_retention_months_0_to_3": cohort_retention(events),
    }


def online_retail_answers() -> dict:
    """Counts, totals, stages, RFM tiers, cohorts and a BG/NBD fit of the Online Retail invoices."""
    events = pd.read_csv(HERE / "online_retail" / "events.csv", dtype={"CustomerID": str, "InvoiceNo": str})
    events = events.rename(columns={"CustomerID": "user", "invoice_total": "amount"})
    events["day"] = pd.to_datetime(events.InvoiceDate, format="%m/%d/%y %H:%M")
    latest = events.day.max()
    summary = purchase_summary(events, latest)
    return {
        "rows": len(events),
        "customers": int(events.user.nunique()),
        "countries": int(events.Country.nunique()),
        "range": [str(events.day.min()), str(latest)],
        "amount_total": round(float(events.amount.sum()), 2),
        "first_purchase_by_month": events.groupby("user").day.min().dt.strftime("%Y-%m").value_counts()
        .sort_index().to_dict(),
        "distinct_purchase_days": int(len(events.assign(d=events.day.dt.date).drop_duplicates(["user", "d"]))),
        "repeat_buyers_by_latest": int((summary.x > 0).sum()),
        "stages_as_of_latest": lifecycle_stages(events, latest),
        "rfm_tiers_as_of_latest": rfm_tiers(events, latest),
        "cohort_retention_months_0_to_3": cohort_retention(events),
        "bgnbd_lifetimes_days_calendar": bgnbd_reference(events, str(latest), 1),
    }


def broockman_answers() -> dict:
    """Response by arm, the pooled two-proportion z-test and the Wald interval of the difference."""
    units = pd.read_csv(HERE / "broockman_email" / "experiment.csv")
    arms = units.groupby("treat_out").responded.agg(["size", "sum"])
    n0, n1 = (int(arms.loc[k, "size"]) for k in (0, 1))
    y0, y1 = (int(arms.loc[k, "sum"]) for k in (0, 1))
    z, p = proportions_ztest([y1, y0], [n1, n0])
    p0, p1 = y0 / n0, y1 / n1
    se = math.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1)
    newcombe = confint_proportions_2indep(y1, n1, y0, n0, method="newcomb", compare="diff")
    log_ratio = confint_proportions_2indep(y1, n1, y0, n0, method="log", compare="ratio")
    return {
        "units": len(units),
        "control (treat_out=0)": {"n": n0, "responded": y0, "rate": round(p0, 6)},
        "out_of_district (treat_out=1)": {"n": n1, "responded": y1, "rate": round(p1, 6)},
        "abs_diff": round(p1 - p0, 6),
        "wald_95": [round(p1 - p0 - 1.959964 * se, 6), round(p1 - p0 + 1.959964 * se, 6)],
        "newcombe_95": [round(float(v), 6) for v in newcombe],
        "rel_lift": round(p1 / p0 - 1, 6),
        "lift_95_log_ratio": [round(float(v) - 1, 6) for v in log_ratio],
        "pooled_z": round(float(z), 4),
        "p_value": float(f"{p:.4g}"),
    }


def sanders_answers() -> dict:
    """Counts by day and label of the Apple tweets (times in UTC)."""
    mentions = pd.read_csv(HERE / "sanders_apple" / "mentions.csv", dtype=str)
    mentions["ts"] = pd.to_datetime(mentions.TweetDate, format="%a %b %d %H:%M:%S %z %Y")
    by_day = mentions.groupby([mentions.ts.dt.strftime("%Y-%m-%d"), "Sentiment"]).size().unstack(fill_value=0)
    return {
        "mentions": len(mentions),
        "range_utc": [str(mentions.ts.min()), str(mentions.ts.max())],
        "labels": mentions.Sentiment.value_counts().to_dict(),
        "by_day_utc": {day: row.to_dict() for day, row in by_day.iterrows()},
        "mean_sentiment": round(mentions.Sentiment.map({"positive": 1, "negative": -1, "neutral": 0}).mean(), 6),
    }


def main() -> None:
    """Print every answer as JSON."""
    answers = {
        "facebook_metrics": facebook_answers(),
        "thai_live_sellers": thai_answers(),
        "cdnow": cdnow_answers(),
        "online_retail": online_retail_answers(),
        "broockman_email": broockman_answers(),
        "sanders_apple": sanders_answers(),
    }
    print(json.dumps(answers, indent=1, default=int))


if __name__ == "__main__":
    main()
