"""The command line: parameters listing, validation exit codes, refusal of bad parameters before any run."""

from __future__ import annotations

import shutil

import pytest

from socialops.chapters import CHAPTERS
from tests.conftest import SAMPLES, run_cli


def test_python_m_socialops_is_the_command():
    done = run_cli("--help")  # run_cli starts `python -m socialops`
    assert done.returncode == 0, done.stderr
    for command in ("run", "validate", "params", "sample"):
        assert command in done.stdout
    assert "python -m socialops" in done.stdout


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_params_lists_common_and_chapter_parameters(chapter):
    done = run_cli("params", chapter.split("_", 1)[1])
    assert done.returncode == 0, done.stderr
    for name in ("data_dir", "lang", "audience", "client", "as_of", "engine"):
        assert name in done.stdout


def test_unknown_chapter_is_exit_2_with_the_valid_names():
    done = run_cli("run", "nosuch", "--data", str(SAMPLES))
    assert done.returncode == 2
    assert "platform_matrix" in done.stderr


def test_validate_samples_passes():
    done = run_cli("validate", "--data", str(SAMPLES))
    assert done.returncode == 0, done.stderr
    assert "events" in done.stdout


def test_validate_broken_data_lists_every_failure(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "mentions.csv").write_text(
        "mention_id,ts,platform,sentiment\n"
        "m1,2026-09-01 10:00:00,weibo,0.5\n"
        "m2,not a date,weibo,0.2\n"
        "m3,2026-09-01 11:00:00,weibo,7\n"
        "m1,2026-09-01 12:00:00,weibo,0.1\n",
        encoding="utf-8",
    )
    done = run_cli("validate", "crisis_postmortem", "--data", str(data))
    assert done.returncode == 2
    text = done.stderr
    assert "mentions.csv" in text
    for row, column in (("3", "ts"), ("4", "sentiment")):
        assert row in text and column in text
    assert "mention_id" in text  # the duplicate key


@pytest.mark.parametrize("args, word", [
    (["-p", "nosuch=1"], "nosuch"),
    (["-p", "lang=fr"], "lang"),
    (["--audience", "everyone"], "audience"),
])
def test_bad_parameters_exit_2_before_anything_runs(tmp_path, args, word):
    out = tmp_path / "out"
    done = run_cli("run", "platform_matrix", "--data", str(SAMPLES), "--out", str(out), *args)
    assert done.returncode == 2
    assert word in done.stderr and "valid" in done.stderr.lower()
    assert not out.exists()


def test_unreadable_as_of_is_exit_2_before_any_kernel_starts(tmp_path):
    out = tmp_path / "out"
    done = run_cli("run", "lifecycle", "--data", str(SAMPLES), "--out", str(out), "-p", "as_of=2026-13-45")
    assert done.returncode == 2
    assert "as_of: expected YYYY-MM-DD (the end of that day), YYYY-MM-DD HH:MM:SS (that instant)" in done.stderr
    assert "2026-13-45" in done.stderr
    assert not out.exists()  # the output folder is made just before the chapters start


def test_invalid_data_exit_2_before_anything_runs(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLES, data)
    (data / "platform_daily.csv").write_text("date,platform\n2026-01-01,weibo\n", encoding="utf-8")
    out = tmp_path / "out"
    done = run_cli("run", "platform_matrix", "--data", str(data), "--out", str(out))
    assert done.returncode == 2
    assert "platform_daily" in done.stderr and "impressions" in done.stderr
    assert not out.exists()


def test_output_folder_may_not_be_the_data_folder(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLES, data)
    done = run_cli("run", "platform_matrix", "--data", str(data), "--out", str(data))
    assert done.returncode == 2


def test_sample_writes_a_small_workspace(tmp_path):
    done = run_cli("sample", "--out", str(tmp_path / "s"), "--users", "500", "--seed", "3")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "s" / "truths.json").exists()

