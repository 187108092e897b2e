"""The generator as a whole: committed samples reproduced byte for byte, seeds, scale, and the data contract."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from socialops.inputs.tables import TABLES as CONTRACT
from socialops.sample import TABLES, generate
from tests.sample.conftest import AS_OF, SAMPLES, relation, table_file

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
            assert _sha(table_file(a, table)) == _sha(table_file(b, table)), (fmt, table)
        assert _sha(table_file(a, "events")) != _sha(table_file(c, "events"))
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
    described = con.sql(f"DESCRIBE SELECT * FROM {relation(SAMPLES, table)}").fetchall()
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
