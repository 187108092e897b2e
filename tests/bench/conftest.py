"""Fixtures of the benchmark tests: one small generated events table and its BG/NBD summary by the library."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from socialops.bench import baseline, tasks
from socialops.churn import analysis as churn
from socialops.inputs.workspace import open_workspace


@pytest.fixture(scope="package")
def small(tmp_path_factory):
    """About 50,000 generated events (another seed than the samples), with their as_of."""
    from socialops import sample

    folder = sample.generate(tmp_path_factory.mktemp("bench") / "small", users=5_200, seed=11, fmt="parquet")
    as_of = pd.Timestamp(json.loads((folder / "truths.json").read_text(encoding="utf-8"))["as_of"])
    return folder, as_of


@pytest.fixture(scope="package")
def both(small):
    """The small events as an Ibis table and as the baseline's DataFrame, with their as_of."""
    folder, as_of = small
    with open_workspace(folder, ["events"], threads=1, memory_limit="1GB") as ws:
        yield ws.table("events"), baseline.read_events(folder / "events.parquet"), as_of


@pytest.fixture(scope="package")
def library_bgnbd(both):
    """The library's BG/NBD summary of the small events, one row per customer in user order."""
    events, _, as_of = both
    summary = churn.customer_table(events, as_of).select("user_id", *tasks.BGNBD_COLUMNS).to_pandas()
    return summary.sort_values("user_id", ignore_index=True)
