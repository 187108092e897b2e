"""Whole chapter runs measured from outside: each chapter's outcome, and the memory of the whole process tree."""

from __future__ import annotations

import sys
import time

import psutil

from socialops.bench import chapters


def test_chapter_outcomes_are_read_from_the_runs_lines():
    stderr = ("02_lifecycle: ok (12.3 s)\nsome warning: (not a chapter)\n04_churn: timeout (600.0 s)\n"
              "  05_crisis_postmortem: failed (1.5 s)  \n")
    assert chapters.chapter_outcomes(stderr) == {
        "02_lifecycle": {"status": "ok", "seconds": 12.3},
        "04_churn": {"status": "timeout", "seconds": 600.0},
        "05_crisis_postmortem": {"status": "failed", "seconds": 1.5},
    }


def test_tree_memory_sums_the_children():
    # a parent whose child holds 300 MiB: the tree holds at least that, the parent alone far less
    child = "import time; block = bytearray(300 * 2**20); time.sleep(30)"
    proc = psutil.Popen([sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and chapters.tree_rss_mb(proc) < 300:
            time.sleep(0.2)
        assert chapters.tree_rss_mb(proc) >= 300
        assert proc.memory_info().rss / 2**20 < 100
    finally:
        for p in [*proc.children(recursive=True), proc]:
            p.kill()
        proc.wait()


def test_a_run_that_fails_reports_its_error_and_memory(tmp_path):
    result = chapters.run_chapters(tmp_path, poll_seconds=0.05)
    assert result["exit_code"] == 2 and result["chapters"] == {}
    assert result["error"] and result["wall_s"] > 0 and result["peak_tree_rss_mb"] > 20
    assert (result["jobs"], result["audience"]) == (2, "client")


def test_a_run_past_its_time_is_killed_with_its_children(tmp_path):
    start = time.monotonic()
    result = chapters.run_chapters(tmp_path, timeout=0.5, poll_seconds=0.05)
    assert time.monotonic() - start < 10
    assert result["error"] == "timed out after 0.5 s" and result["exit_code"] != 0
    assert not _living_runs()


def _living_runs() -> list[psutil.Process]:
    """This process's descendants that are still a running socialops command (a zombie has ended already)."""
    living = []
    for process in psutil.Process().children(recursive=True):
        try:
            if "socialops.cli" in " ".join(process.cmdline()):
                living.append(process)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return living


def test_the_command_runs_the_client_edition_with_two_jobs(tmp_path, monkeypatch):
    seen = {}

    class Finished:
        def __init__(self, cmd, **kwargs):
            seen["cmd"] = cmd
            self.returncode = 0

        def poll(self):
            return 0

        def wait(self):
            return 0

    monkeypatch.setattr(chapters.psutil, "Popen", Finished)
    chapters.run_chapters(tmp_path)
    cmd = seen["cmd"]
    assert cmd[1:4] == ["-m", "socialops.cli", "run"]
    assert cmd[cmd.index("--jobs") + 1] == "2" and cmd[cmd.index("--audience") + 1] == "client"
    assert cmd[cmd.index("--data") + 1] == str(tmp_path)
