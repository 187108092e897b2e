"""Chapter 03 on the samples: the planted lift, the null test, the broken split and the declared holdout."""

import math
import re

import nbformat
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from socialops.ab_testing import SRM_KEYS, TEST_KEYS, sample_size
from socialops.pipeline.params import ParameterError, read_parameters, resolve
from tests.conftest import ROOT, SAMPLES

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


@pytest.fixture(scope="module")
def renamed_minimal(tmp_path_factory):
    """The sample experiments under other ids, with the required columns only (no assignment time, no values)."""
    frame = pd.read_csv(SAMPLES / "experiment.csv", dtype=str)
    renamed = {old: f"test_{i}" for i, old in enumerate(sorted(frame["experiment_id"].unique()))}
    frame = frame.assign(experiment_id=frame["experiment_id"].map(renamed))
    folder = tmp_path_factory.mktemp("experiment-minimal")
    frame[["experiment_id", "unit_id", "variant", "converted"]].to_csv(folder / "experiment.csv", index=False)
    return folder


def test_analyst_edition_runs_its_exercises_on_other_experiments_without_optional_columns(chapter_run,
                                                                                           renamed_minimal):
    done = chapter_run(CHAPTER, data=renamed_minimal, audience="analyst")
    assert done.exit_code == 0, done.stderr[-2000:]
    doc = done.json
    assert {r["section"] for r in doc["skipped"]} == {"cuped", "peeking", "segments"}
    assert all("`" in r["reason"] for r in doc["skipped"])  # each names the column to add
    assert doc["plan_inputs"]["traffic_source"] == "unknown" and doc["power"]["days_needed"] is None
    assert doc["as_of"] is None and doc["data_range"] == [None, None]
    # no sample experiment is named anywhere: not by the exercises, not by the default `splits`
    for name in ("invite_campaign", "push_time", "title_summer", "winback_2026q3"):
        assert name not in done.html
    assert "Traceback" not in done.html and "Warning" not in done.html
    # the exercises ran (they stay in the executed notebook, out of the report): the chi-square of the first
    # experiment of the sample ratio table, and the plans for other changes
    executed = nbformat.read(done.out_dir / f"{CHAPTER}.ipynb", as_version=4)
    course = [c for c in executed.cells if c.cell_type == "code" and {"exercise", "solution"} & set(c.metadata.tags)]
    shown = "".join(str(o.get("data", {}).get("text/plain", "")) for c in course for o in c.outputs)
    assert len(course) == 4 and "Power_divergenceResult" in shown and "n_per_variant" in shown
    assert not [o for c in course for o in c.outputs if o.output_type == "error"]


def test_every_numeric_parameter_has_a_range_and_a_value_outside_is_refused():
    declared = read_parameters(ROOT / "notebooks" / f"{CHAPTER}.ipynb")
    numeric = [p for p in declared.values() if p.type_name in ("int", "float")]
    assert numeric and all(re.search(r"range: \S+\.\.\S+$", p.help) for p in numeric)
    with pytest.raises(ParameterError, match="mde"):
        resolve(declared, overrides=["mde=0.9"])
    # the combination that stopped the planning cell (no room for the change above the rate) now plans downwards
    assert resolve(declared, overrides=["baseline_rate=0.995", "mde=0.01"])["mde"] == 0.01


def test_the_summary_states_each_planted_verdict_and_its_action(run, truths):
    doc = run.json
    found = {f["value"]["experiment_id"]: f for f in doc["summary"]}
    assert [f["value"]["reason"] for f in doc["summary"]] == ["winner", "winner", "srm", "no_effect"]
    title = found["title_summer"]["value"]
    assert title["ci_low"] < truths["ab_testing"]["title_summer"]["abs_lift"] < title["ci_high"]
    assert title["abs_diff"] == _row(run, "title_summer")["abs_diff"]
    assert found["invite_campaign"]["value"]["reason"] == "srm" and found["push_time"]["value"]["verdict"] == "stop"
    actions = {a["where"]: a for a in doc["actions"]}
    assert (actions["title_summer"]["key"], actions["title_summer"]["priority"]) == ("act_ship", "high")
    assert actions["title_summer"]["expected"]["low"] == title["ci_low"]
    assert (actions["invite_campaign"]["key"], actions["invite_campaign"]["expected"]) == ("act_fix_split", None)
    assert actions["push_time"]["key"] == "act_keep_control"
    # the segments section is left out of the samples (no platform column): the summary says what to add
    page = run.html
    assert page.index(found["title_summer"]["text"].split(".")[0]) < page.index("<h2")
    assert page.index("More data would add a finding") < page.index("<h2")
