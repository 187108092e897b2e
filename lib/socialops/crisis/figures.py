"""Charts of the crisis postmortem: the annotated timeline, the spread between platforms, the negative words.

Each chart reads its texts from the catalog through the report's translator, so the same code draws English and
Chinese reports.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from socialops.crisis.analysis import CrisisAnalysis
from socialops.report.charts import ACCENT, ALERT, MUTED, PLATFORM_COLORS
from socialops.report.i18n import Translator


def plot_timeline(analysis: CrisisAnalysis, t: Translator, days_before: int = 3, days_after: int = 10) -> Figure:
    """Mentions and mean sentiment around the crisis, with the counterfactual band and the key moments marked.

    The title says whether the statement came late (the 24-hour rule missed) or in time, and nothing of it when
    the data cannot tell.

    Parameters
    ----------
    analysis : CrisisAnalysis
        A finished analysis with a crisis.
    t : Translator
        The report's translator.
    days_before, days_after : int
        The span shown around the onset.

    Returns
    -------
    matplotlib.figure.Figure
    """
    onset = analysis.detection.onset
    series = analysis.series.set_index("period")
    lo, hi = onset - pd.Timedelta(days=days_before), onset + pd.Timedelta(days=days_after)
    view = series[(series.index >= lo) & (series.index <= hi)]
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(10, 6.2), sharex=True, height_ratios=[2.2, 1])
    cf = analysis.counterfactual
    if cf is not None:
        band = cf.expected.index.isin(view.index)
        ax.fill_between(cf.expected.index[band], cf.lower[band], cf.upper[band], color=MUTED, alpha=0.35,
                        linewidth=0, label=t("chart_band"))
        ax.plot(cf.expected.index[band], cf.expected[band], color=MUTED, linewidth=1, label=t("chart_expected"))
    ax.plot(view.index, view["mentions"], color=ACCENT, linewidth=1.4, label=t("chart_observed"))
    ax.set_ylabel(t("chart_mentions"))
    # A 6-period rolling mean keeps the sentiment line readable at night, when few mentions arrive.
    smooth = (view["sentiment_sum"].rolling(6, min_periods=1).sum()
              / view["sentiment_n"].rolling(6, min_periods=1).sum().where(lambda v: v > 0))
    ax2.plot(view.index, smooth, color=ALERT, linewidth=1.3)
    if analysis.sentiment is not None and analysis.sentiment["baseline"] is not None:
        ax2.axhline(analysis.sentiment["baseline"], color=MUTED, linewidth=1, linestyle="--")
    ax2.set_ylabel(t("chart_sentiment"))
    ax2.set_ylim(-1, 1)
    events = [
        ("onset", onset),
        ("alert", analysis.detection.alert_at),
        ("peak", analysis.detection.peak_at),
        ("response", analysis.first_response_at),
        ("recovered", analysis.recovered_at),
    ]
    top = float(view["mentions"].max()) if len(view) else 1.0
    shown = [(name, when) for name, when in events if when is not None and lo <= when <= hi]
    for i, (name, when) in enumerate(shown):
        color = ALERT if name in ("onset", "response") else "#4a5568"
        for axis in (ax, ax2):
            axis.axvline(when, color=color, linewidth=1, linestyle=":")
        ax.annotate(f"{t(f'event_{name}')}\n{when:%m-%d %H:%M}", xy=(when, top * (0.97 - 0.17 * (i % 3))),
                    xytext=(4, 0), textcoords="offset points", fontsize=8.5, color=color, va="top",
                    # the labels sit beside the spike: a backing keeps the line from running through the text
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5}, zorder=5)
    # the title speaks of the statement only when the data time it
    title = {False: "chart_timeline_title", True: "chart_timeline_title_met", None: "chart_timeline_title_plain"}
    ax.set_title(t(title[analysis.met_24h_rule]), loc="left")
    ax.legend(loc="upper right", frameon=False, fontsize=9)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def plot_spread(wide: pd.DataFrame, t: Translator, label: Callable[[str], str] = str) -> Figure:
    """Mentions per platform around the crisis, one line each, so the order in which platforms caught fire shows.

    Parameters
    ----------
    wide : pandas.DataFrame
        From :func:`socialops.crisis.analysis.crisis_window_by_platform`.
    t : Translator
        The report's translator.
    label : callable
        Display name of a platform id (``Report.platform_label``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(10, 4))
    order = wide.sum().sort_values(ascending=False).index
    for platform in order:
        ax.plot(wide.index, wide[platform], linewidth=1.3, color=PLATFORM_COLORS.get(platform),
                label=label(platform))
    ax.set_ylabel(t("chart_mentions"))
    ax.set_title(t("chart_spread_title"), loc="left")
    ax.legend(frameon=False, fontsize=9, ncols=min(len(order), 5), loc="upper right")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def plot_words(words: pd.DataFrame, t: Translator) -> Figure:
    """Horizontal bars of the most frequent words in negative mentions, the most frequent on top.

    Parameters
    ----------
    words : pandas.DataFrame
        ``word`` and ``count`` (from :func:`socialops.stats.textmining.top_words`).
    t : Translator
        The report's translator.

    Returns
    -------
    matplotlib.figure.Figure
    """
    ordered = words.sort_values("count")
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(ordered) + 1.2))
    ax.barh(ordered["word"], ordered["count"], color=ALERT)
    ax.set_xlabel(t("chart_count"))
    ax.set_title(t("chart_words_title"), loc="left")
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig
