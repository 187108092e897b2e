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
    assert "02_lifecycle" not in preflight.CHECKS


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


POSTS = ("post_id,platform,published_at,content_type,impressions\n"
         "p1,weibo,2026-03-01 20:00:00,story,100\np2,weibo,2026-04-30 09:00:00,tutorial,300\n")


@pytest.mark.parametrize(("as_of", "problem"), [
    ("", None),
    ("2026-03-01", None),
    ("2026-05-01 12:00", None),
    ("2026-02-28", "as_of 2026-02-28 is before the data (posts.published_at), which run from 2026-03-01 20:00:00 "
                   "to 2026-04-30 09:00:00"),
    ("2026-05-02", "as_of 2026-05-02 is more than one day after the data (posts.published_at)"),
])
def test_as_of_is_checked_against_the_main_table_of_the_chapter(tmp_path, as_of, problem):
    (tmp_path / "posts.csv").write_text(POSTS, encoding="utf-8")  # chapter 01 on posts alone: dated by them
    problems = preflight.check("01_platform_matrix", tmp_path, {"as_of": as_of, "engine": "duckdb"})
    assert problems == [] if problem is None else (len(problems) == 1 and problems[0].startswith(problem))


def test_each_chapter_s_parameter_check_runs_before_the_data_are_read(tmp_path):
    nowhere = tmp_path / "nowhere"  # no data: the parameters alone are refused
    assert preflight.check("05_crisis_postmortem", nowhere, {"threshold": 2.0, "onset_threshold": 3.0})[0].startswith(
        "onset_threshold (3.0) is above threshold (2.0)")
    assert preflight.check("01_platform_matrix", nowhere, {"weights": {"likes": 1.0}})[0].startswith(
        "weights: unknown component likes")


@pytest.mark.parametrize("chapter", ["01_platform_matrix", "02_lifecycle", "04_churn"])
def test_a_currency_that_is_no_iso_code_is_refused_before_the_data_are_read(tmp_path, chapter):
    nowhere = tmp_path / "nowhere"
    assert preflight.check(chapter, nowhere, {"currency": "CNY"}) == []
    problems = preflight.check(chapter, nowhere, {"currency": "RMB"})
    assert len(problems) == 1 and problems[0].startswith("currency: 'RMB' is not an ISO 4217 currency code")
