"""Charts of chapter 01: reach, rates, money, audience fit, score, cadence, best time, content types and mix.

Each function takes the analysis output it draws and the report's translator ``t``, reads its titles, axis labels
and legends from the catalog, and returns the figure without saving it (``rep.figure`` saves and closes it).
Horizontal bars are drawn from the bottom up, so the largest value, sorted last, sits at the top.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from socialops.platform_matrix.present import (
    clearly_highest,
    hours_label,
    metric_name,
    platform_labels,
    platforms_below,
)
from socialops.report.charts import ACCENT, ALERT, MUTED, PLATFORM_COLORS
from socialops.report.format import number, percent
from socialops.report.i18n import Translator
from socialops.report.metrics import metric

#: The rates drawn side by side in :func:`rates`, where the data hold them.
RATES = ("engagement_rate", "ctr", "conversion_rate")

#: Bar colour of each role in :func:`score`.
ROLE_COLORS = {"core": ACCENT, "auxiliary": MUTED, "deprioritize": ALERT}


def _colors(platforms: Iterable[str]) -> list[str]:
    """Each platform's brand colour; platforms outside the known list in the accent colour."""
    return [PLATFORM_COLORS.get(p, ACCENT) for p in platforms]


def _error_bars(frame: pd.DataFrame, value: str, low: str, high: str) -> np.ndarray:
    """Distances from each value down to its low end and up to its high end, as ``xerr`` wants them."""
    return np.vstack([frame[value] - frame[low], frame[high] - frame[value]])


def reach(metrics: pd.DataFrame, t: Translator) -> Figure:
    """Impressions in the period per platform, in millions.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.platform_metrics` (largest reach first).
    t : Translator
        The report's translator.
    """
    order = metrics.sort_values("impressions")
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.barh(platform_labels(order["platform"], t), order["impressions"] / 1e6, color=_colors(order["platform"]))
    ax.set_xlabel(t("axis_impressions"))
    ax.set_title(t("chart_reach_title", platform=t.label("platform", metrics.iloc[0]["platform"])), loc="left")
    ax.grid(axis="y", visible=False)
    return fig


def rates(metrics: pd.DataFrame, t: Translator) -> Figure:
    """Engagement rate, click-through rate and conversion rate per platform with their intervals, one panel each.

    A rate the data lack (all missing) gets no panel.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.platform_metrics`.
    t : Translator
        The report's translator.
    """
    shown = [m for m in RATES if metrics[m].notna().any()]
    fig, axes = plt.subplots(1, len(shown), figsize=(11, 3.6), sharey=False)
    for ax, name in zip(np.atleast_1d(axes), shown, strict=True):
        d = metrics.sort_values(name)
        ax.barh(platform_labels(d["platform"], t), d[name],
                xerr=_error_bars(d, name, f"{name}_low", f"{name}_high"),
                color=_colors(d["platform"]), capsize=3)
        ax.set_title(metric_name(name, t), fontsize=11, loc="left")
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: percent(v, 1)))
        ax.grid(axis="y", visible=False)
    fig.suptitle(t("chart_rates_title"), x=0.01, ha="left", fontsize=13)
    fig.supxlabel(t("axis_rate_interval"), fontsize=9, color=MUTED)
    fig.tight_layout()
    return fig


def money(amounts: pd.DataFrame, t: Translator, currency: str) -> Figure:
    """Spend and, where recorded, revenue per platform, side by side, in thousands of the currency.

    Parameters
    ----------
    amounts : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.money_metrics`.
    t : Translator
        The report's translator.
    currency : str
        ISO 4217 code of the amounts, named on the axis.
    """
    order = amounts.sort_values("spend")
    shown = [m for m in ("spend", "revenue") if order[m].notna().any()]
    y = np.arange(len(order))
    height = 0.8 / len(shown)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for i, (name, color) in enumerate(zip(shown, (MUTED, ACCENT), strict=False)):
        ax.barh(y + (i - (len(shown) - 1) / 2) * height, order[name] / 1e3, height=height, color=color,
                label=metric(name).label(t.lang))
    ax.set_yticks(y, platform_labels(order["platform"], t))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: number(v)))
    ax.set_xlabel(t("axis_amount_thousands", currency=currency))
    leader = clear_roi_leader(amounts)
    ax.set_title(t("chart_money_leader", platform=t.label("platform", leader)) if leader else t("chart_money_title"),
                 loc="left")
    # above the plot, right: inside, it would cover the longest bar
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(shown), frameon=False)
    ax.grid(axis="y", visible=False)
    return fig


def clear_roi_leader(amounts: pd.DataFrame) -> str | None:
    """The platform whose return on spend is clearly the highest (`present.clearly_highest`), else None."""
    rows = amounts.dropna(subset=["roi_low", "roi_high"]).to_dict("records")
    best = clearly_highest(rows, "roi", "roi_low", "roi_high")
    return None if best is None else str(best["platform"])


def audience_fit(fit: pd.DataFrame, t: Translator) -> Figure:
    """Audience fit per platform on a 0–1 scale.

    Parameters
    ----------
    fit : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.audience_fit`, best fit first.
    t : Translator
        The report's translator.
    """
    d = fit.sort_values("audience_fit")
    fig, ax = plt.subplots(figsize=(8, 3.4))
    ax.barh(platform_labels(d["platform"], t), d["audience_fit"], color=_colors(d["platform"]))
    ax.set_xlim(0, 1)
    ax.set_xlabel(t("axis_fit"))
    ax.set_title(t("chart_fit_title", platform=t.label("platform", fit.iloc[0]["platform"])), loc="left")
    ax.grid(axis="y", visible=False)
    return fig


def score(scored: pd.DataFrame, goal: str, t: Translator) -> Figure:
    """Score per platform with its interval, coloured and labelled by role.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.analysis.score_platforms` merged with
        :func:`~socialops.platform_matrix.analysis.score_intervals`, in rank order.
    goal : str
        The goal the score served (``custom`` for explicit weights), named in the title.
    t : Translator
        The report's translator.
    """
    d = scored.iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    err = _error_bars(d, "score", "score_low", "score_high").clip(0)
    ax.barh(platform_labels(d["platform"], t), d["score"], xerr=err, capsize=3,
            color=[ROLE_COLORS[r] for r in d["role"]])
    for y, (s, r) in enumerate(zip(d["score"], d["role"], strict=True)):
        ax.text(s + 0.02, y, t(f"role_{r}"), va="center", fontsize=9)
    ax.set_xlim(0, 1.15)
    ax.set_xlabel(t("axis_score"))
    ax.set_title(t("chart_score_title", goal=t(f"goal_{goal}"),
                   platform=t.label("platform", scored.iloc[0]["platform"])), loc="left")
    ax.grid(axis="y", visible=False)
    return fig


def cadence(posting: pd.DataFrame, t: Translator) -> Figure:
    """Posts a week per platform against the guidance band; platforms below their guidance in the alert colour.

    Parameters
    ----------
    posting : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.posting.posting_cadence`.
    t : Translator
        The report's translator.
    """
    d = posting.sort_values("posts_per_week")
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.barh(platform_labels(d["platform"], t), d["posts_per_week"],
            color=[ALERT if s == "below" else MUTED for s in d["status"]])
    guided = np.isfinite(d["target_low"].to_numpy())
    for y, (lo, hi) in enumerate(d[["target_low", "target_high"]].to_numpy()):
        if guided[y]:
            # one legend entry for all the bands: only the first band is labelled
            ax.plot([lo, hi], [y, y], color="black", lw=6, alpha=0.25, solid_capstyle="butt",
                    label=t("legend_guidance") if y == int(np.argmax(guided)) else None)
    if guided.any():  # without a band there is nothing to label
        ax.legend(frameon=False, loc="lower right")
    ax.set_xlabel(t("axis_posts_per_week"))
    below = platforms_below(posting, t)
    title = t("chart_cadence_below_title", platforms=below) if below else t("chart_cadence_title")
    ax.set_title(title, loc="left")
    ax.grid(axis="y", visible=False)
    return fig


def best_time(slots: pd.DataFrame, best: list[int], t: Translator) -> Figure:
    """Heat map of the shrunk engagement index by weekday and hour of publication.

    The colour scale is centred on 1 (an ordinary post): as far below 1 as the best slot lies above it.

    Parameters
    ----------
    slots : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.posting.slot_index` by weekday and hour.
    best : list of int
        The best hours (:func:`~socialops.platform_matrix.posting.best_hours`), named in the title; with none
        (no hour passed the evidence rule) the title only says what the map shows.
    t : Translator
        The report's translator.
    """
    grid = slots.pivot(index="weekday", columns="hour", values="shrunk")
    top = grid.max().max()
    fig, ax = plt.subplots(figsize=(10, 3.8))
    im = ax.imshow(grid.to_numpy(), cmap="RdBu_r", vmin=2 - top, vmax=top, aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [f"{h}" for h in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [t(f"wd_{w}") for w in grid.index])
    ax.set_xlabel(t("axis_hour"))
    ax.grid(False)
    fig.colorbar(im, ax=ax, label=t("axis_index"), shrink=0.8)
    title = t("chart_heatmap_title", hours=hours_label(best)) if best else t("chart_heatmap_plain_title")
    ax.set_title(title, loc="left")
    return fig


def content_types(content: pd.DataFrame, t: Translator) -> Figure:
    """Engagement index per content type with its interval; the best type in the accent colour.

    Parameters
    ----------
    content : pandas.DataFrame
        Output of :func:`~socialops.platform_matrix.posting.group_performance` by content type (best first); the
        title names the best only when there are at least two types to compare.
    t : Translator
        The report's translator.
    """
    d = content.iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 3.4))
    ax.barh(d["content_type"].map(lambda c: t.label("ct", c)), d["index"],
            xerr=_error_bars(d, "index", "index_low", "index_high"), capsize=3,
            color=[ACCENT if i == len(d) - 1 else MUTED for i in range(len(d))])
    ax.axvline(1, color="black", lw=0.8)
    ax.set_xlabel(t("axis_index"))
    title = (t("chart_content_title", content=t.label("ct", content.iloc[0]["content_type"])) if len(content) > 1
             else t("chart_content_plain_title"))
    ax.set_title(title, loc="left")
    ax.grid(axis="y", visible=False)
    return fig


def content_mix(mix: Mapping[str, object], by_platform: pd.DataFrame, t: Translator) -> Figure:
    """Advert share per platform with its interval against the 7:3 ceiling; platforms above it in alert colour.

    Parameters
    ----------
    mix, by_platform
        The two outputs of :func:`~socialops.platform_matrix.posting.content_mix`.
    t : Translator
        The report's translator.
    """
    ceiling = 1 - mix["target_value_share"]
    d = by_platform.sort_values("ad_share")
    fig, ax = plt.subplots(figsize=(8, 3.4))
    ax.barh(platform_labels(d["platform"], t), d["ad_share"],
            xerr=_error_bars(d, "ad_share", "ad_share_low", "ad_share_high"), capsize=3,
            color=[ALERT if s > ceiling else ACCENT for s in d["ad_share"]])
    ax.axvline(ceiling, color="black", ls="--", lw=1, label=t("legend_ceiling"))
    ax.legend(frameon=False, loc="lower right")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: percent(v, 0)))
    ax.set_xlabel(t("axis_ad_share"))
    ax.set_title(t("chart_mix_title", share=percent(mix["ad_share"], 0)), loc="left")
    ax.grid(axis="y", visible=False)
    return fig
