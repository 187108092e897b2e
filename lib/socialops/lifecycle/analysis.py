"""User lifecycle stages: where each user stands as of a date, how the stages change, the funnel between them.

The stage rules are those of DESIGN.md ("Definitions behind the numbers", 02), tested in this order:

1. churned: the last event of any kind lies more than `churn_days` before `as_of`;
2. potential: never purchased, followed or signed up;
3. new: never purchased, but followed or signed up;
4. loyal: at least `loyal_min_purchases` purchases in the last `loyal_window_days`, or a referral in that window
   (a ``referral`` event by the user, or another user's event whose ``referrer_id`` is this user);
5. active: every other customer.

"Within the last N days" includes the instant exactly N days before `as_of`: a user whose last event is exactly
`churn_days` old is not churned, one second older is. Per-user work is Ibis on the engine; the public summary
functions return small pandas aggregates.
"""

from __future__ import annotations

import ibis
import pandas as pd
from ibis.expr.types import Table

from socialops.stats import rfm
from socialops.stats.intervals import wilson_interval
from socialops.stats.timeframe import cut_at, timestamp

STAGES: tuple[str, ...] = ("potential", "new", "active", "loyal", "churned")
#: The funnel runs through the live stages in the order a user climbs them.
FUNNEL: tuple[str, ...] = ("potential", "new", "active", "loyal")
#: Where a user who had no event yet at the earlier snapshot of a transition matrix comes from.
UNSEEN = "none"
CHURN_GROUPS: tuple[str, ...] = ("former_customers", "lapsed_prospects")

DEFAULT_RULES = {"churn_days": 90, "loyal_min_purchases": 3, "loyal_window_days": 180}


def _has(table: Table, column: str) -> bool:
    return column in table.columns


def user_stages(
    events: Table,
    as_of: pd.Timestamp,
    *,
    churn_days: int = 90,
    loyal_min_purchases: int = 3,
    loyal_window_days: int = 180,
) -> Table:
    """Give every user with an event up to `as_of` exactly one lifecycle stage.

    Parameters
    ----------
    events : ibis.Table
        The ``events`` table (user_id, ts, event; optional amount, referrer_id). Rows after `as_of` are ignored.
    as_of : pandas.Timestamp
        End of the observation window.
    churn_days, loyal_min_purchases, loyal_window_days : int
        The stage rule parameters (DESIGN.md defaults 90, 3, 180).

    Returns
    -------
    ibis.Table
        One row per user: ``user_id``, ``stage`` (one of `STAGES`), ``is_customer`` (ever purchased),
        ``first_ts``, ``last_ts``, ``purchases``, ``revenue``, ``last_purchase_ts``, ``events`` (count).
        Row-level: aggregate it on the engine (or export it) rather than loading it into pandas.
    """
    ev = cut_at(events, as_of)
    if not _has(ev, "amount"):
        ev = ev.mutate(amount=ibis.literal(0.0))
    now = timestamp(as_of)
    window_start = now - ibis.interval(days=loyal_window_days)
    churn_before = now - ibis.interval(days=churn_days)
    is_purchase = ev.event == "purchase"
    amount = ibis.coalesce(ev.amount, 0.0)
    in_window = ev.ts >= window_start
    per_user = ev.group_by("user_id").aggregate(
        first_ts=ev.ts.min(),
        last_ts=ev.ts.max(),
        events=ev.ts.count(),
        purchases=ev.ts.count(where=is_purchase),
        acquisitions=ev.ts.count(where=ev.event.isin(("follow", "signup"))),
        revenue=rfm.amount_sum(amount, where=is_purchase),
        last_purchase_ts=ev.ts.max(where=is_purchase),
        window_purchases=ev.ts.count(where=is_purchase & in_window),
        window_referral_events=ev.ts.count(where=(ev.event == "referral") & in_window),
    )
    if _has(ev, "referrer_id"):
        # Referrals credited through another user's event carrying this user's id as referrer.
        referred = ev.filter(
            ev.referrer_id.notnull() & (ev.referrer_id != "") & (ev.referrer_id != ev.user_id) & in_window
        )
        credited = referred.group_by(user_id=referred.referrer_id).aggregate(window_referred=referred.count())
        per_user = per_user.left_join(credited, "user_id").select(
            *[per_user[c] for c in per_user.columns],
            window_referred=ibis.coalesce(credited.window_referred, 0),
        )
    else:
        per_user = per_user.mutate(window_referred=ibis.literal(0, type="int64"))
    p = per_user
    stage = ibis.cases(
        (p.last_ts < churn_before, "churned"),
        ((p.purchases == 0) & (p.acquisitions == 0), "potential"),
        (p.purchases == 0, "new"),
        (
            (p.window_purchases >= loyal_min_purchases)
            | (p.window_referral_events > 0)
            | (p.window_referred > 0),
            "loyal",
        ),
        else_="active",
    )
    return p.select(
        "user_id",
        stage=stage,
        is_customer=p.purchases > 0,
        first_ts=p.first_ts,
        last_ts=p.last_ts,
        events=p.events,
        purchases=p.purchases,
        revenue=ibis.coalesce(p.revenue, 0.0),
        last_purchase_ts=p.last_purchase_ts,
    )


#: The pseudo event type :func:`observed_events` adds when a signup or purchase carries a referrer.
REFERRED = "referred"


def observed_events(events: Table, as_of: pd.Timestamp) -> frozenset[str]:
    """The event types the log holds up to `as_of`, and `REFERRED` when a signup or purchase names a referrer.

    What a report may claim rests on these: a step of the funnel, a rate or the K-factor is measured only when
    the events that define it occur in the log at all.

    Parameters
    ----------
    events : ibis.Table
        The ``events`` table.
    as_of : pandas.Timestamp
        End of the observation window.

    Returns
    -------
    frozenset of str
        Values of `EVENTS` seen, plus `REFERRED`.
    """
    ev = cut_at(events, as_of)
    carried = ibis.literal(False)
    if _has(ev, "referrer_id"):
        carried = ev.referrer_id.notnull() & (ev.referrer_id != "") & ev.event.isin(("signup", "purchase"))
    per_event = ev.group_by("event").aggregate(referred=ev.count(where=carried)).to_pandas()  # one scan
    kinds = set(per_event["event"].dropna())
    if int(per_event["referred"].sum()):
        kinds.add(REFERRED)
    return frozenset(kinds)


def _stage_groups(events: Table, as_of: pd.Timestamp, rules: dict) -> pd.DataFrame:
    """Users per (stage, is_customer) at `as_of`: a handful of rows."""
    st = user_stages(events, as_of, **rules)
    return st.group_by(["stage", "is_customer"]).aggregate(users=st.count()).to_pandas()


def _counts(groups: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    stages = groups.groupby("stage")["users"].sum().reindex(list(STAGES), fill_value=0).astype(int)
    churned = groups[groups["stage"] == "churned"].groupby("is_customer")["users"].sum()
    split = pd.Series(
        {
            "former_customers": int(churned.get(True, 0)),
            "lapsed_prospects": int(churned.get(False, 0)),
        }
    )
    return stages, split


def _compare(current: pd.Series, previous: pd.Series, total_now: int, total_before: int) -> pd.DataFrame:
    out = pd.DataFrame({"users": current, "previous_users": previous})
    out["share"] = out["users"] / total_now if total_now else float("nan")
    out["previous_share"] = out["previous_users"] / total_before if total_before else float("nan")
    out["change"] = out["users"] - out["previous_users"]
    out["change_pct"] = out["change"] / out["previous_users"].where(out["previous_users"] > 0)
    return out[["users", "share", "previous_users", "previous_share", "change", "change_pct"]]


def stage_sizes(
    events: Table, as_of: pd.Timestamp, *, compare_days: int = 30, **rules: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stage sizes and shares at `as_of`, against the snapshot one period of equal length earlier.

    Parameters
    ----------
    events : ibis.Table
        The ``events`` table.
    as_of : pandas.Timestamp
        End of the observation window.
    compare_days : int
        Length of the period; the comparison snapshot is taken at ``as_of - compare_days`` from the events up to
        then.
    **rules : int
        Stage rule parameters of `user_stages`.

    Returns
    -------
    stages : pandas.DataFrame
        Indexed by `STAGES`: users, share, previous_users, previous_share, change, change_pct.
    churned : pandas.DataFrame
        Indexed by `CHURN_GROUPS` (churned users who had bought, churned users who never had), same columns; shares
        are of all users.
    """
    rules = {**DEFAULT_RULES, **rules}
    before = pd.Timestamp(as_of) - pd.Timedelta(days=compare_days)
    now_stages, now_split = _counts(_stage_groups(events, as_of, rules))
    old_stages, old_split = _counts(_stage_groups(events, before, rules))
    total_now, total_before = int(now_stages.sum()), int(old_stages.sum())
    return (
        _compare(now_stages, old_stages, total_now, total_before),
        _compare(now_split, old_split, total_now, total_before),
    )


def stage_transitions(
    events: Table, as_of: pd.Timestamp, *, compare_days: int = 30, **rules: int
) -> pd.DataFrame:
    """Stage-transition matrix between ``as_of - compare_days`` and `as_of`.

    Each user is staged twice, from the events up to each date. Users with no event yet at the earlier date come
    from the row `UNSEEN`.

    Returns
    -------
    pandas.DataFrame
        Integer counts; index ``from_stage`` (`UNSEEN` then `STAGES`), columns ``to_stage`` (`STAGES`). Column sums
        are the stage sizes at `as_of`; row sums (but `UNSEEN`) those at the earlier date.
    """
    rules = {**DEFAULT_RULES, **rules}
    before = pd.Timestamp(as_of) - pd.Timedelta(days=compare_days)
    now = user_stages(events, as_of, **rules).select("user_id", to_stage="stage")
    old = user_stages(events, before, **rules).select(old_id="user_id", from_stage="stage")
    joined = now.left_join(old, now.user_id == old.old_id)
    pairs = joined.group_by(
        from_stage=ibis.coalesce(joined.from_stage, UNSEEN), to_stage=joined.to_stage
    ).aggregate(users=joined.count())
    counts = pairs.to_pandas()
    matrix = counts.pivot_table(index="from_stage", columns="to_stage", values="users", aggfunc="sum")
    matrix = matrix.reindex(index=[UNSEEN, *STAGES], columns=list(STAGES)).fillna(0).astype(int)
    matrix.index.name, matrix.columns.name = "from_stage", "to_stage"
    return matrix


def first_order_conversion(transitions: pd.DataFrame, confidence: float = 0.95) -> dict[str, float]:
    """Share of the users who were `new` at the earlier snapshot and made their first purchase since.

    Parameters
    ----------
    transitions : pandas.DataFrame
        A matrix from `stage_transitions`.
    confidence : float
        Level of the Wilson interval.

    Returns
    -------
    dict
        ``new_users``, ``converted`` (now active or loyal), ``rate``, ``ci_low``, ``ci_high``.
    """
    row = transitions.loc["new"]
    n, k = int(row.sum()), int(row["active"] + row["loyal"])
    low, high = wilson_interval(k, n, confidence)
    return {
        "new_users": n,
        "converted": k,
        "rate": k / n if n else float("nan"),
        "ci_low": low,
        "ci_high": high,
    }


def stage_funnel(stages: pd.Series, confidence: float = 0.95) -> pd.DataFrame:
    """The funnel potential → new → active → loyal over the users who have not churned.

    A user counts at every step up to their current stage (a loyal user has also passed potential, new and
    active), so each step's conversion is the share of the users who reached the previous step and went on. The
    step into `active` is the first-order conversion (首单转化率) of the acquired users.

    Parameters
    ----------
    stages : pandas.Series
        User counts indexed by stage (at least the `FUNNEL` stages).
    confidence : float
        Level of the Wilson intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by `FUNNEL`: ``users`` (in the stage now), ``reached`` (at this step or beyond), ``conversion``
        (reached ÷ reached at the previous step; NaN for the first step), ``ci_low``, ``ci_high``.
    """
    users = stages.reindex(list(FUNNEL), fill_value=0).astype(int)
    reached = users[::-1].cumsum()[::-1]
    rows = [(float("nan"), float("nan"), float("nan"))]
    for i in range(1, len(FUNNEL)):
        k, n = int(reached.iloc[i]), int(reached.iloc[i - 1])
        low, high = wilson_interval(k, n, confidence)
        rows.append((k / n if n else float("nan"), low, high))
    out = pd.DataFrame(rows, index=list(FUNNEL), columns=["conversion", "ci_low", "ci_high"])
    out.insert(0, "reached", reached)
    out.insert(0, "users", users)
    return out


def buyer_share(funnel: pd.DataFrame) -> float:
    """Share of the users who have not churned that have bought at least once (0 when there are none).

    Parameters
    ----------
    funnel : pandas.DataFrame
        A funnel from `stage_funnel`.
    """
    live = funnel["reached"].iloc[0]
    return float(funnel.loc["active", "reached"] / live) if live else 0.0


def stage_members(events: Table, as_of: pd.Timestamp, stage: str | None = None, **rules: int) -> Table:
    """The users of one stage (or all stages) with the facts a CRM needs, in a CRM list's order.

    Pass `stage` to keep one stage only.

    Returns
    -------
    ibis.Table
        user_id, stage, is_customer, first_ts, last_ts, events, purchases, revenue, last_purchase_ts; ordered by
        stage (in `STAGES` order), then revenue (largest first), then user_id. Row-level: have the engine write it
        (`Report.export_table`) rather than loading it into pandas.
    """
    st = user_stages(events, as_of, **{**DEFAULT_RULES, **rules})
    if stage is not None:
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
        st = st.filter(st.stage == stage)
    return _crm_order(st)


def _crm_order(members: Table) -> Table:
    """`members` ordered by stage, revenue (largest first) and user_id."""
    rank = ibis.cases(*[(members.stage == s, i) for i, s in enumerate(STAGES)])
    return members.order_by(rank, ibis.desc(members.revenue), members.user_id)


#: The columns of `rfm.rfm_table` that a CRM list carries.
CRM_SCORES: tuple[str, ...] = ("r_score", "f_score", "m_score", "segment", "tier")


def crm_lists(events: Table, as_of: pd.Timestamp, **rules: int) -> tuple[dict[str, Table], dict[str, int]]:
    """Per-stage user lists for a CRM: `stage_members` with each customer's RFM scores, segment and tier.

    The lists stay on the engine, for it to write them (`Report.export_table`); only the number of users of each
    stage is fetched.

    Returns
    -------
    lists : dict of str to ibis.Table
        Stage → its users in `stage_members`' order (stages without users are left out); non-customers have null
        RFM columns.
    sizes : dict of str to int
        Stage → its number of users, for the same stages.
    """
    members = user_stages(events, as_of, **{**DEFAULT_RULES, **rules})
    scores = rfm.rfm_table(events, as_of)
    merged = members.left_join(scores, "user_id").select(*members.columns, *[scores[c] for c in CRM_SCORES])
    counts = members.group_by("stage").aggregate(users=members.count()).to_pandas()
    found = dict(zip(counts["stage"], counts["users"], strict=True))
    sizes = {stage: int(found[stage]) for stage in STAGES if found.get(stage, 0) > 0}
    lists = {stage: _crm_order(merged.filter(merged.stage == stage)) for stage in sizes}
    return lists, sizes
