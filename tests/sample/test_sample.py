"""Tests of the sample data generator and of the committed samples' planted truths.

The truths in ``truths.json`` are recomputed here independently of the generator: lifecycle figures in DuckDB
SQL straight from DESIGN.md's rules, test statistics with statsmodels and scipy, the referral effect with a
lifelines Cox model.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from socialops.inputs.tables import TABLES as CONTRACT
from socialops.sample import TABLES, generate

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
AS_OF = pd.Timestamp("2026-09-30 23:59:59")

COLUMNS = {
    "platform_daily": [
        "date",
        "platform",
        "followers",
        "impressions",
        "reach",
        "engagements",
        "likes",
        "comments",
        "shares",
        "saves",
        "clicks",
        "new_followers",
        "conversions",
        "revenue",
        "spend",
    ],
    "posts": [
        "post_id",
        "platform",
        "published_at",
        "content_type",
        "format",
        "is_ad",
        "title",
        "impressions",
        "reach",
        "clicks",
        "likes",
        "comments",
        "shares",
        "saves",
    ],
    "audience": ["platform", "dimension", "bucket", "share"],
    "events": ["user_id", "ts", "event", "platform", "amount", "referrer_id"],
    "experiment": ["experiment_id", "unit_id", "variant", "assigned_at", "converted", "value", "pre_value"],
    "mentions": ["mention_id", "ts", "platform", "sentiment", "reach", "text", "is_official"],
}
DUCK_TYPES = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "enum": "VARCHAR",
    "platform": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "count": "BIGINT",
    "float": "DOUBLE",
    "share": "DOUBLE",
    "sentiment": "DOUBLE",
    "amount": "DOUBLE",
    "flag01": "BIGINT",
    "bool": "BOOLEAN",
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _file(folder: Path, table: str) -> Path:
    (path,) = [p for p in (folder / f"{table}.csv", folder / f"{table}.parquet") if p.exists()]
    return path


def _relation(con: duckdb.DuckDBPyConnection, folder: Path, table: str) -> str:
    path = _file(folder, table)
    return f"read_parquet('{path}')" if path.suffix == ".parquet" else f"read_csv('{path}', header=true)"


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect(config={"threads": 1, "memory_limit": "1GB"})
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def truths():
    return json.loads((SAMPLES / "truths.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def frames(con):
    return {t: con.sql(f"SELECT * FROM {_relation(con, SAMPLES, t)}").df() for t in TABLES}


# --- the generator ---------------------------------------------------------------------------------------------


def test_committed_samples_are_the_generators_output(tmp_path):
    generate(tmp_path, users=20_000, seed=7, fmt="csv", events_fmt="parquet")
    written = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in SAMPLES.iterdir() if p.name != "README.md")
    assert written == committed
    for name in written:
        assert _sha(tmp_path / name) == _sha(SAMPLES / name), name


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    for fmt in ("csv", "parquet"):
        a, b, c = (
            generate(tmp_path / f"{fmt}{i}", users=2_000, seed=s, fmt=fmt) for i, s in enumerate((3, 3, 4))
        )
        for table in TABLES:
            assert _sha(_file(a, table)) == _sha(_file(b, table)), (fmt, table)
        assert _sha(_file(a, "events")) != _sha(_file(c, "events"))
        assert (a / "truths.json").read_bytes() == (b / "truths.json").read_bytes()


def test_generator_scales_to_parquet(tmp_path):
    started = time.perf_counter()
    out = generate(tmp_path, users=200_000, seed=11, fmt="parquet")
    elapsed = time.perf_counter() - started
    events = pq.ParquetFile(out / "events.parquet")
    assert events.metadata.num_rows > 1_000_000
    assert events.metadata.num_row_groups >= 2  # written chunk by chunk
    assert elapsed < 180
    for table in TABLES:
        schema = pq.read_schema(out / f"{table}.parquet")
        for field in schema:
            if str(field.type).startswith("timestamp"):
                assert str(field.type) == "timestamp[us]", (table, field.name)
    truths = json.loads((out / "truths.json").read_text(encoding="utf-8"))
    assert sum(truths["lifecycle"]["stages"].values()) == 200_000


def test_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="format"):
        generate(tmp_path, users=1_000, fmt="xlsx")


# --- schema of the committed samples ---------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_schema_matches_the_contract(con, table):
    spec = CONTRACT[table]
    described = con.sql(f"DESCRIBE SELECT * FROM {_relation(con, SAMPLES, table)}").fetchall()
    types = {name: kind for name, kind, *_ in described}
    assert list(types) == COLUMNS[table]
    assert set(spec.required) <= set(types)
    for name, kind in types.items():
        assert kind == DUCK_TYPES[spec.column(name).kind], (table, name, kind)


def test_values_obey_the_contract(frames):
    daily, posts, audience = frames["platform_daily"], frames["posts"], frames["audience"]
    events, exp, mentions = frames["events"], frames["experiment"], frames["mentions"]
    counts = {"platform_daily": daily, "posts": posts}
    for name, df in counts.items():
        for col in df.select_dtypes("int64"):
            assert (df[col] >= 0).all(), (name, col)
    assert (daily.engagements == daily[["likes", "comments", "shares", "saves"]].sum(axis=1)).all()
    assert audience.share.between(0, 1).all()
    assert np.allclose(audience.groupby(["platform", "dimension"]).share.sum(), 1, atol=1e-3)
    assert set(events.event) == set(CONTRACT["events"].column("event").values)
    assert events.user_id.str.fullmatch(r"u\d{6}").all()
    assert events.referrer_id.dropna().str.fullmatch(r"u\d{6}").all()
    assert set(events.referrer_id.dropna()) <= set(events.user_id)
    assert events.amount.notna().eq(events.event == "purchase").all()
    assert (events.amount.dropna() >= 9.9).all()
    assert exp.converted.isin([0, 1]).all()
    assert mentions.sentiment.between(-1, 1).all()
    assert mentions.mention_id.is_unique and posts.post_id.is_unique
    assert not exp.duplicated(["experiment_id", "unit_id"]).any()


def test_window_and_as_of(frames):
    for table, col in (("events", "ts"), ("mentions", "ts"), ("posts", "published_at")):
        ts = frames[table][col]
        assert ts.min() >= pd.Timestamp("2025-10-01") and ts.max() <= AS_OF, table
    assert frames["events"].ts.max() == AS_OF
    assert frames["mentions"].ts.max() == AS_OF
    assert pd.Timestamp(frames["platform_daily"].date.max()) == pd.Timestamp("2026-09-30")
    # Nothing but the closing rows sits in a day's last minute, so every reading of "end of day" agrees.
    late = frames["events"].ts.dt.strftime("%H:%M") == "23:59"
    assert late.sum() == 1


# --- lifecycle truths, recomputed in SQL -----------------------------------------------------------------------

STAGES_SQL = """
WITH e AS (SELECT * FROM {events} WHERE ts <= TIMESTAMP '{as_of}'),
per_user AS (
    SELECT user_id,
           max(ts) AS last_ts,
           count(*) FILTER (WHERE event = 'purchase') AS purchases,
           bool_or(event IN ('follow', 'signup')) AS acquired,
           count(*) FILTER (WHERE event = 'purchase' AND ts > TIMESTAMP '{as_of}' - INTERVAL 180 DAY) AS recent,
           bool_or(event = 'referral' AND ts > TIMESTAMP '{as_of}' - INTERVAL 180 DAY) AS referred_someone
    FROM e GROUP BY user_id),
named AS (
    SELECT DISTINCT referrer_id AS user_id FROM e
    WHERE referrer_id IS NOT NULL AND ts > TIMESTAMP '{as_of}' - INTERVAL 180 DAY)
SELECT CASE
         WHEN last_ts < TIMESTAMP '{as_of}' - INTERVAL 90 DAY THEN 'churned'
         WHEN purchases = 0 AND NOT acquired THEN 'potential'
         WHEN purchases = 0 THEN 'new'
         WHEN recent >= 3 OR referred_someone OR named.user_id IS NOT NULL THEN 'loyal'
         ELSE 'active'
       END AS stage,
       count(*) AS users
FROM per_user LEFT JOIN named USING (user_id)
GROUP BY stage
"""

PERIOD_SQL = """
WITH p AS (SELECT * FROM {events}
           WHERE ts > TIMESTAMP '{as_of}' - INTERVAL 30 DAY AND ts <= TIMESTAMP '{as_of}')
SELECT count(DISTINCT user_id) FILTER (WHERE event IN ('signup', 'purchase') AND referrer_id IS NOT NULL),
       count(DISTINCT user_id) FILTER (WHERE event = 'share'),
       count(DISTINCT user_id)
FROM p
"""


@pytest.mark.parametrize("as_of", ["2026-09-30 23:59:59", "2026-09-30 23:59:59.999999"])
def test_stage_counts_match_designs_rules(con, truths, as_of):
    sql = STAGES_SQL.format(events=_relation(con, SAMPLES, "events"), as_of=as_of)
    stages = dict(con.sql(sql).fetchall())
    assert stages == truths["lifecycle"]["stages"]
    assert all(stages[s] > 1_000 for s in stages)  # every stage is big enough to report on


@pytest.mark.parametrize("as_of", ["2026-09-30 23:59:59", "2026-09-30 23:59:59.999999"])
def test_k_factor_and_share_rate_match_designs_rules(con, truths, as_of):
    referred, sharing, active = con.sql(
        PERIOD_SQL.format(events=_relation(con, SAMPLES, "events"), as_of=as_of)
    ).fetchone()
    assert truths["lifecycle"]["k_factor"] == round(referred / active, 6)
    assert truths["lifecycle"]["share_rate"] == round(sharing / active, 6)
    assert 0 < referred / active < 0.1 and 0.05 < sharing / active < 0.5


def test_referrer_only_on_signup_or_first_purchase(frames):
    ev = frames["events"]
    tagged = ev[ev.referrer_id.notna()]
    assert set(tagged.event) == {"signup", "purchase"}
    first_buy = ev[ev.event == "purchase"].groupby("user_id").ts.min()
    bought = tagged[tagged.event == "purchase"]
    assert (bought.ts.to_numpy() == first_buy.loc[bought.user_id].to_numpy()).all()
    assert not tagged.user_id.duplicated().any()
    # the referrer sent a referral before the referred user arrived
    sent = ev[ev.event == "referral"].groupby("user_id").ts.min()
    assert (sent.loc[tagged.referrer_id].to_numpy() < tagged.ts.to_numpy()).all()


# --- churn ---------------------------------------------------------------------------------------------------


def test_referred_customers_drop_out_more_slowly(frames, truths):
    lifelines = pytest.importorskip("lifelines")
    ev = frames["events"]
    buys = ev[ev.event == "purchase"]
    first = buys.groupby("user_id").ts.min()
    last = ev[ev.user_id.isin(first.index)].groupby("user_id").ts.max().loc[first.index]
    referred = ev[ev.referrer_id.notna()].user_id.unique()
    churned = last < AS_OF - pd.Timedelta(days=90)
    df = pd.DataFrame(
        {
            "days": (last.where(churned, AS_OF) - first).dt.total_seconds().to_numpy() / 86_400 + 0.01,
            "event": churned.astype(int).to_numpy(),
            "referred": first.index.isin(referred).astype(int),
        }
    )
    cox = lifelines.CoxPHFitter().fit(df, "days", "event")
    hr = float(np.exp(cox.params_["referred"]))
    upper = float(np.exp(cox.confidence_intervals_.loc["referred"].iloc[1]))
    assert truths["churn"]["referred_hazard_ratio"] < 1
    assert hr < 0.8 and upper < 1
    assert truths["churn"]["bgnbd"] == {"r": 0.75, "alpha": 30.0, "a": 0.9, "b": 5.0, "time_unit": "day"}


def test_winback_outcomes_agree_with_purchases(frames, truths):
    ev, exp = frames["events"], frames["experiment"]
    wb = exp[exp.experiment_id == "winback_2026q3"]
    buys = ev[ev.event == "purchase"].merge(
        wb[["unit_id", "assigned_at"]], left_on="user_id", right_on="unit_id"
    )
    after = buys[buys.ts > buys.assigned_at].user_id.unique()
    assert (wb.converted == wb.unit_id.isin(after).astype(int)).all()
    # units were churned at assignment: no event in the 90 days before it
    last = ev.merge(wb[["unit_id", "assigned_at"]], left_on="user_id", right_on="unit_id")
    before = (
        last[last.ts <= last.assigned_at]
        .groupby("user_id")
        .agg(last_ts=("ts", "max"), at=("assigned_at", "first"))
    )
    assert (before.last_ts < before["at"] - pd.Timedelta(days=90)).all()
    assert len(before) == len(wb)
    # value is the comeback spend, pre_value the spend before assignment
    spent = buys[buys.ts > buys.assigned_at].groupby("user_id").amount.sum()
    converted = wb[wb.converted == 1].set_index("unit_id")
    assert np.allclose(converted.value, spent.loc[converted.index], atol=0.011)
    observed = truths["ab_testing"]["winback_2026q3"]["observed"]
    assert observed["holdout"]["n"] == (wb.variant == "holdout").sum()
    assert abs(observed["holdout"]["n"] / len(wb) - 0.1) < 0.005
    rates = wb.groupby("variant").converted.mean()
    assert abs(rates["holdout"] - 0.05) < 0.005 and abs(rates["coupon"] - 0.15) < 0.002
    z, p = proportions_ztest(
        wb.groupby("variant").converted.sum()[["coupon", "holdout"]],
        wb.groupby("variant").size()[["coupon", "holdout"]],
    )
    assert z > 3 and p < 0.001


# --- A/B tests ------------------------------------------------------------------------------------------------


def test_title_summer_lift_is_recoverable(frames, truths):
    exp = frames["experiment"]
    ts = exp[exp.experiment_id == "title_summer"]
    conv = ts.groupby("variant").converted.agg(["sum", "count"]).loc[["variant", "control"]]
    z, p = proportions_ztest(conv["sum"], conv["count"])
    assert 2.7 < z < 3.4 and p < 0.01
    rates = conv["sum"] / conv["count"]
    assert rates["variant"] - rates["control"] == pytest.approx(
        truths["ab_testing"]["title_summer"]["abs_lift"], abs=0.0005
    )
    assert stats.chisquare(conv["count"]).pvalue > 0.001  # no sample ratio mismatch
    assert np.corrcoef(ts.value, ts.pre_value)[0, 1] == pytest.approx(0.7, abs=0.05)


def test_push_time_has_no_effect_and_invite_has_srm(frames, truths):
    exp = frames["experiment"]
    push = exp[exp.experiment_id == "push_time"]
    assert set(push.variant) == {"A", "B"}
    conv = push.groupby("variant").converted.agg(["sum", "count"])
    assert proportions_ztest(conv["sum"], conv["count"])[1] > 0.5
    invite = exp[exp.experiment_id == "invite_campaign"].variant.value_counts()
    assert set(invite.index) == {"control", "invite3", "invite5"}
    p = stats.chisquare(invite.to_numpy()).pvalue
    assert p < 0.001 and truths["ab_testing"]["invite_campaign"]["srm"]
    assert truths["ab_testing"]["invite_campaign"]["srm_p_value"] == pytest.approx(p, rel=1e-6)


# --- platform matrix ------------------------------------------------------------------------------------------


def test_platform_roles(frames, truths):
    pm = truths["platform_matrix"]
    d = frames["platform_daily"].groupby("platform").sum(numeric_only=True)
    assert d.impressions.idxmax() == pm["best_awareness"] == "douyin"
    for rate in (
        d.conversions / d.clicks,
        d.conversions / d.impressions,
        d.conversions / d.followers.clip(1),
    ):
        assert rate.idxmax() == pm["best_conversion"] == "wechat"
        assert rate.idxmin() == "douyin"
    assert (d.spend / d.new_followers).idxmin() == "wechat"
    assert (d.spend / d.new_followers).idxmax() == "weibo"
    assert (d.engagements / d.impressions).idxmax() == pm["best_engagement"] == "xiaohongshu"
    assert (d.engagements / d.impressions).idxmin() == "weibo"


def test_post_effects(frames, truths):
    pm = truths["platform_matrix"]
    posts = frames["posts"].copy()
    posts["rate"] = posts[["likes", "comments", "shares", "saves"]].sum(axis=1) / posts.impressions
    by_type = posts.groupby("content_type").rate.mean()
    assert by_type.idxmax() == pm["best_content_type"] == "tutorial"
    assert by_type.idxmin() == "promotion"
    by_hour = posts.groupby(posts.published_at.dt.hour).rate.mean()
    assert sorted(by_hour.nlargest(2).index) == pm["best_hours"] == [20, 21]
    assert posts.is_ad.mean() == pytest.approx(pm["ad_share"], abs=1e-4)
    assert 0.38 < pm["ad_share"] < 0.42 and pm["verdict"] == "over_marketing"
    per_week = posts.groupby("platform").size() / (365 / 7)
    assert per_week["douyin"] < 7 and pm["under_cadence"] == ["douyin"]
    assert 3 <= per_week["xiaohongshu"] <= 5 and 2 <= per_week["wechat"] <= 3
    assert posts.title.str.contains(r"[\u4e00-\u9fff]").all()


def test_audience_profiles(frames):
    a = frames["audience"].set_index(["platform", "dimension", "bucket"]).sort_index().share
    assert a["bilibili", "age"].idxmax() == "18-24"
    assert a["xiaohongshu", "age"].idxmax() == "25-34"
    assert a["xiaohongshu", "gender"].idxmax() == "female"
    assert set(a["wechat", "age"].nlargest(2).index) == {"25-34", "35-44"}


# --- crisis and masking ---------------------------------------------------------------------------------------


def test_crisis_timeline(frames, truths):
    crisis = truths["crisis"]
    m = frames["mentions"]
    onset = pd.Timestamp(crisis["onset"])
    hourly = m[~m.is_official].set_index("ts").resample("h").size()
    assert hourly[onset] > 5 * hourly[onset - pd.Timedelta(hours=1)]
    assert hourly[onset - pd.Timedelta(hours=1)] <= hourly[: onset - pd.Timedelta(hours=1)].quantile(0.9)
    assert hourly.idxmax() == pd.Timestamp(crisis["peak_at"]) > onset
    official = m[m.is_official]
    assert (official.ts < onset).sum() > 50  # routine posts before the crisis
    first = official[official.ts >= onset].ts.min()
    assert first == pd.Timestamp(crisis["first_response_at"])
    assert (first - onset) / pd.Timedelta(hours=1) == crisis["response_hours"] == 30
    assert not crisis["met_24h_rule"]
    daily = m.set_index("ts").sentiment.resample("D").mean()
    before = daily[: onset.floor("D") - pd.Timedelta(days=1)].mean()
    assert daily[onset.floor("D")] < before - 0.5
    assert daily[pd.Timestamp(crisis["recovered_by"]).floor("D")] > before - 0.1
    week_later = hourly[pd.Timestamp(crisis["recovered_by"]) :].mean()
    assert week_later < 1.5 * hourly[: onset - pd.Timedelta(hours=1)].mean()


def test_mentions_carry_personal_data_to_mask(frames, truths):
    text = frames["mentions"].text
    assert text.str.contains(r"[\u4e00-\u9fff]").all()
    phones = text.str.contains("|".join(truths["masking"]["phones"]))
    assert phones.sum() == truths["masking"]["mentions_with_phone"] > 5
    assert text.str.contains("13800138000").any()
    assert text.str.contains(r"@\S+").sum() == truths["masking"]["mentions_with_nickname"] > 50
