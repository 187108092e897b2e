"""The runner's promises, each shown with a small notebook built for the behaviour."""

from __future__ import annotations

import json
import os

import psutil
import pytest

from socialops.pipeline.runner import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TIMEOUT,
    ChapterOutcome,
    clean_stale,
    overall_code,
)
from tests.conftest import SAMPLES, run_cli
from tests.fixture_notebooks import write_fixture_notebook


@pytest.fixture
def fixture_run(tmp_path, monkeypatch):
    """Run chapter 01 with a fixture notebook; returns (exit code, output folder, stderr)."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.setenv("SOCIALOPS_NOTEBOOK_DIR", str(notebooks))

    def run(body: str, *extra: str, exercise: str | None = None):
        write_fixture_notebook(notebooks, "01_platform_matrix", body, exercise)
        out = tmp_path / "out"
        done = run_cli("run", "platform_matrix", "--data", str(SAMPLES), "--out", str(out), *extra, timeout=300)
        return done.returncode, out, done.stderr

    return run


def test_success_writes_every_output(fixture_run):
    code, out, _ = fixture_run('rep.result("answer", 42)\nrep.headline("Answer", 42)')
    assert code == 0
    for name in ("01_platform_matrix.html", "01_platform_matrix.json", "01_platform_matrix.ipynb", "index.html"):
        assert (out / name).is_file(), name
    results = json.loads((out / "01_platform_matrix.json").read_text(encoding="utf-8"))
    assert results["answer"] == 42 and results["chapter"] == "01_platform_matrix"
    assert {"socialops_version", "generated_at", "params", "inputs", "engine", "as_of"} <= set(results)
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "staging files left behind"


def test_raising_cell_gives_exit_3_and_names_the_cell(fixture_run):
    code, out, stderr = fixture_run('raise ValueError("planted failure")')
    assert code == 3
    page = (out / "01_platform_matrix.html").read_text(encoding="utf-8")
    assert "cell 5" in page and "planted failure" in page
    assert not (out / "01_platform_matrix.json").exists()
    assert "planted failure" in stderr


def test_sys_exit_zero_counts_as_failure(fixture_run):
    code, out, _ = fixture_run("import sys\nsys.exit(0)")
    assert code == 3
    assert not (out / "01_platform_matrix.json").exists()


def test_hung_cell_times_out_with_exit_4_and_leaves_no_kernel(fixture_run):
    before = {p.pid for p in psutil.process_iter()}
    code, out, _ = fixture_run("import time\ntime.sleep(600)", "--timeout", "25")
    assert code == 4
    assert "25" in (out / "01_platform_matrix.html").read_text(encoding="utf-8")
    # only this test's kernels (they run in its notebook folder): other tests may run kernels meanwhile
    leftovers = [p for p in psutil.process_iter(["cmdline", "cwd"]) if p.pid not in before
                 and "ipykernel_launcher" in " ".join(p.info["cmdline"] or [])
                 and p.info["cwd"] == os.environ["SOCIALOPS_NOTEBOOK_DIR"]]
    assert not leftovers


def test_killed_kernel_gives_exit_4(fixture_run):
    code, _, _ = fixture_run("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    assert code == 4


def test_a_worker_killed_from_outside_leaves_its_error_page_alone_and_no_kernel(fixture_run):
    # the kernel kills its own worker: the kernel's lifeline must end it, the run must publish the error page
    code, out, stderr = fixture_run("import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(60)")
    assert code == 4 and "kernel" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["01_platform_matrix.html", "index.html", "summary.pptx"]
    assert "status-timeout" in (out / "index.html").read_text(encoding="utf-8").split("</style>")[1]
    kernels = [p for p in psutil.process_iter(["cmdline", "cwd"]) if "ipykernel_launcher" in " ".join(
        p.info["cmdline"] or []) and p.info["cwd"] == os.environ["SOCIALOPS_NOTEBOOK_DIR"]]
    assert not kernels


def test_unknown_parameter_stops_before_anything_runs(fixture_run):
    code, out, stderr = fixture_run("rep.result('x', 1)", "-p", "nosuch=1")
    assert code == 2
    assert "nosuch" in stderr and "lang" in stderr  # names the bad one and lists the valid ones
    assert not out.exists() or not any(out.iterdir())


def test_a_timed_out_chapter_has_its_error_page_alone(fixture_run):
    code, out, _ = fixture_run('import pandas as pd\nrep.result("answer", 1)\nrep.show(pd.DataFrame({"a": [1]}), "t")')
    assert code == 0 and (out / "01_platform_matrix.xlsx").is_file()
    code, out, stderr = fixture_run("import time\ntime.sleep(600)", "--timeout", "20")
    assert code == 4, stderr
    # the previous JSON, workbook and notebook are gone: they would read as this run's
    assert sorted(p.name for p in out.iterdir()) == ["01_platform_matrix.html", "index.html", "summary.pptx"]
    assert "status-timeout" in (out / "index.html").read_text(encoding="utf-8").split("</style>")[1]


def test_client_runs_leave_out_the_course_exercises(fixture_run):
    exercise = 'raise RuntimeError("an exercise ran")'
    code, out, _ = fixture_run('rep.result("answer", 42)', exercise=exercise)
    assert code == 0
    notebook = json.loads((out / "01_platform_matrix.ipynb").read_text(encoding="utf-8"))
    assert "an exercise ran" not in json.dumps(notebook)
    code, _, stderr = fixture_run('rep.result("answer", 42)', "--audience", "analyst", exercise=exercise)
    assert code == 3 and "an exercise ran" in stderr  # analysts (and the course) run them


# ------------------------------------------------------------------------------------- without a kernel
def test_overall_code_is_the_highest_and_status_names_it():
    outcomes = [ChapterOutcome("a", EXIT_OK, 1.0), ChapterOutcome("b", EXIT_TIMEOUT, 2.0),
                ChapterOutcome("c", EXIT_FAILED, 3.0)]
    assert overall_code(outcomes) == EXIT_TIMEOUT and overall_code([]) == EXIT_OK
    assert [o.status for o in outcomes] == ["ok", "timeout", "failed"]


def test_clean_stale_removes_only_the_leftovers_of_finished_processes(tmp_path):
    dead = next(pid for pid in range(4_000_000, 4_100_000) if not psutil.pid_exists(pid))
    live = os.getpid()
    stale = [tmp_path / f".02_lifecycle.stage-{dead}-abc", tmp_path / f".index.html.tmp-{dead}"]
    kept = [tmp_path / f".02_lifecycle.stage-{live}-xyz", tmp_path / "02_lifecycle.html", tmp_path / ".hidden"]
    stale[0].mkdir()
    kept[0].mkdir()
    for path in (stale[1], *kept[1:]):
        path.write_text("x", encoding="utf-8")
    assert sorted(clean_stale(tmp_path)) == sorted(stale)
    assert sorted(tmp_path.iterdir()) == sorted(kept)
    assert clean_stale(tmp_path / "nowhere") == []


def test_clean_stale_finishes_a_publication_its_dead_process_had_committed(tmp_path):
    from socialops.pipeline import publish

    dead = next(pid for pid in range(4_000_000, 4_100_000) if not psutil.pid_exists(pid))
    (tmp_path / "02_lifecycle.json").write_text("old", encoding="utf-8")
    (tmp_path / "02_lifecycle.xlsx").write_text("old", encoding="utf-8")
    stage = tmp_path / f".02_lifecycle.stage-{dead}-abc"
    committed = stage / publish.COMMITTED_SET
    committed.mkdir(parents=True)
    # killed after moving the JSON: the new page is still staged, the old workbook not yet removed
    (committed / publish.MANIFEST).write_text(json.dumps(["02_lifecycle.html", "02_lifecycle.json"]),
                                              encoding="utf-8")
    (committed / "02_lifecycle.html").write_text("new", encoding="utf-8")
    (tmp_path / "02_lifecycle.json").write_text("new", encoding="utf-8")
    assert clean_stale(tmp_path) == [stage]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["02_lifecycle.html", "02_lifecycle.json"]
    assert (tmp_path / "02_lifecycle.html").read_text(encoding="utf-8") == "new"


def test_chapters_side_by_side_share_the_run_s_engine_memory(monkeypatch, tmp_path):
    from socialops.pipeline import runner

    seen = {}

    def fake(job, *, threads=None, stop=None, memory=None):
        seen[job.chapter] = (threads, memory)
        return runner.ChapterOutcome(job.chapter, 0, 0.0)

    monkeypatch.setattr(runner, "run_in_worker", fake)
    monkeypatch.delenv("SOCIALOPS_MEMORY_LIMIT", raising=False)
    jobs = [runner.ChapterJob(name, {}, tmp_path) for name in ("a", "b", "c")]
    runner.run_chapters(jobs, parallel=2)
    assert {memory for _, memory in seen.values()} == {f"{runner.memory_share(2)}"} == {"900MB"}
    runner.run_chapters(jobs[:1], parallel=2)  # one chapter alone has the whole budget
    assert seen["a"][1] == "1800MB"
    monkeypatch.setenv("SOCIALOPS_MEMORY_LIMIT", "6GB")  # the user's setting stands for each chapter
    runner.run_chapters(jobs, parallel=2)
    assert {memory for _, memory in seen.values()} == {None}
