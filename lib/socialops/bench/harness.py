"""The benchmark harness: events at each size, every tool timed in a fresh process.

It generates the events, checks that the tools agree, and writes ``bench.json``, a chart beside it and a table on
the terminal.
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

from socialops.bench.tasks import TOOLS, differences

#: Events per user the sample generator makes on average (measured on its output), to size a run by rows.
EVENTS_PER_USER = 9.65
DEFAULT_SIZES = (1_000_000, 10_000_000)
#: Larger sizes are copies of a generation of this size (see `ensure_events`).
GENERATED_MAX_ROWS = 10_000_000
#: Above this many events the in-memory tools (pandas, lifetimes) are not run: at 100M rows their frames alone
#: outgrow a 24 GB machine.
IN_MEMORY_MAX_ROWS = 30_000_000
#: The goals of the benchmark (README "Performance").
GOALS = {"speedup_vs_pandas": 5.0, "memory_vs_pandas": 0.5, "speedup_vs_lifetimes": 10.0,
         "seconds_at_100m": 120.0, "memory_cap_mb": 4096.0, "suite_seconds": 30.0}


def parse_sizes(text: str | None) -> list[int]:
    """Sizes from text such as ``"1000000,10000000"`` (``1e6`` and ``_`` separators allowed); default 1M, 10M."""
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
    import duckdb
    import ibis
    import psutil

    info = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "ibis": ibis.__version__,
        "pandas": pd.__version__,
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        import lifetimes

        info["lifetimes"] = lifetimes.__version__
    except ImportError:
        info["lifetimes"] = None
    return info


def time_suite(data_dir: Path, jobs: int = 2, timeout: float = 1800) -> dict:
    """Wall time of ``socialops run`` of every chapter on `data_dir` with `jobs` parallel chapters."""
    with tempfile.TemporaryDirectory(prefix="socialops-bench-suite-") as tmp:
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "socialops.cli", "run", "--data", str(data_dir), "--out", tmp,
                 "--jobs", str(jobs)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=timeout,
            )
        except subprocess.TimeoutExpired:  # the figures measured so far are still written
            return {"error": f"timed out after {timeout:g} s", "jobs": jobs}
        out = {"wall_s": round(time.perf_counter() - start, 3), "jobs": jobs, "exit_code": proc.returncode}
        if proc.returncode:
            out["error"] = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        return out


def _ratio(num, den):
    return round(num / den, 2) if num and den else None


def compare_size(results: dict) -> dict:
    """Agreement and the goal ratios of one size's tool results."""
    so, pdx, lt, so_bg = (results.get(t, {}) for t in ("socialops", "pandas", "lifetimes", "socialops_bgnbd"))
    checks = {}
    if "digest" in so and "digest" in pdx:
        checks["pandas_differences"] = differences(so["digest"], pdx["digest"])[:20]
    if "digest" in lt and "digest" in (so_bg or so):
        checks["lifetimes_differences"] = differences((so_bg or so)["digest"], lt["digest"])[:20]
    ratios = {
        "within_memory_cap": so.get("peak_rss_mb") is not None and so["peak_rss_mb"] <= GOALS["memory_cap_mb"],
        "speedup_vs_pandas": _ratio(pdx.get("wall_s"), so.get("wall_s")),
        "memory_vs_pandas": _ratio(so.get("peak_rss_mb"), pdx.get("peak_rss_mb")),
        "speedup_vs_lifetimes": _ratio(lt.get("wall_s"), so_bg.get("wall_s")),
    }
    return {**checks, **ratios}


def run_benchmark(sizes, out: Path, *, data_root: Path | None = None, tools=TOOLS, threads: int = 2,
                  memory_limit: str = "3GB", suite: bool = True, seed: int = 7, console=None) -> dict:
    """Run the benchmark and write `out` (JSON) and its chart (same name, ``.png``).

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
    suite : bool
        Also time every chapter on the samples (``socialops run --jobs 2``).
    seed : int
        Seed of the generated data.
    console : rich.console.Console, optional
        Where progress and the table go.

    Returns
    -------
    dict
        What was written to `out`: ``machine``, ``settings``, ``goals``, ``sizes`` {rows: {tool: {wall_s,
        peak_rss_mb, …}, "checks": …}} and ``suite``.
    """
    from rich.console import Console

    console = console or Console(stderr=True)
    out = Path(out)
    data_root = Path(data_root) if data_root else out.parent / "bench-data"
    report = {
        "machine": machine_info(),
        "settings": {"threads": threads, "memory_limit": memory_limit, "seed": seed, "tools": list(tools)},
        "goals": GOALS,
        "sizes": {},
    }
    for size in sizes:
        with console.status(f"generating about {size:,} events"):
            folder = ensure_events(data_root, size, seed)
        as_of = json.loads((folder / "truths.json").read_text(encoding="utf-8"))["as_of"]
        entry = {"rows": event_rows(folder)}
        for tool in tools:
            if not tool.startswith("socialops") and entry["rows"] > IN_MEMORY_MAX_ROWS:
                entry[tool] = {"skipped": f"in-memory tools are not run above {IN_MEMORY_MAX_ROWS:,} events"}
                continue
            with console.status(f"{size:,} events: {tool}"):
                entry[tool] = run_tool(tool, folder, as_of, threads=threads, memory_limit=memory_limit)
            if "error" in entry[tool]:
                console.print(f"[red]{tool} at {size:,}: {entry[tool]['error']}[/red]")
        entry["checks"] = compare_size(entry)
        report["sizes"][str(size)] = entry
    if suite:
        samples = Path(__file__).resolve().parents[3] / "data" / "samples"
        with console.status("every chapter on the samples"):
            report["suite"] = time_suite(samples) if samples.is_dir() else {"error": f"no samples at {samples}"}
    report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    tmp.replace(out)
    draw_chart(report, out.with_suffix(".png"))
    console.print(summary_table(report))
    return report


def summary_table(report: dict):
    """A rich table: per size and tool, wall seconds, peak memory and the ratios to socialops."""
    from rich.table import Table

    table = Table(title="socialops benchmark (whole process, fresh Python each run)")
    for col in ("events", "tool", "wall s", "peak RSS MB", "import s", "vs socialops", "agrees"):
        table.add_column(col, justify="left" if col in ("tool", "agrees") else "right")
    for entry in report["sizes"].values():
        checks = entry.get("checks", {})
        base = {"pandas": entry.get("socialops", {}), "lifetimes": entry.get("socialops_bgnbd", {})}
        for tool in (t for t in TOOLS if t in entry and "skipped" not in entry[t]):
            r = entry[tool]
            ref = base.get(tool, {}).get("wall_s")
            ratio = f"{r['wall_s'] / ref:.1f}× slower" if ref and r.get("wall_s") else ""
            key = {"pandas": "pandas_differences", "lifetimes": "lifetimes_differences"}.get(tool)
            agrees = "" if key is None or key not in checks else ("yes" if not checks[key] else "NO")
            wall, rss = r.get("wall_s"), r.get("peak_rss_mb")
            table.add_row(
                f"{entry['rows']:,}", tool, f"{wall:.2f}" if wall else r.get("error", "—"),
                f"{rss:,.0f}" if rss else "—", f"{r.get('phases', {}).get('import_s', 0):.2f}", ratio, agrees,
            )
    if "suite" in report:
        s = report["suite"]
        table.caption = f"five chapters on the samples, --jobs {s.get('jobs', 2)}: {s.get('wall_s')} s (exit {s.get('exit_code')})"
    return table


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
    fig.suptitle("socialops (DuckDB) vs pandas vs lifetimes, whole process")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
