"""Gamma–Gamma spend model and customer lifetime value against the published CDNOW estimates."""


import numpy as np
import pytest
from statsmodels.tools.numdiff import approx_fprime

from socialops.stats.bgnbd import maximise_log_scale
from socialops.stats.clv import _gg_loglik_and_gradient, _gg_terms, customer_lifetime_value, fit_gamma_gamma


def test_gamma_gamma_recovers_published_cdnow_estimates(cdnow):
    # Fader & Hardie, "The Gamma-Gamma Model of Monetary Value" (2013): p=6.25, q=3.74, gamma=15.44
    fit = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert fit.n_customers == 946
    assert fit.params["p"] == pytest.approx(6.25, abs=5e-3)
    assert fit.params["q"] == pytest.approx(3.74, abs=5e-3)
    assert fit.params["gamma"] == pytest.approx(15.44, abs=1e-2)
    # the note's expected spend for the population and a customer with x=2, zbar=22.35 (eq. 5)
    p, q, g = fit.params["p"], fit.params["q"], fit.params["gamma"]
    assert fit.expected_spend([0], [0.0])[0] == pytest.approx(p * g / (q - 1))
    expected = (q - 1) / (p * 2 + q - 1) * p * g / (q - 1) + p * 2 / (p * 2 + q - 1) * 22.35
    assert fit.expected_spend([2], [22.35])[0] == pytest.approx(expected)


def test_clv_without_discount_is_expected_purchases_times_spend(cdnow, cdnow_bg):
    gg = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    row = cdnow.iloc[:5]
    clv = customer_lifetime_value(cdnow_bg, gg, row["x"], row["t_x"], row["T"], row["zbar"],
                                  horizon=52, step=4, discount_rate=0.0)
    direct = cdnow_bg.expected_purchases(52, row["x"], row["t_x"], row["T"]) * gg.expected_spend(row["x"], row["zbar"])
    np.testing.assert_allclose(clv, direct, rtol=1e-10)
    discounted = customer_lifetime_value(cdnow_bg, gg, row["x"], row["t_x"], row["T"], row["zbar"],
                                         horizon=52, step=4, discount_rate=0.01)
    assert (discounted < clv).all()


def test_gamma_gamma_needs_three_repeat_buyers_with_spend():
    # one-time buyers and repeat buyers without spend do not count
    with pytest.raises(ValueError, match="three repeat buyers"):
        fit_gamma_gamma([0, 2, 3, 1], [10.0, 20.0, 30.0, 0.0])


def test_the_exact_gradient_is_the_likelihoods_slope(cdnow):
    keep = cdnow["x"] > 0
    x, zbar = cdnow.loc[keep, "x"].to_numpy(float), cdnow.loc[keep, "zbar"].to_numpy(float)
    data = (np.unique(x, return_inverse=True), np.log(x), np.log(zbar), x * zbar)
    for params in ([6.25, 3.74, 15.4], [0.8, 12.0, 2.0]):
        analytic = _gg_loglik_and_gradient(np.array(params), *data)
        numeric = approx_fprime(np.array(params), lambda p: _gg_terms(p, x, zbar).sum(), centered=True)
        np.testing.assert_allclose(analytic[0], _gg_terms(params, x, zbar), rtol=1e-12)
        np.testing.assert_allclose(analytic[1].sum(axis=1), numeric, rtol=1e-5)


def test_a_spend_fit_on_counted_rows_is_the_fit_on_every_customer(cdnow):
    full = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    counted = cdnow.groupby(["x", "zbar"], as_index=False).size()
    weighted = fit_gamma_gamma(counted["x"], counted["zbar"], weights=counted["size"])
    assert weighted.n_customers == full.n_customers == 946
    assert weighted.params == pytest.approx(full.params, rel=1e-9)
    # the derivative-free search of the same likelihood lands on the same estimates
    keep = cdnow["x"] > 0
    est, log_likelihood, _, _ = maximise_log_scale(
        lambda p: _gg_terms(p, cdnow.loc[keep, "x"].to_numpy(float), cdnow.loc[keep, "zbar"].to_numpy(float)).sum(),
        [1.0, 2.0, 30.0])
    np.testing.assert_allclose([full.params[k] for k in ("p", "q", "gamma")], est, rtol=2e-6)
    assert full.log_likelihood == pytest.approx(log_likelihood, abs=1e-6)
