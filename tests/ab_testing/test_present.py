"""Reader-facing pieces of chapter 03: every message exists in both languages and formats; charts build."""

import matplotlib

matplotlib.use("Agg")

import ibis  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from socialops.ab_testing import analyse_experiments, figures, plan_next, power_curve, present  # noqa: E402  # noqa: E402
from socialops.report.charts import apply_theme  # noqa: E402
from socialops.report.i18n import Translator  # noqa: E402


@pytest.fixture(scope="module")
def analysis():
    rng = np.random.default_rng(8)
    frames = []
    for exp, arms in {"good": {"control": (3000, 0.05), "new": (3000, 0.08)},
                      "flat": {"A": (400, 0.05), "B": (400, 0.05)},
                      "bad": {"control": (3000, 0.05), "v": (2500, 0.05)},
                      "worse": {"holdout": (4000, 0.08), "x": (4000, 0.04)}}.items():
        for variant, (n, rate) in arms.items():
            frames.append(pd.DataFrame({
                "experiment_id": exp, "unit_id": [f"{exp}{variant}{i}" for i in range(n)], "variant": variant,
                "assigned_at": pd.Timestamp("2026-05-01") + pd.to_timedelta(rng.integers(0, 240, n), unit="h"),
                "converted": (rng.random(n) < rate).astype("int64")}))
    return analyse_experiments(ibis.memtable(pd.concat(frames, ignore_index=True)))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_verdict_has_a_message(analysis, lang):
    t = Translator(lang, "ab_testing")
    reasons = set(analysis.verdicts.reason)
    assert reasons == {"winner", "underpowered", "srm", "harm"}
    for _, v in analysis.verdicts.iterrows():
        key, values = present.verdict_message(v, analysis.tests, analysis.srm, t, 0.01, 0.05)
        text = t(key, **values)
        assert v.experiment_id in text and "{" not in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tables_use_the_catalog(analysis, lang):
    t = Translator(lang, "ab_testing")
    table = present.tests_table(analysis.tests, t)
    assert list(table.columns)[:2] == [t("col_experiment"), t("col_metric")]
    good = table[table[t("col_experiment")] == "good"].iloc[0]
    assert good[t("col_diff")].endswith(t("unit_pp")) and good[t("col_diff")].startswith("+")
    assert present.srm_table(analysis.srm, t)[t("col_status")].tolist().count(t("srm_status_broken")) == 1
    assert len(present.verdict_table(analysis.verdicts, t)) == 4


def test_number_formats():
    assert present.pct(0.04123) == "4.12%"
    assert present.signed(0.0101, 2, 100, " pp") == "+1.01 pp"
    assert present.p_text(0.0004) == "< 0.001" and present.p_text(0.0123) == "0.012"
    assert present.small(0.00009, 3) == "< 0.001" and present.small(0.0123, 3) == "0.012"
    assert present.split_text({"holdout": 0.1, "coupon": 0.9}) == "holdout 10% / coupon 90%"
    assert present.effective_sample_factor(0.5) == pytest.approx(2.0)


def test_peeking_summary_counts_days(analysis):
    summary = present.peeking_summary(analysis.looks, 0.05).set_index("experiment_id")
    looks = analysis.looks[(analysis.looks.experiment_id == "good") & (analysis.looks.metric == "conversion")]
    assert summary.loc["good", "days"] == len(looks) == 10
    assert summary.loc["good", "days_below"] == int((looks.p_classic < 0.05).sum())


def test_charts_build_with_translated_text(analysis):
    apply_theme()  # the CJK font, as Report.start sets it
    t = Translator("zh", "ab_testing")
    fig = figures.forest_chart(analysis.tests, {"bad"}, t, "标题", 0.05)
    assert fig.axes[0].get_xlabel() == t("fig_forest_x", level="95")
    plt.close(fig)
    fig = figures.peeking_chart(analysis.looks, t, "标题", 0.05)
    assert sum(ax.get_visible() for ax in fig.axes) == 4
    plt.close(fig)
    plan = plan_next(0.05, 0.01, 1000)
    fig = figures.power_chart(power_curve(0.05, [0.005, 0.01, 0.02], np.linspace(10, 20000, 50)), plan, 0.8, t, "x")
    assert fig.axes[0].get_ylabel() == t("fig_power_y")
    plt.close(fig)
