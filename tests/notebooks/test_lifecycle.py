"""Chapter 02 on the samples: the planted stage sizes, K-factor and share rate are recovered exactly."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from socialops.lifecycle.analysis import STAGES, UNSEEN
from socialops.stats.rfm import SEGMENT_ORDER, TIERS
from tests.conftest import SAMPLES

pytestmark = pytest.mark.notebook

CHAPTER = "02_lifecycle"


def test_recovers_planted_lifecycle(chapter_run, truths):
    run = chapter_run(CHAPTER)
    assert run.exit_code == 0, run.stderr
    out, planted = run.json, truths["lifecycle"]
    assert out["as_of"].startswith(planted["as_of"])
    assert out["stages"] == planted["stages"]
    assert out["k_factor"] == pytest.approx(planted["k_factor"], abs=1e-6)
    assert out["share_rate"] == pytest.approx(planted["share_rate"], abs=1e-6)


def test_results_contract_is_consistent(chapter_run, truths):
    out = chapter_run(CHAPTER).json
    stages = out["stages"]
    assert list(stages) == list(STAGES)
    # Columns of the transition matrix are today's stages; its rows (but the unseen) those 30 days earlier.
    transitions = out["transitions"]
    assert list(transitions) == [UNSEEN, *STAGES]
    for stage in STAGES:
        assert sum(row[stage] for row in transitions.values()) == stages[stage]
    assert sum(transitions[UNSEEN].values()) > 0
    assert list(out["rfm_segments"]) == list(SEGMENT_ORDER)
    assert list(out["rfm_tiers"]) == list(TIERS)
    customers = sum(out["rfm_segments"].values())
    assert customers == sum(out["rfm_tiers"].values()) > 0
    assert out["rfm_tiers"]["high_value"] == out["rfm_segments"]["important_value"]
    assert out["rfm_tiers"]["low_value"] == out["rfm_segments"]["general_winback"]
    cohorts = out["cohort_retention"]
    assert list(cohorts) == sorted(cohorts) and list(cohorts)[0] == "2025-10" and list(cohorts)[-1] == "2026-09"
    assert all(rates[0] == 1.0 and all(0 <= r <= 1 for r in rates) for rates in cohorts.values())
    assert len(cohorts["2025-10"]) == 12 and len(cohorts["2026-09"]) == 1


def test_client_edition_exports_nothing(chapter_run):
    run = chapter_run(CHAPTER)
    assert not (run.out_dir / f"{CHAPTER}_exports").exists()
    assert "CRM" in run.html


def test_chinese_analyst_edition_with_other_parameters(chapter_run, truths):
    run = chapter_run(CHAPTER, lang="zh", audience="analyst", churn_days=60)
    assert run.exit_code == 0, run.stderr
    stages, planted = run.json["stages"], truths["lifecycle"]["stages"]
    assert sum(stages.values()) == sum(planted.values())
    assert stages["churned"] > planted["churned"]  # a shorter churn window churns more users
    assert "忠诚用户" in run.html and "重要价值" in run.html
    folder = run.out_dir / f"{CHAPTER}_exports"
    files = sorted(p.name for p in folder.glob("*.csv"))
    assert files == sorted(f"crm_{s}.csv" for s in STAGES)
    with (folder / "crm_loyal.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == stages["loyal"]
    assert {"user_id", "stage", "purchases", "segment", "tier"} <= set(rows[0])


def test_a_purchase_log_without_the_daily_table_claims_nothing_it_cannot_show(chapter_run, tmp_path_factory):
    # a retailer's export: purchases only, no referrer, no platform_daily (the chapter's optional table)
    data = tmp_path_factory.mktemp("purchases-only")
    events = pd.read_parquet(SAMPLES / "events.parquet")
    events[events["event"] == "purchase"].drop(columns="referrer_id").to_parquet(data / "events.parquet")
    run = chapter_run(CHAPTER, data=data)
    assert run.exit_code == 0, run.stderr
    out = run.json
    assert out["k_factor"] is None and out["share_rate"] is None
    assert out["stages"]["potential"] == out["stages"]["new"] == 0
    assert [s["section"] for s in out["skipped"]] == [
        "churned", "funnel_new", "funnel_active", "first_order", "share_rate", "k_factor", "platform_awareness"]
    assert [h["label"] for h in out["headline"]] == ["Loyal users", "Churned users"]
    text = re.sub(r"<[^>]+>", " ", run.html)
    assert "add referrer_id to signups or purchases to measure the K-factor" in text
    for claim in ("have followed or signed up", "of active users shared", "never did"):
        assert claim not in text
    assert not re.search(r"K-factor is \d|K-factor now", text)
    assert text.count("Section skipped") == len(out["skipped"])


def test_the_summary_sizes_each_move_with_the_planted_groups(chapter_run, truths):
    doc = chapter_run(CHAPTER).json
    planted = truths["lifecycle"]["stages"]
    found = {f["key"].removesuffix("_plain"): f for f in doc["summary"]}
    assert len(doc["summary"]) == 5
    assert list(found)[:3] == ["rec_winback", "rec_first_order", "rec_high_value"]  # the most urgent first
    assert found["rec_awareness"]["value"]["users"] == planted["potential"]
    assert found["rec_high_value"]["value"]["users"] == doc["rfm_tiers"]["high_value"]
    assert {a["key"] for a in doc["actions"]} >= {"act_winback", "act_first_order", "act_protect"}
    assert [a["priority"] for a in doc["actions"]][0] == "high"
