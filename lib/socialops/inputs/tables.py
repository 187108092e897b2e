"""The data contract: the six input tables, their columns, types and rules.

Everything here is plain data that `readers`, `contract` and `workspace` interpret; a change to the contract is a
change to this module (and to DESIGN.md's table).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

#: Canonical kinds of column. Each kind fixes the Ibis type a column has once read and the rules its values obey.
#: ``id`` and ``text`` are strings (ids are never parsed as numbers); ``count`` is a whole number >= 0.
KIND_TYPES = {
    "id": "string",
    "text": "string",
    "enum": "string",
    "platform": "string",
    "date": "date",
    "timestamp": "timestamp",
    "count": "int64",
    "float": "float64",
    "share": "float64",
    "sentiment": "float64",
    "amount": "float64",
    "flag01": "int64",
    "bool": "boolean",
}

#: Platform ids named in DOMAIN.md. Other ids are allowed and shown as given.
KNOWN_PLATFORMS = (
    "xiaohongshu",
    "douyin",
    "wechat",
    "tmall",
    "jd",
    "weibo",
    "bilibili",
    "kuaishou",
    "zhihu",
)

CONTENT_TYPES = ("tutorial", "story", "interactive", "promotion")
FORMATS = ("image_text", "video", "live", "article", "other")
EVENTS = ("view", "like", "comment", "share", "follow", "unfollow", "signup", "purchase", "referral")
ENGAGEMENT_PARTS = ("likes", "comments", "shares", "saves")


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Parameters
    ----------
    name : str
        Canonical column name.
    kind : str
        A key of `KIND_TYPES`; fixes the type and the value rules.
    required : bool
        Whether the table is invalid without it.
    values : tuple of str
        For ``enum`` columns, the allowed values.
    """

    name: str
    kind: str
    required: bool = False
    values: tuple[str, ...] = ()

    @property
    def dtype(self) -> str:
        """The Ibis type name of the column once read."""
        return KIND_TYPES[self.kind]


@dataclass(frozen=True)
class TableSpec:
    """One input table of the contract.

    Parameters
    ----------
    name : str
        Table name, also the file stem (``events.csv``).
    columns : tuple of Column
        All known columns, required ones flagged.
    key : tuple of str
        Columns whose combination names one row (empty: no key).
    time_column : str or None
        The column that places a row in time (rows after ``as_of`` are ignored by it); None for timeless tables.
    repeated_key : str
        What a key given on several rows means: ``"refuse"`` (a validation failure) or ``"keep_last"`` (a
        warning; the tables opened for the chapters keep the row lowest in the file, since monthly exports
        appended to one another repeat rows, the later with the newer numbers).
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    time_column: str | None = None
    repeated_key: str = "refuse"

    def column(self, name: str) -> Column:
        """Return the column called `name` (KeyError if the table has none)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        """All canonical column names, in contract order."""
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required columns."""
        return tuple(c.name for c in self.columns if c.required)


def _c(name: str, kind: str, required: bool = False, values: tuple[str, ...] = ()) -> Column:
    return Column(name, kind, required, values)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "platform_daily",
            (
                _c("date", "date", True),
                _c("platform", "platform", True),
                _c("followers", "count", True),
                _c("impressions", "count", True),
                # required, but derivable: the sum of likes, comments, shares and saves (see `DERIVED`)
                _c("engagements", "count", True),
                _c("likes", "count"),
                _c("comments", "count"),
                _c("shares", "count"),
                _c("saves", "count"),
                _c("reach", "count"),
                _c("clicks", "count"),
                _c("new_followers", "count"),
                _c("conversions", "count"),
                _c("revenue", "amount"),
                _c("spend", "amount"),
            ),
            key=("date", "platform"),
            time_column="date",
            repeated_key="keep_last",
        ),
        TableSpec(
            "posts",
            (
                _c("post_id", "id", True),
                _c("platform", "platform", True),
                _c("published_at", "timestamp", True),
                _c("content_type", "enum", True, CONTENT_TYPES),
                _c("format", "enum", False, FORMATS),
                _c("is_ad", "bool"),
                _c("title", "text"),
                _c("impressions", "count", True),
                _c("reach", "count"),
                _c("clicks", "count"),
                _c("likes", "count"),
                _c("comments", "count"),
                _c("shares", "count"),
                _c("saves", "count"),
            ),
            key=("post_id",),
            repeated_key="keep_last",
            time_column="published_at",
        ),
        TableSpec(
            "audience",
            (
                _c("platform", "platform", True),
                _c("dimension", "text", True),
                _c("bucket", "text", True),
                _c("share", "share", True),
            ),
        ),
        TableSpec(
            "events",
            (
                _c("user_id", "id", True),
                _c("ts", "timestamp", True),
                _c("event", "enum", True, EVENTS),
                _c("platform", "platform"),
                _c("amount", "amount"),
                _c("referrer_id", "id"),
            ),
            time_column="ts",
        ),
        TableSpec(
            "experiment",
            (
                _c("experiment_id", "id", True),
                _c("unit_id", "id", True),
                _c("variant", "text", True),
                _c("assigned_at", "timestamp"),
                _c("converted", "flag01", True),
                _c("value", "float"),
                _c("pre_value", "float"),
            ),
            key=("experiment_id", "unit_id"),
            time_column="assigned_at",
        ),
        TableSpec(
            "mentions",
            (
                _c("mention_id", "id", True),
                _c("ts", "timestamp", True),
                _c("platform", "platform", True),
                _c("sentiment", "sentiment", True),
                _c("reach", "count"),
                _c("text", "text"),
                _c("is_official", "bool"),
            ),
            key=("mention_id",),
            repeated_key="keep_last",
            time_column="ts",
        ),
    )
}

#: Columns that may be absent from a file and are then computed from others: {table: {column: parts}}; the
#: derived value is the sum of the parts, and a file lacking the column must carry every part.
DERIVED: dict[str, dict[str, tuple[str, ...]]] = {"platform_daily": {"engagements": ENGAGEMENT_PARTS}}


@dataclass(frozen=True)
class ChapterTables:
    """The tables one chapter reads.

    Parameters
    ----------
    required : tuple of str
        Tables without which the chapter cannot run.
    optional : tuple of str
        Tables that enable extra sections when present.
    any_of : tuple of str
        Tables of which the chapter needs at least one (each enables its own sections); empty: no such group.
    """

    required: tuple[str, ...]
    optional: tuple[str, ...] = field(default=())
    any_of: tuple[str, ...] = field(default=())

    @property
    def all(self) -> tuple[str, ...]:
        """Required, then one-of, then optional table names."""
        return self.required + self.any_of + self.optional

    def lacking(self, present: Collection[str]) -> list[str]:
        """What the chapter lacks to run on the tables `present` (empty when it can run).

        Each missing required table by name, and the one-of group as ``"a or b"`` when none of it is there.
        """
        missing = [name for name in self.required if name not in present]
        if self.any_of and not set(self.any_of) & set(present):
            missing.append(" or ".join(self.any_of))
        return missing

    def main_table(self, present: Collection[str]) -> str:
        """The table that dates the chapter's data: the first required, else the first one-of table present."""
        candidates = list(self.required) + [name for name in self.any_of if name in present]
        if not candidates:
            raise KeyError(f"none of {', '.join(self.any_of)} is present")
        return candidates[0]


CHAPTER_TABLES: dict[str, ChapterTables] = {
    # the platform comparison needs the daily table, the posting sections the posts: either runs alone
    "01_platform_matrix": ChapterTables((), ("audience",), any_of=("platform_daily", "posts")),
    "02_lifecycle": ChapterTables(("events",), ("platform_daily",)),
    "03_ab_testing": ChapterTables(("experiment",), ()),
    "04_churn": ChapterTables(("events",), ("experiment",)),
    "05_crisis_postmortem": ChapterTables(("mentions",), ()),
}


def table_spec(name: str) -> TableSpec:
    """Return the contract of table `name`.

    Parameters
    ----------
    name : str
        One of the keys of `TABLES`.

    Raises
    ------
    KeyError
        With the list of known tables, when `name` is not one of them.
    """
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known tables: {', '.join(TABLES)}") from None


def chapter_tables(chapter: str) -> ChapterTables:
    """Return the tables chapter `chapter` reads; accepts the short name (``lifecycle``) or the file stem."""
    if chapter in CHAPTER_TABLES:
        return CHAPTER_TABLES[chapter]
    for chapter_id, tables in CHAPTER_TABLES.items():
        if chapter_id.split("_", 1)[1] == chapter:
            return tables
    raise KeyError(f"unknown chapter {chapter!r}; known chapters: {', '.join(CHAPTER_TABLES)}")
