"""Processes of a run that end when the process that started them ends.

A chapter's worker and its kernel must not outlive the ``socialops run`` that started them: killed with
``kill -9``, that command cannot stop them itself, so each child asks to be signalled when its parent is gone. On
Linux the operating system does it (``PR_SET_PDEATHSIG``); elsewhere a thread watches the parent's process id.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

#: The process id a child expects as its parent, set by the parent in the child's environment.
PARENT_ENV = "SOCIALOPS_PARENT_PID"
#: ``prctl`` option asking for a signal when the parent ends (linux/prctl.h).
PR_SET_PDEATHSIG = 1
#: Seconds between two looks at the parent where the operating system cannot signal its death.
WATCH_INTERVAL = 0.25


def expected_parent() -> int:
    """The process id this process was started by: from ``SOCIALOPS_PARENT_PID``, else the current parent."""
    value = os.environ.get(PARENT_ENV, "")
    return int(value) if value.isdigit() else os.getppid()


def parent_alive(parent: int) -> bool:
    """Whether `parent` is still this process's parent (an orphan is adopted by another process)."""
    return os.getppid() == parent


def die_with_parent(signum: int, parent: int | None = None) -> None:
    """Have `signum` sent to this process as soon as its parent process ends.

    Parameters
    ----------
    signum : int
        The signal to receive: SIGTERM for a process with a handler that ends it cleanly, SIGKILL otherwise.
    parent : int, optional
        The parent's process id as its parent knows it (default: `expected_parent`). Had the parent already
        ended when this is called, the signal is sent at once.
    """
    parent = expected_parent() if parent is None else parent
    if not _signal_on_parent_death(signum):
        threading.Thread(target=_watch, args=(parent, signum), name="socialops-lifeline", daemon=True).start()
    if not parent_alive(parent):  # the parent ended before the request above was in place
        os.kill(os.getpid(), signum)


def _signal_on_parent_death(signum: int) -> bool:
    """Ask Linux to signal this process when the thread that started it ends; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int, signum: int) -> None:
    while parent_alive(parent):
        time.sleep(WATCH_INTERVAL)
    os.kill(os.getpid(), signum)


def load_ipython_extension(ipython) -> None:  # noqa: ARG001 (IPython's signature)
    """Make a chapter's kernel end with its worker (loaded with ``--ext`` by the runner's kernelspec).

    The kernel only ever writes into the chapter's staging folder, so it is stopped outright.
    """
    die_with_parent(signal.SIGKILL)
