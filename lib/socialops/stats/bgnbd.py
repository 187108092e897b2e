"""BG/NBD and MBG/NBD repeat-purchase models, fitted by maximum likelihood.

Written here with scipy because no maintained library fits these models on current numpy: ``lifetimes`` is
archived and breaks on numpy 2, and its successor (PyMC-Marketing) pulls in a full probabilistic-programming
stack for what is a four-parameter likelihood. The formulas follow Fader, Hardie & Lee (2005), "Counting Your
Customers the Easy Way: An Alternative to the Pareto/NBD Model", and Batislam, Denizel & Filiztekin (2007) for
the modified model (MBG/NBD), in which a customer may also drop out right after the first purchase.

Inputs per customer: ``frequency`` x = repeat purchases (distinct purchase days after the first), ``recency``
t_x = time from the first to the last purchase, ``T`` = time from the first purchase to the end of the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special
from statsmodels.tools.numdiff import approx_fprime, approx_hess3

PARAM_NAMES = ("r", "alpha", "a", "b")
#: The search runs on the log scale within ±LOG_BOUND; an estimate there (or beyond) sits at the edge of the search.
LOG_BOUND = 12.0
#: Default limit of a parameter's relative standard error (its standard error on the log scale) above which the
#: data do not pin the parameter down: at 1, the 95 % interval spans a factor of exp(2 × 1.96) ≈ 50.
MAX_RELATIVE_ERROR = 1.0


def _as_arrays(frequency, recency, T):
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    big_t = np.asarray(T, dtype=float)
    if not (x.shape == t_x.shape == big_t.shape):
        raise ValueError("frequency, recency and T must have the same length")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > big_t + 1e-9):
        raise ValueError("need frequency >= 0 and 0 <= recency <= T")
    if np.any((x == 0) & (t_x > 0)):
        raise ValueError("recency must be 0 for customers without repeat purchases")
    return x, t_x, big_t


def _loglik_terms(params, x, t_x, big_t, modified):
    """Per-customer log-likelihood."""
    return _loglik_and_gradient(params, x, t_x, big_t, modified, gradient=False)[0]


def _loglik_and_gradient(params, x, t_x, big_t, modified, gradient=True, x_groups=None):
    """Per-customer log-likelihood and, if asked, its derivatives in (r, alpha, a, b) (one row each).

    Both models are ``base + log(exp(stay) + exp(drop))`` with beta functions whose arguments shift by model:
    BG/NBD's stay term is B(a, b+x)/B(a, b) and its drop-out term B(a+1, b+x-1)/B(a, b), present only after a
    repeat purchase; MBG/NBD's are B(a, b+x+1)/B(a, b) and B(a+1, b+x)/B(a, b). The derivatives of a log beta
    function are differences of digammas, so the gradient costs about as much as the likelihood. The gamma and
    beta functions depend on x alone, which takes few values: they are computed once per distinct x
    (``x_groups``, from ``numpy.unique(x, return_inverse=True)``) and spread to the rows.
    """
    r, alpha, a, b = params
    shift = 1.0 if modified else 0.0
    xs, at = np.unique(x, return_inverse=True) if x_groups is None else x_groups
    has_drop = (xs > 0) | modified
    drop_b = np.where(has_drop, b + xs - 1 + shift, b)  # kept positive where BG/NBD has no drop-out term
    # common factor Gamma(r + x) alpha^r / Gamma(r), and the beta-function ratios, per distinct x
    base = (special.gammaln(r + xs) - special.gammaln(r) + r * np.log(alpha))[at]
    stay_x = (special.betaln(a, b + xs + shift) - special.betaln(a, b))[at]
    with np.errstate(divide="ignore"):
        drop_x = np.where(has_drop, special.betaln(a + 1, drop_b) - special.betaln(a, b), -np.inf)[at]
    log_at_t = np.log(alpha + big_t)
    log_at_tx = np.log(alpha + t_x)
    stay = stay_x - (r + x) * log_at_t
    drop = drop_x - (r + x) * log_at_tx
    mix = np.logaddexp(stay, drop)
    if not gradient:
        return base + mix, None
    p_drop = np.exp(drop - mix)  # the drop-out term's share of the likelihood
    p_stay = 1.0 - p_drop
    psi_ab = special.digamma(a + b)
    psi_stay_sum = special.digamma(a + b + xs + shift)[at]
    d_r = (special.digamma(r + xs) - special.digamma(r))[at] + np.log(alpha) - p_stay * log_at_t - p_drop * log_at_tx
    d_alpha = r / alpha - (r + x) * (p_stay / (alpha + big_t) + p_drop / (alpha + t_x))
    d_a = (psi_ab - psi_stay_sum) + p_drop * (1.0 / a)  # digamma(a + 1) - digamma(a) = 1 / a
    d_b = (p_stay * special.digamma(b + xs + shift)[at] + p_drop * special.digamma(drop_b)[at]
           - psi_stay_sum - special.digamma(b) + psi_ab)
    return base + mix, np.stack([d_r, d_alpha, d_a, d_b])


def distinct_rows(*columns, weights=None) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct value combinations of `columns` and how many rows (or how much weight) each stands for.

    The BG/NBD and Gamma-Gamma likelihoods depend on a customer only through (x, t_x, T) or (x, mean spend), and
    on a day or week time scale most customers share their combination with others: fitting on the distinct
    combinations, each weighted by its count, gives the same likelihood in a fraction of the time.

    Parameters
    ----------
    *columns : array-like
        Equal-length columns.
    weights : array-like, optional
        Rows each input row stands for (default one).

    Returns
    -------
    tuple
        The distinct combinations (one array per column, in sorted order) and their summed weights.
    """
    frame = pd.DataFrame({i: np.asarray(c, dtype=float) for i, c in enumerate(columns)})
    frame["_weight"] = 1.0 if weights is None else np.asarray(weights, dtype=float)
    # sorted, so that the likelihood sums its terms in one order whatever order the engine returned the rows in
    grouped = frame.groupby(list(range(len(columns))), sort=True)["_weight"].sum().reset_index()
    return [grouped[i].to_numpy() for i in range(len(columns))], grouped["_weight"].to_numpy()


@dataclass
class BGNBDFit:
    """A fitted BG/NBD (or MBG/NBD) model.

    Attributes
    ----------
    params : dict
        Maximum-likelihood estimates ``{"r", "alpha", "a", "b"}`` (rate scale ``alpha`` in the time unit of the
        inputs).
    log_likelihood : float
        Log-likelihood at the estimates.
    std_errors : dict
        Standard errors from the inverse observed information (Hessian of the log-likelihood on the log scale,
        mapped back by the delta method); NaN where the Hessian is singular.
    n_customers : int
    modified : bool
        True for MBG/NBD.
    converged : bool
    """

    params: dict
    log_likelihood: float
    std_errors: dict = field(default_factory=dict)
    n_customers: int = 0
    modified: bool = False
    converged: bool = True

    def _p(self):
        return tuple(self.params[k] for k in PARAM_NAMES)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Estimates with standard errors and Wald intervals on the log scale (parameters are positive).

        Returns
        -------
        pandas.DataFrame
            Index ``r, alpha, a, b``; columns ``estimate``, ``std_error``, ``ci_low``, ``ci_high``.
        """
        z = special.ndtri(0.5 + level / 2)
        rows = []
        for k in PARAM_NAMES:
            est, se = self.params[k], self.std_errors.get(k, np.nan)
            log_se = se / est
            rows.append(
                {"estimate": est, "std_error": se, "ci_low": est * np.exp(-z * log_se),
                 "ci_high": est * np.exp(z * log_se)}
            )
        return pd.DataFrame(rows, index=list(PARAM_NAMES))

    def unidentified(self, max_relative_error: float = MAX_RELATIVE_ERROR) -> list[str]:
        """The parameters the data do not pin down, in :data:`PARAM_NAMES` order.

        A parameter is not identified when its estimate sits at the edge of the search (log value at or beyond
        ±:data:`LOG_BOUND`: the likelihood keeps rising towards 0 or infinity), when its standard error cannot be
        computed (a singular or indefinite information matrix), or when its relative standard error exceeds
        ``max_relative_error``. A fit with any such parameter cannot tell customers apart: for a drop-out pair
        (a, b) drifting to a ≈ 0, P(alive) is about 1 for everyone whatever they did.

        Parameters
        ----------
        max_relative_error : float
            Largest standard error on the log scale (se / estimate) of an identified parameter.

        Returns
        -------
        list of str
        """
        out = []
        for k in PARAM_NAMES:
            est, se = self.params[k], self.std_errors.get(k, np.nan)
            at_edge = not np.isfinite(est) or est <= 0 or abs(np.log(est)) >= LOG_BOUND - 1e-6
            if at_edge or not np.isfinite(se) or se / est > max_relative_error:
                out.append(k)
        return out

    def probability_alive(self, frequency, recency, T) -> np.ndarray:
        """P(the customer has not dropped out by T), given x, t_x and T.

        Under BG/NBD a customer without repeat purchases has probability 1 by construction; MBG/NBD does not
        have that blind spot.
        """
        r, alpha, a, b = self._p()
        x, t_x, big_t = _as_arrays(frequency, recency, T)
        log_ratio = (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        if self.modified:
            odds = a / (b + x) * np.exp(log_ratio)
            return 1.0 / (1.0 + odds)
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = np.where(x > 0, a / (b + np.maximum(x, 1) - 1) * np.exp(log_ratio), 0.0)
        return 1.0 / (1.0 + odds)

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """Expected number of purchases in the next ``t`` time units, given x, t_x and T.

        Equation (10) of Fader, Hardie & Lee (2005); the MBG/NBD analogue from Batislam et al. (2007).
        """
        r, alpha, a, b = self._p()
        x, t_x, big_t = _as_arrays(frequency, recency, T)
        z = t / (alpha + big_t + t)
        decay = np.exp((r + x) * (np.log(alpha + big_t) - np.log(alpha + big_t + t)))
        if self.modified:
            lead = (a + b + x) / (a - 1)
            hyp = special.hyp2f1(r + x, b + x + 1, a + b + x, z)
        else:
            lead = (a + b + x - 1) / (a - 1)
            hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        return lead * (1 - decay * hyp) * self.probability_alive(x, t_x, big_t)


def maximise_log_scale(loglik, start, with_gradient=None) -> tuple[np.ndarray, float, np.ndarray, bool]:
    """Maximum likelihood for positive parameters, searched on the log scale.

    Parameters
    ----------
    loglik : callable
        The log-likelihood of a parameter vector.
    start : sequence of float
        Starting values (positive).
    with_gradient : callable, optional
        The log-likelihood and its gradient in the parameters (not their logs), as a pair. With it the search is
        a quasi-Newton one on exact derivatives and the information matrix comes from differences of gradients;
        without, a quasi-Newton search on differences of the likelihood, polished by Nelder-Mead.

    Returns
    -------
    tuple
        Estimates, the maximised log-likelihood, standard errors (observed information on the log scale and the
        delta method: se(theta) = theta * se(log theta); NaN where the information is not positive definite) and
        whether an optimiser converged.
    """

    def negll(log_params):
        val = -loglik(np.exp(log_params))
        return val if np.isfinite(val) else 1e300

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
    if with_gradient is not None:
        def negll_and_grad(log_params):
            params = np.exp(log_params)
            val, grad = with_gradient(params)
            grad = -np.asarray(grad) * params  # chain rule to the log scale
            return (-val, grad) if np.isfinite(val) and np.all(np.isfinite(grad)) else (1e300, np.zeros_like(grad))

        best = optimize.minimize(negll_and_grad, np.log(start), jac=True, method="L-BFGS-B", bounds=bounds,
                                 options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 2000})
        converged = bool(best.success)
        hessian = approx_fprime(best.x, lambda v: negll_and_grad(v)[1], centered=True)
        hessian = (hessian + hessian.T) / 2
    else:
        res = optimize.minimize(negll, np.log(start), method="L-BFGS-B", bounds=bounds)
        # polish: L-BFGS-B stops on a relative tolerance, Nelder-Mead tightens the last digits
        res2 = optimize.minimize(negll, res.x, method="Nelder-Mead",
                                 options={"xatol": 1e-9, "fatol": 1e-9, "maxiter": 4000})
        best = res2 if res2.fun <= res.fun else res
        converged = bool(res.success or res2.success)
        hessian = approx_hess3(best.x, negll)
    est = np.exp(best.x)
    try:
        cov = np.linalg.inv(hessian)
        log_se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        log_se = np.full(len(start), np.nan)
    return est, float(-best.fun), est * log_se, converged


def _fit(frequency, recency, T, modified: bool, weights=None) -> BGNBDFit:
    x, t_x, big_t = _as_arrays(frequency, recency, T)
    if x.size == 0:
        raise ValueError("no customers to fit")
    (x, t_x, big_t), w = distinct_rows(x, t_x, big_t, weights=weights)
    x_groups = np.unique(x, return_inverse=True)

    def with_gradient(values):
        terms, grads = _loglik_and_gradient(values, x, t_x, big_t, modified, x_groups=x_groups)
        return float(w @ terms), grads @ w

    # start from moment-like values on the data's time scale
    start = [1.0, max(float(np.average(big_t, weights=w)), 1e-3), 1.0, 1.0]
    est, log_likelihood, std_errors, converged = maximise_log_scale(
        lambda values: float(w @ _loglik_terms(values, x, t_x, big_t, modified)), start, with_gradient)
    return BGNBDFit(
        params=dict(zip(PARAM_NAMES, map(float, est), strict=True)),
        log_likelihood=log_likelihood,
        std_errors=dict(zip(PARAM_NAMES, map(float, std_errors), strict=True)),
        n_customers=int(round(w.sum())),
        modified=modified,
        converged=converged,
    )


def fit_bgnbd(frequency, recency, T, weights=None) -> BGNBDFit:
    """Fit the BG/NBD model by maximum likelihood.

    Parameters
    ----------
    frequency : array-like
        Repeat purchases per customer (x).
    recency : array-like
        Time from the first to the last purchase (t_x), 0 when x = 0.
    T : array-like
        Time from the first purchase to the end of the observation window, same unit as ``recency``.
    weights : array-like, optional
        Customers each row stands for (default one): rows may be distinct (x, t_x, T) combinations counted in
        the engine, which gives the same fit as one row per customer.

    Returns
    -------
    BGNBDFit
        ``params`` = {r, alpha, a, b}, ``log_likelihood``, standard errors and prediction methods.
    """
    return _fit(frequency, recency, T, modified=False, weights=weights)


def fit_mbgnbd(frequency, recency, T, weights=None) -> BGNBDFit:
    """Fit the modified BG/NBD (MBG/NBD) model, which lets one-time buyers be inactive.

    Parameters and result as in :func:`fit_bgnbd`.
    """
    return _fit(frequency, recency, T, modified=True, weights=weights)


def loglik(params: dict, frequency, recency, T, modified: bool = False, weights=None) -> float:
    """The (M)BG/NBD log-likelihood of the data at given parameters: what :func:`fit_bgnbd` maximises.

    Parameters
    ----------
    params : dict
        ``{"r", "alpha", "a", "b"}``.
    frequency, recency, T : array-like
        Per-customer x, t_x and T, as for :func:`fit_bgnbd`.
    modified : bool
        True for the MBG/NBD likelihood.
    weights : array-like, optional
        Customers each row stands for, as for :func:`fit_bgnbd`.

    Returns
    -------
    float
    """
    x, t_x, big_t = _as_arrays(frequency, recency, T)
    terms = _loglik_terms(tuple(params[k] for k in PARAM_NAMES), x, t_x, big_t, modified)
    return float(terms.sum() if weights is None else np.asarray(weights, dtype=float) @ terms)
