"""Chapters 02 and 04 on a real Spark standalone cluster give DuckDB's results on a Parquet folder split by month.

A master and one worker are started as separate processes on 127.0.0.1 with ``bin/spark-class`` of the PySpark
installation (its wheel has no start scripts) and stopped afterwards; the chapters reach the master through
``SOCIALOPS_SPARK_MASTER=spark://127.0.0.1:PORT``, and the executors read the files themselves. ``events`` is a
folder of Parquet files, one per month (Hive-style ``month=…`` folders). The JSON of each chapter must equal
DuckDB's on the same folder (``engine``, ``generated_at`` and the engine parameter aside; floats to a relative
1e-9, all else exactly). Skipped with the reason without PySpark or Java (`make setup-spark`); under CI, failed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import require_component, run_cli
from tests.engine_results import json_differences

require_component(importlib.util.find_spec("pyspark") is not None, "PySpark is not installed: run `make setup-spark`")
require_component(
    shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME")), "no Java runtime: run `make setup-spark`"
)

CHAPTERS = ["02_lifecycle", "04_churn"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited early:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"no answer on port {port}:\n{log.read_text(errors='replace')[-2000:]}")


def master_status(ui_port: int) -> dict:
    """The master's status page as JSON (workers, applications)."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=2) as page:  # noqa: S310
        return json.load(page)


def worker_registered(ui_port: int, seconds: float = 90) -> bool:
    """Whether the master's status page lists an alive worker."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if master_status(ui_port).get("aliveworkers", 0) >= 1:
                return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A standalone master and one worker (2 cores) on 127.0.0.1: the master's URL and status page port.

    Both are stopped afterwards.
    """
    import pyspark

    home = Path(pyspark.__file__).parent
    logs = tmp_path_factory.mktemp("spark-logs")
    conf = tmp_path_factory.mktemp("spark-conf")
    # the cluster's own settings, as its operators would size them: a few shuffle partitions for small tables
    # (Spark's default of 200 turns each of the chapters' many small queries into hundreds of tasks), and one core
    # per application, so that two chapters share the worker instead of one waiting for the other's cores
    (conf / "spark-defaults.conf").write_text(
        "spark.sql.shuffle.partitions 4\nspark.cores.max 1\nspark.executor.memory 900m\n", encoding="utf-8")
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOG_DIR": str(logs),
           "SPARK_WORKER_DIR": str(tmp_path_factory.mktemp("spark-work")), "SPARK_CONF_DIR": str(conf)}
    port, ui, worker_ui = free_port(), free_port(), free_port()
    spark_class = str(home / "bin" / "spark-class")
    processes = []
    try:
        master_log = logs / "master.log"
        with master_log.open("wb") as out:
            processes.append(subprocess.Popen(
                [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                 "--webui-port", str(ui)], env=env, stdout=out, stderr=subprocess.STDOUT))
        wait_for_port(port, processes[0], master_log)
        worker_log = logs / "worker.log"
        with worker_log.open("wb") as out:
            processes.append(subprocess.Popen(
                [spark_class, "org.apache.spark.deploy.worker.Worker", f"spark://127.0.0.1:{port}", "--host",
                 "127.0.0.1", "--cores", "2", "--memory", "2g", "--webui-port", str(worker_ui)],
                env=env, stdout=out, stderr=subprocess.STDOUT))
        assert worker_registered(ui), worker_log.read_text(errors="replace")[-2000:]
        yield {"master": f"spark://127.0.0.1:{port}", "ui": ui, "conf": str(conf)}
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def monthly_folder(tmp_path_factory) -> Path:
    """Small samples with ``events`` as a folder of Parquet files, one per month."""
    from socialops.inputs.readers import find_table_file
    from socialops.sample import generate

    source = generate(tmp_path_factory.mktemp("sample"), users=1500, seed=3, fmt="parquet")
    folder = tmp_path_factory.mktemp("monthly")
    events = pq.read_table(find_table_file(source, "events"))
    months = events.column("ts").to_pandas().dt.strftime("%Y-%m")
    for month in sorted(set(months)):
        part = folder / "events" / f"month={month}"
        part.mkdir(parents=True)
        pq.write_table(events.filter((months == month).to_numpy()), part / "part-0.parquet")
    shutil.copy(find_table_file(source, "experiment"), folder)
    assert len(list((folder / "events").iterdir())) >= 3
    return folder


@pytest.mark.notebook
def test_chapters_on_a_spark_cluster_give_duckdbs_results(cluster, monthly_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")  # the executors reach the driver on the loopback address
    monkeypatch.setenv("SPARK_CONF_DIR", cluster["conf"])
    monkeypatch.setenv("SOCIALOPS_SPARK_MASTER", cluster["master"])  # read by the spark engine only
    seconds = {}

    def run(engine: str) -> subprocess.CompletedProcess:
        started = time.monotonic()
        done = run_cli("run", *CHAPTERS, "--data", str(monthly_folder), "--out", str(tmp_path / engine),
                       "--engine", engine, "--jobs", "2", timeout=1200)
        seconds[engine] = time.monotonic() - started
        return done

    # DuckDB's reference run goes on while the cluster works
    with ThreadPoolExecutor(2) as pool:
        done = dict(zip(("spark", "duckdb"), pool.map(run, ("spark", "duckdb")), strict=True))
    runs = {}
    for engine, finished in done.items():
        assert finished.returncode == 0, f"{engine}:\n{finished.stderr[-3000:]}"
        runs[engine] = {c: json.loads((tmp_path / engine / f"{c}.json").read_text("utf-8")) for c in CHAPTERS}
    finished = [app["name"] for app in master_status(cluster["ui"])["completedapps"]]
    assert finished.count("socialops") >= len(CHAPTERS)  # the chapters ran on the cluster, not in local mode
    print(f"Spark cluster: {seconds['spark']:.0f} s, DuckDB: {seconds['duckdb']:.0f} s for {', '.join(CHAPTERS)}")
    for chapter in CHAPTERS:
        spark, duck = runs["spark"][chapter], runs["duckdb"][chapter]
        assert (spark["engine"], duck["engine"]) == ("spark", "duckdb")
        assert spark["inputs"]["events"]["file"] == "events"
        assert spark["inputs"] == duck["inputs"]
        for results in (spark, duck):
            results.pop("engine")
            results.pop("generated_at")
            results["params"].pop("engine")
        assert json_differences(spark, duck, names=("Spark", "DuckDB")) == [], chapter
