"""Chapter 03's summary: one finding and one action per verdict of the shared rule, none without its evidence."""

import ibis
import numpy as np
import pandas as pd
import pytest

from socialops.ab_testing import analyse_experiments, present, summary
from socialops.report.findings import Message
from socialops.report.i18n import Translator
from socialops.stats import decision


def _analysis(arms: dict[str, dict[str, tuple[int, float]]], seed: int = 3):
    rng = np.random.default_rng(seed)
    frames = [pd.DataFrame({"experiment_id": exp, "unit_id": [f"{exp}{variant}{i}" for i in range(n)],
                            "variant": variant, "converted": (rng.random(n) < rate).astype("int64")})
              for exp, by_variant in arms.items() for variant, (n, rate) in by_variant.items()]
    return analyse_experiments(ibis.memtable(pd.concat(frames, ignore_index=True)))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_one_finding_per_verdict_most_actionable_first_in_both_languages(every_verdict, lang):
    t = Translator(lang, "ab_testing")
    found = summary.findings(every_verdict, t, 0.01, 0.05)
    assert [f.value["experiment_id"] for f in found] == ["good", "bad", "worse", "flat"]
    assert [f.value["reason"] for f in found] == ["winner", "srm", "harm", "underpowered"]
    assert {f.section for f in found} == {"verdicts"}
    for f in found:  # the sentence is the verdicts section's own
        assert f.message == present.verdict_message(_verdict(every_verdict, f.value["experiment_id"]),
                                                    every_verdict.tests, every_verdict.srm, t, 0.01, 0.05)
        text = t(f.message.key, **t.texts(f.message.values))
        assert "{" not in text and f.value["experiment_id"] in text


def _verdict(analysis, experiment):
    return analysis.verdicts[analysis.verdicts["experiment_id"] == experiment].iloc[0]


def test_the_winner_s_finding_and_action_carry_its_difference_and_interval(every_verdict):
    row = every_verdict.tests[(every_verdict.tests["experiment_id"] == "good")
                              & (every_verdict.tests["metric"] == "conversion")].iloc[0]
    [winner] = [f for f in summary.findings(every_verdict, Translator("en", "ab_testing"), 0.01, 0.05)
                if f.value["reason"] == "winner"]
    assert (winner.value["abs_diff"], winner.value["ci_low"], winner.value["ci_high"]) == (
        row["abs_diff"], row["ci_low"], row["ci_high"])
    assert winner.value["ci_low"] > 0
    actions = summary.actions(every_verdict, 0.05)
    assert [(a.where, a.what.key, a.priority) for a in actions] == [
        ("good", "act_ship", "high"), ("bad", "act_fix_split", "high"), ("worse", "act_keep_control", "medium"),
        ("flat", "act_keep_running", "medium")]
    size = actions[0].size
    assert (size.estimate, size.low, size.high, size.unit) == (row["abs_diff"], row["ci_low"], row["ci_high"],
                                                                "points")
    assert actions[0].what.values["variant"] == "new"
    assert all(a.size is None for a in actions[1:])  # no size the data could estimate
    assert {a.section for a in actions} == {"verdicts"}
    needed = int(_verdict(every_verdict, "flat")["n_needed"])
    assert actions[3].what.values["n_needed"] == f"{needed:,}"


def test_no_winner_means_no_ship_finding_nor_action():
    analysis = _analysis({"flat": {"A": (300, 0.05), "B": (300, 0.05)}})
    found = summary.findings(analysis, Translator("en", "ab_testing"), 0.01, 0.05)
    assert [f.value["reason"] for f in found] == ["underpowered"]
    assert [a.what.key for a in summary.actions(analysis, 0.05)] == ["act_keep_running"]


def test_an_arm_below_the_minimum_is_too_few_to_judge_whatever_the_rates():
    analysis = _analysis({"tiny": {"control": (decision.MIN_UNITS_PER_ARM - 1, 0.01),
                                   "v": (decision.MIN_UNITS_PER_ARM - 1, 0.9)}})
    [finding] = summary.findings(analysis, Translator("en", "ab_testing"), 0.01, 0.05)
    assert finding.value["reason"] == "too_few_units" and "abs_diff" not in finding.value
    [action] = summary.actions(analysis, 0.05)
    assert (action.what.key, action.size) == ("act_more_units", None)


def test_at_most_five_findings_when_more_experiments_are_judged():
    analysis = _analysis({f"e{i}": {"control": (3000, 0.05), "new": (3000, 0.09)} for i in range(7)})
    assert len(summary.findings(analysis, Translator("en", "ab_testing"), 0.01, 0.05)) == 5
    assert len(summary.actions(analysis, 0.05)) == 7  # every experiment keeps its row in the action table


def test_without_a_comparison_nothing_is_found_and_the_summary_says_what_to_add():
    analysis = _analysis({"alone": {"control": (500, 0.05)}})
    skipped = present.skipped_sections(["experiment_id", "unit_id", "variant", "converted"], "platform", analysis)
    result = summary.chapter_summary(analysis, skipped, Translator("en", "ab_testing"), 0.01, 0.05)
    assert result.findings == [] and result.actions == []
    assert result.more_data.key == "summary_more_data"
    assert result.more_data.values["reason"].message == Message("no_comparisons", kind="skip")
