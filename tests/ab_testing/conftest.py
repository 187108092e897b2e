"""Synthetic experiments shared by the chapter 03 tests."""

import ibis
import numpy as np
import pandas as pd
import pytest

from socialops.ab_testing import analyse_experiments


def _arm(rng, exp, variant, n, rate, shift, days=20, platforms=("douyin", "wechat")):
    pre = rng.gamma(2.0, 50.0, n)
    return pd.DataFrame({
        "experiment_id": exp, "unit_id": [f"{exp}-{variant}-{i}" for i in range(n)], "variant": variant,
        "assigned_at": pd.Timestamp("2026-08-01") + pd.to_timedelta(rng.integers(0, days * 24, n), unit="h"),
        "converted": (rng.random(n) < rate).astype("int64"),
        "value": 0.7 * pre + rng.normal(0, 40, n) + shift, "pre_value": pre,
        "platform": rng.choice(platforms, n)})


@pytest.fixture(scope="module")
def frame():
    """Four experiments with value and pre-test value: a lift, no effect, a broken split, a declared holdout."""
    rng = np.random.default_rng(42)
    return pd.concat([
        _arm(rng, "title", "control", 6000, 0.04, 0.0), _arm(rng, "title", "variant", 6000, 0.055, 4.0),
        _arm(rng, "push", "A", 2500, 0.06, 0.0), _arm(rng, "push", "B", 2500, 0.06, 0.0),
        _arm(rng, "invite", "control", 2000, 0.05, 0.0), _arm(rng, "invite", "invite3", 2000, 0.05, 0.0),
        _arm(rng, "invite", "invite5", 1700, 0.05, 0.0),
        _arm(rng, "winback", "holdout", 400, 0.05, 0.0), _arm(rng, "winback", "coupon", 3600, 0.15, 0.0),
    ], ignore_index=True)


@pytest.fixture(scope="module")
def table(con, frame):
    """`frame` as an engine table."""
    return con.create_table("experiment", frame, overwrite=True)


@pytest.fixture(scope="module")
def every_verdict():
    """Conversion-only experiments whose verdicts cover winner, underpowered, broken split and harm."""
    rng = np.random.default_rng(8)
    frames = []
    for exp, arms in {"good": {"control": (3000, 0.05), "new": (3000, 0.08)},
                      "flat": {"A": (400, 0.05), "B": (400, 0.05)},
                      "bad": {"control": (3000, 0.05), "v": (2500, 0.05)},
                      "worse": {"holdout": (4000, 0.08), "x": (4000, 0.04)}}.items():
        for variant, (n, rate) in arms.items():
            frames.append(pd.DataFrame({
                "experiment_id": exp, "unit_id": [f"{exp}{variant}{i}" for i in range(n)], "variant": variant,
                "assigned_at": pd.Timestamp("2026-05-01") + pd.to_timedelta(rng.integers(0, 240, n), unit="h"),
                "converted": (rng.random(n) < rate).astype("int64")}))
    return analyse_experiments(ibis.memtable(pd.concat(frames, ignore_index=True)))
