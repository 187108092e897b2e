"""Every chapter's results on the samples equal the recorded ones (``tests/data/results/``).

The recorded files pin the numbers a refactoring must not move. A change that is meant to move them (new sample
data, a corrected estimator) records them again with ``python -m tests.notebooks.test_results_unchanged DIR EDITION``
(DIR a fresh run of every chapter in that edition, ``en_client`` or ``zh_analyst``), and says why in its commit.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from socialops.chapters import CHAPTERS

pytestmark = pytest.mark.notebook

RECORDED = Path(__file__).resolve().parents[1] / "data" / "results"
EDITIONS = {"en_client": {"lang": "en", "audience": "client"}, "zh_analyst": {"lang": "zh", "audience": "analyst"}}
#: Keys that change with every run or release, not with the data.
VOLATILE = ("generated_at", "socialops_version")


def comparable(results: dict) -> dict:
    """The results without the keys that name the moment of the run, and the data folder by its name alone.

    The analyst edition records the data folder's full path, which differs between checkouts.
    """
    kept = {k: v for k, v in results.items() if k not in VOLATILE}
    if "data_dir" in kept.get("params", {}):
        kept["params"] = {**kept["params"], "data_dir": Path(kept["params"]["data_dir"]).name}
    return kept


def differences(expected, actual, path: str = "") -> list[str]:
    """Paths at which two JSON values differ; floats to 1e-12 relative (last-bit noise of BLAS and libm)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = sorted(set(expected) | set(actual))
        return [d for k in keys for d in differences(expected.get(k, "<absent>"), actual.get(k, "<absent>"),
                                                     f"{path}.{k}")]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True))
                for d in differences(e, a, f"{path}[{i}]")]
    if isinstance(expected, float) and isinstance(actual, float):
        return [] if math.isclose(expected, actual, rel_tol=1e-12, abs_tol=1e-15) else [
            f"{path}: {expected!r} != {actual!r}"]
    return [] if expected == actual and type(expected) is type(actual) else [f"{path}: {expected!r} != {actual!r}"]


def test_differences_catch_a_moved_number():
    assert differences({"a": [1, 0.5]}, {"a": [1, 0.5]}) == []
    assert differences({"a": [1, 0.5]}, {"a": [1, 0.5000001]}) == [".a[1]: 0.5 != 0.5000001"]
    assert differences({"a": 1}, {"a": 1.0}) == [".a: 1 != 1.0"]
    assert differences({"a": 1}, {}) == [".a: 1 != '<absent>'"]


def test_comparable_results_leave_out_the_moment_and_the_checkout():
    results = {"generated_at": "2026-12-02T12:00:00+00:00", "socialops_version": "0.1.0",
               "params": {"data_dir": "/home/analyst/socialops/data/samples", "lang": "zh"}, "k_factor": 0.1}
    assert comparable(results) == {"params": {"data_dir": "samples", "lang": "zh"}, "k_factor": 0.1}


@pytest.mark.parametrize("edition", sorted(EDITIONS))
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_results_equal_the_recorded_ones(chapter_run, chapter, edition):
    run = chapter_run(chapter, **EDITIONS[edition])
    assert run.exit_code == 0, run.stderr
    expected = json.loads((RECORDED / edition / f"{chapter}.json").read_text(encoding="utf-8"))
    assert differences(comparable(expected), comparable(run.json)) == []


def record(run_dir: Path, edition: str) -> None:
    """Record the results of a run (one edition, every chapter) as the expected ones."""
    for chapter in CHAPTERS:
        results = json.loads((run_dir / f"{chapter}.json").read_text(encoding="utf-8"))
        text = json.dumps(comparable(results), indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        (RECORDED / edition / f"{chapter}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    record(Path(sys.argv[1]), sys.argv[2])
