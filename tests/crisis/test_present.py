"""Reader-facing pieces of the crisis postmortem: headlines, findings and tables in both languages."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from socialops.crisis import present
from socialops.crisis.analysis import analyse_crisis, checklist, detector_comparison, platform_spread, results
from socialops.report.findings import Duration, Message
from socialops.report.format import time_unit
from socialops.report.i18n import Translator
from tests.crisis_data import mentions_frame


@pytest.fixture(scope="module")
def en():
    return Translator("en", "crisis_postmortem")


@pytest.fixture(scope="module")
def quiet(con):
    table = con.create_table("mentions_quiet", mentions_frame(onset=None, days=30, seed=3), overwrite=True)
    return analyse_crisis(table)


def test_headlines(crisis, quiet, en):
    onset = crisis.detection.onset
    assert present.headlines(crisis, en) == [(en("headline_onset"), f"{onset:%Y-%m-%d %H:%M}"),
                                             (en("headline_response"), f"{crisis.response_hours:.0f}")]
    assert present.headlines(replace(crisis, response_hours=None), en) == [
        (en("headline_onset"), f"{onset:%Y-%m-%d %H:%M}")]
    assert present.headlines(quiet, en) == [(en("headline_none"), en("headline_none_value"))]


def test_quiet_period(quiet):
    # the detector watched from its first scored hour, three days into the data
    assert present.quiet_period(quiet) == Message("no_crisis", {"start": "2026-08-04", "end": "2026-08-30"})
    # watched for part of one day only: the hours say how little
    same_day = replace(quiet, as_of=quiet.first_scored.normalize() + pd.Timedelta(hours=23, minutes=59))
    assert present.quiet_period(same_day).values == {"start": f"{quiet.first_scored:%Y-%m-%d %H:%M}",
                                                     "end": "2026-08-04 23:59"}


def test_detection_finding(crisis):
    found = present.detection_finding(crisis)
    values = found.values
    assert found.key == "finding_detection"
    d = crisis.detection
    assert values["onset"] == f"{d.onset:%Y-%m-%d %H:%M}" and values["alert"] == f"{d.alert_at:%Y-%m-%d %H:%M}"
    assert values["peak_mentions"] == int(crisis.scores.loc[d.peak_at, "count"])
    assert float(values["ratio"]) > 3 and len(values["ratio"].partition(".")[2]) == 1
    assert values["delay"] == Duration((d.alert_at - d.onset) / pd.Timedelta(hours=1), "hours")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_detectors_table_and_finding(crisis, lang):
    t = Translator(lang, "crisis_postmortem")
    compare = detector_comparison(crisis)
    table = present.detectors_table(compare, t)
    assert list(table.columns) == [t.col(c) for c in compare.columns]
    assert table[t.col("detector")].tolist() == [t("detector_robust"), t("detector_naive")]
    assert table[t.col("first_alert")].iloc[0] == f"{crisis.detection.alert_at:%Y-%m-%d %H:%M}"
    found = present.detectors_finding(compare, 3.0)
    values = found.values
    assert found.key == "finding_detectors"
    quiet = present.detectors_finding(compare, 3.0, found=False)  # no crisis: no "before the crisis"
    assert quiet.key == "finding_detectors_quiet" and quiet.values == values
    assert "before the crisis" not in t(quiet.key, **values) and "危机前" not in t(quiet.key, **values)
    assert values["k"] == "3" and values["robust"] == 0 and values["naive"] > 0
    assert "{" not in t("finding_detectors", **values)


def test_response_findings(crisis):
    found = present.response_finding(crisis)
    key, values = found.key, found.values
    assert key == "finding_response_missed"
    assert values == {"response": "2026-09-06 15:05", "hours": Duration(crisis.response_hours, "hours")}
    met = replace(crisis, met_24h_rule=True)
    assert present.response_finding(met).key == "finding_response_met"
    silent = replace(crisis, first_response_at=None, response_hours=None, met_24h_rule=None,
                     as_of=crisis.detection.onset + pd.Timedelta(hours=5, minutes=30))
    assert present.response_finding(silent) == Message("finding_response_none", {"hours": Duration(5.5, "hours")})


def test_impact_table_and_findings(crisis, en):
    table = present.impact_table(crisis, en)
    assert table[en.col("metric")].tolist() == [en("metric_mentions"), en("metric_mean_sentiment"),
                                               en("metric_negative_share")]
    # mentions whole, the negative share in percentage points
    assert table[en.col("effect")].iloc[0] == round(crisis.excess["effect"])
    share = next(row for row in results(crisis)["impact"] if row["metric"] == "negative_share")
    assert table[en.col("effect")].iloc[2] == pytest.approx(100 * share["effect"], abs=0.5)
    first, dip, second = present.impact_findings(crisis)
    key, impact = first.key, first.values
    recovery, values = second.key, second.values
    assert key == "finding_impact_volume" and impact["excess"] == f"{round(crisis.excess['effect']):,}"
    low, excess, high = (float(impact[k].replace(",", "")) for k in ("low", "excess", "high"))
    assert 0 < low <= excess <= high
    assert dip.key == "finding_sentiment_fell"
    low, shown, high = (float(dip.values[k]) for k in ("dip_low", "dip", "dip_high"))
    assert shown > 0 and low <= shown <= high
    assert impact["start"] == f"{crisis.detection.onset:%m-%d %H:%M}"
    assert impact["end"] == f"{crisis.recovered_at:%m-%d %H:%M}"
    hours = (crisis.recovered_at - crisis.detection.onset) / pd.Timedelta(hours=1)
    # two sentences, each span in its own unit
    assert recovery == "finding_recovered" and values["after"] == Duration(hours, time_unit(hours))
    assert values["hold"] == Duration(12, "hours")
    open_ended = replace(crisis, recovered_at=None, window_end=None)
    first, _, last = present.impact_findings(open_ended)
    impact = first.values
    assert last == Message("finding_not_recovered", {"hold": Duration(12, "hours")})
    assert impact["end"] == f"{crisis.as_of:%m-%d %H:%M}"


def test_spread_table_and_findings(crisis_table, crisis, en):
    spread = platform_spread(crisis_table, crisis)
    table = present.spread_table(spread, en, str.upper)
    assert table[en.col("platform")].iloc[0] == "WEIBO"
    assert list(table.columns) == [en.col(c) for c in spread.columns]
    first, followed = present.spread_findings(spread, str.upper)
    assert first.key == "finding_spread_first" and first.values["first"] == "WEIBO"
    assert first.values["share"].endswith("%")
    assert followed.key == "finding_spread_followed" and followed.values["lag"].hours >= 0
    assert set(followed.values["others"]) == {"DOUYIN", "XIAOHONGSHU"}
    assert table[en.col("excess")].dtype == "Int64"
    alone = spread.assign(started_at=[spread["started_at"].iloc[0], pd.NaT, pd.NaT])
    assert [m.key for m in present.spread_findings(alone, str)] == ["finding_spread_first"]
    assert present.spread_findings(spread.assign(started_at=pd.NaT), str) == []


def test_a_platform_is_named_first_only_when_strictly_earliest(en):
    start = pd.Timestamp("2026-03-06 00:00")
    spread = pd.DataFrame({
        "platform": ["weibo", "douyin", "zhihu"],
        "started_at": [start, start, start + pd.Timedelta(hours=3)],
        "lead_hours": [0.0, 0.0, 3.0], "excess_share": [0.5, 0.3, 0.2]})
    tied, followed = present.spread_findings(spread, str)
    assert tied == Message("finding_spread_tied", {"firsts": ("weibo", "douyin"), "start": "03-06 00:00",
                                                   "share": "80%"})
    assert followed == Message("finding_spread_followed", {"others": ("zhihu",), "lag": Duration(3.0, "hours")})
    assert en(tied.key, **tied.values).startswith("weibo, douyin started in the same period")
    assert Translator("zh", "crisis_postmortem")(tied.key, **tied.values).startswith("weibo、douyin 在同一时段")
    assert en(followed.key, **followed.values) == "zhihu followed within 3 hours of the onset."


def test_unclear_changes_are_not_claimed(crisis, en):
    unclear = replace(crisis, excess={**crisis.excess, "ci_low": -5.0},
                      sentiment={**crisis.sentiment, "effect": -0.02, "ci_low": -0.1, "ci_high": 0.06})
    volume, sentiment, _ = present.impact_findings(unclear)
    assert volume.key == "finding_impact_volume_unclear"
    # an interval 0.16 wide supports one decimal: -0.02 reads 0.0 (never "-0.0"), its ends -0.1 and 0.1
    assert sentiment.key == "finding_sentiment_unclear"
    assert (sentiment.values["change"], sentiment.values["low"], sentiment.values["high"]) == ("0.0", "-0.1", "0.1")
    unrated = replace(crisis, sentiment={**crisis.sentiment, "effect": None})
    assert [m.key for m in present.impact_findings(unrated)][:2] == ["finding_impact_volume", "finding_recovered"]


def test_words(en):
    words = pd.DataFrame({"word": list("abcdefg"), "count": range(7, 0, -1)})
    assert list(present.words_table(words, en).columns) == [en.col("word"), en.col("count")]
    assert present.words_finding(words) == Message("finding_words", {"words": tuple("abcdef")})
    found = present.words_finding(words)
    assert Translator("zh", "crisis_postmortem")(found.key, **found.values) == "负面提及中反复出现的词是：**a、b、c、d、e、f**。"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_checklist_and_lessons(crisis, lang):
    t = Translator(lang, "crisis_postmortem")
    check = checklist(crisis)
    table = present.checklist_table(check, t)
    assert table[t.col("verdict")].tolist() == [t("verdict_met"), t("verdict_missed"), t("verdict_met")]
    found = present.lessons(check)
    assert [m.key for m in found] == ["lesson_warning_met", "lesson_response_missed", "lesson_repair_met"]
    assert all("{" not in t(m.key, **m.values) for m in found)
    unknown = pd.DataFrame({"step": ["repair"], "verdict": ["open"], "hours": [np.nan]})
    assert present.lessons(unknown) == [Message("lesson_repair_open", {"hours": Duration(None, "hours"),
                                                                       "days": Duration(None, "days")})]
    late = present.lessons(pd.DataFrame({"step": ["warning"], "verdict": ["late"], "hours": [114.0]}))
    assert late == [Message("lesson_warning_late", {"hours": Duration(114.0, "days"), "days": Duration(114.0, "days")})]
    assert "4.8 days after the onset" in Translator("en", "crisis_postmortem")(late[0].key, **late[0].values)
    repair = present.lessons(pd.DataFrame({"step": ["repair"], "verdict": ["met"], "hours": [24.0]}))[0]
    assert "修复" in t(repair.key, **repair.values) if lang == "zh" else "returned to normal 1 day after" in t(
        repair.key, **repair.values)

