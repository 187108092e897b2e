"""Every real data set of tests/data/real, run as committed through the command line, against independent answers.

Each folder is run once, whole (``socialops run --data FOLDER``, no chapter named), so it runs every chapter its
tables support and reads its files through its own ``aliases.yaml``. The answers come from
``tests/data/real/compute_answers.py`` (pandas, statsmodels and lifetimes, no socialops code) and from the
publications named in ``tests/data/real/README.md``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.notebook

REAL = ROOT / "tests" / "data" / "real"
CHAPTERS = {"01_platform_matrix", "02_lifecycle", "03_ab_testing", "04_churn", "05_crisis_postmortem"}
#: The chapters each folder's tables let run; every other chapter lacks a table.
RUNS = {
    "facebook_metrics": {"01_platform_matrix"},
    "thai_live_sellers": set(),  # its posts lack two required columns: nothing runs
    "online_retail": {"02_lifecycle", "04_churn"},
    "cdnow": {"02_lifecycle", "04_churn"},
    "broockman_email": {"03_ab_testing"},
    "sanders_apple": {"05_crisis_postmortem"},
}
#: The chapters whose tables each folder holds: those that run, and 01 for the refused Thai posts.
HAS_TABLES = {**RUNS, "thai_live_sellers": {"01_platform_matrix"}}
#: Sections each chapter must list as skipped for want of data the folder does not hold.
PURCHASES_ONLY_02 = {"churned", "funnel_new", "funnel_active", "first_order", "share_rate", "k_factor",
                     "platform_awareness"}
SKIPPED = {
    ("facebook_metrics", "01_platform_matrix"): {"platforms", "money", "change", "score", "audience_fit"},
    ("online_retail", "02_lifecycle"): PURCHASES_ONLY_02,
    ("cdnow", "02_lifecycle"): PURCHASES_ONLY_02,
    # Online Retail's drop-out is not identified, so no value either (see the churn test below)
    ("online_retail", "04_churn"): {"platform_split", "referral_split", "value", "winback_test"},
    ("cdnow", "04_churn"): {"platform_split", "referral_split", "winback_test"},
    ("broockman_email", "03_ab_testing"): {"cuped", "peeking", "segments"},
    ("sanders_apple", "05_crisis_postmortem"): {"detection", "response", "impact", "spread", "negative_words",
                                                 "checklist"},
}
LEFT_OUT = re.compile(r"^(\d\d_\w+) left out: needs ", re.MULTILINE)


@dataclass
class FolderRun:
    """One ``socialops run`` of a whole real data folder."""

    exit_code: int
    out_dir: Path
    output: str

    def json(self, chapter: str) -> dict:
        """A chapter's results."""
        return json.loads((self.out_dir / f"{chapter}.json").read_text(encoding="utf-8"))

    def text(self, chapter: str) -> str:
        """A chapter's HTML report as text: tags dropped, spaces collapsed."""
        html = (self.out_dir / f"{chapter}.html").read_text(encoding="utf-8")
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """Run a real folder once per test module, two chapters at a time."""
    cache: dict[str, FolderRun] = {}

    def run(folder: str) -> FolderRun:
        if folder not in cache:
            out = tmp_path_factory.mktemp(folder) / "reports"
            done = run_cli("run", "--data", str(REAL / folder), "--out", str(out), "--jobs", "2")
            cache[folder] = FolderRun(done.returncode, out, done.stdout + done.stderr)
        return cache[folder]

    return run


@pytest.fixture(scope="module")
def answers() -> dict:
    return json.loads((REAL / "answers.json").read_text(encoding="utf-8"))


def _sections(doc: dict) -> set[str]:
    return {entry["section"] for entry in doc["skipped"]}


@pytest.mark.parametrize("folder", sorted(RUNS))
def test_each_folder_runs_every_chapter_its_tables_support(real_run, folder):
    run = real_run(folder)
    assert "Traceback" not in run.output
    assert set(LEFT_OUT.findall(run.output)) == CHAPTERS - HAS_TABLES[folder]
    assert run.exit_code == (0 if RUNS[folder] else 2), run.output[-3000:]
    for chapter in RUNS[folder]:
        assert re.search(rf"^{chapter}: ok\b", run.output, re.MULTILINE)
        doc = run.json(chapter)
        assert _sections(doc) == SKIPPED[folder, chapter]
        assert all(entry["reason"] for entry in doc["skipped"])
        assert "Traceback" not in run.text(chapter)


def test_thai_sellers_are_refused_once_per_missing_column(real_run):
    # the Graph API export has neither impressions nor a content type, both required by the posts table
    run = real_run("thai_live_sellers")
    problems = [line for line in run.output.splitlines() if "missing required column" in line]
    assert sorted(re.sub(r".*column (\w+):.*", r"\1", p) for p in problems) == ["content_type", "impressions"]
    assert not run.out_dir.exists() or not list(run.out_dir.glob("*.json"))


def test_thai_sellers_dates_in_two_forms_read_month_first(tmp_path, answers):
    # with the two missing columns added, both forms of publication time read month first, as the seams prove
    from socialops.inputs.workspace import open_workspace

    posts = pd.read_csv(REAL / "thai_live_sellers" / "posts.csv", dtype=str)
    posts.assign(impressions="1", content_type="story").to_csv(tmp_path / "posts.csv", index=False)
    (tmp_path / "aliases.yaml").write_bytes((REAL / "thai_live_sellers" / "aliases.yaml").read_bytes())
    with open_workspace(tmp_path, ["posts"]) as workspace:
        read = workspace.table("posts").select("published_at", "likes").to_pandas()
    expected = answers["thai_live_sellers"]
    assert len(read) == expected["posts"] and int(read["likes"].sum()) == expected["likes"]
    assert [read["published_at"].min(), read["published_at"].max()] == list(map(pd.Timestamp,
                                                                               expected["published_range"]))


def test_facebook_posts_give_content_types_adverts_and_hours_with_enough_posts(real_run, answers):
    run, expected = real_run("facebook_metrics"), answers["facebook_metrics"]
    doc, text = run.json("01_platform_matrix"), run.text("01_platform_matrix")
    assert doc["inputs"]["posts"]["rows"] == expected["posts"]
    assert list(map(pd.Timestamp, doc["data_range"])) == list(map(pd.Timestamp, expected["published_range"]))
    # the alias map: category 1 action -> interactive, 2 product -> promotion, 3 inspiration -> story
    names = {"1": "interactive", "2": "promotion", "3": "story"}
    types = {row["content_type"]: row for row in doc["content_types"]}
    assert {k: row["n"] for k, row in types.items()} == {names[c]: n for c, n in expected["by_category"].items()}
    for code, rate in expected["mean_engagement_rate_by_category"].items():
        assert types[names[code]]["engagement_rate"] == pytest.approx(rate, abs=5e-7)
    # DESIGN.md: an advert is is_ad true, else (is_ad empty) a promotion
    mix = doc["content_mix"]
    assert mix["posts"] == expected["posts"]
    assert mix["ads"] == expected["paid"] + expected["paid_missing_by_category"].get("2", 0)
    # a best hour needs at least min_posts_per_slot posts: one post at 20:00 cannot make it one
    enough = {int(h) for h, n in expected["posts_by_hour"].items() if n >= doc["params"]["min_posts_per_slot"]}
    assert doc["best_hours"] and set(doc["best_hours"]) <= enough
    assert not set(doc["best_hours"]) & set(expected["hours_with_fewer_than_3_posts"])
    # no platform comparison rests on posts alone, and no verdict on a cadence nobody gave guidance for
    assert doc["platforms"] == [] and doc["score_intervals"] is None and doc["change"] is None
    assert [row["status"] for row in doc["cadence"]] == ["no_guidance"]
    assert "Every platform with guidance" not in text and "no posting guidance is known" in text.lower()
    assert "converts best" not in text and "wins followers cheapest" not in text and "Warning" not in text


def _cohorts_match(found: dict, expected: dict) -> None:
    assert set(found) == set(expected)
    for month, shares in expected.items():
        known = [s for s in shares if s is not None]
        assert found[month][:len(known)] == pytest.approx(known, abs=1e-6), month
        assert len(found[month]) == len(known) or len(known) == 4, month  # the data end where the answer does


@pytest.mark.parametrize(("folder", "stages"), [("online_retail", "stages_as_of_latest"),
                                                 ("cdnow", "stages_as_of_latest_1998_06_30_00_00")])
def test_purchase_logs_give_the_stages_tiers_and_cohorts(real_run, answers, folder, stages):
    doc, expected = real_run(folder).json("02_lifecycle"), answers[folder]
    assert doc["stages"] == expected[stages]
    assert doc["rfm_tiers"] == expected["rfm_tiers_as_of_latest"]
    _cohorts_match({m: s[:4] for m, s in doc["cohort_retention"].items()}, expected["cohort_retention_months_0_to_3"])
    # no K-factor without referral data, in the results or among the headlines
    assert doc["k_factor"] is None and not any("K-factor" in h["label"] for h in doc["headline"])


def test_online_retail_names_the_purchase_model_as_unable_and_lists_by_the_churn_rule(real_run, answers):
    run, expected = real_run("online_retail"), answers["online_retail"]
    doc, text = run.json("04_churn"), run.text("04_churn")
    fit, reference = doc["bgnbd"], expected["bgnbd_lifetimes_days_calendar"]
    assert fit["customers"] == expected["customers"]
    # the purchase rate is pinned down (lifetimes agrees); the drop-out drifts to a = 0, not identified
    assert [fit["r"], fit["alpha"]] == pytest.approx([reference["r"], reference["alpha"]], rel=2e-3)
    assert fit["a"] < 1e-4 and reference["a"] < 1e-4
    assert "a" in fit["unidentified"] and fit["ci"]["a"] is None
    assert doc["at_risk_rule"] == "churn_days" and doc["at_risk_users"] > 0
    assert "cannot tell who has left" in text
    churned = expected["stages_as_of_latest"]["churned"]
    assert f"{churned:,} of them" in text


def test_cdnow_gives_lifetimes_fit_and_no_median_lifetime_of_zero(real_run, answers):
    run, expected = real_run("cdnow"), answers["cdnow"]
    doc, text = run.json("04_churn"), run.text("04_churn")
    fit, reference = doc["bgnbd"], expected["bgnbd_lifetimes_latest_days"]
    assert [fit[k] for k in reference] == pytest.approx(list(reference.values()), rel=2e-3)
    assert fit["unidentified"] == [] and doc["at_risk_rule"] == "p_alive"
    # half of the customers never come back after their first day: the median is 0, and not said as a lifetime
    assert doc["survival"]["median_days"] == 0
    assert "stay active for 0 days" not in text and "no median lifetime is given" in text
    churned = expected["stages_as_of_latest_1998_06_30_00_00"]["churned"]
    assert f"{churned:,} of them" in text


def test_cdnow_calibration_gives_the_published_bgnbd(tmp_path):
    # Fader, Hardie & Lee (2005): calibration to 1997-09-30 (39 weeks), r 0.243, alpha 4.414, a 0.793, b 2.426,
    # log-likelihood -9582.4
    out = tmp_path / "reports"
    done = run_cli("run", "churn", "--data", str(REAL / "cdnow"), "--out", str(out), "-p", "as_of=1997-09-30",
                   "-p", "time_unit=week", "-p", "holdout_days=0")
    assert done.returncode == 0, done.stderr[-3000:]
    fit = json.loads((out / "04_churn.json").read_text(encoding="utf-8"))["bgnbd"]
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert [fit[k] for k in published] == pytest.approx(list(published.values()), abs=6e-4)
    assert fit["log_likelihood"] == pytest.approx(-9582.4, abs=0.06)
    assert fit["time_unit"] == "week" and fit["customers"] == 2357


def test_email_experiment_gives_the_independent_answers_with_the_aliased_control(real_run, answers):
    doc, expected = real_run("broockman_email").json("03_ab_testing"), answers["broockman_email"]
    control, variant = expected["control (treat_out=0)"], expected["out_of_district (treat_out=1)"]
    (row,) = [r for r in doc["tests"] if r["metric"] == "conversion"]
    # the value alias names treat_out 0 "control", which the default control names find
    assert (row["control"], row["variant"]) == ("control", "out_of_district")
    assert (row["n_control"], row["n_variant"]) == (control["n"], variant["n"])
    assert (row["control_rate"], row["variant_rate"]) == pytest.approx((control["rate"], variant["rate"]), abs=1e-6)
    assert row["abs_diff"] == pytest.approx(expected["abs_diff"], abs=1e-6)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(expected["newcombe_95"], abs=1e-6)
    assert row["rel_lift"] == pytest.approx(expected["rel_lift"], abs=1e-6)
    assert row["p_value"] == pytest.approx(expected["p_value"], rel=1e-3)
    (srm,) = doc["srm"]
    assert srm["p_value"] == pytest.approx(0.640, abs=1e-3) and not srm["mismatch"]


def test_short_mention_stream_says_how_much_history_it_had(real_run, answers):
    run, expected = real_run("sanders_apple"), answers["sanders_apple"]
    doc = run.json("05_crisis_postmortem")
    assert doc["inputs"]["mentions"]["rows"] == expected["mentions"]
    # hourly buckets from the first mention's hour to the end of the last one's
    first, last = (pd.Timestamp(t).tz_convert(None) for t in expected["range_utc"])
    span = (last.ceil("h") - first.floor("h")) / pd.Timedelta(days=1)
    assert doc["history_days"] == pytest.approx(span, abs=0.05)
    assert doc["history_days"] < doc["params"]["baseline_days"]
    text = run.text("05_crisis_postmortem")
    assert f"Based on {doc['history_days']:.1f} days of history" in text
    # the detector watched only the hours after the history it needs: the quiet window says so in hours
    assert re.search(rf"Between {last:%Y-%m-%d} \d\d:\d\d and {last:%Y-%m-%d %H:%M} ", text)
    assert "before the crisis" not in text  # there was none
