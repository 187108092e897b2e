"""The benchmark's model fits: simulated BG/NBD customers that a fit recovers, and the churn chapter's Cox rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialops.bench import fits
from socialops.churn import analysis as churn
from socialops.churn.customers import customer_summary
from socialops.stats.bgnbd import fit_bgnbd


def test_simulated_customers_are_reproducible_whole_day_summaries():
    one, again = fits.simulate_bgnbd(5_000, seed=3), fits.simulate_bgnbd(5_000, seed=3)
    pd.testing.assert_frame_equal(one, again)
    assert not one.equals(fits.simulate_bgnbd(5_000, seed=4))
    assert (one["recency"] == np.floor(one["recency"])).all() and (one["recency"] <= one["T"]).all()
    assert ((one["frequency"] == 0) == (one["recency"] == 0)).mean() > 0.99  # a repeat buyer has a recency
    assert one["T"].between(7, 365).all()


def test_a_fit_of_simulated_customers_recovers_the_truth():
    customers = fits.simulate_bgnbd(40_000, seed=5)
    fit = fit_bgnbd(customers["frequency"], customers["recency"], customers["T"])
    for name, truth in fits.BGNBD_TRUTH.items():
        assert fit.params[name] == pytest.approx(truth, rel=0.1), name


def test_the_fit_worker_reports_its_error_to_the_truth(tmp_path):
    path = fits.ensure_bgnbd_customers(tmp_path, 20_000, seed=2)
    assert fits.ensure_bgnbd_customers(tmp_path, 20_000, seed=2) == path  # made once
    result = fits.run_bgnbd_fit(path)
    assert result["customers"] == 20_000 and result["converged"]
    expected = max(abs(result["params"][k] / v - 1) for k, v in fits.BGNBD_TRUTH.items())
    assert result["max_relative_error"] == pytest.approx(expected) and result["max_relative_error"] < 0.2
    assert result["fit_s"] > 0


@pytest.fixture(scope="module")
def customers(both):
    events, _, as_of = both
    return customer_summary(events, as_of)


def test_cox_rows_are_those_the_churn_chapter_fits(customers):
    rows = fits.cox_rows(customers)
    assert len(rows) == (customers["duration_days"] >= fits.COX_FIRST_DAYS).sum() > 1000
    chapter = churn.churn_drivers(customers)
    mine = fits.run_cox_rows(rows, "socialops")
    assert chapter.n == len(rows)
    assert mine == pytest.approx(chapter.hazard_ratios["coef"].to_dict(), rel=1e-12)


def test_socialops_and_lifelines_give_the_same_cox_coefficients(customers, tmp_path):
    pytest.importorskip("lifelines")
    path = tmp_path / "cox-rows.parquet"
    fits.cox_rows(customers).to_parquet(path)
    ours, theirs = fits.run_cox(path, "socialops"), fits.run_cox(path, "lifelines")
    assert set(ours["coefs"]) == set(theirs["coefs"]) and ours["rows"] == theirs["rows"] > 1000
    for name, coef in ours["coefs"].items():
        assert theirs["coefs"][name] == pytest.approx(coef, rel=1e-3, abs=1e-6), name
    with pytest.raises(ValueError, match="unknown Cox library"):
        fits.run_cox(path, "statsmodels")
