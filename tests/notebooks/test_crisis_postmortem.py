"""Chapter 05 on the samples: the planted crisis is recovered, and quiet data give a clean "no crisis" report."""

from __future__ import annotations

import pandas as pd
import pytest

from socialops.crisis.analysis import CRISIS_KEYS
from tests.conftest import SAMPLES, run_cli
from tests.crisis_data import week_mentions_frame

pytestmark = pytest.mark.notebook

CHAPTER = "05_crisis_postmortem"


def _hours_between(a: str, b: str) -> float:
    return abs((pd.Timestamp(a) - pd.Timestamp(b)) / pd.Timedelta(hours=1))


def test_recovers_the_planted_crisis(chapter_run, truths):
    run = chapter_run(CHAPTER)
    assert run.exit_code == 0, run.stderr
    out, planted = run.json, truths["crisis"]
    assert _hours_between(out["onset"], planted["onset"]) <= 1
    assert out["onset"] <= out["alert_at"] <= out["peak_at"]
    assert _hours_between(out["peak_at"], planted["peak_at"]) <= 1
    assert out["first_response_at"] == planted["first_response_at"]
    assert out["response_hours"] == pytest.approx(planted["response_hours"], abs=1)
    assert out["met_24h_rule"] is False
    assert out["recovered_at"] is not None and out["recovered_at"] <= planted["recovered_by"]
    low, high = out["excess_mentions_ci"]
    assert low <= out["excess_mentions"] <= high
    # The window ends at recovery, before the planted decay has fully died out: most, not all, of the excess.
    assert 0.85 * planted["excess_mentions"] <= out["excess_mentions"] <= 1.02 * planted["excess_mentions"]
    dip = planted["crisis_sentiment"] - planted["baseline_sentiment"]
    assert out["sentiment_dip"] == pytest.approx(dip, abs=0.15)
    assert {row["metric"] for row in out["impact"]} == {"mentions", "mean_sentiment", "negative_share"}
    assert "24" in run.html


def test_chinese_report_has_no_personal_data(chapter_run, truths):
    run = chapter_run(CHAPTER, lang="zh")
    assert run.exit_code == 0, run.stderr
    assert "危机复盘" in run.html and "复盘清单" in run.html
    for phone in truths.get("masking", {}).get("phones", []):
        assert phone not in run.html


def test_quiet_data_give_no_crisis(chapter_run, truths, tmp_path):
    source = next(SAMPLES.glob("mentions.*"))
    frame = pd.read_parquet(source) if source.suffix == ".parquet" else pd.read_csv(source, dtype={"mention_id": str})
    frame["ts"] = pd.to_datetime(frame["ts"])
    quiet = frame[frame["ts"] < pd.Timestamp(truths["crisis"]["onset"])]
    quiet.to_csv(tmp_path / "mentions.csv", index=False)
    run = chapter_run(CHAPTER, data=tmp_path)
    assert run.exit_code == 0, run.stderr
    out = run.json
    assert all(out[key] is None for key in CRISIS_KEYS)
    assert "No crisis found" in run.html


def test_a_short_export_with_only_the_required_columns(chapter_run, tmp_path):
    # A week of mentions whose sixth day doubles, as a team exporting the crisis window would send it: no
    # is_official, reach or text. The crisis is found on five days of history, and the sections that need the
    # absent columns are listed with what to add.
    week_mentions_frame().to_csv(tmp_path / "mentions.csv", index=False)
    run = chapter_run(CHAPTER, data=tmp_path, baseline_days=5)
    assert run.exit_code == 0, run.stderr
    out = run.json
    assert pd.Timestamp("2026-03-06") <= pd.Timestamp(out["onset"]) <= pd.Timestamp("2026-03-06 02:00")
    assert out["history_days"] == 5.0 and out["history_needed_days"] == 3
    assert out["met_24h_rule"] is None and out["excess_mentions"] > 0
    assert [row["section"] for row in out["skipped"]] == ["response", "negative_words"]
    assert all("add it" in row["reason"] for row in out["skipped"])
    assert "Based on 5 days of history before the onset" in run.html


def test_a_baseline_below_its_range_is_refused_before_the_run(tmp_path):
    done = run_cli("run", CHAPTER, "--data", str(SAMPLES), "--out", str(tmp_path), "-p", "baseline_days=2")
    assert done.returncode == 2
    assert "baseline_days: 2 is outside the documented range 3..90" in done.stdout + done.stderr


def test_the_summary_names_the_planted_crisis_and_the_missed_statement_first(chapter_run, truths):
    run = chapter_run(CHAPTER)
    doc, planted = run.json, truths["crisis"]
    assert [f["key"] for f in doc["summary"]] == ["sum_crisis", "lesson_warning_met", "lesson_response_missed",
                                                  "lesson_repair_met"]
    crisis = doc["summary"][0]["value"]
    assert crisis["onset"] == doc["onset"] == planted["onset"]
    assert (crisis["excess_mentions"], [crisis["ci_low"], crisis["ci_high"]]) == (doc["excess_mentions"],
                                                                                   doc["excess_mentions_ci"])
    assert doc["summary"][2]["value"]["hours"] == pytest.approx(planted["response_hours"], abs=1)
    [first] = [a for a in doc["actions"] if a["priority"] == "high"]
    assert first["key"] == "act_holding_statement" and first["expected"] is None
    assert run.html.index(doc["summary"][0]["text"].split(" (")[0]) < run.html.index(first["what"]) < \
        run.html.index("<h2")
