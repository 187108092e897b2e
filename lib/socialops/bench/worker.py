"""One benchmark run of one tool, meant to be the whole of a fresh process (imports included).

``python -m socialops.bench.worker TOOL DATA_DIR AS_OF RESULT_JSON [--threads N] [--memory-limit M]`` computes
the tool's outputs and writes ``{"digest": …, "phases": {"import_s": …, "compute_s": …}}`` to RESULT_JSON.
The fits (``FIT_TOOLS``) read their rows from a Parquet file given as DATA_DIR instead: the simulated customers
for ``fit_bgnbd`` (whose AS_OF is ``-``), the churn chapter's rows (`socialops.bench.fits.ensure_cox_rows`) for the
Cox fits.
"""

from __future__ import annotations

import time

_START = time.perf_counter()

import argparse  # noqa: E402  (the clock starts before any import)
import json  # noqa: E402
from pathlib import Path  # noqa: E402

#: The model fits a worker runs besides the tools of ``socialops.bench.tasks.TOOLS``.
FIT_TOOLS = ("fit_bgnbd", "cox_socialops", "cox_lifelines")


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, run the tool, write its result file."""
    parser = argparse.ArgumentParser(prog="python -m socialops.bench.worker")
    parser.add_argument("tool")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("as_of")
    parser.add_argument("result", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="3GB")
    args = parser.parse_args(argv)

    import pandas as pd

    from socialops.bench import tasks

    as_of = None if args.as_of == "-" else pd.Timestamp(args.as_of)  # the fits need no date
    imported = time.perf_counter()
    if args.tool not in (*tasks.TOOLS, *FIT_TOOLS):
        parser.error(f"unknown tool {args.tool!r}; one of {', '.join(tasks.TOOLS + FIT_TOOLS)}")
    result = compute(args.tool, args.data_dir, as_of, threads=args.threads, memory_limit=args.memory_limit)
    done = time.perf_counter()
    phases = {"import_s": imported - _START, "compute_s": done - imported}
    payload = {"digest": result, "phases": phases, "peak_rss_mb": peak_rss_mb()}
    args.result.write_text(json.dumps(payload), encoding="utf-8")


def compute(tool: str, data_dir: Path, as_of, threads: int, memory_limit: str) -> dict:
    """The result of one tool (a `socialops.bench.tasks.TOOLS` or a `FIT_TOOLS` name) on `data_dir`."""
    from socialops.bench import fits, tasks

    engine = {"threads": threads, "memory_limit": memory_limit}
    runs = {
        "socialops": lambda: tasks.run_socialops(data_dir, as_of, ("stages", "rfm", "cohorts", "bgnbd"), **engine),
        "socialops_bgnbd": lambda: tasks.run_socialops(data_dir, as_of, ("bgnbd",), **engine),
        "pandas": lambda: tasks.run_pandas(data_dir, as_of),
        "polars": lambda: tasks.run_polars(data_dir, as_of),
        "duckdb_sql": lambda: tasks.run_sql(data_dir, as_of, **engine),
        "floor": lambda: tasks.run_floor(data_dir, **engine),
        "lifetimes": lambda: tasks.run_lifetimes(data_dir, as_of),
        "fit_bgnbd": lambda: fits.run_bgnbd_fit(data_dir),
        "cox_socialops": lambda: fits.run_cox(data_dir, "socialops"),
        "cox_lifelines": lambda: fits.run_cox(data_dir, "lifelines"),
    }
    return runs[tool]()


def peak_rss_mb() -> float:
    """Peak resident memory of the current process in MB.

    Linux's ``VmHWM`` is the high-water mark of the current address space, which starts afresh at ``exec``.
    ``getrusage`` is not used: its ``ru_maxrss`` carries over the parent's peak from before the ``exec``, so every
    worker would report at least the harness's own memory.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


if __name__ == "__main__":
    main()
