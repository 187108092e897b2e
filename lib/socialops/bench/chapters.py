"""Whole chapter runs timed as a user waits for them: ``socialops run`` with the memory of its whole process tree.

The run's command-line process starts the chapters' workers and their kernels; the peak memory that matters is that
of all of them together, so the tree is polled (psutil) and the resident memory of its processes summed at each
poll. Pages shared between processes count once per process, as a memory cap on the tree would count them.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

#: How often the process tree's memory is read. A peak shorter than this can be missed; chapters hold their
#: memory for seconds.
POLL_SECONDS = 0.1
#: A line the command prints per chapter when its error output is not a terminal: "02_lifecycle: ok (12.3 s)".
_OUTCOME = re.compile(r"^(?P<chapter>\S+): (?P<status>[a-z]+) \((?P<seconds>[0-9.]+) s\)$")


def tree_rss_mb(proc: psutil.Process) -> float:
    """Summed resident memory of `proc` and all its descendants, in MiB (processes that just ended count 0)."""
    total = 0
    for p in [proc, *_children(proc)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total / 2**20


def _children(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def chapter_outcomes(stderr: str) -> dict[str, dict]:
    """The status and seconds of each chapter from the run's error output: ``{chapter: {status, seconds}}``."""
    out = {}
    for line in stderr.splitlines():
        match = _OUTCOME.match(line.strip())
        if match:
            out[match["chapter"]] = {"status": match["status"], "seconds": float(match["seconds"])}
    return out


def run_chapters(data_dir: Path, *, jobs: int = 2, audience: str = "client", timeout: float = 3600,
                 poll_seconds: float = POLL_SECONDS) -> dict:
    """Run every chapter on `data_dir` with ``socialops run`` and measure it from outside.

    Parameters
    ----------
    data_dir : pathlib.Path
        The data folder; every chapter whose tables it holds runs.
    jobs : int
        Chapters run at once (``--jobs``).
    audience : str
        The edition (``--audience``): client or analyst.
    timeout : float
        Seconds after which the whole tree is killed.
    poll_seconds : float
        Interval between readings of the tree's memory.

    Returns
    -------
    dict
        ``wall_s``, ``peak_tree_rss_mb`` (MiB), ``chapters`` ({chapter: {status, seconds}}), ``exit_code``, ``jobs``,
        ``audience``; ``error`` when the run failed or timed out.
    """
    with tempfile.TemporaryDirectory(prefix="socialops-bench-run-") as tmp:
        err_path = Path(tmp) / "stderr.txt"
        cmd = [sys.executable, "-m", "socialops.cli", "run", "--data", str(data_dir), "--out", str(Path(tmp) / "out"),
               "--jobs", str(jobs), "--audience", audience]
        peak, timed_out = 0.0, False
        with err_path.open("w") as err:
            start = time.perf_counter()
            proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
            while proc.poll() is None:
                peak = max(peak, tree_rss_mb(proc))
                if time.perf_counter() - start > timeout:
                    timed_out = True
                    _kill_tree(proc)
                    break
                time.sleep(poll_seconds)
            code = proc.wait()
            wall = time.perf_counter() - start
        stderr = err_path.read_text(errors="replace")
    out = {"wall_s": round(wall, 3), "peak_tree_rss_mb": round(peak, 1), "chapters": chapter_outcomes(stderr),
           "exit_code": code, "jobs": jobs, "audience": audience}
    if timed_out:
        out["error"] = f"timed out after {timeout:g} s"
    elif code:
        out["error"] = (stderr.strip().splitlines() or [f"exit code {code}"])[-1]
    return out


def _kill_tree(proc: psutil.Process) -> None:
    """Kill the run and every process it started, children first."""
    for p in [*_children(proc), proc]:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            continue
