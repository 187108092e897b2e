"""Charts of the lifecycle chapter, one message per chart.

Each function takes the small aggregate an analysis function returned and the translator ``t`` (a
:class:`socialops.report.i18n.Translator`, e.g. ``Report.t``), reads its title, axis labels and legend from the
lifecycle catalog, and returns the matplotlib Figure unsaved; the notebook hands it to ``Report.figure``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from socialops.lifecycle.analysis import buyer_share
from socialops.lifecycle.present import funnel_texts
from socialops.report.charts import ACCENT, ALERT, MUTED
from socialops.report.format import is_missing, number, percent
from socialops.report.i18n import Translator


def stage_bars(sizes: pd.DataFrame, t: Translator, days: int) -> Figure:
    """Users per stage as sorted horizontal bars, with the snapshot `days` earlier marked on each bar.

    Parameters
    ----------
    sizes : pandas.DataFrame
        From `analysis.stage_sizes`: indexed by stage, with ``users``, ``share`` and ``previous_users``.
    t : Translator
        The report's translator.
    days : int
        How many days before `as_of` the previous snapshot lies.
    """
    largest = sizes["users"].idxmax()
    data = sizes.sort_values("users")
    fig, ax = plt.subplots(figsize=(8, 3.6))
    y = np.arange(len(data))
    colors = [ALERT if s == "churned" else ACCENT for s in data.index]
    ax.barh(y, data["users"], color=colors)
    ax.scatter(data["previous_users"], y, marker="|", s=400, color="black", label=t("chart_previous", days=days),
               zorder=3)
    ax.set_yticks(y, [t.label("stage", s) for s in data.index])
    for yi, value in zip(y, data["users"], strict=True):
        ax.text(value, yi, f" {number(value)}", va="center", fontsize=9)
    ax.set_title(t("chart_stages", stage=t.label("stage", largest), share=percent(sizes.loc[largest, "share"])),
                 loc="left")
    ax.set_xlabel("")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", frameon=False)
    return fig


def funnel_bars(funnel: pd.DataFrame, t: Translator, buyers: bool = True) -> Figure:
    """The funnel as bars of users reached per step, top to bottom, each with its step conversion where measured.

    Parameters
    ----------
    funnel : pandas.DataFrame
        From `analysis.stage_funnel` (a missing conversion is not written).
    t : Translator
        The report's translator.
    buyers : bool
        Whether the log tells buyers from other users; the title states the buyers' share only then.
    """
    fig, ax = plt.subplots(figsize=(8, 3.2))
    y = np.arange(len(funnel))[::-1]
    ax.barh(y, funnel["reached"], color=ACCENT)
    ax.set_yticks(y, [t.label("stage", s) for s in funnel.index])
    # each step's conversion as the funnel table writes it
    rates = [shown for shown, _, _ in funnel_texts(funnel)]
    for yi, reached, rate, shown in zip(y, funnel["reached"], funnel["conversion"], rates, strict=True):
        text = f" {number(reached)}" + ("" if is_missing(rate) else f"  ({shown})")
        ax.text(reached, yi, text, va="center", fontsize=9)
    ax.set_title(t("chart_funnel", rate=percent(buyer_share(funnel))) if buyers else t("chart_funnel_plain"),
                 loc="left")
    ax.grid(axis="y", visible=False)
    return fig


def transition_heatmap(matrix: pd.DataFrame, t: Translator, days: int) -> Figure:
    """The stage-transition matrix as a heatmap of counts, with row shares as the colour.

    Parameters
    ----------
    matrix : pandas.DataFrame
        From `analysis.stage_transitions`.
    t : Translator
        The report's translator.
    days : int
        How many days the transitions span.
    """
    shares = matrix.div(matrix.sum(axis=1).replace(0, np.nan), axis=0)
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    sns.heatmap(
        shares,
        annot=matrix.to_numpy(),
        fmt=",d",
        cmap="Blues",
        cbar=False,
        linewidths=0.5,
        ax=ax,
        xticklabels=[t.label("stage", c) for c in matrix.columns],
        yticklabels=[t.label("stage", r) for r in matrix.index],
    )
    ax.set_title(t("chart_transitions", days=days), loc="left")
    ax.set_xlabel(t.col("to"))
    ax.set_ylabel(t.col("from", days=days))
    ax.tick_params(axis="y", rotation=0)
    return fig


def _share_bars(data: pd.DataFrame, labels: list[str], title: str, t: Translator) -> Figure:
    """Share of customers against share of revenue per group, in the order given (bottom to top)."""
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(data) + 1.2))
    y = np.arange(len(data))
    ax.barh(y + 0.2, data["revenue_share"], height=0.4, color=ACCENT, label=t.col("revenue_share"))
    ax.barh(y - 0.2, data["user_share"], height=0.4, color=MUTED, label=t.col("user_share"))
    ax.set_yticks(y, labels)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(title, loc="left")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", frameon=False)
    return fig


def tier_shares(tiers: pd.DataFrame, t: Translator) -> Figure:
    """Share of customers against share of revenue of the four RFM tiers, sorted by revenue share.

    Parameters
    ----------
    tiers : pandas.DataFrame
        The tier summary of `stats.rfm.rfm_summary`.
    t : Translator
        The report's translator.
    """
    data = tiers.sort_values("revenue_share")
    title = t("chart_tiers", revenue=percent(tiers.loc["high_value", "revenue_share"]),
              users=percent(tiers.loc["high_value", "user_share"]))
    return _share_bars(data, [t.label("tier", s) for s in data.index], title, t)


def segment_shares(segments: pd.DataFrame, t: Translator) -> Figure:
    """Share of customers against share of revenue of the RFM segments that have customers.

    Parameters
    ----------
    segments : pandas.DataFrame
        The segment summary of `stats.rfm.rfm_summary`.
    t : Translator
        The report's translator.
    """
    data = segments[segments["users"] > 0].sort_values("revenue_share")
    return _share_bars(data, [t.label("segment", s) for s in data.index], t("chart_segments"), t)


def cohort_heatmap(table: pd.DataFrame, t: Translator) -> Figure:
    """Retention by first-purchase cohort (rows) and months since the first purchase (columns).

    Parameters
    ----------
    table : pandas.DataFrame
        From `cohorts.cohort_table`, with at least one month after the cohort month.
    t : Translator
        The report's translator.
    """
    # Month 0 is 100% by construction, and a cohort with no later month observed has nothing to show.
    rates = table.drop(columns="size").iloc[:, 1:].dropna(how="all")
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(rates) + 1.5))
    sns.heatmap(
        rates,
        annot=True,
        fmt=".0%",
        cmap="Blues",
        cbar=False,
        linewidths=0.5,
        ax=ax,
        annot_kws={"fontsize": 8},
    )
    ax.set_title(t("chart_cohorts"), loc="left")
    ax.set_xlabel(t.col("months_since"))
    ax.set_ylabel(t.col("cohort"))
    ax.tick_params(axis="y", rotation=0)
    return fig


#: The virality panels: catalog key of the metric → (value column, low column, high column, whether a share).
#: The share rate is a share of users and reads on a percent axis; the K-factor is a ratio (referred newcomers
#: per active user), so its axis is a plain number: 0.014 must not read as 1.4 %.
TREND_SERIES: dict[str, tuple[str, str, str, bool]] = {
    "metric_share_rate": ("share_rate", "share_ci_low", "share_ci_high", True),
    "metric_k_factor": ("k_factor", "k_ci_low", "k_ci_high", False),
}


def virality_trend(trend: pd.DataFrame, t: Translator,
                   measured: tuple[str, ...] = ("share_rate", "k_factor")) -> Figure:
    """Share rate and K-factor month by month, each in its own panel with its interval band and its own axis.

    Parameters
    ----------
    trend : pandas.DataFrame
        From `virality.virality_trend`, indexed by month label.
    t : Translator
        The report's translator.
    measured : tuple of str
        The lines to draw (``share_rate``, ``k_factor``): those the log holds the events of; at least one.
    """
    drawn = [(key, spec) for key, spec in TREND_SERIES.items() if spec[0] in measured]
    fig, axes = plt.subplots(len(drawn), 1, figsize=(8, 1.2 + 2.4 * len(drawn)), sharex=True, squeeze=False)
    x = np.arange(len(trend))
    for ax, (key, (rate, low, high, share)) in zip(axes[:, 0], drawn, strict=True):
        color = ACCENT if share else ALERT
        ax.plot(x, trend[rate], marker="o", color=color, label=t(key))
        ax.fill_between(x, trend[low], trend[high], color=color, alpha=0.15, linewidth=0)
        if share:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylim(bottom=0)
        ax.set_ylabel(t(key))
        ax.legend(frameon=False, loc="upper left")
    axes[-1, 0].set_xticks(x, trend.index, rotation=45, ha="right")
    title = t("chart_virality") if len(drawn) > 1 else t("chart_virality_one", metric=t(drawn[0][0]))
    axes[0, 0].set_title(title, loc="left")
    return fig
