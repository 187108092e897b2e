"""A workspace: the tables of a data source as typed Ibis tables in the engine, with input fingerprints."""

from __future__ import annotations

import os
from collections.abc import Iterable

import ibis
import ibis.expr.types as ir
import pandas as pd

from socialops.inputs.engine import connect
from socialops.inputs.keys import find_repeats, has_repeats, keep_last, keeps_last
from socialops.inputs.readers import ROW, RawTable, already_canonical, drop_raw, parse_table
from socialops.inputs.sources import DataSource, parse_source
from socialops.inputs.tables import DERIVED, TABLES, ChapterTables, table_spec


class Workspace:
    """The typed tables of one data source, held by one engine connection.

    Create it with `open_workspace`. Tables have canonical column names and types; derived columns (such as
    ``platform_daily.engagements`` from its parts) are filled in; columns a file lacks are absent.
    """

    def __init__(self, data_dir: str, con, tables: dict[str, ir.Table], inputs: dict[str, dict], owns_con=True,
                 warnings: list[dict] | None = None):
        self.data_dir = data_dir
        self.con = con
        self._owns_con = owns_con
        self._tables = tables
        self._inputs = inputs
        self._warnings = list(warnings or [])
        self._ranges: dict[str, tuple] = {}

    def table(self, name: str) -> ir.Table:
        """Return table `name` as an Ibis table.

        Raises
        ------
        KeyError
            When the table is not in the workspace (check with `has` first for optional tables).
        """
        table_spec(name)
        if name not in self._tables:
            raise KeyError(f"table {name!r} is not in {self.data_dir} (or was not opened)")
        return self._tables[name]

    def has(self, name: str, column: str | None = None) -> bool:
        """Whether table `name` (and, if given, its `column`) is present."""
        if name not in self._tables:
            return False
        return column is None or column in self._tables[name].columns

    def time_column(self, name: str) -> str | None:
        """The column that places rows of table `name` in time (None for timeless tables)."""
        return table_spec(name).time_column

    def date_range(self, name: str):
        """Return ``(min, max)`` of the time column of table `name` (``(None, None)`` when it has none or no rows).

        The tables of a workspace do not change once opened, so each range is queried once: the report's default
        ``as_of``, its header and its results all ask for the same one.
        """
        column = self.time_column(name)
        if column is None or not self.has(name, column):
            return None, None
        if name not in self._ranges:
            t = self.table(name)
            row = t.aggregate(lo=t[column].min(), hi=t[column].max()).execute().iloc[0]
            self._ranges[name] = (_scalar(row["lo"]), _scalar(row["hi"]))
        return self._ranges[name]

    def inputs(self) -> dict[str, dict]:
        """``{table: {"file": name, "rows": n, "sha256": hex}}`` for every table read."""
        return {name: dict(info) for name, info in self._inputs.items()}

    def warnings(self) -> list[dict]:
        """What opening the tables noticed and how it was treated, for the results' ``warnings``.

        Today: keys given on several rows (``"warning": "repeated_key"``), of which only the last row of each
        was kept (``"treatment": "kept_last"``); see `socialops.inputs.keys.RepeatedKeys.record`.
        """
        return [dict(w) for w in self._warnings]

    def close(self) -> None:
        """Release the engine connection (one passed in by the caller is left open)."""
        if self.con is not None and self._owns_con:
            self.con.disconnect()
        self.con = None

    def __enter__(self) -> Workspace:
        """The workspace itself, closed when the ``with`` block ends."""
        return self

    def __exit__(self, *exc) -> None:
        """Close the workspace (see :meth:`close`)."""
        self.close()

    def __repr__(self) -> str:
        """The data folder and the tables opened."""
        return f"Workspace({str(self.data_dir)!r}, tables={list(self._tables)})"


def _scalar(value):
    """Turn a missing value into None (pandas gives NaT/NaN)."""
    return None if pd.isna(value) else value


def open_workspace(
    data_dir: str | os.PathLike | DataSource,
    tables: Iterable[str] | ChapterTables | None = None,
    *,
    engine="duckdb",
    threads: int | None = None,
    memory_limit: str | None = None,
) -> Workspace:
    """Open the tables of a data source in the engine.

    The data are expected to be valid (see `socialops.inputs.contract.validate`); values that do not parse become null.

    Parameters
    ----------
    data_dir : path, str or DataSource
        The folder holding ``<table>.csv|.xlsx|.parquet`` files (or Parquet folders), a folder URL the engine
        reads, or ``db:…`` tables in the engine (see `socialops.inputs.sources`).
    tables : iterable of str or ChapterTables, optional
        The tables to open; those without a file are absent (`Workspace.has` is False). Default: every table of
        the contract that has a file.
    engine : str or ibis backend
        ``"duckdb"``, ``"spark"`` or an Ibis URL (see `socialops.inputs.engine.connect`), or an open backend.
    threads, memory_limit : optional
        Passed to `socialops.inputs.engine.connect`.

    Returns
    -------
    Workspace
    """
    source = parse_source(data_dir)
    if source.folder is not None and not source.folder.is_dir():
        raise FileNotFoundError(f"data folder not found: {source.folder}")
    names = list(tables.all if isinstance(tables, ChapterTables) else (tables or TABLES))
    for name in names:
        table_spec(name)
    owns = isinstance(engine, str)
    con = connect(engine, threads=threads, memory_limit=memory_limit) if owns else engine
    aliases = source.aliases()
    opened: dict[str, ir.Table] = {}
    inputs: dict[str, dict] = {}
    warnings: list[dict] = []
    try:
        for name in names:
            raw = source.read(con, name, aliases)
            if raw is None:
                continue
            in_place, rows = _in_place(con, raw, aliases), None
            if in_place is not None:
                opened[name] = in_place
            else:
                parsed, rows = _parsed(raw, aliases, warnings)
                opened[name] = _materialize(con, name, _derive(name, parsed))
            drop_raw(con, name)
            rows = int(opened[name].count().execute()) if rows is None else rows
            inputs[name] = {"file": raw.file.name, "rows": rows, "sha256": source.fingerprint(name)}
    except BaseException:
        if owns:
            con.disconnect()
        raise
    return Workspace(source.text, con, opened, inputs, owns_con=owns, warnings=warnings)


def _parsed(raw: RawTable, aliases, warnings: list[dict]) -> tuple[ir.Table, int | None]:
    """The typed rows of a raw table and their number where it was counted on the way (else None).

    Of a key given on several rows only the last row is kept, where the contract says so, and `warnings` says so.
    """
    spec = table_spec(raw.table)
    if not (raw.numbered and keeps_last(spec, raw.columns)):  # without a row order there is no last row
        return parse_table(raw, aliases, checks=False), None
    t = parse_table(raw, aliases, checks=False, row=True)
    rows, repeats = find_repeats(t, spec, raw.file.name)
    if repeats is not None:
        warnings.append(repeats.record())
        t = keep_last(t, spec.key)
        rows -= repeats.dropped_rows
    return t.drop(ROW), rows


def _derive(name: str, t: ir.Table) -> ir.Table:
    """Fill in derived columns that the file lacks, keeping contract column order."""
    for column, parts in DERIVED.get(name, {}).items():
        if column not in t.columns and all(p in t.columns for p in parts):
            t = t.mutate(**{column: sum((t[p].fill_null(0) for p in parts), ibis.literal(0, "int64"))})
    order = [c for c in table_spec(name).names if c in t.columns]
    return t.select(*order)


def _in_place(con, raw: RawTable, aliases) -> ir.Table | None:
    """The typed rows read where they lie, when their values are already canonical; None when they need converting.

    Querying the data in place spares the typed copy: at 10M events the copy costs seconds and hundreds of MB,
    while DuckDB scans a Parquet file in parallel, reading only the columns a query uses. A folder of Parquet
    files or a table in the engine is always read in place when canonical (on DuckDB through a view); a single
    file only on DuckDB.
    """
    typed = raw.file.suffix.lower() == ".parquet" or not raw.numbered
    if not typed or (con.name != "duckdb" and raw.numbered) or not already_canonical(raw, aliases):
        return None
    spec = table_spec(raw.table)
    if raw.numbered and keeps_last(spec, raw.columns) and has_repeats(raw.expr, spec.key):
        return None  # the parsing path keeps the last row of each repeated key
    # a cast to the canonical type is free where the types agree and evens out a timestamp's precision
    expr = _derive(raw.table, raw.expr.select(**{c: raw.expr[c].cast(spec.column(c).dtype) for c in raw.columns}))
    if con.name != "duckdb":
        return expr  # nothing is created in the user's database
    con.raw_sql(f'CREATE OR REPLACE TEMP VIEW "{raw.table}" AS {ibis.to_sql(expr, dialect="duckdb")}')
    return con.table(raw.table)


def _materialize(con, name: str, expr: ir.Table) -> ir.Table:
    """Store the typed table once where the engine is ours, so chapters do not re-parse the file on every query."""
    if con.name == "duckdb":
        # one compilation instead of the two `create_table` makes (schema, then insert): the parsing
        # expression is large and compiling it is most of the time a small table takes to open
        con.raw_sql(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {ibis.to_sql(expr, dialect="duckdb")}')
        return con.table(name)
    if con.name == "pyspark":
        # Spark has no temporary tables (create_table would write a managed table under ./spark-warehouse): a
        # cached DataFrame behind a temporary view keeps the parsed rows in the executors' memory instead
        return expr.cache()
    # elsewhere the parsing runs inside each query: nothing is ever created in the user's database
    return expr
