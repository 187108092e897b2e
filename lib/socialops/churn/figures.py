"""Charts of the churn chapter: one message per chart, labels passed in already translated.

Each function takes a small aggregate from ``socialops.churn.analysis`` and returns a matplotlib Figure for
``Report.figure``.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from socialops.report.charts import ACCENT, ALERT, MUTED

_CYCLE = (ACCENT, ALERT, "#2f855a", "#b7791f", "#6b46c1", "#2c7a7b", MUTED)


def survival_curves(
    curves: pd.DataFrame,
    labels: Mapping[str, str],
    title: str,
    xlabel: str,
    ylabel: str,
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """Kaplan–Meier step curves with their pointwise intervals, one line per segment.

    Parameters
    ----------
    curves : pandas.DataFrame
        Long format: segment, time, survival, ci_low, ci_high.
    labels : mapping
        Segment value → legend label (also fixes the drawing order).
    title, xlabel, ylabel : str
        Translated texts; the title carries the message.
    colors : mapping, optional
        Segment value → colour (e.g. platform colours).
    """
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for i, (segment, label) in enumerate(labels.items()):
        part = curves[curves["segment"] == segment]
        if part.empty:
            continue
        color = (colors or {}).get(segment, _CYCLE[i % len(_CYCLE)])
        ax.step(part["time"], part["survival"], where="post", color=color, label=label, linewidth=1.8)
        ax.fill_between(part["time"], part["ci_low"], part["ci_high"], step="post", color=color, alpha=0.15,
                        linewidth=0)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(labels) > 1:
        ax.legend(frameon=False, loc="lower left")
    return fig


def hazard_ratios(table: pd.DataFrame, labels: Mapping[str, str], title: str, xlabel: str) -> Figure:
    """Hazard ratios with intervals on a log axis, sorted; red where the interval lies above 1.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by feature, with hazard_ratio, ci_low, ci_high.
    labels : mapping
        Feature → display label.
    """
    data = table.sort_values("hazard_ratio")
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(data) + 1.4))
    y = np.arange(len(data))
    colors = [ALERT if lo > 1 else ACCENT if hi < 1 else MUTED for lo, hi in zip(data["ci_low"], data["ci_high"],
                                                                                   strict=True)]
    ax.hlines(y, data["ci_low"], data["ci_high"], color=colors, linewidth=2.5)
    ax.scatter(data["hazard_ratio"], y, color=colors, zorder=3, s=40)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    # plain numbers on the log axis (0.5, 0.7, 1, 1.5) rather than powers of ten
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    ax.set_yticks(y, [labels.get(f, f) for f in data.index])
    for yi, hr in zip(y, data["hazard_ratio"], strict=True):
        ax.annotate(f"{hr:.2f}", (hr, yi), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=9)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    return fig


def calibration_holdout(table: pd.DataFrame, title: str, xlabel: str, ylabel: str, actual: str,
                        predicted: str, last_label: str) -> Figure:
    """Actual (with interval) vs predicted holdout purchases per calibration-frequency bucket."""
    fig, ax = plt.subplots(figsize=(8, 4))
    x = np.arange(len(table))
    ax.errorbar(x, table["actual"], yerr=[table["actual"] - table["actual_ci_low"],
                                          table["actual_ci_high"] - table["actual"]],
                fmt="o", color=ACCENT, label=actual, capsize=3)
    ax.plot(x, table["predicted"], color=ALERT, marker="s", linestyle="--", label=predicted)
    ticks = [str(i) for i in table.index]
    ticks[-1] = last_label
    ax.set_xticks(x, ticks)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, loc="upper left")
    return fig


def alive_by_value(scored: pd.DataFrame, threshold_spend: float, p_alive_below: float, title: str,
                   xlabel: str, ylabel: str, at_risk: str, others: str) -> Figure:
    """Past spend against P(alive): the at-risk corner (valuable, probably gone) highlighted."""
    fig, ax = plt.subplots(figsize=(8, 4.4))
    risk = (scored["p_alive"] < p_alive_below) & (scored["total_spend"] >= threshold_spend)
    ax.scatter(scored.loc[~risk, "p_alive"], scored.loc[~risk, "total_spend"], s=6, color=MUTED, alpha=0.5,
               label=others, rasterized=True)
    ax.scatter(scored.loc[risk, "p_alive"], scored.loc[risk, "total_spend"], s=8, color=ALERT, alpha=0.7,
               label=at_risk, rasterized=True)
    ax.axvline(p_alive_below, color="black", linewidth=0.8, linestyle=":")
    ax.axhline(threshold_spend, color="black", linewidth=0.8, linestyle=":")
    # spend is skewed: a log-like axis that still shows customers with zero recorded spend
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower right", markerscale=3, frameon=True, framealpha=0.9)
    return fig


def winback_rates(effect: dict, labels: Mapping[str, str], title: str, ylabel: str) -> Figure:
    """Comeback rate of the holdout and the treated arm, with 95% Wilson intervals."""
    from statsmodels.stats.proportion import proportion_confint

    arms = [(effect["comebacks_holdout"], effect["n_holdout"], MUTED),
            (effect["comebacks_treated"], effect["n_treated"], ACCENT)]
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for i, (x, n, color) in enumerate(arms):
        rate = x / n
        low, high = proportion_confint(x, n, method="wilson")
        ax.bar(i, rate, color=color, width=0.55)
        ax.errorbar(i, rate, yerr=[[rate - low], [high - rate]], color="black", capsize=4)
        ax.annotate(f"{rate:.1%}", (i, high), xytext=(0, 4), textcoords="offset points", ha="center")
    ax.set_xticks([0, 1], [labels["holdout"], labels["treated"]])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)
    return fig
