"""Shared fixtures and helpers: the planted truths of the samples, chapter runs cached for the test session,
the library's module files, and the definitions and cell tags that the shape tests read."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ibis
import matplotlib
import pytest

# charts are drawn off screen in every test
matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
LIB = ROOT / "lib" / "socialops"


def require_component(present: bool, reason: str) -> None:
    """Skip the calling test module when a component the Makefile installs is missing; fail instead under CI.

    A CI run (``CI=true``) has run the Makefile's install targets, so a missing component there is a broken setup,
    not an optional extra.
    """
    if present:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the Makefile installs it)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def lib_modules() -> list[Path]:
    """Every module file of the library, in path order."""
    return sorted(LIB.rglob("*.py"))


def defined_names(tree: ast.AST) -> list[str]:
    """Names of the functions and classes defined anywhere in parsed code, in the order of the walk."""
    kinds = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    return [node.name for node in ast.walk(tree) if isinstance(node, kinds)]


def cell_tags(cell) -> set[str]:
    """The tags of a notebook cell."""
    return set(cell.metadata.get("tags", []))


@dataclass
class ChapterRun:
    """The outcome of one ``socialops run`` of a single chapter."""

    chapter: str
    exit_code: int
    out_dir: Path
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        """The chapter's results contract."""
        return json.loads((self.out_dir / f"{self.chapter}.json").read_text(encoding="utf-8"))

    @property
    def html(self) -> str:
        """The chapter's HTML report."""
        return (self.out_dir / f"{self.chapter}.html").read_text(encoding="utf-8")


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the ``socialops`` command in a fresh process (``python -m socialops``)."""
    return subprocess.run([sys.executable, "-m", "socialops", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def title_of(ax) -> str:
    """An axes' title wherever the theme placed it (the report theme puts titles on the left)."""
    return next((ax.get_title(loc) for loc in ("center", "left", "right") if ax.get_title(loc)), "")


@pytest.fixture(scope="session", autouse=True)
def masking_key_file(tmp_path_factory) -> Iterator[Path]:
    """The masking key of the test session: a file made for it, never the one in the user's home.

    Set in the environment (and a key given as ``SOCIALOPS_MASK_SALT`` set aside), so the runs the tests start and
    their kernels use it too.
    """
    from socialops.report.masking import KEY_FILE_ENV, SALT_ENV

    path = tmp_path_factory.mktemp("masking") / "mask-key"
    previous = {name: os.environ.pop(name, None) for name in (KEY_FILE_ENV, SALT_ENV)}
    os.environ[KEY_FILE_ENV] = str(path)
    yield path
    os.environ.pop(KEY_FILE_ENV)
    os.environ.update({name: value for name, value in previous.items() if value is not None})


@pytest.fixture(scope="module")
def con():
    """An embedded DuckDB backend for one test module, on one thread as the shared machine asks."""
    backend = ibis.duckdb.connect(threads=1, memory_limit="1GB")
    yield backend
    backend.disconnect()


@pytest.fixture(scope="session")
def truths() -> dict:
    """The planted truths written beside the sample data."""
    return json.loads((SAMPLES / "truths.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def chapter_run(tmp_path_factory):
    """Run a chapter on the samples (or ``data=``) once per distinct set of parameters in the test session.

    Keyword arguments are chapter parameters passed as ``-p name=value``; ``lang``, ``audience`` and ``data`` are
    passed as their own flags.
    """
    cache: dict[tuple, ChapterRun] = {}

    def run(chapter: str, *, data: Path | str = SAMPLES, lang: str = "en", audience: str = "client",
            **params: object) -> ChapterRun:
        key = (chapter, str(data), lang, audience, tuple(sorted((k, str(v)) for k, v in params.items())))
        if key not in cache:
            out = tmp_path_factory.mktemp(f"run-{chapter[:2]}")
            args = ["run", chapter, "--data", str(data), "--out", str(out), "--lang", lang, "--audience", audience]
            for name, value in params.items():
                args += ["-p", f"{name}={value}"]
            done = run_cli(*args)
            cache[key] = ChapterRun(chapter, done.returncode, out, done.stdout, done.stderr)
        return cache[key]

    return run
