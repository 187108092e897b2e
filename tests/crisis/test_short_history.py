"""Chapter 05 on short exports: a crisis five days into the data is found with the history there is, a window too
short to judge says so, and every section left out names its reason."""

from dataclasses import replace

import pandas as pd
import pytest

from socialops.crisis import present
from socialops.crisis.analysis import (
    CrisisSettings,
    analyse_crisis,
    checklist,
    mention_series,
    platform_count,
    platform_spread,
    results,
)
from socialops.report.findings import Message
from socialops.report.i18n import Translator
from socialops.stats.counterfactual import ShortHistory
from tests.crisis_data import week_mentions_frame

DAY_SIX = pd.Timestamp("2026-03-06")


@pytest.fixture(scope="module")
def week(con):
    return con.create_table("mentions_week", week_mentions_frame(), overwrite=True)


@pytest.fixture(scope="module")
def week_crisis(week):
    return analyse_crisis(week)


@pytest.fixture(scope="module")
def en():
    return Translator("en", "crisis_postmortem")


def test_a_doubled_sixth_day_is_found_with_five_days_of_history(week_crisis):
    out = results(week_crisis)
    assert DAY_SIX <= pd.Timestamp(out["onset"]) <= DAY_SIX + pd.Timedelta(hours=2)
    assert out["history_days"] == 5.0 and out["history_needed_days"] == 3
    assert week_crisis.short_history and week_crisis.assessed
    # the excess is the planted doubling (24 hours of about 80 extra mentions), the dip the planted negativity
    low, high = out["excess_mentions_ci"]
    assert low < 24 * 80 < high
    assert out["sentiment_dip"] < -0.4
    # no is_official in this export: the response can be neither met nor missed
    assert out["met_24h_rule"] is None and out["response_hours"] is None
    assert week_crisis.counterfactual.fit_days == 5.0


def test_the_report_says_how_much_history_it_had(week_crisis, en):
    [note] = present.history_notes(week_crisis)
    assert note == Message("history_short", {"days": "5", "full": 14}, kind="note")
    assert en(note.key, **note.values).startswith("Based on 5 days of history before the onset")
    assert "bands are wider" in en(note.key, **note.values)
    [full] = present.history_notes(replace(week_crisis, settings=CrisisSettings(baseline_days=5)))
    assert full == Message("history_full", {"days": "5", "full": 5}, kind="note")
    assert present.headlines(week_crisis, en)[0] == (en("headline_onset"), f"{week_crisis.detection.onset:%Y-%m-%d %H:%M}")


def test_sections_without_their_columns_are_left_out_with_what_to_add(week, week_crisis, en):
    skipped = present.skipped_sections(week_crisis, week.columns, platform_count(week))
    assert list(skipped) == ["response", "negative_words"]
    assert skipped["response"] == Message("add_is_official", kind="skip")
    assert skipped["negative_words"] == Message("add_text", kind="skip")
    record = present.skipped_record(skipped, en)
    assert [row["section"] for row in record] == ["response", "negative_words"]
    assert "add it" in record[0]["reason"] and "`is_official`" in record[0]["reason"]
    check = checklist(week_crisis).set_index("step")["verdict"]
    assert check["response"] == "unknown"
    lessons = {m.key for m in present.lessons(checklist(week_crisis))}
    assert "lesson_response_unknown" in lessons


def test_spread_names_weibo_first_only_because_it_was_strictly_earliest(week, week_crisis):
    spread = platform_spread(week, week_crisis)
    assert spread["platform"].iloc[0] == "weibo"
    assert spread["started_at"].iloc[0] < spread["started_at"].iloc[1]
    assert present.spread_findings(spread, str)[0].key == "finding_spread_first"


def test_two_days_of_data_are_not_assessed_and_every_section_says_why(con, en):
    frame = week_mentions_frame(days=2, crisis_day=3)
    short = con.create_table("mentions_two_days", frame, overwrite=True)
    analysis = analyse_crisis(short)
    assert not analysis.assessed and not analysis.found
    out = results(analysis)
    assert out["onset"] is None and out["history_days"] == 2.0
    assert present.headlines(analysis, en) == [(en("headline_none"), "not assessed (2 days of history)")]
    skipped = present.skipped_sections(analysis, short.columns, platform_count(short))
    assert list(skipped) == list(present.SECTIONS)
    reason = present.skipped_record(skipped, en)[0]["reason"]
    assert reason == "2 days of history; at least 3 needed before the detector can judge a period"
    assert present.history_notes(analysis) == []


def test_a_quiet_short_export_says_no_crisis_over_the_span_it_scored(con):
    quiet = con.create_table("mentions_quiet_week", week_mentions_frame(crisis_day=99), overwrite=True)
    analysis = analyse_crisis(quiet)
    assert analysis.assessed and not analysis.found
    assert present.quiet_period(analysis).values["start"] == "2026-03-04"
    assert present.history_notes(analysis)[0].key == "history_short_quiet"
    skipped = present.skipped_sections(analysis, quiet.columns, platform_count(quiet))
    assert "detectors" not in skipped and skipped["impact"] == Message("skipped_no_crisis", kind="skip")


def test_a_counterfactual_without_enough_history_is_left_out_with_its_reason(week_crisis, en):
    gap = replace(week_crisis, counterfactual=None, counterfactual_gap=ShortHistory(1.5))
    skipped = present.skipped_sections(gap, ["platform", "sentiment", "text", "is_official"], 3)
    assert skipped == {"impact": Message("counterfactual_too_short", {"days": "1.5", "needed": 2}, kind="skip")}
    assert en("counterfactual_too_short", days=1.5, needed=2).startswith("1.5 days of history before the onset")
    assert checklist(gap).set_index("step").loc["repair", "verdict"] == "unknown"


@pytest.mark.parametrize("baseline_days", [3, 5, 7])
def test_short_baselines_work(week, baseline_days):
    analysis = analyse_crisis(week, settings=CrisisSettings(baseline_days=baseline_days))
    assert analysis.found and DAY_SIX <= analysis.detection.onset <= DAY_SIX + pd.Timedelta(hours=2)


def test_baselines_outside_the_range_are_refused(week):
    with pytest.raises(ValueError, match=r"baseline_days must lie in 3\.\.90, got 2"):
        analyse_crisis(week, settings=CrisisSettings(baseline_days=2))


def test_mentions_without_sentiment_or_platform(con, week_crisis):
    frame = week_mentions_frame().drop(columns=["sentiment", "platform"])
    bare = con.create_table("mentions_bare", frame, overwrite=True)
    series = mention_series(bare)
    assert series["sentiment_n"].sum() == 0 and series["mean_sentiment"].isna().all()
    assert platform_count(bare) == 0
    analysis = analyse_crisis(bare)
    assert analysis.found and results(analysis)["sentiment_dip"] is None
    assert platform_spread(bare, analysis).empty
    skipped = present.skipped_sections(analysis, bare.columns, 0)
    assert skipped["spread"].key == "add_platform" and skipped["negative_words"].key == "add_sentiment"
    assert [m.key for m in present.impact_findings(analysis)][0] == "finding_impact_volume"


@pytest.mark.parametrize(("freq", "needed"), [("h", 3), ("30min", 3), ("2h", 3), ("3h", 3), ("6h", 4), ("D", 10)])
def test_every_period_length_runs_on_a_short_export(week, freq, needed):
    analysis = analyse_crisis(week, settings=CrisisSettings(freq=freq))
    assert analysis.history_needed_days == needed
    assert analysis.assessed is (needed < 7)
    skipped = present.skipped_sections(analysis, week.columns, platform_count(week))
    assert set(skipped) <= set(present.SECTIONS)
    if not analysis.assessed:  # a week of daily counts: "7 days of history; at least 10 needed"
        assert skipped["detection"].values == {"days": "7", "needed": 10}
