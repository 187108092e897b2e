"""Charts of chapter 03: each takes the analysis frames and the translator, and reads its texts from the catalog."""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from socialops.ab_testing.analysis import significant_in_sound_tests
from socialops.report.charts import ACCENT, ALERT, MUTED
from socialops.report.format import percent, signed
from socialops.report.i18n import Translator
from socialops.stats.decision import direction


def forest_chart(tests: pd.DataFrame, broken: set[str], t: Translator, alpha: float = 0.05) -> Figure:
    """Change in conversion (percentage points) of every variant with its interval, sorted.

    Variants that show a change by the decision rule (adjusted p-value below ``alpha`` and an interval
    wholly on one side of 0) are drawn in the accent colour; experiments with a
    sample ratio mismatch in the alert colour (their intervals are not to be trusted). The title counts the
    comparisons of sound tests that moved conversion.

    Parameters
    ----------
    tests : pandas.DataFrame
        ``Analysis.tests``.
    broken : set of str
        Experiments whose split is broken.
    t : Translator
        The report's translator.
    alpha : float
        Significance level of the adjusted p-values and of the intervals.

    Returns
    -------
    matplotlib.figure.Figure
    """
    conv = tests[tests["metric"] == "conversion"].sort_values("abs_diff").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(conv) + 1.6))
    for i, r in conv.iterrows():
        shown = direction(r["p_adjusted"], r["ci_low"], r["ci_high"], alpha) != 0
        color = ALERT if r["experiment_id"] in broken else ACCENT if shown else MUTED
        ax.plot([100 * r["ci_low"], 100 * r["ci_high"]], [i, i], color=color, lw=2.5, solid_capstyle="round")
        ax.plot(100 * r["abs_diff"], i, "o", color=color, ms=7)
    ax.axvline(0, color="#4a5568", lw=1)
    ax.set_yticks(range(len(conv)))
    ax.set_yticklabels([f"{r.experiment_id}: {r.variant} vs {r.control}" for r in conv.itertuples()])
    ax.set_xlabel(t("fig_forest_x", level=f"{100 * (1 - alpha):g}"))
    if broken & set(conv["experiment_id"]):
        ax.text(0.99, 0.01, t("fig_forest_broken"), transform=ax.transAxes, ha="right", va="bottom",
                color=ALERT, fontsize=9)
    n_sig, n = significant_in_sound_tests(tests, broken, alpha)
    ax.set_title(t("fig_forest_title", n_sig=n_sig, n=n), loc="left")
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def peeking_chart(looks: pd.DataFrame, t: Translator, alpha: float = 0.05) -> Figure:
    """Classic against always-valid p-value, read after each day, one panel per comparison (conversion).

    Parameters
    ----------
    looks : pandas.DataFrame
        ``Analysis.looks``.
    t : Translator
        The report's translator.
    alpha : float
        The level marked on every panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    conv = looks[looks["metric"] == "conversion"]
    pairs = list(conv.groupby(["experiment_id", "variant"], sort=True))
    cols = min(3 if len(pairs) > 4 else 2, len(pairs))  # wide rather than tall: it fits a slide
    rows = math.ceil(len(pairs) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(9.0, 4.5 * cols), 2.6 * rows + 0.8), squeeze=False, sharey=True)
    floor = min(1e-3, float(conv[["p_classic", "p_sequential"]].min().min()) / 2)
    for ax, ((exp, var), g) in zip(axes.flat, pairs, strict=False):
        day = np.arange(1, len(g) + 1)
        ax.plot(day, g["p_classic"], color=MUTED, lw=1.8, label=t("fig_peek_classic"))
        ax.plot(day, g["p_sequential"], color=ACCENT, lw=2.2, label=t("fig_peek_sequential"))
        ax.axhline(alpha, color=ALERT, lw=1, ls="--", label=t("fig_peek_alpha", alpha=f"{alpha:g}"))
        ax.set_yscale("log")
        ax.set_ylim(floor, 1.5)
        ax.set_title(f"{exp}: {var}", loc="left", fontsize=10)
        ax.set_xlabel(t("fig_peek_x"))
    for ax in axes[:, 0]:
        ax.set_ylabel(t("fig_peek_y"))
    for ax in list(axes.flat)[len(pairs):]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="lower left", fontsize=8, frameon=False)
    fig.suptitle(t("fig_peek_title"), x=0.01, ha="left")
    fig.tight_layout()
    return fig


def power_chart(curve: pd.DataFrame, plan: Mapping[str, float], target_power: float, t: Translator) -> Figure:
    """Power against units per variant, one line per minimum detectable effect; the plan marked.

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`socialops.ab_testing.analysis.plan_power_curve`.
    plan : mapping
        From :func:`socialops.ab_testing.analysis.plan_next`.
    target_power : float
        The power the plan is sized for.
    t : Translator
        The report's translator.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for mde, g in curve.groupby("mde", sort=True):
        chosen = math.isclose(mde, plan["mde"])
        ax.plot(g["n_per_variant"], g["power"], color=ACCENT if chosen else MUTED, lw=2.5 if chosen else 1.5,
                ls="-" if chosen or mde > plan["mde"] else "--", label=t("fig_power_line", mde=f"{100 * mde:.2g}"))
    ax.legend(loc="lower right", frameon=False)
    ax.axhline(target_power, color=ALERT, lw=1, ls="--")
    ax.axvline(plan["n_per_variant"], color=ACCENT, lw=1, ls=":")
    ax.set_xlabel(t("fig_power_x"))
    ax.set_ylabel(t("fig_power_y"))
    ax.set_ylim(0, 1.02)
    ax.set_title(t("fig_power_title", n=f"{plan['n_per_variant']:,}", power=percent(target_power, 0),
                   mde=signed(plan["mde"], 2, 100, t("unit_pp")).lstrip("+")), loc="left")
    fig.tight_layout()
    return fig
