"""Chapter 03's parameters taken together: splits that would stop the sample ratio test are refused before a kernel."""

from __future__ import annotations

import pytest

from socialops.ab_testing.params_check import (
    MAX_SPLIT_WEIGHT,
    check_params,
    split_variant_problems,
    split_weight_problems,
)
from tests.conftest import ROOT, run_cli

EMAIL = ROOT / "tests" / "data" / "real" / "broockman_email"


@pytest.mark.parametrize("splits", [
    {}, None, {"t/control": 10.0, "t/variant": 90.0}, {"t/control": 0.5, "t/b": 0.25, "t/c": 0.25},
    {"t/control": MAX_SPLIT_WEIGHT, "t/variant": 1.0}, {"t/a/b": 1.0},  # a variant's name may hold a slash
])
def test_positive_finite_weights_under_experiment_and_variant_pass(splits):
    assert check_params({"splits": splits}) == [] == split_weight_problems(splits)


@pytest.mark.parametrize(("weight", "shown"), [(0.0, "0"), (-1.0, "-1"), (1e308, "1e+308"),
                                                (MAX_SPLIT_WEIGHT * 2, "2e+09"), (float("nan"), "nan")])
def test_a_weight_outside_the_range_is_named_with_the_rule(weight, shown):
    problems = check_params({"splits": {"t/control": 1.0, "t/variant": weight}})
    assert problems == [f"splits: 't/variant' has weight {shown}; each variant's weight must be above 0 and at "
                        f"most 1e+09 (a variant that got no units still has its planned share)"]


@pytest.mark.parametrize("key", ["t", "/variant", "t/", " /x"])
def test_a_key_without_experiment_and_variant_is_named(key):
    (problem,) = split_weight_problems({key: 1.0})
    assert problem.startswith(f"splits: {key!r} must read \"experiment_id/variant\"")


def test_a_declared_split_must_weigh_every_variant_in_the_data():
    variants = {"t": ["control", "b", "c"], "u": ["control", "b"]}
    assert split_variant_problems({"t/control": 1, "t/b": 1, "t/c": 2}, variants) == []
    assert split_variant_problems({"other/x": 1}, variants) == []  # an experiment not in the data: a note later
    (problem,) = split_variant_problems({"t/control": 1, "u/control": 1, "u/b": 1}, variants)
    assert problem.startswith("splits: the split declared for experiment 't' names no weight for b, c;")
    # an extra declared arm that got no units is a sample ratio mismatch to report, not a problem here
    assert split_variant_problems({"u/control": 1, "u/b": 1, "u/c": 1}, variants) == []


def test_splits_that_stopped_the_chapter_are_exit_2_before_any_kernel(tmp_path):
    # a zero weight, and no weight for the other variant: both used to stop the sample ratio test mid-report
    out = tmp_path / "out"
    done = run_cli("run", "ab_testing", "--data", str(EMAIL), "--out", str(out), "-p", "splits=broockman2013/control=0")
    assert done.returncode == 2 and "Traceback" not in done.stderr and not out.exists()
    assert "03_ab_testing: splits: 'broockman2013/control' has weight 0;" in done.stderr
    assert "03_ab_testing: splits: the split declared for experiment 'broockman2013' names no weight for " \
           "out_of_district" in done.stderr
