"""Chapter 04 per-customer summaries (Ibis on DuckDB), segments, scoring, holdout and the win-back test."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from socialops.churn import analysis as churn
from socialops.churn import customers
from socialops.stats.bgnbd import BGNBDFit
from tests.conftest import title_of

AS_OF = pd.Timestamp("2026-09-30 23:59:59")


def _events(rows, columns=("user_id", "ts", "event", "platform", "amount", "referrer_id")):
    df = pd.DataFrame(rows, columns=list(columns))
    df["ts"] = pd.to_datetime(df["ts"]).dt.floor("s").astype("datetime64[us]")
    return df


@pytest.fixture(scope="module")
def small(con):
    rows = [
        # u1: acquired on douyin, first purchase 2026-01-10 (two orders that day), repeat 2026-02-01 and
        # 2026-03-01, last activity a view 2026-03-05: churned (more than 90 days before as_of)
        ("u1", "2026-01-05 08:00", "view", "douyin", None, None),
        ("u1", "2026-01-10 12:00", "purchase", "wechat", 30.0, None),
        ("u1", "2026-01-10 18:00", "purchase", "wechat", 10.0, None),
        ("u1", "2026-01-20 09:00", "like", "wechat", None, None),
        ("u1", "2026-02-01 12:00", "purchase", "wechat", 50.0, None),
        ("u1", "2026-03-01 12:00", "purchase", "wechat", 70.0, None),
        ("u1", "2026-03-05 12:00", "view", "wechat", None, None),
        # u2: referred, single purchase 2026-09-01, still around: censored
        ("u2", "2026-08-30 10:00", "signup", "xiaohongshu", None, "u1"),
        ("u2", "2026-09-01 10:00", "purchase", "xiaohongshu", 25.0, None),
        # u3: never purchased: not a customer
        ("u3", "2026-09-01 10:00", "view", "weibo", None, None),
        # u4: a purchase after as_of is ignored
        ("u4", "2026-06-01 00:00", "purchase", "bilibili", 5.0, None),
        ("u4", "2026-10-02 00:00", "purchase", "bilibili", 5.0, None),
    ]
    return con.create_table("ev_small", _events(rows), overwrite=True)


def test_customer_summary_follows_the_definitions(small):
    s = churn.customer_summary(small, AS_OF).set_index("user_id")
    assert list(s.index) == ["u1", "u2", "u4"]
    u1 = s.loc["u1"]
    assert u1["churned"] == 1
    assert u1["frequency"] == 2  # distinct purchase days 01-10, 02-01, 03-01 -> two repeats
    assert u1["purchases"] == 4
    assert u1["recency"] == 50  # 2026-01-10 -> 2026-03-01
    assert u1["T"] == (pd.Timestamp("2026-09-30") - pd.Timestamp("2026-01-10")).days
    # survival time: first purchase 01-10 12:00 to last activity 03-05 12:00
    assert u1["duration_days"] == pytest.approx(54.0)
    assert u1["total_spend"] == pytest.approx(160.0)
    assert u1["mean_repeat_spend"] == pytest.approx(60.0)  # the first day's 40 is not a repeat
    assert u1["platform"] == "douyin"  # platform of the first event
    assert u1["referred"] == 0
    # first 30 days after the first purchase (to 02-09 12:00): purchase days 01-10 and 02-01, one like
    assert u1["purchase_days_first"] == 2 and u1["spend_first"] == pytest.approx(90.0)
    assert u1["interactions_first"] == 1
    u2 = s.loc["u2"]
    assert u2["churned"] == 0 and u2["referred"] == 1 and u2["frequency"] == 0
    assert np.isnan(u2["mean_repeat_spend"])
    assert u2["duration_days"] == pytest.approx((AS_OF - pd.Timestamp("2026-09-01 10:00")).total_seconds() / 86400)
    assert s.loc["u4", "total_spend"] == pytest.approx(5.0)
    assert set(s["tier"]) <= {"high_value", "potential_high_value", "general", "low_value"}


def test_weeks_divide_days_by_seven(small):
    d = churn.customer_summary(small, AS_OF).set_index("user_id")
    w = churn.customer_summary(small, AS_OF, time_unit="week").set_index("user_id")
    np.testing.assert_allclose(w["recency"], d["recency"] / 7)
    np.testing.assert_allclose(w["T"], d["T"] / 7)
    with pytest.raises(ValueError):
        churn.customer_summary(small, AS_OF, time_unit="month")


def test_as_of_earlier_changes_everything(small):
    s = churn.customer_summary(small, pd.Timestamp("2026-03-02")).set_index("user_id")
    assert list(s.index) == ["u1", "u4"] or list(s.index) == ["u1"]
    assert s.loc["u1", "churned"] == 0 and s.loc["u1", "T"] == 51


def test_purchases_only_table(con):
    rows = [("a", "2026-01-01 10:00", "purchase", 10.0), ("a", "2026-02-01 10:00", "purchase", 20.0),
            ("b", "2026-09-20 10:00", "purchase", 5.0)]
    t = con.create_table("ev_buys", _events(rows, ("user_id", "ts", "event", "amount")), overwrite=True)
    s = churn.customer_summary(t, AS_OF).set_index("user_id")
    assert s.loc["a", "churned"] == 1 and s.loc["b", "churned"] == 0
    assert s.loc["a", "platform"] == "unknown" and s.loc["a", "referred"] == 0
    assert s.loc["a", "interactions_first"] == 0


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


def test_bgnbd_recovers_the_simulated_parameters(sim_summary, simulated):
    _, truth = simulated
    models = churn.purchase_models(sim_summary)
    s = models["bgnbd"].summary()
    # the referred third drops out more slowly, so b is biased up; r and alpha are not affected
    assert s.loc["r", "estimate"] == pytest.approx(truth["r"], rel=0.2)
    assert s.loc["alpha", "estimate"] == pytest.approx(truth["alpha"], rel=0.25)
    assert models["gamma_gamma"] is not None


def test_scoring_and_at_risk_list(sim_summary):
    models = churn.purchase_models(sim_summary)
    scored = churn.score_customers(sim_summary, models["mbgnbd"], models["gamma_gamma"], horizon_days=90)
    assert scored["p_alive"].between(0, 1).all()
    assert (scored["expected_purchases"] >= 0).all()
    assert (scored["clv"] >= 0).all()
    risk = churn.at_risk_customers(scored, p_alive_below=0.5, value_quantile=0.75)
    assert len(risk) > 0
    assert (risk["p_alive"] < 0.5).all()
    assert risk["total_spend"].min() >= scored["total_spend"].quantile(0.75)
    assert risk["value_at_risk"].is_monotonic_decreasing
    # one-time buyers far in the past are on the list only through MBG/NBD
    one_timers = scored[(scored["frequency"] == 0)]
    assert one_timers["p_alive"].lt(1).all()


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


def test_calibration_holdout_tracks_actuals(simulated):
    t, _ = simulated
    hold = churn.holdout_summary(t, AS_OF, 90)
    assert hold["T"].min() >= 0
    model = churn.fit_bgnbd(hold["frequency"], hold["recency"], hold["T"])
    table = churn.calibration_holdout(model, hold, 90)
    assert table["customers"].sum() == len(hold)
    total_actual = (table["actual"] * table["customers"]).sum()
    total_pred = (table["predicted"] * table["customers"]).sum()
    assert total_pred == pytest.approx(total_actual, rel=0.15)


def test_two_proportion_test_matches_statsmodels():
    x_t, n_t, x_c, n_c = 270, 1800, 10, 200
    ours = churn.two_proportion_test(x_t, n_t, x_c, n_c)
    _, p = proportions_ztest([x_t, x_c], [n_t, n_c])
    low, high = confint_proportions_2indep(x_t, n_t, x_c, n_c, method="wald", compare="diff")
    assert ours["p_value"] == pytest.approx(p, rel=1e-9)
    assert ours["ci_low"] == pytest.approx(low, rel=1e-9)
    assert ours["ci_high"] == pytest.approx(high, rel=1e-9)
    assert ours["uplift"] == pytest.approx(0.15 - 0.05)


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


def test_public_api_names():
    km = churn.kaplan_meier([1, 2, 3], [1, 1, 0])
    assert list(km.columns) == ["time", "survival", "ci_low", "ci_high"]
    fit = churn.fit_bgnbd([0, 1, 2], [0, 3, 5], [10, 10, 10])
    assert isinstance(fit, BGNBDFit) and set(fit.params) == {"r", "alpha", "a", "b"}
    assert np.isfinite(fit.log_likelihood)


def test_charts_carry_their_message(sim_summary):
    import matplotlib

    matplotlib.use("Agg")
    from socialops.churn import figures as churn_charts

    seg = churn.survival_by_segment(sim_summary, "referred")
    fig = churn_charts.survival_curves(seg["curves"], {"1": "referred", "0": "organic"}, "T1", "x", "y")
    assert title_of(fig.axes[0]) == "T1" and len(fig.axes[0].get_legend().get_texts()) == 2
    cox = churn.churn_drivers(sim_summary)
    fig = churn_charts.hazard_ratios(cox.hazard_ratios, {}, "T2", "x")
    assert title_of(fig.axes[0]) == "T2"
    models = churn.purchase_models(sim_summary)
    scored = churn.score_customers(sim_summary, models["mbgnbd"], models["gamma_gamma"])
    fig = churn_charts.alive_by_value(scored, scored["total_spend"].quantile(0.75), 0.5, "T3", "x", "y", "a", "b")
    assert fig.axes[0].get_ylim()[0] == 0
    effect = {"comebacks_holdout": 5, "n_holdout": 100, "comebacks_treated": 135, "n_treated": 900}
    fig = churn_charts.winback_rates(effect, {"holdout": "h", "treated": "t"}, "T4", "y")
    assert [round(p.get_height(), 3) for p in fig.axes[0].patches] == [0.05, 0.15]


def test_bgnbd_summary_equals_the_customer_table_columns(con):
    rng = np.random.default_rng(5)
    n = 400
    df = pd.DataFrame({
        "user_id": rng.choice([f"u{i:03d}" for i in range(60)], n),
        "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 270 * 24, n), unit="h"),
        "event": rng.choice(["purchase", "view", "like"], n, p=[0.5, 0.3, 0.2]),
        "amount": rng.uniform(5, 50, n),
    })
    events = con.create_table("events_bgnbd", df)
    as_of = pd.Timestamp("2026-09-01")
    lean = customers.bgnbd_summary(events, as_of).to_pandas().set_index("user_id").sort_index()
    full = churn.customer_table(events, as_of).to_pandas().set_index("user_id").sort_index()
    pd.testing.assert_frame_equal(lean, full[["frequency", "recency", "T"]], check_dtype=False)
    assert len(lean) > 30
