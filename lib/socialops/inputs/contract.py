"""Lazy validation of a data folder against the contract in `socialops.inputs.tables`.

Every failure is collected (not only the first) with table, file, row, column, rule and value, so a user fixes a
file in one pass. The checks run inside the engine: one aggregate query per table counts the failures of every
rule, and only the first rows of each failing rule come back, so a big table is checked without loading it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandera.ibis as pa
import yaml
from pandera.errors import SchemaErrors

from socialops.inputs.dates import EARLIEST, FIRST_TWO, date_form, unread_dates_message
from socialops.inputs.engine import connect
from socialops.inputs.keys import REPEATED_KEY_KEPT, keeps_last, repeated
from socialops.inputs.readers import (
    MAX_NUMBER,
    NUMERIC_KINDS,
    ROW,
    Aliases,
    RawTable,
    ReadError,
    drop_raw,
    ok_column,
    parse_table,
    raw_column,
)
from socialops.inputs.sources import DataSource, SourceError, parse_source
from socialops.inputs.tables import CHAPTER_TABLES, DERIVED, TABLES, TableSpec, chapter_tables, table_spec

#: Failures listed per (table, column, rule) before the rest are only counted.
MAX_LISTED = 50

_PARSE_RULE = {
    "date": "not a date",
    "timestamp": "not a date and time",
    "count": "not a whole number",
    "flag01": "not a whole number",
    "float": "not a number",
    "share": "not a number",
    "sentiment": "not a number or a sentiment label (positive, negative, neutral, 正面, 负面, 中性 …)",
    "amount": "not a number",
    "bool": "not true/false",
}
#: A number that reads but is too large to be summed safely (see `socialops.inputs.readers.MAX_NUMBER`).
_TOO_LARGE = f"larger than {MAX_NUMBER:,.0f} in size"
#: A date before `EARLIEST`: a two-digit year or a day-first date read as ISO gives the year 12 or 31.
_TOO_EARLY = f"dated before {EARLIEST.year} (a misread date? see date_format in aliases.yaml)"
_TIME_KINDS = ("date", "timestamp")
#: A date or time that its table's date_format setting does not read (the setting follows).
_NO_MATCH = "does not match date_format"


@dataclass(frozen=True)
class Failure:
    """One broken promise of the data contract.

    Attributes
    ----------
    table : str
        Contract table name.
    file : str or None
        File name inside the data folder (None when the table has no file).
    row : int or None
        Row number as a spreadsheet shows it (header = 1); None for file- or column-level failures.
    column : str or None
        Canonical column name.
    rule : str
        What is wrong, in words.
    value : str or None
        The offending value as written in the file.
    key : str or None
        Where rows have no number (a folder of Parquet files, a table in a database): the failing row's key
        columns and values (``user_id=u1, ts=2026-09-01 10:00:00``).
    """

    table: str
    file: str | None
    row: int | None
    column: str | None
    rule: str
    value: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        """One line: where (file, row, column), what is wrong, and the value as written."""
        where = self.file or self.table
        if self.row is not None:
            where += f", row {self.row}"
        if self.key is not None:
            where += f", row with {self.key}"
        if self.column:
            where += f", column {self.column}"
        text = f"{where}: {self.rule}"
        return text if self.value is None else f"{text}: {self.value!r}"


class ContractError(ValueError):
    """Raised by `ValidationReport.raise_for_failures`; the message lists every failure."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(report.format())


@dataclass
class ValidationReport:
    """The outcome of `validate`.

    Attributes
    ----------
    failures : list of Failure
        Every failure found, at most `MAX_LISTED` per table, column and rule.
    omitted : dict
        ``{(table, column, rule): count}`` of failures beyond those listed.
    tables : dict
        ``{table: {"file", "rows", "encoding", "separator", "columns"}}`` for each table file read.
    data_dir : str
        The folder validated.
    warnings : list of Failure
        What does not stop a run but changes what it reads: rows whose key is repeated where the chapters keep
        the last of them (at most `MAX_LISTED` per table, the rest counted in `omitted`).
    chapters : list of str
        The chapters whose tables were checked: those named, else those the folder's tables let run.
    left_out : dict
        ``{chapter: [what it lacks]}`` for the chapters a whole-folder check left out (see `chapter_coverage`).
    """

    failures: list[Failure] = field(default_factory=list)
    omitted: dict[tuple[str, str | None, str], int] = field(default_factory=dict)
    tables: dict[str, dict] = field(default_factory=dict)
    data_dir: str = ""
    warnings: list[Failure] = field(default_factory=list)
    chapters: list[str] = field(default_factory=list)
    left_out: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no failure was found."""
        return not self.failures

    def format(self) -> str:
        """Human-readable text listing every failure, grouped by table, with the count of those not listed.

        Warnings follow the failures (or the word that the data are valid), in the same form.
        """
        if self.ok:
            names = ", ".join(f"{t} ({info['rows']} rows)" for t, info in self.tables.items()) or "no tables"
            lines = [f"{self.data_dir}: data valid: {names}"]
        else:
            total = self._total(self.failures)
            lines = [f"{self.data_dir}: {total} problem{'s' if total != 1 else ''} in the input data"]
            lines += self._listing(self.failures)
        lines += self.format_left_out()
        if self.warnings:
            lines.append(self.format_warnings())
        return "\n".join(lines)

    def format_left_out(self) -> list[str]:
        """One line per chapter left out, with what it lacks (``04_churn left out: needs events``)."""
        return [left_out_line(chapter, lacking) for chapter, lacking in self.left_out.items()]

    def format_warnings(self) -> str:
        """The warnings alone, as :meth:`format` lists them (empty when there is none)."""
        if not self.warnings:
            return ""
        total = self._total(self.warnings)
        lines = [f"{total} warning{'s' if total != 1 else ''} (the run goes on):", *self._listing(self.warnings)]
        return "\n".join(lines)

    def _total(self, found: list[Failure]) -> int:
        groups = {(f.table, f.column, f.rule) for f in found}
        return len(found) + sum(n for group, n in self.omitted.items() if group in groups)

    def _listing(self, found: list[Failure]) -> list[str]:
        """Lines for `found`, grouped by table, each group's unlisted rest counted after its last line."""
        lines = []
        by_table: dict[str, list[Failure]] = defaultdict(list)
        for failure in found:
            by_table[failure.table].append(failure)
        for table, failures in by_table.items():
            lines.append(f"{table}:")
            shown: set[tuple] = set()
            for failure in failures:
                lines.append(f"  - {failure}")
                group = (failure.table, failure.column, failure.rule)
                more = self.omitted.get(group)
                if more and group not in shown and _is_last_of(failures, failure):
                    shown.add(group)
                    lines.append(f"  - … and {more} more {failure.rule!r} in column {failure.column}")
        return lines

    def raise_for_failures(self) -> None:
        """Raise `ContractError` when there is any failure."""
        if not self.ok:
            raise ContractError(self)

    def __str__(self) -> str:
        """The same text as :meth:`format`."""
        return self.format()


def _is_last_of(failures: list[Failure], failure: Failure) -> bool:
    group = (failure.column, failure.rule)
    return [f for f in failures if (f.column, f.rule) == group][-1] is failure


def left_out_line(chapter: str, lacking: list[str]) -> str:
    """The line saying that `chapter` was left out and what it lacks."""
    return f"{chapter} left out: needs {' and '.join(lacking)}"


def present_tables(data_dir: str | os.PathLike | DataSource, *, engine="duckdb") -> list[str]:
    """The contract's tables that a data source holds, in contract order (an unreadable file counts).

    Parameters
    ----------
    data_dir : path, str or DataSource
        A data folder, or any source of `socialops.inputs.sources`.
    engine : str or ibis backend
        The engine that lists a remote folder or its own tables (a local folder needs none).
    """
    source = parse_source(data_dir)
    if source.folder is not None:
        return source.present()
    owned = isinstance(engine, str)
    con = connect(engine) if owned else engine
    try:
        return source.present(con)
    finally:
        if owned:
            con.disconnect()


def chapter_coverage(data_dir: str | os.PathLike | DataSource, chapters: Iterable[str] | None = None, *,
                     engine="duckdb") -> tuple[list[str], dict[str, list[str]]]:
    """Which chapters the tables of a folder let run, and what each of the others lacks.

    Parameters
    ----------
    data_dir : path, str or DataSource
        The data source; only the presence of tables is looked at, not their content.
    chapters : iterable of str, optional
        Chapter ids to consider (default: every chapter).
    engine : str or ibis backend
        The engine that lists a source other than a local folder.

    Returns
    -------
    tuple
        ``(runnable, left_out)``: the chapter ids whose required tables have files, in order, and
        ``{chapter: [what it lacks]}`` for the others (``["events"]``, ``["platform_daily or posts"]``).
    """
    present = present_tables(data_dir, engine=engine)
    runnable, left_out = [], {}
    for chapter in chapters if chapters is not None else CHAPTER_TABLES:
        lacking = chapter_tables(chapter).lacking(present)
        if lacking:
            left_out[chapter] = lacking
        else:
            runnable.append(chapter)
    return runnable, left_out


def tables_to_check(tables: Iterable[str] | None = None, chapters: Iterable[str] | None = None):
    """Return ``{table: required}`` for the given tables and chapters.

    Tables named directly are required; a chapter's tables are required or optional as `CHAPTER_TABLES` says (a
    table required by any chapter is required). With neither, every chapter is checked.
    """
    wanted: dict[str, bool] = {}
    if tables is None and chapters is None:
        chapters = list(CHAPTER_TABLES)
    for chapter in chapters or ():
        spec = chapter_tables(chapter)
        for name in spec.any_of + spec.optional:  # a one-of group is checked as a whole by `validate`
            wanted.setdefault(name, False)
        for name in spec.required:
            wanted[name] = True
    for name in tables or ():
        table_spec(name)
        wanted[name] = True
    return {name: wanted[name] for name in TABLES if name in wanted}


def validate(
    data_dir: str | os.PathLike | DataSource,
    tables: Iterable[str] | None = None,
    *,
    chapters: Iterable[str] | None = None,
    engine="duckdb",
    threads: int | None = None,
    memory_limit: str | None = None,
    now: dt.datetime | None = None,
) -> ValidationReport:
    """Check the tables of a data source against the contract, collecting every failure.

    The checks run in the engine wherever the tables are; rows of a source without row numbers (a Parquet
    folder, a table in a database) are named by their key (`Failure.key`).

    Parameters
    ----------
    data_dir : path, str or DataSource
        The folder holding ``<table>.csv|.xlsx|.parquet`` files (and optionally ``aliases.yaml``), or another
        source of `socialops.inputs.sources` (``s3://…``, ``db:…``).
    tables : iterable of str, optional
        Tables to check; each is required.
    chapters : iterable of str, optional
        Chapters whose tables to check (their optional tables only when present); a named chapter without its
        required tables is a failure. With neither `tables` nor `chapters`, the whole folder: the chapters its
        tables let run are checked and the others listed in the report's ``left_out``, with what they lack; a
        failure only when no chapter can run.
    engine : str or ibis backend
        Where the checks run (see `socialops.inputs.engine.connect`); a backend object is used as is and left open.
    threads, memory_limit : optional
        Passed to `socialops.inputs.engine.connect` when `engine` is a name or URL.
    now : datetime, optional
        Rows dated after it are failures (default: the current local time).

    Returns
    -------
    ValidationReport
    """
    source, aliases, report = _open_source(data_dir)
    if not report.ok:
        return report
    owned = isinstance(engine, str)
    con = connect(engine, threads=threads, memory_limit=memory_limit) if owned else engine
    try:
        present = source.present(con)
        if tables is None and chapters is None:  # the whole source: what its tables let run
            chapters, report.left_out = chapter_coverage(source, engine=con)
            if not chapters:
                report.failures.append(Failure("*", None, None, None, _NOTHING_RUNS))
        wanted = tables_to_check(tables, chapters)
        report.chapters = list(chapters or ())
        now = now or dt.datetime.now()
        for table, required in wanted.items():
            _validate_table(con, source, table, required, aliases, now, report)
    except ReadError as exc:  # a remote folder or a schema that cannot be listed
        report.failures.append(Failure("*", exc.file, None, None, exc.message))
        return report
    finally:
        if owned:
            con.disconnect()
    report.failures.extend(_missing_groups(source, present, list(chapters or ())))
    return report


def _open_source(data_dir) -> tuple[DataSource | None, Aliases | None, ValidationReport]:
    """The source, its alias map and an empty report; or a report of why neither can be had."""
    try:
        source = parse_source(data_dir)
    except SourceError as exc:
        return None, None, ValidationReport([Failure("*", str(data_dir), None, None, str(exc))], data_dir=str(data_dir))
    report = ValidationReport(data_dir=source.text)
    if source.folder is not None and not source.folder.is_dir():
        report.failures.append(Failure("*", source.text, None, None, "data folder not found"))
        return source, None, report
    try:
        return source, source.aliases(), report
    except ReadError as exc:  # a link out of the data folder
        report.failures.append(Failure("*", exc.file, None, None, exc.message))
    except (ValueError, OSError, yaml.YAMLError) as exc:
        report.failures.append(Failure("*", "aliases.yaml", None, None, f"unreadable alias map: {exc}"))
    return source, None, report


#: The failure of a whole-folder check on a folder no chapter can run on (each chapter's lack follows it).
_NOTHING_RUNS = ("no chapter can run on this folder: add the tables listed below (a file named after the table: "
                 "events.csv, .xlsx or .parquet)")


def _missing_groups(source: DataSource, present: list[str], chapters: list[str]) -> list[Failure]:
    """A failure for each chapter's one-of group of which no table is present (once per group)."""
    failures, seen = [], set()
    for chapter in chapters:
        group = chapter_tables(chapter).any_of
        if not group or group in seen:
            continue
        seen.add(group)
        if not any(name in present for name in group):
            if source.folder is not None:
                files = " or ".join(f"{name}.csv" for name in group)
                missing = f"missing required table: no {files} (nor .xlsx or .parquet)"
            else:
                missing = f"missing required table: no {' or '.join(source.shown(name) for name in group)}"
            failures.append(Failure(" or ".join(group), None, None, None, missing))
    return failures


def _validate_table(con, source: DataSource, table, required, aliases, now, report) -> None:
    try:
        raw = source.read(con, table, aliases)
        if raw is None:
            if required:
                missing = f"no {table}.csv, .xlsx or .parquet" if source.folder is not None else \
                    f"no {source.shown(table)}"
                report.failures.append(Failure(table, None, None, None, f"missing required table: {missing}"))
            return
        rows = int(raw.expr.count().execute())
    except ReadError as exc:
        report.failures.append(Failure(table, Path(exc.file).name, None, None, exc.message))
        return
    except Exception as exc:  # the engine refused the file after reading started (e.g. a malformed row)
        shown = raw.file.name if raw is not None else table
        report.failures.append(Failure(table, shown, None, None, f"unreadable: {str(exc).splitlines()[0]}"))
        return
    name = raw.file.name
    report.tables[table] = {"file": name, "rows": rows, "encoding": raw.encoding, "separator": raw.separator,
                            "columns": raw.columns}
    if rows == 0:  # a chapter given no rows could only fail later, with a less clear message
        report.failures.append(Failure(table, name, None, None, "no data rows (only a header line)"))
    try:
        report.failures.extend(_header_failures(raw))
        _check_rows(raw, aliases, now, report)
    finally:
        drop_raw(con, table)


def _header_failures(raw: RawTable) -> list[Failure]:
    """Missing required columns (checked by pandera on the header) and columns named twice."""
    spec = table_spec(raw.table)
    present = set(raw.columns)
    derivable = {
        col for col, parts in DERIVED.get(raw.table, {}).items() if col not in present and present.issuperset(parts)
    }
    failures = []
    schema = pa.DataFrameSchema(
        {name: pa.Column(required=name not in derivable, nullable=True) for name in spec.required}
    )
    try:
        schema.validate(raw.expr, lazy=True)
    except SchemaErrors as exc:
        for err in exc.schema_errors:
            if err.reason_code is not None and err.reason_code.name == "COLUMN_NOT_IN_DATAFRAME":
                column = str(err.failure_cases)
                parts = DERIVED.get(raw.table, {}).get(column)
                rule = "missing required column" + (f" (or all of {', '.join(parts)})" if parts else "")
                failures.append(Failure(raw.table, raw.file.name, 1, column, rule))
    for column, headers in raw.duplicates.items():
        failures.append(Failure(raw.table, raw.file.name, 1, column, "several headers name this column", ", ".join(headers)))
    return failures


def _check_rows(raw: RawTable, aliases: Aliases, now: dt.datetime, report: ValidationReport) -> None:
    """Evaluate every row rule as an Ibis expression and collect the failing rows.

    The rules are not pandera checks: pandera's Ibis backend reports a column check's failures without the row they
    come from (its index is a row_number over an unordered relation) and fetches an arbitrary subset without a
    total, while a failure here must name the file's row and say how many more there are.
    """
    spec = table_spec(raw.table)
    t = parse_table(raw, aliases)
    rules = _parse_rules(raw, spec, t, aliases.read_settings(raw.table).date_format)
    for name in raw.columns:
        rules += _value_rules(spec, name, t, now)
    rules += _key_rules(raw, spec, t)
    if not rules:
        return
    checked = t.mutate(**{f"_bad{i}": bad.fill_null(False) for i, (_, _, bad) in enumerate(rules)})
    # counted with a filter: PostgreSQL cannot cast a boolean to a bigint
    measures = {f"_bad{i}": checked.count(where=checked[f"_bad{i}"]) for i in range(len(rules))}
    counts = checked.aggregate(**measures, **_date_measures(raw, spec, checked)).execute().iloc[0]
    unread = _unread_dates(raw, spec, checked, counts, rules, aliases)
    report.failures.extend(unread.values())
    for i, (name, rule, _) in enumerate(rules):
        if name in unread and _is_date_rule(rule):
            continue  # said once for the column
        n = int(counts[f"_bad{i}"] or 0)
        if n:
            _collect(raw, checked, f"_bad{i}", name, rule, report)
        if n > MAX_LISTED:
            report.omitted[(raw.table, name, rule)] = n - MAX_LISTED


#: Range rules by column kind: (rule, expression true on a failing value).
_RANGE_RULES = {
    "count": ("negative count", lambda v: v < 0),
    "share": ("share outside [0, 1]", lambda v: (v < 0) | (v > 1)),
    "sentiment": ("sentiment outside [-1, 1]", lambda v: (v < -1) | (v > 1)),
    "flag01": ("not 0 or 1", lambda v: ~v.isin([0, 1])),
}
_DUPLICATE_KEY = "duplicate key"


def _parse_rules(raw: RawTable, spec: TableSpec, t: ir.Table,
                 date_format: str | None = None) -> list[tuple[str, str, ir.BooleanValue]]:
    """Values that did not parse as their column's kind, one rule per column (two for numbers: too large apart).

    Dates and times are said not to match `date_format`, where the table has that reading setting.
    """
    rules = []
    for name in raw.columns:
        kind = spec.column(name).kind
        if kind not in _PARSE_RULE:
            continue
        failed = ~t[ok_column(name)]
        if kind in _TIME_KINDS and date_format is not None:
            rules.append((name, f"{_NO_MATCH} {date_format!r}", failed))
        elif kind in NUMERIC_KINDS:
            written = t[raw_column(name)].re_replace(r"[,，¥￥\s]", "").try_cast("float64")
            # NaN compares above every number in SQL engines: it is not a number, not a large one
            large = (~written.isinf() & ~written.isnan() & (written.abs() > MAX_NUMBER)).fill_null(False)
            rules += [(name, _TOO_LARGE, failed & large), (name, _PARSE_RULE[kind], failed & ~large)]
        else:
            rules.append((name, _PARSE_RULE[kind], failed))
    return rules


def _date_measures(raw: RawTable, spec: TableSpec, t: ir.Table) -> dict[str, ir.Scalar]:
    """Per date column: how many values are given, and the largest first and second number of ``D/M/Y`` forms."""
    measures = {}
    for name in (n for n in raw.columns if spec.column(n).kind in _TIME_KINDS):
        written = t[raw_column(name)]
        measures[f"_given_{name}"] = t.count(where=t[name].notnull() | ~t[ok_column(name)])
        for i, part in ((1, "first"), (2, "second")):
            measures[f"_{part}_{name}"] = written.re_extract(FIRST_TWO, i).try_cast("int64").max()
    return measures


def _unread_dates(raw: RawTable, spec: TableSpec, t: ir.Table, counts, rules, aliases: Aliases) -> dict[str, Failure]:
    """One failure per date column none of whose values reads (or all read before 1900): the form seen, the fix.

    `counts` holds the rules' failure counts and `_date_measures`; a column with some values read keeps its
    failures row by row.
    """
    bad: dict[str, int] = defaultdict(int)
    for i, (name, rule, _) in enumerate(rules):
        if _is_date_rule(rule):
            bad[name] += int(counts[f"_bad{i}"] or 0)
    date_format = aliases.read_settings(raw.table).date_format
    unread = {}
    for name, n in bad.items():
        if not n or n != int(counts[f"_given_{name}"] or 0):
            continue
        sample = str(t.filter(t[raw_column(name)].notnull() & (t[raw_column(name)].strip() != ""))
                     .order_by(ROW).select(raw_column(name)).limit(1).execute().iloc[0, 0]).strip()
        first, second = (_whole(counts[f"_{part}_{name}"]) for part in ("first", "second"))
        message = unread_dates_message(raw.table, sample, date_form(sample, first, second), date_format)
        unread[name] = Failure(raw.table, raw.file.name, None, name, message)
    return unread


def _is_date_rule(rule: str) -> bool:
    """Whether `rule` says that a date or time did not read (or read before 1900)."""
    return rule.startswith((_PARSE_RULE["date"], _NO_MATCH, _TOO_EARLY))


def _whole(value) -> int | None:
    return None if _missing(value) else int(value)


def _value_rules(spec: TableSpec, name: str, t: ir.Table, now: dt.datetime) -> list[tuple[str, str, ir.BooleanValue]]:
    """Blank required values, values outside their range or allowed set, and rows dated after `now`."""
    column, value = spec.column(name), t[name]
    rules = []
    if column.required:
        rules.append((name, "blank value in a required column", value.isnull() & t[ok_column(name)]))
    if column.kind in _RANGE_RULES:
        rule, failing = _RANGE_RULES[column.kind]
        rules.append((name, rule, failing(value)))
    elif column.kind == "enum":
        allowed = ", ".join(column.values)
        rules.append((name, f"unknown value (allowed: {allowed})", ~value.isin(column.values)))
    if column.kind in _TIME_KINDS:
        earliest = EARLIEST if column.kind == "date" else dt.datetime.combine(EARLIEST, dt.time())
        rules.append((name, _TOO_EARLY, value < ibis.literal(earliest)))
    if name == spec.time_column:
        limit = ibis.literal(now.date() if column.kind == "date" else now)
        rules.append((name, f"future-dated (after {now:%Y-%m-%d %H:%M})", value > limit))
    return rules


def _key_rules(raw: RawTable, spec: TableSpec, t: ir.Table) -> list[tuple[str, str, ir.BooleanValue]]:
    """Rows whose key is given and not unique (only when the file has every key column).

    Where the chapters keep the last row of a repeated key, the rule is `REPEATED_KEY_KEPT`, a warning.
    """
    if not spec.key or not set(spec.key) <= set(raw.columns):
        return []
    # without a row order (a database table) there is no last row to keep
    rule = REPEATED_KEY_KEPT if raw.numbered and keeps_last(spec, raw.columns) else _DUPLICATE_KEY
    return [(",".join(spec.key), rule, repeated(t, spec.key))]


def _collect(raw: RawTable, checked: ir.Table, flag: str, name: str, rule: str, report: ValidationReport) -> None:
    """Add the first `MAX_LISTED` rows failing one rule to the report, with the values as written."""
    keyed = rule in (_DUPLICATE_KEY, REPEATED_KEY_KEPT)
    shown = name.split(",") if keyed else [name]
    key = [] if raw.numbered else [c for c in row_key(raw) if c not in shown]
    columns = [*shown, *key]
    failing = checked.filter(checked[flag])
    order = [ROW] if raw.numbered else [checked[raw_column(c)] for c in columns]
    rows = (failing.order_by(order).select(ROW, *[checked[raw_column(c)].name(c) for c in columns])
            .limit(MAX_LISTED).execute())
    for record in rows.itertuples(index=False):
        values = dict(zip(columns, record[1:], strict=True))
        value = ", ".join(f"{c}={values[c]}" for c in shown) if keyed else values[name]
        where = ", ".join(f"{c}={values[c]}" for c in key) or None
        failure = Failure(raw.table, raw.file.name, int(record[0]) if raw.numbered else None, name, rule,
                          None if _missing(value) else str(value), where)
        (report.warnings if rule == REPEATED_KEY_KEPT else report.failures).append(failure)


def row_key(raw: RawTable) -> list[str]:
    """The columns that name a row of a table without row numbers: its key, else its ids and time, as present.

    Parameters
    ----------
    raw : RawTable
        The table as read.

    Returns
    -------
    list of str
        For ``events``: ``user_id``, ``ts`` and ``event``; for ``posts``: ``post_id``.
    """
    spec = table_spec(raw.table)
    if spec.key and set(spec.key) <= set(raw.columns):
        return list(spec.key)
    naming = [c.name for c in spec.columns if c.required and c.kind in _NAMING_KINDS]
    return [c for c in naming if c in raw.columns] or list(raw.columns)


#: The kinds of required column that together name a row of a table without a key (ids, times, labels).
_NAMING_KINDS = ("id", "text", "date", "timestamp", "enum", "platform")


def _missing(value) -> bool:
    try:
        return value is None or value != value
    except (TypeError, ValueError):
        return False
