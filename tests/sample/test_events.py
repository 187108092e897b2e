"""The events plan and its lifecycle and churn truths, recomputed from the committed samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialops.sample import events
from tests.sample.conftest import AS_OF, SAMPLES, relation

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
    sql = STAGES_SQL.format(events=relation(SAMPLES, "events"), as_of=as_of)
    stages = dict(con.sql(sql).fetchall())
    assert stages == truths["lifecycle"]["stages"]
    assert all(stages[s] > 1_000 for s in stages)  # every stage is big enough to report on


@pytest.mark.parametrize("as_of", ["2026-09-30 23:59:59", "2026-09-30 23:59:59.999999"])
def test_k_factor_and_share_rate_match_designs_rules(con, truths, as_of):
    referred, sharing, active = con.sql(
        PERIOD_SQL.format(events=relation(SAMPLES, "events"), as_of=as_of)
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


def test_referral_selection_gives_the_referred_dropout_ratio():
    k = events.referral_selection_power()
    a, b, q = events.BGNBD["a"], events.BGNBD["b"], events.REFERRED_OF_CUSTOMERS
    referred = a / (a + b + k)
    others = (a / (a + b) - q * referred) / (1 - q)
    assert referred / others == pytest.approx(events.REFERRED_DROPOUT)


def test_plan_is_the_same_for_a_seed():
    one, two = (events.plan_users(np.random.default_rng(5), 500) for _ in range(2))
    pd.testing.assert_frame_equal(one.key, two.key)
    assert one.n == 500 and set(np.unique(one.kind)) <= {0, 1, 2}
    assert (one.start <= one.end).all() and (one.end <= events.WINDOW_END).all()
    assert events.id_width(500) == 6 and events.id_width(12_345_678) == 8
