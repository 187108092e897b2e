"""The lifecycle charts draw the data they are given, with the title that states their message."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from socialops.lifecycle import figures as charts
from socialops.lifecycle.analysis import STAGES, UNSEEN
from socialops.report.charts import apply_theme
from socialops.report.i18n import Translator
from socialops.stats.rfm import SEGMENT_ORDER, TIERS
from tests.conftest import title_of

EN = Translator("en", "lifecycle")
ZH = Translator("zh", "lifecycle")


def setup_module():
    apply_theme()  # the CJK font, as Report.start sets it


def labels(ax, axis="y"):
    ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in ticks]


def test_stage_bars_sorted_with_previous_marker():
    sizes = pd.DataFrame(
        {"users": [5, 30, 10, 2, 50], "share": [5 / 97, 30 / 97, 10 / 97, 2 / 97, 50 / 97],
         "previous_users": [4, 20, 10, 3, 40]},
        index=list(STAGES),
    )
    fig = charts.stage_bars(sizes, EN, 30)
    ax = fig.axes[0]
    assert title_of(ax) == "Churned is the largest group: 51.5% of all users"
    assert ax.get_title("left") == title_of(ax)
    assert labels(ax) == ["Loyal", "Potential", "Active", "New", "Churned"]
    assert [p.get_width() for p in ax.patches] == [2, 5, 10, 30, 50]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["30 days earlier"]
    assert [t.get_text() for t in ax.texts] == [" 2", " 5", " 10", " 30", " 50"]
    plt.close(fig)


def test_cohort_heatmap_drops_month_zero_and_unobserved_rows():
    table = pd.DataFrame(
        {"size": [10, 5], 0: [1.0, 1.0], 1: [0.3, np.nan], 2: [0.2, np.nan]}, index=["2026-07", "2026-08"]
    )
    fig = charts.cohort_heatmap(table, EN)
    ax = fig.axes[0]
    assert labels(ax, "x") == ["1", "2"]
    assert labels(ax) == ["2026-07"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Months since first purchase", "First-purchase month")
    assert title_of(ax) == EN("chart_cohorts")
    plt.close(fig)


def test_funnel_bars_title_states_the_buyers_share():
    funnel = pd.DataFrame(
        {"reached": [100, 50, 20, 5], "conversion": [np.nan, 0.5, 0.4, 0.25],
         "ci_low": [np.nan, 0.40, 0.219, 0.0], "ci_high": [np.nan, 0.60, 0.613, 0.73]},
        index=["potential", "new", "active", "loyal"],
    )
    fig = charts.funnel_bars(funnel, EN)
    ax = fig.axes[0]
    assert title_of(ax) == "20.0% of live users have bought at least once"
    assert [p.get_width() for p in ax.patches] == [100, 50, 20, 5]
    assert labels(ax) == ["Potential", "New", "Active", "Loyal"]
    assert list(ax.get_yticks()) == [3, 2, 1, 0]  # the first step on top
    # each step to the precision of its interval, as the funnel table writes it
    assert [t.get_text() for t in ax.texts] == [" 100", " 50  (50%)", " 20  (40%)", " 5  (25%)"]
    plt.close(fig)
    empty = charts.funnel_bars(funnel.assign(reached=0), EN)
    assert title_of(empty.axes[0]).startswith("0.0%")
    plt.close(empty)


def test_transition_heatmap_labels_in_chinese():
    matrix = pd.DataFrame(np.arange(30).reshape(6, 5), index=[UNSEEN, *STAGES], columns=list(STAGES))
    fig = charts.transition_heatmap(matrix, ZH, 14)
    ax = fig.axes[0]
    assert title_of(ax) == "近 14 天用户在阶段之间的流动"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("当前阶段", "14 天前所处阶段")
    assert labels(ax)[0] == "尚未出现" and labels(ax, "x")[-1] == "流失用户"
    plt.close(fig)


def test_tier_shares_sorted_by_revenue_share():
    tiers = pd.DataFrame(
        {"user_share": [0.1, 0.2, 0.5, 0.2], "revenue_share": [0.45, 0.3, 0.2, 0.05]}, index=list(TIERS)
    )
    fig = charts.tier_shares(tiers, EN)
    ax = fig.axes[0]
    assert title_of(ax) == "High-value customers bring 45.0% of revenue from 10.0% of customers"
    assert labels(ax) == ["Low value", "General", "Potential high value", "High value"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Share of revenue", "Share of customers"]
    plt.close(fig)


def test_segment_shares_leave_out_empty_segments():
    segments = pd.DataFrame(
        {"users": [3, 0, 1, 0, 0, 0, 0, 6], "user_share": [0.3, 0, 0.1, 0, 0, 0, 0, 0.6],
         "revenue_share": [0.7, 0, 0.2, 0, 0, 0, 0, 0.1]},
        index=list(SEGMENT_ORDER),
    )
    fig = charts.segment_shares(segments, EN)
    ax = fig.axes[0]
    assert title_of(ax) == EN("chart_segments")
    assert labels(ax) == ["General win-back", "Important retention", "Important value"]
    assert len(ax.patches) == 6
    plt.close(fig)


def test_virality_trend_draws_both_rates():
    trend = pd.DataFrame(
        {"share_rate": [0.1, 0.2], "share_ci_low": [0.05, 0.1], "share_ci_high": [0.2, 0.3],
         "k_factor": [0.01, 0.02], "k_ci_low": [0.0, 0.01], "k_ci_high": [0.03, 0.04]},
        index=["2026-08", "2026-09"],
    )
    fig = charts.virality_trend(trend, EN)
    share, k = fig.axes
    assert title_of(share) == EN("chart_virality")
    assert [line.get_label() for line in share.get_lines()] == ["Share rate"]
    assert [line.get_label() for line in k.get_lines()] == ["K-factor"]
    assert list(k.get_lines()[0].get_ydata()) == [0.01, 0.02]
    # the share rate on a percent axis; the K-factor, a ratio, on a plain one: 0.02 reads 0.02, not 2 %
    assert isinstance(share.yaxis.get_major_formatter(), PercentFormatter)
    assert not isinstance(k.yaxis.get_major_formatter(), PercentFormatter)
    fig.canvas.draw()
    assert not any("%" in tick.get_text() for tick in k.get_yticklabels())
    assert labels(k, "x") == ["2026-08", "2026-09"]
    plt.close(fig)


def test_charts_without_the_events_behind_a_claim_draw_without_it():
    funnel = pd.DataFrame({"reached": [50, 20], "conversion": [np.nan, np.nan], "ci_low": [np.nan, np.nan],
                           "ci_high": [np.nan, np.nan]}, index=["active", "loyal"])
    fig = charts.funnel_bars(funnel, EN, buyers=False)
    assert title_of(fig.axes[0]) == "Users who reached each step of the funnel"
    assert [t.get_text() for t in fig.axes[0].texts] == [" 50", " 20"]
    plt.close(fig)
    trend = pd.DataFrame({"share_rate": [0.1], "share_ci_low": [0.05], "share_ci_high": [0.2], "k_factor": [0.0],
                          "k_ci_low": [0.0], "k_ci_high": [0.01]}, index=["2026-09"])
    fig = charts.virality_trend(trend, EN, ("share_rate",))
    assert len(fig.axes) == 1 and [line.get_label() for line in fig.axes[0].get_lines()] == ["Share rate"]
    assert title_of(fig.axes[0]) == "Share rate by month, with 95% intervals"
    plt.close(fig)


def test_the_k_factor_alone_is_never_on_a_percent_axis():
    trend = pd.DataFrame({"share_rate": [0.1], "share_ci_low": [0.05], "share_ci_high": [0.2],
                          "k_factor": [0.014], "k_ci_low": [0.010], "k_ci_high": [0.018]}, index=["2026-09"])
    fig = charts.virality_trend(trend, ZH, ("k_factor",))
    (ax,) = fig.axes
    fig.canvas.draw()
    assert title_of(ax) == ZH("chart_virality_one", metric=ZH("metric_k_factor"))
    assert not any("%" in tick.get_text() for tick in ax.get_yticklabels())
    plt.close(fig)
