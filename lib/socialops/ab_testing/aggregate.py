"""Aggregation of the `experiment` table on the engine (Ibis): only per-variant moments come back.

Every statistic of chapter 03 is a function of these sums, so the row-level table never leaves the engine.
"""

from __future__ import annotations

import ibis
import pandas as pd

MOMENT_COLUMNS = ["n", "conversions", "n_value", "sum_y", "sum_y2",
                  "n_cuped", "sum_cx", "sum_cy", "sum_cx2", "sum_cy2", "sum_cxy"]


def daily_moments(experiment: ibis.Table) -> pd.DataFrame:
    """Per experiment, variant and day of assignment: counts, sums and sums of squares.

    Parameters
    ----------
    experiment : ibis.Table
        The `experiment` table (experiment_id, unit_id, variant, converted; optional assigned_at, value,
        pre_value).

    Returns
    -------
    pandas.DataFrame
        One row per (experiment_id, variant, day) with ``n`` units, ``conversions``; for ``value``:
        ``n_value``, ``sum_y``, ``sum_y2``; for CUPED, over units with both ``value`` and ``pre_value``:
        ``n_cuped``, ``sum_cx``, ``sum_cy``, ``sum_cx2``, ``sum_cy2``, ``sum_cxy`` (x = pre_value,
        y = value). ``day`` is missing when ``assigned_at`` is absent (one look only). Columns that cannot
        be computed are 0.
    """
    t = experiment
    cols = set(t.columns)
    day = t.assigned_at.date() if "assigned_at" in cols else ibis.null("date")
    t = t.mutate(day=day, experiment_id=t.experiment_id.cast("string"), variant=t.variant.cast("string"))
    metrics = {"n": t.count(), "conversions": t.converted.cast("int64").sum()}
    if "value" in cols:
        y = t.value.cast("float64")
        metrics |= {"n_value": y.count(), "sum_y": y.sum(), "sum_y2": (y * y).sum()}
        if "pre_value" in cols:
            x = t.pre_value.cast("float64")
            both = y.notnull() & x.notnull()
            cx = ibis.ifelse(both, x, ibis.null("float64"))
            cy = ibis.ifelse(both, y, ibis.null("float64"))
            metrics |= {"n_cuped": cx.count(), "sum_cx": cx.sum(), "sum_cy": cy.sum(),
                        "sum_cx2": (cx * cx).sum(), "sum_cy2": (cy * cy).sum(), "sum_cxy": (cx * cy).sum()}
    df = t.group_by(["experiment_id", "variant", "day"]).aggregate(**metrics).to_pandas()
    for c in MOMENT_COLUMNS:
        df[c] = df[c].fillna(0) if c in df else 0
    df["day"] = pd.to_datetime(df["day"])
    return df.sort_values(["experiment_id", "day", "variant"], na_position="first").reset_index(drop=True)


def segment_counts(experiment: ibis.Table, column: str) -> pd.DataFrame:
    """Units and conversions per experiment, segment (e.g. platform) and variant.

    Parameters
    ----------
    experiment : ibis.Table
        The `experiment` table.
    column : str
        The segment column; missing values are grouped as "(none)".

    Returns
    -------
    pandas.DataFrame
        Columns experiment_id, segment, variant, n, conversions.
    """
    t = experiment
    t = t.mutate(experiment_id=t.experiment_id.cast("string"), variant=t.variant.cast("string"),
                 segment=t[column].cast("string").fill_null("(none)"))
    df = t.group_by(["experiment_id", "segment", "variant"]).aggregate(
        n=t.count(), conversions=t.converted.cast("int64").sum()).to_pandas()
    return df.sort_values(["experiment_id", "segment", "variant"]).reset_index(drop=True)
