"""The suite's promises to the people who receive its reports, each shown by a test that can fail.

1. input files are never modified; 2. every failure is loud; 3. reports are written atomically (a run killed
midway leaves the previous reports whole); 4. text from the public stays inert in every report and export;
5. personal data and credentials stay out of client reports.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import openpyxl
import psutil
import pytest
from packaging.version import Version

from tests.conftest import ROOT, SAMPLES, run_cli
from tests.fixture_notebooks import write_fixture_notebook

PHONE = "13912345678"  # a marker mobile number planted in inputs and parameters
PASSWORD = "hunter2-marker"  # a fake credential in the environment of the run
HOSTILE = [
    '<script>alert("xss")</script>',
    '<img src=x onerror=alert(1)>',
    '<a href="javascript:alert(2)">win a prize</a>',
    "[click me](javascript:alert(3)) ![](file:///etc/passwd) <iframe src=//evil.example>",
    '=HYPERLINK("http://evil.example","open")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\tTabbed",
    "**bold** _it_ `code` <!-- hidden --> $$x$$",
]
# each payload as live markup; escaped, it is harmless text and may be shown
RAW_MARKERS = ["<script>alert", "<img src=x", '<a href="javascript:', "<iframe", 'src="file:', "<!-- hidden -->"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

def hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def report_texts(out: Path) -> dict[str, str]:
    """Every text a reader receives: HTML, JSON, notebooks, CSV, and the cells and sheet XML inside workbooks."""
    texts = {}
    for path in sorted(out.rglob("*")):
        if path.suffix in (".html", ".json", ".ipynb", ".csv"):
            texts[str(path.relative_to(out))] = path.read_text(encoding="utf-8-sig")
        elif path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as zf:
                texts[str(path.relative_to(out))] = "".join(zf.read(n).decode("utf-8", "replace")
                                                            for n in zf.namelist())
    return texts


def _risky(text: str) -> bool:
    return text.lstrip(" ").startswith(FORMULA_START) and not _is_number(text)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def unsafe_cells(out: Path) -> tuple[list[str], list[str]]:
    """(every text cell of the exports, those a spreadsheet could run as a formula).

    A workbook cell is safe when it is a text cell (never a formula) that starts harmlessly or carries Excel's
    quote prefix; a CSV cell, which has no types, only when it starts harmlessly.
    """
    cells, unsafe = [], []
    for path in out.rglob("*.xlsx"):
        for sheet in openpyxl.load_workbook(path).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f" or (isinstance(cell.value, str) and _risky(cell.value)
                                                 and not cell._style.quotePrefix):
                        unsafe.append(f"{path.name}!{cell.coordinate}: {cell.value}")
                    if isinstance(cell.value, str):
                        cells.append(cell.value)
    for path in out.rglob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                cells += row
                unsafe += [f"{path.name}: {v}" for v in row if _risky(v)]
    return cells, unsafe


def run_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, SOCIALOPS_THREADS="1", **extra)
    return env


# --------------------------------------------------------------------------------- the hostile sample data
@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory) -> Path:
    """Copies of the sample tables of chapters 01 and 05, with titles and texts from a hostile public."""
    data = tmp_path_factory.mktemp("hostile") / "data"
    data.mkdir()
    for name in ("platform_daily.csv", "audience.csv"):
        shutil.copy(SAMPLES / name, data / name)
    for name, column in (("posts.csv", "title"), ("mentions.csv", "text")):
        with (SAMPLES / name).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for i, row in enumerate(rows):
            hostile = HOSTILE[i % len(HOSTILE)]
            # every text keeps its own words (the analyses still find the crisis), with a payload and a phone
            row[column] = f"{hostile} {row[column]} call {PHONE}" if i % 3 == 0 else f"{hostile} {row[column]}"
        with (data / name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return data


@pytest.fixture(scope="module")
def hostile_run(hostile_data, tmp_path_factory):
    """Validate, then run chapters 01 and 05 for a client on the hostile data, a password in the environment."""
    before = hashes(hostile_data)
    out = tmp_path_factory.mktemp("hostile-out") / "reports"
    env = run_env(SOCIALOPS_WAREHOUSE_PASSWORD=PASSWORD)
    checked = subprocess.run([sys.executable, "-m", "socialops", "validate", "platform_matrix",
                              "crisis_postmortem", "--data", str(hostile_data)],
                             capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    done = subprocess.run([sys.executable, "-m", "socialops", "run", "platform_matrix", "crisis_postmortem",
                           "--data", str(hostile_data), "--out", str(out), "--jobs", "2",
                           "-p", f"client=Brand <b>x</b> {PHONE}"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=1200)
    return {"validate": checked, "run": done, "out": out, "before": before, "data": hostile_data}


@pytest.mark.notebook
def test_hostile_run_succeeds_and_leaves_the_inputs_untouched(hostile_run):
    assert hostile_run["validate"].returncode == 0, hostile_run["validate"].stderr
    assert hostile_run["run"].returncode == 0, hostile_run["run"].stderr
    assert hashes(hostile_run["data"]) == hostile_run["before"]
    out = hostile_run["out"]
    for chapter in ("01_platform_matrix", "05_crisis_postmortem"):
        for suffix in (".html", ".json", ".ipynb"):
            assert (out / f"{chapter}{suffix}").is_file()


@pytest.mark.notebook
def test_public_text_is_inert_in_every_report(hostile_run):
    texts = report_texts(hostile_run["out"])
    for name, text in texts.items():
        if not name.endswith(".html"):
            continue
        for marker in RAW_MARKERS:
            assert marker not in text, f"{marker!r} unescaped in {name}"


@pytest.mark.notebook
def test_exports_neutralise_formula_cells(hostile_run):
    cells, unsafe = unsafe_cells(hostile_run["out"])
    assert cells and not unsafe, unsafe


@pytest.mark.notebook
def test_personal_data_and_credentials_stay_out_of_client_reports(hostile_run):
    texts = report_texts(hostile_run["out"])
    assert texts
    for name, text in texts.items():
        assert PHONE not in text, f"the marker phone number is in {name}"
        assert PASSWORD not in text, f"the credential is in {name}"
    for stream in (hostile_run["run"].stdout, hostile_run["run"].stderr, hostile_run["validate"].stdout):
        assert PHONE not in stream and PASSWORD not in stream


# --------------------------------------------------------------------------- fixture notebooks, fast checks
@pytest.fixture
def fixture_run(tmp_path, monkeypatch):
    """Run chapters with fixture notebooks: ``run({chapter: body}, *args)`` → (completed process, output folder)."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.setenv("SOCIALOPS_NOTEBOOK_DIR", str(notebooks))
    monkeypatch.setenv("SOCIALOPS_THREADS", "1")

    def run(bodies: dict[str, str], *args: str, data: Path = SAMPLES, out: Path | None = None):
        for chapter, body in bodies.items():
            write_fixture_notebook(notebooks, chapter, body)
        out = out or tmp_path / "out"
        done = run_cli("run", *[c.split("_", 1)[1] for c in bodies], "--data", str(data), "--out", str(out),
                       *args, timeout=600)
        return done, out

    return run


SHOW_HOSTILE = f'''
import pandas as pd
hostile = {HOSTILE!r}
rep.show(pd.DataFrame({{"title": hostile, "n": range(len(hostile))}}), "hostile", caption=hostile[0])
for i, text in enumerate(hostile):
    rep.headline(text, text)
    rep.say("error_cell", cell=text)  # a finding with a value from the data, rendered as Markdown
    rep.note("error_cell", cell=text)
rep.export_csv(pd.DataFrame({{"text": hostile}}), "hostile")
rep.result("texts", hostile)
'''


@pytest.mark.notebook
@pytest.mark.parametrize("audience", ["client", "analyst"])
def test_hostile_values_shown_by_a_chapter_are_escaped_and_neutralised(fixture_run, audience):
    done, out = fixture_run({"01_platform_matrix": SHOW_HOSTILE}, "--audience", audience)
    assert done.returncode == 0, done.stderr
    page = (out / "01_platform_matrix.html").read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert" in page  # shown, as text
    for text in (page, index):
        for marker in RAW_MARKERS:
            assert marker not in text, marker
    cells, unsafe = unsafe_cells(out)
    if audience == "analyst":  # CSV exports are written for analysts only
        assert "'=HYPERLINK(\"http://evil.example\",\"open\")" in cells  # neutralised
    assert '=HYPERLINK("http://evil.example","open")' in cells  # the workbook: a text cell, quote-prefixed
    assert not unsafe, unsafe
    assert json.loads((out / "01_platform_matrix.json").read_text(encoding="utf-8"))["texts"] == HOSTILE


@pytest.mark.notebook
def test_personal_data_in_parameters_and_data_is_masked_for_clients(fixture_run):
    # the number reaches the notebook only as a parameter value: its source holds none
    body = ('phone = client.split()[-1]\nprint("contact", phone)\nrep.headline("Contact", phone)\n'
            'import pandas as pd\nrep.show(pd.DataFrame({"user_id": [phone], "text": [f"call {phone}"]}), "people")')
    done, out = fixture_run({"01_platform_matrix": body}, "-p", f"client=Brand {PHONE}")
    assert done.returncode == 0, done.stderr
    for name, text in report_texts(out).items():
        assert PHONE not in text, name


@pytest.mark.notebook
def test_huge_output_is_capped_in_the_report(fixture_run):
    done, out = fixture_run({"01_platform_matrix": 'print("0123456789" * 500_000)\nrep.result("ok", 1)'})
    assert done.returncode == 0, done.stderr
    page = out / "01_platform_matrix.html"
    assert page.stat().st_size < 2_000_000
    assert "5,000,000" not in page.read_text(encoding="utf-8")
    assert "4,900,001 more characters" in page.read_text(encoding="utf-8")


@pytest.mark.notebook
def test_a_failing_chapter_does_not_stop_the_others(fixture_run):
    done, out = fixture_run({"01_platform_matrix": 'rep.result("answer", 42)',
                             "05_crisis_postmortem": 'raise RuntimeError("planted fault in 05")'})
    assert done.returncode == 3
    assert "planted fault in 05" in done.stderr and "05_crisis_postmortem" in done.stderr
    assert json.loads((out / "01_platform_matrix.json").read_text(encoding="utf-8"))["answer"] == 42
    assert not (out / "05_crisis_postmortem.json").exists()
    error_page = (out / "05_crisis_postmortem.html").read_text(encoding="utf-8")
    assert "planted fault in 05" in error_page and "cell 5" in error_page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "01_platform_matrix.html" in index and "05_crisis_postmortem.html" in index
    assert "status-failed" in index


def _visible(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)}


@pytest.mark.notebook
def test_a_run_killed_midway_leaves_the_previous_reports_whole(fixture_run, tmp_path):
    done, out = fixture_run({"01_platform_matrix": 'rep.result("answer", 1)\nrep.headline("Answer", 1)'})
    assert done.returncode == 0, done.stderr
    before = _visible(out)
    notebooks = Path(os.environ["SOCIALOPS_NOTEBOOK_DIR"])
    write_fixture_notebook(notebooks, "01_platform_matrix",
                           'rep.result("answer", 2)\nimport time\ntime.sleep(120)')
    process = subprocess.Popen([sys.executable, "-m", "socialops", "run", "platform_matrix", "--data",
                                str(SAMPLES), "--out", str(out)], cwd=ROOT, env=run_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        kernel_started = False
        while time.monotonic() < deadline and not kernel_started:
            time.sleep(1)
            tree = psutil.Process(process.pid).children(recursive=True)
            kernel_started = any("ipykernel_launcher" in " ".join(p.cmdline()) for p in tree if p.is_running())
        assert kernel_started, "the run never reached its kernel"
        time.sleep(3)  # well inside the sleeping cell
        assert list(out.glob(".01_platform_matrix.stage-*")), "no staging folder while running"
    finally:
        tree = psutil.Process(process.pid).children(recursive=True) if process.poll() is None else []
        for proc in [psutil.Process(process.pid), *tree]:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert _visible(out) == before, "a report changed or a partial file became visible"
    assert list(out.glob(".01_platform_matrix.stage-*")), "expected the killed run's hidden staging folder"
    # the next run cleans up after the killed one
    write_fixture_notebook(notebooks, "01_platform_matrix", 'rep.result("answer", 3)')
    done = run_cli("run", "platform_matrix", "--data", str(SAMPLES), "--out", str(out), timeout=600)
    assert done.returncode == 0, done.stderr
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert json.loads((out / "01_platform_matrix.json").read_text(encoding="utf-8"))["answer"] == 3


# ------------------------------------------------------------------------------------------- promise 1
@pytest.mark.parametrize("where", ["same", "symlink", "inside"])
def test_an_output_folder_that_resolves_into_the_inputs_is_refused(tmp_path, where):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("platform_daily.csv", "posts.csv", "audience.csv"):
        shutil.copy(SAMPLES / name, data / name)
    before = hashes(data)
    out = {"same": data, "symlink": tmp_path / "link", "inside": data / "reports"}[where]
    if where == "symlink":
        out.symlink_to(data, target_is_directory=True)
    done = run_cli("run", "platform_matrix", "--data", str(data), "--out", str(out))
    assert done.returncode == 2
    assert "data folder" in done.stderr
    assert hashes(data) == before
    assert not (data / "reports").exists()


# ------------------------------------------------------------------------------------------- promise 4
def test_nbconvert_is_a_release_without_the_known_flaws():
    import nbconvert

    # 6.5.1 fixed the HTML injection flaws of CVE-2021-32862; 7.17.0 the executable search path of CVE-2025-53000
    assert Version(nbconvert.__version__) >= Version("7.17.0")


def test_markdown_images_of_local_files_are_not_embedded(tmp_path):
    from socialops.pipeline.publish import render_html

    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\nSECRET-FILE-CONTENT")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"![x]({secret}) ![y](file://{secret})")]
    page = render_html(nb, lang="en", audience="client", title="t")
    assert base64.b64encode(secret.read_bytes()).decode()[:24] not in page
    assert "SECRET-FILE-CONTENT" not in page


# ------------------------------------------------------------------------------------------- promise 2
def test_a_missing_data_folder_is_loud(tmp_path):
    done = run_cli("validate", "--data", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "nowhere" in done.stderr and "does not exist" in done.stderr
