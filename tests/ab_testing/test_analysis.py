"""Chapter 03 end to end on small synthetic experiments: comparisons, CUPED, looks, verdicts, planning."""

import math

import ibis
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import ttest_ind

from socialops.ab_testing import (
    TEST_KEYS,
    ControlNotFoundError,
    SplitError,
    always_valid_p_values,
    analyse_experiments,
    choose_control,
    decide,
    intended_split,
    plan_next,
    plan_power_curve,
    planning_inputs,
    power_curve,
    proportion_test,
    sample_size,
    segment_tests,
    unmatched_splits,
)
from socialops.ab_testing.analysis import METRIC_FAMILIES, planned_change, significant_in_sound_tests
from socialops.ab_testing.sequential import conversion_p_values
from socialops.stats.decision import MIN_UNITS_PER_ARM


@pytest.fixture(scope="module")
def analysis(table):
    return analyse_experiments(table, splits={"winback/holdout": 10, "winback/coupon": 90})


def test_conversion_rows_match_direct_tests_and_holm_within_each_family(analysis, frame):
    tests = analysis.tests
    assert list(tests.columns[: len(TEST_KEYS)]) == TEST_KEYS
    row = tests[(tests.experiment_id == "title") & (tests.metric == "conversion")].iloc[0]
    title = frame[frame.experiment_id == "title"]
    c, v = title[title.variant == "control"], title[title.variant == "variant"]
    ref = proportion_test([c.converted.sum(), v.converted.sum()], [len(c), len(v)])
    assert (row.p_value, row.ci_low, row.ci_high) == pytest.approx((ref.p_value, ref.ci_low, ref.ci_high))
    assert row.control == "control" and row.n_control == 6000
    # Holm within the conversion comparisons of an experiment, and apart from them within its value ones
    family = tests.metric.map(METRIC_FAMILIES)
    for _, grp in tests.groupby([tests.experiment_id, family]):
        expected = multipletests(grp.p_value.tolist(), method="holm")[1]
        np.testing.assert_allclose(grp.p_adjusted, expected, rtol=1e-12)
    assert set(family) == {"conversion", "value"}
    assert set(tests.metric) == {"conversion", "value_cuped"}


def test_cuped_matches_raw_adjustment(analysis, frame):
    d = frame[frame.experiment_id == "title"]
    theta = np.cov(d.pre_value, d.value)[0, 1] / d.pre_value.var()
    y = d.value - theta * (d.pre_value - d.pre_value.mean())
    t, p, _ = ttest_ind(y[d.variant == "variant"], y[d.variant == "control"], usevar="unequal")
    row = analysis.tests[(analysis.tests.experiment_id == "title") & (analysis.tests.metric == "value_cuped")].iloc[0]
    assert row.p_value == pytest.approx(p, rel=1e-6)
    assert row.abs_diff == pytest.approx(y[d.variant == "variant"].mean() - y[d.variant == "control"].mean(),
                                         rel=1e-9)
    cu = analysis.cuped.set_index("experiment_id").loc["title"]
    assert cu.theta == pytest.approx(theta, rel=1e-9)
    raw_var = sum(d.value[d.variant == g].var() / (d.variant == g).sum() for g in ("control", "variant"))
    adj_var = sum(y[d.variant == g].var() / (d.variant == g).sum() for g in ("control", "variant"))
    assert cu.variance_reduction == pytest.approx(1 - adj_var / raw_var, rel=1e-6)
    assert 0.4 < cu.variance_reduction < 0.7  # rho ~ 0.77 in this simulation: about rho² of the variance goes
    looks = analysis.looks[(analysis.looks.experiment_id == "title") & (analysis.looks.metric == "value_cuped")]
    assert looks["diff"].iloc[-1] == pytest.approx(row.abs_diff, rel=1e-9)
    assert looks["p_classic"].iloc[-1] == pytest.approx(row.p_value, rel=1e-9)
    assert row.p_sequential == pytest.approx(looks["p_sequential"].min(), rel=1e-12)


def test_srm_flags_only_the_broken_split(analysis, table):
    srm = analysis.srm.set_index("experiment_id")
    assert bool(srm.loc["invite", "mismatch"]) and srm.loc["invite", "p_value"] < 1e-3
    assert not srm.loc["winback", "mismatch"]
    assert srm.loc["winback", "expected_split"] == {"holdout": 0.1, "coupon": 0.9}
    undeclared = analyse_experiments(table).srm.set_index("experiment_id")
    assert bool(undeclared.loc["winback", "mismatch"])


def _daily_cumulative_counts(frame, experiment_id):
    d = frame[frame.experiment_id == experiment_id].assign(day=lambda x: x.assigned_at.dt.normalize())
    return d.groupby(["day", "variant"])["converted"].agg(["size", "sum"]).unstack(fill_value=0).cumsum()


def test_sequential_p_is_the_running_min_over_daily_cumulative_looks(analysis, frame):
    # Reference: the general formula fed, from the raw rows, the variance under the null (pooled rate).
    g = _daily_cumulative_counts(frame, "title")
    nc, nv = g[("size", "control")], g[("size", "variant")]
    pc, pv = g[("sum", "control")] / nc, g[("sum", "variant")] / nv
    pooled = (g[("sum", "control")] + g[("sum", "variant")]) / (nc + nv)
    ref = always_valid_p_values(pv - pc, pooled * (1 - pooled) * (1 / nc + 1 / nv), np.sqrt(pooled * (1 - pooled)))
    row = analysis.tests[(analysis.tests.experiment_id == "title") & (analysis.tests.metric == "conversion")]
    assert row.p_sequential.iloc[0] == pytest.approx(ref[-1], rel=1e-9)
    looks = analysis.looks[(analysis.looks.experiment_id == "title") & (analysis.looks.metric == "conversion")]
    np.testing.assert_allclose(looks.p_sequential, ref, rtol=1e-9)
    assert row.p_sequential.iloc[0] >= row.p_value.iloc[0]


def test_sequential_p_is_adjusted_across_the_variants_of_a_metric(analysis, frame):
    # invite: two variants share one control. At each look, Holm (statsmodels) of the two always-valid p.
    g = _daily_cumulative_counts(frame, "invite")
    raw = np.vstack([conversion_p_values(g[("sum", "control")], g[("size", "control")], g[("sum", v)],
                                         g[("size", v)]) for v in ("invite3", "invite5")])
    ref = np.column_stack([multipletests(raw[:, j], method="holm")[1] for j in range(raw.shape[1])])
    looks = analysis.looks[(analysis.looks.experiment_id == "invite") & (analysis.looks.metric == "conversion")]
    tests = analysis.tests.set_index(["experiment_id", "metric", "variant"])
    for variant, expected in zip(("invite3", "invite5"), ref, strict=True):
        np.testing.assert_allclose(looks[looks.variant == variant].p_sequential, expected, rtol=1e-9)
        assert tests.loc[("invite", "conversion", variant), "p_sequential"] == pytest.approx(expected[-1])
    assert (ref >= raw).all() and (ref > raw).any()


def test_verdicts(analysis):
    v = analysis.verdicts.set_index("experiment_id")
    assert (v.loc["title", "verdict"], v.loc["title", "variant"]) == ("ship", "variant")
    assert (v.loc["invite", "verdict"], v.loc["invite", "reason"]) == ("stop", "srm")
    assert v.loc["winback", "verdict"] == "ship"
    # push: no effect, and its interval (about ±0.013) still admits a one-point change: keep running.
    assert (v.loc["push", "verdict"], v.loc["push", "reason"]) == ("keep_running", "underpowered")
    push = analysis.tests[(analysis.tests.experiment_id == "push") & (analysis.tests.metric == "conversion")]
    assert v.loc["push", "n_needed"] == sample_size(push.control_rate.iloc[0], 0.01)
    # invite compares two variants with control: its units are sized at half the level
    invite = analysis.tests[(analysis.tests.experiment_id == "invite") & (analysis.tests.metric == "conversion")]
    assert v.loc["invite", "n_needed"] == sample_size(invite.control_rate.iloc[0], 0.01, 0.025)
    if v.loc["push", "verdict"] == "keep_running":
        assert v.loc["push", "days_more"] > 0


def test_minimal_table_without_optional_columns(con, frame):
    t = con.create_table("minimal", frame[["experiment_id", "unit_id", "variant", "converted"]], overwrite=True)
    a = analyse_experiments(t, splits={"winback": {"holdout": 1, "coupon": 9}})
    assert set(a.tests.metric) == {"conversion"}
    assert len(a.looks) == len(a.tests)  # a single look per comparison
    assert a.cuped.empty
    assert all(a.tests.p_sequential <= 1)


def test_control_not_found_names_the_variants(con):
    t = ibis.memtable(pd.DataFrame({"experiment_id": ["e"] * 4, "unit_id": list("abcd"),
                                    "variant": ["red", "blue", "red", "blue"], "converted": [0, 1, 0, 1]}))
    with pytest.raises(ControlNotFoundError, match="'blue', 'red'") as err:
        analyse_experiments(t)
    assert err.value.variants == ["blue", "red"] and err.value.experiment_id == "e"
    assert isinstance(err.value, ValueError)


def test_choose_control_order_and_case():
    assert choose_control(["B", "A", "holdout"]) == "holdout"
    assert choose_control(["对照组", "新标题"]) == "对照组"
    assert choose_control(["Control", "v"]) == "Control"
    assert choose_control(["x", "y"], ["y"]) == "y"
    assert choose_control(["x", "y"], "x") == "x"


def test_intended_split():
    assert intended_split("e", ["a", "b"], None) == {"a": 0.5, "b": 0.5}
    assert intended_split("e", ["h", "c"], {"e": {"h": 1, "c": 3}}) == {"h": 0.25, "c": 0.75}
    flat = {"e/h": 1, "e/c": 3, "other/x": 2}
    assert intended_split("e", ["h", "c"], flat) == {"h": 0.25, "c": 0.75}
    assert intended_split("other", ["x", "y"], {"e/h": 1}) == {"x": 0.5, "y": 0.5}
    assert unmatched_splits({**flat, "typo/h": 1}, ["e", "other"]) == ["typo/h"]
    # A declared arm that got no units stays in the split, so the SRM check sees it.
    assert intended_split("e", ["c"], {"e/h": 1, "e/c": 1}) == {"c": 0.5, "h": 0.5}
    with pytest.raises(SplitError, match="positive weight"):
        intended_split("e", ["h", "c", "d"], {"e": {"h": 1, "c": 3}})


def test_segments_adjust_across_all_slices(table, analysis):
    seg = segment_tests(table, "platform", analysis.controls)
    title = seg[seg.experiment_id == "title"]
    assert set(title.segment) == {"douyin", "wechat"}
    np.testing.assert_allclose(title.p_adjusted, multipletests(title.p_value.tolist(), method="holm")[1])
    bh = segment_tests(table, "platform", analysis.controls, correction="bh")
    assert (bh.p_adjusted <= seg.p_adjusted + 1e-15).all()


def test_plan_next_and_power_curve():
    plan = plan_next(0.04, 0.01, daily_traffic=1000)
    assert plan == {"mde": 0.01, "n_per_variant": 6745, "days_needed": math.ceil(2 * 6745 / 1000)}
    # three arms: two comparisons with control, each planned at alpha / 2 so that Holm's correction keeps
    # the power (R 4.2: power.prop.test(p1 = .04, p2 = .05, sig.level = .025, power = .8) gives n = 8168.28)
    three = plan_next(0.04, 0.01, daily_traffic=1000, n_variants=3)
    assert three == {"mde": 0.01, "n_per_variant": 8169, "days_needed": math.ceil(3 * 8169 / 1000)}
    curve3 = plan_power_curve(0.04, three, points=3, n_variants=3)
    at_plan = power_curve(0.04, [0.01], [three["n_per_variant"]], alpha=0.025).power.iloc[0]
    assert at_plan == pytest.approx(0.8, abs=1e-3)
    assert curve3[curve3.mde == 0.01].power.is_monotonic_increasing
    assert plan_next(0.04, 0.01, daily_traffic=0)["days_needed"] is None
    curve = power_curve(0.04, [0.01, 0.02], [1000, 6745, 20000])
    assert curve.power.is_monotonic_increasing is False  # two curves stacked
    one = curve[curve.mde == 0.01].set_index("n_per_variant").power
    assert one.loc[6745] == pytest.approx(0.8, abs=1e-3) and one.is_monotonic_increasing


def test_the_next_test_is_planned_downwards_when_the_rate_leaves_no_room_above():
    # power.prop.test's closed form, (z_.975 sqrt(2 pbar qbar) + z_.8 sqrt(p1 q1 + p2 q2))^2 / 0.01^2 with
    # p1 = .995, p2 = .985, is 1552.90: the same size as planning .985 -> .995 upwards
    down = plan_next(0.995, 0.01, daily_traffic=100)
    assert down == {"mde": -0.01, "n_per_variant": 1553, "days_needed": math.ceil(2 * 1553 / 100)}
    assert sample_size(0.985, 0.01) == 1553
    assert not plan_power_curve(0.995, down, points=3).empty
    # no room either way, no rate, or a rate of 0 or 1: no size, no days, no curve
    for rate, mde in ((0.5, 0.5), (None, 0.01), (0.0, 0.01), (1.0, 0.01)):
        plan = plan_next(rate, mde, daily_traffic=100)
        assert plan == {"mde": mde, "n_per_variant": None, "days_needed": None}
        assert plan_power_curve(0.5, plan).empty
    assert planned_change(0.3, 0.5) == 0.5 and planned_change(0.6, 0.5) == -0.5


def test_planning_inputs_say_when_a_value_is_unknown(table, con):
    analysis = analyse_experiments(table)
    assert planning_inputs(analysis)["traffic_source"] == "observed"
    undated = analyse_experiments(table.drop("assigned_at"))
    inputs = planning_inputs(undated)
    assert (inputs["daily_traffic"], inputs["traffic_source"], inputs["baseline_source"]) == (None, "unknown",
                                                                                             "observed")
    assert planning_inputs(undated, daily_traffic=500)["traffic_source"] == "given"


def test_decide_rules_on_hand_made_rows():
    moments = pd.DataFrame({"experiment_id": ["e", "e"], "day": pd.to_datetime(["2026-01-01", "2026-01-02"]),
                            "n": [1000, 1000]})
    srm_ok = pd.DataFrame({"experiment_id": ["e"], "mismatch": [False]})

    def verdict(ci_low, ci_high, p_adjusted, diff, srm=srm_ok, n=5000):
        tests = pd.DataFrame([{"experiment_id": "e", "metric": "conversion", "variant": "v", "n_control": n,
                               "n_variant": n, "control_rate": 0.05, "variant_rate": 0.05 + diff,
                               "abs_diff": diff, "ci_low": ci_low, "ci_high": ci_high,
                               "p_adjusted": p_adjusted}])
        return decide(srm, tests, moments, mde=0.01).iloc[0]

    assert verdict(-0.02, -0.005, 0.001, -0.0125)[["verdict", "reason"]].tolist() == ["stop", "harm"]
    assert verdict(-0.004, 0.004, 0.9, 0.0)[["verdict", "reason"]].tolist() == ["stop", "no_effect"]
    assert verdict(0.004, 0.02, 0.001, 0.012)[["verdict", "variant"]].tolist() == ["ship", "v"]
    broken = pd.DataFrame({"experiment_id": ["e"], "mismatch": [True]})
    assert verdict(0.004, 0.02, 0.001, 0.012, broken)["reason"] == "srm"
    slow = verdict(-0.015, 0.015, 0.9, 0.0)
    needed = sample_size(0.05, 0.01)
    # 1,000 units a day, half of them to each arm.
    assert (slow.verdict, slow.n_needed, slow.days_more) == ("keep_running", needed, math.ceil((needed - 5000) / 500))
    # a p-value below alpha with an interval across 0 (test and interval disagree at the margin) ships nothing
    assert verdict(-0.001, 0.02, 0.04, 0.01)["verdict"] == "keep_running"
    # three units an arm: too few to judge, whatever the p-value, and the days until the minimum is reached
    few = verdict(0.2, 0.9, 0.001, 0.6, n=3)
    assert (few.verdict, few.reason, few.days_more) == ("too_few_units", "too_few_units",
                                                        math.ceil((MIN_UNITS_PER_ARM - 3) / 500))


def test_value_without_pre_value_uses_welch_on_raw_data(con, frame):
    cols = ["experiment_id", "unit_id", "variant", "assigned_at", "converted", "value"]
    a = analyse_experiments(con.create_table("no_pre", frame[cols], overwrite=True),
                            splits={"winback/holdout": 1, "winback/coupon": 9})
    assert set(a.tests.metric) == {"conversion", "value"} and a.cuped.empty
    d = frame[frame.experiment_id == "title"]
    t, p, df = ttest_ind(d.value[d.variant == "variant"], d.value[d.variant == "control"], usevar="unequal")
    row = a.tests[(a.tests.experiment_id == "title") & (a.tests.metric == "value")].iloc[0]
    assert (row.p_value, row.df) == pytest.approx((p, df), rel=1e-9)


def test_plan_power_curve_brackets_the_plan():
    plan = plan_next(0.04, 0.01, daily_traffic=1000)
    curve = plan_power_curve(0.04, plan, points=20)
    assert sorted(curve.mde.unique()) == [0.005, 0.01, 0.02]
    assert curve.groupby("mde").size().tolist() == [20, 20, 20]
    assert curve.n_per_variant.min() == 10 and curve.n_per_variant.max() == pytest.approx(2.5 * 6745)
    # near a rate of 1 the doubled change would leave (0, 1): that curve is dropped
    high = plan_power_curve(0.985, {"mde": 0.01, "n_per_variant": 500}, points=5)
    assert sorted(high.mde.unique()) == [0.005, 0.01]


def test_significant_in_sound_tests_leaves_out_broken_splits_and_other_metrics():
    tests = pd.DataFrame({"experiment_id": ["a", "a", "b", "c", "c", "d"],
                          "metric": ["conversion", "value", "conversion", "conversion", "conversion", "conversion"],
                          "p_adjusted": [0.01, 0.001, 0.001, 0.2, 0.04, 0.01],
                          "ci_low": [0.01, 1.0, -0.05, -0.01, -0.03, -0.001],
                          "ci_high": [0.03, 2.0, -0.01, 0.01, -0.001, 0.02]})
    # d: a small p whose interval still holds 0 is not counted
    assert significant_in_sound_tests(tests, set(), 0.05) == (3, 5)
    assert significant_in_sound_tests(tests, {"b"}, 0.05) == (2, 4)
    assert significant_in_sound_tests(tests, {"b"}, 0.02) == (1, 4)


def test_missing_conversions_are_left_out_and_counted(con, frame):
    d = frame[frame.experiment_id == "push"].copy()
    d["converted"] = d["converted"].astype(float)
    # 300 units of arm B without a known conversion: counted as non-conversions they would lower B's rate
    d.loc[d.index[d.variant == "B"][:300], "converted"] = np.nan
    a = analyse_experiments(con.create_table("nan_conv", d, overwrite=True))
    assert a.excluded == {"push": 300}
    row = a.tests[a.tests.metric == "conversion"].iloc[0]
    known = d.dropna(subset=["converted"])
    assert (row.n_control, row.n_variant) == (2500, 2200)
    assert row.variant_rate == pytest.approx(known.converted[known.variant == "B"].mean(), rel=1e-12)
    assert analyse_experiments(con.create_table("no_nan", frame, overwrite=True)).excluded == {}


def test_each_variant_value_analysis_stands_on_its_own(con, frame):
    d = frame[frame.experiment_id == "invite"].copy()
    # invite5 keeps a single value: its own value comparison goes, invite3's stays (with its CUPED)
    d.loc[d.index[d.variant == "invite5"][1:], "value"] = np.nan
    a = analyse_experiments(con.create_table("one_value", d, overwrite=True))
    value_rows = a.tests[a.tests.metric != "conversion"]
    assert value_rows[["variant", "metric"]].values.tolist() == [["invite3", "value_cuped"]]
    assert a.cuped.variant.tolist() == ["invite3"]


def test_cuped_theta_is_fitted_on_each_comparison_alone(analysis, frame):
    d = frame[frame.experiment_id == "invite"]
    for variant in ("invite3", "invite5"):
        pair = d[d.variant.isin(["control", variant])]
        theta = np.cov(pair.pre_value, pair.value)[0, 1] / pair.pre_value.var()
        y = pair.value - theta * (pair.pre_value - pair.pre_value.mean())
        _, p, _ = ttest_ind(y[pair.variant == variant], y[pair.variant == "control"], usevar="unequal")
        cu = analysis.cuped.set_index(["experiment_id", "variant"]).loc[("invite", variant)]
        assert cu.theta == pytest.approx(theta, rel=1e-9)
        row = analysis.tests[(analysis.tests.experiment_id == "invite") & (analysis.tests.variant == variant)
                             & (analysis.tests.metric == "value_cuped")].iloc[0]
        assert row.p_value == pytest.approx(p, rel=1e-6)
    pooled = np.cov(d.pre_value, d.value)[0, 1] / d.pre_value.var()
    assert analysis.cuped.set_index("experiment_id").loc["invite", "theta"].iloc[0] != pytest.approx(pooled,
                                                                                                    rel=1e-6)
