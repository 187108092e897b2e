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
from statsmodels.tools.numdiff import approx_hess3

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
    r, alpha, a, b = params
    # common factor Gamma(r + x) alpha^r / Gamma(r)
    base = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    if modified:
        # MBG/NBD: B(a, b+x+1)/B(a,b) (alpha+T)^-(r+x) + B(a+1, b+x)/B(a,b) (alpha+t_x)^-(r+x)
        stay = special.betaln(a, b + x + 1) - special.betaln(a, b) - (r + x) * np.log(alpha + big_t)
        drop = special.betaln(a + 1, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + t_x)
        return base + np.logaddexp(stay, drop)
    # BG/NBD: the drop-out term exists only after a repeat purchase (x > 0)
    stay = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = np.where(
            x > 0,
            special.betaln(a + 1, b + np.maximum(x, 1) - 1)
            - special.betaln(a, b)
            - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return base + np.logaddexp(stay, drop)


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


def maximise_log_scale(loglik, start) -> tuple[np.ndarray, float, np.ndarray, bool]:
    """Maximum likelihood for positive parameters, searched on the log scale.

    Parameters
    ----------
    loglik : callable
        The log-likelihood of a parameter vector.
    start : sequence of float
        Starting values (positive).

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

    res = optimize.minimize(negll, np.log(start), method="L-BFGS-B", bounds=[(-LOG_BOUND, LOG_BOUND)] * len(start))
    # polish: L-BFGS-B stops on a relative tolerance, Nelder-Mead tightens the last digits
    res2 = optimize.minimize(negll, res.x, method="Nelder-Mead",
                             options={"xatol": 1e-9, "fatol": 1e-9, "maxiter": 4000})
    best = res2 if res2.fun <= res.fun else res
    est = np.exp(best.x)
    try:
        cov = np.linalg.inv(approx_hess3(best.x, negll))
        log_se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        log_se = np.full(len(start), np.nan)
    return est, float(-best.fun), est * log_se, bool(res.success or res2.success)


def _fit(frequency, recency, T, modified: bool) -> BGNBDFit:
    x, t_x, big_t = _as_arrays(frequency, recency, T)
    if x.size == 0:
        raise ValueError("no customers to fit")

    # start from moment-like values on the data's time scale
    start = [1.0, max(float(np.mean(big_t)), 1e-3), 1.0, 1.0]
    est, log_likelihood, std_errors, converged = maximise_log_scale(
        lambda values: loglik(dict(zip(PARAM_NAMES, values, strict=True)), x, t_x, big_t, modified), start)
    return BGNBDFit(
        params=dict(zip(PARAM_NAMES, map(float, est), strict=True)),
        log_likelihood=log_likelihood,
        std_errors=dict(zip(PARAM_NAMES, map(float, std_errors), strict=True)),
        n_customers=int(x.size),
        modified=modified,
        converged=converged,
    )


def fit_bgnbd(frequency, recency, T) -> BGNBDFit:
    """Fit the BG/NBD model by maximum likelihood.

    Parameters
    ----------
    frequency : array-like
        Repeat purchases per customer (x).
    recency : array-like
        Time from the first to the last purchase (t_x), 0 when x = 0.
    T : array-like
        Time from the first purchase to the end of the observation window, same unit as ``recency``.

    Returns
    -------
    BGNBDFit
        ``params`` = {r, alpha, a, b}, ``log_likelihood``, standard errors and prediction methods.
    """
    return _fit(frequency, recency, T, modified=False)


def fit_mbgnbd(frequency, recency, T) -> BGNBDFit:
    """Fit the modified BG/NBD (MBG/NBD) model, which lets one-time buyers be inactive.

    Parameters and result as in :func:`fit_bgnbd`.
    """
    return _fit(frequency, recency, T, modified=True)


def loglik(params: dict, frequency, recency, T, modified: bool = False) -> float:
    """The (M)BG/NBD log-likelihood of the data at given parameters: what :func:`fit_bgnbd` maximises.

    Parameters
    ----------
    params : dict
        ``{"r", "alpha", "a", "b"}``.
    frequency, recency, T : array-like
        Per-customer x, t_x and T, as for :func:`fit_bgnbd`.
    modified : bool
        True for the MBG/NBD likelihood.

    Returns
    -------
    float
    """
    x, t_x, big_t = _as_arrays(frequency, recency, T)
    return float(_loglik_terms(tuple(params[k] for k in PARAM_NAMES), x, t_x, big_t, modified).sum())
