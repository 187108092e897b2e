"""Running chapters: one worker process per chapter, executing its notebook with papermill.

A worker process isolates each chapter: a hung or crashed kernel, or a notebook that exits the interpreter, cannot
take the others down, and a per-chapter time limit can stop it with all its children. Exit codes follow DESIGN.md:
0 all chapters succeeded, 2 invalid parameters or data (nothing executed), 3 a chapter failed, 4 a chapter timed
out or its kernel died; 130 or 143 the run was stopped by SIGINT (Ctrl-C) or SIGTERM.

A run dies whole: stopped by SIGINT or SIGTERM, it stops its workers, which stop their kernels; killed outright,
its workers and kernels are signalled by the operating system (`lifeline`) and end without writing. A worker
publishing a chapter's files finishes that first, so each chapter keeps its previous set or gets the new one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from socialops.chapters import notebook_path
from socialops.inputs.engine import memory_share
from socialops.pipeline import lifeline
from socialops.report import masking
from socialops.report.i18n import Translator

EXIT_OK, EXIT_INVALID, EXIT_FAILED, EXIT_TIMEOUT = 0, 2, 3, 4
#: A run (or a worker) stopped by SIGINT or SIGTERM ends with 128 + the signal's number, as shells report it.
EXIT_SIGINT, EXIT_SIGTERM = 128 + signal.SIGINT, 128 + signal.SIGTERM
#: Seconds a worker asked to stop has to stop its kernel (or finish a publication under way) before it is killed.
STOP_GRACE = 10.0
#: Seconds between two looks, while a worker runs, at its time limit and at a stop asked of the run.
POLL_INTERVAL = 0.25
JOB_ENV = "SOCIALOPS_WORKER_JOB"  # the chapter, parameters and output folder a worker runs
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
        """``ok``, ``failed``, ``timeout`` or ``interrupted`` (stopped by a signal: its files left as they were)."""
        statuses = {EXIT_OK: "ok", EXIT_TIMEOUT: "timeout", EXIT_SIGINT: "interrupted", EXIT_SIGTERM: "interrupted"}
        return statuses.get(self.code, "failed")


def _kernel_dir() -> Path:
    """A kernelspec that runs this very interpreter, whatever other Python kernels the machine has."""
    digest = hashlib.sha256(sys.executable.encode()).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / f"socialops-kernels-{os.getuid()}-{digest}"
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    # the lifeline extension ends the kernel when its worker ends, however the worker ended
    kernel = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                       f"--ext={lifeline.__name__}"],
              "display_name": "socialops", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    return root


def skip_slow_optional_imports() -> None:
    """Keep jsonschema from loading ``rfc3987_syntax`` in this process.

    nbformat loads jsonschema, which imports that module whenever it is installed (JupyterLab brings it in) and
    spends over a second building its grammar, for an "iri" string format that notebooks never use.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def execute_chapter(job: ChapterJob, parent: int) -> int:
    """Execute one chapter in this process and publish its report; return its exit code.

    Called in the worker process (``python -m socialops.pipeline.runner``), with SIGINT and SIGTERM handled by
    `_on_stop`.

    Parameters
    ----------
    job : ChapterJob
        The chapter, its validated parameter values and the output folder.
    parent : int
        The process id of the run: once it is gone, nothing is published.

    Returns
    -------
    int
        ``EXIT_OK``, ``EXIT_FAILED`` (a cell raised, or the notebook did not finish) or ``EXIT_TIMEOUT`` (the
        kernel died).
    """
    import nbformat

    from socialops.pipeline import publish

    job.out_dir.mkdir(parents=True, exist_ok=True)
    # the process id in the name lets a later run tell a killed run's leftovers from a live one's (clean_stale)
    stage = Path(tempfile.mkdtemp(prefix=f".{job.chapter}.stage-{os.getpid()}-", dir=job.out_dir))
    _WORKER.stage = stage
    _prepare_environment(stage)
    t = Translator(job.params.get("lang", "en"))
    executed = stage / "executed.ipynb"
    outcome = _execute(job, _notebook_to_run(job, stage), executed, t)
    try:
        nb = nbformat.read(str(executed), as_version=4) if executed.exists() else None
        code, detail, message = _judge(nb, stage, outcome, t)
        staged = _stage_report(job, stage, nb, t) if code == EXIT_OK else _stage_failure(job, stage, detail,
                                                                                         message, t)
        with _publication(parent):
            publish.publish_set(staged, job.out_dir, job.chapter)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return code


@dataclass
class _WorkerState:
    """What a worker's stop handler needs: its staging folder, and whether a publication is under way."""

    stage: Path | None = None
    publishing: bool = False
    pending: int = 0


_WORKER = _WorkerState()


def _on_stop(signum: int, frame) -> None:  # noqa: ARG001 (a signal handler's signature)
    """SIGINT or SIGTERM in a worker: end at once without writing, or right after the publication under way."""
    if _WORKER.publishing:
        _WORKER.pending = signum
    else:
        _abandon(signum)


def _abandon(signum: int) -> None:
    """End this worker now: kill its kernel, remove its staging folder, exit with 128 + the signal's number."""
    children = psutil.Process().children(recursive=True)
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.kill()
    psutil.wait_procs(children, timeout=5)  # gone before the folder they write into is removed
    if _WORKER.stage is not None:
        shutil.rmtree(_WORKER.stage, ignore_errors=True)
    os._exit(128 + signum)


@contextlib.contextmanager
def _publication(parent: int):
    """Publish only while the run lives; a stop signal arriving meanwhile takes effect once the files are in place.

    The handler defers instead of the signal being blocked: Python runs handlers in the main thread, whichever
    thread the signal reached.
    """
    _WORKER.publishing = True
    try:
        if not lifeline.parent_alive(parent):  # the lifeline's signal may still be on its way
            _abandon(signal.SIGTERM)
        yield
    finally:
        _WORKER.publishing = False
        if _WORKER.pending:
            _abandon(_WORKER.pending)


def _prepare_environment(stage: Path) -> None:
    """Point the report at the staging folder and the kernel at this interpreter."""
    from socialops.report.report import STAGE_ENV, VALIDATED_ENV

    os.environ[STAGE_ENV] = str(stage)
    os.environ[VALIDATED_ENV] = "1"
    os.environ[lifeline.PARENT_ENV] = str(os.getpid())  # the kernel's lifeline watches this worker
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


def _stage_report(job: ChapterJob, stage: Path, nb, t: Translator) -> Path:
    """Render the executed notebook and gather the report's set of files in `stage`."""
    from socialops.pipeline import publish

    audience = job.params.get("audience", "client")
    warnings = publish.run_warnings(nb, stage / "results.json", audience=audience)
    html_text = publish.render_html(nb, lang=t.lang, audience=audience, title=t(f"ch_{job.chapter}"),
                                    warnings=warnings, periods=publish.section_periods(stage / "results.json"))
    if audience == "client":
        nb = publish.scrub_notebook(nb, data_dir=str(job.params.get("data_dir", "")))
    return publish.stage_report(stage, job.chapter, html_text=html_text, notebook=nb)


def _stage_failure(job: ChapterJob, stage: Path, detail: str, message: str, t: Translator) -> Path:
    """Stage the error page as the chapter's whole set and say what failed on standard error."""
    from socialops.pipeline import publish

    if job.params.get("audience", "client") == "client":
        message = masking.mask_text(message)
    page = publish.error_page(title=t(f"ch_{job.chapter}"), lang=t.lang, detail=detail, message=message)
    print(f"{detail} {message}".strip(), file=sys.stderr)
    return publish.stage_error_page(stage, job.chapter, page)


class RunStop:
    """A stop asked of the whole run by SIGINT or SIGTERM, seen by every thread waiting on a worker."""

    def __init__(self) -> None:
        self.code = 0  # 0 while running, then 128 + the first stop signal's number

    def request(self, signum: int, frame=None) -> None:  # noqa: ARG002 (a signal handler's signature)
        """Ask the run to stop (installed as the handler of SIGINT and SIGTERM by `run_chapters`)."""
        self.code = self.code or 128 + signum


@contextlib.contextmanager
def _stop_on_signals(stop: RunStop):
    """Let SIGINT and SIGTERM request a stop instead of ending this process at once, while the run lasts."""
    if threading.current_thread() is not threading.main_thread():  # handlers belong to the main thread
        yield
        return
    # a signal ignored by whoever started the run (SIGINT of a background job) stays ignored
    previous = {signum: signal.signal(signum, stop.request) for signum in (signal.SIGINT, signal.SIGTERM)
                if signal.getsignal(signum) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_worker(process: subprocess.Popen) -> None:
    """Stop a worker: SIGTERM, which it answers by killing its kernel; kill it and its processes after a grace.

    The grace lets a worker caught publishing put the chapter's files in place before it exits.
    """
    try:
        tree = psutil.Process(process.pid).children(recursive=True)  # before the worker dies and they are adopted
    except psutil.NoSuchProcess:
        tree = []
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.communicate(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        for proc in [*tree, process]:
            with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                proc.kill()
        process.communicate()
    for proc in tree:  # the kernel's lifeline ends it too; this is for a worker killed before it could
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()


def _start_worker(job: ChapterJob, threads: int | None, memory: str | None = None) -> subprocess.Popen:
    env = dict(os.environ)
    if threads and "SOCIALOPS_THREADS" not in env:
        env["SOCIALOPS_THREADS"] = str(threads)
    if memory:  # `memory_share` gives none when the environment sets each chapter's
        env["SOCIALOPS_MEMORY_LIMIT"] = memory
    env[lifeline.PARENT_ENV] = str(os.getpid())
    # The job goes in the environment, not on standard input: ``communicate`` with a timeout can time out before
    # its first write on a loaded machine and then never send the input, leaving the worker an empty job.
    env[JOB_ENV] = json.dumps({"chapter": job.chapter, "params": job.params, "out_dir": str(job.out_dir)})
    return subprocess.Popen(
        [sys.executable, "-m", "socialops.pipeline.runner"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env,
    )


def _await_worker(process: subprocess.Popen, deadline: float | None, stop: RunStop) -> str | None:
    """Wait for a worker to end; its standard error, or None once its time is up or the run is asked to stop."""
    while True:
        try:
            return process.communicate(timeout=POLL_INTERVAL)[1]
        except subprocess.TimeoutExpired:
            if stop.code or (deadline is not None and time.monotonic() > deadline):
                return None


def run_in_worker(job: ChapterJob, *, threads: int | None = None, stop: RunStop | None = None,
                  memory: str | None = None) -> ChapterOutcome:
    """Run one chapter in a worker process, enforcing its time limit and the run's stop.

    ``threads`` caps the engine's threads in that chapter (unless ``SOCIALOPS_THREADS`` is set), and ``memory``
    its engine memory (unless ``SOCIALOPS_MEMORY_LIMIT`` is set), so that chapters running side by side share
    the cores and the memory instead of each taking all of them. A worker that dies without
    publishing (killed, or crashed) gets the chapter's error page published in its place; one stopped by a signal
    leaves the chapter's files as they were.
    """
    start = time.monotonic()
    stop = stop or RunStop()
    process = _start_worker(job, threads, memory)
    stderr = _await_worker(process, start + job.timeout if job.timeout else None, stop)
    if stderr is None:
        _stop_worker(process)
        clean_stale(job.out_dir)  # finishes a publication the worker had committed, or drops its staging folder
        if stop.code:
            return ChapterOutcome(job.chapter, stop.code, time.monotonic() - start, _INTERRUPTED)
        detail = _publish_parent_error(job, "error_timeout", seconds=f"{job.timeout:g}")
        return ChapterOutcome(job.chapter, EXIT_TIMEOUT, time.monotonic() - start, detail)
    code = process.returncode
    message = stderr.strip().splitlines()[-1] if code and stderr.strip() else ""
    if code in (EXIT_SIGINT, EXIT_SIGTERM):
        message = _INTERRUPTED
    elif code not in (EXIT_OK, EXIT_FAILED, EXIT_TIMEOUT):  # crashed worker or killed by a signal
        clean_stale(job.out_dir)
        detail = _publish_parent_error(job, "error_kernel" if code < 0 else "error_unfinished")
        code, message = (EXIT_FAILED, message or detail) if code > 0 else (EXIT_TIMEOUT, detail)
    return ChapterOutcome(job.chapter, code, time.monotonic() - start, message)


_INTERRUPTED = "stopped by a signal; its files were left as they were"


def _publish_parent_error(job: ChapterJob, key: str, **values: str) -> str:
    """Publish the error page of a chapter whose worker could not; return what failed."""
    from socialops.pipeline import publish

    lang = job.params.get("lang", "en")
    t = Translator(lang)
    detail = t(key, **values)
    publish.publish_error_page(job.out_dir, job.chapter,
                               publish.error_page(title=t(f"ch_{job.chapter}"), lang=lang, detail=detail))
    return detail


_LEFTOVER = re.compile(r"^\.(.+)\.(?:stage-(\d+)-[^.]+|tmp-(\d+)|old-(\d+))$")


def clean_stale(out_dir: Path) -> list[Path]:
    """Remove the hidden staging folders and temporary files that killed runs left in `out_dir`.

    Only leftovers whose process is gone are removed, so a run writing into the same folder at the same time is
    left alone. A staging folder whose process died while publishing has its publication finished first, so the
    chapter gets the whole new set. Returns the paths removed.
    """
    from socialops.pipeline import publish

    removed: list[Path] = []
    if not out_dir.is_dir():
        return removed
    for entry in out_dir.iterdir():
        match = _LEFTOVER.match(entry.name)
        if not match or psutil.pid_exists(int(next(g for g in match.groups()[1:] if g))):
            continue
        if match.group(2) and entry.is_dir() and not entry.is_symlink():
            publish.recover_stage(entry, out_dir, match.group(1))
        elif entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def run_chapters(jobs: list[ChapterJob], *, parallel: int = 2,
                 on_event: Callable[[str, ChapterOutcome | None], None] | None = None) -> list[ChapterOutcome]:
    """Run chapters, ``parallel`` at a time; ``on_event(chapter, outcome)`` is called at start (None) and end.

    SIGINT and SIGTERM stop the run: running chapters are stopped and keep their previous files, waiting ones
    are not started, and their outcomes carry 128 + the signal's number (`EXIT_SIGINT`, `EXIT_SIGTERM`).
    """
    side_by_side = max(1, min(parallel, len(jobs)))
    threads = max(1, (os.cpu_count() or 2) // side_by_side)
    memory = memory_share(side_by_side)
    stop = RunStop()

    def one(job: ChapterJob) -> ChapterOutcome:
        if stop.code:
            outcome = ChapterOutcome(job.chapter, stop.code, 0.0, _INTERRUPTED)
        else:
            if on_event:
                on_event(job.chapter, None)
            outcome = run_in_worker(job, threads=threads, stop=stop, memory=memory)
        if on_event:
            on_event(job.chapter, outcome)
        return outcome

    for folder in {job.out_dir for job in jobs}:
        clean_stale(folder)
    with _stop_on_signals(stop), ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(one, jobs))


def overall_code(outcomes: list[ChapterOutcome]) -> int:
    """The run's exit code: the highest of the chapters'."""
    return max((o.code for o in outcomes), default=EXIT_OK)


def _worker_main() -> int:
    signal.signal(signal.SIGTERM, _on_stop)  # how the run, or the lifeline, stops this worker
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # Ctrl-C reaches the whole foreground group
        signal.signal(signal.SIGINT, _on_stop)
    parent = lifeline.expected_parent()
    lifeline.die_with_parent(signal.SIGTERM, parent)
    skip_slow_optional_imports()
    spec = json.loads(os.environ.pop(JOB_ENV))
    job = ChapterJob(spec["chapter"], spec["params"], Path(spec["out_dir"]))
    return execute_chapter(job, parent)


if __name__ == "__main__":
    sys.exit(_worker_main())
