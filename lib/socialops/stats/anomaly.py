"""Anomaly detection on a mention-count series with a daily cycle.

Two detectors are kept side by side so that a postmortem can compare them:

* the robust detector (:func:`robust_scores`): counts are treated as Poisson on the log scale against a baseline
  that keeps the daily cycle (the median of the same hour over the past days), and the residuals are scaled by a
  robust overdispersion factor (the MAD of past residuals), so a crisis does not inflate its own yardstick;
* the simple rule of commercial monitors (:func:`naive_scores`): an alarm when the count exceeds the mean plus
  ``k`` standard deviations of the trailing window, blind to the daily cycle.

Both look only at the past: the score of a period depends on that period's count and on earlier periods, never on
later ones, so appending data never changes an earlier decision.

Short histories. An export often starts only days before the crisis it is meant to explain, so the robust detector
works from the history there is and widens its bands honestly instead of waiting for weeks:

* the baseline of a period is the median of the ``k`` same-phase days available (at least
  :data:`MIN_BASELINE_DAYS`, at most ``baseline_days``); the error of a median of ``k`` normal values adds
  ``v_k`` times the variance of one value (:func:`median_variance_factor`, exact, 0.5 for two days, 0.449 for three,
  about ``pi / (2k)`` for many days), so a prediction error is divided by ``sqrt(1 + v_k)``;
* the yardstick is the MAD of those standardised past prediction errors, and a MAD from ``N`` values is a noisy
  scale: the score is read against a Student t with the MAD's effective degrees of freedom
  (:data:`MAD_EFFICIENCY` ``· N``, its asymptotic efficiency under normality) and reported as the normal z with
  the same tail probability (:func:`normal_equivalent`). With a few days of residuals a period therefore needs a
  larger jump to reach a threshold; with weeks of them the correction vanishes.

A scale model was preferred to a fixed list of wider thresholds because both corrections follow from the numbers
of days and residuals actually used, period by period, and both can be checked against closed forms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy import special, stats

#: Consistency constant that turns a median absolute deviation into a standard deviation under normality.
MAD_TO_SD = 1.4826
#: Asymptotic efficiency of the MAD against the standard deviation under normality (Hampel et al. 1986): a MAD
#: of ``N`` residuals is about as precise as a standard deviation with ``0.3675 · N`` degrees of freedom.
MAD_EFFICIENCY = 0.3675
#: Fewest same-phase past days behind a baseline (two: the median of two days is their mean).
MIN_BASELINE_DAYS = 2
#: Fewest past prediction errors behind the yardstick (and at least one day of them).
MIN_SCALE_RESIDUALS = 8
#: Bounds of ``baseline_days``: below three days a median no longer resists one unusual day; beyond 90 days the
#: "usual" level would span seasons.
BASELINE_DAYS_RANGE = (3, 90)


@dataclass(frozen=True)
class DetectorSettings:
    """Parameters of the robust detector.

    Parameters
    ----------
    periods_per_day : int
        Length of the daily cycle in periods (24 for hourly series, 1 for daily series).
    baseline_days : int
        At most this many past days feed the same-hour median and the residual scale (within
        :data:`BASELINE_DAYS_RANGE`).
    threshold : float
        Score (normal-equivalent z) above which a period is an alarm.
    onset_threshold : float
        Lower score that still counts as anomalous when tracing the crisis run back to its start.
    confirm : int
        Consecutive alarm periods needed before the detector fires (1 = fire on the first alarm).
    min_extra_var : float
        Floor of the extra (overdispersion) variance on the log scale, so that an unusually regular past cannot
        turn any blip into an alarm.

    Raises
    ------
    ValueError
        If ``baseline_days`` lies outside :data:`BASELINE_DAYS_RANGE` or ``periods_per_day`` is below 1.
    """

    periods_per_day: int = 24
    baseline_days: int = 14
    threshold: float = 3.5
    onset_threshold: float = 2.0
    confirm: int = 2
    min_extra_var: float = 0.01

    def __post_init__(self) -> None:
        """Refuse a baseline the detector cannot build."""
        low, high = BASELINE_DAYS_RANGE
        if not low <= int(self.baseline_days) <= high:
            raise ValueError(f"baseline_days must lie in {low}..{high}, got {self.baseline_days}")
        if int(self.periods_per_day) < 1:
            raise ValueError(f"periods_per_day must be at least 1, got {self.periods_per_day}")

    @property
    def scale_residuals(self) -> int:
        """Past prediction errors needed before a period is scored (one day of them, at least eight)."""
        return max(int(self.periods_per_day), MIN_SCALE_RESIDUALS)

    @property
    def history_needed_days(self) -> int:
        """Days of data needed before a period is scored (3 for hourly data, 10 for daily data).

        The baseline's :data:`MIN_BASELINE_DAYS`, then enough days of prediction errors for the yardstick.
        """
        return MIN_BASELINE_DAYS + math.ceil(self.scale_residuals / int(self.periods_per_day))


@cache
def median_variance_factor(k: int) -> float:
    """Variance of the median of ``k`` independent standard normal values (exact, by numerical integration).

    For odd ``k = 2m + 1`` the median is the middle order statistic; for even ``k = 2m`` it is the mean of the two
    middle ones, whose cross moment is integrated with the inner integral accumulated on the grid. Closed forms:
    1 for ``k = 1``, 1/2 for ``k = 2``, ``1 - sqrt(3) / pi`` for ``k = 3``; ``k`` times the factor tends to
    ``pi / 2`` as ``k`` grows.

    Parameters
    ----------
    k : int
        Number of values (at least 1).

    Returns
    -------
    float
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    x = np.linspace(-9.0, 9.0, 20001)
    logphi = stats.norm.logpdf(x)
    logcdf, logsf = stats.norm.logcdf(x), stats.norm.logsf(x)

    def order_density(j: int) -> np.ndarray:
        # density of the j-th of k order statistics
        log_c = special.gammaln(k + 1) - special.gammaln(j) - special.gammaln(k - j + 1)
        return np.exp(log_c + (j - 1) * logcdf + (k - j) * logsf + logphi)

    m = k // 2
    if k % 2:
        return float(np.trapezoid(x**2 * order_density(m + 1), x))
    second = float(np.trapezoid(x**2 * order_density(m), x))
    # E[X_(m) X_(m+1)]: joint density C Φ(x)^(m-1) φ(x) φ(y) (1-Φ(y))^(m-1) on x < y
    log_c = special.gammaln(k + 1) - 2 * special.gammaln(m)
    upper = x * np.exp((m - 1) * logsf + logphi)
    steps = (upper[1:] + upper[:-1]) / 2 * np.diff(x)
    inner = np.concatenate([np.cumsum(steps[::-1])[::-1], [0.0]])  # ∫_x^∞ y φ(y) (1-Φ(y))^(m-1) dy
    cross = float(np.trapezoid(x * np.exp(log_c + (m - 1) * logcdf + logphi) * inner, x))
    return (2 * second + 2 * cross) / 4


def normal_equivalent(t_score: np.ndarray | pd.Series, df: np.ndarray | pd.Series) -> np.ndarray:
    """The normal z with the same tail probability as a Student t score with ``df`` degrees of freedom.

    Parameters
    ----------
    t_score : array-like
        Scores read against a t distribution (NaN stays NaN).
    df : array-like
        Degrees of freedom (positive; infinite gives the score back).

    Returns
    -------
    numpy.ndarray
    """
    t_score = np.asarray(t_score, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        tail = stats.t.sf(np.abs(t_score), df)
        return np.sign(t_score) * stats.norm.isf(tail)


def robust_scores(counts: pd.Series, settings: DetectorSettings | None = None) -> pd.DataFrame:
    """Score each period of a count series against a past-only baseline with a daily cycle.

    The expected log count of period ``t`` is the median of ``log(n + 0.5)`` at the same phase of the day over the
    ``k`` previous days available (``MIN_BASELINE_DAYS <= k <= baseline_days``); the prediction error is divided by
    ``sqrt(1 + v_k)`` (:func:`median_variance_factor`), which puts every error on the scale of one count whatever
    the baseline's length. The standardised error is divided by ``sqrt(1 / (mu + 0.5) + tau²)``: the first term is
    the Poisson variance of a log count, ``tau²`` the extra variance of real mention data, taken from the MAD of
    the past standardised errors (the last ``baseline_days`` days of them, floored at ``min_extra_var``). The
    ratio is read against a Student t with ``MAD_EFFICIENCY · N`` degrees of freedom, ``N`` the errors behind the
    MAD, and reported as the normal z of the same tail probability.

    Parameters
    ----------
    counts : pandas.Series
        Counts per period, on a regular, gap-free index (zeros filled in).
    settings : DetectorSettings, optional
        Detector parameters; defaults as in :class:`DetectorSettings`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``counts``, with ``count``, ``expected`` (baseline count), ``history_days`` (days behind the
        baseline), ``scale_df`` (degrees of freedom of the yardstick), ``z`` (normal-equivalent score, NaN until
        :attr:`DetectorSettings.history_needed_days` days of data precede the period), ``alarm`` (z above
        ``threshold``), ``anomalous`` (z above ``onset_threshold``) and ``fired`` (True at the period where an
        episode of ``confirm`` consecutive alarms is completed: the alert).
    """
    s = settings or DetectorSettings()
    period = int(s.periods_per_day)
    y = np.log(counts.astype(float) + 0.5)
    phase = np.arange(len(counts)) % period
    # Same-phase trailing median; shift(1) within the phase keeps the current day out of its own baseline.
    baseline = pd.Series(np.nan, index=counts.index)
    days = pd.Series(np.nan, index=counts.index)
    for p in range(period):
        sub = y.iloc[phase == p]
        rolling = sub.rolling(s.baseline_days, min_periods=MIN_BASELINE_DAYS)
        baseline.iloc[phase == p] = rolling.median().shift(1).to_numpy()
        days.iloc[phase == p] = rolling.count().shift(1).to_numpy()
    days = days.where(baseline.notna())
    expected = np.exp(baseline) - 0.5
    factors = {k: math.sqrt(1 + median_variance_factor(k)) for k in range(1, s.baseline_days + 1)}
    resid = (y - baseline) / days.map(factors)
    # Poisson part of the log-count variance (delta method) plus an extra variance tau² for overdispersion,
    # estimated from the robust spread of the past errors: noisy night hours and busy day hours then share
    # one yardstick.
    poisson_var = 1.0 / (np.clip(expected, 0.0, None) + 0.5)
    min_obs = s.scale_residuals
    window = max(s.baseline_days * period, min_obs)
    # shift(1): the current period never enters its own yardstick.
    centre = resid.rolling(window, min_periods=min_obs).median().shift(1)
    mad = resid.rolling(window, min_periods=min_obs).apply(_mad, raw=True).shift(1)
    n_resid = resid.rolling(window, min_periods=min_obs).count().shift(1)
    typical_poisson = poisson_var.rolling(window, min_periods=min_obs).median().shift(1)
    tau2 = np.maximum((MAD_TO_SD * mad) ** 2 - typical_poisson, s.min_extra_var)
    scale_df = (MAD_EFFICIENCY * n_resid).where(mad.notna())
    t_score = (resid - centre) / np.sqrt(poisson_var + tau2)
    z = pd.Series(normal_equivalent(t_score, scale_df), index=counts.index)
    alarm = (z > s.threshold).fillna(False).astype(bool)
    anomalous = (z > s.onset_threshold).fillna(False).astype(bool)
    return pd.DataFrame(
        {
            "count": counts.astype(float),
            "expected": expected,
            "history_days": days,
            "scale_df": scale_df,
            "z": z,
            "alarm": alarm,
            "anomalous": anomalous,
            "fired": _fire(alarm, s.confirm),
        },
        index=counts.index,
    )


def _mad(values: np.ndarray) -> float:
    """Median absolute deviation from the median (NaNs ignored)."""
    values = values[~np.isnan(values)]
    if values.size == 0:
        return np.nan
    return float(np.median(np.abs(values - np.median(values))))


def _fire(alarm: pd.Series, confirm: int) -> pd.Series:
    """Mark the period at which each run of alarms reaches ``confirm`` consecutive periods."""
    run_id = (~alarm).cumsum()
    run_length = alarm.astype(int).groupby(run_id).cumsum()
    return (alarm & (run_length == max(int(confirm), 1))).astype(bool)


def naive_scores(
    counts: pd.Series, k: float = 3.0, window: int = 24 * 7, min_periods: int = 24
) -> pd.DataFrame:
    """The simple monitoring rule: alarm when a count exceeds the trailing mean plus ``k`` standard deviations.

    Parameters
    ----------
    counts : pandas.Series
        Counts per period on a regular index.
    k : float
        Number of standard deviations above the mean.
    window : int
        Number of past periods in the trailing mean and standard deviation.
    min_periods : int
        Past periods needed before a period is judged.

    Returns
    -------
    pandas.DataFrame
        ``count``, ``limit`` (mean + k·SD of the previous ``window`` periods), ``alarm`` and ``fired`` (first
        period of each alarm run).
    """
    past = counts.astype(float).rolling(window, min_periods=min_periods)
    limit = (past.mean() + k * past.std()).shift(1)
    alarm = (counts > limit).fillna(False).astype(bool)
    return pd.DataFrame(
        {"count": counts.astype(float), "limit": limit, "alarm": alarm, "fired": _fire(alarm, 1)},
        index=counts.index,
    )


def runs(flags: pd.Series) -> pd.DataFrame:
    """List the contiguous runs of True in a boolean series.

    Parameters
    ----------
    flags : pandas.Series
        Boolean flags on an ordered index.

    Returns
    -------
    pandas.DataFrame
        One row per run with ``start`` and ``end`` (index labels, inclusive) and ``length`` (periods).
    """
    values = flags.to_numpy(dtype=bool)
    if not values.any():
        return pd.DataFrame({"start": [], "end": [], "length": []})
    edges = np.diff(np.concatenate([[0], values.astype(int), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return pd.DataFrame({"start": flags.index[starts], "end": flags.index[ends], "length": ends - starts + 1})


@dataclass(frozen=True)
class Detection:
    """Where the crisis run lies in a scored series (all None when no crisis is found).

    Attributes
    ----------
    onset, alert_at, peak_at, run_end : pandas.Timestamp or None
        First period of the anomalous run that holds the peak; first alert inside it; the period with the most
        mentions in it; its last period.
    """

    onset: pd.Timestamp | None = None
    alert_at: pd.Timestamp | None = None
    peak_at: pd.Timestamp | None = None
    run_end: pd.Timestamp | None = None

    @property
    def found(self) -> bool:
        """Whether a crisis run was found."""
        return self.onset is not None


def locate_crisis(scores: pd.DataFrame) -> Detection:
    """Find the crisis run in scores from :func:`robust_scores`.

    Candidate runs are the contiguous runs of anomalous periods (z above ``onset_threshold``) in which the
    detector fired. The crisis is the candidate with the largest excess over the baseline; its peak is its busiest
    period, its onset its first period, and ``alert_at`` the first period at which the detector fired inside it.
    A series where the detector never fires inside an anomalous run has no crisis.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`robust_scores`.

    Returns
    -------
    Detection
    """
    candidates = runs(scores["anomalous"])
    best: tuple[float, Detection] | None = None
    for start, end in zip(candidates["start"], candidates["end"], strict=True):
        part = scores.loc[start:end]
        fired = part.index[part["fired"].to_numpy()]
        if len(fired) == 0:
            continue
        excess = float((part["count"] - part["expected"]).sum())
        found = Detection(onset=start, alert_at=fired[0], peak_at=part["count"].idxmax(), run_end=end)
        if best is None or excess > best[0]:
            best = (excess, found)
    return best[1] if best else Detection()


def false_alarms(fired: pd.Series, before: pd.Timestamp | None = None) -> list[pd.Timestamp]:
    """Alerts raised in the quiet period: every firing before ``before`` (all of them when it is None).

    Parameters
    ----------
    fired : pandas.Series
        Boolean series, True where a detector fired.
    before : pandas.Timestamp, optional
        End (exclusive) of the quiet period, usually the crisis onset.

    Returns
    -------
    list of pandas.Timestamp
    """
    quiet = fired if before is None else fired[fired.index < before]
    return list(quiet.index[quiet.to_numpy(dtype=bool)])
