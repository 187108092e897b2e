"""Chapter 04 on the samples: planted BG/NBD parameters, the referral effect and the win-back uplift."""

from __future__ import annotations

import ast
import csv
import re

import nbformat
import pandas as pd
import pytest

from socialops.pipeline.params import ParameterError, read_parameters, resolve
from socialops.report.masking import pseudonym
from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.notebook

CHAPTER = "04_churn"
#: Cells of the course, not of the report: they may hold more code.
COURSE_TAGS = {"parameters", "exercise", "solution"}


def test_the_notebook_only_narrates():
    nb = nbformat.read(ROOT / "notebooks" / f"{CHAPTER}.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code" and not COURSE_TAGS & set(c.metadata.get("tags", []))]
    definitions = [n for n in ast.walk(ast.parse("\n".join(code)))
                   if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)]
    assert definitions == []
    assert sum(1 for source in code for line in source.splitlines() if line.strip()) <= 120


def test_results_contract_and_planted_effects(chapter_run, truths):
    run = chapter_run(CHAPTER)
    assert run.exit_code == 0, run.stderr
    out = run.json
    assert out["churn_days"] == truths["churn"]["churn_days"] == 90
    assert set(out["survival"]) >= {"median_days", "by_segment"}
    assert set(out["bgnbd"]) >= {"r", "alpha", "a", "b", "log_likelihood", "time_unit"}
    assert out["bgnbd"]["time_unit"] == "day"
    assert out["bgnbd"]["customers"] == truths["churn"]["customers"]
    # referred customers stay longer, in the curves and in the Cox model (planted dropout ratio 0.6)
    referred = out["survival"]["by_segment"]["referred"]
    assert referred["logrank_p"] < 0.001
    assert referred["groups"]["1"]["survival_at"] > referred["groups"]["0"]["survival_at"]
    hr = out["cox"]["referred"]
    assert hr["ci_low"] < truths["churn"]["referred_hazard_ratio"] < hr["ci_high"] < 1
    assert isinstance(out["at_risk_users"], int) and out["at_risk_users"] > 0
    # the holdout check (90 days by default) predicts the purchase days within 10%
    assert abs(out["holdout"]["relative_error"]) < 0.10


def test_winback_uplift_matches_the_planted_test(chapter_run, truths):
    out = chapter_run(CHAPTER).json["winback"]
    planted = truths["ab_testing"]["winback_2026q3"]
    observed = planted["observed"]
    assert out["treated_rate"] == pytest.approx(observed["coupon"]["rate"], abs=1e-6)
    assert out["holdout_rate"] == pytest.approx(observed["holdout"]["rate"], abs=1e-6)
    assert out["n_treated"] == observed["coupon"]["n"] and out["n_holdout"] == observed["holdout"]["n"]
    assert out["uplift"] == pytest.approx(observed["coupon"]["rate"] - observed["holdout"]["rate"], abs=1e-6)
    assert out["ci_low"] < planted["uplift"] < out["ci_high"]
    assert out["p_value"] < 0.01


def test_client_report_masks_the_win_back_list(chapter_run):
    run = chapter_run(CHAPTER)
    assert not re.search(r"\bu\d{6}\b", run.html)
    assert not (run.out_dir / f"{CHAPTER}_exports").exists()


def test_recovers_planted_bgnbd_in_chinese(chapter_run, truths):
    # fitted on the calibration period, before the win-back comebacks were planted
    churn = truths["churn"]
    run = chapter_run(CHAPTER, lang="zh", as_of=churn["calibration_end"].replace("T", " "), holdout_days=0)
    assert run.exit_code == 0, run.stderr
    fit, planted = run.json["bgnbd"], churn["bgnbd"]
    assert fit["time_unit"] == planted["time_unit"] == "day"
    # The samples' purchases follow the fitted model (tests/sample/test_planted_bgnbd.py), so each 95 % interval
    # holds its planted value; a week/day mix-up would miss by a factor of 7.
    for name in ("r", "alpha", "a", "b"):
        low, high = fit["ci"][name]
        assert low <= planted[name] <= high, name
    assert "流失" in run.html and "召回名单" in run.html
    assert "holdout" not in run.json


@pytest.fixture(scope="module")
def purchases_only(tmp_path_factory):
    """A workspace whose events are purchases alone: no other event kinds, no platform, no experiment table."""
    events = pd.read_parquet(SAMPLES / "events.parquet")
    buys = events[events["event"] == "purchase"][["user_id", "ts", "event", "amount"]]
    folder = tmp_path_factory.mktemp("purchases-only")
    buys.to_parquet(folder / "events.parquet", index=False, coerce_timestamps="us", allow_truncated_timestamps=True)
    return folder


def test_runs_on_purchases_alone(chapter_run, purchases_only):
    run = chapter_run(CHAPTER, data=purchases_only, audience="analyst")
    assert run.exit_code == 0, run.stderr
    out = run.json
    assert out["winback"] is None
    assert "platform" not in out["survival"]["by_segment"] and "referred" not in out["survival"]["by_segment"]
    assert out["bgnbd"]["r"] > 0
    exported = run.out_dir / f"{CHAPTER}_exports" / "win_back_list.csv"
    with exported.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) - 1 == out["at_risk_users"] > 0


def test_english_and_chinese_client_reports_list_the_same_pseudonyms(chapter_run, masking_key_file):
    runs = [chapter_run(CHAPTER), chapter_run(CHAPTER, lang="zh")]
    for run in runs:
        assert run.exit_code == 0, run.stderr
    listed = [set(re.findall(r"\bu-[0-9a-f]{10}\b", run.html)) for run in runs]
    assert len(listed[0]) >= 5 and listed[0] == listed[1]
    # each is the keyed digest of a sample customer under the machine's key (here the test session's key file)
    users = pd.read_parquet(SAMPLES / "events.parquet", columns=["user_id"])["user_id"].unique()
    key = masking_key_file.read_bytes()
    assert listed[0] <= {pseudonym(user, salt=key) for user in users}


@pytest.fixture(scope="module")
def required_only(tmp_path_factory):
    """The sample events with the required columns alone (no platform, amount or referrer) and no experiment."""
    events = pd.read_parquet(SAMPLES / "events.parquet", columns=["user_id", "ts", "event"])
    folder = tmp_path_factory.mktemp("events-required-only")
    events.to_parquet(folder / "events.parquet", index=False, coerce_timestamps="us", allow_truncated_timestamps=True)
    return folder


def test_runs_without_any_optional_column_or_table(chapter_run, required_only):
    run = chapter_run(CHAPTER, data=required_only, audience="analyst")
    assert run.exit_code == 0, run.stderr
    out = run.json
    assert [r["section"] for r in out["skipped"]] == ["platform_split", "referral_split", "value", "winback_test"]
    assert all("`" in r["reason"] for r in out["skipped"])  # each names what to add
    assert not any("winback_2026q3" in r["reason"] for r in out["skipped"])  # the parameter, not its default
    assert out["winback"] is None and out["at_risk_users"] > 0  # ranked by purchases when there is no amount
    assert "Warning" not in run.html and isinstance(out["warnings"], list)
    # the exercises ran on these data (they stay in the executed notebook, out of the report)
    executed = nbformat.read(run.out_dir / f"{CHAPTER}.ipynb", as_version=4)
    course = [c for c in executed.cells if c.cell_type == "code" and {"exercise", "solution"} & set(c.metadata.tags)]
    assert len(course) == 4 and not [o for c in course for o in c.outputs if o.output_type == "error"]


def test_every_numeric_parameter_has_a_range_and_a_value_outside_is_refused():
    declared = read_parameters(ROOT / "notebooks" / f"{CHAPTER}.ipynb")
    numeric = [p for p in declared.values() if p.type_name in ("int", "float")]
    assert numeric and all(re.search(r"range: \S+\.\.\S+$", p.help) for p in numeric)
    for bad in ("churn_days=-5", "churn_days=1000000000", "holdout_days=-1", "p_alive_below=1.5"):
        with pytest.raises(ParameterError, match=bad.split("=")[0]):
            resolve(declared, overrides=[bad])


def test_the_summary_opens_the_report_with_the_planted_effects_and_their_actions(chapter_run, truths):
    run = chapter_run(CHAPTER)
    doc = run.json
    found = {f["key"]: f for f in doc["summary"]}
    assert list(found)[:3] == ["sum_at_risk", "sum_winback_winner", "sum_money_unclear"]
    assert len(doc["summary"]) <= 5 and "sum_referral" in found
    assert found["sum_at_risk"]["value"] == doc["at_risk_users"] > 0
    uplift = found["sum_winback_winner"]["value"]
    planted = truths["ab_testing"]["winback_2026q3"]["uplift"]
    assert uplift["ci_low"] < planted < uplift["ci_high"] and uplift["uplift"] == doc["winback"]["uplift"]
    referral = found["sum_referral"]["value"]
    assert referral["ci_low"] < truths["churn"]["referred_hazard_ratio"] < referral["ci_high"] < 1
    # the money: the net's interval spans zero, so the offer is neither said to pay nor to lose
    net = found["sum_money_unclear"]["value"]
    assert net["net_low"] < 0 < net["net_high"] and "sum_money_pays" not in found
    actions = {a["key"]: a for a in doc["actions"]}
    assert [a["priority"] for a in doc["actions"]] == sorted((a["priority"] for a in doc["actions"]),
                                                             key=["high", "medium", "low"].index)
    contact = actions["act_contact_list"]
    assert contact["priority"] == "high" and contact["expected"]["estimate"] == doc["winback"]["uplift"]
    assert actions["act_offer_extend"]["expected"]["low"] == doc["winback"]["economics"]["net_low"]
    assert "act_offer_keep" not in actions and "act_referral" in actions
    # first on the page: the findings and the action table come before the first section
    page = run.html
    assert page.index(found["sum_at_risk"]["text"].split(".")[0]) < page.index(contact["what"]) < page.index("<h2")
