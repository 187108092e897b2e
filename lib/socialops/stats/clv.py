"""Customer value: the Gamma–Gamma spend model and a discounted customer lifetime value.

Gamma–Gamma (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis";
Fader & Hardie's note "The Gamma-Gamma Model of Monetary Value", 2013) is written with scipy for the same reason
as the BG/NBD model (see ``socialops.stats.bgnbd``): no maintained library ships it for current numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from socialops.stats.bgnbd import BGNBDFit, distinct_rows, maximise_log_scale

GG_PARAM_NAMES = ("p", "q", "gamma")


def _gg_terms(params, x, zbar):
    p, q, gamma = params
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(zbar)
        + px * np.log(x)
        - (px + q) * np.log(gamma + x * zbar)
    )


def _gg_loglik_and_gradient(params, x_groups, log_x, log_zbar, x_zbar):
    """Per-customer log-likelihood of :func:`_gg_terms` and its derivatives in (p, q, gamma), one row each.

    The gamma functions depend on x alone, which takes few values: they are computed once per distinct x
    (``x_groups``, from ``numpy.unique(x, return_inverse=True)``) and spread to the rows; the logarithms of the
    data are computed once per fit by the caller.
    """
    p, q, gamma = params
    xs, at = x_groups
    x = xs[at]
    px = p * x
    pooled = gamma + x_zbar
    log_pooled = np.log(pooled)
    terms = ((special.gammaln(p * xs + q) - special.gammaln(p * xs) - special.gammaln(q))[at]
             + q * np.log(gamma) + (px - 1) * log_zbar + px * log_x - (px + q) * log_pooled)
    psi_sum = special.digamma(p * xs + q)[at]
    gradient = np.stack([
        x * (psi_sum - special.digamma(p * xs)[at] + log_zbar + log_x - log_pooled),
        psi_sum - special.digamma(q) + np.log(gamma) - log_pooled,
        q / gamma - (px + q) / pooled,
    ])
    return terms, gradient


@dataclass
class GammaGammaFit:
    """A fitted Gamma–Gamma spend model.

    Attributes
    ----------
    params : dict
        ``{"p", "q", "gamma"}``.
    log_likelihood : float
    std_errors : dict
        Delta-method standard errors from the observed information on the log scale.
    n_customers : int
        Repeat buyers used in the fit.
    """

    params: dict
    log_likelihood: float
    std_errors: dict = field(default_factory=dict)
    n_customers: int = 0

    def expected_spend(self, frequency, mean_value) -> np.ndarray:
        """Expected spend per future purchase: a weighted mean of the population mean and the customer's own.

        Customers without repeat purchases get the population mean p·gamma/(q − 1).
        """
        p, q, gamma = (self.params[k] for k in GG_PARAM_NAMES)
        x = np.asarray(frequency, dtype=float)
        zbar = np.nan_to_num(np.asarray(mean_value, dtype=float))
        return (p * gamma + p * x * zbar) / (p * x + q - 1)


def fit_gamma_gamma(frequency, mean_value, weights=None) -> GammaGammaFit:
    """Fit the Gamma–Gamma model of spend per transaction by maximum likelihood.

    Parameters
    ----------
    frequency : array-like
        Repeat purchases per customer; only customers with at least one (and a positive mean) are used.
    mean_value : array-like
        Mean spend of each customer's repeat purchases.
    weights : array-like, optional
        Customers each row stands for (default one), as for :func:`socialops.stats.bgnbd.fit_bgnbd`.

    Returns
    -------
    GammaGammaFit
    """
    x = np.asarray(frequency, dtype=float)
    zbar = np.asarray(mean_value, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    keep = (x > 0) & np.isfinite(zbar) & (zbar > 0)
    if w[keep].sum() < 3:
        raise ValueError("need at least three repeat buyers with positive spend")
    (x, zbar), w = distinct_rows(x[keep], zbar[keep], weights=w[keep])

    data = (np.unique(x, return_inverse=True), np.log(x), np.log(zbar), x * zbar)

    def with_gradient(params):
        terms, gradient = _gg_loglik_and_gradient(params, *data)
        return float(w @ terms), gradient @ w

    est, log_likelihood, std_errors, _ = maximise_log_scale(
        lambda params: float(w @ _gg_terms(params, x, zbar)), [1.0, 2.0, float(np.average(zbar, weights=w))],
        with_gradient)
    return GammaGammaFit(
        params=dict(zip(GG_PARAM_NAMES, map(float, est), strict=True)),
        log_likelihood=log_likelihood,
        std_errors=dict(zip(GG_PARAM_NAMES, map(float, std_errors), strict=True)),
        n_customers=int(round(w.sum())),
    )


def customer_lifetime_value(
    purchases: BGNBDFit,
    spend: GammaGammaFit,
    frequency,
    recency,
    T,
    mean_value,
    *,
    horizon: float,
    step: float,
    discount_rate: float = 0.0,
    margin: float = 1.0,
) -> np.ndarray:
    """Discounted expected value of each customer's purchases over the next ``horizon`` time units.

    The horizon is cut into steps of ``step`` units; the purchases expected in each step are valued at the
    Gamma–Gamma expected spend times ``margin`` and discounted at ``discount_rate`` per step.

    Parameters
    ----------
    purchases : BGNBDFit
        A fitted (M)BG/NBD model for the number of purchases.
    spend : GammaGammaFit
        A fitted spend model.
    frequency, recency, T, mean_value : array-like
        Per-customer x, t_x, T (in the purchase model's time unit) and mean repeat spend.
    horizon, step : float
        Length of the horizon and of one discounting step, in the purchase model's time unit.
    discount_rate : float
        Discount rate per step (e.g. a 10% annual rate with monthly steps: 1.1 ** (1/12) − 1).
    margin : float
        Share of spend that is profit (1 = value in revenue terms).

    Returns
    -------
    numpy.ndarray
        CLV per customer, in the currency of ``mean_value``.
    """
    value_per_purchase = spend.expected_spend(frequency, mean_value) * margin
    ends = np.arange(step, horizon + step / 2, step)
    total = np.zeros(len(np.asarray(frequency)))
    previous = np.zeros_like(total)
    for i, end in enumerate(ends, start=1):
        cumulative = purchases.expected_purchases(end, frequency, recency, T)
        total += (cumulative - previous) / (1 + discount_rate) ** i
        previous = cumulative
    return total * value_per_purchase

