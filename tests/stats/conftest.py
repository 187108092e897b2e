"""The CDNOW reference data shared by the purchase-model tests."""

from pathlib import Path

import pandas as pd
import pytest

from socialops.stats.bgnbd import fit_bgnbd

# CDNOW summary (2,357 customers, weeks): x, t_x, T and zbar, the mean spend of repeat purchases.
# Source: the MIT-licensed `lifetimes` package, lifetimes/datasets/cdnow_customers_summary_with_transactions.csv.
CDNOW = Path(__file__).resolve().parents[1] / "data" / "cdnow_customers_summary.csv"


@pytest.fixture(scope="session")
def cdnow():
    return pd.read_csv(CDNOW)


@pytest.fixture(scope="session")
def cdnow_bg(cdnow):
    return fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
