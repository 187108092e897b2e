"""Keys given on several rows: found with their rows, and the last row of each kept.

Monthly exports appended to one another repeat rows: the same (date, platform) in ``platform_daily``, the same
post in ``posts``, the same mention in ``mentions``, the later copy carrying the newer numbers. Where the contract
allows it (`TableSpec.repeated_key` is ``"keep_last"``), validation lists such rows as warnings and the tables
opened for the chapters keep the last row of each key (the one lowest in the file); elsewhere a repeated key is a
validation failure.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from socialops.inputs.readers import ROW
from socialops.inputs.tables import TableSpec

#: What validation says of rows whose key is repeated where the contract keeps the last of them.
REPEATED_KEY_KEPT = "repeated key (the chapters keep the last of these rows)"
#: Rows listed in a warning before the rest are only counted.
MAX_ROWS = 50


def keeps_last(spec: TableSpec, columns) -> bool:
    """Whether a repeated key of table `spec` is kept as its last row (and the file has every key column)."""
    return spec.repeated_key == "keep_last" and bool(spec.key) and set(spec.key) <= set(columns)


def repeated(t: ir.Table, key: tuple[str, ...]) -> ir.BooleanValue:
    """True on each row whose key is given in full and shared with another row."""
    parts = [t[k] for k in key]
    given = ibis.and_(*[p.notnull() for p in parts])
    return (parts[0].count().over(group_by=parts) > 1) & given


def keep_last(t: ir.Table, key: tuple[str, ...]) -> ir.Table:
    """`t` with one row per key, the one with the largest ``_row``; rows whose key is incomplete all stay."""
    parts = [t[k] for k in key]
    rank = ibis.row_number().over(group_by=parts, order_by=ibis.desc(t[ROW]))
    incomplete = ibis.or_(*[p.isnull() for p in parts])
    return t.filter((rank == 0) | incomplete)


def has_repeats(t: ir.Table, key: tuple[str, ...]) -> bool:
    """Whether some complete key of `t` is on more than one row (``t`` need not have ``_row``)."""
    complete = t.filter(ibis.and_(*[t[k].notnull() for k in key]))
    counts = complete.group_by(list(key)).aggregate(n=complete.count())
    return bool(counts.filter(counts.n > 1).count().execute())


@dataclass(frozen=True)
class RepeatedKeys:
    """The rows of one table whose key is repeated, and what was done with them.

    Attributes
    ----------
    table, file : str
        The table and its file.
    key : tuple of str
        The key columns.
    rows : tuple of int
        The first `MAX_ROWS` such rows, as a spreadsheet numbers them.
    repeated_rows : int
        All such rows.
    dropped_rows : int
        Rows left out: all but the last of each key.
    """

    table: str
    file: str
    key: tuple[str, ...]
    rows: tuple[int, ...]
    repeated_rows: int
    dropped_rows: int

    def record(self) -> dict:
        """The warning as the results JSON holds it (``treatment``: ``kept_last``)."""
        return {"warning": "repeated_key", "table": self.table, "file": self.file, "key": list(self.key),
                "rows": list(self.rows), "repeated_rows": self.repeated_rows, "dropped_rows": self.dropped_rows,
                "treatment": "kept_last"}


def find_repeats(t: ir.Table, spec: TableSpec, file: str) -> tuple[int, RepeatedKeys | None]:
    """The rows of a parsed table that has ``_row``, and its repeated keys (None when every key is on one row).

    One query counts both; the repeated rows are listed by a second only when there are some.

    Parameters
    ----------
    t : ibis.Table
        The table with its key columns parsed and ``_row``.
    spec : TableSpec
        Its contract.
    file : str
        The file name, for the record.

    Returns
    -------
    tuple
        The number of rows of `t`, and the repeats.
    """
    parts = [t[k] for k in spec.key]
    flagged = t.select(ROW, *spec.key).mutate(
        _rep=repeated(t, spec.key), _last=ibis.row_number().over(group_by=parts, order_by=ibis.desc(t[ROW])) == 0)
    counts = flagged.aggregate(rows=flagged.count(), rep=flagged.count(where=flagged._rep),
                               kept=flagged.count(where=flagged._rep & flagged._last)).execute().iloc[0]
    rows, n = int(counts["rows"]), int(counts["rep"] or 0)
    if not n:
        return rows, None
    listed = flagged.filter(flagged._rep).order_by(ROW).limit(MAX_ROWS).select(ROW).execute()[ROW]
    return rows, RepeatedKeys(spec.name, file, spec.key, tuple(int(r) for r in listed), n, n - int(counts["kept"]))
