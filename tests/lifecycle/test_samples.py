"""On the committed samples, the engine's lifecycle numbers equal the pandas reference and the planted truths."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from socialops.inputs.workspace import open_workspace
from socialops.lifecycle import analysis as lifecycle
from socialops.lifecycle import cohorts, virality
from socialops.stats import rfm
from tests import lifecycle_reference as ref
from tests.conftest import SAMPLES

pytestmark = pytest.mark.skipif(not (SAMPLES / "events.parquet").exists(), reason="samples not generated")


@pytest.fixture(scope="module")
def samples():
    truths = json.loads((SAMPLES / "truths.json").read_text(encoding="utf-8"))["lifecycle"]
    as_of = pd.Timestamp(truths["as_of"])
    ws = open_workspace(SAMPLES, ["events"], engine="duckdb")
    events = ws.table("events")
    # The reference reads the file with pandas on its own, not through the workspace.
    frame = pd.read_parquet(SAMPLES / "events.parquet")
    frame["ts"] = pd.to_datetime(frame["ts"])
    yield events, frame, as_of, truths
    ws.close()


def test_stages_match_reference_and_truths(samples):
    events, frame, as_of, truths = samples
    got = lifecycle.user_stages(events, as_of).to_pandas().set_index("user_id")["stage"].sort_index()
    expected = ref.stages(frame, as_of)
    pd.testing.assert_series_equal(got, expected, check_names=False)
    assert got.value_counts().reindex(lifecycle.STAGES).to_dict() == truths["stages"]


def test_rfm_matches_reference(samples):
    events, frame, as_of, _ = samples
    got = rfm.rfm_table(events, as_of).to_pandas().set_index("user_id").sort_index()
    expected = ref.rfm(frame, as_of).sort_index()
    assert got.index.tolist() == expected.index.tolist()
    for column in ("frequency", "r_score", "f_score", "m_score", "segment", "tier"):
        assert got[column].tolist() == expected[column].tolist(), column
    np.testing.assert_allclose(got["monetary"], expected["monetary"], rtol=1e-9)


def test_cohorts_match_reference(samples):
    events, frame, as_of, _ = samples
    got = cohorts.cohort_retention(cohorts.cohort_table(events, as_of))
    expected = ref.cohort_retention(frame, as_of)
    assert list(got) == list(expected)
    for month, rates in expected.items():
        np.testing.assert_allclose(got[month], rates, rtol=1e-12, err_msg=month)


def test_virality_matches_reference_and_truths(samples):
    events, frame, as_of, truths = samples
    got = virality.virality(events, as_of, period_days=truths["params"]["period_days"])
    k, share = ref.k_factor_and_share_rate(frame, as_of)
    assert got.loc["k_factor", "value"] == pytest.approx(k, rel=1e-12)
    assert got.loc["share_rate", "value"] == pytest.approx(share, rel=1e-12)
    assert got.loc["k_factor", "numerator"] == truths["period_referred_users"]
    assert got.loc["share_rate", "numerator"] == truths["period_sharing_users"]
    assert got.loc["k_factor", "users"] == truths["period_active_users"]
