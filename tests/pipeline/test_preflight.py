"""Checks of the data against a chapter's parameters, made before any kernel starts."""

from __future__ import annotations

import pytest

from socialops.inputs.readers import ALLOW_OUTSIDE_ENV, ReadError
from socialops.pipeline import preflight

EXPERIMENT = (
    "experiment_id,unit_id,variant,converted\n"
    "title,u1,control,1\n"
    "title,u2,variant,0\n"
    "push,u3,A,0\n"
    "push,u4,B,1\n"
)


def _folder(tmp_path):
    (tmp_path / "experiment.csv").write_text(EXPERIMENT, encoding="utf-8")
    return tmp_path


def test_an_experiment_without_a_known_control_is_named(tmp_path):
    problems = preflight.check("03_ab_testing", _folder(tmp_path), {"control": ["control"], "engine": "duckdb"})
    assert len(problems) == 1
    assert "'push'" in problems[0] and "'A', 'B'" in problems[0] and "`control`" in problems[0]


def test_every_experiment_with_its_control_passes(tmp_path):
    assert preflight.check("03_ab_testing", _folder(tmp_path), {"control": ["control", "A"]}) == []


def test_chapters_without_a_check_pass_without_reading_the_data(tmp_path):
    assert preflight.check("02_lifecycle", tmp_path / "nowhere", {}) == []
    assert set(preflight.CHECKS) == {"03_ab_testing"}


def test_a_table_file_linking_out_of_the_data_folder_is_not_read(tmp_path, monkeypatch):
    outside = tmp_path / "elsewhere" / "experiment.csv"
    outside.parent.mkdir()
    outside.write_text(EXPERIMENT.replace("push,u3,A", "marker-2d8f,u3,A"), encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "experiment.csv").symlink_to(outside)
    monkeypatch.delenv(ALLOW_OUTSIDE_ENV, raising=False)
    with pytest.raises(ReadError, match="outside the data folder") as caught:
        preflight.check("03_ab_testing", data, {"control": ["control"], "engine": "duckdb"})
    assert "marker" not in str(caught.value)
