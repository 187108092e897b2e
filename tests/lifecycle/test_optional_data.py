"""Chapter 02 on every shape of data the contract allows: each optional column and table, and event types, removed.

The sections are driven as the notebook drives them, on a slice of the sample events; a section whose data or
events are absent must be replaced by its skip message (saying what to add) and listed in ``skipped``, its numbers
null, and nothing may fail. The optional columns come from the contract, so a column added to it is covered here.
"""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from socialops.inputs.tables import TABLES
from socialops.lifecycle import analysis as lifecycle
from socialops.lifecycle import cohorts, figures, present, virality
from socialops.report.i18n import Translator
from socialops.stats import rfm
from tests.conftest import SAMPLES

EN = Translator("en", "lifecycle")
_names = itertools.count()

#: What removing one optional column of the events leaves out (a column not listed leaves out nothing).
COLUMN_SKIPS = {"referrer_id": {"k_factor"}, "amount": {"rfm"}}
OPTIONAL_COLUMNS = [c.name for c in TABLES["events"].columns if not c.required]
#: The sections that always rest on the daily table, absent in these runs.
ALWAYS = {"platform_awareness"}


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    frame = pd.read_parquet(SAMPLES / "events.parquet")
    users = frame["user_id"].drop_duplicates().iloc[:1500]
    return frame[frame["user_id"].isin(users)].reset_index(drop=True)


def run_chapter(con, events: pd.DataFrame, *, churn_days: int = 90, loyal_min_purchases: int = 3,
                loyal_window_days: int = 180, period_days: int = 30, compare_days: int = 30,
                platform_daily: pd.DataFrame | None = None) -> dict:
    """The notebook's sections at library level: what it records, says and skips (figures drawn, not kept)."""
    # typed as the workspace types them, so that a column left empty by a filter keeps its type
    events = events.astype({c: "string" for c in ("user_id", "event", "platform", "referrer_id") if c in events})
    table = con.create_table(f"ev{next(_names)}", events)
    daily = None if platform_daily is None else con.create_table(f"pd{next(_names)}", platform_daily)
    as_of = pd.Timestamp(events["ts"].max())
    rules = {"churn_days": churn_days, "loyal_min_purchases": loyal_min_purchases,
             "loyal_window_days": loyal_window_days}
    observed = lifecycle.observed_events(table, as_of)
    skipped = present.skipped_sections(observed, table.columns, daily is not None)
    sizes, churned = lifecycle.stage_sizes(table, as_of, compare_days=compare_days, **rules)
    said = present.stage_findings(sizes, EN, as_of, compare_days) + present.stage_notes(observed)
    if "churned" not in skipped:
        said += present.churned_findings(churned)
    funnel = present.measured_funnel(lifecycle.stage_funnel(sizes["users"]), observed)
    figures.funnel_bars(funnel, EN, present.buyers_measured(observed))
    transitions = lifecycle.stage_transitions(table, as_of, compare_days=compare_days, **rules)
    first_order = None if "first_order" in skipped else lifecycle.first_order_conversion(transitions)
    said += present.funnel_findings(funnel, first_order, compare_days, observed)
    tiers = None
    if "rfm" not in skipped:
        segments, tiers = rfm.rfm_summary(table, as_of)
        said += present.rfm_findings(segments, tiers, EN)
    if "cohorts" not in skipped:
        cohort = cohorts.cohort_table(table, as_of)
        said += present.cohort_findings(cohorts.next_month_rate(cohort), cohorts.repurchase_rate(table, as_of))
    viral = virality.virality(table, as_of, period_days=period_days)
    measured = tuple(m for m in ("share_rate", "k_factor") if m not in skipped)
    if measured:
        figures.virality_trend(virality.virality_trend(table, as_of), EN, measured)
    said += present.virality_findings(viral, period_days, observed)
    metrics = virality.metric_system(table, as_of, period_days=period_days, platform_daily=daily)
    shown = present.measured_metrics(metrics, observed)
    present.metric_table(shown, EN, period_days)
    said += present.metrics_note(metrics, observed, EN)
    values = present.virality_results(viral, observed)
    said += present.recommendations(sizes, churned, first_order, tiers, values["k_factor"], days=compare_days)
    plt.close("all")
    return {"skipped": skipped, "record": present.skipped_record(skipped, EN), "said": said, "results": values,
            "metrics": list(shown["metric"]), "headlines": present.headlines(sizes, viral, EN, period_days, observed),
            "sizes": sizes}


def _text(run) -> str:
    return " ".join(EN(m.key, **m.values) for m in run["said"])


@pytest.mark.parametrize("column", OPTIONAL_COLUMNS)
def test_each_optional_column_removed_leaves_out_only_its_sections(con, events, column):
    run = run_chapter(con, events.drop(columns=column))
    expected = COLUMN_SKIPS.get(column, set()) | ALWAYS
    assert set(run["skipped"]) == expected
    assert [r["section"] for r in run["record"]] == [s for s in present.SECTIONS if s in expected]
    if column == "referrer_id":
        text = _text(run)
        assert run["results"]["k_factor"] is None and "K-factor is" not in text and "K-factor now" not in text
        assert "k_factor" not in run["metrics"] and "referred_share_of_new" not in run["metrics"]
        assert [label for label, _ in run["headlines"]] == ["Loyal users", "Churned users"]
        assert EN("skip_k_factor") == ("no referral events in the data: add referrer_id to signups or purchases to "
                                       "measure the K-factor")


def test_the_daily_table_adds_the_awareness_metrics(con, events):
    daily = pd.read_csv(SAMPLES / "platform_daily.csv", parse_dates=["date"])
    daily["date"] = daily["date"].dt.date
    run = run_chapter(con, events, platform_daily=daily)
    assert run["skipped"] == {} and {"impressions", "ctr"} <= set(run["metrics"])
    assert [label for label, _ in run["headlines"]][-1].startswith("K-factor")


@pytest.mark.parametrize(("dropped", "expected"), [
    # a retailer's purchase log: no browsing, no signups, no shares, no referrers
    ({"view", "like", "comment", "share", "follow", "unfollow", "signup", "referral"},
     {"churned", "funnel_new", "funnel_active", "first_order", "share_rate"}),
    ({"share"}, {"share_rate"}),
    ({"follow", "signup"}, {"funnel_new", "funnel_active", "first_order"}),
    ({"purchase"}, {"churned", "funnel_active", "funnel_loyal", "first_order", "rfm", "cohorts"}),
], ids=["purchases-only", "no-share", "no-acquisition", "no-purchase"])
def test_no_claim_rests_on_absent_event_types(con, events, dropped, expected):
    run = run_chapter(con, events[~events["event"].isin(dropped)])
    assert set(run["skipped"]) - ALWAYS >= expected
    text = _text(run)
    if "share" in dropped:
        assert run["results"]["share_rate"] is None and "shared" not in text
    if {"follow", "signup"} <= dropped:
        assert "have followed or signed up" not in text and "placed their first order" not in text
        assert "first-order conversion now" not in text
        assert "note_no_acquisition" in [m.key for m in run["said"]]
    if "purchase" in dropped:
        assert "have bought" not in text and "are loyal" not in text


def test_a_purchase_log_keeps_the_buyers_step_and_says_no_share_of_prospects(con, events):
    run = run_chapter(con, events[events["event"] == "purchase"].drop(columns="referrer_id"))
    keys = [m.key for m in run["said"]]
    assert "say_funnel_loyal" in keys and "say_funnel_new" not in keys and "say_churned" not in keys
    assert run["results"] == {"k_factor": None, "share_rate": None}
    assert run["sizes"].loc[["potential", "new"], "users"].tolist() == [0, 0]


@pytest.mark.parametrize("low", [True, False], ids=["lowest", "highest"])
def test_the_ends_of_the_documented_ranges_run(con, events, low):
    days = 1 if low else 3650
    run = run_chapter(con, events, churn_days=days, loyal_min_purchases=1 if low else 1000,
                      loyal_window_days=days, period_days=days, compare_days=days)
    assert int(run["sizes"]["users"].sum()) == events["user_id"].nunique()
