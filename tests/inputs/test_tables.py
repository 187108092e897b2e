"""The contract's table definitions."""

import pytest

from socialops.inputs.tables import (
    CHAPTER_TABLES,
    CONTENT_TYPES,
    EVENTS,
    FORMATS,
    KNOWN_PLATFORMS,
    TABLES,
    chapter_tables,
    table_spec,
)


def id_columns(spec):
    return tuple(c.name for c in spec.columns if c.kind == "id")


def types(spec):
    return {c.name: c.dtype for c in spec.columns}


def test_six_tables_with_their_time_columns():
    assert {name: spec.time_column for name, spec in TABLES.items()} == {
        "platform_daily": "date",
        "posts": "published_at",
        "audience": None,
        "events": "ts",
        "experiment": "assigned_at",
        "mentions": "ts",
    }


def test_required_columns_follow_the_design():
    required = {name: set(spec.required) for name, spec in TABLES.items()}
    assert required == {
        "platform_daily": {"date", "platform", "followers", "impressions", "engagements"},
        "posts": {"post_id", "platform", "published_at", "content_type", "impressions"},
        "audience": {"platform", "dimension", "bucket", "share"},
        "events": {"user_id", "ts", "event"},
        "experiment": {"experiment_id", "unit_id", "variant", "converted"},
        "mentions": {"mention_id", "ts", "platform", "sentiment"},
    }


def test_keys_and_id_columns():
    assert {n: s.key for n, s in TABLES.items() if s.key} == {
        "platform_daily": ("date", "platform"),
        "posts": ("post_id",),
        "experiment": ("experiment_id", "unit_id"),
        "mentions": ("mention_id",),
    }
    # appended exports repeat rows with newer numbers: kept as the last; a unit assigned twice is refused
    assert {n: s.repeated_key for n, s in TABLES.items() if s.key} == {
        "platform_daily": "keep_last", "posts": "keep_last", "experiment": "refuse", "mentions": "keep_last"}
    assert id_columns(TABLES["events"]) == ("user_id", "referrer_id")
    for spec in TABLES.values():
        for name in id_columns(spec):
            assert types(spec)[name] == "string"


def test_canonical_types_match_the_sample_spec():
    types = {(t, c.name): c.dtype for t, spec in TABLES.items() for c in spec.columns}
    assert types[("platform_daily", "date")] == "date"
    for key in [("events", "ts"), ("posts", "published_at"), ("experiment", "assigned_at"), ("mentions", "ts")]:
        assert types[key] == "timestamp"
    for key in [("audience", "share"), ("mentions", "sentiment"), ("events", "amount"), ("experiment", "value"),
                ("experiment", "pre_value"), ("platform_daily", "spend"), ("platform_daily", "revenue")]:
        assert types[key] == "float64"
    assert types[("posts", "is_ad")] == types[("mentions", "is_official")] == "boolean"
    assert types[("experiment", "converted")] == "int64"
    assert types[("posts", "impressions")] == types[("mentions", "reach")] == "int64"


def test_enums():
    assert TABLES["posts"].column("content_type").values == CONTENT_TYPES
    assert TABLES["posts"].column("format").values == FORMATS
    assert TABLES["events"].column("event").values == EVENTS
    assert "xiaohongshu" in KNOWN_PLATFORMS and "bilibili" in KNOWN_PLATFORMS


def test_chapter_tables():
    matrix = CHAPTER_TABLES["01_platform_matrix"]
    assert matrix.required == () and matrix.any_of == ("platform_daily", "posts")
    assert matrix.optional == ("audience",) and matrix.all == ("platform_daily", "posts", "audience")
    assert matrix.lacking(["posts"]) == [] and matrix.lacking(["platform_daily", "audience"]) == []
    assert matrix.lacking(["audience"]) == ["platform_daily or posts"]
    assert matrix.main_table(["posts", "platform_daily"]) == "platform_daily"
    assert matrix.main_table(["posts"]) == "posts"
    assert CHAPTER_TABLES["02_lifecycle"].lacking(["platform_daily"]) == ["events"]
    assert CHAPTER_TABLES["02_lifecycle"].main_table([]) == "events"
    assert CHAPTER_TABLES["04_churn"].all == ("events", "experiment")
    assert chapter_tables("crisis_postmortem") is CHAPTER_TABLES["05_crisis_postmortem"]
    with pytest.raises(KeyError, match="known chapters"):
        chapter_tables("06_nothing")


def test_unknown_table_lists_the_known_ones():
    with pytest.raises(KeyError, match="platform_daily"):
        table_spec("orders")
    with pytest.raises(KeyError):
        TABLES["posts"].column("nothing")
