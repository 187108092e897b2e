"""Charts of the crisis postmortem: they build in Chinese, and every text on them comes from the catalog."""

from dataclasses import replace

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from socialops.crisis import figures
from socialops.crisis.analysis import crisis_window_by_platform
from socialops.report.charts import apply_theme
from socialops.report.i18n import Translator
from tests.conftest import title_of


@pytest.fixture(scope="module")
def t():
    apply_theme()  # the CJK font, as Report.start sets it
    return Translator("zh", "crisis_postmortem")


def test_timeline_marks_every_moment_and_says_the_statement_was_late(crisis, t):
    fig = figures.plot_timeline(crisis, t)
    ax, ax2 = fig.axes
    assert title_of(ax) == t("chart_timeline_title")
    assert (ax.get_ylabel(), ax2.get_ylabel()) == (t("chart_mentions"), t("chart_sentiment"))
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == [t("chart_band"), t("chart_expected"), t("chart_observed")]
    notes = [text.get_text().split("\n")[0] for text in ax.texts]
    assert notes == [t(f"event_{name}") for name in ("onset", "alert", "peak", "response", "recovered")]
    plt.close(fig)
    fig = figures.plot_timeline(replace(crisis, met_24h_rule=True), t)
    assert title_of(fig.axes[0]) == t("chart_timeline_title_met")
    plt.close(fig)
    # without a timed statement (no is_official, or the deadline still open) the title says nothing of it
    fig = figures.plot_timeline(replace(crisis, met_24h_rule=None), t)
    assert title_of(fig.axes[0]) == t("chart_timeline_title_plain")
    plt.close(fig)


def test_timeline_leaves_out_moments_outside_the_view(crisis, t):
    fig = figures.plot_timeline(crisis, t, days_before=0, days_after=1)
    notes = [text.get_text().split("\n")[0] for text in fig.axes[0].texts]
    assert t("event_recovered") not in notes and t("event_onset") in notes
    plt.close(fig)


def test_spread_chart_names_the_platforms(crisis_table, crisis, t):
    wide = crisis_window_by_platform(crisis_table, crisis)
    fig = figures.plot_spread(wide, t, lambda p: t(f"platform_{p}"))
    ax = fig.axes[0]
    assert title_of(ax) == t("chart_spread_title") and ax.get_ylabel() == t("chart_mentions")
    legend = {text.get_text() for text in ax.get_legend().get_texts()}
    assert legend == {t("platform_weibo"), t("platform_douyin"), t("platform_xiaohongshu")}
    # the busiest platform is drawn first
    assert ax.get_lines()[0].get_label() == t(f"platform_{wide.sum().idxmax()}")
    plt.close(fig)


def test_words_chart_puts_the_most_frequent_on_top(t):
    words = pd.DataFrame({"word": ["退款", "客服", "质量"], "count": [5, 9, 2]})
    fig = figures.plot_words(words, t)
    ax = fig.axes[0]
    assert title_of(ax) == t("chart_words_title") and ax.get_xlabel() == t("chart_count")
    assert [label.get_text() for label in ax.get_yticklabels()] == ["质量", "退款", "客服"]
    plt.close(fig)
