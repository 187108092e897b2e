"""Kaplan–Meier, log-rank and Cox regression against lifelines (used here only as the reference) and R's survival."""

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.datasets import load_rossi
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times
from statsmodels.duration.survfunc import survdiff

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
    assert ours["df"] == 2 and ours["excluded"] == 0
    assert np.isnan(logrank_test(d["t"], d["e"], ["x"] * len(d))["p_value"])


def test_logrank_leaves_out_rows_without_a_group(lifetimes_data):
    d = lifetimes_data.copy()
    groups = d["g"].astype(object)
    groups.iloc[::7] = np.nan
    groups.iloc[3::11] = None
    kept = groups.notna()
    ours = logrank_test(d["t"], d["e"], groups)
    ref = multivariate_logrank_test(d.loc[kept, "t"], groups[kept], d.loc[kept, "e"])
    # three groups, not a fourth one named "nan" or "None"
    assert ours["df"] == 2
    assert ours["excluded"] == int((~kept).sum()) > 0
    assert ours["chi2"] == pytest.approx(ref.test_statistic, rel=1e-6)
    assert ours["p_value"] == pytest.approx(ref.p_value, rel=1e-6)


def test_logrank_tiny_p_value_does_not_underflow():
    rng = np.random.default_rng(5)
    n = 400
    t = np.concatenate([np.ceil(rng.exponential(10, n)), np.ceil(rng.exponential(200, n))])
    e = np.ones(2 * n, dtype=int)
    g = np.repeat(["short", "long"], n)
    # the statsmodels p-value is 1 - cdf: it rounds to exactly 0 here
    assert survdiff(t, e, g)[1] == 0
    ours = logrank_test(t, e, g)
    ref = multivariate_logrank_test(t, g, e)
    assert 0 < ours["p_value"] < 1e-50
    assert ours["p_value"] == pytest.approx(ref.p_value, rel=1e-6)


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


def test_ph_check_flags_the_planted_violation(cox_data):
    d = cox_data
    ours = fit_cox(d["t"], d["e"], d[["referred", "purchases", "drift"]])
    assert ours.ph_test.loc["drift", "p_value"] < 0.001
    assert ours.ph_test.loc["referred", "p_value"] > 0.01
    assert ours.ph_global["df"] == 3 and ours.ph_global["p_value"] < 0.001


#: A small data set with heavy ties: whole-period times, several deaths and censorings on the same time.
TIED = pd.DataFrame({
    "time": [2, 4, 5, 4, 4, 2, 11, 7, 5, 7, 9, 4, 1, 6, 9, 6, 6, 9, 10, 1,
             9, 5, 1, 7, 1, 1, 2, 2, 6, 1, 4, 6, 4, 7, 5, 1, 3, 4, 8, 2],
    "event": [1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1,
              0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1],
    "x1": [1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0,
           1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 0, 1],
    "x2": [0.0, 0.0, -0.8, 0.1, 0.2, -0.1, 0.0, 0.7, -0.7, 0.7, -0.2, 0.1, -0.2, 0.9, 0.8, 0.0, -0.4, 1.9, 0.5, -1.1,
           0.0, -0.1, 0.7, -0.2, -0.7, 1.3, -2.0, -1.4, -0.5, -0.5, -0.1, 0.0, 1.0, -1.5, 3.0, 0.6, -0.8, -0.6, -0.5,
           -2.2],
})
ROSSI_FEATURES = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]

# Reference values computed once with R 4.2.2 (Debian r-base-core 4.2.2.20221110-2) and survival 3.5-3 (Debian
# r-cran-survival 3.5-3-1). With TIED written out as the data frame `d`, and the Rossi data exported from
# lifelines.datasets.load_rossi() with to_csv(index=False):
#   library(survival)
#   fit <- coxph(Surv(time, event) ~ x1 + x2, data = d, ties = "efron")
#   print(cox.zph(fit, transform = "rank", terms = FALSE)$table, digits = 15)
#   rossi <- read.csv("rossi.csv")
#   fit2 <- coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = rossi, ties = "efron")
#   print(cox.zph(fit2, transform = "rank", terms = FALSE)$table, digits = 15)
# coef(fit) was 0.626249733768539, -0.486434502483723.
R_ZPH_TIED = {
    "x1": (0.106109647491943, 0.744617477413815),
    "x2": (0.306166642155796, 0.580042068942058),
    "GLOBAL": (0.530527914332655, 0.767003467191877),
}
R_ZPH_ROSSI = {
    "fin": (1.3838084514070266, 0.239453493283438),
    "age": (0.8964214615663005, 0.343743064516709),
    "race": (2.2599781512000385, 0.132755933996929),
    "wexp": (4.1596837531656865, 0.041397132588243),
    "mar": (0.0895921418466064, 0.764696304447491),
    "paro": (0.0218516556887065, 0.882482413703367),
    "prio": (1.6408034519444628, 0.200215266971372),
    "GLOBAL": (11.0251834071225563, 0.137524298856939),
}


def _assert_matches_r(fit, reference):
    for name, (chi2, p) in reference.items():
        ours = fit.ph_global if name == "GLOBAL" else fit.ph_test.loc[name]
        assert ours["chi2"] == pytest.approx(chi2, rel=1e-6), name
        assert ours["p_value"] == pytest.approx(p, rel=1e-6), name
    assert fit.ph_global["df"] == len(reference) - 1


def test_ph_check_matches_r_cox_zph_on_tied_data():
    fit = fit_cox(TIED["time"], TIED["event"], TIED[["x1", "x2"]])
    np.testing.assert_allclose(fit.hazard_ratios["coef"], [0.626249733768539, -0.486434502483723], rtol=1e-7)
    _assert_matches_r(fit, R_ZPH_TIED)


def test_ph_check_matches_r_cox_zph_on_rossi():
    rossi = load_rossi()
    _assert_matches_r(fit_cox(rossi["week"], rossi["arrest"], rossi[ROSSI_FEATURES]), R_ZPH_ROSSI)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ph_check_does_not_depend_on_row_order(seed):
    rossi = load_rossi()
    shuffled = rossi.sample(frac=1, random_state=seed)
    before = fit_cox(rossi["week"], rossi["arrest"], rossi[ROSSI_FEATURES])
    after = fit_cox(shuffled["week"], shuffled["arrest"], shuffled[ROSSI_FEATURES])
    np.testing.assert_allclose(after.ph_test.to_numpy(), before.ph_test.to_numpy(), rtol=1e-9)
    assert after.ph_global["chi2"] == pytest.approx(before.ph_global["chi2"], rel=1e-9)
    tied = TIED.sample(frac=1, random_state=seed)
    _assert_matches_r(fit_cox(tied["time"], tied["event"], tied[["x1", "x2"]]), R_ZPH_TIED)


def test_cox_leaves_out_rows_with_a_missing_covariate(cox_data):
    d = cox_data.drop(columns="constant").copy()
    d.loc[d.index[::9], "purchases"] = np.nan
    d.loc[d.index[4::13], "referred"] = np.nan
    kept = d.dropna()
    ours = fit_cox(d["t"], d["e"], d[["referred", "purchases", "drift"]])
    assert ours.excluded == len(d) - len(kept) > 0
    assert ours.n == len(kept) and ours.events == int(kept["e"].sum())
    s = CoxPHFitter().fit(kept, "t", "e").summary
    np.testing.assert_allclose(ours.hazard_ratios["hazard_ratio"], s["exp(coef)"], rtol=1e-5)
    np.testing.assert_allclose(ours.hazard_ratios["ci_low"], s["exp(coef) lower 95%"], rtol=1e-4)
    # the check runs on the same rows as the fit
    complete = fit_cox(kept["t"], kept["e"], kept[["referred", "purchases", "drift"]])
    np.testing.assert_allclose(ours.ph_test.to_numpy(), complete.ph_test.to_numpy(), rtol=1e-9)


def test_cox_drops_a_column_constant_once_missing_rows_are_left_out():
    d = TIED.assign(x3=[1.0] * 39 + [np.nan], x4=[np.nan] + [2.0] * 39)
    fit = fit_cox(d["time"], d["event"], d[["x1", "x3", "x4", "x2"]])
    assert fit.excluded == 2 and fit.dropped == ["x3", "x4"]
    assert list(fit.hazard_ratios.index) == ["x1", "x2"]


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (TIED[["x1"]].assign(x2=np.nan), r"no row has a value for every covariate \(missing: x2 in 40 of 40 rows\)"),
        (TIED[["x1"]].assign(x2=5.0, x1=1), r"no covariate varies over the 40 rows used: x1, x2 are constant"),
        (TIED[["x1"]].assign(x2="a"), r"covariate 'x2' is not numeric"),
        (TIED[["x1"]].assign(x2=np.inf), r"covariate 'x2' has infinite values"),
        (TIED[["x1"]].head(3), r"features have 3 rows for 40 durations"),
    ],
)
def test_cox_refuses_what_it_cannot_fit(features, message):
    with pytest.raises(ValueError, match=message):
        fit_cox(TIED["time"], TIED["event"], features)


def test_cox_refuses_data_without_events():
    with pytest.raises(ValueError, match="none of the 40 rows used has an event"):
        fit_cox(TIED["time"], 0 * TIED["event"], TIED[["x1", "x2"]])


# ---------------------------------------------------------------- frequency weights


def _collapsed(data: pd.DataFrame) -> pd.DataFrame:
    """The distinct rows of `data` with their counts in ``weight``, shuffled so that order cannot matter."""
    out = data.groupby(list(data.columns), dropna=False).size().rename("weight").reset_index()
    return out.sample(frac=1, random_state=4).reset_index(drop=True)


@pytest.fixture(scope="module")
def tied_cox_data(cox_data):
    """The Cox data on a coarse time scale, so that many customers share every column (and deaths tie)."""
    d = cox_data.drop(columns="constant")
    return d.assign(t=np.ceil(d["t"] / 10), purchases=d["purchases"].clip(upper=3))


def test_weighted_kaplan_meier_and_median_equal_the_repeated_rows(lifetimes_data):
    d = lifetimes_data[["t", "e"]]
    w = _collapsed(d)
    assert len(w) < len(d) / 2
    pd.testing.assert_frame_equal(kaplan_meier(w["t"], w["e"], weights=w["weight"]), kaplan_meier(d["t"], d["e"]),
                                  rtol=1e-12)
    assert median_lifetime(w["t"], w["e"], weights=w["weight"]) == median_lifetime(d["t"], d["e"])
    kmf = KaplanMeierFitter().fit(d["t"], d["e"])
    ours = kaplan_meier(w["t"], w["e"], weights=w["weight"]).set_index("time")
    np.testing.assert_allclose(ours["survival"], kmf.survival_function_.loc[ours.index].iloc[:, 0], rtol=1e-10)
    np.testing.assert_allclose(ours["ci_low"], kmf.confidence_interval_.loc[ours.index].iloc[:, 0], rtol=1e-8)


def test_weighted_logrank_equals_the_repeated_rows(lifetimes_data):
    d = lifetimes_data.astype({"g": object})
    d.loc[d.index[::7], "g"] = None
    w = _collapsed(d)
    ours = logrank_test(w["t"], w["e"], w["g"], weights=w["weight"])
    plain = logrank_test(d["t"], d["e"], d["g"])
    assert ours["chi2"] == pytest.approx(plain["chi2"], rel=1e-10)
    assert ours["p_value"] == pytest.approx(plain["p_value"], rel=1e-10)
    assert (ours["df"], ours["excluded"]) == (plain["df"], plain["excluded"]) == (2, int(d["g"].isna().sum()))
    kept = d.dropna()
    assert ours["chi2"] == pytest.approx(multivariate_logrank_test(kept["t"], kept["g"], kept["e"]).test_statistic,
                                         rel=1e-6)


def test_weighted_cox_equals_the_repeated_rows(tied_cox_data):
    d = tied_cox_data
    feats = ["referred", "purchases", "drift"]
    w = _collapsed(d)
    assert len(w) < len(d) / 2
    ours = fit_cox(w["t"], w["e"], w[feats], weights=w["weight"])
    plain = fit_cox(d["t"], d["e"], d[feats])
    pd.testing.assert_frame_equal(ours.hazard_ratios, plain.hazard_ratios, rtol=1e-10)
    pd.testing.assert_frame_equal(ours.ph_test, plain.ph_test, rtol=1e-10)
    assert ours.ph_global["chi2"] == pytest.approx(plain.ph_global["chi2"], rel=1e-10)
    assert (ours.n, ours.events, ours.excluded) == (plain.n, plain.events, 0) == (len(d), int(d["e"].sum()), 0)
    # heavy ties: Efron's steps run over the deaths counted by weight, as lifelines does on the repeated rows
    s = CoxPHFitter().fit(d, "t", "e").summary
    np.testing.assert_allclose(ours.hazard_ratios["hazard_ratio"], s["exp(coef)"], rtol=1e-5)
    np.testing.assert_allclose(ours.hazard_ratios["ci_low"], s["exp(coef) lower 95%"], rtol=1e-4)
    np.testing.assert_allclose(ours.hazard_ratios["ci_high"], s["exp(coef) upper 95%"], rtol=1e-4)
    np.testing.assert_allclose(ours.hazard_ratios["p_value"], s["p"], rtol=1e-3, atol=1e-12)


def test_weighted_cox_counts_missing_and_zero_weight_rows_by_weight(tied_cox_data):
    d = tied_cox_data.copy()
    d.loc[d.index[::9], "purchases"] = np.nan
    w = _collapsed(d)
    w = pd.concat([w, w.head(3).assign(weight=0, referred=5.0)], ignore_index=True)
    ours = fit_cox(w["t"], w["e"], w[["referred", "purchases", "drift"]], weights=w["weight"])
    plain = fit_cox(d["t"], d["e"], d[["referred", "purchases", "drift"]])
    assert (ours.n, ours.events, ours.excluded) == (plain.n, plain.events, plain.excluded)
    assert ours.excluded == int(d["purchases"].isna().sum()) > 0
    pd.testing.assert_frame_equal(ours.hazard_ratios, plain.hazard_ratios, rtol=1e-10)


@pytest.mark.parametrize("weights", [[1.5, 1, 1, 1, 1], [-1, 1, 1, 1, 1], [np.nan, 1, 1, 1, 1], [1, 1]])
def test_weights_must_be_whole_subjects(weights):
    with pytest.raises(ValueError, match="weights"):
        kaplan_meier([1, 2, 3, 3, 4], [1, 0, 1, 1, 0], weights=weights)
