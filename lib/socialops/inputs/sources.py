"""Where a run's tables are: a data folder, a folder the engine reads itself, or tables already in the engine.

A data source is written as text, the same on the command line (``--data``) and in the notebooks' ``data_dir``:

- a local folder (``data/samples``): one file or one folder of Parquet files per table;
- the URL of a folder on object storage or HDFS (``s3://bucket/exports``, ``hdfs://nn/exports``): ``events.parquet``
  or a folder ``events/`` of Parquet files per table, read by the engine's own reader;
- ``db:`` and the tables of the engine's database or catalog: ``db:analytics`` reads the schema's tables named
  as in the contract (``analytics.events``), ``db:events=analytics.user_events`` names a table (the params
  YAML's ``tables:`` mapping is written this way), and ``db:analytics,events=crm.user_events`` does both.

Tables in the engine are only ever read; aliases rename their columns in the query.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from socialops.inputs.engine import load_httpfs
from socialops.inputs.layout import ReadError
from socialops.inputs.readers import (
    Aliases,
    RawTable,
    find_table_file,
    load_aliases,
    read_dataset,
    read_relation,
    read_table,
)
from socialops.inputs.tables import TABLES

#: The prefix of a source in the engine's database or catalog.
DB_PREFIX = "db:"
_NAME = re.compile(r"[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*){0,2}")


class SourceError(ValueError):
    """A data source written in a form this module does not read; the message says the forms it does."""


@dataclass(frozen=True)
class DataSource:
    """A parsed data source (see the module's description for the forms).

    Attributes
    ----------
    text : str
        The source as written (what the chapters receive as ``data_dir``).
    folder : Path or None
        A local data folder.
    url : str or None
        A folder the engine reads (``s3://…``), without a trailing slash.
    schema : str or None
        The schema (or ``catalog.schema``) whose tables are named as in the contract.
    mapping : dict
        ``{contract table: qualified table name}``.
    """

    text: str
    folder: Path | None = None
    url: str | None = None
    schema: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)

    @property
    def in_engine(self) -> bool:
        """Whether the tables are the engine's own (``db:``), not files."""
        return self.folder is None and self.url is None

    def aliases(self) -> Aliases:
        """The alias map: the library's, and a local folder's ``aliases.yaml``."""
        return load_aliases(self.folder)

    def present(self, con=None) -> list[str]:
        """The contract's tables this source holds, in contract order.

        Parameters
        ----------
        con : ibis backend, optional
            The engine, needed to list a folder it reads or its own tables (not for a local folder).
        """
        if self.folder is not None:
            return [name for name in TABLES if has_file(self.folder, name)] if self.folder.is_dir() else []
        found = self._listing(con)
        return [name for name in TABLES if name in found]

    def shown(self, table: str) -> str:
        """The name a table of this source goes by in messages (``events.parquet``, ``analytics.events``)."""
        if self.url is not None:
            return f"{table}.parquet or {table}/"
        return self.mapping.get(table) or f"{self.schema}.{table}"

    def read(self, con, table: str, aliases: Aliases | None = None) -> RawTable | None:
        """Read one table in the engine as a raw table; None when the source has no such table.

        Raises
        ------
        ReadError
            When the table is there but cannot be read.
        """
        aliases = aliases or self.aliases()
        if self.folder is not None:
            path = find_table_file(self.folder, table)
            return None if path is None else read_table(con, table, path, aliases)
        listing = self._listing(con)
        if table not in listing:
            return None
        if self.url is not None:
            return read_dataset(con, table, listing[table], aliases)
        return read_relation(con, table, listing[table], aliases)

    def fingerprint(self, table: str) -> str | None:
        """The SHA-256 of a local table file (of a Parquet folder: of its files' names and digests), else None.

        A remote file or an engine's table is not read through to be fingerprinted: that would move every row.
        """
        if self.folder is None:
            return None
        path = find_table_file(self.folder, table)
        if path is None:
            return None
        if path.is_file():
            return file_sha256(path)
        digest = hashlib.sha256()
        for part in sorted(path.rglob("*.parquet")):
            digest.update(f"{part.relative_to(path).as_posix()}\0{file_sha256(part)}\n".encode())
        return digest.hexdigest()

    def _listing(self, con) -> dict[str, str]:
        """``{table: where}`` for a folder the engine reads or the engine's own tables."""
        if con is None:
            raise SourceError(f"listing the tables of {self.text} needs the engine")
        if self.url is not None:
            return _remote_tables(con, self.url)
        found = dict(self.mapping)
        if self.schema is not None:
            names = set(_engine_tables(con, self.schema))
            found = {t: f"{self.schema}.{t}" for t in TABLES if t in names} | found
        return found


def parse_source(source: str | os.PathLike | DataSource) -> DataSource:
    """Read a data source as written (see the module's description).

    Parameters
    ----------
    source : str, path or DataSource
        A folder, a URL (``s3://bucket/prefix``) or ``db:…``.

    Returns
    -------
    DataSource

    Raises
    ------
    SourceError
        For a ``db:`` source without a schema or table, an unknown table, or a malformed table name.
    """
    if isinstance(source, DataSource):
        return source
    text = str(source)
    if text.startswith(DB_PREFIX):
        return _parse_db(text)
    if "://" in text:
        return DataSource(text, url=text.rstrip("/"))
    return DataSource(text, folder=Path(text))


def _parse_db(text: str) -> DataSource:
    schema, mapping = None, {}
    for item in (i.strip() for i in text[len(DB_PREFIX):].split(",")):
        if not item:
            continue
        table, equals, name = (part.strip() for part in item.partition("="))
        if equals and table not in TABLES:
            raise SourceError(f"{text}: no table {table!r} in the contract; the tables are {', '.join(TABLES)}")
        where = name if equals else table
        if not _NAME.fullmatch(where) or (equals and "." not in where):
            raise SourceError(f"{text}: {where!r} is not a table name qualified by its schema (analytics.events)")
        if equals:
            mapping[table] = where
        elif schema is None:
            schema = where
        else:
            raise SourceError(f"{text}: two schemas ({schema}, {where}); name one, and map tables with TABLE=NAME")
    if schema is None and not mapping:
        raise SourceError(f"{text}: name a schema (db:analytics) or tables (db:events=analytics.user_events)")
    return DataSource(text, schema=schema, mapping=mapping)


def with_tables(source: DataSource | None, tables: dict) -> DataSource:
    """A source with the params YAML's ``tables:`` mapping added (its tables read from the engine).

    Parameters
    ----------
    source : DataSource or None
        The ``--data`` source: None or ``db:…`` (a local or remote folder cannot be mixed with engine tables).
    tables : dict
        ``{contract table: qualified table name}``.

    Returns
    -------
    DataSource

    Raises
    ------
    SourceError
        For a folder source or a malformed mapping.
    """
    if not isinstance(tables, dict) or not tables:
        raise SourceError("tables: must map contract tables to the engine's tables (events: analytics.user_events)")
    if source is not None and not source.in_engine:
        raise SourceError(f"tables: names tables in the engine, which cannot be mixed with the folder {source.text}; "
                          "give --data db:SCHEMA or no --data")
    items = [source.schema] if source is not None and source.schema else []
    merged = {**(source.mapping if source is not None else {}), **{str(k): str(v) for k, v in tables.items()}}
    items += [f"{table}={name}" for table, name in merged.items()]
    return _parse_db(DB_PREFIX + ",".join(items))


def has_file(data_dir: Path, table: str) -> bool:
    """Whether a local folder holds a file (or Parquet folder) of `table`; an unreadable one counts."""
    try:
        return find_table_file(data_dir, table) is not None
    except ReadError:  # there is a file, reported as unreadable where it is read
        return True


def file_sha256(path: str | os.PathLike) -> str:
    """Return the SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _engine_tables(con, schema: str) -> list[str]:
    """The tables of one schema (``catalog.schema`` too) of the engine."""
    parts = schema.split(".")
    try:
        return list(con.list_tables(database=parts[0] if len(parts) == 1 else tuple(parts)))
    except Exception as exc:
        raise ReadError(schema, f"cannot list the schema's tables: {str(exc).splitlines()[0] if str(exc) else exc}") from exc


def _remote_tables(con, url: str) -> dict[str, str]:
    """``{table: URL}`` of the ``<table>.parquet`` files and ``<table>/`` folders directly under `url`."""
    entries = _remote_entries(con, url)
    found: dict[str, str] = {}
    for name, is_folder in entries:
        stem = name[: -len(".parquet")] if name.lower().endswith(".parquet") else name
        table = stem.lower()
        if table in TABLES and (is_folder or name.lower().endswith(".parquet")):
            if table in found:
                raise ReadError(f"{url}/{name}", f"table {table!r} is given twice under {url}; keep one")
            found[table] = f"{url}/{name}"
    return found


def _remote_entries(con, url: str) -> list[tuple[str, bool]]:
    """The names directly under a remote folder, each with whether it holds more (a folder)."""
    try:
        if con.name == "duckdb":
            load_httpfs(con)
            paths = [row[0] for row in con.raw_sql(f"SELECT file FROM glob('{url}/**')").fetchall()]
            tails = [p[len(url) + 1:] for p in paths if p.startswith(url + "/")]
            return sorted({(t.split("/", 1)[0], "/" in t) for t in tails})
        if con.name == "pyspark":
            return _hadoop_entries(con, url)
    except Exception as exc:
        raise ReadError(url, f"cannot list the folder: {str(exc).splitlines()[0] if str(exc) else exc}") from exc
    raise ReadError(url, f"the {con.name} engine does not read folders by URL; use duckdb or spark")


def _hadoop_entries(con, url: str) -> list[tuple[str, bool]]:
    """A folder's entries through Spark's Hadoop file systems (HDFS, s3a, local)."""
    session = con._session
    jvm = session._jvm
    path = jvm.org.apache.hadoop.fs.Path(url)
    fs = path.getFileSystem(session._jsc.hadoopConfiguration())
    return sorted((status.getPath().getName(), status.isDirectory()) for status in fs.listStatus(path))


__all__ = ["DB_PREFIX", "DataSource", "SourceError", "file_sha256", "has_file", "parse_source", "with_tables"]
