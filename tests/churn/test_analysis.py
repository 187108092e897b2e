"""Chapter 04 analysis: survival, drivers, purchase models, scoring, the holdout check and the win-back test."""

import ibis
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from socialops.churn import analysis as churn
from socialops.churn import present
from socialops.inputs.tables import TABLES
from socialops.report.i18n import Translator
from socialops.stats.bgnbd import BGNBDFit

AS_OF = pd.Timestamp("2026-09-30 23:59:59")


def _events(rows, columns=("user_id", "ts", "event", "platform", "amount", "referrer_id")):
    df = pd.DataFrame(rows, columns=list(columns))
    df["ts"] = pd.to_datetime(df["ts"]).dt.floor("s").astype("datetime64[us]")
    return df


@pytest.fixture(scope="module")
def simulated(con):
    """Customers whose purchases follow BG/NBD in days, with engagement views while alive."""
    rng = np.random.default_rng(21)
    n = 3000
    truth = {"r": 0.75, "alpha": 30.0, "a": 0.9, "b": 5.0}
    start = pd.Timestamp("2025-10-01")
    span = 365
    lam = rng.gamma(truth["r"], 1 / truth["alpha"], n)
    p = rng.beta(truth["a"], truth["b"], n)
    referred = rng.random(n) < 0.3
    p = np.where(referred, p * 0.6, p)
    rows = []
    for i in range(n):
        t = rng.uniform(0, span - 1)
        uid = f"c{i:05d}"
        plat = "wechat" if i % 2 else "douyin"
        rows.append((uid, start + pd.Timedelta(days=t), "purchase", plat, 20.0, "x" if referred[i] else None))
        while True:
            t += rng.exponential(1 / lam[i])
            if t >= span:
                break
            rows.append((uid, start + pd.Timedelta(days=t), "purchase", plat, float(rng.gamma(4, 10)), None))
            if rng.random() < p[i]:
                break
    df = _events(rows)
    return con.create_table("ev_sim", df, overwrite=True), truth


@pytest.fixture(scope="module")
def sim_summary(simulated):
    t, _ = simulated
    return churn.customer_summary(t, pd.Timestamp("2026-09-30 23:59:59"))


@pytest.fixture(scope="module")
def sim_table(simulated):
    t, _ = simulated
    return churn.customer_table(t, pd.Timestamp("2026-09-30 23:59:59"))


def test_bgnbd_recovers_the_simulated_parameters(sim_summary, simulated):
    _, truth = simulated
    models = churn.purchase_models(sim_summary)
    s = models["bgnbd"].summary()
    # the referred third drops out more slowly, so b is biased up; r and alpha are not affected
    assert s.loc["r", "estimate"] == pytest.approx(truth["r"], rel=0.2)
    assert s.loc["alpha", "estimate"] == pytest.approx(truth["alpha"], rel=0.25)
    assert models["gamma_gamma"] is not None


def _at_risk_of_every_customer(scored, p_alive_below, value_quantile, value):
    """The win-back list picked from one scored row per customer: what the engine's pick must equal."""
    pick = scored[(scored[value] >= scored[value].quantile(value_quantile)) & (scored[value] > 0)]
    pick = pick[pick["p_alive"] < p_alive_below]
    pick = pick.assign(value_at_risk=pick[value] * (1 - pick["p_alive"]))
    columns = ["user_id", "tier", "purchases", "total_spend", "days_since_purchase", "p_alive",
               "expected_purchases", "clv", "value_at_risk"]
    return pick.sort_values(["value_at_risk", "user_id"], ascending=[False, True])[columns].reset_index(drop=True)


def test_scoring_and_at_risk_list(sim_summary, sim_table):
    models = churn.purchase_models(sim_summary)
    scored = churn.score_customers(sim_summary, models["mbgnbd"], models["gamma_gamma"], horizon_days=90)
    assert scored["p_alive"].between(0, 1).all()
    assert (scored["expected_purchases"] >= 0).all()
    assert (scored["clv"] >= 0).all()
    risk = churn.at_risk_customers(sim_table, models["mbgnbd"], models["gamma_gamma"], p_alive_below=0.5,
                                   value_quantile=0.75, horizon_days=90)
    assert len(risk) > 0
    assert (risk["p_alive"] < 0.5).all()
    assert risk["total_spend"].min() >= scored["total_spend"].quantile(0.75)
    assert risk["value_at_risk"].is_monotonic_decreasing
    # the engine picks exactly the customers that one scored row per customer would give
    pd.testing.assert_frame_equal(risk, _at_risk_of_every_customer(scored, 0.5, 0.75, "total_spend"))
    # one-time buyers far in the past are on the list only through MBG/NBD
    one_timers = scored[(scored["frequency"] == 0)]
    assert one_timers["p_alive"].lt(1).all()


@pytest.mark.parametrize(("model", "p_alive_below", "value_quantile", "value"), [
    ("bgnbd", 0.5, 0.75, "total_spend"), ("mbgnbd", 0.3, 0.5, "purchases"), ("mbgnbd", 1.0, 0.9, "total_spend"),
    ("mbgnbd", 0.0, 0.75, "total_spend"), ("bgnbd", 0.95, 0.0, "purchases")])
def test_the_engine_picks_the_win_back_list_of_every_customer(sim_summary, sim_table, model, p_alive_below,
                                                               value_quantile, value):
    models = churn.purchase_models(sim_summary)
    scored = churn.score_customers(sim_summary, models[model], models["gamma_gamma"], time_unit="day")
    risk = churn.at_risk_customers(sim_table, models[model], models["gamma_gamma"], p_alive_below=p_alive_below,
                                   value_quantile=value_quantile, value=value)
    pd.testing.assert_frame_equal(risk, _at_risk_of_every_customer(scored, p_alive_below, value_quantile, value))
    assert (len(risk) > 0) == (p_alive_below > 0)


def test_value_threshold_is_pandas_quantile_of_one_row_per_customer(sim_summary, sim_table):
    for value in ("total_spend", "purchases"):
        for q in (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999, 1.0):
            assert churn.value_threshold(sim_table, q, value) == sim_summary[value].quantile(q), (value, q)
    assert np.isnan(churn.value_threshold(sim_table.filter(sim_table.frequency < 0), 0.75))


def test_models_on_counted_distinct_rows_equal_those_on_one_row_per_customer(sim_summary, sim_table):
    segments = ["platform", "referred", "tier"]
    survival = churn.survival_inputs(sim_table, segments)
    assert survival["weight"].sum() == len(sim_summary)
    counted, plain = churn.overall_survival(survival), churn.overall_survival(sim_summary)
    pd.testing.assert_frame_equal(counted["curve"], plain["curve"], rtol=1e-12)
    assert counted["median"] == plain["median"] and counted["at"] == plain["at"]
    assert counted["churned_at_start"] == plain["churned_at_start"]
    for segment in segments:
        counted, plain = churn.survival_by_segment(survival, segment), churn.survival_by_segment(sim_summary, segment)
        pd.testing.assert_frame_equal(counted["curves"], plain["curves"], rtol=1e-12)
        pd.testing.assert_frame_equal(counted["medians"], plain["medians"], rtol=1e-12)
        assert counted["logrank"]["chi2"] == pytest.approx(plain["logrank"]["chi2"], rel=1e-12)
    cox = churn.cox_inputs(sim_table, 30)
    counted, plain = churn.churn_drivers(cox), churn.churn_drivers(sim_summary)
    pd.testing.assert_frame_equal(counted.hazard_ratios, plain.hazard_ratios, rtol=1e-10)
    pd.testing.assert_frame_equal(counted.ph_test, plain.ph_test, rtol=1e-10)
    assert (counted.n, counted.events, counted.dropped) == (plain.n, plain.events, plain.dropped)
    assert churn.drivers_sample(cox) == churn.drivers_sample(sim_summary)
    counted = churn.purchase_models(churn.purchase_inputs(sim_table), churn.spend_inputs(sim_table))
    plain = churn.purchase_models(sim_summary)
    for name in ("bgnbd", "mbgnbd", "gamma_gamma"):
        assert counted[name].params == pytest.approx(plain[name].params, rel=1e-12), name
        assert counted[name].n_customers == plain[name].n_customers, name


def test_survival_segments_and_drivers(sim_summary):
    seg = churn.survival_by_segment(sim_summary, "referred")
    assert set(seg["medians"].index) == {"0", "1"}
    assert seg["logrank"]["df"] == 1 and 0 <= seg["logrank"]["p_value"] <= 1
    curves = seg["curves"]
    assert set(curves["segment"]) == {"0", "1"}
    cox = churn.churn_drivers(sim_summary)
    hr = cox.hazard_ratios.loc["referred"]
    assert hr["hazard_ratio"] < 1 and hr["ci_high"] < 1
    assert "log_interactions_first" in cox.dropped  # no interactions in this data


def test_survival_split_leaves_out_customers_without_a_segment(sim_summary):
    customers = sim_summary.assign(platform=sim_summary["platform"].astype(object))
    customers.loc[customers.index[::10], "platform"] = None
    missing = int(customers["platform"].isna().sum())
    seg = churn.survival_by_segment(customers, "platform")
    assert seg["excluded"] == seg["logrank"]["excluded"] == missing > 0
    assert set(seg["medians"].index) == set(seg["curves"]["segment"]) == {"douyin", "wechat"}
    assert seg["logrank"]["df"] == 1
    assert seg["medians"]["n"].sum() == len(customers) - missing
    with pytest.raises(ValueError, match="no customer has a value of 'platform'"):
        churn.survival_by_segment(customers.assign(platform=None), "platform")


def test_drivers_leave_out_customers_with_a_missing_feature(sim_summary):
    customers = sim_summary.assign(spend_first=sim_summary["spend_first"].astype(float))
    customers.loc[customers.index[::15], "spend_first"] = np.nan
    at_risk = customers["duration_days"] >= 30
    cox = churn.churn_drivers(customers)
    assert cox.excluded == int(customers.loc[at_risk, "spend_first"].isna().sum()) > 0
    assert cox.n == int(at_risk.sum()) - cox.excluded


def test_calibration_holdout_tracks_actuals(simulated):
    t, _ = simulated
    hold = churn.holdout_summary(t, AS_OF, 90)
    assert hold["T"].min() >= 0
    model = churn.fit_bgnbd(hold["frequency"], hold["recency"], hold["T"], weights=hold["weight"])
    table = churn.calibration_holdout(model, hold, 90)
    assert table["customers"].sum() == hold["weight"].sum()
    total_actual = (table["actual"] * table["customers"]).sum()
    total_pred = (table["predicted"] * table["customers"]).sum()
    assert total_pred == pytest.approx(total_actual, rel=0.15)


def per_customer_holdout(t, as_of, days) -> pd.DataFrame:
    """The holdout inputs one row per customer, computed apart from the engine's grouping: the reference."""
    cut = as_of - pd.Timedelta(days=days)
    cal = churn.customer_summary(t, cut)[["user_id", "frequency", "recency", "T"]]
    ev = t.to_pandas()
    later = ev[(ev["event"] == "purchase") & (ev["ts"] > cut) & (ev["ts"] <= as_of)]
    counts = later.groupby("user_id")["ts"].apply(lambda ts: ts.dt.normalize().nunique())
    return cal.assign(holdout_purchases=cal["user_id"].map(counts).fillna(0).astype(int))


def test_the_counted_holdout_rows_give_the_per_customer_check(simulated):
    t, _ = simulated
    hold = churn.holdout_summary(t, AS_OF, 90)
    rows = per_customer_holdout(t, AS_OF, 90)
    assert len(hold) < len(rows) and hold["weight"].sum() == len(rows)
    assert hold["holdout_purchases"].sum() == rows["holdout_purchases"].sum()
    assert hold["holdout_squares"].sum() == (rows["holdout_purchases"] ** 2).sum()
    model = churn.fit_bgnbd(rows["frequency"], rows["recency"], rows["T"])
    table = churn.calibration_holdout(model, hold, 90)
    # the same table from one row per customer, by pandas: means, spread and predictions
    bucket = rows["frequency"].clip(upper=7).astype(int)
    g = rows.assign(bucket=bucket).groupby("bucket")["holdout_purchases"]
    pd.testing.assert_series_equal(table["actual"], g.mean().astype(float), check_names=False, rtol=1e-12)
    half = 1.959963984540054 * g.std(ddof=1).fillna(0.0) / np.sqrt(g.size())
    pd.testing.assert_series_equal(table["actual_ci_high"], g.mean() + half, check_names=False, rtol=1e-9)
    predicted = model.expected_purchases(90, rows["frequency"], rows["recency"], rows["T"])
    pd.testing.assert_series_equal(table["predicted"], pd.Series(predicted).groupby(bucket).mean(), check_names=False,
                                   rtol=1e-12)


def test_holdout_check_fits_before_the_cut_and_sums_the_holdout_days(simulated):
    t, _ = simulated
    check = churn.holdout_check(t, AS_OF, 90)
    assert check.calibration_end == AS_OF - pd.Timedelta(days=90)
    rows = per_customer_holdout(t, AS_OF, 90)
    assert check.customers == len(rows) and check.by_frequency["customers"].sum() == len(rows)
    assert check.actual == rows["holdout_purchases"].sum()
    model = churn.fit_bgnbd(rows["frequency"], rows["recency"], rows["T"])
    predicted = model.expected_purchases(90, rows["frequency"], rows["recency"], rows["T"]).sum()
    assert check.predicted == pytest.approx(predicted, rel=1e-7)
    assert check.relative_error == pytest.approx(predicted / check.actual - 1, rel=1e-6)


def test_holdout_check_off_or_with_too_few_customers(con):
    rows = [(f"u{i}", f"2026-0{1 + i % 5}-10 12:00", "purchase", 10.0) for i in range(churn.MIN_HOLDOUT_CUSTOMERS - 1)]
    t = con.create_table("ev_few", _events(rows, ("user_id", "ts", "event", "amount")), overwrite=True)
    assert churn.holdout_check(t, AS_OF, 0) is None
    check = churn.holdout_check(t, AS_OF, 90)
    assert check.by_frequency is None and check.customers == churn.MIN_HOLDOUT_CUSTOMERS - 1
    assert np.isnan(check.relative_error)
    assert check.first_purchase == min(pd.Timestamp(ts) for _, ts, _, _ in rows)


def test_a_holdout_window_longer_than_the_data_leaves_no_customer_and_finds_the_first_purchase(con):
    rows = [("u1", "2026-08-01 09:30", "view", None), ("u1", "2026-08-02 10:00", "purchase", 5.0),
            ("u2", "2026-09-01 12:00", "purchase", 7.0)]
    t = con.create_table("ev_short", _events(rows, ("user_id", "ts", "event", "amount")), overwrite=True)
    check = churn.holdout_check(t, AS_OF, 90)
    assert check.calibration_end < check.first_purchase == pd.Timestamp("2026-08-02 10:00")
    assert check.customers == 0 and check.by_frequency is None


def test_relative_error_without_actual_purchases_is_missing():
    check = churn.HoldoutCheck(90, AS_OF, 20, pd.DataFrame(), actual=0.0, predicted=3.0)
    assert np.isnan(check.relative_error)
    assert churn.HoldoutCheck(90, AS_OF, 20, pd.DataFrame(), 80.0, 100.0).relative_error == pytest.approx(0.25)


def test_overall_survival_reads_the_curve_and_the_median():
    customers = pd.DataFrame({"duration_days": [10.0, 20.0, 30.0, 40.0, 200.0], "churned": [1, 1, 1, 0, 0]})
    out = churn.overall_survival(customers, at_days=25)
    assert list(out["curve"].columns) == ["time", "survival", "ci_low", "ci_high"]
    assert out["at"]["survival"] == pytest.approx(0.6)  # two of five churned by day 25
    assert out["median"]["median"] == pytest.approx(30.0) and out["median"]["events"] == 3


def test_value_per_comeback_falls_back_to_the_spend_per_purchase_day():
    counts = {"total_spend": 150.0, "purchase_days": 6}
    assert churn.value_per_comeback({"value_per_comeback": 42.0}, counts) == 42.0
    assert churn.value_per_comeback({"value_per_comeback": None}, counts) == pytest.approx(150 / 6)


def test_winback_effect_uses_the_shared_test_and_decision():
    # the win-back uplift is chapter 03's comparison of two proportions: statsmodels as the reference
    exp = pd.DataFrame({"experiment_id": "wb", "unit_id": [f"u{i}" for i in range(2000)],
                        "variant": ["holdout"] * 200 + ["coupon"] * 1800,
                        "converted": [1] * 10 + [0] * 190 + [1] * 270 + [0] * 1530})
    eff = churn.winback_effect(ibis.memtable(exp), "wb", "holdout")
    _, p = proportions_ztest([270, 10], [1800, 200])
    low, high = confint_proportions_2indep(270, 1800, 10, 200, method="newcomb", compare="diff")
    assert eff["test"] == "z" and eff["p_value"] == pytest.approx(p, rel=1e-9)
    assert (eff["ci_low"], eff["ci_high"]) == pytest.approx((low, high), rel=1e-9)
    assert eff["uplift"] == pytest.approx(0.15 - 0.05)
    assert (eff["verdict"], eff["reason"], eff["n_excluded"]) == ("ship", "winner", 0)


def test_winback_effect_on_a_small_test_is_exact_and_too_small_to_judge():
    # 12 holdout customers: an expected comeback count below 5 calls for Fisher's test, and the arm is below
    # the minimum a verdict needs
    exp = pd.DataFrame({"experiment_id": "wb", "unit_id": [f"u{i}" for i in range(112)],
                        "variant": ["holdout"] * 12 + ["coupon"] * 100,
                        "converted": [0] * 12 + [1] * 40 + [0] * 60})
    eff = churn.winback_effect(ibis.memtable(exp), "wb", "holdout")
    assert eff["test"] == "fisher"
    assert eff["p_value"] == pytest.approx(stats.fisher_exact([[40, 60], [0, 12]]).pvalue, rel=1e-12)
    assert (eff["verdict"], eff["reason"]) == ("too_few_units", "too_few_units")


def test_winback_effect_leaves_out_missing_outcomes_and_counts_them():
    exp = pd.DataFrame({"experiment_id": "wb", "unit_id": [f"u{i}" for i in range(400)],
                        "variant": ["holdout"] * 100 + ["coupon"] * 300,
                        "converted": [1.0] * 5 + [0.0] * 95 + [1.0] * 45 + [np.nan] * 60 + [0.0] * 195})
    eff = churn.winback_effect(ibis.memtable(exp), "wb", "holdout")
    # the 60 coupon customers without an outcome are neither comebacks nor customers who stayed away
    assert (eff["n_treated"], eff["comebacks_treated"], eff["n_excluded"]) == (240, 45, 60)
    assert eff["treated_rate"] == pytest.approx(45 / 240)


def test_winback_effect_and_economics(con):
    exp = pd.DataFrame({
        "experiment_id": ["winback_2026q3"] * 1000 + ["other"] * 10,
        "unit_id": [f"u{i}" for i in range(1010)],
        "variant": ["holdout"] * 100 + ["coupon"] * 900 + ["holdout"] * 10,
        "converted": [1] * 5 + [0] * 95 + [1] * 135 + [0] * 765 + [1] * 10,
        "value": [40.0] * 5 + [0.0] * 95 + [50.0] * 135 + [0.0] * 765 + [1.0] * 10,
    })
    t = con.create_table("exp_wb", exp, overwrite=True)
    eff = churn.winback_effect(t, "winback_2026q3", "holdout")
    assert eff["treated_rate"] == pytest.approx(0.15) and eff["holdout_rate"] == pytest.approx(0.05)
    assert eff["n_treated"] == 900 and eff["n_holdout"] == 100
    assert eff["value_per_comeback"] == pytest.approx(50.0)
    assert churn.winback_effect(t, "missing") is None
    econ = churn.winback_economics(eff, coupon_cost=20.0, value_per_comeback=50.0)
    assert econ["extra_comebacks"] == pytest.approx(90.0)
    assert econ["coupon_spend"] == pytest.approx(20.0 * 135)
    assert econ["net"] == pytest.approx(90 * 50 - 2700)
    assert econ["net_low"] < econ["net"] < econ["net_high"]
    assert econ["break_even_value"] == pytest.approx(2700 / 90)
    assert econ["uplift_verdict"] == eff["verdict"] == "ship"


def test_public_api_names():
    km = churn.kaplan_meier([1, 2, 3], [1, 1, 0])
    assert list(km.columns) == ["time", "survival", "ci_low", "ci_high"]
    # a dozen customers the model fits at once; three would leave it to wander far off for seconds
    fit = churn.fit_bgnbd([0, 1, 2, 0, 3, 1, 0, 2, 0, 0, 1, 4], [0, 3, 5, 0, 8, 2, 0, 6, 0, 0, 1, 9], [10] * 12)
    assert isinstance(fit, BGNBDFit) and set(fit.params) == {"r", "alpha", "a", "b"}
    assert np.isfinite(fit.log_likelihood)


# ---------------------------------------------------------------- optional columns and tables absent

#: The optional columns of the events table, read from the contract (a new one is covered when added).
OPTIONAL = [c.name for c in TABLES["events"].columns if not c.required]


def _experiment_table(con, ids=("wb",)):
    rows = [(exp, f"u{i}", "holdout" if i < 200 else "coupon", int(i % 7 == 0)) for exp in ids for i in range(2000)]
    frame = pd.DataFrame(rows, columns=["experiment_id", "unit_id", "variant", "converted"])
    return con.create_table("wb_test", frame, overwrite=True)


def _chapter(events, experiment, t, name="wb", control="holdout"):
    """What the notebook computes and says, without a report: the skipped sections and every sentence shown."""
    customers = churn.customer_summary(events, AS_OF)
    skipped = present.skipped_sections(events.columns, customers)
    said = [present.customers_finding(customers, 90)]
    overall = churn.overall_survival(customers)
    said.append(present.survival_finding(overall, 180))
    for segment in present.survival_segments(events.columns):
        said += present.segment_findings(segment, churn.survival_by_segment(customers, segment), 180, t)
    cox = churn.churn_drivers(customers, features=present.driver_features(events.columns))
    said += present.driver_findings(cox, t)
    models = churn.purchase_models(customers)
    answers = present.model_answers(models["bgnbd"], models["mbgnbd"], 1.0)
    said += present.bgnbd_findings(models["bgnbd"], "day", t, models["mbgnbd"], 1.0)
    skipped = {**present.value_gap(models["gamma_gamma"], answers), **skipped}
    value = present.value_measure(events.columns)
    table = churn.customer_table(events, AS_OF)
    at_risk = (churn.at_risk_customers(table, models["mbgnbd"], models["gamma_gamma"], value=value) if answers
               else churn.at_risk_by_rule(table, value=value))
    said.append(present.at_risk_finding(at_risk, 0.75, 0.5, value=value, churn_days=None if answers else 90))
    effect = None if experiment is None else churn.winback_effect(experiment, name, control)
    if effect is None:
        arms = None if experiment is None else churn.winback_arms(experiment, name)
        skipped["winback_test"] = present.winback_gap(arms, name, control)
    elif present.economics_gap(effect, churn.value_per_comeback(effect, churn.customer_counts(table))) is not None:
        skipped["winback_economics"] = present.economics_gap(effect, churn.value_per_comeback(
            effect, churn.customer_counts(table)))
    said += present.recommendations(at_risk, None, cox.hazard_ratios)
    texts = [t(m.key, **m.values) for m in said] + [r["reason"] for r in present.skipped_record(skipped, t)]
    return skipped, texts, at_risk, cox


@pytest.mark.parametrize("column", [*OPTIONAL, "all"])
def test_the_chapter_runs_without_each_optional_column(simulated, con, column):
    table, _ = simulated
    gone = OPTIONAL if column == "all" else [column]
    events = table.drop(*gone)
    t = Translator("en", "churn")
    skipped, texts, at_risk, cox = _chapter(events, _experiment_table(con), t)
    needs = {"platform": {"platform_split"}, "referrer_id": {"referral_split"}, "amount": {"value"}}
    expected = set().union(*(needs[c] for c in gone))
    if "amount" in gone:
        expected.add("winback_economics")  # the test carries no value either
    assert set(skipped) == expected
    for section in skipped:
        assert any(f"`{c}`" in t(skipped[section].key, **skipped[section].values) for c in gone), section
    for text in texts:
        assert "{" not in text and "None" not in text and "nan" not in text, text
    # the list never comes out empty for want of amounts: purchases measure value instead
    assert len(at_risk) > 0
    # a behaviour whose column is absent is not in the model (nor said not to vary)
    assert ("referred" in cox.hazard_ratios.index) == ("referrer_id" not in gone)
    assert "referred" not in cox.dropped


@pytest.mark.parametrize(("ids", "name", "control", "key"), [
    (None, "q9_test", "kept", "winback_no_table"),
    (("other",), "q9_test", "kept", "winback_not_found"),
    (("q9_test",), "q9_test", "kept", "winback_no_control")])
def test_a_missing_win_back_test_names_the_parameter_not_its_value(simulated, con, ids, name, control, key):
    table, _ = simulated
    experiment = None if ids is None else _experiment_table(con, ids)
    t = Translator("en", "churn")
    skipped, _, _, _ = _chapter(table, experiment, t, name=name, control=control)
    reason = t(skipped["winback_test"].key, **skipped["winback_test"].values)
    assert skipped["winback_test"].key == key
    assert "`winback_" in reason and name not in reason and control not in reason
    if key == "winback_not_found":
        assert "other" in reason
    if key == "winback_no_control":
        assert "coupon, holdout" in reason


def test_the_win_back_list_falls_back_on_the_churn_rule(sim_summary, sim_table):
    listed = churn.at_risk_by_rule(sim_table, value_quantile=0.75)
    threshold = sim_summary["total_spend"].quantile(0.75)
    expected = sim_summary[(sim_summary["churned"] == 1) & (sim_summary["total_spend"] >= threshold)]
    assert set(listed["user_id"]) == set(expected["user_id"]) and len(listed) > 0
    assert listed["value_at_risk"].is_monotonic_decreasing and listed["p_alive"].isna().all()
    by_count = churn.at_risk_by_rule(sim_table, value="purchases")
    assert (by_count["value_at_risk"] == by_count["purchases"]).all()


def test_early_signs_need_enough_churned_customers(sim_summary):
    few = sim_summary.assign(churned=0)
    assert churn.churn_drivers(few) is None
    assert churn.drivers_sample(few) == {"customers": int((sim_summary["duration_days"] >= 30).sum()), "churned": 0}
    assert churn.churn_drivers(sim_summary, features=["purchase_days_first"]).hazard_ratios.index.tolist() == [
        "purchase_days_first"]


def test_library_warnings_are_kept_for_the_results_not_printed(recwarn):
    # a library computing on the edge of its formula (a log of 0) warns; the warning is recorded, not shown
    def edgy(customers):
        return np.log(customers["duration_days"])

    churn._noticing(edgy)(pd.DataFrame({"duration_days": [0.0, 5.0]}))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    assert any(w.startswith("edgy: RuntimeWarning") for w in churn.run_warnings())


def test_value_per_comeback_is_unknown_without_any_amount():
    counts = {"total_spend": 0.0, "purchase_days": 3}
    assert churn.value_per_comeback({"value_per_comeback": None}, counts) is None
    assert churn.value_per_comeback({"value_per_comeback": 12.0}, counts) == 12.0


def test_resource_warnings_of_an_engine_are_not_results():
    # Spark's py4j leaves sockets to the collector; their ResourceWarning names a port that changes every run
    import warnings

    def leaky(customers, segment):
        warnings.warn("unclosed <socket.socket laddr=('127.0.0.1', 42424)>", ResourceWarning, stacklevel=1)
        return original(customers, segment)

    original = churn.survival_by_segment.__wrapped__
    noticed = churn._noticing(leaky)
    before = list(churn.run_warnings())
    customers = pd.DataFrame({"duration_days": [1.0, 5.0, 9.0, 40.0], "churned": [1, 1, 0, 0],
                              "tier": ["general"] * 4})
    noticed(customers, "tier")
    assert [w for w in churn.run_warnings() if w not in before and "ResourceWarning" in w] == []
