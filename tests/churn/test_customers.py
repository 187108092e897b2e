"""Chapter 04's per-customer summaries on the engine (Ibis on DuckDB), against the definitions of DESIGN.md."""

import numpy as np
import pandas as pd
import pytest

from socialops.churn import customers

AS_OF = pd.Timestamp("2026-09-30 23:59:59")


def _events(rows, columns=("user_id", "ts", "event", "platform", "amount", "referrer_id")):
    df = pd.DataFrame(rows, columns=list(columns))
    df["ts"] = pd.to_datetime(df["ts"]).dt.floor("s").astype("datetime64[us]")
    return df


def test_unit_days():
    assert customers.unit_days("day") == 1.0 and customers.unit_days("week") == 7.0
    with pytest.raises(ValueError, match="time_unit"):
        customers.unit_days("month")


def test_left_join_users_keeps_every_left_row_and_one_user_column(con):
    left = con.create_table("lj_left", pd.DataFrame({"user_id": ["a", "b"], "x": [1, 2]}), overwrite=True)
    right = con.create_table("lj_right", pd.DataFrame({"user_id": ["b", "c"], "y": [20, 30]}), overwrite=True)
    out = customers.left_join_users(left, right).to_pandas().sort_values("user_id", ignore_index=True)
    assert list(out.columns) == ["user_id", "x", "y"]
    assert out["user_id"].tolist() == ["a", "b"] and out["x"].tolist() == [1, 2]
    assert pd.isna(out.loc[0, "y"]) and out.loc[1, "y"] == 20


@pytest.fixture(scope="module")
def small(con):
    rows = [
        # u1: acquired on douyin, first purchase 2026-01-10 (two orders that day), repeat 2026-02-01 and
        # 2026-03-01, last activity a view 2026-03-05: churned (more than 90 days before as_of)
        ("u1", "2026-01-05 08:00", "view", "douyin", None, None),
        ("u1", "2026-01-10 12:00", "purchase", "wechat", 30.0, None),
        ("u1", "2026-01-10 18:00", "purchase", "wechat", 10.0, None),
        ("u1", "2026-01-20 09:00", "like", "wechat", None, None),
        ("u1", "2026-02-01 12:00", "purchase", "wechat", 50.0, None),
        ("u1", "2026-03-01 12:00", "purchase", "wechat", 70.0, None),
        ("u1", "2026-03-05 12:00", "view", "wechat", None, None),
        # u2: referred, single purchase 2026-09-01, still around: censored
        ("u2", "2026-08-30 10:00", "signup", "xiaohongshu", None, "u1"),
        ("u2", "2026-09-01 10:00", "purchase", "xiaohongshu", 25.0, None),
        # u3: never purchased: not a customer
        ("u3", "2026-09-01 10:00", "view", "weibo", None, None),
        # u4: a purchase after as_of is ignored
        ("u4", "2026-06-01 00:00", "purchase", "bilibili", 5.0, None),
        ("u4", "2026-10-02 00:00", "purchase", "bilibili", 5.0, None),
    ]
    return con.create_table("ev_small", _events(rows), overwrite=True)


def test_customer_summary_follows_the_definitions(small):
    s = customers.customer_summary(small, AS_OF).set_index("user_id")
    assert list(s.index) == ["u1", "u2", "u4"]
    u1 = s.loc["u1"]
    assert u1["churned"] == 1
    assert u1["frequency"] == 2  # distinct purchase days 01-10, 02-01, 03-01 -> two repeats
    assert u1["purchases"] == 4
    assert u1["recency"] == 50  # 2026-01-10 -> 2026-03-01
    assert u1["T"] == (pd.Timestamp("2026-09-30") - pd.Timestamp("2026-01-10")).days
    # survival time: first purchase 01-10 12:00 to last activity 03-05 12:00
    assert u1["duration_days"] == pytest.approx(54.0)
    assert u1["total_spend"] == pytest.approx(160.0)
    assert u1["mean_repeat_spend"] == pytest.approx(60.0)  # the first day's 40 is not a repeat
    assert u1["platform"] == "douyin"  # platform of the first event
    assert u1["referred"] == 0
    # first 30 days after the first purchase (to 02-09 12:00): purchase days 01-10 and 02-01, one like
    assert u1["purchase_days_first"] == 2 and u1["spend_first"] == pytest.approx(90.0)
    assert u1["interactions_first"] == 1
    u2 = s.loc["u2"]
    assert u2["churned"] == 0 and u2["referred"] == 1 and u2["frequency"] == 0
    assert np.isnan(u2["mean_repeat_spend"])
    assert u2["duration_days"] == pytest.approx((AS_OF - pd.Timestamp("2026-09-01 10:00")).total_seconds() / 86400)
    assert s.loc["u4", "total_spend"] == pytest.approx(5.0)
    assert set(s["tier"]) <= {"high_value", "potential_high_value", "general", "low_value"}


def test_weeks_divide_days_by_seven(small):
    d = customers.customer_summary(small, AS_OF).set_index("user_id")
    w = customers.customer_summary(small, AS_OF, time_unit="week").set_index("user_id")
    np.testing.assert_allclose(w["recency"], d["recency"] / 7)
    np.testing.assert_allclose(w["T"], d["T"] / 7)
    with pytest.raises(ValueError):
        customers.customer_summary(small, AS_OF, time_unit="month")


def test_as_of_earlier_changes_everything(small):
    s = customers.customer_summary(small, pd.Timestamp("2026-03-02")).set_index("user_id")
    assert list(s.index) == ["u1", "u4"] or list(s.index) == ["u1"]
    assert s.loc["u1", "churned"] == 0 and s.loc["u1", "T"] == 51


def test_purchases_only_table(con):
    rows = [("a", "2026-01-01 10:00", "purchase", 10.0), ("a", "2026-02-01 10:00", "purchase", 20.0),
            ("b", "2026-09-20 10:00", "purchase", 5.0)]
    t = con.create_table("ev_buys", _events(rows, ("user_id", "ts", "event", "amount")), overwrite=True)
    s = customers.customer_summary(t, AS_OF).set_index("user_id")
    assert s.loc["a", "churned"] == 1 and s.loc["b", "churned"] == 0
    assert s.loc["a", "platform"] == "unknown" and s.loc["a", "referred"] == 0
    assert s.loc["a", "interactions_first"] == 0


def test_bgnbd_summary_equals_the_customer_table_columns(con):
    rng = np.random.default_rng(5)
    n = 400
    df = pd.DataFrame({
        "user_id": rng.choice([f"u{i:03d}" for i in range(60)], n),
        "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 270 * 24, n), unit="h"),
        "event": rng.choice(["purchase", "view", "like"], n, p=[0.5, 0.3, 0.2]),
        "amount": rng.uniform(5, 50, n),
    })
    events = con.create_table("events_bgnbd", df)
    as_of = pd.Timestamp("2026-09-01")
    lean = customers.bgnbd_summary(events, as_of).to_pandas().set_index("user_id").sort_index()
    full = customers.customer_table(events, as_of).to_pandas().set_index("user_id").sort_index()
    pd.testing.assert_frame_equal(lean, full[["frequency", "recency", "T"]], check_dtype=False)
    assert len(lean) > 30


@pytest.fixture(scope="module")
def many(con):
    """Customers on whole days and round amounts, so that many share their model inputs."""
    rng = np.random.default_rng(9)
    n = 1500
    df = pd.DataFrame({
        "user_id": rng.choice([f"u{i:03d}" for i in range(300)], n),
        "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 270, n), unit="D"),
        "event": rng.choice(["purchase", "view", "like"], n, p=[0.4, 0.4, 0.2]),
        "platform": rng.choice(["wechat", "douyin"], n),
        "amount": rng.choice([10.0, 20.0, 35.5], n),
    })
    return con.create_table("events_many", df, overwrite=True)


def _collapsed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The per-customer frame grouped as the engine groups it: distinct rows, their count, sorted."""
    out = frame.groupby(columns, dropna=False).size().rename("weight").reset_index()
    return out.sort_values(columns, na_position="last").reset_index(drop=True)


@pytest.mark.parametrize(
    ("inputs", "columns", "keep"),
    [
        (lambda t: customers.survival_inputs(t, ["platform", "tier"]),
         ["duration_days", "churned", "platform", "tier"], None),
        (lambda t: customers.cox_inputs(t, 30), ["duration_days", "churned", *customers.COX_COLUMNS],
         lambda s: s["duration_days"] >= 30),
        (customers.purchase_inputs, ["frequency", "recency", "T"], None),
        (customers.spend_inputs, ["frequency", "mean_repeat_spend"], lambda s: s["frequency"] > 0),
        (lambda t: customers.scoring_inputs(t, "purchases"),
         ["frequency", "recency", "T", "mean_repeat_spend", "tier", "purchases"], None),
    ],
)
def test_model_inputs_are_the_customers_counted_by_distinct_values(many, inputs, columns, keep):
    table = customers.customer_table(many, AS_OF)
    per_customer = table.to_pandas()
    if keep is not None:
        per_customer = per_customer[keep(per_customer)]
    ours = inputs(table)
    assert list(ours.columns) == [*columns, "weight"]
    # the values are the engine's own: exactly equal, so the counts match group by group
    pd.testing.assert_frame_equal(ours, _collapsed(per_customer, columns), check_dtype=False)
    assert ours["weight"].sum() == len(per_customer) and len(ours) < len(per_customer)


def test_customer_counts_sum_on_the_engine(many, con):
    table = customers.customer_table(many, AS_OF)
    per_customer = table.to_pandas()
    counts = customers.customer_counts(table)
    assert counts["customers"] == len(per_customer) and counts["churned"] == per_customer["churned"].sum()
    assert counts["total_spend"] == pytest.approx(per_customer["total_spend"].sum(), rel=1e-12)
    assert counts["purchase_days"] == (per_customer["frequency"] + 1).sum()
    empty = customers.customer_counts(table.filter(table.frequency < 0))
    assert empty == {"customers": 0, "churned": 0, "total_spend": 0.0, "purchase_days": 0}


def test_customer_inputs_count_each_input_once_when_first_read(many):
    inputs = customers.customer_inputs(many, AS_OF, value="purchases")
    table = customers.customer_table(many, AS_OF)
    assert "survival" not in vars(inputs)  # nothing runs before a section asks
    pd.testing.assert_frame_equal(inputs.survival, customers.survival_inputs(table, customers.SEGMENTS))
    assert inputs.survival is inputs.survival
    pd.testing.assert_frame_equal(inputs.cox, customers.cox_inputs(table, 30))
    pd.testing.assert_frame_equal(inputs.purchases, customers.purchase_inputs(table))
    pd.testing.assert_frame_equal(inputs.spend, customers.spend_inputs(table))
    pd.testing.assert_frame_equal(inputs.scoring, customers.scoring_inputs(table, "purchases"))
    assert inputs.counts == customers.customer_counts(table)
