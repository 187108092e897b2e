"""Chapter 01 on every shape of data the contract allows: each optional table and column removed in turn.

The sections are driven as the notebook drives them, on the sample tables; a section whose data are absent must be
replaced by its skip message (saying what to add) and listed in ``skipped``, and nothing may fail. The optional
columns come from the contract, so a column added to it is covered here without a change.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from socialops.inputs.tables import CHAPTER_TABLES, ENGAGEMENT_PARTS, TABLES
from socialops.platform_matrix import analysis as pm
from socialops.platform_matrix import figures, present
from socialops.platform_matrix import posting as po
from socialops.report.i18n import Translator
from tests.conftest import SAMPLES

EN = Translator("en", "platform_matrix")
CHAPTER = CHAPTER_TABLES["01_platform_matrix"]
_names = itertools.count()

#: What removing one optional column leaves out (any column not listed leaves out nothing).
COLUMN_SKIPS = {
    ("platform_daily", "clicks"): {"ctr", "conversion_rate"},
    ("platform_daily", "conversions"): {"conversion_rate", "cost_per_conversion"},
    ("platform_daily", "spend"): {"cost_per_follower", "money"},
    ("platform_daily", "revenue"): {"roi"},
    ("platform_daily", "new_followers"): {"cost_per_follower"},
    ("posts", "format"): {"format"},
}
OPTIONAL_COLUMNS = [(table, column.name) for table in CHAPTER.all for column in TABLES[table].columns
                    if not column.required and not (table == "platform_daily" and column.name in ENGAGEMENT_PARTS)]


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    daily = pd.read_csv(SAMPLES / "platform_daily.csv", parse_dates=["date"])
    daily["date"] = daily["date"].dt.date
    posts = pd.read_csv(SAMPLES / "posts.csv", parse_dates=["published_at"], dtype={"post_id": str})
    return {"platform_daily": daily, "posts": posts, "audience": pd.read_csv(SAMPLES / "audience.csv")}


def run_chapter(con, frames: dict[str, pd.DataFrame], *, period_days: int = 90, min_posts_per_slot: int = 3,
                min_posts_per_type: int = 5, goal: str = "conversion") -> dict:
    """The notebook's sections at library level: what it records, says and skips (figures drawn, not kept)."""
    tables = {name: con.create_table(f"t{next(_names)}_{name}", df) for name, df in frames.items()}
    as_of = pd.Timestamp(max(pd.Timestamp(frames[n][c].max()) for n, c in
                             (("platform_daily", "date"), ("posts", "published_at")) if n in frames))
    as_of = as_of.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    skipped = present.skipped_sections({name: t.columns for name, t in tables.items()})
    said: list = []
    metrics = money = scored = stability = change = fit = cadence = mix = content = best = None
    posts = tables.get("posts")
    if "platforms" in skipped:
        first_day, end = po.posts_period(posts, as_of, period_days)
    else:
        totals = pm.daily_totals(tables["platform_daily"])
        first_day, end = pm.scored_period(totals, as_of, period_days)
        metrics = pm.platform_metrics(totals, first_day, end)
        said += present.platform_findings(metrics, EN, "CNY")
        figures.rates(metrics, EN)
        if "money" not in skipped:
            money = pm.money_metrics(totals, first_day, end)
            said += present.money_findings(money, EN, "CNY")
            figures.money(money, EN, "CNY")
        change = pm.period_change(totals, as_of, period_days)
        said += present.change_findings(change, EN)
    if "audience_fit" not in skipped:
        target = pm.parse_target_audience({"age:25-34": 0.45})
        fit = pm.audience_fit(tables["audience"], target).sort_values("audience_fit", ascending=False)
    if "score" not in skipped:
        scored = pm.score_platforms(metrics, goal=goal, fit=fit)
        stability = pm.score_intervals(totals, first_day, end, goal=goal, fit=fit, n_boot=50)
        scored = scored.merge(stability, on="platform", how="left")
        said += present.score_findings(scored, goal, EN) + present.score_basis(scored, goal, None, EN)
    if "cadence" not in skipped:
        cadence = po.posting_cadence(posts, first_day, end, platforms=() if metrics is None else metrics.platform)
        said += present.cadence_findings(cadence, EN)
    if "best_time" not in skipped:
        profile = po.slot_index(posts, keys=("hour",))
        best = po.best_hours(profile, min_posts=min_posts_per_slot)
        figures.best_time(po.slot_index(posts), best, EN)
        said += present.hours_findings(profile, best) if best else [present.no_best_hours(min_posts_per_slot)]
    if "content" not in skipped:
        content = po.group_performance(posts, "content_type", min_posts=min_posts_per_type)
        formats = None if "format" in skipped else po.group_performance(posts, "format", min_posts=min_posts_per_type)
        said += present.content_findings(content, EN, formats)
    if "content_mix" not in skipped:
        mix, _ = po.content_mix(posts)
        said += present.mix_findings(mix, EN)
    said += present.recommendations(scored, goal, EN, cadence=cadence, mix=mix, content=content, hours=best)
    results = present.chapter_results(scored, stability, change, (first_day, end), period_days, goal, fit=fit,
                                      cadence=cadence, mix=mix, best=best, content=content, metrics=metrics,
                                      money=money, currency="CNY")
    import matplotlib.pyplot as plt

    plt.close("all")
    return {"skipped": skipped, "record": present.skipped_record(skipped, EN), "said": said, "results": results,
            "headlines": present.headlines(scored, EN, mix, best)}


def _text(run) -> str:
    return " ".join(EN(m.key, **m.values) for m in run["said"])


@pytest.mark.parametrize(("table", "column"), OPTIONAL_COLUMNS, ids=[f"{t}.{c}" for t, c in OPTIONAL_COLUMNS])
def test_each_optional_column_removed_leaves_out_only_its_sections(con, frames, table, column):
    changed = {**frames, table: frames[table].drop(columns=column)}
    run = run_chapter(con, changed)
    expected = COLUMN_SKIPS.get((table, column), set())
    assert set(run["skipped"]) == expected
    assert [r["section"] for r in run["record"]] == [s for s in present.SECTIONS if s in expected]
    for record in run["record"]:
        assert f"`{table}`" in record["reason"] and "add" in record["reason"]
    if "conversion_rate" in expected:
        assert "converts best" not in _text(run) and "turns clicks into customers" not in _text(run)
    if "cost_per_follower" in expected:
        assert "follower costs least" not in _text(run) and "cheapest" not in _text(run)
    if "cost_per_conversion" in expected or "money" in expected:
        assert "conversion costs least" not in _text(run)


def test_engagement_parts_removed_together_skip_what_needs_engagement(con, frames):
    parts = [c for c in ENGAGEMENT_PARTS if c in frames["posts"]]
    run = run_chapter(con, {**frames, "posts": frames["posts"].drop(columns=parts)})
    assert set(run["skipped"]) == {"best_time", "content", "format"}
    assert run["results"]["best_hours"] is None and run["results"]["content_types"] is None
    assert run["results"]["content_mix"] is not None


@pytest.mark.parametrize("kept", [("posts",), ("platform_daily",), ("posts", "audience"),
                                  ("platform_daily", "audience"), ("platform_daily", "posts")])
def test_each_table_combination_runs_and_names_what_to_add(con, frames, kept):
    run = run_chapter(con, {name: frames[name] for name in kept})
    expected = set()
    if "platform_daily" not in kept:
        expected |= set(present.DAILY_SECTIONS)
    if "posts" not in kept:
        expected |= set(present.POSTS_SECTIONS)
    if "audience" not in kept:
        expected.add("audience_fit")
    assert set(run["skipped"]) == expected
    labels = [label for label, _ in run["headlines"]]
    assert ("Core platforms" in labels) == ("platform_daily" in kept)
    assert ("Advert share" in labels) == ("posts" in kept)
    assert (run["results"]["platforms"] == []) == ("platform_daily" not in kept)
    if "platform_daily" not in kept:
        assert run["results"]["change"] is None and run["results"]["score_intervals"] is None
        reasons = {r["reason"] for r in run["record"] if r["section"] in present.DAILY_SECTIONS}
        assert reasons == {EN("skip_platform_daily")}


def test_the_daily_table_without_conversions_or_spend_names_only_what_was_measured(con, frames):
    daily = frames["platform_daily"].drop(columns=["conversions", "spend", "revenue"])
    run = run_chapter(con, {"platform_daily": daily})
    text = _text(run)
    assert "converts best" not in text and "cheapest" not in text
    assert "The data lack conversion rate, cost per new follower" in text
    assert all(r["conversion_rate"] is None and r["cost_per_follower"] is None for r in run["results"]["platforms"])
    assert all(r["spend"] is None and r["roi"] is None for r in run["results"]["platforms"])
    assert "platforms cost" not in text and {"money", "cost_per_follower"} <= set(run["skipped"])


def test_spend_without_revenue_says_what_it_cost_and_names_the_missing_revenue(con, frames):
    run = run_chapter(con, {**frames, "platform_daily": frames["platform_daily"].drop(columns="revenue")})
    assert set(run["skipped"]) == {"roi"}
    assert [r["reason"] for r in run["record"]] == [
        "revenue and return on spend: add the column revenue to `platform_daily`"]
    keys = [m.key for m in run["said"]]
    assert "find_spend" in keys and "find_money" not in keys and "find_roi" not in keys
    assert all(r["revenue"] is None and r["roi"] is None and r["spend"] > 0 for r in run["results"]["platforms"])


def test_best_hours_from_thin_slots_are_not_named(con, frames):
    # a handful of posts: every hour holds fewer than the minimum, so no best hour and no headline for it
    thin = frames["posts"].iloc[:12]
    run = run_chapter(con, {"posts": thin}, min_posts_per_slot=3)
    assert run["results"]["best_hours"] == []
    assert "Best hours" not in [label for label, _ in run["headlines"]]
    assert "find_hours_none" in [m.key for m in run["said"]]


@pytest.mark.parametrize("values", [
    {"period_days": 7, "min_posts_per_slot": 1, "min_posts_per_type": 2},
    {"period_days": 3650, "min_posts_per_slot": 1000, "min_posts_per_type": 1000}])
def test_the_ends_of_the_documented_ranges_run(con, frames, values):
    run = run_chapter(con, frames, **values)
    assert run["results"]["period"]["days"] == values["period_days"]
    if values["min_posts_per_slot"] == 1000:
        assert run["results"]["best_hours"] == [] and run["results"]["content_types"] == []
