"""DuckDB reads the tables from object storage (``--data s3://bucket/prefix``) through httpfs, never downloaded.

The httpfs extension comes from the package index (``duckdb-extension-httpfs``, pinned with DuckDB itself) and
is loaded from the installed package: it must load where no extension can be fetched. The S3 server is moto's,
started on a free port of 127.0.0.1 and stopped afterwards; ``events`` lies there as a folder of Parquet files,
one per month, the other tables as single files.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pyarrow.parquet as pq
import pytest

from tests.conftest import require_component, run_cli

require_component(importlib.util.find_spec("duckdb_extension_httpfs") is not None,
                  "DuckDB's httpfs extension is not installed: run `make setup`")
require_component(importlib.util.find_spec("moto") is not None and importlib.util.find_spec("flask") is not None,
                  "moto's S3 server is not installed: run `make setup`")

from socialops.inputs import contract  # noqa: E402
from socialops.inputs.readers import find_table_file  # noqa: E402
from socialops.inputs.tables import TABLES  # noqa: E402
from socialops.inputs.workspace import open_workspace  # noqa: E402

BUCKET = "brand-exports"
PREFIX = f"s3://{BUCKET}/social/2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server on 127.0.0.1, with the AWS variables pointing at it for this process and its children."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    names = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
             "AWS_ENDPOINT_URL": endpoint}
    previous = {name: os.environ.get(name) for name in names}
    os.environ.update(names)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=1)  # noqa: S310 - the local server just started
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module")
def uploaded(s3_server, tmp_path_factory):
    """Small sample tables as local Parquet files, and the same under `PREFIX` (events split by month)."""
    import boto3

    from socialops.sample import generate

    folder = generate(tmp_path_factory.mktemp("sample"), users=600, seed=5, fmt="parquet")
    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket=BUCKET)
    key = PREFIX.removeprefix(f"s3://{BUCKET}/")
    events = pq.read_table(find_table_file(folder, "events"))
    months = events.column("ts").cast("timestamp[us]").to_pandas().dt.strftime("%Y-%m")
    parts = 0
    for month in sorted(set(months)):
        part = tmp_path_factory.mktemp("part") / "part-0.parquet"
        pq.write_table(events.filter((months == month).to_numpy()), part)
        s3.upload_file(str(part), BUCKET, f"{key}/events/month={month}/part-0.parquet")
        parts += 1
    for name in TABLES:
        if name != "events":
            s3.upload_file(str(find_table_file(folder, name)), BUCKET, f"{key}/{name}.parquet")
    assert parts >= 3
    return folder


def can_unshare_network() -> bool:
    """Whether this process may start a command in a network namespace of its own (root, and not forbidden)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0


def test_httpfs_loads_from_the_package_with_no_way_to_download(tmp_path):
    """Nowhere to fetch an extension from, and none installed in DuckDB's folder: httpfs still loads."""
    script = (
        "from socialops.inputs.engine import connect, load_httpfs\n"
        "con = connect('duckdb', threads=1, memory_limit='1GB')\n"
        f"con.raw_sql(\"SET extension_directory = '{tmp_path}'\")\n"
        "con.raw_sql(\"SET custom_extension_repository = 'http://127.0.0.1:9'\")\n"
        "load_httpfs(con)\n"
        "print(con.raw_sql(\"SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'httpfs'\").fetchall())\n"
    )
    command = [sys.executable, "-c", script]
    if can_unshare_network():
        command = ["unshare", "--net", *command]  # a network namespace with no interface up but loopback's
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[(True,)]"
    assert list(tmp_path.iterdir()) == []  # nothing was installed


def test_an_extension_for_another_duckdb_is_refused(monkeypatch):
    import duckdb

    from socialops.inputs import engine

    monkeypatch.setattr(duckdb, "__version__", "1.5.6")
    with pytest.raises(engine.EngineError, match="no build for DuckDB 1.5.6"):
        engine.httpfs_path()


def test_tables_on_s3_are_the_local_tables(uploaded):
    with open_workspace(PREFIX, threads=1, memory_limit="1GB") as remote, \
            open_workspace(uploaded, threads=1, memory_limit="1GB") as local:
        assert set(remote.inputs()) == set(TABLES)
        assert remote.inputs()["events"]["file"] == "events"
        for name in TABLES:
            on_s3 = remote.table(name).to_pandas()
            here = local.table(name).to_pandas()
            key = list(here.columns)
            on_s3 = on_s3.sort_values(key, ignore_index=True)
            here = here.sort_values(key, ignore_index=True)
            assert on_s3.equals(here), name


def test_validate_and_run_on_s3(uploaded, tmp_path):
    done = run_cli("validate", "--data", PREFIX)
    assert done.returncode == 0, done.stderr
    assert "events" in done.stdout
    report = contract.validate(PREFIX, chapters=["02_lifecycle"])
    assert report.ok and report.tables["events"]["rows"] == pq.read_table(find_table_file(uploaded, "events")).num_rows


def test_a_missing_prefix_says_what_is_missing(uploaded):
    report = contract.validate(f"s3://{BUCKET}/nothing-here", chapters=["02_lifecycle"])
    assert [f.rule for f in report.failures] == ["missing required table: no events.parquet or events/"]
