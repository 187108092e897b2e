"""Chapter 03, A/B testing: the statistics behind every experiment of the `experiment` table.

Public API (kept stable for the README): :func:`proportion_test`, :func:`sample_size`, :func:`srm_test`; the
first two live in :mod:`socialops.stats.proportions` and the verdicts follow :mod:`socialops.stats.decision`,
both shared with the churn chapter.
The chapter itself calls :func:`analyse_experiments`, :func:`segment_tests`, :func:`planning_inputs`,
:func:`plan_next` and :func:`plan_power_curve`.
"""

from socialops.ab_testing.analysis import (
    DEFAULT_CONTROL,
    METRIC_FAMILIES,
    SRM_ALPHA,
    SRM_KEYS,
    TEST_KEYS,
    Analysis,
    ControlNotFoundError,
    SplitError,
    analyse_experiments,
    choose_control,
    cuped_adjust,
    decide,
    declared_split,
    intended_split,
    known_conversions,
    plan_next,
    plan_power_curve,
    planning_inputs,
    power_curve,
    segment_tests,
    traffic_per_day,
    unmatched_splits,
)
from socialops.ab_testing.bayes import BayesResult, beta_beat_control, normal_beat_control
from socialops.ab_testing.sequential import DEFAULT_TAU, always_valid_p_values, mixture_likelihood_ratio
from socialops.ab_testing.stats import (
    MeanTest,
    ProportionTest,
    SrmTest,
    adjust_p_values,
    power_two_proportions,
    proportion_test,
    sample_size,
    sample_size_exact,
    srm_test,
    welch_test,
)

__all__ = [
    "DEFAULT_CONTROL", "DEFAULT_TAU", "METRIC_FAMILIES", "SRM_ALPHA", "SRM_KEYS", "TEST_KEYS", "Analysis",
    "BayesResult", "ControlNotFoundError", "MeanTest", "ProportionTest", "SplitError", "SrmTest",
    "adjust_p_values", "always_valid_p_values", "analyse_experiments", "beta_beat_control", "choose_control",
    "cuped_adjust", "declared_split", "decide", "intended_split", "known_conversions", "mixture_likelihood_ratio",
    "normal_beat_control", "plan_next", "plan_power_curve", "planning_inputs", "power_curve",
    "power_two_proportions", "proportion_test", "sample_size", "sample_size_exact", "segment_tests", "srm_test",
    "traffic_per_day", "unmatched_splits", "welch_test",
]
