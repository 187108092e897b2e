"""The benchmark's model fits: BG/NBD on a simulated million customers, and Cox against lifelines on one set of rows.

The BG/NBD customers come from a seeded simulation of the model itself at known parameters (`BGNBD_TRUTH`), so a
fit is checked against the truth as well as timed. The Cox rows are those the churn chapter's drivers model fits
(`socialops.churn.analysis.churn_drivers`) on the benchmark's events: customers still observed after their first
30 days, with the four early behaviours as covariates. Both are written once to Parquet and read by the workers.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

#: Parameters the simulated customers are drawn from (rates per day; about one customer in five drops out after
#: each purchase).
BGNBD_TRUTH = {"r": 0.8, "alpha": 25.0, "a": 1.0, "b": 4.0}
#: Customers of the BG/NBD fit goal.
FIT_CUSTOMERS = 1_000_000
#: The churn chapter's landmark: customers enter the Cox model once observed for this many days.
COX_FIRST_DAYS = 30
COX_FEATURES = ("referred", "purchase_days_first", "log_spend_first", "log_interactions_first")


def simulate_bgnbd(n: int, params: dict = BGNBD_TRUTH, seed: int = 7, max_days: int = 365) -> pd.DataFrame:
    """A per-customer BG/NBD summary simulated from the model.

    Each customer buys at a gamma-distributed Poisson rate and, after each purchase, drops out with a
    beta-distributed probability; the observation window T is uniform over whole days up to `max_days`.
    Recency is floored to whole days, as a daily summary of purchases gives it.

    Returns
    -------
    pandas.DataFrame
        Columns frequency (repeat purchases), recency and T, in days; one row per customer.
    """
    rng = np.random.default_rng(seed)
    rate = rng.gamma(params["r"], 1 / params["alpha"], n)
    drop = rng.beta(params["a"], params["b"], n)
    big_t = rng.integers(7, max_days + 1, n).astype(float)
    x = np.zeros(n, dtype=np.int64)
    t_x = np.zeros(n)
    clock = np.zeros(n)
    alive = np.arange(n)
    # every round draws the next purchase of the customers still buying inside their window
    while alive.size:
        clock[alive] += rng.exponential(1 / rate[alive])
        alive = alive[clock[alive] <= big_t[alive]]
        x[alive] += 1
        t_x[alive] = clock[alive]
        alive = alive[rng.random(alive.size) >= drop[alive]]
    return pd.DataFrame({"frequency": x, "recency": np.floor(t_x), "T": big_t})


def ensure_bgnbd_customers(root: Path, n: int = FIT_CUSTOMERS, seed: int = 7) -> Path:
    """``root/bgnbd-<n>-seed<seed>.parquet``: the simulated customers, made once and reused."""
    path = Path(root) / f"bgnbd-{n}-seed{seed}.parquet"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        simulate_bgnbd(n, seed=seed).to_parquet(path.with_suffix(".tmp"))
        path.with_suffix(".tmp").replace(path)
    return path


def cox_rows(customers: pd.DataFrame, first_days: int = COX_FIRST_DAYS) -> pd.DataFrame:
    """The rows of the churn chapter's Cox model from its per-customer summary.

    The same selection and covariates as `socialops.churn.analysis.churn_drivers` (which builds them inline):
    customers observed for at least `first_days`, spend and interactions as log(1 + x).

    Returns
    -------
    pandas.DataFrame
        Columns duration_days, churned and `COX_FEATURES`.
    """
    at_risk = customers[customers["duration_days"] >= first_days]
    return pd.DataFrame({
        "duration_days": at_risk["duration_days"].astype(float),
        "churned": at_risk["churned"].astype(bool),
        "referred": at_risk["referred"].astype(float),
        "purchase_days_first": at_risk["purchase_days_first"].astype(float),
        "log_spend_first": np.log1p(at_risk["spend_first"].astype(float)),
        "log_interactions_first": np.log1p(at_risk["interactions_first"].astype(float)),
    }).reset_index(drop=True)


def ensure_cox_rows(folder: Path, as_of: pd.Timestamp, threads: int = 2, memory_limit: str = "3GB") -> Path:
    """``<folder>-cox-rows.parquet`` beside the folder: the Cox rows of its events (`cox_rows`), made once and reused.

    Beside, not inside: a file in the data folder would be one more table to ``socialops run``.
    """
    from socialops.churn.customers import customer_summary
    from socialops.inputs.workspace import open_workspace

    path = Path(folder).with_name(Path(folder).name + "-cox-rows.parquet")
    if not path.is_file():
        with open_workspace(folder, ["events"], threads=threads, memory_limit=memory_limit) as ws:
            customers = customer_summary(ws.table("events"), as_of)
        cox_rows(customers).to_parquet(path.with_suffix(".tmp"))
        path.with_suffix(".tmp").replace(path)
    return path


def run_bgnbd_fit(path: Path) -> dict:
    """Fit BG/NBD to the customers of `path`.

    Returns
    -------
    dict
        ``params``, their ``max_relative_error`` to `BGNBD_TRUTH`, ``customers``, ``converged`` and ``fit_s``,
        the seconds of the fit alone (the file read before the clock starts).
    """
    from socialops.stats.bgnbd import fit_bgnbd

    customers = pd.read_parquet(path)
    start = time.perf_counter()
    fit = fit_bgnbd(customers["frequency"], customers["recency"], customers["T"])
    seconds = time.perf_counter() - start
    error = max(abs(fit.params[k] / v - 1) for k, v in BGNBD_TRUTH.items())
    return {"params": fit.params, "max_relative_error": float(error), "customers": fit.n_customers,
            "converged": bool(fit.converged), "fit_s": round(seconds, 3)}


def run_cox_rows(rows: pd.DataFrame, library: str) -> dict[str, float]:
    """The Cox coefficients of `rows` (columns of `cox_rows`) by socialops or lifelines, both with Efron's ties.

    socialops' fit also runs its proportional-hazards test, as the chapter does.
    """
    if library == "socialops":
        from socialops.stats.survival import fit_cox

        coefs = fit_cox(rows["duration_days"], rows["churned"], rows[list(COX_FEATURES)]).hazard_ratios["coef"]
    elif library == "lifelines":
        from lifelines import CoxPHFitter

        varying = [c for c in COX_FEATURES if rows[c].nunique() > 1]  # socialops drops constant columns too
        coefs = CoxPHFitter().fit(rows[["duration_days", "churned", *varying]], "duration_days", "churned").params_
    else:
        raise ValueError(f"unknown Cox library {library!r}")
    return {str(k): float(v) for k, v in coefs.items()}


def run_cox(path: Path, library: str) -> dict:
    """Fit the Cox model to the rows of the Parquet file `path` with socialops or lifelines (`run_cox_rows`).

    Returns
    -------
    dict
        ``coefs`` by covariate, ``rows``, ``events`` and ``fit_s`` (the fit alone, after the file is read).
    """
    rows = pd.read_parquet(path)
    start = time.perf_counter()
    coefs = run_cox_rows(rows, library)
    seconds = time.perf_counter() - start
    return {"coefs": coefs, "rows": len(rows), "events": int(rows["churned"].sum()), "fit_s": round(seconds, 3)}
