"""The mentions table: the planted crisis timeline and the personal data the reports must mask."""

from __future__ import annotations

import pandas as pd

from socialops.sample import mentions


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


def test_expected_counts_start_at_the_onset():
    baseline, crisis = mentions.expected_counts()
    onset = (mentions.ONSET - mentions.START) // mentions.HOUR
    assert baseline.size == crisis.size and (baseline > 0).all()
    assert (crisis[:onset] == 0).all() and crisis[onset] == mentions.RAMP[0]
