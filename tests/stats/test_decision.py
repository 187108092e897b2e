"""The decision rule: each verdict with the evidence it needs, in its order, and one verdict for one experiment
read by two chapters."""

import ibis
import pandas as pd
import pytest

from socialops.stats import decision
from socialops.stats.decision import (
    KEEP_RUNNING,
    MIN_UNITS_PER_ARM,
    REASONS,
    SHIP,
    STOP,
    TOO_FEW_UNITS,
    VERDICTS,
    Comparison,
    decide,
    direction,
    units_needed,
)
from socialops.stats.proportions import sample_size
from tests.conftest import SAMPLES


def arm(variant="v", n=5000, rate=0.05, diff=0.0, ci=(-0.004, 0.004), p=0.9, n_control=None):
    return Comparison(variant, n if n_control is None else n_control, n, 0.05, rate + diff, ci[0], ci[1], p)


def test_ship_needs_a_small_corrected_p_and_an_interval_above_zero():
    got = decide([arm("a", diff=0.012, ci=(0.004, 0.02), p=0.001), arm("b", diff=0.02, ci=(0.01, 0.03), p=0.0001)])
    assert (got.verdict, got.reason, got.variant) == (SHIP, "winner", "b")  # the better of two winners
    # the test and the interval must agree: a small p with an interval across 0 ships nothing
    assert decide([arm(diff=0.01, ci=(-0.001, 0.02), p=0.04)]).verdict == KEEP_RUNNING
    assert decide([arm(diff=0.01, ci=(0.001, 0.02), p=0.06)]).verdict == KEEP_RUNNING


def test_stop_for_harm_needs_every_variant_clearly_worse():
    worse = arm("a", diff=-0.0125, ci=(-0.02, -0.005), p=0.001)
    assert (decide([worse]).verdict, decide([worse]).reason) == (STOP, "harm")
    assert decide([worse, arm("b", ci=(-0.03, 0.03), p=0.5)]).reason == "underpowered"


def test_stop_for_no_effect_needs_a_narrow_interval_or_a_full_sample():
    assert decide([arm()]).reason == "no_effect"  # every interval within ±1 point
    wide = arm(ci=(-0.015, 0.015))
    assert decide([wide]).reason == "underpowered"
    full = arm(n=sample_size(0.05, 0.01), ci=(-0.015, 0.015))
    assert (decide([full]).verdict, decide([full]).reason) == (STOP, "no_effect")


def test_a_broken_split_overrides_every_other_verdict():
    winner = arm(diff=0.012, ci=(0.004, 0.02), p=0.001)
    assert (decide([winner], srm_mismatch=True).verdict, decide([winner], srm_mismatch=True).reason) == (STOP, "srm")
    few = arm(n=3, diff=0.6, ci=(0.2, 0.9), p=0.001)
    assert decide([few], srm_mismatch=True).reason == "srm"


def test_too_few_units_to_judge_below_the_minimum_whatever_the_p_value():
    few = arm(n=MIN_UNITS_PER_ARM, n_control=MIN_UNITS_PER_ARM - 1, diff=0.6, ci=(0.2, 0.9), p=0.001)
    got = decide([few])
    assert (got.verdict, got.reason, got.variant, got.n_smallest_arm) == (TOO_FEW_UNITS, "too_few_units", None,
                                                                          MIN_UNITS_PER_ARM - 1)
    enough = arm(n=MIN_UNITS_PER_ARM, diff=0.6, ci=(0.2, 0.9), p=0.001)
    assert decide([enough]).verdict == SHIP


def test_units_are_sized_at_the_level_shared_among_the_comparisons():
    assert units_needed(0.05, 1) == sample_size(0.05, 0.01) == decide([arm()]).n_needed
    assert units_needed(0.05, 2) == sample_size(0.05, 0.01, 0.025) == decide([arm("a"), arm("b")]).n_needed
    assert units_needed(0.995, 1) == sample_size(0.995, -0.01)  # no room above: planned downwards
    assert units_needed(0.0, 1) is None


def test_direction_and_the_names():
    assert [direction(0.01, 0.1, 0.2), direction(0.01, -0.2, -0.1), direction(0.01, -0.1, 0.2),
            direction(0.2, 0.1, 0.2)] == [1, -1, 0, 0]
    assert set(VERDICTS) == {"ship", "stop", "keep_running", "too_few_units"}
    assert set(REASONS) == {"srm", "too_few_units", "winner", "harm", "no_effect", "underpowered"}
    with pytest.raises(ValueError, match="at least one comparison"):
        decide([])


def test_the_win_back_test_gets_one_verdict_in_chapters_03_and_04():
    # the library behind chapter 03 (every experiment, its declared 10/90 split) and chapter 04 (the
    # win-back offer alone) read the samples' win-back test
    from socialops.ab_testing import analyse_experiments
    from socialops.churn.analysis import winback_effect

    table = ibis.memtable(pd.read_csv(SAMPLES / "experiment.csv", parse_dates=["assigned_at"]))
    ab = analyse_experiments(table, splits={"winback_2026q3/holdout": 10, "winback_2026q3/coupon": 90})
    verdict = ab.verdicts.set_index("experiment_id").loc["winback_2026q3"]
    effect = winback_effect(table, "winback_2026q3", "holdout")
    assert (effect["verdict"], effect["reason"]) == (verdict["verdict"], verdict["reason"]) == (SHIP, "winner")
    row = ab.tests[(ab.tests.experiment_id == "winback_2026q3") & (ab.tests.metric == "conversion")].iloc[0]
    assert (effect["ci_low"], effect["ci_high"], effect["p_value"]) == pytest.approx(
        (row.ci_low, row.ci_high, row.p_value), rel=1e-12)
    assert decision.DEFAULT_MDE == 0.01 and decision.DEFAULT_POWER == 0.8  # chapter 03's parameter defaults
