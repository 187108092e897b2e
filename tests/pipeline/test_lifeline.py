"""A child ends when its parent ends: through Linux's parent-death signal, or the watching thread elsewhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from socialops.pipeline import lifeline

# A middle process starts a child that asks for SIGKILL at its parent's death, prints the child's pid and waits.
MIDDLE = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]])
print(child.pid, flush=True)
time.sleep(120)
"""
CHILD = """
import signal, time
from socialops.pipeline import lifeline
{setup}
lifeline.die_with_parent(signal.SIGKILL)
time.sleep(120)
"""


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("way", ["operating system", "watching thread"])
def test_a_child_ends_when_its_parent_is_killed(way):
    setup = "lifeline._signal_on_parent_death = lambda signum: False" if way == "watching thread" else ""
    env = {k: v for k, v in os.environ.items() if k != lifeline.PARENT_ENV}
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE, CHILD.format(setup=setup)], stdout=subprocess.PIPE,
                              text=True, env=env)
    child = int(middle.stdout.readline())
    try:
        time.sleep(2)  # the child has imported the module and asked to be signalled
        assert psutil.pid_exists(child) and not _gone_within(child, 0.5), "the child ended on its own"
        middle.kill()
        middle.wait()
        assert _gone_within(child, 5), "the child outlived its parent"
    finally:
        middle.kill()
        middle.stdout.close()
        if psutil.pid_exists(child):
            psutil.Process(child).kill()


def test_a_child_whose_parent_is_already_gone_is_signalled_at_once():
    # the expected parent (from the environment) is not this child's parent: it ended before the child asked
    code = "import signal, time\nfrom socialops.pipeline import lifeline\nlifeline.die_with_parent(signal.SIGTERM)\n" \
           "time.sleep(60)"
    env = {**os.environ, lifeline.PARENT_ENV: str(os.getpid() + 1_000_000)}
    done = subprocess.run([sys.executable, "-c", code], env=env, timeout=30)
    assert done.returncode == -signal.SIGTERM


def test_expected_parent_reads_the_environment_else_the_parent(monkeypatch):
    monkeypatch.setenv(lifeline.PARENT_ENV, "12345")
    assert lifeline.expected_parent() == 12345
    monkeypatch.delenv(lifeline.PARENT_ENV)
    assert lifeline.expected_parent() == os.getppid()
    assert lifeline.parent_alive(os.getppid()) and not lifeline.parent_alive(os.getpid())


def test_the_kernel_extension_ends_a_kernel_whose_worker_is_gone():
    code = "from socialops.pipeline import lifeline\nlifeline.load_ipython_extension(None)\nimport time\ntime.sleep(60)"
    env = {**os.environ, lifeline.PARENT_ENV: str(os.getpid() + 1_000_000)}
    done = subprocess.run([sys.executable, "-c", code], env=env, timeout=30)
    assert done.returncode == -signal.SIGKILL  # the kernel writes only into the staging folder: no clean-up due
