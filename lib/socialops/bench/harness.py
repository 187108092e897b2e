"""The benchmark harness: events at each size, every tool, model fit and chapter run timed in a fresh process.

It generates the events, checks that the tools agree, reads the goals off the figures (`socialops.bench.goals`),
and writes ``bench.json``, a chart beside it, the tables on the terminal and, if asked, the README's goals block.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

from socialops.bench.chapters import run_chapters
from socialops.bench.fits import FIT_CUSTOMERS, ensure_bgnbd_customers, ensure_cox_rows
from socialops.bench.goals import evaluate, goals_table, update_readme
from socialops.bench.tasks import OUTPUT_TOOLS, TOOLS, differences
from socialops.bench.worker import FIT_TOOLS

#: Events per user the sample generator makes on average (measured on its output), to size a run by rows.
EVENTS_PER_USER = 9.65
DEFAULT_SIZES = (1_000_000, 10_000_000, 100_000_000)
#: Larger sizes are copies of a generation of this size (see `ensure_events`).
GENERATED_MAX_ROWS = 10_000_000
#: Above this many events the in-memory tools are not run (at 100M rows pandas' frames alone outgrow a 24 GB
#: machine; the goals that compare tools are stated at 10M), nor the Cox fits of the churn chapter's rows.
IN_MEMORY_MAX_ROWS = 30_000_000
IN_MEMORY_TOOLS = ("pandas", "polars", "lifetimes")
#: Relative tolerance of the agreement of the Cox coefficients of socialops and lifelines.
COX_REL_TOL = 1e-3


def parse_sizes(text: str | None) -> list[int]:
    """Sizes from text such as ``"1000000,10000000"`` (``1e6`` and ``_`` separators allowed); default 1M, 10M, 100M."""
    if not text:
        return list(DEFAULT_SIZES)
    return [int(float(part.replace("_", ""))) for part in text.split(",") if part.strip()]


def ensure_events(root: Path, rows: int, seed: int = 7) -> Path:
    """A folder with a generated ``events.parquet`` of about `rows` rows, made once and reused.

    Sizes up to `GENERATED_MAX_ROWS` come straight from the sample generator. Larger ones are `tile_events`
    copies of that size's generation: generating 100M events one by one takes the generator most of an hour on
    two cores, while the benchmark measures reading and aggregating them, which copies exercise just as well.

    Returns
    -------
    pathlib.Path
        ``root/events-<rows>-seed<seed>``, holding the Parquet tables and ``truths.json``.
    """
    from socialops import sample

    folder = Path(root) / f"events-{rows}-seed{seed}"
    if (folder / "truths.json").is_file() and (folder / "events.parquet").is_file():
        return folder
    staging = folder.with_name(folder.name + ".tmp")
    if staging.exists():
        shutil.rmtree(staging)
    if rows > GENERATED_MAX_ROWS:
        copies = math.ceil(rows / GENERATED_MAX_ROWS)
        tile_events(ensure_events(root, rows // copies, seed), staging, copies)
    else:
        sample.generate(staging, users=max(100, round(rows / EVENTS_PER_USER)), seed=seed, fmt="parquet")
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)
    return folder


def tile_events(source: Path, out: Path, copies: int) -> Path:
    """Write `copies` copies of the ``events`` of folder `source` into folder `out`, with other users.

    Copy *k* appends ``-k`` to every user and referrer id, so the copies are distinct users with the same
    behaviour: every per-user figure repeats `copies` times and the stage counts scale exactly. The other
    tables and ``truths.json`` are copied as they are.
    """
    import duckdb

    from socialops.inputs.readers import sql_string

    out.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.name != "events.parquet":
            shutil.copy2(path, out / path.name)
    con = duckdb.connect()
    try:
        con.execute(
            "COPY (SELECT user_id || '-' || k AS user_id, ts, event, platform, amount, "
            f"referrer_id || '-' || k AS referrer_id FROM read_parquet({sql_string(str(source / 'events.parquet'))}), "
            f"range({int(copies)}) AS copies(k)) TO {sql_string(str(out / 'events.parquet'))} "
            "(FORMAT parquet, ROW_GROUP_SIZE 1000000)"
        )
    finally:
        con.close()
    return out


def event_rows(folder: Path) -> int:
    """Rows of the folder's ``events.parquet`` (from the file's footer)."""
    import pyarrow.parquet as pq

    return pq.read_metadata(folder / "events.parquet").num_rows


def run_tool(tool: str, data_dir: Path, as_of: str, *, threads: int = 2, memory_limit: str = "3GB",
             timeout: float = 3600) -> dict:
    """Run one tool in a fresh Python process and measure it from outside.

    Returns
    -------
    dict
        ``wall_s`` (process start to exit), ``peak_rss_mb`` (the child's peak resident memory, which it reports
        itself from ``/proc``; ``wait4``'s figure as a fallback when it fails),
        ``exit_code``, ``phases`` (import and compute seconds measured inside) and ``digest``; ``error`` when the
        process failed or timed out.
    """
    with tempfile.TemporaryDirectory(prefix="socialops-bench-") as tmp:
        result_file, err_file = Path(tmp) / "result.json", Path(tmp) / "stderr.txt"
        cmd = [sys.executable, "-m", "socialops.bench.worker", tool, str(data_dir), as_of, str(result_file),
               "--threads", str(threads), "--memory-limit", memory_limit]
        with err_file.open("w") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
            timer = threading.Timer(timeout, proc.kill)
            timer.start()
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out = {"wall_s": round(wall, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
               "exit_code": proc.returncode}
        if proc.returncode != 0 or not result_file.is_file():
            lines = err_file.read_text(errors="replace").strip().splitlines()
            out["error"] = lines[-1] if lines else f"exit code {proc.returncode}"
            return out
        # the worker's own figure wins: ru_maxrss includes this harness's memory from before the child's exec
        out.update(json.loads(result_file.read_text(encoding="utf-8")))
        out["peak_rss_mb"] = round(out["peak_rss_mb"], 1)
        return out


def machine_info() -> dict:
    """The machine and the versions the figures were measured with, including the load while measuring."""
    from importlib.metadata import PackageNotFoundError, version

    import psutil

    info = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    for package in ("duckdb", "ibis-framework", "pandas", "polars", "lifetimes", "lifelines"):
        try:
            info[package.removesuffix("-framework")] = version(package)
        except PackageNotFoundError:
            info[package.removesuffix("-framework")] = None
    return info


def compare_size(entry: dict) -> dict:
    """Whether the tools of one size agree with socialops: the differences of their digests (empty: they agree).

    The Cox fits agree when their coefficients are within `COX_REL_TOL` of each other (lifelines stops its Newton
    steps earlier than statsmodels, which socialops uses).
    """
    so, so_bg = entry.get("socialops", {}), entry.get("socialops_bgnbd", {})
    checks = {}
    for tool in OUTPUT_TOOLS:
        if "digest" in so and "digest" in entry.get(tool, {}):
            checks[f"{tool}_differences"] = differences(so["digest"], entry[tool]["digest"])[:20]
    reference = so_bg if "digest" in so_bg else so
    if "digest" in entry.get("lifetimes", {}) and "digest" in reference:
        checks["lifetimes_differences"] = differences(reference["digest"], entry["lifetimes"]["digest"])[:20]
    cox_so, cox_ll = (entry.get(t, {}).get("digest", {}) for t in ("cox_socialops", "cox_lifelines"))
    if cox_so and cox_ll:
        checks["cox_differences"] = differences(cox_so["coefs"], cox_ll["coefs"], rel_tol=COX_REL_TOL)
    return checks


def run_benchmark(sizes, out: Path, *, data_root: Path | None = None, tools=TOOLS, threads: int = 2,
                  memory_limit: str = "3GB", chapters: bool = True, fits: bool = True, samples: bool = True,
                  readme: Path | None = None, seed: int = 7, console=None) -> dict:
    """Run the benchmark and write `out` (JSON), its chart (same name, ``.png``) and the goals into `readme`.

    Parameters
    ----------
    sizes : iterable of int
        Approximate numbers of events; each is generated once under `data_root` and reused.
    out : pathlib.Path
        The JSON file to write, e.g. ``reports/bench.json``.
    data_root : pathlib.Path, optional
        Where generated data are kept (default: ``bench-data/`` beside `out`).
    tools : iterable of str
        Among `socialops.bench.tasks.TOOLS`.
    threads, memory_limit :
        The engine's worker threads and memory cap (DuckDB spills to disk beyond it).
    chapters : bool
        Also time ``socialops run`` of every chapter (client edition, ``--jobs 2``) at each size.
    fits : bool
        Also time the model fits: BG/NBD on a million simulated customers, and Cox (socialops and lifelines)
        on the churn chapter's rows of each size.
    samples : bool
        Also time every chapter on the samples (``data/samples``).
    readme : pathlib.Path, optional
        A README whose goals block (`socialops.bench.goals.update_readme`) to rewrite.
    seed : int
        Seed of the generated data.
    console : rich.console.Console, optional
        Where progress and the tables go.

    Returns
    -------
    dict
        What was written to `out`: ``machine``, ``settings``, ``sizes`` {size: {rows, tool: {wall_s, peak_rss_mb,
        …}, chapters, checks}}, ``fits``, ``samples`` and ``goals`` (`socialops.bench.goals.evaluate`).
    """
    from rich.console import Console

    console = console or Console(stderr=True)
    out = Path(out)
    data_root = Path(data_root) if data_root else out.parent / "bench-data"
    report = {
        "machine": machine_info(),
        "settings": {"threads": threads, "memory_limit": memory_limit, "seed": seed, "tools": list(tools)},
        "sizes": {},
    }
    for size in sizes:
        report["sizes"][str(size)] = _measure_size(size, data_root, tools, threads, memory_limit, chapters, fits,
                                                   seed, console)
    if fits:
        with console.status(f"fitting BG/NBD to {FIT_CUSTOMERS:,} simulated customers"):
            customers = ensure_bgnbd_customers(data_root, FIT_CUSTOMERS, seed)
            report["fits"] = {"bgnbd": _fit_result(run_tool("fit_bgnbd", customers, "-", threads=threads))}
    if samples:
        folder = Path(__file__).resolve().parents[3] / "data" / "samples"
        with console.status("every chapter on the samples"):
            report["samples"] = run_chapters(folder) if folder.is_dir() else {"error": f"no samples at {folder}"}
    report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    report["goals"] = evaluate(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    tmp.replace(out)
    draw_chart(report, out.with_suffix(".png"))
    console.print(summary_table(report))
    console.print(goals_table(report["goals"]))
    events = [entry["rows"] for entry in report["sizes"].values()]
    if readme is not None and not update_readme(readme, report["goals"], report["machine"],
                                                time.strftime("%Y-%m-%d", time.gmtime()), events):
        console.print(f"[yellow]{readme} has no goals block; not rewritten[/yellow]")
    return report


def _measure_size(size: int, data_root: Path, tools, threads: int, memory_limit: str, chapters: bool, fits: bool,
                  seed: int, console) -> dict:
    """Every measurement at one size of events: the tools, the Cox fits and the whole chapter run."""
    with console.status(f"generating about {size:,} events"):
        folder = ensure_events(data_root, size, seed)
    as_of = json.loads((folder / "truths.json").read_text(encoding="utf-8"))["as_of"]
    entry = {"rows": event_rows(folder)}
    in_memory = entry["rows"] <= IN_MEMORY_MAX_ROWS
    runs = list(tools) + ([t for t in FIT_TOOLS if t.startswith("cox_")] if fits and in_memory else [])
    for tool in runs:
        if tool in IN_MEMORY_TOOLS and not in_memory:
            entry[tool] = {"skipped": f"in-memory tools are not run above {IN_MEMORY_MAX_ROWS:,} events"}
            continue
        with console.status(f"{size:,} events: {tool}"):
            source = folder
            if tool.startswith("cox_"):
                source = ensure_cox_rows(folder, pd.Timestamp(as_of), threads=threads, memory_limit=memory_limit)
            entry[tool] = run_tool(tool, source, as_of, threads=threads, memory_limit=memory_limit)
        if "error" in entry[tool]:
            console.print(f"[red]{tool} at {size:,}: {entry[tool]['error']}[/red]")
    if chapters:
        with console.status(f"{size:,} events: every chapter, client edition, --jobs 2"):
            entry["chapters"] = run_chapters(folder)
        if "error" in entry["chapters"]:
            console.print(f"[red]chapters at {size:,}: {entry['chapters']['error']}[/red]")
    entry["checks"] = compare_size(entry)
    return entry


def _fit_result(result: dict) -> dict:
    """A fit's worker result with the figures of its digest (fit seconds, estimates) lifted beside the timing."""
    return {**result, **result.get("digest", {})}


def summary_table(report: dict):
    """A rich table: per size and tool, wall seconds, peak memory, import seconds, ratio and agreement."""
    from rich.table import Table

    table = Table(title="socialops benchmark (whole process, fresh Python each run)")
    for col in ("events", "tool", "wall s", "peak RSS MiB", "import s", "vs socialops", "agrees"):
        table.add_column(col, justify="left" if col in ("tool", "agrees") else "right")
    for entry in report["sizes"].values():
        checks = entry.get("checks", {})
        base = {**{t: entry.get("socialops", {}) for t in (*OUTPUT_TOOLS, "floor")},
                "lifetimes": entry.get("socialops_bgnbd", {}), "cox_lifelines": entry.get("cox_socialops", {})}
        for tool in (t for t in (*TOOLS, *FIT_TOOLS) if t in entry and "skipped" not in entry[t]):
            r = entry[tool]
            ref = base.get(tool, {}).get("wall_s")
            ratio = f"{r['wall_s'] / ref:.2f}×" if ref and r.get("wall_s") else ""
            key = "cox_differences" if tool == "cox_lifelines" else f"{tool}_differences"
            agrees = "" if key not in checks else ("yes" if not checks[key] else "NO")
            wall, rss = r.get("wall_s"), r.get("peak_rss_mb")
            table.add_row(
                f"{entry['rows']:,}", tool, f"{wall:.2f}" if wall else r.get("error", "—"),
                f"{rss:,.0f}" if rss else "—", f"{r.get('phases', {}).get('import_s', 0):.2f}", ratio, agrees,
            )
        if "chapters" in entry:
            table.add_row(f"{entry['rows']:,}", "five chapters", *_run_cells(entry["chapters"]))
    if "samples" in report:
        table.add_row("samples", "five chapters", *_run_cells(report["samples"]))
    return table


def _run_cells(run: dict) -> tuple[str, ...]:
    """A whole chapter run's cells of the summary table: wall, summed peak memory and each chapter's seconds."""
    if "error" in run and "wall_s" not in run:
        return run["error"], "—", "", "", ""
    each = ", ".join(f"{c.split('_')[0]} {v['seconds']:.0f} s" for c, v in run.get("chapters", {}).items())
    return f"{run['wall_s']:.1f}", f"{run['peak_tree_rss_mb']:,.0f} (tree)", "", each, run.get("error", "")


def draw_chart(report: dict, path: Path) -> None:
    """Wall time and peak memory per tool and size, side by side on log scales, saved as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [
        {"events": entry["rows"], "tool": tool, "wall_s": entry[tool].get("wall_s"),
         "peak_rss_mb": entry[tool].get("peak_rss_mb")}
        for entry in report["sizes"].values() for tool in TOOLS if tool in entry and "skipped" not in entry[tool]
    ]
    df = pd.DataFrame(rows)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric, label in zip(axes, ("wall_s", "peak_rss_mb"), ("wall time (s)", "peak memory (MB)"),
                                 strict=True):
        if not df.empty:
            wide = df.pivot(index="events", columns="tool", values=metric).sort_index()
            wide = wide.reindex(columns=[t for t in TOOLS if t in set(df["tool"])])
            wide.index = [f"{rows / 1e6:.3g}M" for rows in wide.index]
            wide.plot.bar(ax=ax, rot=0, logy=True)
        ax.set_title(label)
        ax.set_xlabel("events")
    fig.suptitle("socialops (DuckDB) vs pandas, polars, DuckDB SQL, the one-scan floor and lifetimes, whole process")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
