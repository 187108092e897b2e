"""The samples' purchases follow the BG/NBD model the churn chapter fits: its 95 % intervals cover the planted values.

Forty fixed seeds, each a 20,000-user plan (about 4,500 customers by the calibration end). The purchases go through
the chapter's own summary (``churn.customers.bgnbd_summary``, distinct purchase days) and fit; each parameter's
interval must hold the planted value in at least 35 of the 40 seeds (a 95 % interval misses 2 on average; 6 or more
misses has a chance of about 1.4 % when the intervals are right). The fit ends at the truths' calibration end,
before the planted win-back test adds comeback purchases that no stationary purchase model describes.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from socialops.churn.customers import bgnbd_summary
from socialops.sample import events
from socialops.sample._common import to_datetime
from socialops.stats.bgnbd import fit_bgnbd

SEEDS = range(1000, 1040)
USERS = 20_000


def planted_fit(seed: int, as_of: pd.Timestamp) -> pd.DataFrame:
    """The chapter's BG/NBD fit on the purchases of one seed's plan, as ``fit.summary()``."""
    key = events.plan_users(np.random.default_rng(seed), USERS).key
    buys = key[key.code == events.PURCHASE]
    table = ibis.memtable(
        pd.DataFrame({"user_id": buys.uid.astype(str), "ts": to_datetime(buys.ts.to_numpy()), "event": "purchase"})
    )
    summary = bgnbd_summary(table, as_of).to_pandas()
    return fit_bgnbd(summary.frequency, summary.recency, summary["T"]).summary()


@pytest.mark.slow
def test_intervals_cover_the_planted_parameters_in_35_of_40_seeds():
    as_of = pd.Timestamp(events.CALIBRATION_END)
    fits = [planted_fit(seed, as_of) for seed in SEEDS]
    covered = {
        name: sum(bool(f.loc[name, "ci_low"] <= value <= f.loc[name, "ci_high"]) for f in fits)
        for name, value in events.BGNBD.items()
    }
    assert min(covered.values()) >= 35, covered
    # and no drift hides behind wide intervals: the mean estimate sits close to the planted value
    for name, value in events.BGNBD.items():
        assert np.mean([f.loc[name, "estimate"] for f in fits]) == pytest.approx(value, rel=0.05), name
