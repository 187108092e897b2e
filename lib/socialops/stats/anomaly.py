"""Anomaly detection on a mention-count series with a daily cycle.

Two detectors are kept side by side so that a postmortem can compare them:

* the robust detector (:func:`robust_scores`): counts are treated as Poisson on the log scale against a baseline
  that keeps the daily cycle (the median of the same hour over the past days), and the residuals are scaled by a
  robust overdispersion factor (the MAD of past residuals), so a crisis does not inflate its own yardstick;
* the simple rule of commercial monitors (:func:`naive_scores`): an alarm when the count exceeds the mean plus
  ``k`` standard deviations of the trailing window, blind to the daily cycle.

Both look only at the past: the score of a period depends on that period's count and on earlier periods, never on
later ones, so appending data never changes an earlier decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Consistency constant that turns a median absolute deviation into a standard deviation under normality.
MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class DetectorSettings:
    """Parameters of the robust detector.

    Parameters
    ----------
    periods_per_day : int
        Length of the daily cycle in periods (24 for hourly series, 1 for daily series).
    baseline_days : int
        How many past days feed the same-hour median and the residual scale.
    min_history_days : int
        Days of history needed before a period is scored (earlier periods get no score, hence no alarm).
    threshold : float
        Robust z-score above which a period is an alarm.
    onset_threshold : float
        Lower z-score that still counts as anomalous when tracing the crisis run back to its start.
    confirm : int
        Consecutive alarm periods needed before the detector fires (1 = fire on the first alarm).
    min_extra_var : float
        Floor of the extra (overdispersion) variance on the log scale, so that an unusually regular past cannot
        turn any blip into an alarm.
    """

    periods_per_day: int = 24
    baseline_days: int = 14
    min_history_days: int = 7
    threshold: float = 3.5
    onset_threshold: float = 2.0
    confirm: int = 2
    min_extra_var: float = 0.01


def robust_scores(counts: pd.Series, settings: DetectorSettings | None = None) -> pd.DataFrame:
    """Score each period of a count series against a past-only baseline with a daily cycle.

    The expected log count of period ``t`` is the median of ``log(n + 0.5)`` at the same phase of the day over the
    previous ``baseline_days`` days. The residual is divided by ``sqrt(1 / (mu + 0.5) + tau²)``: the first term is
    the Poisson variance of a log count, ``tau²`` the extra variance of real mention data, taken from the MAD of
    the residuals over the previous ``baseline_days`` days (floored at ``min_extra_var``).

    Parameters
    ----------
    counts : pandas.Series
        Counts per period, on a regular, gap-free index (zeros filled in).
    settings : DetectorSettings, optional
        Detector parameters; defaults as in :class:`DetectorSettings`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``counts``, with ``count``, ``expected`` (baseline count), ``z`` (NaN during warm-up),
        ``alarm`` (z above ``threshold``), ``anomalous`` (z above ``onset_threshold``) and ``fired`` (True at the
        period where an episode of ``confirm`` consecutive alarms is completed: the alert).
    """
    s = settings or DetectorSettings()
    period = max(int(s.periods_per_day), 1)
    y = np.log(counts.astype(float) + 0.5)
    phase = np.arange(len(counts)) % period
    # Same-phase trailing median; shift(1) within the phase keeps the current day out of its own baseline.
    baseline = pd.Series(np.nan, index=counts.index)
    for p in range(period):
        sub = y.iloc[phase == p]
        med = sub.rolling(s.baseline_days, min_periods=s.min_history_days).median().shift(1)
        baseline.iloc[phase == p] = med.to_numpy()
    expected = np.exp(baseline) - 0.5
    resid = y - baseline
    # Poisson part of the log-count variance (delta method) plus an extra variance tau² for overdispersion,
    # estimated from the robust spread of the past residuals: noisy night hours and busy day hours then share
    # one yardstick.
    poisson_var = 1.0 / (np.clip(expected, 0.0, None) + 0.5)
    window = s.baseline_days * period
    min_obs = max(s.min_history_days * period // 2, 3)
    # shift(1): the current period never enters its own yardstick.
    centre = resid.rolling(window, min_periods=min_obs).median().shift(1)
    mad = resid.rolling(window, min_periods=min_obs).apply(_mad, raw=True).shift(1)
    typical_poisson = poisson_var.rolling(window, min_periods=min_obs).median().shift(1)
    tau2 = np.maximum((MAD_TO_SD * mad) ** 2 - typical_poisson, s.min_extra_var)
    z = (resid - centre) / np.sqrt(poisson_var + tau2)
    alarm = (z > s.threshold).fillna(False).astype(bool)
    anomalous = (z > s.onset_threshold).fillna(False).astype(bool)
    return pd.DataFrame(
        {
            "count": counts.astype(float),
            "expected": expected,
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
