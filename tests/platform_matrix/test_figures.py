"""Unit tests of socialops.platform_matrix.figures: what each chart of chapter 01 draws and says."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure

from socialops.platform_matrix import figures
from socialops.report import charts
from socialops.report.charts import ACCENT, ALERT, MUTED, PLATFORM_COLORS
from tests.conftest import title_of
from tests.platform_matrix.test_present import (
    CONTENT,
    EN,
    MIX,
    ZH,
    make_cadence,
    make_fit,
    make_metrics,
    make_money,
    make_scored,
    without,
)


@pytest.fixture(autouse=True)
def no_figure_left_open():
    plt.close("all")
    yield
    plt.close("all")


def drawn(fig) -> Figure:
    """Check that a chart returned the one figure it opened, draw it, and hand it back."""
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == [fig.number]
    fig.canvas.draw()
    return fig


def closed(fig: Figure) -> None:
    """Close a chart as ``rep.figure`` does and check that nothing stays open."""
    plt.close(fig)
    assert plt.get_fignums() == []


def ticks(ax, axis: str = "y") -> list[str]:
    return [label.get_text() for label in getattr(ax, f"get_{axis}ticklabels")()]


def bar_colors(ax) -> list[tuple]:
    return [patch.get_facecolor() for patch in ax.patches]


METRICS = make_metrics(impressions=[3_000_000.0, 1_000_000.0, 2_000_000.0])


def test_reach_bars_are_millions_of_impressions_largest_on_top():
    fig = drawn(figures.reach(METRICS, EN))
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Douyin reaches the most people"
    assert ax.get_xlabel() == "Impressions in the period (millions)"
    assert ticks(ax) == ["WeChat", "newsite", "Douyin"]
    assert [p.get_width() for p in ax.patches] == [1.0, 2.0, 3.0]
    assert bar_colors(ax) == [to_rgba(PLATFORM_COLORS["wechat"]), to_rgba(ACCENT),
                              to_rgba(PLATFORM_COLORS["douyin"])]
    closed(fig)


def test_reach_title_in_chinese():
    with plt.rc_context():
        charts.apply_theme()  # the CJK font, as in the report
        fig = drawn(figures.reach(METRICS, ZH))
    assert title_of(fig.axes[0]) == "抖音的曝光量最大"
    closed(fig)


def test_rates_draw_a_panel_per_rate_present():
    fig = drawn(figures.rates(METRICS, EN))
    assert fig.get_suptitle() == "Each platform is strong at a different step"
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["Engagement rate", "Click-through rate",
                                                             "Conversion rate"]
    assert all(len(ax.patches) == 3 and isinstance(ax.containers[-1], BarContainer) for ax in fig.axes)
    assert all(any(isinstance(c, ErrorbarContainer) for c in ax.containers) for ax in fig.axes)
    assert ticks(fig.axes[0]) == ["Douyin", "newsite", "WeChat"]
    closed(fig)
    fig = drawn(figures.rates(without(METRICS, "conversion_rate"), EN))
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["Engagement rate", "Click-through rate"]
    closed(fig)


def test_audience_fit_on_a_unit_scale():
    fig = drawn(figures.audience_fit(make_fit(), EN))
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Xiaohongshu matches the target audience best"
    assert ax.get_xlim() == (0.0, 1.0) and ax.get_xlabel() == "Audience fit (1 = perfect match)"
    assert ticks(ax) == ["Douyin", "WeChat", "Xiaohongshu"]
    assert [p.get_width() for p in ax.patches] == [0.455, 0.7, 0.812]
    closed(fig)


def test_score_bars_carry_their_role():
    fig = drawn(figures.score(make_scored(("core", "auxiliary", "deprioritize")), "conversion", EN))
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Under the conversion goal, WeChat comes first"
    assert ticks(ax) == ["Weibo", "Xiaohongshu", "WeChat"]
    assert [text.get_text() for text in ax.texts] == ["deprioritize", "auxiliary", "core"]
    assert bar_colors(ax) == [to_rgba(ALERT), to_rgba(MUTED), to_rgba(ACCENT)]
    closed(fig)
    fig = drawn(figures.score(make_scored(), "custom", EN))
    assert title_of(fig.axes[0]) == "Under the custom weights goal, WeChat comes first"
    closed(fig)


def test_cadence_marks_platforms_below_guidance():
    fig = drawn(figures.cadence(make_cadence(), EN))
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Douyin: fewer posts than the guidance"
    assert ticks(ax) == ["Weibo", "WeChat", "Douyin"]
    assert bar_colors(ax) == [to_rgba(MUTED), to_rgba(MUTED), to_rgba(ALERT)]
    assert len(ax.lines) == 2  # a guidance band for each platform with guidance
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["guidance"]
    closed(fig)
    fig = drawn(figures.cadence(make_cadence(8.0), EN))
    assert title_of(fig.axes[0]) == "Posting cadence against guidance"
    closed(fig)
    # without any guidance band, no empty legend (matplotlib would warn into the report)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = drawn(figures.cadence(make_cadence().iloc[[2]], EN))
    assert fig.axes[0].get_legend() is None and not fig.axes[0].lines
    closed(fig)


def test_best_time_heat_map_is_centred_on_the_average():
    slots = pd.DataFrame([{"weekday": w, "hour": h, "shrunk": 1.5 if h == 20 else 0.9} for w in range(7)
                          for h in (8, 20, 21)])
    fig = drawn(figures.best_time(slots, [20, 21], EN))
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Posts at 20:00–21:59 earn the most engagement"
    assert ticks(ax) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert ticks(ax, "x") == ["8", "20", "21"]
    image = ax.get_images()[0]
    assert image.get_array().shape == (7, 3)
    assert image.get_clim() == pytest.approx((0.5, 1.5))
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "Engagement index (1 = platform average)"
    closed(fig)


def test_content_types_best_on_top_in_the_accent_colour():
    fig = drawn(figures.content_types(CONTENT, EN))
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Of all content types, tutorial engages most"
    assert ticks(ax) == ["promotion", "story", "tutorial"]
    assert bar_colors(ax) == [to_rgba(MUTED), to_rgba(MUTED), to_rgba(ACCENT)]
    assert ax.lines[-1].get_xdata()[0] == 1  # the platform average
    closed(fig)


def test_content_mix_against_the_ceiling():
    by_platform = pd.DataFrame({"platform": ["douyin", "wechat"], "posts": [100, 50], "ads": [45, 10],
                                "ad_share": [0.45, 0.2], "ad_share_low": [0.35, 0.11],
                                "ad_share_high": [0.55, 0.33]})
    fig = drawn(figures.content_mix(MIX, by_platform, EN))
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Adverts take 40% of posts, against a 30% ceiling"
    assert ticks(ax) == ["WeChat", "Douyin"]
    assert bar_colors(ax) == [to_rgba(ACCENT), to_rgba(ALERT)]
    assert ax.lines[-1].get_xdata()[0] == pytest.approx(0.3)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["7:3 ceiling"]
    assert ticks(ax, "x")[1:3] == [f"{v:.0%}" for v in np.arange(0.1, 0.3, 0.1)]
    closed(fig)


def test_titles_claim_a_best_hour_or_type_only_when_there_is_one():
    slots = pd.DataFrame([{"weekday": w, "hour": h, "shrunk": 1.0} for w in range(7) for h in (8, 20)])
    fig = drawn(figures.best_time(slots, [], EN))
    assert fig.axes[0].get_title(loc="left") == "Engagement by weekday and hour of publication"
    closed(fig)
    fig = drawn(figures.content_types(CONTENT.iloc[:1], EN))
    assert fig.axes[0].get_title(loc="left") == "Engagement by content type"
    closed(fig)


def test_money_bars_are_thousands_of_the_currency_spend_beside_revenue():
    fig = drawn(figures.money(make_money(), EN, "USD"))
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Spend returns most on WeChat"  # its whole interval above the others'
    assert ax.get_xlabel() == "Thousands of USD"
    assert ticks(ax) == ["WeChat", "Weibo", "Douyin"]  # largest spend on top
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([100.12214, 662.12158, 2193.73887, 2029.65137, 618.393, 783.617])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Spend", "Revenue"]
    closed(fig)
    no_revenue = make_money().assign(revenue=np.nan, roi=np.nan, roi_low=np.nan, roi_high=np.nan)
    with plt.rc_context():
        charts.apply_theme()  # the CJK font, as in the report
        fig = drawn(figures.money(no_revenue, ZH, "CNY"))
    assert len(fig.axes[0].patches) == 3 and fig.axes[0].get_xlabel() == "金额（千 CNY）"
    assert fig.axes[0].get_title(loc="left") == "各平台投放花费与收入"  # no return to compare
    closed(fig)


def test_the_roi_leader_is_named_only_when_its_interval_clears_every_other():
    assert figures.clear_roi_leader(make_money()) == "wechat"
    overlapping = make_money().assign(roi_low=[-0.67, -0.05, -0.13])
    assert figures.clear_roi_leader(overlapping) is None
    assert figures.clear_roi_leader(make_money().iloc[:1]) is None
