"""Lifecycle stages: each rule at and around its boundaries, and the engine against a pandas reference."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from socialops.inputs.workspace import open_workspace
from socialops.lifecycle import analysis as lc
from socialops.report import exports
from socialops.stats import rfm
from tests import lifecycle_reference as ref
from tests.conftest import SAMPLES

AS_OF = pd.Timestamp("2026-09-30 23:59:59")
DAY = pd.Timedelta(days=1)
SECOND = pd.Timedelta(seconds=1)




def stage_map(con, rows, as_of=AS_OF, **rules):
    got = lc.user_stages(ref.events_table(con, rows), as_of, **rules).to_pandas()
    return dict(zip(got["user_id"], got["stage"], strict=True))


def buys(user, *ages, referrer=None):
    """Purchase rows of `user` the given timedeltas before AS_OF."""
    return [(user, AS_OF - age, "purchase", 10.0, referrer) for age in ages]


def test_churn_boundary_is_exactly_churn_days(con):
    rows = [
        ("exact", AS_OF - 90 * DAY, "view"),
        ("older", AS_OF - 90 * DAY - SECOND, "view"),
        ("buyer_old", AS_OF - 91 * DAY, "purchase", 5.0),
    ]
    got = stage_map(con, rows)
    assert got == {"exact": "potential", "older": "churned", "buyer_old": "churned"}
    assert stage_map(con, rows, churn_days=91)["buyer_old"] == "active"


def test_churn_is_tested_before_loyalty(con):
    rows = buys("heavy", 100 * DAY, 101 * DAY, 102 * DAY, 103 * DAY)
    assert stage_map(con, rows) == {"heavy": "churned"}


def test_potential_new_and_customer_kinds(con):
    rows = [
        ("viewer", AS_OF - DAY, "view"),
        ("sharer", AS_OF - DAY, "share"),
        ("unfollower", AS_OF - DAY, "unfollow"),
        ("follower", AS_OF - DAY, "follow"),
        ("signed", AS_OF - 2 * DAY, "signup"),
        ("signed", AS_OF - DAY, "like"),
        ("buyer", AS_OF - DAY, "purchase", 1.0),
    ]
    assert stage_map(con, rows) == {
        "viewer": "potential",
        "sharer": "potential",
        "unfollower": "potential",
        "follower": "new",
        "signed": "new",
        "buyer": "active",
    }


def test_loyal_window_edge_and_minimum(con):
    rows = (
        buys("edge", 180 * DAY, DAY, 2 * DAY)
        + buys("outside", 180 * DAY + SECOND, DAY, 2 * DAY)
        + buys("two", DAY, 2 * DAY)
    )
    assert stage_map(con, rows) == {"edge": "loyal", "outside": "active", "two": "active"}
    assert stage_map(con, rows, loyal_min_purchases=2)["two"] == "loyal"
    assert stage_map(con, rows, loyal_window_days=179)["edge"] == "active"


def test_referral_event_and_referrer_id_both_make_loyal(con):
    rows = [
        *buys("by_event", 10 * DAY),
        ("by_event", AS_OF - 5 * DAY, "referral"),
        *buys("by_id", 10 * DAY),
        ("friend", AS_OF - 3 * DAY, "signup", None, "by_id"),
        *buys("stale", 10 * DAY),
        ("friend2", AS_OF - 181 * DAY, "signup", None, "stale"),
        ("friend2", AS_OF - DAY, "view"),
        *buys("self", 10 * DAY, referrer="self"),
        *buys("old_event", 10 * DAY),
        ("old_event", AS_OF - 180 * DAY - SECOND, "referral"),
    ]
    got = stage_map(con, rows)
    assert got["by_event"] == "loyal"
    assert got["by_id"] == "loyal"
    assert got["stale"] == "active"  # the referred signup is outside the window
    assert got["self"] == "active"  # only another user's event credits a referral
    assert got["old_event"] == "active"
    assert got["friend"] == "new"


def test_referral_does_not_lift_a_non_customer(con):
    rows = [("prospect", AS_OF - DAY, "referral"), ("fan", AS_OF - DAY, "follow"), ("x", AS_OF, "signup", None, "fan")]
    got = stage_map(con, rows)
    assert got["prospect"] == "potential"
    assert got["fan"] == "new"


def test_events_after_as_of_are_ignored(con):
    rows = [
        ("late", AS_OF - DAY, "follow"),
        ("late", AS_OF + SECOND, "purchase", 50.0),
        ("future_only", AS_OF + DAY, "view"),
        *buys("two_plus_late", DAY, 2 * DAY),
        ("two_plus_late", AS_OF + SECOND, "purchase", 1.0),
    ]
    got = stage_map(con, rows)
    assert got == {"late": "new", "two_plus_late": "active"}


def test_amount_and_referrer_columns_are_optional(con):
    df = pd.DataFrame(
        {"user_id": ["a", "a", "a", "b"], "ts": [AS_OF - DAY] * 4, "event": ["purchase"] * 3 + ["view"]}
    )
    got = lc.user_stages(con.create_table("bare", df, overwrite=True), AS_OF).to_pandas().set_index("user_id")
    assert got.loc["a", "stage"] == "loyal"
    assert got.loc["a", "revenue"] == 0.0
    assert got.loc["b", "stage"] == "potential"


def test_stage_sizes_and_churned_split(con):
    rows = [
        ("p", AS_OF - DAY, "view"),
        ("gone_buyer", AS_OF - 100 * DAY, "purchase", 1.0),
        ("gone_viewer", AS_OF - 100 * DAY, "view"),
        ("gone_viewer2", AS_OF - 200 * DAY, "follow"),
        ("late_joiner", AS_OF - 5 * DAY, "signup"),
    ]
    sizes, churned = lc.stage_sizes(ref.events_table(con, rows), AS_OF, compare_days=30)
    assert sizes["users"].to_dict() == {"potential": 1, "new": 1, "active": 0, "loyal": 0, "churned": 3}
    assert sizes["share"].sum() == pytest.approx(1.0)
    # 30 days earlier: p and late_joiner unseen, gone_buyer 70 days old (active), gone_viewer potential.
    assert sizes["previous_users"].to_dict() == {"potential": 1, "new": 0, "active": 1, "loyal": 0, "churned": 1}
    assert churned["users"].to_dict() == {"former_customers": 1, "lapsed_prospects": 2}
    assert churned["previous_users"].to_dict() == {"former_customers": 0, "lapsed_prospects": 1}
    assert sizes.loc["churned", "change"] == 2


def test_transition_matrix(con):
    rows = [
        ("stay", AS_OF - 40 * DAY, "follow"),
        ("stay", AS_OF - DAY, "view"),
        ("convert", AS_OF - 40 * DAY, "signup"),
        ("convert", AS_OF - 10 * DAY, "purchase", 9.9),
        ("lapse", AS_OF - 100 * DAY, "purchase", 9.9),
        ("fresh", AS_OF - DAY, "view"),
    ]
    m = lc.stage_transitions(ref.events_table(con, rows), AS_OF, compare_days=30)
    assert list(m.index) == ["none", *lc.STAGES]
    assert list(m.columns) == list(lc.STAGES)
    assert m.loc["new", "new"] == 1
    assert m.loc["new", "active"] == 1
    assert m.loc["active", "churned"] == 1
    assert m.loc["none", "potential"] == 1
    assert m.to_numpy().sum() == 4
    conv = lc.first_order_conversion(m)
    assert (conv["new_users"], conv["converted"], conv["rate"]) == (2, 1, 0.5)
    assert conv["ci_low"] < 0.5 < conv["ci_high"]


def test_funnel_is_cumulative_over_live_stages():
    stages = pd.Series({"potential": 50, "new": 30, "active": 15, "loyal": 5, "churned": 999})
    f = lc.stage_funnel(stages)
    assert f["reached"].tolist() == [100, 50, 20, 5]
    assert np.isnan(f.loc["potential", "conversion"])
    assert f["conversion"].iloc[1:].tolist() == [0.5, 0.4, 0.25]
    # Wilson's closed form for 20 of 50 at 95%
    z, n, p = 1.959963984540054, 50, 0.4
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert f.loc["active", "ci_low"] == pytest.approx(centre - half, rel=1e-9)
    assert f.loc["active", "ci_high"] == pytest.approx(centre + half, rel=1e-9)


def test_stage_members_sorted_and_filtered(con):
    rows = [*buys("small", DAY), ("big", AS_OF - DAY, "purchase", 99.0), ("v", AS_OF - DAY, "view")]
    members = lc.stage_members(ref.events_table(con, rows), AS_OF).to_pandas()
    assert members["user_id"].tolist() == ["v", "big", "small"]
    only = lc.stage_members(ref.events_table(con, rows), AS_OF, stage="active").to_pandas()
    assert set(only["stage"]) == {"active"}
    with pytest.raises(ValueError):
        lc.stage_members(ref.events_table(con, rows), AS_OF, stage="sleeping")


@pytest.mark.parametrize("seed", [1, 2])
def test_engine_matches_pandas_reference(con, seed):
    df = ref.synthetic_events(seed)
    got = lc.user_stages(con.create_table("synthetic", df, overwrite=True), AS_OF).to_pandas()
    got = got.set_index("user_id")["stage"].sort_index()
    expected = ref.stages(df, AS_OF)
    pd.testing.assert_series_equal(got, expected, check_names=False)
    assert set(expected) == set(lc.STAGES)  # every stage is exercised
    assert expected["edge90_0"] == "new" and expected["edge90_1"] == "churned"
    assert expected["edge180_0"] == "loyal" and expected["edge180_1"] == "active"


@pytest.mark.parametrize("rules", [{"churn_days": 60}, {"loyal_min_purchases": 2, "loyal_window_days": 90}])
def test_engine_matches_reference_with_other_parameters(con, rules):
    df = ref.synthetic_events(3)
    got = lc.user_stages(con.create_table("synthetic", df, overwrite=True), AS_OF, **rules).to_pandas()
    got = got.set_index("user_id")["stage"].sort_index()
    pd.testing.assert_series_equal(got, ref.stages(df, AS_OF, **rules), check_names=False)


def test_crm_lists_carry_rfm_columns_and_only_their_sizes_are_fetched(con):
    rows = [*buys("buyer", DAY, 2 * DAY), ("fan", AS_OF - DAY, "follow"), ("ghost", AS_OF - 100 * DAY, "view"),
            *buys("small", 3 * DAY), *buys("big", 3 * DAY, 4 * DAY, 5 * DAY)[:1], ("big", AS_OF - DAY, "purchase", 99.0)]
    lists, sizes = lc.crm_lists(ref.events_table(con, rows), AS_OF)
    assert sizes == {"new": 1, "active": 3, "churned": 1}  # stages without users are left out, in stage order
    assert list(lists) == list(sizes)
    active = lists["active"].to_pandas()
    assert active["user_id"].tolist() == ["big", "buyer", "small"]  # revenue (largest first), then user_id
    buyer = active.iloc[1]
    assert buyer["purchases"] == 2 and buyer["r_score"] == 5 and buyer["segment"] is not None
    new = lists["new"].to_pandas()
    assert list(new.columns) == [*lc.user_stages(ref.events_table(con, rows), AS_OF).columns, *lc.CRM_SCORES]
    assert new.loc[0, ["r_score", "segment", "tier"]].isna().all()


def test_crm_lists_written_by_the_engine_equal_the_lists_pandas_wrote_on_the_samples(tmp_path):
    # the reference is the former export: the per-user rows merged and sorted in pandas, written by `write_csv`
    as_of = pd.Timestamp(json.loads((SAMPLES / "truths.json").read_text(encoding="utf-8"))["as_of"])
    with open_workspace(SAMPLES, ["events"], threads=1, memory_limit="1GB") as ws:
        events = ws.table("events")
        lists, sizes = lc.crm_lists(events, as_of)
        members = lc.user_stages(events, as_of).to_pandas()
        scores = rfm.rfm_table(events, as_of).select("user_id", *lc.CRM_SCORES).to_pandas()
        merged = members.merge(scores, on="user_id", how="left").astype(dict.fromkeys(lc.CRM_SCORES[:3], "Int64"))
        merged = merged.assign(_order=merged["stage"].map({s: i for i, s in enumerate(lc.STAGES)})).sort_values(
            ["_order", "revenue", "user_id"], ascending=[True, False, True]).drop(columns="_order")
        assert list(sizes) == list(lc.STAGES)
        for stage, table in lists.items():
            expected = merged[merged["stage"] == stage].reset_index(drop=True)
            assert sizes[stage] == len(expected) > 0
            written = exports.write_table_csv(table, tmp_path / f"crm_{stage}.csv").read_bytes()
            assert written == exports.write_csv(expected, tmp_path / f"pandas_{stage}.csv").read_bytes(), stage


def test_buyer_share_of_live_users():
    f = lc.stage_funnel(pd.Series({"potential": 50, "new": 30, "active": 15, "loyal": 5, "churned": 999}))
    assert lc.buyer_share(f) == pytest.approx(0.2)
    nobody = lc.stage_funnel(pd.Series({"churned": 3}))
    assert lc.buyer_share(nobody) == 0.0


def test_observed_events_lists_the_types_and_referrals_up_to_as_of(con):
    rows = [*buys("a", DAY), ("b", AS_OF - DAY, "signup", None, "a"), ("c", AS_OF + DAY, "share", None, None),
            ("d", AS_OF - DAY, "view", None, "a")]  # a referrer on a view is no referral
    assert lc.observed_events(ref.events_table(con, rows), AS_OF) == {"purchase", "signup", "view", lc.REFERRED}
    assert lc.observed_events(ref.events_table(con, rows[:1] + rows[2:]), AS_OF) == {"purchase", "view"}
    bare = pd.DataFrame({"user_id": ["a"], "ts": [AS_OF - DAY], "event": ["purchase"]})
    assert lc.observed_events(con.create_table("bare_observed", bare, overwrite=True), AS_OF) == {"purchase"}
