"""Charts of chapter 03: they build in Chinese, and every text on them comes from the catalog."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from socialops.ab_testing import figures, plan_next, plan_power_curve, power_curve
from socialops.report.charts import ALERT, apply_theme
from socialops.report.i18n import Translator
from tests.conftest import title_of


@pytest.fixture(scope="module")
def t():
    apply_theme()  # the CJK font, as Report.start sets it
    return Translator("zh", "ab_testing")


def test_charts_build_with_translated_text(every_verdict, t):
    analysis = every_verdict
    fig = figures.forest_chart(analysis.tests, {"bad"}, t, 0.05)
    assert fig.axes[0].get_xlabel() == t("fig_forest_x", level="95")
    plt.close(fig)
    fig = figures.peeking_chart(analysis.looks, t, 0.05)
    assert sum(ax.get_visible() for ax in fig.axes) == 4
    plt.close(fig)
    plan = plan_next(0.05, 0.01, 1000)
    fig = figures.power_chart(power_curve(0.05, [0.005, 0.01, 0.02], np.linspace(10, 20000, 50)), plan, 0.8, t)
    assert fig.axes[0].get_ylabel() == t("fig_power_y")
    plt.close(fig)


def test_forest_title_counts_sound_significant_variants(every_verdict, t):
    tests = every_verdict.tests
    fig = figures.forest_chart(tests, {"bad"}, t, 0.05)
    ax = fig.axes[0]
    # good and worse moved conversion; flat did not; bad is left out of the count
    assert title_of(ax) == t("fig_forest_title", n_sig=2, n=3)
    assert [label.get_text() for label in ax.get_yticklabels()][0] == "worse: x vs holdout"
    assert any(text.get_text() == t("fig_forest_broken") and text.get_color() == ALERT for text in ax.texts)
    plt.close(fig)
    fig = figures.forest_chart(tests, set(), t, 0.05)
    assert title_of(fig.axes[0]) == t("fig_forest_title", n_sig=2, n=4)
    assert not fig.axes[0].texts  # no broken split, no warning
    plt.close(fig)


def test_peeking_chart_panels_and_title(every_verdict, t):
    fig = figures.peeking_chart(every_verdict.looks, t, 0.05)
    assert fig.get_suptitle() == t("fig_peek_title")
    titles = sorted(title_of(ax) for ax in fig.axes if ax.get_visible())
    assert titles == ["bad: v", "flat: B", "good: new", "worse: x"]
    plt.close(fig)


def test_power_chart_title_reads_the_plan(t):
    plan = plan_next(0.04, 0.01, 1000)
    fig = figures.power_chart(plan_power_curve(0.04, plan, points=30), plan, 0.8, t)
    ax = fig.axes[0]
    assert title_of(ax) == t("fig_power_title", n="6,745", power="80%", mde="1.00" + t("unit_pp"))
    assert len(ax.get_lines()) == 3 + 2  # three curves, the target power and the planned size
    plt.close(fig)
