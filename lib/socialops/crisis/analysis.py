"""Chapter 05, crisis postmortem: warning → response → repair.

The heavy work (mentions per period and platform, the first official statement, distinct negative texts) runs as
Ibis expressions in the engine; only per-period aggregates reach pandas, where :mod:`socialops.stats.anomaly` finds the
onset and the alert, and :mod:`socialops.stats.counterfactual` measures the impact and the recovery.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from socialops.stats.anomaly import (
    Detection,
    DetectorSettings,
    false_alarms,
    locate_crisis,
    naive_scores,
    robust_scores,
    runs,
)
from socialops.stats.counterfactual import (
    ShortHistory,
    VolumeCounterfactual,
    excess_mentions,
    fit_volume_counterfactual,
    ratio_shift,
    recovery_start,
)
from socialops.stats.textmining import top_words

#: How much history the detector had (always recorded): days of data before the onset (the whole window when no
#: crisis was found) and the days it needs before it scores a period.
HISTORY_KEYS = ("history_days", "history_needed_days")
#: The keys of the results contract that describe the crisis (all null when no crisis is found).
CRISIS_KEYS = (
    "onset",
    "alert_at",
    "first_response_at",
    "peak_at",
    "recovered_at",
    "response_hours",
    "met_24h_rule",
    "sentiment_dip",
    "excess_mentions",
    "excess_mentions_ci",
    "impact",
)


@dataclass(frozen=True)
class CrisisSettings:
    """Every parameter of the crisis analysis (the notebook's parameters map onto these).

    Parameters
    ----------
    freq : str
        Period length, a pandas frequency that divides a day (``"h"``, ``"30min"``, ``"2h"``) or ``"D"``.
    negative_below : float
        A mention is negative when its sentiment is below this value.
    threshold, onset_threshold, confirm, baseline_days
        The robust detector (see :class:`socialops.stats.anomaly.DetectorSettings`; ``baseline_days`` is refused
        outside :data:`socialops.stats.anomaly.BASELINE_DAYS_RANGE`).
    naive_k : float
        ``k`` of the simple mean + k·SD rule it is compared with.
    naive_window_days : int
        Trailing window of that rule, in days.
    fit_days : int
        Days before the onset on which the counterfactual is fitted.
    band_level : float
        Coverage of the per-period band that defines "back to normal".
    recovery_hours : int
        Hours in band, without a break, that mark recovery.
    response_rule_hours : float
        The response deadline (24 hours in the playbook).
    warning_hours : float
        An alert within this many hours of the onset counts as a timely warning.
    repair_days : float
        Recovery within this many days of the onset counts as a timely repair.
    level : float
        Coverage of the impact intervals.
    n_sims : int
        Simulated counterfactual paths for the excess-mention interval.
    seed : int
        Random seed of the simulation.
    """

    freq: str = "h"
    negative_below: float = -0.2
    threshold: float = 3.5
    onset_threshold: float = 2.0
    confirm: int = 2
    baseline_days: int = 14
    naive_k: float = 3.0
    naive_window_days: int = 7
    fit_days: int = 28
    band_level: float = 0.99
    recovery_hours: int = 12
    response_rule_hours: float = 24.0
    warning_hours: float = 3.0
    repair_days: float = 7.0
    level: float = 0.95
    n_sims: int = 4000
    seed: int = 0

    @property
    def period(self) -> pd.Timedelta:
        """Length of one period."""
        return pd.Timedelta(pd.tseries.frequencies.to_offset(self.freq))

    @property
    def periods_per_day(self) -> int:
        """Periods in one day (the length of the daily cycle).

        Raises
        ------
        ValueError
            If the period does not divide a day evenly and is not one day.
        """
        ratio = pd.Timedelta(days=1) / self.period
        if ratio < 1 or not float(ratio).is_integer():
            raise ValueError(f"freq {self.freq!r} must divide a day evenly (e.g. h, 30min, 2h) or be D")
        return int(ratio)

    def detector(self) -> DetectorSettings:
        """The robust detector's settings."""
        return DetectorSettings(
            periods_per_day=self.periods_per_day,
            baseline_days=self.baseline_days,
            threshold=self.threshold,
            onset_threshold=self.onset_threshold,
            confirm=self.confirm,
        )


def _bucket(ts: ir.TimestampValue, period: pd.Timedelta) -> ir.TimestampValue:
    """The period a timestamp falls in, computed in the engine (aligned on midnight)."""
    seconds = int(period.total_seconds())
    if seconds == 86400:
        return ts.truncate("D")
    if seconds == 3600:
        return ts.truncate("h")
    if seconds % 3600 == 0:
        return ts.bucket(hours=seconds // 3600)
    if seconds % 60 == 0:
        return ts.bucket(minutes=seconds // 60)
    return ts.bucket(seconds=seconds)


def mention_series(
    mentions: ir.Table,
    freq: str = "h",
    by_platform: bool = False,
    negative_below: float = -0.2,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Mention volume, reach, mean sentiment and negative share per period (and platform), from the engine.

    The brand's own statements (``is_official`` true) are left out: they are the response, not the public's voice.
    Periods without mentions are filled with zero volume (and no sentiment).

    Parameters
    ----------
    mentions : ibis.expr.types.Table
        The ``mentions`` table (``ts``, ``platform``; ``sentiment``, ``reach`` and ``is_official`` where present:
        without ``sentiment`` no period has a rated mention).
    freq : str
        Period length (see :class:`CrisisSettings`).
    by_platform : bool
        One series per platform (long format with a ``platform`` column) instead of the total.
    negative_below : float
        Sentiment below this value counts as negative.
    end : pandas.Timestamp, optional
        Last instant of the window (``as_of``); the series runs to its period. Default: the last mention.

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (and ``platform``), ``mentions``, ``reach``, ``sentiment_sum``, ``sentiment_n``,
        ``negatives``, ``mean_sentiment``, ``negative_share``; sorted by period.
    """
    period = CrisisSettings(freq=freq).period
    table = mentions
    if "is_official" in table.columns:
        table = table.filter(~table.is_official.fill_null(False))
    keys = {"period": _bucket(table.ts, period)}
    if by_platform:
        keys["platform"] = table.platform
    zero = ibis.literal(0, "int64")
    rated = "sentiment" in table.columns
    metrics = {
        "mentions": table.count(),
        "reach": table.reach.sum() if "reach" in table.columns else zero,
        "sentiment_sum": table.sentiment.sum() if rated else ibis.literal(0.0, "float64"),
        "sentiment_n": table.sentiment.count() if rated else zero,
        "negatives": (table.sentiment < negative_below).cast("int64").sum() if rated else zero,
    }
    agg = table.group_by(**keys).aggregate(**metrics).to_pandas()
    agg["period"] = pd.to_datetime(agg["period"])
    if agg.empty:
        start = (end or pd.Timestamp.now()).floor(period)
        grid = pd.DatetimeIndex([start])
    else:
        last = max(agg["period"].max(), end.floor(period)) if end is not None else agg["period"].max()
        grid = pd.date_range(agg["period"].min(), last, freq=period)
    value_cols = ["mentions", "reach", "sentiment_sum", "sentiment_n", "negatives"]
    if by_platform:
        platforms = sorted(agg["platform"].dropna().unique())
        full = pd.MultiIndex.from_product([grid, platforms], names=["period", "platform"])
        out = agg.set_index(["period", "platform"])[value_cols].reindex(full)
    else:
        out = agg.set_index("period")[value_cols].reindex(grid)
        out.index.name = "period"
    out = out.fillna(0.0).reset_index()
    for col in ("mentions", "sentiment_n", "negatives"):
        out[col] = out[col].astype("int64")
    out["reach"] = out["reach"].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_sentiment"] = np.where(
            out["sentiment_n"] > 0, out["sentiment_sum"] / out["sentiment_n"], np.nan
        )
        out["negative_share"] = np.where(
            out["sentiment_n"] > 0, out["negatives"] / out["sentiment_n"], np.nan
        )
    return out.sort_values([c for c in ("period", "platform") if c in out.columns], ignore_index=True)


def platform_count(mentions: ir.Table) -> int:
    """Distinct platforms of the public mentions (0 without a ``platform`` column), counted in the engine.

    Parameters
    ----------
    mentions : ibis.expr.types.Table
        The ``mentions`` table.

    Returns
    -------
    int
    """
    if "platform" not in mentions.columns:
        return 0
    table = mentions
    if "is_official" in table.columns:
        table = table.filter(~table.is_official.fill_null(False))
    return int(table.platform.nunique().to_pandas())


def first_response(mentions: ir.Table, onset: pd.Timestamp | None) -> pd.Timestamp | None:
    """The brand's first official statement at or after the onset (earlier routine posts do not count).

    Parameters
    ----------
    mentions : ibis.expr.types.Table
        The ``mentions`` table; without an ``is_official`` column there is no way to tell, so None.
    onset : pandas.Timestamp or None
        Start of the crisis.

    Returns
    -------
    pandas.Timestamp or None
    """
    if onset is None or "is_official" not in mentions.columns:
        return None
    official = mentions.filter(mentions.is_official.fill_null(False) & (mentions.ts >= onset.to_pydatetime()))
    first = official.ts.min().to_pandas()
    return None if first is None or pd.isna(first) else pd.Timestamp(first)


def response_verdict(
    onset: pd.Timestamp | None,
    responded_at: pd.Timestamp | None,
    as_of: pd.Timestamp,
    rule_hours: float = 24.0,
) -> tuple[float | None, bool | None]:
    """Hours from onset to the first statement, and whether the deadline was met.

    Parameters
    ----------
    onset, responded_at : pandas.Timestamp or None
        Crisis onset and first official statement.
    as_of : pandas.Timestamp
        End of the observation window.
    rule_hours : float
        The deadline.

    Returns
    -------
    tuple
        ``(response_hours, met)``: hours are None without a response; ``met`` is None when there is no crisis, or
        no response yet while the deadline is still open, False once it has passed without one.
    """
    if onset is None:
        return None, None
    if responded_at is None:
        overdue = (as_of - onset) / pd.Timedelta(hours=1) > rule_hours
        return None, (False if overdue else None)
    hours = (responded_at - onset) / pd.Timedelta(hours=1)
    return float(hours), bool(hours <= rule_hours)


def negative_texts(
    mentions: ir.Table,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    negative_below: float = -0.2,
    limit: int = 20000,
) -> pd.DataFrame:
    """Distinct texts of negative public mentions in a window, with how often each occurred (engine side).

    Parameters
    ----------
    mentions : ibis.expr.types.Table
        The ``mentions`` table with a ``text`` column.
    start, end : pandas.Timestamp, optional
        Window (``start`` inclusive, ``end`` exclusive).
    negative_below : float
        Sentiment threshold of a negative mention.
    limit : int
        At most this many distinct texts, the most repeated first.

    Returns
    -------
    pandas.DataFrame
        Columns ``text`` and ``n``.
    """
    table = mentions.filter(mentions.sentiment < negative_below, mentions.text.notnull())
    if "is_official" in table.columns:
        table = table.filter(~table.is_official.fill_null(False))
    if start is not None:
        table = table.filter(table.ts >= start.to_pydatetime())
    if end is not None:
        table = table.filter(table.ts < end.to_pydatetime())
    grouped = table.group_by("text").aggregate(n=table.count())
    return grouped.order_by([ibis.desc("n"), "text"]).limit(limit).to_pandas()


def brand_stopwords(brand_words: str) -> set[str]:
    """The brand names of a comma-separated parameter (``"澜岸咖啡, Lanan"``), blanks dropped."""
    return {w.strip() for w in brand_words.split(",") if w.strip()}


@dataclass
class CrisisAnalysis:
    """Everything the postmortem reports, from :func:`analyse_crisis`.

    Attributes
    ----------
    settings : CrisisSettings
    as_of : pandas.Timestamp
    series : pandas.DataFrame
        Total per period (see :func:`mention_series`).
    scores : pandas.DataFrame
        Robust detector output per period.
    naive : pandas.DataFrame
        Mean + k·SD rule output per period.
    detection : Detection
        Onset, alert and peak (None when quiet).
    counterfactual : VolumeCounterfactual or None
    recovered_at, first_response_at : pandas.Timestamp or None
    response_hours : float or None
    met_24h_rule : bool or None
    excess : dict or None
        Excess mentions with interval (see :func:`socialops.stats.counterfactual.excess_mentions`).
    sentiment, negative_share : dict or None
        Shift of mean sentiment and negative share over the crisis window, with intervals.
    window_end : pandas.Timestamp or None
        End (exclusive) of the crisis window: the recovery, else the end of the data.
    history_days : float
        Days of data before the onset, or in the whole window when no crisis was found.
    history_needed_days : int
        Days of data the detector needs before it scores a period.
    response_known : bool
        Whether the data can time the brand's response (they carry ``is_official``).
    counterfactual_gap : ShortHistory or None
        Why the counterfactual is missing when too little history preceded the onset.
    """

    settings: CrisisSettings
    as_of: pd.Timestamp
    series: pd.DataFrame
    scores: pd.DataFrame
    naive: pd.DataFrame
    detection: Detection
    counterfactual: VolumeCounterfactual | None = None
    recovered_at: pd.Timestamp | None = None
    first_response_at: pd.Timestamp | None = None
    response_hours: float | None = None
    met_24h_rule: bool | None = None
    excess: dict | None = None
    sentiment: dict | None = None
    negative_share: dict | None = None
    window_end: pd.Timestamp | None = None
    history_days: float = 0.0
    history_needed_days: int = 0
    response_known: bool = False
    counterfactual_gap: ShortHistory | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        """Whether a crisis was found."""
        return self.detection.found

    @property
    def assessed(self) -> bool:
        """Whether the detector had the history to score at least one period (else "none found" means nothing)."""
        return bool(self.scores["z"].notna().any())

    @property
    def first_scored(self) -> pd.Timestamp | None:
        """The first period the detector scored."""
        return self.scores["z"].first_valid_index()

    @property
    def short_history(self) -> bool:
        """Whether the detector worked on fewer days than ``baseline_days``: its bands are wider than usual."""
        return self.history_days < self.settings.baseline_days


def analyse_crisis(
    mentions: ir.Table, as_of: pd.Timestamp | None = None, settings: CrisisSettings | None = None
) -> CrisisAnalysis:
    """Run the whole postmortem on a mentions table: detection, response, impact and recovery.

    Parameters
    ----------
    mentions : ibis.expr.types.Table
        The ``mentions`` table, already cut at ``as_of``.
    as_of : pandas.Timestamp, optional
        End of the window; default the last mention.
    settings : CrisisSettings, optional
        Parameters (defaults as documented there).

    Returns
    -------
    CrisisAnalysis
        On quiet data ``found`` is False and every crisis field is None (not an error).
    """
    s = settings or CrisisSettings()
    detector = s.detector()
    series = mention_series(mentions, s.freq, negative_below=s.negative_below, end=as_of)
    if as_of is None:
        as_of = series["period"].max() + s.period - pd.Timedelta(microseconds=1)
    counts = series.set_index("period")["mentions"]
    scores = robust_scores(counts, detector)
    naive = naive_scores(
        counts, k=s.naive_k, window=s.naive_window_days * s.periods_per_day, min_periods=s.periods_per_day
    )
    detection = locate_crisis(scores)
    first = series["period"].min()
    until = detection.onset if detection.found else series["period"].max() + s.period
    result = CrisisAnalysis(
        settings=s, as_of=as_of, series=series, scores=scores, naive=naive, detection=detection,
        history_days=float((until - first) / pd.Timedelta(days=1)),
        history_needed_days=detector.history_needed_days,
        response_known="is_official" in mentions.columns,
    )
    if not detection.found:
        return result
    onset = detection.onset
    if result.response_known:
        result.first_response_at = first_response(mentions, onset)
        result.response_hours, result.met_24h_rule = response_verdict(
            onset, result.first_response_at, as_of, s.response_rule_hours
        )
    try:
        cf = fit_volume_counterfactual(
            counts, onset, s.periods_per_day, s.fit_days, s.band_level, n_sims=s.n_sims, seed=s.seed
        )
    except ShortHistory as gap:
        # Too little history before the onset: detection and response still stand, impact cannot be measured.
        result.counterfactual_gap = gap
        return result
    except ValueError as err:
        result.notes.append(str(err))
        return result
    result.counterfactual = cf
    recovery_periods = max(math.ceil(pd.Timedelta(hours=s.recovery_hours) / s.period), 1)
    result.recovered_at = recovery_start(counts, cf, detection.peak_at, recovery_periods)
    result.window_end = result.recovered_at
    result.excess = excess_mentions(
        counts, cf, onset, result.window_end, level=s.level, n_sims=s.n_sims, seed=s.seed
    )
    index = series["period"]
    pre = ((index >= cf.fit_start) & (index < onset)).to_numpy()
    window = (index >= onset).to_numpy()
    if result.window_end is not None:
        window &= (index < result.window_end).to_numpy()
    result.sentiment = ratio_shift(series["sentiment_sum"], series["sentiment_n"], pre, window, s.level)
    result.negative_share = ratio_shift(
        series["negatives"].astype(float), series["sentiment_n"], pre, window, s.level
    )
    return result


def _iso(value: pd.Timestamp | None) -> str | None:
    return None if value is None else pd.Timestamp(value).isoformat()


def results(analysis: CrisisAnalysis) -> dict[str, object]:
    """The chapter's keys of the results contract.

    Parameters
    ----------
    analysis : CrisisAnalysis

    Returns
    -------
    dict
        ``onset``, ``alert_at``, ``first_response_at``, ``peak_at``, ``recovered_at`` (ISO 8601 or None),
        ``response_hours``, ``met_24h_rule``, ``sentiment_dip``, ``excess_mentions``, ``excess_mentions_ci``,
        ``impact`` (list of {metric, effect, ci_low, ci_high}); every one None when no crisis was found. Then
        ``history_days`` (rounded to a tenth) and ``history_needed_days`` in every case.
    """
    history = {"history_days": round(analysis.history_days, 1), "history_needed_days": analysis.history_needed_days}
    if not analysis.found:
        return {**dict.fromkeys(CRISIS_KEYS), **history}
    d = analysis.detection
    impact = []
    excess = analysis.excess
    if excess is not None:
        impact.append({"metric": "mentions", **{k: excess[k] for k in ("effect", "ci_low", "ci_high")}})
    for metric, shift in (
        ("mean_sentiment", analysis.sentiment),
        ("negative_share", analysis.negative_share),
    ):
        if shift is not None and shift["effect"] is not None:
            impact.append({"metric": metric, **{k: shift[k] for k in ("effect", "ci_low", "ci_high")}})
    sentiment = analysis.sentiment
    return {
        "onset": _iso(d.onset),
        "alert_at": _iso(d.alert_at),
        "first_response_at": _iso(analysis.first_response_at),
        "peak_at": _iso(d.peak_at),
        "recovered_at": _iso(analysis.recovered_at),
        "response_hours": analysis.response_hours,
        "met_24h_rule": analysis.met_24h_rule,
        "sentiment_dip": None if sentiment is None else sentiment["effect"],
        "excess_mentions": None if excess is None else excess["effect"],
        "excess_mentions_ci": None if excess is None else [excess["ci_low"], excess["ci_high"]],
        "impact": impact,
        **history,
    }


def detector_comparison(analysis: CrisisAnalysis) -> pd.DataFrame:
    """The robust detector against the mean + k·SD rule: false alarms in the quiet period and crisis alerts.

    The quiet period is everything before the onset (all the data when no crisis was found).

    Parameters
    ----------
    analysis : CrisisAnalysis

    Returns
    -------
    pandas.DataFrame
        One row per detector (``robust``, ``naive``) with ``false_alarms`` (count), ``false_alarm_hours``
        (alarm periods in the quiet period), ``first_alert`` (first firing at or after the onset, NaT if none)
        and ``delay_hours`` (from the onset).
    """
    onset = analysis.detection.onset
    rows = []
    for name, frame in (("robust", analysis.scores), ("naive", analysis.naive)):
        quiet = frame if onset is None else frame[frame.index < onset]
        fired_after = (
            frame.index[frame["fired"].to_numpy() & (frame.index >= onset)] if onset is not None else []
        )
        first = fired_after[0] if len(fired_after) else pd.NaT
        rows.append(
            {
                "detector": name,
                "false_alarms": len(false_alarms(frame["fired"], onset)),
                "false_alarm_hours": float(
                    quiet["alarm"].sum() * analysis.settings.period / pd.Timedelta(hours=1)
                ),
                "first_alert": first,
                "delay_hours": (first - onset) / pd.Timedelta(hours=1)
                if onset is not None and first is not pd.NaT
                else np.nan,
            }
        )
    return pd.DataFrame(rows)


def platform_spread(mentions: ir.Table, analysis: CrisisAnalysis, lookback_days: int = 1) -> pd.DataFrame:
    """Where the crisis started and how it moved: per platform, its own onset, peak and excess mentions.

    Each platform's series is scored with the same robust detector; its start is the first period of its
    anomalous run holding its busiest period inside the crisis window (from ``lookback_days`` before the
    overall onset to the end of the window). Platforms whose busiest period is not anomalous did not take part.

    Parameters
    ----------
    mentions : ibis.expr.types.Table
        The ``mentions`` table.
    analysis : CrisisAnalysis
        A finished analysis with a crisis.
    lookback_days : int
        How far before the overall onset a platform may have started.

    Returns
    -------
    pandas.DataFrame
        ``platform``, ``started_at`` (NaT if not involved), ``lead_hours`` (start relative to the overall onset,
        negative = earlier), ``peak_at``, ``peak_mentions``, ``excess`` (mentions above its baseline in the
        window) and ``excess_share``; sorted by start, uninvolved platforms last. Empty when quiet or without a
        ``platform`` column.
    """
    columns = ["platform", "started_at", "lead_hours", "peak_at", "peak_mentions", "excess", "excess_share"]
    if not analysis.found or "platform" not in mentions.columns:
        return pd.DataFrame(columns=columns)
    s = analysis.settings
    onset = analysis.detection.onset
    end = analysis.window_end or analysis.series["period"].max() + s.period
    lo = onset - pd.Timedelta(days=lookback_days)
    per = mention_series(
        mentions, s.freq, by_platform=True, negative_below=s.negative_below, end=analysis.as_of
    )
    rows = []
    for platform, part in per.groupby("platform", sort=True):
        counts = part.set_index("period")["mentions"]
        scores = robust_scores(counts, s.detector())
        inside = scores[(scores.index >= lo) & (scores.index < end)]
        if inside.empty:
            continue
        peak = inside["count"].idxmax()
        started = pd.NaT
        for start, stop in zip(*(runs(scores["anomalous"])[c] for c in ("start", "end")), strict=True):
            if start <= peak <= stop:
                started = start
        excess = float((inside["count"] - inside["expected"]).clip(lower=0).sum(skipna=True))
        rows.append(
            {
                "platform": platform,
                "started_at": started,
                "lead_hours": (started - onset) / pd.Timedelta(hours=1) if started is not pd.NaT else np.nan,
                "peak_at": peak,
                "peak_mentions": int(inside["count"].max()),
                "excess": excess,
            }
        )
    out = pd.DataFrame(rows, columns=columns[:-1])
    total = out["excess"].sum()
    out["excess_share"] = out["excess"] / total if total > 0 else np.nan
    return out.sort_values(
        ["started_at", "excess"], ascending=[True, False], na_position="last", ignore_index=True
    )


def crisis_window_by_platform(
    mentions: ir.Table, analysis: CrisisAnalysis, days_before: int = 1
) -> pd.DataFrame:
    """Mentions per period and platform around the crisis (wide: one column per platform), for the spread chart.

    Parameters
    ----------
    mentions : ibis.expr.types.Table
    analysis : CrisisAnalysis
    days_before : int
        Days shown before the onset.

    Returns
    -------
    pandas.DataFrame
        Indexed by period, columns the platforms; empty when quiet.
    """
    if not analysis.found:
        return pd.DataFrame()
    s = analysis.settings
    per = mention_series(
        mentions, s.freq, by_platform=True, negative_below=s.negative_below, end=analysis.as_of
    )
    wide = per.pivot(index="period", columns="platform", values="mentions")
    start = analysis.detection.onset - pd.Timedelta(days=days_before)
    end = analysis.window_end or wide.index.max() + s.period
    return wide[(wide.index >= start) & (wide.index < end)]


def checklist(analysis: CrisisAnalysis) -> pd.DataFrame:
    """The postmortem checklist: warning, response and repair, each with a verdict and the facts behind it.

    Verdicts: warning ``met`` (alert within ``warning_hours`` of the onset) or ``late``; response
    ``met``, ``missed`` (the deadline passed), ``pending`` or ``unknown`` (no ``is_official`` in the data); repair
    ``met`` (back in band within ``repair_days``), ``late``, ``open`` (not yet recovered) or ``unknown`` (no
    counterfactual band to judge it by).

    Parameters
    ----------
    analysis : CrisisAnalysis

    Returns
    -------
    pandas.DataFrame
        ``step`` (warning, response, repair), ``verdict``, ``hours`` (alert delay, response time, time to
        recovery; NaN when unknown). Empty when quiet.
    """
    if not analysis.found:
        return pd.DataFrame(columns=["step", "verdict", "hours"])
    s = analysis.settings
    d = analysis.detection
    alert_hours = (d.alert_at - d.onset) / pd.Timedelta(hours=1)
    warning = "met" if alert_hours <= s.warning_hours else "late"
    response = {None: "pending", True: "met", False: "missed"}[analysis.met_24h_rule]
    if not analysis.response_known:
        response = "unknown"
    if analysis.counterfactual is None:
        repair, repair_hours = "unknown", np.nan
    elif analysis.recovered_at is None:
        repair, repair_hours = "open", np.nan
    else:
        repair_hours = (analysis.recovered_at - d.onset) / pd.Timedelta(hours=1)
        repair = "met" if repair_hours <= s.repair_days * 24 else "late"
    return pd.DataFrame(
        {
            "step": ["warning", "response", "repair"],
            "verdict": [warning, response, repair],
            "hours": [
                alert_hours,
                analysis.response_hours if analysis.response_hours is not None else np.nan,
                repair_hours,
            ],
        }
    )


def negative_words(mentions: ir.Table, analysis: CrisisAnalysis, brand_words: str = "", n: int = 15) -> pd.DataFrame:
    """The words the negative mentions of the crisis window return to most, the brand's own names left out.

    Parameters
    ----------
    mentions : ibis.expr.types.Table
        The ``mentions`` table with a ``text`` column.
    analysis : CrisisAnalysis
        A finished analysis with a crisis: its window runs from the onset to the recovery (or the end of the data).
    brand_words : str
        Brand names, comma-separated (see :func:`brand_stopwords`).
    n : int
        Number of words.

    Returns
    -------
    pandas.DataFrame
        Columns ``word`` and ``count`` (see :func:`socialops.stats.textmining.top_words`); empty when no negative
        mention with text fell in the window.
    """
    texts = negative_texts(mentions, analysis.detection.onset, analysis.window_end, analysis.settings.negative_below)
    return top_words(texts, n=n, extra_stopwords=brand_stopwords(brand_words))
