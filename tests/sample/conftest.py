"""Fixtures of the sample generator's tests: the committed samples, read once for the package's test modules.

The truths in ``truths.json`` are recomputed in these tests independently of the generator: lifecycle figures
in DuckDB SQL straight from DESIGN.md's rules, test statistics with statsmodels and scipy, the referral effect
with a lifelines Cox model.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from socialops.sample import TABLES
from tests.conftest import SAMPLES

AS_OF = pd.Timestamp("2026-09-30 23:59:59")


def table_file(folder: Path, table: str) -> Path:
    """The one file of `table` in `folder`, CSV or Parquet."""
    (path,) = [p for p in (folder / f"{table}.csv", folder / f"{table}.parquet") if p.exists()]
    return path


def relation(folder: Path, table: str) -> str:
    """A DuckDB expression reading `table` from `folder`."""
    path = table_file(folder, table)
    return f"read_parquet('{path}')" if path.suffix == ".parquet" else f"read_csv('{path}', header=true)"


@pytest.fixture(scope="package")
def con():
    """A plain DuckDB connection (one thread) for SQL straight on the sample files."""
    connection = duckdb.connect(config={"threads": 1, "memory_limit": "1GB"})
    yield connection
    connection.close()


@pytest.fixture(scope="package")
def frames(con):
    return {t: con.sql(f"SELECT * FROM {relation(SAMPLES, t)}").df() for t in TABLES}
