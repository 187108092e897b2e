"""Kaplan–Meier, log-rank and Cox regression against lifelines (used here only as the reference)."""

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test, proportional_hazard_test
from lifelines.utils import median_survival_times

from socialops.stats.survival import fit_cox, kaplan_meier, logrank_test, median_lifetime, survival_at


@pytest.fixture(scope="module")
def lifetimes_data():
    rng = np.random.default_rng(3)
    n = 600
    group = rng.choice(["a", "b", "c"], n)
    scale = np.select([group == "a", group == "b"], [100.0, 70.0], 130.0)
    # whole days, so ties occur as they do in real churn data
    life = np.ceil(rng.exponential(scale))
    censor = np.ceil(rng.uniform(20, 250, n))
    return pd.DataFrame({"t": np.minimum(life, censor), "e": (life <= censor).astype(int), "g": group})


def test_kaplan_meier_matches_lifelines(lifetimes_data):
    d = lifetimes_data
    ours = kaplan_meier(d["t"], d["e"])
    kmf = KaplanMeierFitter().fit(d["t"], d["e"])
    ref = pd.concat([kmf.survival_function_, kmf.confidence_interval_], axis=1)
    ref.columns = ["survival", "ci_low", "ci_high"]
    ref = ref.loc[ours["time"]]
    assert ours["time"].iloc[0] == 0 and ours["survival"].iloc[0] == 1
    np.testing.assert_allclose(ours["survival"], ref["survival"], rtol=1e-10)
    np.testing.assert_allclose(ours["ci_low"], ref["ci_low"], rtol=1e-8)
    np.testing.assert_allclose(ours["ci_high"], ref["ci_high"], rtol=1e-8)
    assert list(ours.columns) == ["time", "survival", "ci_low", "ci_high"]


def test_survival_at_reads_the_step_in_force(lifetimes_data):
    d = lifetimes_data
    curve = kaplan_meier(d["t"], d["e"])
    kmf = KaplanMeierFitter().fit(d["t"], d["e"])
    for day in (0, 37.5, 120):
        assert survival_at(curve, day)["survival"] == pytest.approx(float(kmf.predict(day)), rel=1e-10)
    point = survival_at(curve, 120)
    assert point["ci_low"] < point["survival"] < point["ci_high"]


def test_kaplan_meier_small_hand_example():
    # 5 subjects: events at 1, 3, 3; censored at 2 and 4
    km = kaplan_meier([1, 2, 3, 3, 4], [1, 0, 1, 1, 0])
    assert km["time"].tolist() == [0, 1, 3]
    np.testing.assert_allclose(km["survival"], [1, 0.8, 0.8 * (1 - 2 / 3)])


def test_kaplan_meier_without_events_is_flat():
    km = kaplan_meier([5, 6], [0, 0])
    assert km["survival"].tolist() == [1.0]


def test_median_matches_lifelines(lifetimes_data):
    d = lifetimes_data
    ours = median_lifetime(d["t"], d["e"])
    kmf = KaplanMeierFitter().fit(d["t"], d["e"])
    assert ours["median"] == pytest.approx(kmf.median_survival_time_)
    ci = median_survival_times(kmf.confidence_interval_)
    # lifelines reads the interval off the pointwise bands; Brookmeyer–Crowley inverts the same test
    assert ours["ci_low"] == pytest.approx(ci.iloc[0, 0], abs=1.0)
    assert ours["ci_high"] == pytest.approx(ci.iloc[0, 1], abs=1.0)
    assert ours["ci_low"] <= ours["median"] <= ours["ci_high"]


def test_median_not_reached_is_none():
    out = median_lifetime([10, 20, 30, 40], [1, 0, 0, 0])
    assert out["median"] is None and out["events"] == 1


def test_logrank_matches_lifelines(lifetimes_data):
    d = lifetimes_data
    ours = logrank_test(d["t"], d["e"], d["g"])
    ref = multivariate_logrank_test(d["t"], d["g"], d["e"])
    assert ours["chi2"] == pytest.approx(ref.test_statistic, rel=1e-6)
    assert ours["p_value"] == pytest.approx(ref.p_value, rel=1e-6)
    assert ours["df"] == 2
    assert np.isnan(logrank_test(d["t"], d["e"], ["x"] * len(d))["p_value"])


@pytest.fixture(scope="module")
def cox_data():
    rng = np.random.default_rng(8)
    n = 1500
    referred = rng.integers(0, 2, n)
    purchases = rng.poisson(1.5, n)
    drift = rng.integers(0, 2, n)
    rate = np.exp(np.log(0.6) * referred - 0.25 * purchases) / 100
    u = rng.exponential(size=n) / rate
    # the drift group's hazard is 3x the baseline before day 30 and 1/3 after: proportional hazards fail
    life = np.where(drift == 0, u, np.where(u < 90, u / 3, 30 + 3 * (u - 90)))
    censor = rng.uniform(50, 300, n)
    return pd.DataFrame({
        "t": np.minimum(life, censor), "e": (life <= censor).astype(int),
        "referred": referred, "purchases": purchases, "drift": drift, "constant": 1,
    })


def test_cox_matches_lifelines(cox_data):
    d = cox_data
    feats = ["referred", "purchases", "drift", "constant"]
    ours = fit_cox(d["t"], d["e"], d[feats])
    assert ours.dropped == ["constant"]
    cph = CoxPHFitter().fit(d.drop(columns="constant"), "t", "e")
    s = cph.summary
    np.testing.assert_allclose(ours.hazard_ratios["hazard_ratio"], s["exp(coef)"], rtol=1e-5)
    np.testing.assert_allclose(ours.hazard_ratios["ci_low"], s["exp(coef) lower 95%"], rtol=1e-4)
    np.testing.assert_allclose(ours.hazard_ratios["ci_high"], s["exp(coef) upper 95%"], rtol=1e-4)
    np.testing.assert_allclose(ours.hazard_ratios["p_value"], s["p"], rtol=1e-3, atol=1e-12)
    # the planted referral effect (HR 0.6) is inside the interval
    hr = ours.hazard_ratios.loc["referred"]
    assert hr["ci_low"] < 0.6 < hr["ci_high"]


def test_ph_check_matches_lifelines_and_flags_the_violation(cox_data):
    d = cox_data.drop(columns="constant")
    ours = fit_cox(d["t"], d["e"], d[["referred", "purchases", "drift"]])
    cph = CoxPHFitter().fit(d, "t", "e")
    ref = proportional_hazard_test(cph, d, time_transform="rank").summary
    np.testing.assert_allclose(ours.ph_test["chi2"], ref.loc[ours.ph_test.index, "test_statistic"], rtol=1e-4)
    assert ours.ph_test.loc["drift", "p_value"] < 0.001
    assert ours.ph_test.loc["referred", "p_value"] > 0.01
