"""Chapter 03 on the samples: the planted lift, the null test, the broken split and the declared holdout."""

import math

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from socialops.ab_testing import SRM_KEYS, TEST_KEYS, sample_size

pytestmark = pytest.mark.notebook
CHAPTER = "03_ab_testing"


@pytest.fixture(scope="module")
def run(chapter_run):
    done = chapter_run(CHAPTER)
    assert done.exit_code == 0, done.stderr[-2000:]
    return done


def _row(run, experiment, metric="conversion"):
    rows = [r for r in run.json["tests"] if r["experiment_id"] == experiment and r["metric"] == metric]
    assert len(rows) == 1
    return rows[0]


def _srm(run, experiment):
    return next(r for r in run.json["srm"] if r["experiment_id"] == experiment)


def test_results_follow_the_contract(run):
    doc = run.json
    assert all(set(r) == set(TEST_KEYS) for r in doc["tests"])
    assert all(set(r) == set(SRM_KEYS) for r in doc["srm"])
    assert set(doc["power"]) == {"mde", "n_per_variant", "days_needed"}
    assert {r["experiment_id"] for r in doc["srm"]} == {"title_summer", "push_time", "invite_campaign",
                                                         "winback_2026q3"}


def test_recovers_the_planted_title_lift(run, truths):
    truth = truths["ab_testing"]["title_summer"]
    row = _row(run, "title_summer")
    obs = truth["observed"]
    assert (row["control"], row["variant"]) == (truth["control"], truth["variant"])
    assert (row["n_control"], row["n_variant"]) == (obs["control"]["n"], obs["variant"]["n"])
    observed_diff = (obs["variant"]["conversions"] / obs["variant"]["n"]
                     - obs["control"]["conversions"] / obs["control"]["n"])
    assert row["abs_diff"] == pytest.approx(observed_diff, rel=1e-9)
    assert 0 < row["ci_low"] < truth["abs_lift"] < row["ci_high"]
    assert row["p_value"] < 0.05 and row["p_adjusted"] < 0.05
    assert row["prob_beat_control"] > 0.99
    # The interval is Newcombe's hybrid score interval (statsmodels' "newcomb" as the reference)
    low, high = confint_proportions_2indep(obs["variant"]["conversions"], obs["variant"]["n"],
                                           obs["control"]["conversions"], obs["control"]["n"], method="newcomb")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-9)
    value = _row(run, "title_summer", "value_cuped")
    assert value["rel_lift"] == pytest.approx(truth["value_rel_lift"], abs=0.01)
    assert value["ci_low"] > 0


def test_push_time_shows_no_effect(run, truths):
    truth = truths["ab_testing"]["push_time"]
    row = _row(run, "push_time")
    assert (row["control"], row["variant"]) == (truth["control"], truth["variant"])
    assert row["p_value"] > 0.05 and row["p_adjusted"] > 0.05 and row["p_sequential"] > 0.05
    assert row["ci_low"] < truth["abs_lift"] < row["ci_high"]
    verdict = next(v for v in run.json["verdicts"] if v["experiment_id"] == "push_time")
    assert verdict["verdict"] != "ship"


def test_flags_the_invite_campaign_split(run, truths):
    truth = truths["ab_testing"]["invite_campaign"]
    srm = _srm(run, "invite_campaign")
    assert srm["mismatch"] is True and srm["p_value"] < 0.001
    assert srm["chi2"] == pytest.approx(truth["srm_chi2"], rel=1e-4)
    verdict = next(v for v in run.json["verdicts"] if v["experiment_id"] == "invite_campaign")
    assert (verdict["verdict"], verdict["reason"]) == ("stop", "srm")
    assert "invite_campaign: the split is broken, so its results cannot be trusted" in run.html


def test_declared_holdout_is_not_flagged(run, truths):
    truth = truths["ab_testing"]["winback_2026q3"]
    srm = _srm(run, "winback_2026q3")
    assert srm["mismatch"] is False
    assert srm["expected_split"] == pytest.approx(truth["expected_split"])
    row = _row(run, "winback_2026q3")
    assert (row["control"], row["variant"]) == (truth["control"], truth["variant"])
    assert row["ci_low"] < truth["uplift"] < row["ci_high"] and row["ci_low"] > 0


def test_plans_the_next_test(run):
    doc = run.json
    inputs = doc["plan_inputs"]
    n = sample_size(inputs["baseline_rate"], doc["power"]["mde"])
    assert doc["power"]["n_per_variant"] == n
    assert doc["power"]["days_needed"] == math.ceil(2 * n / inputs["daily_traffic"])


def test_chinese_report(chapter_run):
    done = chapter_run(CHAPTER, lang="zh")
    assert done.exit_code == 0, done.stderr[-2000:]
    assert "分流异常，本实验结果不可信" in done.html
    assert "Every variant against its control" not in done.html


def test_missing_control_stops_before_running_naming_the_variants(chapter_run):
    done = chapter_run(CHAPTER, control="treatment")
    assert done.exit_code == 2
    assert "invite3" in done.stderr and "treatment" in done.stderr
    assert not (done.out_dir / f"{CHAPTER}.html").exists()
