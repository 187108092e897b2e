"""Reading one table file into the engine: headers mapped to canonical names, ids as text, row numbers kept.

A table file is ``<table>.csv``, ``<table>.xlsx`` or ``<table>.parquet`` in the data folder. Files are only ever
read: a CSV that is not UTF-8 is transcoded to a temporary UTF-8 copy, which is deleted once the engine holds the
rows (on Spark, which parses a CSV with its own reader whenever a query needs the rows, once the backend is gone).
Every raw table carries ``_row``, the row number a spreadsheet shows (header = row 1, first data row = 2), so
that a failure can point at the line to fix. How a file is read (encoding, separator, sheet, header row, date
format) may be set per table in the data folder's ``aliases.yaml`` (see `ReadSettings`); what is not set is
detected, or the file is refused with the setting to add (`socialops.inputs.csvfiles`, `socialops.inputs.workbooks`).

Values are first read as they are (CSV and xlsx cells as text, Parquet in its own types); `parse_column` then turns
them into the canonical types with checked casts written as Ibis expressions, so the same code runs on every engine.
"""

from __future__ import annotations

import codecs
import functools
import logging
import operator
import os
import re
import shutil
import tempfile
import uuid
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import yaml

from socialops.inputs.csvfiles import (
    MAX_LINE_BYTES,
    SEPARATOR_NAMES,
    Dialect,
    csv_header,
    detect_encoding,
    mixed_line_ends,
    sniff_dialect,
    utf8_copy,
)
from socialops.inputs.dates import formatted_time
from socialops.inputs.layout import ReadError, how_to_set
from socialops.inputs.tables import KNOWN_PLATFORMS, TABLES, Column, table_spec

log = logging.getLogger("socialops")

FILE_SUFFIXES = (".csv", ".xlsx", ".parquet")
USER_ALIASES = "aliases.yaml"
ROW = "_row"
#: DuckDB's default line buffer: files with longer lines are read with a buffer that fits them.
_DUCKDB_LINE_BYTES = 2 << 20

_TRUE = ("true", "t", "yes", "y", "1", "是", "真", "对")
_FALSE = ("false", "f", "no", "n", "0", "否", "假", "错")


# --------------------------------------------------------------------------------------------------- aliases
def normalize_header(header: object) -> str:
    """Return the matching key of a header or cell value: BOM and surrounding spaces removed, case folded.

    Parameters
    ----------
    header : object
        A header as read (``None`` gives ``""``).
    """
    text = "" if header is None else str(header)
    return text.replace("\ufeff", "").strip().strip("\u3000").strip().casefold()


#: Words accepted for a separator besides the character itself.
_SEPARATOR_WORDS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " "}


@dataclass(frozen=True)
class ReadSettings:
    """How to read one table's file: the table's entry in the ``read:`` section of the data folder's ``aliases.yaml``.

    ``read: {events: {encoding: cp1252, separator: ";"}}`` sets two of them for ``events``; an entry under ``"*"``
    applies to every table (a table's own entry wins). Unset settings are None: the reader detects them.

    Attributes
    ----------
    encoding : str or None
        The CSV's text encoding, a Python codec name (``cp1252``, ``latin-1``, ``utf-16``, ``gb18030`` …).
    separator : str or None
        The CSV's field separator, one character (``tab``, ``comma``, ``semicolon``, ``pipe`` are accepted words).
    sheet : str or None
        The workbook sheet holding the table: its name, or its position counted from 1 when no sheet has that name.
    header_row : int or None
        The spreadsheet row or CSV line holding the headers, counted from 1; the rows above it are skipped.
    date_format : str or None
        How the table's dates and times are written (see `parse_table` for the forms it accepts).
    """

    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    date_format: str | None = None


#: The settings a ``read:`` entry may hold.
READ_SETTINGS = tuple(ReadSettings.__dataclass_fields__)


def _read_setting(source: str, where: str, key: object, value: object) -> object:
    """One setting of a ``read:`` entry, checked; a ValueError names the file, the entry and the key."""
    if key not in READ_SETTINGS:
        raise ValueError(f"{source}: {where}: unknown setting {key!r}; the settings are {', '.join(READ_SETTINGS)}")
    if key == "header_row":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{source}: {where}.header_row must be a line number from 1, not {value!r}")
        return value
    text = "" if value is None else str(value)
    if not text:
        raise ValueError(f"{source}: {where}.{key} is empty")
    if key == "separator":
        return _separator_setting(source, where, text)
    if key == "encoding":
        return _encoding_setting(source, where, text)
    return text if key == "date_format" else text.strip()


def _separator_setting(source: str, where: str, text: str) -> str:
    separator = _SEPARATOR_WORDS.get(text.strip().lower(), text)
    if len(separator) != 1 or separator in "\"\r\n":
        raise ValueError(f"{source}: {where}.separator must be one character (or tab, comma, semicolon, pipe), "
                         f"not {text!r}")
    return separator


def _encoding_setting(source: str, where: str, text: str) -> str:
    try:
        return codecs.lookup(text.strip()).name
    except LookupError:
        raise ValueError(f"{source}: {where}.encoding: {text!r} is not a known encoding "
                         f"(e.g. utf-8, gb18030, cp1252, latin-1, utf-16)") from None


@dataclass
class Aliases:
    """Header and value aliases and reading settings, merged from the library's files and the user's ``aliases.yaml``.

    Attributes
    ----------
    columns : dict
        ``{table or "*": {normalized header: canonical column}}``.
    values : dict
        ``{canonical column: {normalized value: canonical value}}``.
    read : dict
        ``{table or "*": {setting: value}}``, checked (see `ReadSettings`).
    """

    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    read: dict[str, dict[str, object]] = field(default_factory=dict)

    def read_settings(self, table: str) -> ReadSettings:
        """The reading settings of `table`: its own entry over the ``"*"`` entry.

        Parameters
        ----------
        table : str
            Contract table name.

        Returns
        -------
        ReadSettings
        """
        return ReadSettings(**{**self.read.get("*", {}), **self.read.get(table, {})})

    def canonical(self, table: str, header: object) -> str | None:
        """Return the canonical column a header of `table` stands for, or None when it is none of the table's.

        The canonical name itself matches (case-insensitively); a table's own aliases win over ``"*"`` ones; an
        alias whose target is not a column of `table` does not match.
        """
        names = table_spec(table).names
        key = normalize_header(header)
        if key in names:
            return key
        for scope in (table, "*"):
            target = self.columns.get(scope, {}).get(key)
            if target in names:
                return target
        return None

    def merge(self, data: dict, source: str) -> None:
        """Add the aliases of one YAML document (later sources win).

        A document has ``columns: {table or "*": {header: column}}``, ``values: {column: {value: value}}`` and
        ``read: {table or "*": {setting: value}}``; a flat ``{header: column}`` mapping is read as
        ``columns: {"*": ...}``.

        Raises
        ------
        ValueError
            Naming `source` and the entry, for a malformed section, an unknown table or an unknown or bad setting.
        """
        if not data:
            return
        if not isinstance(data, dict):
            raise ValueError(f"{source}: expected a mapping of aliases")
        if not {"columns", "values", "read"} & set(data):
            data = {"columns": {"*": data}}
        self._merge_read(data.get("read") or {}, source)
        for target, section in (("columns", self.columns), ("values", self.values)):
            for scope, mapping in (data.get(target) or {}).items():
                if not isinstance(mapping, dict):
                    raise ValueError(f"{source}: {target}.{scope} must map names to names")
                bucket = section.setdefault(str(scope), {})
                for alias, name in mapping.items():
                    bucket[normalize_header(alias)] = str(name).strip()

    def _merge_read(self, section: object, source: str) -> None:
        """Add a ``read:`` section, every table and setting checked."""
        if not isinstance(section, dict):
            raise ValueError(f"{source}: read must map table names to their settings")
        for scope, settings in section.items():
            where = f"read.{scope}"
            if scope != "*" and scope not in TABLES:
                raise ValueError(f"{source}: {where}: no table {scope!r}; the tables are {', '.join(TABLES)}")
            if not isinstance(settings, dict):
                raise ValueError(f"{source}: {where} must map settings to values, e.g. separator: \";\"")
            bucket = self.read.setdefault(str(scope), {})
            for key, value in settings.items():
                bucket[key] = _read_setting(source, where, key, value)


def load_aliases(data_dir: str | os.PathLike | None = None) -> Aliases:
    """Load the alias map: the library's ``aliases/*.yaml``, then ``aliases.yaml`` in `data_dir` if present.

    Parameters
    ----------
    data_dir : path, optional
        The data folder; its ``aliases.yaml`` extends and overrides the library's map.

    Returns
    -------
    Aliases
    """
    aliases = Aliases()
    for name, doc in _library_aliases():
        aliases.merge(doc, name)  # merge only reads the parsed document
    if data_dir is not None:
        user = Path(data_dir) / USER_ALIASES
        if user.is_file():
            check_inside(data_dir, user)
            aliases.merge(_load_yaml(user.read_text(encoding="utf-8")), str(user))
    return aliases


def _load_yaml(text: str):
    # libyaml's loader, where present, parses the alias files several times faster than the pure-Python one
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@functools.cache
def _library_aliases() -> tuple[tuple[str, dict], ...]:
    """The library's alias files, parsed once per process."""
    folder = resources.files("socialops.inputs") / "aliases"
    entries = sorted((e for e in folder.iterdir() if e.name.endswith(".yaml")), key=lambda e: e.name)
    return tuple((e.name, _load_yaml(e.read_text(encoding="utf-8"))) for e in entries)


# ------------------------------------------------------------------------------------------------------ files
#: Set to 1 to read table files whose real place is outside the data folder (``--allow-outside-links``).
ALLOW_OUTSIDE_ENV = "SOCIALOPS_ALLOW_OUTSIDE_LINKS"


def find_table_file(data_dir: str | os.PathLike, table: str, *, allow_outside: bool | None = None) -> Path | None:
    """Return the file holding `table` in `data_dir`, or None when there is none.

    The data folder is a boundary: a file whose real path lies outside it (a link out, or a link into a linked
    folder) is refused before a byte of it is read, unless `allow_outside` (default: ``$SOCIALOPS_ALLOW_OUTSIDE_LINKS``
    is 1) lets it through.

    Raises
    ------
    ReadError
        When the table is there in more than one format (which one to read would be a guess), or its file lies
        outside the data folder.
    """
    # names are matched without regard to case: Windows exports often arrive as Events.CSV
    wanted = {f"{table}{suffix}" for suffix in FILE_SUFFIXES}
    folders = {table, f"{table}.parquet"}
    found = sorted(p for p in Path(data_dir).iterdir()
                   if (p.name.lower() in wanted and p.is_file()) or (p.name.lower() in folders and is_dataset(p)))
    if len(found) > 1:
        raise ReadError(found[0], f"table {table!r} is given twice ({', '.join(p.name for p in found)}); keep one")
    if found:
        check_inside(data_dir, found[0], allow_outside=allow_outside)
    return found[0] if found else None


def is_dataset(path: Path) -> bool:
    """Whether `path` is a folder of Parquet files (a table written in parts, e.g. one per month)."""
    return path.is_dir() and next(path.rglob("*.parquet"), None) is not None


def check_inside(data_dir: str | os.PathLike, path: Path, *, allow_outside: bool | None = None) -> None:
    """Refuse `path` when its real place, links followed, is outside `data_dir` (unless `allow_outside`).

    Raises
    ------
    ReadError
        Naming the file and where it leads; nothing of the file is read.
    """
    if allow_outside is None:
        allow_outside = os.environ.get(ALLOW_OUTSIDE_ENV) == "1"
    real = path.resolve()
    if allow_outside or real.is_relative_to(Path(data_dir).resolve()):
        return
    raise ReadError(path.name, f"a link to {real}, outside the data folder: refused (to read it anyway, pass "
                               f"--allow-outside-links or set {ALLOW_OUTSIDE_ENV}=1)")


def _read_xlsx(path: Path, table: str, aliases: Aliases) -> tuple[list[str], pa.Table]:
    """Read the table's sheet of a workbook as text cells (workbooks are small; openpyxl streams them)."""
    from socialops.inputs.workbooks import read_sheet

    settings = aliases.read_settings(table)
    header, columns, numbers = read_sheet(path, table, settings.sheet, settings.header_row, _known(table, aliases))
    arrays = {f"c{i}": pa.array(values, pa.string()) for i, values in enumerate(columns)}
    return header, pa.table({ROW: pa.array(numbers, pa.int64()), **arrays})


def _known(table: str, aliases: Aliases):
    """Whether a header names a column of `table`: what tells a header row from a title or a data row."""
    return lambda header: aliases.canonical(table, header) is not None


# ---------------------------------------------------------------------------------------------- raw tables
@dataclass
class RawTable:
    """One table file as read into the engine, before type conversion.

    Attributes
    ----------
    table : str
        Contract table name.
    file : Path
        The file read.
    encoding : str or None
        The CSV encoding used (None for xlsx and Parquet).
    expr : ibis.Table
        ``_row`` plus one column per recognised header, named canonically, values as read.
    headers : dict
        ``{canonical column: header as written in the file}``.
    extra : list of str
        Headers that match no column of the table (ignored).
    duplicates : dict
        ``{canonical column: [headers]}`` where several headers name one column (the first is used).
    engine : str
        Name of the backend holding `expr` ("duckdb", "pyspark" …).
    separator : str or None
        The CSV field separator used (None for xlsx and Parquet).
    numbered : bool
        Whether ``_row`` numbers the rows as the file does; a folder of Parquet files or a table in the engine has
        no row order, so its ``_row`` is null and a failing row is named by its key (see `row_key`).
    """

    table: str
    file: Path
    encoding: str | None
    expr: ir.Table
    headers: dict[str, str]
    extra: list[str]
    duplicates: dict[str, list[str]]
    engine: str = ""
    separator: str | None = None
    numbered: bool = True

    @property
    def columns(self) -> list[str]:
        """Canonical columns present in the file."""
        return list(self.headers)


def _map_headers(table: str, headers: Iterable[str], aliases: Aliases):
    """Map file headers to canonical names; returns ({position: canonical}, headers, extra, duplicates)."""
    positions: dict[int, str] = {}
    seen: dict[str, str] = {}
    extra: list[str] = []
    duplicates: dict[str, list[str]] = {}
    for i, header in enumerate(headers):
        name = aliases.canonical(table, header)
        if name is None:
            if normalize_header(header):
                extra.append(str(header))
        elif name in seen:
            duplicates.setdefault(name, [seen[name]]).append(str(header))
        else:
            seen[name] = str(header)
            positions[i] = name
    return positions, seen, extra, duplicates


def sql_string(text: str) -> str:
    """`text` as a SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def _backend_name(con) -> str:
    return getattr(con, "name", "")


def read_table(con, table: str, path: str | os.PathLike, aliases: Aliases | None = None) -> RawTable:
    """Read one table file into the backend `con` as a raw table.

    Parameters
    ----------
    con : ibis backend
        The engine (see `socialops.inputs.engine.connect`).
    table : str
        Contract table name.
    path : path
        The ``.csv``, ``.xlsx`` or ``.parquet`` file.
    aliases : Aliases, optional
        Header and value aliases and the table's reading settings (default: the library's aliases, no settings).

    Returns
    -------
    RawTable

    Raises
    ------
    ReadError
        When the file cannot be read (empty, corrupt, doubtful encoding, malformed CSV, a layout to set), naming
        the file and what to set or do.
    """
    path = Path(path)
    aliases = aliases or load_aliases()
    if path.is_dir():
        return read_dataset(con, table, path, aliases)
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        raise ReadError(path, f"unsupported file type {suffix!r}; use one of {', '.join(FILE_SUFFIXES)}")
    source, headers, encoding, separator = _READERS[suffix](con, table, path, aliases)
    positions, seen, extra, dups = _map_headers(table, headers, aliases)
    # CSV and xlsx columns are named c0, c1 … by position; Parquet keeps the file's own names
    names = headers if suffix == ".parquet" else [f"c{i}" for i in range(len(headers))]
    expr = source.select(ROW, **{canon: source[names[i]] for i, canon in positions.items()})
    return RawTable(table, path, encoding, expr, seen, extra, dups, _backend_name(con), separator)


def read_dataset(con, table: str, where: str | os.PathLike, aliases: Aliases | None = None, *,
                 shown: str | None = None) -> RawTable:
    """Read a folder of Parquet files, or one Parquet file the engine reads itself (``s3://…``, ``hdfs://…``).

    The engine's own reader scans the files where they lie (DuckDB through its httpfs extension for object
    storage, Spark through Hadoop's file systems); Hive-style partition folders (``month=2024-01/``) add their
    column, which the contract ignores. The rows have no file order: ``_row`` is null.

    Parameters
    ----------
    con : ibis backend
        The engine.
    table : str
        Contract table name.
    where : path or str
        A local folder, or the URL of a folder or a ``.parquet`` file.
    aliases : Aliases, optional
        Header aliases (default: the library's).
    shown : str, optional
        The name messages and the results show (default: the folder's or file's name).

    Returns
    -------
    RawTable
    """
    text = str(where)
    remote = "://" in text
    shown = shown or text.rstrip("/").rsplit("/", 1)[-1]
    folder = not text.lower().endswith(".parquet") if remote else Path(text).is_dir()
    try:
        if _backend_name(con) == "duckdb":
            if remote:
                from socialops.inputs.engine import load_httpfs

                load_httpfs(con)
            pattern = engine_path(text) if not remote else text
            if folder:
                pattern = pattern.rstrip("/") + "/**/*.parquet"
            source = con.sql(f"SELECT * FROM read_parquet({sql_string(pattern)}, hive_partitioning = true, "
                             "union_by_name = true)")
        else:
            source = con.read_parquet(text)
    except Exception as exc:
        raise ReadError(shown, f"not a readable Parquet {'folder' if folder else 'file'}: {_first_line(exc)}") from exc
    return raw_table(con, table, Path(shown), source, list(source.columns), aliases or load_aliases())


def read_relation(con, table: str, name: str, aliases: Aliases | None = None) -> RawTable:
    """Read a table of the engine's database or catalog in place: its columns renamed in the query, nothing copied.

    Parameters
    ----------
    con : ibis backend
        The engine holding the table.
    table : str
        Contract table name.
    name : str
        The table's name, qualified by its schema (``analytics.user_events``) or catalog and schema
        (``lake.analytics.user_events``).
    aliases : Aliases, optional
        Header aliases (default: the library's).

    Returns
    -------
    RawTable
        With a null ``_row``: a database table has no row order.
    """
    *database, leaf = name.split(".")
    where = None if not database else database[0] if len(database) == 1 else tuple(database)
    try:
        source = con.table(leaf, database=where)
    except Exception as exc:
        raise ReadError(name, f"no such table in the engine ({_first_line(exc)})") from exc
    return raw_table(con, table, Path(name), source, list(source.columns), aliases or load_aliases())


def raw_table(con, table: str, file: Path, source: ir.Table, headers: list[str], aliases: Aliases) -> RawTable:
    """A raw table over an engine table whose columns are named by `headers`; rows unnumbered (``_row`` null).

    Parameters
    ----------
    con : ibis backend
        The engine.
    table : str
        Contract table name.
    file : Path
        The name messages show.
    source : ibis.Table
        The engine's table.
    headers : list of str
        Its column names.
    aliases : Aliases
        Header aliases.

    Returns
    -------
    RawTable
    """
    positions, seen, extra, dups = _map_headers(table, headers, aliases)
    expr = source.select(ibis.null("int64").name(ROW), **{canon: source[headers[i]] for i, canon in positions.items()})
    return RawTable(table, file, None, expr, seen, extra, dups, _backend_name(con), None, numbered=False)


def _source_xlsx(con, table: str, path: Path, aliases: Aliases) -> tuple[ir.Table, list[str], None, None]:
    """The table's sheet of a workbook as text columns ``c0..cN`` with ``_row``; its headers."""
    headers, arrow = _read_xlsx(path, table, aliases)
    return _load_arrow(con, f"_raw_{table}", arrow), headers, None, None


def _source_csv(con, table: str, path: Path, aliases: Aliases) -> tuple[ir.Table, list[str], str, str]:
    """A CSV file as text columns ``c0..cN`` with ``_row``; its headers, encoding and separator."""
    settings = aliases.read_settings(table)
    encoding = detect_encoding(path, settings.encoding, table)
    log.info("reading %s as %s", path.name, encoding)
    name = f"_raw_{table}"
    spark = _backend_name(con) == "pyspark"
    with tempfile.TemporaryDirectory(prefix="socialops-") as tmp:
        # Spark parses the file whenever a query needs its rows, long after this call: its copies live with `con`
        folder = _kept_folder(con) if spark else tmp
        utf8, longest = utf8_copy(path, encoding, folder)
        if spark:
            utf8 = _lf_rows(utf8, folder)
        dialect = sniff_dialect(utf8, path, table, settings.separator, settings.header_row, _known(table, aliases))
        headers = csv_header(utf8, dialect)
        if not any(normalize_header(h) for h in headers):
            where = f" on line {dialect.header_row}, the header_row set" if settings.header_row else ""
            raise ReadError(path, f"no header line{where}")
        first = dialect.header_row + 1  # the row number of the first data line
        try:
            if _backend_name(con) == "duckdb":
                _duckdb_csv(con, name, utf8, len(headers), dialect, longest)
                source = con.sql(f'SELECT rowid + {first} AS "{ROW}", * FROM "{name}"')
            elif spark:
                source = _spark_csv(con, table, utf8, len(headers), dialect)
            else:
                source = _load_arrow(con, name, _arrow_csv(utf8, len(headers), dialect, longest))
        except Exception as exc:  # the engine's parser names the line; pass its words on
            raise ReadError(path, f"malformed CSV: {_first_line(exc, 3)} ({_dialect_said(table, dialect)})") from exc
    return source, headers, encoding, dialect.separator


def _kept_folder(con) -> str:
    """A temporary folder that is removed when the backend `con` is (or when the process ends)."""
    folder = tempfile.mkdtemp(prefix="socialops-spark-")
    weakref.finalize(con, shutil.rmtree, folder, ignore_errors=True)
    return folder


#: The flag column Spark's reader fills with the text of a record that does not have the header's fields.
_MALFORMED = "_socialops_malformed"


def _spark_csv(con, table: str, path: Path, width: int, dialect: Dialect) -> ir.Table:
    """A UTF-8 CSV read by Spark's own reader as text columns ``c0..cN`` with ``_row``, behind a temporary view.

    The executors parse the file, with the dialect found in the driver and every field as text, as DuckDB's
    reader does (an empty field is null). Spark reads a file in one task when a quoted cell may span lines
    (``multiLine``), so its records come in file order and a record's id is its place in the file. One job checks
    that every data record has the header's fields (Spark would pad or cut it); only the first offender's row
    number comes back to the driver.

    Raises
    ------
    ValueError
        Naming the first data row whose number of fields is not the header's.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    names = [f"c{i}" for i in range(width)]
    schema = T.StructType([T.StructField(n, T.StringType()) for n in [*names, _MALFORMED]])
    frame = (
        con._session.read.schema(schema)
        .options(sep=dialect.separator, header=False, quote='"', escape='"', multiLine=True, mode="PERMISSIVE",
                 columnNameOfCorruptRecord=_MALFORMED)
        .csv(_spark_path(path))
    )
    # Spark skips empty lines, which the header's line number counts
    header = _records_before(path, dialect.header_row)
    record = F.monotonically_increasing_id()
    frame = frame.select("*", (record - header + dialect.header_row).alias(ROW))
    frame = frame.filter(F.col(ROW) > dialect.header_row)
    bad = frame.filter(F.col(_MALFORMED).isNotNull()).select(ROW, names[0]).limit(1).collect()
    if bad:
        raise ValueError(f"row {bad[0][ROW]} does not have the header's {width} fields")
    frame = frame.select(ROW, *names)
    view = f"socialops_raw_{table}_{uuid.uuid4().hex[:8]}"
    frame.createOrReplaceTempView(view)
    return con.table(view)


_CHUNK = 1 << 20


def _lf_rows(path: Path, folder: str) -> Path:
    r"""A file whose rows end in ``\r\n`` as a copy whose rows end in ``\n``, line breaks inside quotes kept.

    Spark's reader turns the row end inside a quoted cell into ``\n``; DuckDB's keeps the cell's ``\r\n``. In a
    file with rows ending in ``\n`` both read the cell as written. A quote toggles inside and outside; a doubled
    quote within a cell toggles twice. Other files are returned as they are.
    """
    with path.open("rb") as fh:
        if b"\r\n" not in fh.read(_CHUNK):
            return path
    out = Path(folder) / f"{path.stem}.lf.csv"
    inside, tail = False, b""
    with path.open("rb") as src, out.open("wb") as dst:
        while chunk := src.read(_CHUNK):
            data = tail + chunk
            # hold back a final \r: its \n may start the next chunk
            data, tail = (data[:-1], b"\r") if data.endswith(b"\r") else (data, b"")
            parts = data.split(b'"')
            for i, part in enumerate(parts):
                inside = inside != (i > 0)
                if not inside:
                    parts[i] = part.replace(b"\r\n", b"\n")
            dst.write(b'"'.join(parts))
        dst.write(tail)
    return out


def _records_before(path: Path, line: int) -> int:
    """How many lines before line `line` (counted from 1) of a UTF-8 text file are not empty."""
    count = 0
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        for number, text in enumerate(fh, start=1):
            if number >= line:
                break
            count += text.rstrip("\r\n") != ""
    return count


def _spark_path(path: Path) -> str:
    """A local file's absolute path as Spark's readers take it: Hadoop's globbing characters escaped."""
    return re.sub(r"([\\\[\]{}*?])", r"\\\1", str(path.resolve()))


def _dialect_said(table: str, dialect: Dialect) -> str:
    """How a CSV was split, for a message about a line that did not fit, with the setting that changes it."""
    name = SEPARATOR_NAMES.get(dialect.separator, repr(dialect.separator))
    how = "found on its first lines" if dialect.sniffed else "as set"
    return f"read as {name}-separated, {how}, header on line {dialect.header_row}; if the separator is wrong, " \
           f"{how_to_set(table, 'separator', 'X')}, X the right one"


def engine_path(path: str | os.PathLike) -> str:
    """A file's path as DuckDB's file readers take it: their globbing characters escaped.

    ``read_csv`` and ``read_parquet`` take a path as a pattern, so a folder named ``exports[2024]`` or ``*new*``
    would read other files or none; each of ``[``, ``*`` and ``?`` becomes a one-character class.
    """
    return re.sub(r"([\[*?])", r"[\1]", str(path))


def _source_parquet(con, table: str, path: Path, aliases: Aliases) -> tuple[ir.Table, list[str], None, None]:
    """A Parquet file queried where it lies, with ``_row``; its column names as headers."""
    try:
        if _backend_name(con) == "duckdb":
            source = con.sql(
                f'SELECT file_row_number + 2 AS "{ROW}", * EXCLUDE (file_row_number) '
                f"FROM read_parquet({sql_string(engine_path(path))}, file_row_number = true)"
            )
        elif _backend_name(con) == "pyspark":
            source = _spark_parquet(con, table, path)
        else:
            source = con.read_parquet(path).mutate(**{ROW: ibis.row_number() + 2})
        headers = [c for c in source.columns if c != ROW]
    except Exception as exc:
        raise ReadError(path, f"not a readable Parquet file: {_first_line(exc)}") from exc
    return source, headers, None, None


def _spark_parquet(con, table: str, path: Path) -> ir.Table:
    """A Parquet file on Spark with each row's number in the file, read by the executors.

    Spark's hidden ``_metadata.row_index`` is the row's place in its file: no global numbering, which would pull
    the whole table through one partition.
    """
    frame = con._session.read.parquet(str(path))
    frame = frame.select("*", (frame["_metadata.row_index"] + 2).alias(ROW))
    view = f"socialops_raw_{table}_{uuid.uuid4().hex[:8]}"
    frame.createOrReplaceTempView(view)
    return con.table(view)


_READERS = {".xlsx": _source_xlsx, ".csv": _source_csv, ".parquet": _source_parquet}


def _load_arrow(con, name: str, arrow: pa.Table) -> ir.Table:
    """An Arrow table read in Python, as a table of the engine.

    DuckDB keeps a copy under `name`; Spark a temporary view of it (its `create_table` would write a managed table
    under ./spark-warehouse), so that the table is computed by Spark and not by Ibis's default DuckDB, which a bare
    in-memory table falls to when no other table of the engine is in its query. Other engines get an in-memory
    table, which they hold only while a query runs: nothing is created in the user's database.
    """
    backend = _backend_name(con)
    if backend == "duckdb":
        con.create_table(name, arrow, overwrite=True)
        return con.table(name)
    if backend == "pyspark":
        return con.create_view(name, ibis.memtable(arrow), overwrite=True)
    return ibis.memtable(arrow)


def _first_line(exc: Exception, lines: int = 1, width: int = 300) -> str:
    """The first `lines` lines of an error's text, each cut to `width` characters.

    An engine may quote a whole line of the file in its message, megabytes long.
    """
    text = str(exc).strip()
    cut = [line if len(line) <= width else line[:width] + " …" for line in text.splitlines()[:lines]]
    return "; ".join(cut) if text else type(exc).__name__


def _duckdb_csv(con, name: str, path: Path, width: int, dialect: Dialect | None = None, longest: int = 0) -> None:
    """Load a UTF-8 CSV into a DuckDB table of text columns ``c0..cN`` in file order (so rowid = line order).

    The dialect is given rather than left to DuckDB's sniffer, which may take a text starting with ``#`` for a
    comment line; lines longer than DuckDB's default buffer get a buffer that fits them (up to `MAX_LINE_BYTES`).
    """
    dialect = dialect or Dialect(",", 1, sniffed=False)
    columns = ", ".join(f"{sql_string(f'c{i}')}: 'VARCHAR'" for i in range(width))
    size = ""
    if longest >= _DUCKDB_LINE_BYTES:
        line = min(longest + (1 << 20), MAX_LINE_BYTES + (1 << 20))
        size = f", max_line_size = {line}, buffer_size = {2 * line}"
    con.raw_sql(
        f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM read_csv({sql_string(engine_path(path))}, '
        f"auto_detect = false, header = true, skip = {dialect.header_row - 1}, "
        f"delim = {sql_string(dialect.separator)}, quote = '\"', escape = '\"', "
        f"columns = {{{columns}}}, strict_mode = true, null_padding = false{size})"
    )


def _arrow_csv(path: Path, width: int, dialect: Dialect | None = None, longest: int = 0) -> pa.Table:
    """Read a UTF-8 CSV as text columns with exact row numbers, for engines without a native CSV reader.

    Arrow parses in blocks that must hold a whole row: the block is made larger than the longest line.
    """
    from pyarrow import csv as pacsv

    dialect = dialect or Dialect(",", 1, sniffed=False)
    names = [f"c{i}" for i in range(width)]
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=dialect.header_row,
                                       block_size=max(1 << 22, 2 * longest)),
        parse_options=pacsv.ParseOptions(delimiter=dialect.separator, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
    )
    first = dialect.header_row + 1
    return table.add_column(0, ROW, pa.array(range(first, table.num_rows + first), pa.int64()))


# ------------------------------------------------------------------------------------------------ parsing
NUMERIC_KINDS = ("count", "flag01", "float", "share", "sentiment", "amount")
#: The largest number (in size) a numeric column may hold: a trillion. Sums of millions of such values stay
#: exact enough in floating point and far from overflowing a 64-bit integer.
MAX_NUMBER = 1e12


def ok_column(name: str) -> str:
    """Name of the flag that `parse_table` sets False where a non-blank value of `name` does not parse."""
    return f"_ok_{name}"


def raw_column(name: str) -> str:
    """Name of the column that `parse_table` keeps the value of `name` in as written, for messages."""
    return f"_raw_{name}"


def parse_table(raw: RawTable, aliases: Aliases | None = None, *, checks: bool = True, row: bool = False) -> ir.Table:
    """Convert a raw table's columns to their canonical types with checked casts.

    The conversion is staged (clean the text, prepare it, cast) so that the SQL an engine receives stays small:
    an expression referenced several times is computed once in an inner query instead of being repeated.

    Text timestamps may use ``/`` or ``年月日``; a zone suffix (``+08:00``, ``Z``) is dropped and the wall-clock
    time as written is kept, since hour-of-day analyses want the time the audience saw. A table whose
    ``date_format`` reading setting is set reads its dates and times with it instead: a strftime pattern
    (``%m/%d/%Y %H:%M``, ``%d/%m/%y``, ``%Y%m%d``; ``-``, ``.`` and ``/`` between numbers are interchangeable,
    a ``%z`` zone is dropped) or ``excel`` for spreadsheet serial day numbers (see `socialops.inputs.dates`).

    Numbers must be finite and at most `MAX_NUMBER` in size (larger ones overflow sums): others are null, so
    their rows fail validation. A column with value aliases (``values:`` in the alias map) reads its aliased values
    first: sentiment labels (``positive``, ``负面`` …) become numbers that way, and an experiment's ``variant``
    codes become names.

    Parameters
    ----------
    raw : RawTable
        The table as read (text for CSV and xlsx, any type for Parquet).
    aliases : Aliases, optional
        Value aliases for enums and platforms (default: none).
    checks : bool
        Whether to add the columns validation needs (``_row``, ``ok_column(c)``, ``raw_column(c)``); without
        them the expression is smaller and compiles faster.
    row : bool
        Whether to keep ``_row`` without `checks` (to tell which of two rows comes later in the file).

    Returns
    -------
    ibis.Table
        Each column of the file under its canonical name and type (null where blank or unparsable); with `checks`,
        also ``_row``, ``ok_column(c)`` (False exactly where a non-blank value did not parse) and
        ``raw_column(c)`` (the value as text).
    """
    aliases = aliases or Aliases()
    spec = table_spec(raw.table)
    columns = [spec.column(c) for c in raw.columns]
    date_format = aliases.read_settings(raw.table).date_format
    t = raw.expr
    # stage 1: trimmed text, blanks as null; the value as written is kept for messages
    stage1 = {}
    for col in columns:
        value = t[col.name]
        if checks:
            stage1[raw_column(col.name)] = value if value.type().is_string() else value.cast("string")
        stage1[col.name] = _clean_text(value, raw.engine) if value.type().is_string() else value
    keep = [ROW] if checks or row else []
    t = t.select(*keep, **stage1)
    # stage 2: text normalised for the cast (numbers without separators, dates with dashes, lower-case words)
    stage2 = {}
    for col in columns:
        norm = _prepared(t[col.name], col, raw.engine)
        if norm is not None:
            stage2[f"_n_{col.name}"] = norm
    t = t.mutate(**stage2)
    # stage 3: checked casts
    parsed = {}
    for col in columns:
        value = t[col.name]
        norm = t[f"_n_{col.name}"] if f"_n_{col.name}" in t.columns else None
        parsed[col.name] = _parse(value, norm, col, aliases, date_format=date_format).cast(col.dtype)
    if not checks:
        return t.select(*keep, **parsed)
    t = t.select(ROW, *[raw_column(c.name) for c in columns], **parsed, **{f"_in_{c.name}": t[c.name].notnull() for c in columns})
    return t.select(
        ROW,
        *[c.name for c in columns],
        *[raw_column(c.name) for c in columns],
        **{ok_column(c.name): ~t[f"_in_{c.name}"] | t[c.name].notnull() for c in columns},
    )


def canonical_value(value: ir.Value, column: Column, aliases: Aliases, engine: str,
                    date_format: str | None = None) -> ir.Value:
    """The canonical value of one raw column as a single expression: the steps of `parse_table` inline.

    Used to test whether a typed file already holds canonical values (`already_canonical`); `date_format` is the
    table's reading setting.
    """
    if value.type().is_string():
        value = _clean_text(value, engine)
    norm = _prepared(value, column, engine)
    return _parse(value, norm, column, aliases, date_format=date_format).cast(column.dtype)


def already_canonical(raw: RawTable, aliases: Aliases | None = None) -> bool:
    """Whether every column of a raw table already has its canonical type and values.

    Such a table needs no conversion, so the engine can query the file in place instead of storing a converted
    copy. A typed Parquet export usually qualifies; any value that parsing would change (surrounding spaces, an
    empty id, an upper-case or aliased platform, NaN) means it does not.

    Parameters
    ----------
    raw : RawTable
        The table as read.
    aliases : Aliases, optional
        Value aliases (a value that has an alias is not canonical).

    Returns
    -------
    bool
    """
    aliases = aliases or Aliases()
    spec = table_spec(raw.table)
    t = raw.expr
    columns = [spec.column(c) for c in raw.columns]
    # the type's kind and zone must match; a timestamp's precision may differ
    for c in columns:
        have, want = t[c.name].type(), ibis.dtype(c.dtype)
        if type(have) is not type(want) or getattr(have, "timezone", None) != getattr(want, "timezone", None):
            return False

    def changed(table: ir.Table, flags: dict[str, ir.BooleanValue]) -> int:
        """Rows of `table` where any of `flags` holds."""
        counts = {name: table.count(where=flag) for name, flag in flags.items()}
        return int(table.aggregate(**counts).execute().fillna(0).to_numpy().sum()) if counts else 0

    date_format = aliases.read_settings(raw.table).date_format

    def differs(table: ir.Table, c: Column) -> ir.BooleanValue:
        return ~canonical_value(table[c.name], c, aliases, raw.engine, date_format).identical_to(table[c.name])

    # Ids and free text are only trimmed, and a trimmed copy of every row costs several times more than comparing
    # its ends: the test below is true of every value trimming would change (and of a few it would not, such as
    # a value starting with a control character, which only sends the table down the converting path). Other
    # text (enums, platforms) is checked on its distinct values, which are few.
    plain = [c for c in columns if t[c.name].type().is_string() and c.kind in ("id", "text")
             and not aliases.values.get(c.name)]
    coded = [c for c in columns if t[c.name].type().is_string() and c not in plain]
    rows = {c.name: differs(t, c) for c in columns if not t[c.name].type().is_string()}
    rows |= {c.name: _untrimmed(t[c.name]) for c in plain}
    if changed(t, rows):
        return False
    return not any(changed(d := t.select(c.name).distinct(), {c.name: differs(d, c)}) for c in coded)


#: The characters `_strip` removes from both ends of a text.
_SPACE = " \t\n\r\v\f"


def _untrimmed(value: ir.StringValue) -> ir.BooleanValue:
    """True where a non-null text is blank or starts or ends with whitespace.

    Also true where it starts with a control character: ``value < "!"`` compares bytes, so it costs no more than
    reading the value.
    """
    ends = [value.endswith(ch) for ch in _SPACE]
    return value.notnull() & ((value < "!") | functools.reduce(operator.or_, ends))


def _clean_text(value: ir.StringValue, engine: str) -> ir.StringValue:
    """Text as parsing sees it: surrounding whitespace removed, blank as null."""
    return _strip(value, engine).nullif("")


def _prepared(value: ir.Value, column: Column, engine: str) -> ir.StringValue | None:
    """Cleaned text normalised for the cast of its kind (None for values that are not text)."""
    if not value.type().is_string():
        return None
    if column.kind in NUMERIC_KINDS:
        return value.re_replace(r"[,，¥￥\s]", "")
    if column.kind in ("date", "timestamp"):
        dashed = value.re_replace("[/年月]", "-").re_replace(r"日\s*", " " if column.kind == "timestamp" else "")
        return _strip(dashed, engine)
    if column.kind in ("enum", "platform", "bool"):
        return value.lower()
    return None


def _strip(value: ir.StringValue, engine: str) -> ir.StringValue:
    r"""Text without surrounding whitespace.

    Ibis compiles `strip` for Spark as ``TRIM(' \t\n\r\v\f' FROM …)``, and Spark reads ``\v`` and ``\f`` in
    that literal as the letters v and f ("view" became "iew"); a regular expression means the same everywhere.
    """
    return value.strip() if engine == "duckdb" else value.re_replace(r"^\s+|\s+$", "")


def _parse(value: ir.Value, norm: ir.StringValue | None, column: Column, aliases: Aliases, *,
           date_format: str | None = None) -> ir.Value:
    """The canonical value of one column; `norm` is its prepared text (None for typed Parquet columns).

    `date_format` is the table's reading setting for its dates and times (None: ISO forms).
    """
    if column.kind == "id":
        return value if value.type().is_string() else _id_text(value)
    if column.kind == "text":
        return _aliased(value if value.type().is_string() else _id_text(value), column, aliases)
    if column.kind in ("enum", "platform"):
        return _label_value(value, norm, column, aliases)
    if column.kind in ("date", "timestamp"):
        return _time_value(value, norm, column.kind, date_format)
    if column.kind in NUMERIC_KINDS:
        if norm is not None:
            return _number_value(_text_number(_aliased(norm, column, aliases), column.kind), column.kind)
        return _number_value(_typed_number(value), column.kind)
    if column.kind == "bool":
        return _bool_value(value, norm)
    raise ValueError(f"unknown column kind {column.kind!r}")  # pragma: no cover - guarded by the contract's kinds


def _label_value(value: ir.Value, norm: ir.StringValue | None, column: Column, aliases: Aliases) -> ir.StringValue:
    """An enum or platform value: its alias where it has one, lower case, an unknown platform as given."""
    key = norm if norm is not None else value.cast("string").lower()
    fallback = key
    if column.kind == "platform":  # a known id in any case becomes the id; an unknown one is shown as given
        fallback = ibis.ifelse(key.isin(KNOWN_PLATFORMS), key, value if norm is not None else value.cast("string"))
    return _substituted(key, _value_aliases(column, aliases), fallback)


def _substituted(key: ir.StringValue, mapping: dict[str, str], fallback: ir.StringValue) -> ir.StringValue:
    """`mapping`'s value of `key` where it has one, else `fallback`."""
    if not mapping:
        return fallback
    # DuckDB re-evaluates the key of `CASE key WHEN …` for every branch (30 string passes for platforms);
    # guarded by one IN test, only the rare rows that need an alias go through the CASE
    return ibis.ifelse(key.isin(list(mapping)), key.substitute(mapping), fallback)


def _value_aliases(column: Column, aliases: Aliases) -> dict[str, str]:
    """The value aliases of `column` that change a value."""
    return {k: v for k, v in aliases.values.get(column.name, {}).items() if k != v}


def _aliased(text: ir.StringValue, column: Column, aliases: Aliases) -> ir.StringValue:
    """A text, or what its alias stands for where the alias map gives one (matched without regard to case).

    Text columns take their codes' names this way (an experiment's ``variant``), numbers their labels
    (``positive`` → ``1`` for sentiment).
    """
    return _substituted(text.lower(), _value_aliases(column, aliases), text)


def _time_value(value: ir.Value, norm: ir.StringValue | None, kind: str, date_format: str | None = None) -> ir.Value:
    """A date (also from a date and time) or a timestamp, read as `date_format` says where it is set."""
    if date_format is not None:
        stamp = formatted_time(value, date_format)
        return stamp.date() if kind == "date" else stamp
    if kind == "timestamp":
        return (norm if norm is not None else value).try_cast("timestamp")
    if norm is not None:
        return ibis.coalesce(norm.try_cast("date"), norm.try_cast("timestamp").date())
    return value.date() if value.type().is_timestamp() else value.try_cast("date")


def _text_number(norm: ir.StringValue, kind: str) -> ir.FloatingValue:
    """A number written as text: ``%``, ``万``/``w`` and ``亿`` scale it; a 0/1 flag may also be a yes or no word."""
    scale = ibis.cases(
        (norm.endswith("%"), 0.01),
        (norm.endswith("万") | norm.endswith("w") | norm.endswith("W"), 1e4),
        (norm.endswith("亿"), 1e8),
        else_=1.0,
    )
    number = norm.re_replace("[%万wW亿]$", "").try_cast("float64") * scale
    if kind == "flag01":
        word = norm.lower()
        number = ibis.cases((word.isin(_TRUE), 1.0), (word.isin(_FALSE), 0.0), else_=number)
    return number


def _typed_number(value: ir.Value) -> ir.FloatingValue:
    """A typed (Parquet) value as a float; booleans count as 1 and 0."""
    return value.cast("float64") if value.type().is_boolean() else value.try_cast("float64")


def _number_value(number: ir.FloatingValue, kind: str) -> ir.NumericValue:
    """Whole numbers for counts and flags (null where not whole), other numbers without NaN or infinity.

    A number larger than `MAX_NUMBER` in size is null too: its sums would overflow (``1e308`` twice is infinite)
    and no count or amount of a social media account comes near it. NaN fails the size test as well, and
    nulling before the cast keeps the engine from casting NaN to an integer (an error, not a null).
    """
    number = ibis.ifelse(number.abs() <= MAX_NUMBER, number, ibis.null("float64"))
    if kind in ("count", "flag01"):
        whole = number.round(0)
        # 1.2万 times 1e4 is not exactly 12000 in floating point: a whole number is one within 1e-6
        return ibis.ifelse((number - whole).abs() < 1e-6, whole.cast("int64"), ibis.null("int64"))
    return number


def _bool_value(value: ir.Value, norm: ir.StringValue | None) -> ir.BooleanValue:
    """True or false from a word, a boolean, or the numbers 1 and 0."""
    if norm is not None:
        return ibis.cases((norm.isin(_TRUE), True), (norm.isin(_FALSE), False), else_=ibis.null("boolean"))
    if value.type().is_boolean():
        return value
    number = value.try_cast("float64")
    return ibis.cases((number == 1, True), (number == 0, False), else_=ibis.null("boolean"))


def _id_text(value: ir.Value) -> ir.StringValue:
    """Ids stored as numbers in Parquet become their decimal text (no ``.0``)."""
    if value.type().is_floating():
        return ibis.ifelse(value == value.round(0), value.cast("int64").cast("string"), value.cast("string"))
    return value.cast("string")  # a number's text has no spaces to trim


def drop_raw(con, table: str) -> None:
    """Drop the engine's scratch copy of a raw table, if any."""
    try:
        con.drop_table(f"_raw_{table}", force=True)
    except Exception:  # a scratch table that cannot be dropped only costs memory until the engine closes
        log.debug("could not drop the scratch copy of %s", table)


__all__ = [
    "Aliases",
    "MAX_NUMBER",
    "READ_SETTINGS",
    "RawTable",
    "ReadError",
    "ReadSettings",
    "already_canonical",
    "canonical_value",
    "detect_encoding",
    "drop_raw",
    "check_inside",
    "engine_path",
    "find_table_file",
    "load_aliases",
    "mixed_line_ends",
    "normalize_header",
    "ok_column",
    "parse_table",
    "raw_column",
    "read_dataset",
    "read_relation",
    "read_table",
    "raw_table",
    "is_dataset",
    "sql_string",
]
