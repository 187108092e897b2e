"""BG/NBD and MBG/NBD against published CDNOW estimates and direct numerical integration."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special
from statsmodels.tools.numdiff import approx_fprime

from socialops.stats.bgnbd import (
    LOG_BOUND,
    PARAM_NAMES,
    BGNBDFit,
    _loglik_and_gradient,
    _loglik_terms,
    distinct_rows,
    fit_bgnbd,
    fit_mbgnbd,
    loglik,
    maximise_log_scale,
)


def test_bgnbd_recovers_published_cdnow_estimates(cdnow, cdnow_bg):
    # Fader, Hardie & Lee (2005), table in section 5: r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4
    assert len(cdnow) == 2357
    p = cdnow_bg.params
    assert p["r"] == pytest.approx(0.243, abs=5e-4)
    assert p["alpha"] == pytest.approx(4.414, abs=5e-3)
    assert p["a"] == pytest.approx(0.793, abs=5e-4)
    assert p["b"] == pytest.approx(2.426, abs=5e-3)
    assert cdnow_bg.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_bgnbd_conditional_expectation_matches_paper(cdnow_bg):
    # the paper's worked example: x=2, t_x=30.43, T=38.86 expects 1.226 purchases in the next 39 weeks
    assert cdnow_bg.expected_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=1e-3)


def test_bgnbd_intervals_cover_estimates(cdnow_bg):
    s = cdnow_bg.summary()
    assert (s["ci_low"] < s["estimate"]).all() and (s["estimate"] < s["ci_high"]).all()
    # standard errors close to those lifetimes prints for CDNOW (r 0.0126, alpha 0.378)
    assert s.loc["r", "std_error"] == pytest.approx(0.0126, rel=0.05)
    assert s.loc["alpha", "std_error"] == pytest.approx(0.378, rel=0.05)


def test_bgnbd_one_time_buyers_look_alive_but_mbgnbd_does_not(cdnow, cdnow_bg):
    mbg = fit_mbgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert cdnow_bg.probability_alive(0, 0, 38.0) == 1.0
    assert 0 < mbg.probability_alive(0, 0, 38.0) < 0.6
    # published MBG/NBD fit of CDNOW (as reported by lifetimes' ModifiedBetaGeoFitter)
    assert mbg.params["r"] == pytest.approx(0.525, abs=2e-3)
    assert mbg.params["alpha"] == pytest.approx(6.183, abs=1e-2)


def _integrated_likelihood(params, x, t_x, big_t, modified):
    """Individual likelihood averaged over lambda ~ Gamma(r, alpha) and p ~ Beta(a, b) by Gaussian quadrature
    (generalised Gauss–Laguerre in lambda, Gauss–Jacobi in p): a check that shares no algebra with the
    closed form."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    u, wu = special.roots_genlaguerre(300, r - 1)
    lam, w_lam = u / alpha, wu / wu.sum()
    v, wv = special.roots_jacobi(60, b - 1, a - 1)
    p, w_p = (1 + v) / 2, wv / wv.sum()
    lam, p = lam[:, None], p[None, :]
    if modified:
        lik = (1 - p) ** (x + 1) * lam**x * np.exp(-lam * big_t) + p * (1 - p) ** x * lam**x * np.exp(-lam * t_x)
    else:
        lik = (1 - p) ** x * lam**x * np.exp(-lam * big_t)
        if x > 0:
            lik = lik + p * (1 - p) ** (x - 1) * lam**x * np.exp(-lam * t_x)
    return float(w_lam @ lik @ w_p)


@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize("x,t_x,big_t", [(0, 0.0, 10.0), (1, 3.0, 12.0), (4, 9.5, 11.0)])
def test_closed_form_likelihood_matches_numerical_integration(modified, x, t_x, big_t):
    params = {"r": 1.3, "alpha": 4.0, "a": 1.5, "b": 3.0}
    closed = loglik(params, [x], [t_x], [big_t], modified=modified)
    assert closed == pytest.approx(np.log(_integrated_likelihood(params, x, t_x, big_t, modified)), abs=1e-6)


def _simulate(params, n, big_t, rng, modified=False):
    lam = rng.gamma(params["r"], 1 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    for i in range(n):
        t = 0.0
        if modified and rng.random() < p[i]:
            continue
        while True:
            t += rng.exponential(1 / lam[i])
            if t > big_t[i]:
                break
            x[i] += 1
            t_x[i] = t
            if rng.random() < p[i]:
                break
    return x, t_x


def test_mbgnbd_recovers_simulated_parameters():
    rng = np.random.default_rng(11)
    truth = {"r": 0.8, "alpha": 20.0, "a": 1.2, "b": 4.0}
    big_t = rng.uniform(100, 360, 6000)
    x, t_x = _simulate(truth, 6000, big_t, rng, modified=True)
    fit = fit_mbgnbd(x, t_x, big_t)
    s = fit.summary()
    for k, v in truth.items():
        assert s.loc[k, "ci_low"] < v < s.loc[k, "ci_high"], k
    assert fit.params["r"] == pytest.approx(0.8, rel=0.15)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        fit_bgnbd([1], [5.0], [3.0])
    with pytest.raises(ValueError):
        fit_bgnbd([0], [1.0], [3.0])


def test_the_fit_maximises_the_likelihood_it_reports(cdnow, cdnow_bg):
    at_fit = loglik(cdnow_bg.params, cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert at_fit == pytest.approx(cdnow_bg.log_likelihood, abs=1e-9)
    nudged = {**cdnow_bg.params, "r": cdnow_bg.params["r"] * 1.01}
    assert loglik(nudged, cdnow["x"], cdnow["t_x"], cdnow["T"]) < at_fit


# ---------------------------------------------------------------------------------------------------------------
# Identifiability: a fit that cannot tell who has left says so

REAL = Path(__file__).resolve().parents[1] / "data" / "real"


def _summary_in_days(purchases: pd.DataFrame) -> pd.DataFrame:
    """x, t_x and T per customer in days from (user, day) purchases, the window ending on the last day."""
    days = purchases.drop_duplicates()
    end = days["day"].max()
    g = days.groupby("user")["day"]
    first, last = g.min(), g.max()
    return pd.DataFrame({"x": g.size() - 1, "t_x": (last - first).dt.days, "T": (end - first).dt.days})


def test_published_cdnow_fit_is_identified(cdnow_bg):
    assert cdnow_bg.unidentified() == []


def test_published_cdnow_modified_fit_is_identified(cdnow):
    assert fit_mbgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"]).unidentified() == []


def test_online_retail_drop_out_is_not_identified():
    # UCI Online Retail, December 2010 to June 2011: lifetimes' BetaGeoFitter stops with a ConvergenceError on
    # these customers, its a drifting to 0 (nobody ever leaves); the fit here lands at a ~ 1e-10 with a relative
    # standard error in the hundreds, while the purchase rate (r, alpha) stays well determined
    events = pd.read_csv(REAL / "online_retail" / "events.csv", dtype={"CustomerID": str})
    days = pd.to_datetime(events["InvoiceDate"], format="%m/%d/%y %H:%M").dt.normalize()
    summary = _summary_in_days(pd.DataFrame({"user": events["CustomerID"], "day": days}))
    fit = fit_bgnbd(summary["x"], summary["t_x"], summary["T"])
    assert fit.params["a"] < 1e-4
    assert set(fit.unidentified()) >= {"a"} and not {"r", "alpha"} & set(fit.unidentified())
    # P(alive) is then about 1 for everyone: the model cannot rank anybody as gone
    assert fit.probability_alive(summary["x"], summary["t_x"], summary["T"]).min() > 0.99


def test_drop_out_of_customers_who_never_leave_is_not_identified():
    # seeded: 2,000 customers buying at gamma-distributed Poisson rates for a year, none ever dropping out;
    # a and b cannot be told apart from a = 0, so the fit is flagged (the margin is wide: with drop-out planted
    # at a = 0.8, b = 2.4 in the same simulation gives relative standard errors of 0.11 and 0.14)
    rng = np.random.default_rng(7)
    n, horizon = 2000, 365.0
    rates = rng.gamma(0.8, 1 / 30.0, n)
    start = rng.uniform(0, 90, n)
    big_t = horizon - start
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        times = np.sort(rng.uniform(0, big_t[i], rng.poisson(rates[i] * big_t[i])))
        x[i], t_x[i] = len(times), times[-1] if len(times) else 0.0
    fit = fit_bgnbd(x, t_x, big_t)
    assert "a" in fit.unidentified()


def test_a_parameter_at_the_edge_or_without_a_standard_error_is_not_identified(cdnow_bg):
    at_edge = BGNBDFit({**cdnow_bg.params, "a": float(np.exp(-LOG_BOUND))}, 0.0, dict(cdnow_bg.std_errors))
    assert at_edge.unidentified() == ["a"]
    no_se = BGNBDFit(dict(cdnow_bg.params), 0.0, {**cdnow_bg.std_errors, "b": float("nan")})
    assert no_se.unidentified() == ["b"]
    # the limit is the caller's: CDNOW's b has a relative standard error of about 0.24
    assert "b" in cdnow_bg.unidentified(max_relative_error=0.1) and cdnow_bg.unidentified(1.0) == []


# ---------------------------------------------------------------------------------------------------------------
# Speed without a change of answer: exact gradients and fits on distinct rows


@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize("params", [(0.24, 4.4, 0.79, 2.4), (1.7, 0.3, 6.0, 0.2), (0.05, 60.0, 0.02, 40.0)])
def test_the_exact_gradient_is_the_likelihoods_slope(cdnow, modified, params):
    x, t_x, big_t = (cdnow[c].to_numpy(float) for c in ("x", "t_x", "T"))
    analytic = _loglik_and_gradient(np.array(params), x, t_x, big_t, modified)[1].sum(axis=1)
    numeric = approx_fprime(np.array(params), lambda p: _loglik_terms(p, x, t_x, big_t, modified).sum(),
                            centered=True)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("fit", [fit_bgnbd, fit_mbgnbd])
def test_exact_gradients_reach_the_fit_a_derivative_free_search_reaches(cdnow, fit):
    x, t_x, big_t = (cdnow[c].to_numpy(float) for c in ("x", "t_x", "T"))
    result = fit(x, t_x, big_t)
    modified = fit is fit_mbgnbd
    est, log_likelihood, std_errors, _ = maximise_log_scale(
        lambda p: _loglik_terms(p, x, t_x, big_t, modified).sum(), [1.0, float(np.mean(big_t)), 1.0, 1.0])
    assert result.log_likelihood == pytest.approx(log_likelihood, abs=1e-6)
    np.testing.assert_allclose([result.params[k] for k in PARAM_NAMES], est, rtol=2e-6)
    np.testing.assert_allclose([result.std_errors[k] for k in PARAM_NAMES], std_errors, rtol=2e-4)


def test_a_fit_on_counted_distinct_rows_is_the_fit_on_every_customer(cdnow, cdnow_bg):
    counted = cdnow.groupby(["x", "t_x", "T"], as_index=False).size()
    weighted = fit_bgnbd(counted["x"], counted["t_x"], counted["T"], weights=counted["size"])
    assert weighted.n_customers == len(cdnow) == cdnow_bg.n_customers
    assert weighted.log_likelihood == pytest.approx(cdnow_bg.log_likelihood, abs=1e-9)
    assert weighted.params == pytest.approx(cdnow_bg.params, rel=1e-9)
    assert loglik(cdnow_bg.params, counted["x"], counted["t_x"], counted["T"], weights=counted["size"]) == \
        pytest.approx(cdnow_bg.log_likelihood, abs=1e-9)


def test_distinct_rows_sum_the_weights_of_repeated_combinations():
    (x, t), w = distinct_rows([1, 1, 2, 1], [5, 5, 5, 6], weights=[1.0, 2.0, 3.0, 4.0])
    got = sorted(zip(x, t, w, strict=True))
    assert got == [(1.0, 5.0, 3.0), (1.0, 6.0, 4.0), (2.0, 5.0, 3.0)]
    (x,), w = distinct_rows([7, 7, 7])
    assert list(x) == [7.0] and list(w) == [3.0]


def test_a_fit_does_not_depend_on_the_order_of_the_rows(cdnow, cdnow_bg):
    # an engine returns grouped rows in any order; the estimates must be the same to the last bit
    shuffled = cdnow.sample(frac=1.0, random_state=3)
    again = fit_bgnbd(shuffled["x"], shuffled["t_x"], shuffled["T"])
    assert again.params == cdnow_bg.params
    assert again.std_errors == cdnow_bg.std_errors
