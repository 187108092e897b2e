"""The ``socialops`` command: run chapters, validate data, list parameters, make sample data.

An operating error (bad parameters or data, an engine that cannot be reached, an output folder that cannot be
written) is a one-line message and exit 2; anything else unexpected is a message and exit 1. Neither prints a
traceback unless ``--debug`` is given, and every message shows URLs redacted.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from socialops.chapters import CHAPTERS, notebook_path, resolve_chapter
from socialops.inputs.csvfiles import SEPARATOR_NAMES, read_as
from socialops.inputs.engine import EngineError, for_chapters, redact
from socialops.inputs.readers import ALLOW_OUTSIDE_ENV, ReadError
from socialops.pipeline.runner import (
    EXIT_INVALID,
    ChapterJob,
    ChapterOutcome,
    overall_code,
    run_chapters,
    skip_slow_optional_imports,
)
from socialops.report.masking import MaskKeyError, mask_key

EXIT_UNEXPECTED = 1
DEFAULT_DATA = "data/samples"
DATA_HELP = ("the input tables: a folder; a folder the engine reads (s3://bucket/prefix, hdfs://…); or the engine's "
             "own tables, db:SCHEMA (named as in the contract)")
EXIT_CODES = ("Exit codes: 0 every chapter succeeded; 1 an unexpected error (a bug: --debug shows where); "
              "2 invalid parameters, data, engine or output folder (nothing ran); 3 a chapter failed; "
              "4 a chapter timed out or its kernel died; 130 or 143 stopped by Ctrl-C or SIGTERM (stopped chapters "
              "keep their previous files). Several chapters: the highest code.")
#: Errors of the user's setup, not of the program: reported as a message with exit 2.
OPERATING_ERRORS = (EngineError, ReadError, MaskKeyError, OSError)
_DEBUG = "socialops.debug"

err = Console(stderr=True, soft_wrap=True)  # messages unwrapped: a path or a row stays on one line
out = Console()


class _Commands(TyperGroup):
    """The command group: an error ends the command as a message and an exit code, not a traceback."""

    def invoke(self, ctx: click.Context):
        """Run the command; an exception becomes a message (re-raised as is under ``--debug``)."""
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:
            if ctx.meta.get(_DEBUG):
                raise
            code = EXIT_INVALID if isinstance(error, OPERATING_ERRORS) else EXIT_UNEXPECTED
            hint = "" if code == EXIT_INVALID else " (unexpected: run again with --debug to see where)"
            _say(f"{type(error).__name__}: {error}{hint}")
            raise typer.Exit(code) from None


def _set_debug(ctx: typer.Context, value: bool) -> None:
    if value:
        ctx.meta[_DEBUG] = True


Debug = Annotated[bool, typer.Option("--debug", callback=_set_debug, expose_value=False,
                                     help="show the traceback of an error (for a bug report)")]
AllowOutside = Annotated[bool, typer.Option(
    "--allow-outside-links",
    help="read table files that are links to places outside the data folder (refused by default: exit 2)")]
app = typer.Typer(cls=_Commands, add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="socialops: data-driven reports for enterprise social media operations.",
                  epilog=EXIT_CODES)


@app.callback()
def _main(debug: Debug = False) -> None:
    """socialops: data-driven reports for enterprise social media operations."""


def _say(message: str) -> None:
    # escaped, so brackets ("dict[str, float]", "[1, 2]") are text, not markup; redacted, so no URL shows a secret
    err.print(f"[bold red]error:[/] {escape(redact(message))}", highlight=False, markup=True)


def _fail(message: str) -> None:
    _say(message)
    raise typer.Exit(EXIT_INVALID)


def _chapters(names: list[str] | None) -> list[str]:
    if not names:
        return list(CHAPTERS)
    try:
        return list(dict.fromkeys(resolve_chapter(n) for n in names))
    except KeyError as error:
        _fail(str(error.args[0]))


def _data_dir(data: str | None, out_dir: Path | None = None, tables: dict | None = None) -> str:
    """The data source as the chapters receive it: a folder resolved, a URL or ``db:…`` as written.

    `tables` is the params file's ``tables:`` mapping, which adds tables of the engine (``--data`` then is
    ``db:SCHEMA`` or not given).
    """
    from socialops.inputs.sources import SourceError, parse_source, with_tables

    try:
        source = parse_source(data) if data is not None or not tables else None
        if tables:
            source = with_tables(source, tables)
    except SourceError as error:
        _fail(str(error))
    if source.folder is None:
        return source.text
    if not source.folder.is_dir():
        _fail(f"data folder {data} does not exist")
    folder = source.folder.resolve()
    # resolved, so a symbolic link or a ../ path to the inputs is caught too
    if out_dir is not None and out_dir.resolve().is_relative_to(folder):
        _fail(f"the output folder {out_dir} is or lies inside the data folder {folder}; reports never go among "
              "the inputs")
    return str(folder)


def _split_params_file(params_file: Path | None, scratch: Path) -> tuple[Path | None, dict | None]:
    """The params file without its ``tables:`` mapping (a copy under `scratch`, same name), and the mapping."""
    import yaml

    if params_file is None:
        return None, None
    try:
        data = yaml.load(params_file.read_text(encoding="utf-8-sig"), Loader=yaml.BaseLoader)
    except (OSError, yaml.YAMLError):
        return params_file, None  # the parameter reader says what is wrong with it
    if not isinstance(data, dict) or "tables" not in data:
        return params_file, None
    tables = data.pop("tables")
    if not isinstance(tables, dict) or not tables:
        _fail(f"{params_file.name}: tables: must map contract tables to the engine's tables, e.g. "
              "events: analytics.user_events")
    rest = scratch / params_file.name
    rest.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return rest, tables


@app.command(epilog=EXIT_CODES)
def run(
    chapters: Annotated[list[str] | None, typer.Argument(
        help="chapters to run (id or short name), each of which must find its tables; none = every chapter whose "
             "required tables are in the data folder")] = None,
    data: Annotated[str | None, typer.Option("--data", help=DATA_HELP)] = None,
    params_file: Annotated[Path | None, typer.Option(
        "--params", help="YAML file of parameter values (and a tables: mapping of the engine's tables)")] = None,
    param: Annotated[list[str] | None, typer.Option("-p", "--param", help="name=value, repeatable")] = None,
    lang: Annotated[str | None, typer.Option(help="report language: en or zh")] = None,
    client: Annotated[str | None, typer.Option(help="client name shown in the report header")] = None,
    audience: Annotated[str | None, typer.Option(help="client (masked, no code) or analyst")] = None,
    engine: Annotated[str | None, typer.Option(
        help="duckdb, spark, or an Ibis connection URL; write $NAME for a secret (from the environment)")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="folder for the reports")] = Path("reports"),
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="chapters run at once")] = 2,
    timeout: Annotated[float | None, typer.Option(help="time limit per chapter, seconds")] = None,
    allow_outside_links: AllowOutside = False,
    debug: Debug = False,
) -> None:
    """Run chapters on a data folder and write their reports.

    An engine URL holds no secret: write $NAME for a password or token and set the variable NAME; the URL is
    shown redacted everywhere.
    """
    skip_slow_optional_imports()
    selected = _chapters(chapters)
    if params_file is not None and not params_file.is_file():
        _fail(f"parameter file {params_file} does not exist")
    with tempfile.TemporaryDirectory(prefix="socialops-params-") as scratch:
        params_file, tables = _split_params_file(params_file, Path(scratch))
        data_dir = _data_dir(data if data is not None or tables else DEFAULT_DATA, out_dir, tables)
        _check_out(out_dir)
        _allow_outside(allow_outside_links)
        flags = {"lang": lang, "client": client, "audience": audience, "engine": engine, "data_dir": data_dir}
        values = _parameter_values(selected, params_file, param or [], flags)
    for chapter_values in values.values():
        if "engine" in chapter_values:  # notebooks, JSON and logs get the URL redacted
            chapter_values["engine"] = for_chapters(chapter_values["engine"])
    left_out = {} if chapters else _leave_out(data_dir, next(iter(values.values())).get("engine", "duckdb"))
    selected = [c for c in selected if c not in left_out]
    _check_data(data_dir, selected, values)
    mask_key()  # an unusable masking key stops the run here (exit 2), not in every chapter's kernel
    _make_out(out_dir)
    job_list = [ChapterJob(c, values[c], out_dir.resolve(), timeout) for c in selected]
    outcomes = _run_with_progress(job_list, jobs)
    _write_index(out_dir, values[selected[0]], outcomes, left_out)
    for outcome in outcomes:
        if outcome.code:
            err.print(f"[red]{outcome.chapter}[/]: {escape(redact(outcome.message))}", highlight=False)
    out.print(f"reports in {escape(str(out_dir))}/ (index.html)", highlight=False)
    raise typer.Exit(overall_code(outcomes))


def _leave_out(data_dir: str, engine: str) -> dict[str, list[str]]:
    """The chapters a whole-source run leaves out, each told with what it lacks; exit 2 when none can run."""
    from socialops.inputs import contract

    try:
        runnable, left_out = contract.chapter_coverage(data_dir, engine=engine)
    except (EngineError, ReadError) as error:
        _fail(str(error))
    lines = [contract.left_out_line(chapter, lacking) for chapter, lacking in left_out.items()]
    if not runnable:
        _fail(f"no chapter can run on {data_dir}: add the tables they need\n" + "\n".join(lines))
    for line in lines:
        err.print(line, highlight=False, markup=False)
    return left_out


def _allow_outside(allowed: bool) -> None:
    """Let table files lead out of the data folder, here and in the chapters' processes (which inherit it)."""
    if allowed:
        os.environ[ALLOW_OUTSIDE_ENV] = "1"


def _check_out(out_dir: Path) -> None:
    """Exit 2 unless `out_dir` is a folder this user can write in, or one that can be made."""
    if out_dir.exists() and not out_dir.is_dir():
        _fail(f"--out {out_dir} is a file, not a folder")
    if out_dir.is_dir():
        try:  # a real write: permission bits say nothing of a read-only mount, or of root on a special folder
            with tempfile.TemporaryFile(dir=out_dir):
                pass
        except OSError as error:
            _fail(f"--out {out_dir} cannot be written in: {error.strerror or error}")
        return
    parent = next(p for p in out_dir.absolute().parents if p.exists())
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        _fail(f"--out {out_dir} cannot be made: {parent} is {'not a folder' if not parent.is_dir() else 'read-only'}")


def _make_out(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _fail(f"--out {out_dir} cannot be made: {error.strerror or error}")


def _parameter_values(selected: list[str], params_file: Path | None, overrides: list[str],
                      flags: dict[str, str | None]) -> dict[str, dict]:
    """Each chapter's validated parameter values; exit 2 listing every problem and the valid parameters."""
    from socialops.pipeline import params

    try:
        declared = {c: params.read_parameters(notebook_path(c)) for c in selected}
        return params.resolve_for_chapters(declared, params_file=params_file, overrides=overrides, flags=flags)
    except params.ParameterError as error:
        _fail(str(error))


def _check_data(data_dir: str, selected: list[str], values: dict[str, dict]) -> None:
    """Check the data against the contract and each chapter's parameters; exit 2 listing every problem."""
    from socialops.inputs import contract
    from socialops.pipeline import preflight

    try:
        report = contract.validate(data_dir, chapters=selected,
                                   engine=next(iter(values.values())).get("engine", "duckdb"))
    except EngineError as error:
        _fail(str(error))
    if not report.ok:
        err.print(redact(report.format()), highlight=False, markup=False)
        raise typer.Exit(EXIT_INVALID)
    if report.warnings:
        err.print(redact(report.format_warnings()), highlight=False, markup=False)
    for name, info in report.tables.items():
        if said := read_as(info.get("encoding"), info.get("separator")):
            err.print(f"{info.get('file', name)}: {said}", highlight=False)
    problems = [f"{c}: {p}" for c in selected for p in preflight.check(c, data_dir, values[c])]
    if problems:
        _fail("\n".join(problems))


def _write_index(out_dir: Path, first: dict, outcomes: list[ChapterOutcome], left_out: dict[str, list[str]]) -> None:
    """The one-page summary across chapters and its deck, in the language and for the audience of the first chapter."""
    from socialops.pipeline.publish import write_index, write_summary_deck
    from socialops.report import masking

    client_name = first.get("client", "")
    if first.get("audience", "client") == "client":
        client_name = masking.mask_text(client_name)
    write_index(out_dir, lang=first.get("lang", "en"), client=client_name,
                statuses={o.chapter: o.status for o in outcomes}, left_out=left_out)
    write_summary_deck(out_dir, lang=first.get("lang", "en"), client=client_name)


def _run_with_progress(job_list: list[ChapterJob], parallel: int) -> list[ChapterOutcome]:
    state: dict[str, tuple[str, float]] = {j.chapter: ("waiting", 0.0) for j in job_list}
    started: dict[str, float] = {}
    marks = {"waiting": "[dim]waiting[/]", "running": "[cyan]running[/]", "ok": "[green]done[/]",
             "failed": "[red]failed[/]", "timeout": "[red]timed out[/]", "interrupted": "[yellow]stopped[/]"}

    def table() -> Table:
        grid = Table(box=None, show_header=False)
        for chapter, (status, seconds) in state.items():
            elapsed = time.monotonic() - started[chapter] if status == "running" else seconds
            grid.add_row(chapter, marks[status], f"{elapsed:5.1f} s" if chapter in started else "")
        return grid

    def on_event(chapter: str, outcome: ChapterOutcome | None) -> None:
        if outcome is None:
            started[chapter] = time.monotonic()
            state[chapter] = ("running", 0.0)
        else:
            state[chapter] = (outcome.status, outcome.seconds)
            if not err.is_terminal:
                err.print(f"{chapter}: {outcome.status} ({outcome.seconds:.1f} s)", highlight=False)

    if err.is_terminal:
        with Live(table(), console=err, refresh_per_second=4) as live:
            def refresh(chapter: str, outcome: ChapterOutcome | None) -> None:
                on_event(chapter, outcome)
                live.update(table())
            return run_chapters(job_list, parallel=parallel, on_event=refresh)
    return run_chapters(job_list, parallel=parallel, on_event=on_event)


@app.command(epilog="Exit codes: 0 the data are valid; 2 they are not (every failure listed), or no chapter can "
                    "run on them; 1 an unexpected error (--debug shows where).")
def validate(
    chapters: Annotated[list[str] | None, typer.Argument(
        help="chapters whose tables to check, each of which must find them; none = every chapter whose required "
             "tables are in the data folder (the others listed with what they lack)")] = None,
    data: Annotated[str, typer.Option("--data", help=DATA_HELP)] = DEFAULT_DATA,
    engine: Annotated[str, typer.Option(
        help="where the checks run (and the tables are, for db:): duckdb, spark, or an Ibis connection URL; "
             "write $NAME for a secret")] = "duckdb",
    allow_outside_links: AllowOutside = False,
    debug: Debug = False,
) -> None:
    """Check a data source against the data contract and list every failure."""
    from socialops.inputs import contract

    _allow_outside(allow_outside_links)
    report = contract.validate(_data_dir(data), chapters=_chapters(chapters) if chapters else None,
                               engine=engine)
    if not report.ok:
        err.print(redact(report.format()), highlight=False, markup=False)
        raise typer.Exit(EXIT_INVALID)
    table = Table(title=f"{data}: all checks passed")
    for column in ("table", "file", "rows", "encoding", "separator"):
        table.add_column(column)
    for name, info in report.tables.items():
        separator = info.get("separator")
        table.add_row(name, str(info.get("file", "")), f"{info.get('rows', 0):,}", str(info.get("encoding") or ""),
                      SEPARATOR_NAMES.get(separator, separator or ""))
    out.print(table)
    for line in report.format_left_out():
        out.print(line, highlight=False, markup=False)
    if report.warnings:
        err.print(redact(report.format_warnings()), highlight=False, markup=False)


@app.command("params")
def show_params(chapter: Annotated[str, typer.Argument(help="chapter id or short name")],
                debug: Debug = False) -> None:
    """List a chapter's parameters with type, default, allowed values and help."""
    from socialops.pipeline import params

    out.print(params.format_parameters(params.read_parameters(notebook_path(_chapters([chapter])[0]))),
              highlight=False, markup=False)


@app.command()
def sample(
    out_dir: Annotated[Path, typer.Option("--out", help="folder to write the tables into")],
    users: Annotated[int, typer.Option(min=100, help="number of users")] = 20000,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same files)")] = 7,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
    events_fmt: Annotated[str | None, typer.Option("--events-format",
                                                   help="format of the events table alone (default: --format)")] = None,
    debug: Debug = False,
) -> None:
    """Generate synthetic sample data with planted truths.

    The committed samples are ``socialops sample --out data/samples --events-format parquet``.
    """
    from socialops.sample import generate

    for name, value in (("--format", fmt), ("--events-format", events_fmt or fmt)):
        if value not in ("csv", "parquet"):
            _fail(f"{name} must be csv or parquet, not {value!r}")
    _check_out(out_dir)
    path = generate(out_dir, users=users, seed=seed, fmt=fmt, events_fmt=events_fmt)
    out.print(f"sample data written to {path}")


def main() -> None:
    """Entry point for ``python -m socialops``."""
    sys.exit(app())


if __name__ == "__main__":
    main()
