"""The benchmark's four outputs computed by each tool, and the digest that shows two tools agree.

The outputs, for every user of an ``events`` table as of a date: the lifecycle stage, the RFM scores, the cohort
retention table and the BG/NBD summary (frequency, recency, T). Each tool reduces them to the same `digest`
(stage counts, customers per RFM score triple, segment and tier counts, the retention table, sums of the BG/NBD
columns), small enough to compare across processes.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

#: Tools the benchmark runs on the events, each in a fresh process. ``*_bgnbd`` compute the BG/NBD summary alone;
#: ``floor`` is one scan of the file (`socialops.bench.sql_baseline.floor_scan`), the least any tool can do.
TOOLS = ("socialops", "socialops_bgnbd", "pandas", "polars", "duckdb_sql", "floor", "lifetimes")
#: Tools that compute the four outputs, compared with socialops by their digests.
OUTPUT_TOOLS = ("pandas", "polars", "duckdb_sql")
BGNBD_COLUMNS = ("frequency", "recency", "T")


def _counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.sort_index().items()}


def digest(
    stages: pd.Series | None = None,
    rfm_cells: pd.DataFrame | None = None,
    cohorts: pd.DataFrame | None = None,
    bgnbd: pd.DataFrame | None = None,
) -> dict:
    """Reduce the outputs to comparable numbers.

    Parameters
    ----------
    stages : pandas.Series, optional
        Users per stage.
    rfm_cells : pandas.DataFrame, optional
        Columns r_score, f_score, m_score, segment, tier, users: customers per score triple and segment.
    cohorts : pandas.DataFrame, optional
        A cohort table (index cohort, columns size, 0, 1, …).
    bgnbd : pandas.DataFrame, optional
        One row per customer with frequency, recency, T.

    Returns
    -------
    dict
        JSON-ready; keys only for the outputs given.
    """
    out: dict = {}
    if stages is not None:
        out["stages"] = _counts(stages)
    if rfm_cells is not None:
        key = rfm_cells[["r_score", "f_score", "m_score"]].astype(int).astype(str).agg("".join, axis=1)
        out["rfm_scores"] = _counts(rfm_cells.groupby(key)["users"].sum())
        out["rfm_segments"] = _counts(rfm_cells.groupby("segment")["users"].sum())
        out["rfm_tiers"] = _counts(rfm_cells.groupby("tier")["users"].sum())
    if cohorts is not None:
        out["cohorts"] = {
            str(c): [int(row["size"])] + [float(v) for v in row.drop("size").dropna()] for c, row in cohorts.iterrows()
        }
    if bgnbd is not None:
        out["bgnbd"] = {"customers": len(bgnbd)}
        for col in BGNBD_COLUMNS:
            values = bgnbd[col].astype(float)
            out["bgnbd"][f"{col}_sum"] = float(values.sum())
            out["bgnbd"][f"{col}_sumsq"] = float((values**2).sum())
    return out


def differences(a: dict, b: dict, rel_tol: float = 1e-9) -> list[str]:
    """Where two digests differ, for the keys they share: counts exactly, sums to `rel_tol`.

    Returns
    -------
    list of str
        One line per difference (empty when they agree).
    """
    out: list[str] = []
    for key in sorted(set(a) & set(b)):
        out += _differences_at(a[key], b[key], key, rel_tol)
    return out


def _differences_at(x, y, path: str, rel_tol: float) -> list[str]:
    """The differences between two parts of digests found at `path`, nested dicts and lists included."""
    if isinstance(x, dict) and isinstance(y, dict):
        return _dict_differences(x, y, path, rel_tol)
    if isinstance(x, list) and isinstance(y, list):
        return _list_differences(x, y, path, rel_tol)
    return [] if _same_number(x, y, rel_tol) else [f"{path}: {x} != {y}"]


def _dict_differences(x: dict, y: dict, path: str, rel_tol: float) -> list[str]:
    out: list[str] = []
    for k in sorted(set(x) | set(y)):
        if k in x and k in y:
            out += _differences_at(x[k], y[k], f"{path}/{k}", rel_tol)
        else:
            out.append(f"{path}/{k}: only in {'first' if k in x else 'second'}")
    return out


def _list_differences(x: list, y: list, path: str, rel_tol: float) -> list[str]:
    out = [f"{path}: length {len(x)} != {len(y)}"] if len(x) != len(y) else []
    for i, (u, v) in enumerate(zip(x, y, strict=False)):
        out += _differences_at(u, v, f"{path}[{i}]", rel_tol)
    return out


def _same_number(x, y, rel_tol: float) -> bool:
    """Counts (integers) must be equal; other numbers close to `rel_tol` (or 1e-9 apart near zero)."""
    if isinstance(x, int) and isinstance(y, int):
        return x == y
    return math.isclose(float(x), float(y), rel_tol=rel_tol, abs_tol=1e-9)


# ------------------------------------------------------------------------------------------------ socialops
def socialops_frames(events, as_of: pd.Timestamp, outputs=("stages", "rfm", "cohorts", "bgnbd")) -> dict:
    """The outputs as the chapters compute them: Ibis on the engine, aggregates back in pandas.

    The BG/NBD summary comes back as one row per customer, as the chapter's fit needs it.

    Parameters
    ----------
    events : ibis.Table
        The ``events`` table of a workspace.
    as_of : pandas.Timestamp
        End of the observation window.
    outputs : iterable of str
        Which of stages, rfm, cohorts, bgnbd to compute.

    Returns
    -------
    dict
        Keyword arguments for `digest`.
    """
    out = {}
    if "stages" in outputs:
        from socialops.lifecycle.analysis import user_stages

        st = user_stages(events, as_of)
        out["stages"] = st.group_by("stage").aggregate(users=st.count()).to_pandas().set_index("stage")["users"]
    if "rfm" in outputs:
        from socialops.stats.rfm import rfm_table

        r = rfm_table(events, as_of)
        keys = ["r_score", "f_score", "m_score", "segment", "tier"]
        out["rfm_cells"] = r.group_by(keys).aggregate(users=r.count()).to_pandas()
    if "cohorts" in outputs:
        from socialops.lifecycle.cohorts import cohort_table

        out["cohorts"] = cohort_table(events, as_of)
    if "bgnbd" in outputs:
        from socialops.churn.customers import bgnbd_summary

        out["bgnbd"] = bgnbd_summary(events, as_of).to_pandas()
    return out


def run_socialops(data_dir: Path, as_of: pd.Timestamp, outputs, **connect) -> dict:
    """The `digest` of `outputs` computed on the workspace's ``events`` on DuckDB.

    `connect` holds the connection's threads and memory_limit.
    """
    from socialops.inputs.workspace import open_workspace

    with open_workspace(data_dir, ["events"], **connect) as ws:
        return digest(**socialops_frames(ws.table("events"), as_of, outputs))


# ------------------------------------------------------------------------------------------------ pandas
def pandas_frames(ev: pd.DataFrame, as_of: pd.Timestamp) -> dict:
    """The outputs by the plain-pandas baseline (`socialops.bench.baseline`), as keyword arguments of `digest`."""
    from socialops.bench import baseline

    rfm = baseline.rfm_scores(ev, as_of)
    keys = ["r_score", "f_score", "m_score", "segment", "tier"]
    return {
        "stages": baseline.user_stages(ev, as_of)["stage"].value_counts(),
        "rfm_cells": rfm.groupby(keys).size().rename("users").reset_index(),
        "cohorts": baseline.cohort_table(ev, as_of),
        "bgnbd": baseline.bgnbd_summary(ev, as_of),
    }


def run_pandas(data_dir: Path, as_of: pd.Timestamp) -> dict:
    """Read the whole events file with pandas and compute the four outputs; returns the `digest`."""
    from socialops.bench import baseline

    ev = baseline.read_events(_events_file(data_dir))
    return digest(**pandas_frames(ev, as_of))


# ------------------------------------------------------------------------------------------------ polars, SQL
def cohort_grid(cells: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The cohort table from its cells, as the other tools give it.

    Parameters
    ----------
    cells : pandas.DataFrame
        Columns cohort (first-purchase month as year × 12 + month − 1), offset (months since) and users.
    as_of : pandas.Timestamp
        End of the observation window: offsets after its month are NaN.

    Returns
    -------
    pandas.DataFrame
        Index cohort "YYYY-MM", columns size, 0, 1, …: the share of each cohort buying in each later month.
    """
    grid = cells.pivot_table(index="cohort", columns="offset", values="users", aggfunc="sum", fill_value=0)
    last_month = as_of.year * 12 + as_of.month - 1
    span = last_month - int(grid.index.min()) + 1
    grid = grid.reindex(columns=range(span), fill_value=0)
    rates = grid.div(grid[0], axis=0).astype(float)
    beyond = grid.index.to_numpy()[:, None] + range(span) > last_month
    rates = rates.mask(beyond)
    rates.insert(0, "size", grid[0])
    rates.index = pd.Index([f"{c // 12:04d}-{c % 12 + 1:02d}" for c in grid.index], name="cohort")
    return rates


def run_polars(data_dir: Path, as_of: pd.Timestamp) -> dict:
    """The four outputs by lazy polars on its streaming engine (`socialops.bench.polars_baseline`); the `digest`."""
    from socialops.bench import polars_baseline

    out = polars_baseline.outputs(_events_file(data_dir), as_of)
    return digest(
        stages=out["stages"].to_pandas().set_index("stage")["users"],
        rfm_cells=out["rfm_cells"].to_pandas(),
        cohorts=cohort_grid(out["cohort_cells"].to_pandas(), as_of),
        bgnbd=out["bgnbd"].select(BGNBD_COLUMNS).to_pandas(),
    )


def run_sql(data_dir: Path, as_of: pd.Timestamp, threads: int = 2, memory_limit: str = "3GB") -> dict:
    """The four outputs by hand-written DuckDB SQL (`socialops.bench.sql_baseline`); the `digest`."""
    from socialops.bench import sql_baseline

    con = sql_baseline.connect(threads, memory_limit)
    try:
        out = sql_baseline.outputs(con, _events_file(data_dir), as_of)
    finally:
        con.close()
    return digest(
        stages=out["stages"].set_index("stage")["users"],
        rfm_cells=out["rfm_cells"],
        cohorts=cohort_grid(out["cohort_cells"], as_of),
        bgnbd=out["bgnbd"],
    )


def run_floor(data_dir: Path, threads: int = 2, memory_limit: str = "3GB") -> dict:
    """One DuckDB scan of the events file (`socialops.bench.sql_baseline.floor_scan`): ``{"floor": …}``."""
    from socialops.bench import sql_baseline

    con = sql_baseline.connect(threads, memory_limit)
    try:
        return {"floor": sql_baseline.floor_scan(con, _events_file(data_dir))}
    finally:
        con.close()


# ------------------------------------------------------------------------------------------------ lifetimes
def lifetimes_summary(ev: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The BG/NBD summary by lifetimes' ``summary_data_from_transaction_data`` (daily periods).

    lifetimes is the field's reference implementation of this summary.
    """
    from lifetimes.utils import summary_data_from_transaction_data

    buys = ev[(ev["ts"] <= as_of) & (ev["event"] == "purchase")][["user_id", "ts"]]
    return summary_data_from_transaction_data(
        buys, "user_id", "ts", freq="D", observation_period_end=as_of.normalize()
    ).reset_index()


def run_lifetimes(data_dir: Path, as_of: pd.Timestamp) -> dict:
    """Read the events with pandas and summarise them with lifetimes; returns the `digest` (bgnbd only)."""
    from socialops.bench import baseline

    return digest(bgnbd=lifetimes_summary(baseline.read_events(_events_file(data_dir)), as_of))


def _events_file(data_dir: Path) -> Path:
    from socialops.inputs.readers import find_table_file

    path = find_table_file(data_dir, "events")
    if path is None:
        raise FileNotFoundError(f"no events file in {data_dir}")
    return path
