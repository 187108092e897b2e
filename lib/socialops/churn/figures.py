"""Charts of the churn chapter: each takes the analysis output and the translator, and carries one message.

Every fixed text (title templates, axis labels, legends) comes from the catalog; a function returns the matplotlib
Figure for ``Report.figure``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from socialops.churn.analysis import counted_quantile
from socialops.churn.present import holdout_fits, median_stated, winback_significant
from socialops.report.charts import ACCENT, ALERT, MUTED, platform_palette
from socialops.report.format import percent, points
from socialops.report.i18n import Translator
from socialops.stats.intervals import wilson_interval

if TYPE_CHECKING:
    from socialops.churn.analysis import HoldoutCheck

_CYCLE = (ACCENT, ALERT, "#2f855a", "#b7791f", "#6b46c1", "#2c7a7b", MUTED)


def _survival_curves(curves: pd.DataFrame, labels: Mapping[str, str], title: str, t: Translator,
                     colors: Mapping[str, str] | None = None) -> Figure:
    """Kaplan–Meier step curves with their pointwise intervals, one line per segment value in `labels`' order."""
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
    ax.set_title(title, loc="left")
    ax.set_xlabel(t("chart_km_x"))
    ax.set_ylabel(t("chart_km_y"))
    if len(labels) > 1:
        ax.legend(frameon=False, loc="lower left")
    return fig


def survival_overall(overall: dict, at_days: int, t: Translator) -> Figure:
    """The survival curve of all customers, titled with the median lifetime or the share still active at `at_days`.

    The median titles the chart only when it is stated in the text too (reached, and above 0 days).

    Parameters
    ----------
    overall : dict
        The output of :func:`socialops.churn.analysis.overall_survival`.
    at_days : int
        The day the curve was read at.
    t : Translator
        The report's translator.
    """
    median, at = overall["median"], overall["at"]
    if median_stated(median):
        title = t("chart_km_all", median=f"{median['median']:.0f} d")
    else:
        title = t("chart_km_all_not_reached", share=percent(at["survival"]), days=at_days)  # as the text writes it
    return _survival_curves(overall["curve"].assign(segment="all"), {"all": t("segment_all")}, title, t)


def survival_by_segment(split: dict, segment: str, t: Translator) -> Figure:
    """The survival curves of one split, best-kept group first, titled with the log-rank p-value.

    Parameters
    ----------
    split : dict
        The output of :func:`socialops.churn.analysis.survival_by_segment`.
    segment : str
        The segment column (platforms get their own colours).
    t : Translator
        The report's translator (group labels are the catalog's ``<segment>_<value>``).
    """
    order = split["medians"].sort_values("survival_at", ascending=False).index
    labels = {value: t.label(segment, value) for value in order}
    title = t("chart_km_segment", segment=t(f"segment_{segment}"))
    return _survival_curves(split["curves"], labels, title, t, platform_palette(labels) if segment == "platform"
                            else None)


def hazard_ratios(table: pd.DataFrame, t: Translator) -> Figure:
    """Hazard ratios with intervals on a log axis, sorted; red where the interval lies above 1.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by feature, with hazard_ratio, ci_low, ci_high.
    t : Translator
        The report's translator (feature labels are the catalog's ``feature_<name>``).
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
    ax.set_yticks(y, [t.label("feature", f) for f in data.index])
    for yi, hr in zip(y, data["hazard_ratio"], strict=True):
        ax.annotate(f"{hr:.2f}", (hr, yi), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=9)
    ax.set_title(t("chart_hr"), loc="left")
    ax.set_xlabel(t("chart_hr_x"))
    ax.grid(axis="y", visible=False)
    return fig


def calibration_holdout(check: HoldoutCheck, t: Translator) -> Figure:
    """Actual (with interval) against predicted holdout purchases per calibration-frequency bucket.

    Parameters
    ----------
    check : HoldoutCheck
        A holdout check that ran (its ``by_frequency`` table is drawn); the title says whether the model passed.
    t : Translator
        The report's translator.
    """
    table = check.by_frequency
    fig, ax = plt.subplots(figsize=(8, 4))
    x = np.arange(len(table))
    ax.errorbar(x, table["actual"], yerr=[table["actual"] - table["actual_ci_low"],
                                          table["actual_ci_high"] - table["actual"]],
                fmt="o", color=ACCENT, label=t("chart_holdout_actual"), capsize=3)
    ax.plot(x, table["predicted"], color=ALERT, marker="s", linestyle="--", label=t("chart_holdout_predicted"))
    ticks = [str(i) for i in table.index]
    ticks[-1] = t("chart_holdout_more", n=int(table.index[-1]))
    ax.set_xticks(x, ticks)
    ax.set_title(t("chart_holdout" if holdout_fits(check) else "chart_holdout_poor", days=check.holdout_days),
                 loc="left")
    ax.set_xlabel(t("chart_holdout_x"))
    ax.set_ylabel(t("chart_holdout_y"))
    ax.legend(frameon=False, loc="upper left")
    return fig


def alive_by_value(scored: pd.DataFrame, at_risk: pd.DataFrame, value_quantile: float, p_alive_below: float,
                   t: Translator, value: str = "total_spend") -> Figure:
    """Past spend against P(alive): the customers of the win-back list (valuable, probably gone) highlighted.

    Parameters
    ----------
    scored : pandas.DataFrame
        The output of :func:`socialops.churn.analysis.score_customers`: one point per customer, or per counted
        row (customers with equal inputs share a point).
    at_risk : pandas.DataFrame
        The win-back list: its customers are counted in the title, and the points at their P(alive) and value
        highlighted (every customer there is on the list: the list is cut by those two numbers alone).
    value_quantile, p_alive_below : float
        The thresholds of the list, drawn as dotted lines.
    t : Translator
        The report's translator.
    value : str
        The measure of value on the vertical axis: ``total_spend``, or ``purchases`` for events without amounts.
    """
    weight = scored["weight"] if "weight" in scored.columns else np.ones(len(scored))
    threshold_spend = counted_quantile(scored[value], weight, value_quantile)
    fig, ax = plt.subplots(figsize=(8, 4.4))
    listed = pd.MultiIndex.from_frame(at_risk[["p_alive", value]])
    risk = pd.MultiIndex.from_frame(scored[["p_alive", value]]).isin(listed)
    ax.scatter(scored.loc[~risk, "p_alive"], scored.loc[~risk, value], s=6, color=MUTED, alpha=0.5,
               label=t("chart_alive_others"), rasterized=True)
    ax.scatter(scored.loc[risk, "p_alive"], scored.loc[risk, value], s=8, color=ALERT, alpha=0.7,
               label=t("chart_alive_risk"), rasterized=True)
    ax.axvline(p_alive_below, color="black", linewidth=0.8, linestyle=":")
    ax.axhline(threshold_spend, color="black", linewidth=0.8, linestyle=":")
    # spend is skewed: a log-like axis that still shows customers with zero recorded spend
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(t("chart_alive", n=f"{len(at_risk):,}"), loc="left")
    ax.set_xlabel(t("chart_alive_x"))
    ax.set_ylabel(t("chart_alive_y" if value == "total_spend" else "chart_alive_y_purchases"))
    ax.legend(loc="lower right", markerscale=3, frameon=True, framealpha=0.9)
    return fig


def winback_rates(effect: dict, t: Translator) -> Figure:
    """Comeback rate of the holdout and the treated arm, with 95% Wilson intervals.

    Parameters
    ----------
    effect : dict
        The output of :func:`socialops.churn.analysis.winback_effect`; the title gives the uplift, a difference
        of two rates and so in percentage points, when it is significant.
    t : Translator
        The report's translator.
    """
    arms = [(effect["comebacks_holdout"], effect["n_holdout"], MUTED),
            (effect["comebacks_treated"], effect["n_treated"], ACCENT)]
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for i, (x, n, color) in enumerate(arms):
        rate = x / n
        low, high = wilson_interval(x, n)
        ax.bar(i, rate, color=color, width=0.55)
        ax.errorbar(i, rate, yerr=[[rate - low], [high - rate]], color="black", capsize=4)
        ax.annotate(f"{rate:.1%}", (i, high), xytext=(0, 4), textcoords="offset points", ha="center")
    ax.set_xticks([0, 1], [t("arm_holdout"), t("arm_treated")])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(t("chart_winback", uplift=points(effect["uplift"])) if winback_significant(effect)
                 else t("chart_winback_none"), loc="left")
    ax.set_ylabel(t("chart_winback_y"))
    ax.grid(axis="x", visible=False)
    return fig
