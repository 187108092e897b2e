"""Chapter 04 on the samples: planted BG/NBD parameters, the referral effect and the win-back uplift."""

from __future__ import annotations

import ast
import csv
import re

import nbformat
import pandas as pd
import pytest

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
