"""Running chapters: one worker process per chapter, executing its notebook with papermill.

A worker process isolates each chapter: a hung or crashed kernel, or a notebook that exits the interpreter, cannot
take the others down, and a per-chapter time limit can stop it with all its children. Exit codes follow DESIGN.md:
0 all chapters succeeded, 2 invalid parameters or data (nothing executed), 3 a chapter failed, 4 a chapter timed
out or its kernel died.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from socialops.chapters import notebook_path
from socialops.report import masking
from socialops.report.i18n import Translator

EXIT_OK, EXIT_INVALID, EXIT_FAILED, EXIT_TIMEOUT = 0, 2, 3, 4
KERNEL_NAME = "socialops-run"


@dataclass
class ChapterJob:
    """One chapter to run with its validated parameter values."""

    chapter: str
    params: dict
    out_dir: Path
    timeout: float | None = None


@dataclass
class ChapterOutcome:
    """What became of one chapter."""

    chapter: str
    code: int
    seconds: float
    message: str = ""
    files: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``ok``, ``failed`` or ``timeout``."""
        return {EXIT_OK: "ok", EXIT_TIMEOUT: "timeout"}.get(self.code, "failed")


def _kernel_dir() -> Path:
    """A kernelspec that runs this very interpreter, whatever other Python kernels the machine has."""
    digest = hashlib.sha256(sys.executable.encode()).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / f"socialops-kernels-{os.getuid()}-{digest}"
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    kernel = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
              "display_name": "socialops", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    return root


def skip_slow_optional_imports() -> None:
    """Keep jsonschema from loading ``rfc3987_syntax`` in this process.

    nbformat loads jsonschema, which imports that module whenever it is installed (JupyterLab brings it in) and
    spends over a second building its grammar, for an "iri" string format that notebooks never use.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def execute_chapter(job: ChapterJob) -> int:
    """Execute one chapter in this process and publish its report; return its exit code.

    Called in the worker process (``python -m socialops.pipeline.runner``).

    Parameters
    ----------
    job : ChapterJob
        The chapter, its validated parameter values and the output folder.

    Returns
    -------
    int
        ``EXIT_OK``, ``EXIT_FAILED`` (a cell raised, or the notebook did not finish) or ``EXIT_TIMEOUT`` (the
        kernel died).
    """
    import nbformat

    job.out_dir.mkdir(parents=True, exist_ok=True)
    # the process id in the name lets a later run tell a killed run's leftovers from a live one's (clean_stale)
    stage = Path(tempfile.mkdtemp(prefix=f".{job.chapter}.stage-{os.getpid()}-", dir=job.out_dir))
    _prepare_environment(stage)
    t = Translator(job.params.get("lang", "en"))
    executed = stage / "executed.ipynb"
    outcome = _execute(job, _notebook_to_run(job, stage), executed, t)
    try:
        nb = nbformat.read(str(executed), as_version=4) if executed.exists() else None
        code, detail, message = _judge(nb, stage, outcome, t)
        if code == EXIT_OK:
            _publish_report(job, stage, nb, t)
        else:
            _publish_failure(job, detail, message, t)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return code


def _prepare_environment(stage: Path) -> None:
    """Point the report at the staging folder and the kernel at this interpreter."""
    from socialops.report.report import STAGE_ENV, VALIDATED_ENV

    os.environ[STAGE_ENV] = str(stage)
    os.environ[VALIDATED_ENV] = "1"
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(_kernel_dir()), os.environ.get("JUPYTER_PATH")]))
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")


def _notebook_to_run(job: ChapterJob, stage: Path) -> Path:
    """The chapter's notebook, or for a client report a copy in `stage` without the course's exercises.

    Client reports never show the exercises, whose code re-runs analyses with other settings: leaving them out of
    the run saves that time (analysts and the course run them).
    """
    import nbformat

    from socialops.pipeline import publish

    source = notebook_path(job.chapter)
    if job.params.get("audience", "client") != "client":
        return source
    nb = nbformat.read(str(source), as_version=4)
    nb.cells = publish.without_tagged_cells(nb.cells, publish.COURSE_TAGS)
    copy = stage / source.name
    nbformat.write(nb, copy)
    return copy


def _execute(job: ChapterJob, source: Path, executed: Path, t: Translator) -> tuple[int, str, str]:
    """Run the notebook with papermill; return the exit code, what failed (for the reader) and the error."""
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(source), str(executed), parameters=job.params, kernel_name=KERNEL_NAME,
            cwd=str(notebook_path(job.chapter).parent), progress_bar=False, log_output=False,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as error:
        return EXIT_FAILED, t("error_cell", cell=error.cell_index), f"{error.ename}: {error.evalue}"
    except DeadKernelError as error:
        return EXIT_TIMEOUT, t("error_kernel"), str(error)
    return EXIT_OK, "", ""


def _judge(nb, stage: Path, outcome: tuple[int, str, str], t: Translator) -> tuple[int, str, str]:
    """The chapter's exit code, what failed and the error, from papermill's outcome and the executed notebook.

    A notebook that ended without writing its results (``sys.exit`` in a cell) failed; a failing cell is named by
    its number and the first line of its code.
    """
    from socialops.pipeline import publish

    code, detail, message = outcome
    if code == EXIT_OK and not (stage / "results.json").exists():
        code, detail = EXIT_FAILED, t("error_unfinished")
    failing = publish.executed_cell_error(nb) if nb is not None and code == EXIT_FAILED else None
    if failing:
        detail, message = t("error_cell", cell=f"{failing[0]} ({failing[1]})"), failing[2]
    return code, detail, message


def _publish_report(job: ChapterJob, stage: Path, nb, t: Translator) -> None:
    """Render the executed notebook and move the report's files from `stage` into the output folder."""
    from socialops.pipeline import publish

    audience = job.params.get("audience", "client")
    html_text = publish.render_html(nb, lang=t.lang, audience=audience, title=t(f"ch_{job.chapter}"))
    if audience == "client":
        nb = publish.scrub_notebook(nb, data_dir=str(job.params.get("data_dir", "")))
    publish.publish_stage(stage, job.out_dir, job.chapter, html_text=html_text, notebook=nb)


def _publish_failure(job: ChapterJob, detail: str, message: str, t: Translator) -> None:
    """Write the error page in place of the report and say what failed on standard error."""
    from socialops.pipeline import publish

    if job.params.get("audience", "client") == "client":
        message = masking.mask_text(message)
    page = publish.error_page(title=t(f"ch_{job.chapter}"), lang=t.lang, detail=detail, message=message)
    publish.write_text_atomic(job.out_dir / f"{job.chapter}.html", page)
    print(f"{detail} {message}".strip(), file=sys.stderr)


def _stop_tree(process: subprocess.Popen) -> None:
    """Stop a worker and every process it started (the kernel runs in a session of its own)."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    for proc in [*children, process]:
        with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
            proc.kill()
    process.wait()


def run_in_worker(job: ChapterJob, *, threads: int | None = None) -> ChapterOutcome:
    """Run one chapter in a worker process, enforcing its time limit.

    ``threads`` caps the engine's threads in that chapter (unless ``SOCIALOPS_THREADS`` is set), so that
    chapters running side by side share the cores instead of each taking all of them.
    """
    start = time.monotonic()
    payload = json.dumps({"chapter": job.chapter, "params": job.params, "out_dir": str(job.out_dir)})
    env = dict(os.environ)
    if threads and "SOCIALOPS_THREADS" not in env:
        env["SOCIALOPS_THREADS"] = str(threads)
    process = subprocess.Popen(
        [sys.executable, "-m", "socialops.pipeline.runner"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        stdout, stderr = process.communicate(payload, timeout=job.timeout)
        code = process.returncode
        if code not in (EXIT_OK, EXIT_FAILED, EXIT_TIMEOUT):
            code = EXIT_FAILED if code > 0 else EXIT_TIMEOUT  # crashed worker or killed by a signal
        message = stderr.strip().splitlines()[-1] if code and stderr.strip() else ""
    except subprocess.TimeoutExpired:
        _stop_tree(process)
        from socialops.pipeline import publish

        lang = job.params.get("lang", "en")
        t = Translator(lang)
        detail = t("error_timeout", seconds=f"{job.timeout:g}")
        publish.write_text_atomic(
            job.out_dir / f"{job.chapter}.html",
            publish.error_page(title=t(f"ch_{job.chapter}"), lang=lang, detail=detail),
        )
        code, message = EXIT_TIMEOUT, detail
    return ChapterOutcome(job.chapter, code, time.monotonic() - start, message)


_LEFTOVER = re.compile(r"^\..+\.(?:stage-(\d+)-[^.]+|tmp-(\d+)|old-(\d+))$")


def clean_stale(out_dir: Path) -> list[Path]:
    """Remove the hidden staging folders and temporary files that killed runs left in `out_dir`.

    Only leftovers whose process is gone are removed, so a run writing into the same folder at the same time is
    left alone. Returns the paths removed.
    """
    removed: list[Path] = []
    if not out_dir.is_dir():
        return removed
    for entry in out_dir.iterdir():
        match = _LEFTOVER.match(entry.name)
        if not match or psutil.pid_exists(int(next(g for g in match.groups() if g))):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def run_chapters(jobs: list[ChapterJob], *, parallel: int = 2,
                 on_event: Callable[[str, ChapterOutcome | None], None] | None = None) -> list[ChapterOutcome]:
    """Run chapters, ``parallel`` at a time; ``on_event(chapter, outcome)`` is called at start (None) and end."""
    threads = max(1, (os.cpu_count() or 2) // max(1, min(parallel, len(jobs))))

    def one(job: ChapterJob) -> ChapterOutcome:
        if on_event:
            on_event(job.chapter, None)
        outcome = run_in_worker(job, threads=threads)
        if on_event:
            on_event(job.chapter, outcome)
        return outcome

    for folder in {job.out_dir for job in jobs}:
        clean_stale(folder)
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(one, jobs))


def overall_code(outcomes: list[ChapterOutcome]) -> int:
    """The run's exit code: the highest of the chapters'."""
    return max((o.code for o in outcomes), default=EXIT_OK)


def _worker_main() -> int:
    skip_slow_optional_imports()
    spec = json.loads(sys.stdin.read())
    job = ChapterJob(spec["chapter"], spec["params"], Path(spec["out_dir"]))
    return execute_chapter(job)


if __name__ == "__main__":
    sys.exit(_worker_main())
