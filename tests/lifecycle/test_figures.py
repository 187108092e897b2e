"""The lifecycle charts draw the data they are given, with the title that states their message."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from socialops.lifecycle import figures as charts  # noqa: E402
from socialops.lifecycle.analysis import STAGES, UNSEEN  # noqa: E402
from tests.conftest import title_of

LABELS = {s: s.upper() for s in (*STAGES, UNSEEN, "a", "b")}


def test_stage_bars_sorted_with_previous_marker():
    sizes = pd.DataFrame(
        {"users": [5, 30, 10, 2, 50], "previous_users": [4, 20, 10, 3, 40]}, index=list(STAGES)
    )
    fig = charts.stage_bars(sizes, LABELS, "title", "before")
    ax = fig.axes[0]
    assert title_of(ax) == "title"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["LOYAL", "POTENTIAL", "ACTIVE", "NEW", "CHURNED"]
    assert [p.get_width() for p in ax.patches] == [2, 5, 10, 30, 50]
    plt.close(fig)


def test_cohort_heatmap_drops_month_zero_and_unobserved_rows():
    table = pd.DataFrame(
        {"size": [10, 5], 0: [1.0, 1.0], 1: [0.3, np.nan], 2: [0.2, np.nan]}, index=["2026-07", "2026-08"]
    )
    fig = charts.cohort_heatmap(table, "t", "x", "y")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2026-07"]
    plt.close(fig)


def test_other_charts_render():
    funnel = pd.DataFrame(
        {"reached": [100, 50, 20, 5], "conversion": [np.nan, 0.5, 0.4, 0.25]},
        index=["potential", "new", "active", "loyal"],
    )
    matrix = pd.DataFrame(np.arange(30).reshape(6, 5), index=[UNSEEN, *STAGES], columns=list(STAGES))
    shares = pd.DataFrame({"user_share": [0.7, 0.3], "revenue_share": [0.2, 0.8]}, index=["a", "b"])
    trend = pd.DataFrame({"r": [0.1, 0.2], "lo": [0.05, 0.1], "hi": [0.2, 0.3]}, index=["2026-08", "2026-09"])
    figs = [
        charts.funnel_bars(funnel, LABELS, "f"),
        charts.transition_heatmap(matrix, LABELS, "m", "from", "to"),
        charts.share_comparison(shares, LABELS, "s", "users", "revenue"),
        charts.rate_trend(trend, {"rate": ("r", "lo", "hi")}, "r"),
    ]
    assert [title_of(f.axes[0]) for f in figs] == ["f", "m", "s", "r"]
    assert [p.get_width() for p in figs[0].axes[0].patches] == [100, 50, 20, 5]
    for fig in figs:
        plt.close(fig)
