"""One benchmark run of one tool, meant to be the whole of a fresh process (imports included).

``python -m socialops.bench.worker TOOL DATA_DIR AS_OF RESULT_JSON [--threads N] [--memory-limit M]`` computes
the tool's outputs and writes ``{"digest": …, "phases": {"import_s": …, "compute_s": …}}`` to RESULT_JSON.
"""

from __future__ import annotations

import time

_START = time.perf_counter()

import argparse  # noqa: E402  (the clock starts before any import)
import json  # noqa: E402
from pathlib import Path  # noqa: E402


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

    as_of = pd.Timestamp(args.as_of)
    imported = time.perf_counter()
    if args.tool in ("socialops", "socialops_bgnbd"):
        outputs = ("bgnbd",) if args.tool == "socialops_bgnbd" else ("stages", "rfm", "cohorts", "bgnbd")
        result = tasks.run_socialops(
            args.data_dir, as_of, outputs, threads=args.threads, memory_limit=args.memory_limit
        )
    elif args.tool == "pandas":
        result = tasks.run_pandas(args.data_dir, as_of)
    elif args.tool == "lifetimes":
        result = tasks.run_lifetimes(args.data_dir, as_of)
    else:
        parser.error(f"unknown tool {args.tool!r}; one of {', '.join(tasks.TOOLS)}")
    done = time.perf_counter()
    phases = {"import_s": imported - _START, "compute_s": done - imported}
    payload = {"digest": result, "phases": phases, "peak_rss_mb": peak_rss_mb()}
    args.result.write_text(json.dumps(payload), encoding="utf-8")


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
