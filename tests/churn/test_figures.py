"""Chapter 04's charts: each reads its texts from the catalog and carries its message in the title."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from socialops.churn import figures
from socialops.churn.analysis import HoldoutCheck
from socialops.report.charts import PLATFORM_COLORS
from socialops.report.i18n import Translator


@pytest.fixture(scope="module")
def t():
    return Translator("en", "churn")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _curve(segment, survival):
    times = list(range(len(survival)))
    return pd.DataFrame({"segment": segment, "time": times, "survival": survival,
                         "ci_low": [s - 0.05 for s in survival], "ci_high": [min(s + 0.05, 1) for s in survival]})


def _overall(median):
    return {"curve": _curve("all", [1.0, 0.8, 0.6]).drop(columns="segment"),
            "median": {"median": median, "ci_low": None, "ci_high": None},
            "at": {"survival": 0.434, "ci_low": 0.4, "ci_high": 0.47}}


def test_survival_overall_titles_the_median_or_the_share_still_active(t):
    fig = figures.survival_overall(_overall(120.4), 180, t)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Half of the customers are still active after 120 d"
    assert ax.get_xlabel() == "Days since first purchase" and ax.get_ylabel() == "Share still active"
    assert ax.get_legend() is None  # one curve needs no legend
    fig = figures.survival_overall(_overall(None), 180, t)
    assert fig.axes[0].get_title(loc="left") == "43.4% of customers are still active after 180 days"  # as the text writes it


def _split(segment_values, survival_at, p_value):
    curves = pd.concat([_curve(v, [1.0, s]) for v, s in zip(segment_values, survival_at, strict=True)])
    medians = pd.DataFrame({"survival_at": survival_at}, index=segment_values)
    return {"curves": curves, "medians": medians, "logrank": {"chi2": 9.0, "df": 1, "p_value": p_value}}


def test_survival_by_segment_puts_the_best_kept_group_first(t):
    fig = figures.survival_by_segment(_split(["0", "1"], [0.3, 0.6], 0.0002), "referred", t)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Customer survival by referral"
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["Referred by a friend", "Came on their own"]


def test_survival_by_platform_uses_the_platform_colours(t):
    fig = figures.survival_by_segment(_split(["douyin", "wechat"], [0.5, 0.4], 0.31), "platform", t)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Customer survival by platform of acquisition"
    assert [to_hex(line.get_color()) for line in ax.get_lines()] == [PLATFORM_COLORS["douyin"],
                                                                     PLATFORM_COLORS["wechat"]]


def test_hazard_ratios_label_the_features(t):
    table = pd.DataFrame({"hazard_ratio": [1.4, 0.6], "ci_low": [1.1, 0.5], "ci_high": [1.8, 0.75]},
                         index=["log_spend_first", "referred"])
    ax = figures.hazard_ratios(table, t).axes[0]
    assert ax.get_title(loc="left") == t("chart_hr")
    assert ax.get_xlabel() == "Hazard ratio of churning (log scale)"
    assert [x.get_text() for x in ax.get_yticklabels()] == ["Referred by a friend", "Spend in the first 30 days (log)"]


def _check(actual, predicted):
    table = pd.DataFrame({"customers": [50, 20, 5], "actual": [0.2, 0.8, 2.0], "actual_ci_low": [0.1, 0.6, 1.5],
                          "actual_ci_high": [0.3, 1.0, 2.5], "predicted": [0.25, 0.7, 1.8]},
                         index=pd.Index([0, 1, 2], name="frequency"))
    return HoldoutCheck(90, pd.Timestamp("2026-07-02"), 75, table, actual, predicted)


def test_calibration_holdout_says_whether_the_model_passed(t):
    ax = figures.calibration_holdout(_check(100.0, 105.0), t).axes[0]
    assert ax.get_title(loc="left") == "The purchase model predicts the last 90 days well"
    assert [x.get_text() for x in ax.get_xticklabels()] == ["0", "1", "2+"]
    ax = figures.calibration_holdout(_check(100.0, 150.0), t).axes[0]
    assert ax.get_title(loc="left") == "The purchase model misses the last 90 days: check before trusting it"


def test_alive_by_value_counts_the_list_in_the_title(t):
    scored = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "p_alive": [0.1, 0.2, 0.9, 0.95],
                           "total_spend": [500.0, 0.0, 800.0, 20.0]})
    at_risk = pd.DataFrame({"user_id": ["a"] * 1234, "p_alive": 0.1, "total_spend": 500.0})
    ax = figures.alive_by_value(scored, at_risk, 0.75, 0.5, t).axes[0]
    assert ax.get_title(loc="left") == "1,234 valuable customers are probably gone"
    assert ax.get_ylim()[0] == 0
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["Other customers", "Win-back list"]


def test_alive_by_value_highlights_exactly_the_list(t):
    # with every spend at zero the spend threshold is zero too: zero spenders stay off the list, and off the red
    scored = pd.DataFrame({"user_id": ["a", "b", "c"], "p_alive": [0.1, 0.2, 0.9], "total_spend": [0.0, 0.0, 0.0]})
    others, listed = figures.alive_by_value(scored, scored.iloc[:0], 0.75, 0.5, t).axes[0].collections
    assert len(others.get_offsets()) == 3 and len(listed.get_offsets()) == 0
    scored = scored.assign(total_spend=[500.0, 0.0, 800.0])
    others, listed = figures.alive_by_value(scored, scored.iloc[[0]], 0.75, 0.5, t).axes[0].collections
    assert listed.get_offsets().tolist() == [[0.1, 500.0]]


def test_alive_by_value_draws_counted_rows_as_their_customers(t):
    # three customers share the first point: the threshold is the quantile of the customers, not of the points
    customers = pd.DataFrame({"p_alive": [0.1, 0.1, 0.1, 0.2, 0.9], "total_spend": [500.0, 500.0, 500.0, 40.0, 800.0]})
    counted = customers.groupby(["p_alive", "total_spend"]).size().rename("weight").reset_index()
    listed = customers.iloc[[0, 1, 2]]
    plain = figures.alive_by_value(customers, listed, 0.5, 0.5, t).axes[0]
    ax = figures.alive_by_value(counted, listed, 0.5, 0.5, t).axes[0]
    assert ax.lines[1].get_ydata()[0] == plain.lines[1].get_ydata()[0] == 500.0
    assert ax.collections[1].get_offsets().tolist() == [[0.1, 500.0]]
    assert ax.get_title(loc="left") == plain.get_title(loc="left") == "3 valuable customers are probably gone"


def test_winback_rates_give_the_uplift_only_when_it_is_clear(t):
    effect = {"comebacks_holdout": 5, "n_holdout": 100, "comebacks_treated": 135, "n_treated": 900,
              "uplift": 0.1, "p_value": 0.004, "ci_low": 0.05, "verdict": "ship"}
    ax = figures.winback_rates(effect, t).axes[0]
    assert [round(p.get_height(), 3) for p in ax.patches] == [0.05, 0.15]
    assert ax.get_title(loc="left") == "The offer raised the comeback rate by 10.0 percentage points"
    assert [x.get_text() for x in ax.get_xticklabels()] == ["Holdout (no offer)", "Offer sent"]
    ax = figures.winback_rates(effect | {"p_value": 0.2, "ci_low": -0.02, "verdict": "keep_running"}, t).axes[0]
    assert ax.get_title(loc="left") == "The offer made no clear difference to comebacks"
