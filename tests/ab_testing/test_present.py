"""Reader-facing pieces of chapter 03: every message exists in both languages, tables and findings read right."""

import math

import ibis
import pandas as pd
import pytest

from socialops.ab_testing import analyse_experiments, plan_next, planning_inputs, present, segment_tests
from socialops.inputs.tables import TABLES
from socialops.report.findings import Message
from socialops.report.format import p_value, percent, signed, small
from socialops.report.i18n import Translator


@pytest.fixture
def en():
    return Translator("en", "ab_testing")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_verdict_has_a_message(every_verdict, lang):
    analysis = every_verdict
    t = Translator(lang, "ab_testing")
    reasons = set(analysis.verdicts.reason)
    assert reasons == {"winner", "underpowered", "srm", "harm"}
    for _, v in analysis.verdicts.iterrows():
        found = present.verdict_message(v, analysis.tests, analysis.srm, t, 0.01, 0.05)
        key, values = found.key, found.values
        text = t(key, **values)
        assert v.experiment_id in text and "{" not in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tables_use_the_catalog(every_verdict, lang):
    analysis = every_verdict
    t = Translator(lang, "ab_testing")
    table = present.tests_table(analysis.tests, t)
    assert list(table.columns)[:2] == [t("col_experiment"), t("col_metric")]
    good = table[table[t("col_experiment")] == "good"].iloc[0]
    assert good[t("col_diff")].endswith(t("unit_pp")) and good[t("col_diff")].startswith("+")
    assert present.srm_table(analysis.srm, t)[t("col_status")].tolist().count(t("srm_status_broken")) == 1
    assert len(present.verdict_table(analysis.verdicts, t)) == 4


def test_number_formats():
    assert percent(0.04123, 2, missing="") == "4.12%"
    assert signed(0.0101, 2, 100, " pp") == "+1.01 pp"
    assert p_value(0.0004, missing="") == "< 0.001" and p_value(0.0123, missing="") == "0.012"
    assert small(0.00009, 3) == "< 0.001" and small(0.0123, 3) == "0.012"
    assert present.split_text({"holdout": 0.1, "coupon": 0.9}) == "holdout 10% / coupon 90%"
    assert present.effective_sample_factor(0.5) == pytest.approx(2.0)


def test_chapter_texts(en):
    assert present.interval_text(-0.0012, 0.0034, 2, 100) == "[-0.12, +0.34]"
    assert present.interval_text(float("nan"), None) == "[, ]"
    assert present.mde_text(0.01, en) == "1.00 pp"
    assert present.level_of(0.1) == "90"
    assert present.effective_sample_factor(1.0) == math.inf
    row = pd.Series({"metric": "value", "abs_diff": 1.5, "ci_low": -0.25, "ci_high": 3.0})
    assert present.diff_text(row, en) == ("+1.50", "[-0.25, +3.00]")
    row = pd.Series({"metric": "conversion", "abs_diff": 0.012, "ci_low": 0.004, "ci_high": 0.02})
    assert present.diff_text(row, en) == ("+1.20 pp", "[+0.40, +2.00]")


def test_tests_table_formats_rates_losses_and_missing_lifts(en):
    tests = pd.DataFrame([
        {"experiment_id": "e", "metric": "conversion", "control": "c", "variant": "v", "n_control": 1200,
         "n_variant": 1100, "control_rate": 0.05, "variant_rate": 0.0612, "abs_diff": 0.0112, "rel_lift": 0.224,
         "ci_low": 0.001, "ci_high": 0.02, "lift_low": 0.01, "lift_high": 0.5, "p_value": 0.0004,
         "p_adjusted": 0.0008, "p_sequential": 0.03, "prob_beat_control": 0.991, "expected_loss": 0.00001},
        {"experiment_id": "e", "metric": "value", "control": "c", "variant": "v", "n_control": 1200,
         "n_variant": 1100, "control_rate": 1234.5, "variant_rate": 1300.0, "abs_diff": 65.5, "rel_lift": None,
         "ci_low": -3.0, "ci_high": 130.0, "lift_low": None, "lift_high": None, "p_value": 0.06,
         "p_adjusted": 0.06, "p_sequential": 0.4, "prob_beat_control": 0.97, "expected_loss": 0.5}])
    rows = present.tests_table(tests, en).to_dict("records")
    assert rows[0][en.col("rates")] == "6.12% vs 5.00%"
    assert rows[0][en.col("n")] == "1,100 / 1,200"
    assert rows[0][en.col("lift")] == "+22.4%" and rows[0][en.col("lift_ci")] == "[+1.0%, +50.0%]"
    assert rows[0][en.col("p")] == "< 0.001" and rows[0][en.col("prob")] == "99.1%"
    assert rows[0][en.col("loss")] == "0.001 pp"
    assert rows[1][en.col("rates")] == "1,300.00 vs 1,234.50"
    assert rows[1][en.col("lift")] == "" and rows[1][en.col("lift_ci")] == ""
    assert rows[1][en.col("loss")] == "0.50" and rows[1][en.col("diff")] == "+65.50"


def test_peeking_summary_counts_days(every_verdict):
    analysis = every_verdict
    summary = present.peeking_summary(analysis.looks, 0.05).set_index("experiment_id")
    looks = analysis.looks[(analysis.looks.experiment_id == "good") & (analysis.looks.metric == "conversion")]
    assert summary.loc["good", "days"] == len(looks) == 10
    assert summary.loc["good", "days_below"] == int((looks.p_classic < 0.05).sum())


def test_peeking_findings_skip_broken_splits_and_name_the_safe_day(every_verdict):
    found = dict((m.values["experiment"], (m.key, m.values)) for m in
                 present.peeking_findings(every_verdict.looks, {"bad"}, 0.05))
    assert set(found) == {"good", "flat", "worse"}
    key, values = found["good"]
    assert key == "peek_finding_crossed" and 1 <= values["day"] <= values["days"] == 10
    key, values = found["flat"]
    assert key == "peek_finding" and values["day"] == 0


def test_overview_notes_and_srm_findings(every_verdict):
    analysis = every_verdict
    assert present.overview(analysis) == Message("overview_found", {
        "n": 4, "names": ("bad", "flat", "good", "worse"),
        "controls": ("bad → control", "flat → A", "good → control", "worse → holdout")})
    assert present.split_notes({"good/control": 1, "good/new": 1}, analysis) == []
    # the note counts the entries and names the experiments in the data, never the entries (a default written
    # for other data would otherwise name experiments that do not exist)
    assert present.split_notes({"typo/x": 1, "typo/y": 1}, analysis) == [
        Message("splits_unmatched", {"n": 2, "names": ("bad", "flat", "good", "worse")}, "note")]
    assert present.broken_splits(analysis.srm) == {"bad"}
    found = present.srm_findings(analysis.srm)
    assert [m.key for m in found] == ["srm_mismatch", "srm_all_ok"]
    assert found[0].values["experiment"] == "bad" and found[0].values["expected"] == "control 50% / v 50%"
    assert present.srm_findings(analysis.srm[~analysis.srm["mismatch"]]) == [Message("srm_none")]


def test_summary_and_captions(every_verdict, en):
    summary, families = present.results_summary(every_verdict.tests, {"bad"}, 0.05, "bh", en)
    assert summary == Message("results_summary",
                              {"correction": "Benjamini–Hochberg", "n_sig": 2, "n": 3, "alpha": "0.05"})
    # the report names the families the correction runs within, and the correction, in both languages
    assert families == Message("correction_families", {"correction": "Benjamini–Hochberg"})
    assert "conversion comparisons of an experiment form one family" in en(families.key, **families.values)
    zh = Translator("zh", "ab_testing")
    assert "转化率比较为一族" in zh(families.key, **families.values)
    assert "95%" in present.tests_caption(0.05, "holm", en) and "Holm" in present.tests_caption(0.05, "holm", en)
    assert "platform" in present.segments_caption("platform", "holm", en)


def test_cuped_findings_and_table(en):
    cuped = pd.DataFrame({
        "experiment_id": ["a", "b", "c"], "variant": ["v", "v", "v"], "theta": [0.7, 0.1, 0.5],
        "variance_reduction": [0.5, 0.01, 0.6], "raw_diff": [4.0, 1.0, 1.0], "raw_ci_low": [-1.0, 0, 0],
        "raw_ci_high": [9.0, 2.0, 2.0], "raw_p_value": [0.1, 0.05, 0.05], "cuped_diff": [4.2, 1.0, 1.0],
        "cuped_ci_low": [0.5, 0, 0], "cuped_ci_high": [7.9, 2.0, 2.0], "cuped_p_value": [0.0001, 0.05, 0.05]})
    found = present.cuped_findings(cuped, {"c"})
    assert found == [
        Message("cuped_finding", {"experiment": "a", "variant": "v", "reduction": "50%", "factor": "2.0",
                                  "raw_ci": "[-1.00, +9.00]", "cuped_ci": "[+0.50, +7.90]"}),
        Message("cuped_no_gain", {"experiment": "b", "reduction": "1.0%"})]
    table = present.cuped_table(cuped, en)
    assert table[en.col("p_cuped")].iloc[0] == "< 0.001" and table[en.col("reduction")].iloc[0] == "50.0%"


def test_segments_table_and_caution(en):
    seg = pd.DataFrame({"experiment_id": ["e", "e"], "segment": ["weibo", "douyin"], "variant": ["v", "v"],
                        "n_control": [500, 700], "n_variant": [510, 690], "control_rate": [0.05, 0.04],
                        "variant_rate": [0.07, 0.041], "abs_diff": [0.02, 0.001], "ci_low": [0.001, -0.02],
                        "ci_high": [0.04, 0.022], "p_value": [0.01, 0.9], "p_adjusted": [0.02, 0.9]})
    table = present.segments_table(seg, en, str.upper)
    assert table[en.col("segment")].tolist() == ["WEIBO", "DOUYIN"]
    assert table[en.col("diff")].iloc[0] == "+2.00 pp" and table[en.col("ci")].iloc[0] == "[+0.10, +4.00]"
    assert present.segments_caution(seg, 0.05) == Message("segments_caution", {"k": 2, "n_sig": 1})


def test_verdict_findings_follow_the_verdicts(every_verdict, en):
    found = present.verdict_findings(every_verdict, en, 0.01, 0.05)
    assert [m.values["experiment"] for m in found] == every_verdict.verdicts["experiment_id"].tolist()
    keys = dict((m.values["experiment"], m.key) for m in found)
    assert keys["good"] == "verdict_ship_winner" and keys["bad"] == "verdict_stop_srm"


def test_plan_finding_with_and_without_traffic(en):
    inputs = {"baseline_rate": 0.04, "baseline_source": "observed", "daily_traffic": 1000.0,
              "traffic_source": "given"}
    plan = plan_next(0.04, 0.01, 1000)
    found = present.plan_finding(plan, inputs, 0.8, 0.05, 2, en)
    key, values = found.key, found.values
    assert key == "plan_finding"
    assert values == {"mde": "1.00 pp", "baseline": "4.00%", "power": "80%", "alpha": "0.05", "n": "6,745",
                      "days": 14, "traffic": "1,000", "arms": 2}
    found = present.plan_finding(plan_next(0.04, 0.01, 0), {**inputs, "daily_traffic": None}, 0.8, 0.05, 2, en)
    key, values = found.key, found.values
    assert key == "plan_no_traffic" and values["traffic"] == "0"
    assert present.plan_sources(inputs, en) == Message("plan_sources", {
        "baseline_source": en("source_observed_rate"), "traffic_source": en("source_given_traffic")}, "note")
    unknown = present.plan_sources({**inputs, "daily_traffic": None, "traffic_source": "unknown"}, en)
    assert "assigned_at" in en(unknown.key, **unknown.values)


def test_headlines(every_verdict, en):
    assert present.headlines(every_verdict, en) == [
        (en("headline_experiments"), 4), (en("headline_ship"), "good: new"), (en("headline_srm"), "bad")]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_too_few_units_verdict_reads_in_both_languages(lang):
    t = Translator(lang, "ab_testing")
    verdict = pd.Series({"experiment_id": "tiny", "verdict": "too_few_units", "reason": "too_few_units",
                         "variant": None, "n_needed": 7000, "n_smallest_arm": 6, "days_more": 3})
    found = present.verdict_message(verdict, pd.DataFrame(columns=["experiment_id", "metric"]), pd.DataFrame(), t,
                                    0.01, 0.05)
    assert found.key == "verdict_too_few_units_too_few_units"
    text = t(found.key, **found.values)
    assert "tiny" in text and "6" in text and "20" in text and "{" not in text
    assert t("verdict_label_too_few_units") and t("reason_too_few_units")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("reason", "n_needed", "days", "key"), [
    ("underpowered", 7000, 3, "verdict_keep_running_underpowered"),
    ("underpowered", 7000, None, "verdict_keep_running_underpowered_no_pace"),
    ("underpowered", None, None, "verdict_keep_running_underpowered_no_size"),
    ("too_few_units", 20, None, "verdict_too_few_units_too_few_units_no_pace")])
def test_a_verdict_says_no_size_or_pace_it_does_not_know(lang, reason, n_needed, days, key):
    t = Translator(lang, "ab_testing")
    verdict = pd.Series({"experiment_id": "e", "verdict": "keep_running" if reason == "underpowered" else reason,
                         "reason": reason, "variant": None, "n_needed": n_needed, "n_smallest_arm": 6,
                         "days_more": days})
    found = present.verdict_message(verdict, pd.DataFrame(columns=["experiment_id", "metric"]), pd.DataFrame(), t,
                                    0.01, 0.05)
    assert found.key == key
    text = t(found.key, **found.values)
    assert "?" not in text and "None" not in text and "nan" not in text and "{" not in text


def test_notes_of_excluded_units_and_of_the_shared_level(every_verdict, en):
    every_verdict.excluded = {"flat": 1200}
    try:
        assert present.excluded_notes(every_verdict) == [
            Message("excluded_units", {"experiment": "flat", "n": "1,200"}, "note")]
    finally:
        every_verdict.excluded = {}
    assert present.plan_alpha_notes(0.05, 2) == []
    note = present.plan_alpha_notes(0.05, 3)[0]
    assert note == Message("plan_alpha_shared", {"arms": 3, "k": 2, "alpha": "0.05", "alpha_each": "0.025"}, "note")
    assert "0.025" in en(note.key, **note.values)


# ---------------------------------------------------------------------------------------------------------------
# Optional columns absent: the chapter's flow runs and each section that needs a missing column is skipped

#: The optional columns of the experiment table, read from the contract (a new one is covered when added).
OPTIONAL = [c.name for c in TABLES["experiment"].columns if not c.required]
SEGMENT = "platform"


def _chapter_messages(table, t: Translator, segment_column: str = SEGMENT, **plan) -> tuple[dict, list[str]]:
    """What the notebook computes and says, without a report: the skipped sections and every sentence shown."""
    analysis = analyse_experiments(table, splits={"winback/holdout": 10, "winback/coupon": 90})
    skipped = present.skipped_sections(table.columns, segment_column, analysis)
    broken = present.broken_splits(analysis.srm)
    said = [present.overview(analysis), *present.srm_findings(analysis.srm),
            *present.verdict_findings(analysis, t, 0.01, 0.05)]
    if "comparisons" not in skipped:
        said += present.results_summary(analysis.tests, broken, 0.05, "holm", t)
        present.tests_table(analysis.tests, t)
    if "cuped" not in skipped:
        said += present.cuped_findings(analysis.cuped, broken)
    if "peeking" not in skipped:
        said += present.peeking_findings(analysis.looks, broken, 0.05)
    if "segments" not in skipped:
        segments = segment_tests(table, segment_column, analysis.controls)
        said.append(present.segments_caution(segments, 0.05))
    inputs = planning_inputs(analysis, plan.get("baseline_rate", 0.0), plan.get("daily_traffic", 0))
    result = plan_next(inputs["baseline_rate"], plan.get("mde", 0.01), inputs["daily_traffic"] or 0.0)
    gap = present.plan_gap(result, inputs)
    if gap is None:
        said += [present.plan_finding(result, inputs, 0.8, 0.05, 2, t), present.plan_sources(inputs, t)]
    else:
        skipped["plan"] = gap
    texts = [t(m.key, **m.values) for m in said]
    for record in present.skipped_record(skipped, t):
        texts.append(record["reason"])
    return skipped, texts


def _no_unknowns(texts: list[str]) -> None:
    for text in texts:
        assert "{" not in text and "None" not in text and "nan" not in text and "?" not in text, text


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("column", [*OPTIONAL, SEGMENT, "all"])
def test_the_chapter_runs_without_each_optional_column(frame, lang, column):
    gone = OPTIONAL + [SEGMENT] if column == "all" else [column]
    table = ibis.memtable(frame.drop(columns=gone))
    t = Translator(lang, "ab_testing")
    skipped, texts = _chapter_messages(table, t)
    needs = {"value": {"cuped"}, "pre_value": {"cuped"}, "assigned_at": {"peeking"}, SEGMENT: {"segments"}}
    expected = set().union(*(needs.get(c, set()) for c in gone))
    assert set(skipped) == expected
    # each reason names what to add
    for section, message in skipped.items():
        text = t(message.key, **message.values)
        assert any(f"`{c}`" in text for c in gone), (section, text)
    _no_unknowns(texts)
    if "assigned_at" in gone:
        assert any(t("source_unknown_traffic") in text for text in texts)


def test_cuped_is_skipped_with_its_reason_when_no_comparison_has_the_units(frame, en):
    thin = frame.assign(pre_value=float("nan"))
    skipped, _ = _chapter_messages(ibis.memtable(thin), en)
    assert skipped["cuped"] == Message("cuped_no_units", kind="skip")


def test_experiments_without_a_variant_skip_the_comparisons_and_the_plan(frame, en):
    controls = frame[frame["variant"].isin(["control", "A", "holdout"])]
    skipped, texts = _chapter_messages(ibis.memtable(controls), en)
    assert set(skipped) == {"comparisons", "cuped", "peeking", "segments", "plan"}
    assert skipped["comparisons"] == Message("no_comparisons", kind="skip")
    assert skipped["plan"] == Message("plan_no_baseline", kind="skip")
    assert present.headlines(analyse_experiments(ibis.memtable(controls)), en) == [(en("headline_experiments"), 4)]
    _no_unknowns(texts)


@pytest.mark.parametrize(("baseline", "mde", "gap"), [(0.0, 0.01, None), (0.6, 0.5, None), (0.5, 0.5, "plan_no_room")])
def test_a_plan_that_fits_no_change_is_skipped_saying_why(frame, en, baseline, mde, gap):
    skipped, texts = _chapter_messages(ibis.memtable(frame), en, baseline_rate=baseline, mde=mde)
    assert (skipped["plan"].key if "plan" in skipped else None) == gap
    _no_unknowns(texts)
