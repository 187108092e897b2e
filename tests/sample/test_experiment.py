"""The experiment table: the A/B tests' planted effects and the win-back test on churned customers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest


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
