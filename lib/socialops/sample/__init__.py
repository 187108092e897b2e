"""Synthetic sample data with planted truths (``socialops sample``).

`generate` writes the six input tables of the data contract into a folder, plus ``truths.json``: the numbers
the chapters must recover (platform roles, lifecycle stage counts, BG/NBD parameters, A/B lifts, the crisis
timeline). The same seed gives byte-identical files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from socialops.sample import events, experiment, mentions, platforms
from socialops.sample._common import AS_OF, write_table

__all__ = ["TABLES", "generate"]

#: The tables `generate` writes, in the order of DESIGN.md.
TABLES = ("platform_daily", "posts", "audience", "events", "experiment", "mentions")


def generate(out_dir, *, users: int = 20_000, seed: int = 7, fmt: str = "csv", events_fmt: str | None = None):
    """Write the sample tables and ``truths.json`` into `out_dir`.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder to write into (created if missing); existing sample files there are overwritten.
    users : int
        Number of users in ``events`` (about 8 events each); scales to millions, written chunk by chunk.
    seed : int
        Random seed; the same seed, `users` and format give byte-identical files.
    fmt : {"csv", "parquet"}
        File format of the tables (CSV in UTF-8; Parquet with microsecond timestamps).
    events_fmt : {"csv", "parquet"}, optional
        A different format for ``events`` alone (the committed samples keep it as Parquet to stay small).

    Returns
    -------
    pathlib.Path
        The folder written.
    """
    if fmt not in ("csv", "parquet") or events_fmt not in (None, "csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, got {fmt!r} / {events_fmt!r}")
    if users < 100:
        raise ValueError(f"users must be at least 100, got {users}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # One independent stream per table, so changing one table's code never shifts another's numbers.
    rng_daily, rng_posts, rng_plan, rng_events, rng_exp, rng_mentions = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)
    )
    for stale in (out / f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")):
        stale.unlink(missing_ok=True)

    daily = platforms.platform_daily(rng_daily)
    post_table = platforms.posts(rng_posts)
    write_table(daily, out, "platform_daily", fmt)
    write_table(post_table, out, "posts", fmt)
    write_table(platforms.audience(), out, "audience", fmt)

    plan = events.plan_users(rng_plan, users)
    _, lifecycle = events.write(rng_events, plan, out, events_fmt or fmt)

    exp_table = experiment.experiment(rng_exp, plan.winback, events.id_width(users))
    write_table(exp_table, out, "experiment", fmt)

    mention_table, crisis = mentions.mentions(rng_mentions)
    write_table(mention_table, out, "mentions", fmt)

    truths = {
        "seed": seed,
        "users": users,
        "as_of": AS_OF,
        "window": {"start": "2025-10-01T00:00:00", "end": AS_OF},
        "platform_matrix": platforms.truths(daily, post_table),
        "lifecycle": lifecycle,
        "churn": events.churn_truths(plan),
        "ab_testing": experiment.truths(exp_table),
        "crisis": crisis,
        "masking": {
            "phones": mentions.PHONES,
            "nicknames": mentions.NICKNAMES,
            "mentions_with_phone": int(mention_table.text.str.contains("电话1").sum()),
            "mentions_with_nickname": int(mention_table.text.str.contains("@").sum()),
        },
    }
    (out / "truths.json").write_text(
        json.dumps(truths, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return out
