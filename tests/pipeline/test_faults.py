"""Runs die whole: ``socialops run`` killed at random moments (SIGKILL, SIGTERM, SIGINT) leaves each chapter with
its previous set of files, its new set or its error page alone, and no process of the run outlives it.

Small fixture notebooks stand for the chapters; each run writes its generation number into every file of a set
(JSON, workbook, notebook, page, figure name), so a set mixing two runs is caught.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import openpyxl
import psutil
import pytest

from tests.conftest import ROOT, SAMPLES
from tests.fixture_notebooks import write_fixture_notebook

CHAPTERS = ("01_platform_matrix", "05_crisis_postmortem")
#: Set in the environment of each run, inherited by its workers and kernels: how the test finds them.
MARK_ENV = "SOCIALOPS_TEST_RUN_MARK"
#: The kills: (seed, signal). The seed draws the moment of the kill and which chapters fail in that run.
KILLS = [(11, signal.SIGKILL), (12, signal.SIGTERM), (13, signal.SIGINT), (14, signal.SIGKILL)]


def body(generation: int, *, fail: bool, sleep: float) -> str:
    """A chapter writing `generation` into each of its files, or failing after `sleep` seconds."""
    lines = ["import time", "import pandas as pd", "import matplotlib.pyplot as plt", f"time.sleep({sleep:.2f})"]
    if fail:
        lines.append(f'raise RuntimeError("planted failure {generation}")')
    lines += [f'rep.result("gen", {generation})', f'rep.show(pd.DataFrame({{"gen": [{generation}]}}), "gen")',
              "fig, ax = plt.subplots()", f'rep.figure(fig, "gen{generation}")', f'print("generation {generation}")']
    return "\n".join(lines)


def start_run(out: Path, mark: str) -> subprocess.Popen:
    """``python -m socialops run`` of both chapters, its processes marked with `mark`."""
    args = [sys.executable, "-m", "socialops", "run", *[c.split("_", 1)[1] for c in CHAPTERS], "--data",
            str(SAMPLES), "--out", str(out), "--jobs", "2"]
    return subprocess.Popen(args, cwd=ROOT, env={**os.environ, MARK_ENV: mark}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def marked(mark: str) -> list[psutil.Process]:
    """The live processes of the run marked `mark` (zombies are dead: only their exit status remains)."""
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if proc.status() != psutil.STATUS_ZOMBIE and proc.environ().get(MARK_ENV) == mark:
                found.append(proc)
    return found


def survivors(mark: str, seconds: float) -> list[str]:
    """The command lines of the run's processes still alive after up to `seconds`."""
    deadline = time.monotonic() + seconds
    while (alive := marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return [" ".join(p.cmdline()) for p in alive]


def kill_marked(mark: str) -> None:
    """Clean-up after a failed assertion: no process of this test survives it."""
    for proc in marked(mark):
        with contextlib.suppress(psutil.Error):
            proc.kill()


def chapter_state(out: Path, chapter: str) -> tuple[str, int | None]:
    """``("set", generation)`` for a complete set of one run, ``("error", None)`` for an error page alone."""
    names = {p.name for p in out.iterdir() if p.name.startswith(chapter)}
    page = (out / f"{chapter}.html").read_text(encoding="utf-8")
    if names == {f"{chapter}.html"}:
        assert "could not be completed" in page, f"{chapter}: a page alone that is no error page"
        return "error", None
    assert names == {f"{chapter}{s}" for s in (".html", ".json", ".ipynb", ".xlsx", ".pptx", "_figures")}, names
    generation = json.loads((out / f"{chapter}.json").read_text(encoding="utf-8"))["gen"]
    cells = {cell for row in openpyxl.load_workbook(out / f"{chapter}.xlsx").active.iter_rows(values_only=True)
             for cell in row}
    assert generation in cells, f"{chapter}: workbook of another run than its JSON"
    assert [p.name for p in (out / f"{chapter}_figures").iterdir()] == [f"gen{generation}.png"], chapter
    for name in (f"{chapter}.html", f"{chapter}.ipynb"):
        text = (out / name).read_text(encoding="utf-8")
        assert f"generation {generation}" in text, f"{name}: of another run than its JSON"
    return "set", generation


def write_notebooks(notebooks: Path, generation: int, rng: random.Random) -> dict[str, tuple[str, int | None]]:
    """This run's notebooks; returns the state each chapter ends in if the run completes."""
    outcome = {}
    for chapter in CHAPTERS:
        fail = rng.random() < 0.3
        write_fixture_notebook(notebooks, chapter, body(generation, fail=fail, sleep=rng.uniform(0, 2)))
        outcome[chapter] = ("error", None) if fail else ("set", generation)
    return outcome


def index_status(out: Path, chapter: str) -> str:
    page = (out / "index.html").read_text(encoding="utf-8").split("</style>", 1)[1]
    card = page.split(f'href="{chapter}.html"', 1)[1].split("</section>", 1)[0]
    return card.split('class="status status-', 1)[1].split('"', 1)[0]


@pytest.fixture
def notebooks(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    monkeypatch.setenv("SOCIALOPS_NOTEBOOK_DIR", str(folder))
    monkeypatch.setenv("SOCIALOPS_THREADS", "1")
    return folder


def complete_run(out: Path, notebooks: Path, generation: int) -> tuple[dict, float]:
    """A run left to finish, both chapters succeeding; returns the chapters' states and the run's seconds."""
    for chapter in CHAPTERS:
        write_fixture_notebook(notebooks, chapter, body(generation, fail=False, sleep=0))
    mark, start = uuid.uuid4().hex, time.monotonic()
    process = start_run(out, mark)
    try:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        assert not survivors(mark, 10)
    finally:
        kill_marked(mark)
    states = {c: chapter_state(out, c) for c in CHAPTERS}
    assert states == {c: ("set", generation) for c in CHAPTERS}
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")], "leftovers after a complete run"
    return states, time.monotonic() - start


def test_runs_killed_at_random_moments_leave_whole_sets_and_no_process(tmp_path, notebooks):
    out = tmp_path / "out"
    states, seconds = complete_run(out, notebooks, generation=1)
    for generation, (seed, signum) in enumerate(KILLS, start=2):
        rng = random.Random(seed)
        if_complete = write_notebooks(notebooks, generation, rng)
        mark = uuid.uuid4().hex
        process = start_run(out, mark)
        try:
            # the k-th kill falls in the k-th quarter of a run's time: from start-up to publishing and the index
            delay = seconds * 1.1 * rng.uniform(generation - 2, generation - 1) / len(KILLS)
            time.sleep(delay)
            where = f"seed {seed}, {signum!r} after {delay:.1f} s"
            process.send_signal(signum)
            _, stderr = process.communicate(timeout=120)
            left = survivors(mark, 15)
            assert not left, f"{where}: processes outlived the run: {left}"
        finally:
            kill_marked(mark)
        for chapter in CHAPTERS:
            state = chapter_state(out, chapter)
            assert state in (states[chapter], if_complete[chapter]), f"{where}: {chapter} {state}"
            states[chapter] = state
        if "stopped by a signal" in stderr:  # the stop reached a run under way: its documented code and index
            assert process.returncode == 128 + signum
            for chapter in CHAPTERS:
                assert index_status(out, chapter) == ("ok" if states[chapter][0] == "set" else "failed")
    complete_run(out, notebooks, generation=len(KILLS) + 2)  # and the next run leaves no stage folder


def test_a_run_killed_outright_stops_its_worker_and_kernel_before_they_write(tmp_path, notebooks):
    out = tmp_path / "out"
    for chapter in CHAPTERS:
        write_fixture_notebook(notebooks, chapter, body(2, fail=False, sleep=6))
    mark = uuid.uuid4().hex
    process = start_run(out, mark)
    try:
        deadline = time.monotonic() + 120
        while not any("ipykernel_launcher" in " ".join(p.cmdline()) for p in marked(mark)):
            assert time.monotonic() < deadline and process.poll() is None, "the run never reached its kernels"
            time.sleep(0.2)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        assert not survivors(mark, 10), "a worker or kernel outlived the run"
        time.sleep(8)  # past the sleeping cell: a kernel or worker left running would have written by now
    finally:
        kill_marked(mark)
    assert list(out.iterdir()) == []  # no report, no index, and the workers removed their staging folders
