"""Charts of the lifecycle chapter: one message per chart, labels passed in already translated.

Each function takes the small aggregate a lifecycle function returned and returns a matplotlib Figure; the
notebook hands it to ``Report.figure``.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from socialops.report.charts import ACCENT, ALERT, MUTED


def stage_bars(sizes: pd.DataFrame, labels: Mapping[str, str], title: str, previous_label: str) -> Figure:
    """Users per stage as sorted horizontal bars, with the previous snapshot marked on each bar.

    Parameters
    ----------
    sizes : pandas.DataFrame
        From `lifecycle.stage_sizes`: indexed by stage, with ``users`` and ``previous_users``.
    labels : mapping
        Stage id → display label.
    title : str
        The chart's message.
    previous_label : str
        Legend entry of the previous-snapshot marker.
    """
    data = sizes.sort_values("users")
    fig, ax = plt.subplots(figsize=(8, 3.6))
    y = np.arange(len(data))
    colors = [ALERT if s == "churned" else ACCENT for s in data.index]
    ax.barh(y, data["users"], color=colors)
    ax.scatter(data["previous_users"], y, marker="|", s=400, color="black", label=previous_label, zorder=3)
    ax.set_yticks(y, [labels[s] for s in data.index])
    for yi, value in zip(y, data["users"], strict=True):
        ax.text(value, yi, f" {value:,}", va="center", fontsize=9)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", frameon=False)
    return fig


def funnel_bars(funnel: pd.DataFrame, labels: Mapping[str, str], title: str) -> Figure:
    """The funnel as bars of users reached per step, top to bottom, each with its step conversion."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    y = np.arange(len(funnel))[::-1]
    ax.barh(y, funnel["reached"], color=ACCENT)
    ax.set_yticks(y, [labels[s] for s in funnel.index])
    for yi, (reached, rate) in zip(y, funnel[["reached", "conversion"]].itertuples(index=False), strict=True):
        text = f" {reached:,}" + ("" if pd.isna(rate) else f"  ({rate:.1%})")
        ax.text(reached, yi, text, va="center", fontsize=9)
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    return fig


def transition_heatmap(
    matrix: pd.DataFrame, labels: Mapping[str, str], title: str, from_label: str, to_label: str
) -> Figure:
    """The stage-transition matrix as a heatmap of counts, with row shares as the colour."""
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
        xticklabels=[labels[c] for c in matrix.columns],
        yticklabels=[labels[r] for r in matrix.index],
    )
    ax.set_title(title)
    ax.set_xlabel(to_label)
    ax.set_ylabel(from_label)
    ax.tick_params(axis="y", rotation=0)
    return fig


def share_comparison(
    table: pd.DataFrame, labels: Mapping[str, str], title: str, users_label: str, revenue_label: str
) -> Figure:
    """Share of customers against share of revenue per group, sorted by revenue share."""
    data = table.sort_values("revenue_share")
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(data) + 1.2))
    y = np.arange(len(data))
    ax.barh(y + 0.2, data["revenue_share"], height=0.4, color=ACCENT, label=revenue_label)
    ax.barh(y - 0.2, data["user_share"], height=0.4, color=MUTED, label=users_label)
    ax.set_yticks(y, [labels[s] for s in data.index])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", frameon=False)
    return fig


def cohort_heatmap(table: pd.DataFrame, title: str, month_label: str, cohort_label: str) -> Figure:
    """Retention by first-purchase cohort (rows) and months since the first purchase (columns)."""
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
    ax.set_title(title)
    ax.set_xlabel(month_label)
    ax.set_ylabel(cohort_label)
    ax.tick_params(axis="y", rotation=0)
    return fig


def rate_trend(trend: pd.DataFrame, series: Mapping[str, tuple[str, str, str]], title: str) -> Figure:
    """Monthly rates as lines with their interval bands.

    Parameters
    ----------
    trend : pandas.DataFrame
        Indexed by month label.
    series : mapping
        Display label → (rate column, low column, high column).
    title : str
        The chart's message.
    """
    fig, ax = plt.subplots(figsize=(8, 3.6))
    x = np.arange(len(trend))
    for (label, (rate, low, high)), color in zip(series.items(), (ACCENT, ALERT, MUTED), strict=False):
        ax.plot(x, trend[rate], marker="o", color=color, label=label)
        ax.fill_between(x, trend[low], trend[high], color=color, alpha=0.15, linewidth=0)
    ax.set_xticks(x, trend.index, rotation=45, ha="right")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.legend(frameon=False)
    return fig
