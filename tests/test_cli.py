"""The command line: parameters listing, validation exit codes, refusal of bad parameters before any run."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialops import cli as cli_module
from socialops.chapters import CHAPTERS
from tests.conftest import ROOT, SAMPLES, run_cli
from tests.fixture_notebooks import write_fixture_notebook


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



# ------------------------------------------------------------------------ operating errors: messages, not traces
HOSTILE = ROOT / "tests" / "data" / "hostile"
FAKEDB = HOSTILE / "fakedb"  # an Ibis backend `fakedb://` whose errors quote the password and token it was given
SECRET, TOKEN, WRONG = "marker-7f3a9c-password", "marker-51e0d2-token", "marker-c08b44-wrong"
MARKERS = (SECRET, TOKEN, WRONG, "marker-5c1d0e-outside")


def cli(*args: str, timeout: float = 600, **env: str) -> subprocess.CompletedProcess:
    """``python -m socialops ARGS`` with the fake backend importable and the markers in its environment."""
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(FAKEDB), os.environ.get("PYTHONPATH")])),
                       PW=SECRET, TOKEN=TOKEN, WRONG=WRONG, FAKEDB_PASSWORD=SECRET, SOCIALOPS_THREADS="1",
                       COLUMNS="200", **env)
    environment.pop("SOCIALOPS_ALLOW_OUTSIDE_LINKS", None)
    return subprocess.run([sys.executable, "-m", "socialops", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=environment)


def every_output(done: subprocess.CompletedProcess, out: Path) -> dict[str, str]:
    """What a run leaves anywhere: its two streams and every file under `out`, workbooks and decks unzipped."""
    texts = {"stdout": done.stdout, "stderr": done.stderr}
    for path in sorted(out.rglob("*")) if out.exists() else []:
        if not path.is_file():
            continue
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                texts[str(path)] = "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
        else:
            texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
    return texts


def assert_no_marker(done: subprocess.CompletedProcess, out: Path) -> None:
    for where, text in every_output(done, out).items():
        for marker in MARKERS:
            assert marker not in text, f"{marker} is in {where}"


@pytest.mark.parametrize(("engine", "says"), [
    ("nosuchdb://analyst:$PW@127.0.0.1:1/x", "unknown engine scheme nosuchdb:// in nosuchdb://analyst:***@127.0.0.1:1/x"),
    ("postgres://analyst:$PW@127.0.0.1:1/x?token=$TOKEN", "pip install 'ibis-framework[postgres]'"),
    ("fakedb://analyst:$PW@127.0.0.1:1/x?token=$TOKEN", "Connection refused"),
    ("fakedb://analyst:$WRONG@localhost:5/x?token=$TOKEN", "password authentication failed"),
    (f"fakedb://analyst:{SECRET}@localhost:5/x", "carries a password"),
    ("duckdb:///no/such/folder/$PW/warehouse.duckdb", "No such file or directory"),
    ("fakedb://analyst:$NOT_SET_ANYWHERE@localhost:5/x", "$NOT_SET_ANYWHERE, which is not set"),
])
def test_every_engine_error_is_exit_2_and_no_secret_reaches_any_output(tmp_path, engine, says):
    if "postgres" in engine and importlib.util.find_spec("psycopg") is not None:
        # with the driver installed, the driver refuses the option instead, and says it with the URL redacted
        says = "cannot connect to postgres://analyst:***@127.0.0.1:1/x?token=***"
    out = tmp_path / "out"
    done = cli("run", "platform_matrix", "--data", str(SAMPLES), "--out", str(out), "--engine", engine, "--debug")
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
    assert_no_marker(done, out)


CONNECT_IN_A_CELL = "from socialops.inputs.engine import connect\nconnect('fakedb://analyst:$WRONG@localhost:5/x')"


def test_a_run_through_a_url_with_secrets_shows_it_redacted_everywhere(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_fixture_notebook(notebooks, "01_platform_matrix",
                           "rep.show(rep.workspace.table('platform_daily').limit(3).to_pandas(), 'daily')\n"
                           "print(engine)")
    write_fixture_notebook(notebooks, "05_crisis_postmortem", CONNECT_IN_A_CELL)  # fails inside the kernel
    out = tmp_path / "out"
    engine = "fakedb://analyst:$PW@localhost:5/social?token=$TOKEN"
    done = cli("run", "platform_matrix", "crisis_postmortem", "--data", str(SAMPLES), "--out", str(out),
               "--engine", engine, "--audience", "analyst", SOCIALOPS_NOTEBOOK_DIR=str(notebooks))
    assert done.returncode == 3, done.stderr  # the chapter that connects with wrong credentials fails
    shown = "fakedb://analyst:***@localhost:5/social?token=***"
    results = json.loads((out / "01_platform_matrix.json").read_text(encoding="utf-8"))
    assert results["params"]["engine"] == shown and results["engine"] == "fakedb"
    notebook = (out / "01_platform_matrix.ipynb").read_text(encoding="utf-8")
    assert shown in notebook  # the parameters cell and the printed value
    assert "password authentication failed" in done.stderr
    assert_no_marker(done, out)


def test_a_literal_password_in_the_parameters_file_is_refused_without_showing_it(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(f"engine: fakedb://analyst:{SECRET}@localhost:5/x\n", encoding="utf-8")
    out = tmp_path / "out"
    done = cli("run", "platform_matrix", "--data", str(SAMPLES), "--out", str(out), "--params", str(params))
    assert done.returncode == 2 and "carries a password" in done.stderr
    assert_no_marker(done, out)


def _linked_out(tmp_path: Path, name: str = "events.csv") -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / name).symlink_to(HOSTILE / "outside" / name)
    return data


def test_a_table_file_linking_out_of_the_data_folder_is_refused_and_never_shown(tmp_path):
    data = _linked_out(tmp_path)
    out = tmp_path / "out"
    for done in (cli("validate", "lifecycle", "--data", str(data)),
                 cli("run", "lifecycle", "--data", str(data), "--out", str(out))):
        assert done.returncode == 2
        assert "events.csv: a link to" in done.stderr and "outside the data folder" in done.stderr
        assert "--allow-outside-links" in done.stderr and "Traceback" not in done.stderr
        assert_no_marker(done, out)
    assert not out.exists()
    # opted in, the file is read and its bad row shown: the refusal is what kept the marker out above
    done = cli("validate", "lifecycle", "--data", str(data), "--allow-outside-links")
    assert done.returncode == 2 and "marker-5c1d0e-outside" in done.stderr


def test_an_alias_map_linking_out_of_the_data_folder_is_refused(tmp_path):
    data = _linked_out(tmp_path, "aliases.yaml")
    done = cli("validate", "lifecycle", "--data", str(data))
    assert done.returncode == 2 and "aliases.yaml: a link to" in done.stderr
    assert_no_marker(done, tmp_path / "out")


@pytest.mark.parametrize("command", ["run", "validate"])
def test_help_documents_the_opt_in_the_debug_flag_and_the_exit_codes(command):
    done = cli(command, "--help")
    assert done.returncode == 0
    for words in ("--allow-outside-links", "--debug", "Exit codes", "2 invalid" if command == "run" else "2 they"):
        assert words in done.stdout, words


def test_out_naming_a_file_is_exit_2(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("keep me", encoding="utf-8")
    for out in (target, target / "reports"):
        done = cli("run", "platform_matrix", "--data", str(SAMPLES), "--out", str(out))
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert "is a file" in done.stderr or "not a folder" in done.stderr
    assert target.read_text(encoding="utf-8") == "keep me"


@pytest.mark.skipif(os.geteuid() == 0, reason="permission bits do not stop root")
def test_a_read_only_out_is_exit_2(tmp_path):
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(0o555)
    try:
        for target in (out, out / "reports"):
            done = cli("run", "platform_matrix", "--data", str(SAMPLES), "--out", str(target))
            assert done.returncode == 2 and "Traceback" not in done.stderr and str(target) in done.stderr
    finally:
        out.chmod(0o755)


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs Linux's sysfs, where no one may create files")
def test_an_out_where_nothing_can_be_written_is_exit_2_even_for_root():
    for target in ("/sys/kernel", "/sys/kernel/socialops-reports"):
        done = cli("run", "platform_matrix", "--data", str(SAMPLES), "--out", target)
        assert done.returncode == 2 and "Traceback" not in done.stderr and target in done.stderr


@pytest.mark.parametrize(("raised", "code"), [(RuntimeError("boom at postgres://a:$PW@h/x"), 1),
                                              (PermissionError(13, "Permission denied"), 2)])
def test_an_error_is_a_message_and_a_traceback_only_with_debug(monkeypatch, raised, code):
    def broken(*_args, **_kwargs):
        raise raised

    monkeypatch.setattr("socialops.pipeline.params.read_parameters", broken)
    runner = CliRunner()
    done = runner.invoke(cli_module.app, ["params", "lifecycle"])
    assert done.exit_code == code
    assert type(raised).__name__ in done.output and "Traceback" not in done.output
    if code == 1:  # unexpected: the message says how to see more, and still shows no URL's secret
        assert "--debug" in done.output and "a:***@h" in done.output and "$PW" not in done.output
    else:
        assert "Permission denied" in done.output
    debugged = runner.invoke(cli_module.app, ["params", "lifecycle", "--debug"])
    assert debugged.exception is raised


def test_an_unusable_masking_key_stops_the_run_before_any_chapter(tmp_path, monkeypatch):
    key = tmp_path / "mask-key"
    key.write_bytes(b"x" * 32)
    key.chmod(0o644)  # readable by other users: refused
    monkeypatch.setenv("SOCIALOPS_MASK_KEY_FILE", str(key))
    out = tmp_path / "out"
    done = run_cli("run", "crisis_postmortem", "--data", str(SAMPLES), "--out", str(out))
    assert done.returncode == 2, done.stderr
    assert "mask-key" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


# ----------------------------------------------------------------- whole-folder runs: what the tables present allow
MENTIONS_ONLY = ("mention_id,ts,platform,sentiment\n"
                 "m1,2026-09-01 08:00:00,weibo,0.5\nm2,2026-09-02 09:00:00,weibo,-0.6\n")


def _fixture_chapters(tmp_path: Path) -> Path:
    """Every chapter as a small notebook that opens its data and finishes, so a whole run takes seconds."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for chapter in CHAPTERS:
        write_fixture_notebook(notebooks, chapter, "pass")
    return notebooks


def _only(tmp_path: Path, **files: str) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for name, text in files.items():
        (data / name).write_text(text, encoding="utf-8")
    return data


def test_a_whole_folder_run_runs_the_chapters_its_tables_allow_and_lists_the_rest(tmp_path):
    data = _only(tmp_path, **{"mentions.csv": MENTIONS_ONLY})
    out = tmp_path / "out"
    done = cli("run", "--data", str(data), "--out", str(out), SOCIALOPS_NOTEBOOK_DIR=str(_fixture_chapters(tmp_path)))
    assert done.returncode == 0, done.stderr
    for line in ("01_platform_matrix left out: needs platform_daily or posts", "02_lifecycle left out: needs events",
                 "03_ab_testing left out: needs experiment", "04_churn left out: needs events"):
        assert line in done.stderr
    assert (out / "05_crisis_postmortem.html").exists() and not (out / "04_churn.html").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Left out: needs events in the data folder" in index and 'href="05_crisis_postmortem.html"' in index


def test_a_whole_folder_validate_checks_what_can_run_and_lists_the_rest(tmp_path):
    done = cli("validate", "--data", str(_only(tmp_path, **{"mentions.csv": MENTIONS_ONLY})))
    assert done.returncode == 0, done.stderr
    assert "mentions" in done.stdout and "04_churn left out: needs events" in done.stdout


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_folder_no_chapter_can_run_on_is_exit_2_naming_what_each_lacks(tmp_path, command):
    data = _only(tmp_path, **{"audience.csv": "platform,dimension,bucket,share\nweibo,age,18-24,1\n"})
    out = tmp_path / "out"
    done = cli(command, "--data", str(data), *(["--out", str(out)] if command == "run" else []))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "no chapter can run" in done.stderr and "05_crisis_postmortem left out: needs mentions" in done.stderr
    assert not out.exists()


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_named_chapter_without_its_tables_is_exit_2(tmp_path, command):
    data = _only(tmp_path, **{"mentions.csv": MENTIONS_ONLY})
    out = tmp_path / "out"
    done = cli(command, "churn", "--data", str(data), *(["--out", str(out)] if command == "run" else []))
    assert done.returncode == 2 and "missing required table: no events.csv" in done.stderr
    assert not out.exists()


@pytest.mark.parametrize(("as_of", "says"), [
    ("2020-01-01", "as_of 2020-01-01 is before the data (mentions.ts), which run from 2026-09-01 08:00:00 to "
                   "2026-09-02 09:00:00"),
    ("2026-09-04", "as_of 2026-09-04 is more than one day after the data (mentions.ts)"),
])
def test_an_as_of_outside_the_data_is_exit_2_before_any_kernel_starts(tmp_path, as_of, says):
    data = _only(tmp_path, **{"mentions.csv": MENTIONS_ONLY})
    out = tmp_path / "out"
    done = cli("run", "crisis_postmortem", "--data", str(data), "--out", str(out), "-p", f"as_of={as_of}")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"05_crisis_postmortem: {says}" in done.stderr
    assert not out.exists()


@pytest.mark.parametrize(("chapter", "params", "says"), [
    ("platform_matrix", ["weights={likes: 1, reach: 1}"], "01_platform_matrix: weights: unknown component likes"),
    ("platform_matrix", ["target_audience={age: 0.5}"], "01_platform_matrix: target_audience: "),
    ("crisis_postmortem", ["threshold=2", "onset_threshold=3"],
     "05_crisis_postmortem: onset_threshold (3.0) is above threshold (2.0)"),
])
def test_parameters_that_used_to_stop_a_kernel_are_exit_2_before_any(tmp_path, chapter, params, says):
    out = tmp_path / "out"
    done = cli("run", chapter, "--data", str(SAMPLES), "--out", str(out), *[a for p in params for a in ("-p", p)])
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
