"""Every chapter run at both ends of every documented range: each run works or is refused before any kernel.

The ranges are read from the notebooks' ``parameters`` cells (a help comment ending ``range: LOW..HIGH``), so a
parameter added to a notebook is covered here without a change. A whole run per value would take minutes, so each
chapter runs twice, both runs at once, on a small sample (1,000 users, where thin data meet the extreme values
too): every bounded parameter at its low end, then at its high end. A run may be refused (exit 2) only before any kernel starts, naming the parameters; it is then run again
with those put back to their defaults, which must work, so that one refusal does not hide the other parameters.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from socialops.chapters import CHAPTERS, notebook_path
from socialops.pipeline.params import documented_range, read_parameters
from socialops.sample import generate
from tests.conftest import ROOT

ENDS = ("low", "high")


def range_ends(chapter: str) -> dict[str, tuple]:
    """The chapter's bounded parameters: name -> (low, high)."""
    declared = read_parameters(notebook_path(chapter)).values()
    return {p.name: bounds for p in declared if (bounds := documented_range(p)) is not None}


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory) -> Path:
    """The samples' tables for 1,000 users."""
    return generate(tmp_path_factory.mktemp("small"), users=1000, seed=7, fmt="csv", events_fmt="parquet")


def test_every_numeric_parameter_has_a_documented_range():
    for chapter in CHAPTERS:
        for param in read_parameters(notebook_path(chapter)).values():
            if param.type_name in ("int", "float"):
                assert documented_range(param), f"{chapter}: {param.name} has no 'range: LOW..HIGH'"


def _start(chapter: str, data: Path, values: dict, out: Path) -> subprocess.Popen:
    args = [a for name, value in values.items() for a in ("-p", f"{name}={value}")]
    return subprocess.Popen([sys.executable, "-m", "socialops", "run", chapter, "--data", str(data), "--out",
                             str(out), *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, SOCIALOPS_THREADS="1"))


def _wait(runs: dict[str, subprocess.Popen]) -> dict[str, tuple[int, str]]:
    stderr = {key: run.communicate(timeout=600)[1] for key, run in runs.items()}
    return {key: (run.returncode, stderr[key]) for key, run in runs.items()}


def _refused(values: dict, stderr: str) -> list[str]:
    return [name for name in values if re.search(rf"\b{name}\b", stderr)]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_chapter_at_the_ends_of_its_ranges_works_or_is_refused_before_any_kernel(tmp_path, small_sample, chapter):
    ends = range_ends(chapter)
    values = {end: {name: pair[ENDS.index(end)] for name, pair in ends.items()} for end in ENDS}
    done = _wait({end: _start(chapter, small_sample, values[end], tmp_path / end) for end in ENDS})
    again = {}
    for end, (code, stderr) in done.items():
        assert "Traceback" not in stderr
        if code == 2:  # refused before any kernel, naming what was refused
            assert not (tmp_path / end).exists(), stderr
            refused = _refused(values[end], stderr)
            assert refused, f"a refusal names no parameter of {chapter}:\n{stderr}"
            kept = {name: value for name, value in values[end].items() if name not in refused}
            again[end] = _start(chapter, small_sample, kept, tmp_path / f"{end}-again")
    done.update(_wait(again))
    for end, (code, stderr) in done.items():
        assert code == 0, f"{chapter} at the {end} ends ({values[end]}) gave exit {code}:\n{stderr}"
