"""The ``experiment`` table of the samples: four tests with planted outcomes.

- ``title_summer``: control vs variant title, 50/50, conversion 4% -> 5%; ``value`` (engaged minutes) and
  ``pre_value`` (the same before the test) correlate about 0.7, and the variant lifts ``value`` by 3%.
- ``push_time``: push at 8 a.m. ("A") or 8 p.m. ("B"), no effect.
- ``invite_campaign``: control, invite3, invite5 meant to split equally, but the assignment leaked (planted
  sample ratio mismatch).
- ``winback_2026q3``: holdout 10% vs coupon 90% on churned customers; its units, outcomes and comeback
  purchases come from the events plan, so ``converted`` agrees with ``events``.

Conversions are allocated in exact proportions within each arm so the planted rates are the observed ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from socialops.sample._common import DAY, ids, off_last_minute, to_datetime

TITLE_SUMMER = {"n": 16_000, "rates": {"control": 0.04, "variant": 0.05}, "value_lift": 0.03}
PUSH_TIME = {"n": 10_000, "rates": {"A": 0.03, "B": 0.03}}
INVITE = {
    "n": 9_000,
    "rates": {"control": 0.06, "invite3": 0.08, "invite5": 0.07},
    "leak": [0.35, 0.35, 0.30],
}
#: Correlation of log value and log pre_value that gives about 0.7 between the values themselves.
LOG_CORRELATION = 0.74
LOG_SD = 0.6


def _day(text: str) -> int:
    return int(np.datetime64(text, "s").astype(np.int64))


def _test(rng, experiment_id, variants, probs, rates, n, first_day, days, value_lift=None):
    """One experiment's rows: random assignment, exact conversion shares, correlated value and pre_value."""
    variant = np.array(variants)[rng.choice(len(variants), n, p=probs)]
    converted = np.zeros(n, dtype=np.int64)
    for arm, rate in rates.items():
        members = np.flatnonzero(variant == arm)
        converted[rng.permutation(members)[: round(rate * members.size)]] = 1
    z = rng.multivariate_normal([0, 0], [[1, LOG_CORRELATION], [LOG_CORRELATION, 1]], n)
    pre_value = 30.0 * np.exp(LOG_SD * z[:, 0])
    value = 30.0 * np.exp(LOG_SD * z[:, 1])
    if value_lift is not None:
        value = value * np.where(variant == variants[1], 1 + value_lift, 1.0)
    assigned = off_last_minute(_day(first_day) + np.sort(rng.integers(0, days * DAY, n)))
    return pd.DataFrame(
        {
            "experiment_id": experiment_id,
            "variant": variant,
            "assigned_at": assigned,
            "converted": converted,
            "value": np.round(value, 2),
            "pre_value": np.round(pre_value, 2),
        }
    )


def experiment(rng: np.random.Generator, winback: pd.DataFrame, id_width: int) -> pd.DataFrame:
    """The experiment table; `winback` holds the win-back units from the events plan."""
    tests = [
        _test(rng, "push_time", ["A", "B"], [0.5, 0.5], PUSH_TIME["rates"], PUSH_TIME["n"], "2026-03-02", 14),
        _test(
            rng,
            "invite_campaign",
            ["control", "invite3", "invite5"],
            INVITE["leak"],
            INVITE["rates"],
            INVITE["n"],
            "2026-04-06",
            21,
        ),
        _test(
            rng,
            "title_summer",
            ["control", "variant"],
            [0.5, 0.5],
            TITLE_SUMMER["rates"],
            TITLE_SUMMER["n"],
            "2026-06-01",
            14,
            TITLE_SUMMER["value_lift"],
        ),
    ]
    visitors = pd.concat(tests, ignore_index=True)
    visitors.insert(1, "unit_id", ids("v", np.arange(1, len(visitors) + 1), 7))
    wb = winback.sort_values(["assigned_at", "uid"], kind="stable")
    wb = pd.DataFrame(
        {
            "experiment_id": "winback_2026q3",
            "unit_id": ids("u", wb.uid.to_numpy() + 1, id_width),
            "variant": wb.variant.to_numpy(),
            "assigned_at": wb.assigned_at.to_numpy(),
            "converted": wb.converted.to_numpy(),
            "value": wb.value.to_numpy(),
            "pre_value": wb.pre_value.to_numpy(),
        }
    )
    out = pd.concat([visitors, wb], ignore_index=True)
    out["assigned_at"] = to_datetime(out["assigned_at"].to_numpy())
    return out


def truths(table: pd.DataFrame) -> dict:
    """The planted A/B truths, with the observed figures behind them."""

    def arm(test: str, variant: str) -> pd.DataFrame:
        return table[(table.experiment_id == test) & (table.variant == variant)]

    def observed(test: str, variants: list[str]) -> dict:
        return {
            v: {
                "n": len(arm(test, v)),
                "conversions": int(arm(test, v).converted.sum()),
                "rate": round(float(arm(test, v).converted.mean()), 6),
            }
            for v in variants
        }

    ts = table[table.experiment_id == "title_summer"]
    invite_counts = [len(arm("invite_campaign", v)) for v in INVITE["rates"]]
    srm = stats.chisquare(invite_counts)
    wb = observed("winback_2026q3", ["holdout", "coupon"])
    return {
        "title_summer": {
            "control": "control",
            "variant": "variant",
            "control_rate": 0.04,
            "variant_rate": 0.05,
            "abs_lift": 0.01,
            "value_rel_lift": TITLE_SUMMER["value_lift"],
            "value_pre_value_correlation": round(float(np.corrcoef(ts.value, ts.pre_value)[0, 1]), 4),
            "observed": observed("title_summer", ["control", "variant"]),
            "value_mean": {
                v: round(float(arm("title_summer", v).value.mean()), 4) for v in ("control", "variant")
            },
        },
        "push_time": {
            "control": "A",
            "variant": "B",
            "abs_lift": 0.0,
            "observed": observed("push_time", ["A", "B"]),
        },
        "invite_campaign": {
            "expected_split": [1 / 3, 1 / 3, 1 / 3],
            "srm": True,
            "counts": dict(zip(INVITE["rates"], invite_counts, strict=True)),
            "srm_chi2": round(float(srm.statistic), 4),
            "srm_p_value": float(srm.pvalue),
        },
        "winback_2026q3": {
            "control": "holdout",
            "variant": "coupon",
            "expected_split": {"holdout": 0.1, "coupon": 0.9},
            "holdout_rate": 0.05,
            "coupon_rate": 0.15,
            "uplift": 0.10,
            "observed": wb,
        },
    }
