"""Bayesian read-out of an A/B comparison: probability to beat control and expected loss.

Conversion uses Beta(1, 1) priors, so each arm's posterior is Beta(1 + successes, 1 + failures). The two
posterior quantities reduce to one-dimensional integrals, computed by adaptive quadrature (exact to ~1e-10,
and reproducible, unlike Monte Carlo draws).
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy import integrate, stats

PRIOR = (1.0, 1.0)


@dataclass(frozen=True)
class BayesResult:
    """``prob_beat_control``: P(variant > control); ``expected_loss``: E[max(control − variant, 0)], the
    average shortfall, in the metric's own units, that shipping the variant risks."""

    prob_beat_control: float
    expected_loss: float


def _mass_range(dist) -> tuple[float, float]:
    # Integrate only where the control posterior has mass, so quadrature does not miss a narrow peak.
    return float(dist.ppf(1e-13)), float(dist.isf(1e-13))


def beta_beat_control(successes: tuple[int, int], trials: tuple[int, int],
                      prior: tuple[float, float] = PRIOR) -> BayesResult:
    """Posterior comparison of two conversion rates under Beta priors.

    Parameters
    ----------
    successes, trials : pair of int
        Index 0 control, index 1 variant.
    prior : (a, b)
        Beta prior shared by both arms; Beta(1, 1) (uniform) by default.

    Returns
    -------
    BayesResult
        P(p_variant > p_control) and the expected loss of shipping the variant, E[max(p_c − p_v, 0)].
    """
    a, b = prior
    (x0, x1), (n0, n1) = successes, trials
    control = stats.beta(a + x0, b + n0 - x0)
    av, bv = a + x1, b + n1 - x1
    variant = stats.beta(av, bv)
    # t·f_v(t) = mean_v · f_{Beta(av+1, bv)}(t): gives E[p_v; p_v < x] in closed form for the loss.
    variant_up = stats.beta(av + 1, bv)
    mean_v = av / (av + bv)
    lo, hi = _mass_range(control)
    opts = {"epsabs": 1e-13, "epsrel": 1e-10, "limit": 200}
    prob, _ = integrate.quad(lambda x: control.pdf(x) * variant.sf(x), lo, hi, **opts)
    loss, _ = integrate.quad(
        lambda x: control.pdf(x) * (x * variant.cdf(x) - mean_v * variant_up.cdf(x)), lo, hi, **opts)
    return BayesResult(min(max(prob, 0.0), 1.0), max(loss, 0.0))


def normal_beat_control(diff: float, std_error: float) -> BayesResult:
    """Posterior comparison of two means under a flat prior (normal approximation).

    Parameters
    ----------
    diff : float
        Estimated difference variant − control.
    std_error : float
        Its standard error.

    Returns
    -------
    BayesResult
        With D ~ N(diff, std_error²): P(D > 0) and E[max(−D, 0)].
    """
    if std_error <= 0:
        return BayesResult(float(diff > 0), max(-diff, 0.0))
    z = diff / std_error
    return BayesResult(float(stats.norm.cdf(z)),
                       float(std_error * stats.norm.pdf(z) - diff * stats.norm.cdf(-z)))

