"""Every chapter on a real PostgreSQL server, the tables read where they are, gives DuckDB's results.

The test starts PostgreSQL (Debian's package, `make setup-postgres`) on a free port of 127.0.0.1 with a data folder
of its own, as ``nobody`` when run as root (``initdb`` refuses root), loads small sample tables into it, and stops
it afterwards. ``events`` is stored as ``crm.user_events`` with Chinese column names and named by the params file's
``tables:`` mapping; the other tables are found by ``--data db:analytics``. The password exists only in the
environment (the engine URL names it ``$SOCIALOPS_TEST_PG_PASSWORD``). Each chapter's JSON must equal the one
DuckDB gives on the same files: ``engine``, ``inputs``, ``generated_at`` and the two parameters that name the
source and the engine aside; floats to a relative 1e-9, all else exactly.
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import require_component, run_cli
from tests.engine_results import json_differences

PG_BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), None)
require_component(PG_BIN is not None and Path(PG_BIN, "initdb").exists(),
                  "PostgreSQL is not installed: run `make setup-postgres`")
require_component(importlib.util.find_spec("psycopg") is not None,
                  "the PostgreSQL driver is not installed: run `make setup-postgres`")

CHAPTERS = ["01_platform_matrix", "02_lifecycle", "03_ab_testing", "04_churn", "05_crisis_postmortem"]
PASSWORD_ENV = "SOCIALOPS_TEST_PG_PASSWORD"
#: events under another name, with the Chinese headers of a platform export
EVENTS_AS = {"user_id": "用户ID", "ts": "时间", "event": "事件"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_server_user(args: list[str]) -> list[str]:
    """The command run as ``nobody`` when the test runs as root (PostgreSQL will not run as root)."""
    return ["runuser", "-u", "nobody", "--", *args] if os.geteuid() == 0 else args


def checked(args: list[str]) -> None:
    done = subprocess.run(as_server_user(args), capture_output=True, text=True)
    assert done.returncode == 0, f"{Path(args[0]).name}: {done.stdout[-1500:]} {done.stderr[-1500:]}"


@pytest.fixture(scope="module")
def server():
    """A PostgreSQL server on 127.0.0.1: its URL with the password as a placeholder; stopped afterwards."""
    # not under pytest's temporary folder, which only its owner may enter
    home = Path(tempfile.mkdtemp(prefix="socialops-pg-"))
    home.chmod(0o777)  # the server's user writes its data folder and socket here
    password = secrets.token_urlsafe(16)
    pwfile = home / "pw"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o644)
    data = home / "data"
    try:
        checked([f"{PG_BIN}/initdb", "-D", str(data), "-U", "socialops", f"--pwfile={pwfile}",
                 "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"])
        pwfile.unlink()
        port = free_port()
        options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
        checked([f"{PG_BIN}/pg_ctl", "-D", str(data), "-o", options, "-l", str(home / "log"), "-w", "start"])
        os.environ[PASSWORD_ENV] = password
        yield f"postgres://socialops:${PASSWORD_ENV}@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(as_server_user([f"{PG_BIN}/pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"]),
                           capture_output=True)
        os.environ.pop(PASSWORD_ENV, None)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def loaded(server, tmp_path_factory):
    """Small sample tables as Parquet files and the same tables in the server; the seconds loading took."""
    import pyarrow.parquet as pq

    from socialops.inputs.engine import connect
    from socialops.inputs.readers import find_table_file
    from socialops.inputs.tables import TABLES
    from socialops.sample import generate

    folder = generate(tmp_path_factory.mktemp("sample"), users=1500, seed=11, fmt="parquet")
    started = time.monotonic()
    con = connect(server)
    try:
        for schema in ("analytics", "crm"):
            con.raw_sql(f"CREATE SCHEMA {schema}")
        for name in TABLES:
            table = pq.read_table(find_table_file(folder, name))
            if name == "events":
                table = table.rename_columns([EVENTS_AS.get(c, c) for c in table.column_names])
                con.create_table("user_events", table, database="crm")
            else:
                con.create_table(name, table, database="analytics")
    finally:
        con.disconnect()
    return folder, time.monotonic() - started


def test_every_chapter_on_postgres_gives_duckdbs_results(server, loaded, tmp_path):
    folder, load_seconds = loaded
    params = tmp_path / "params.yaml"
    params.write_text("tables:\n  events: crm.user_events\n", encoding="utf-8")
    started = time.monotonic()
    pg = run_cli("run", "--data", "db:analytics", "--params", str(params), "--engine", server,
                 "--out", str(tmp_path / "pg"), "--jobs", "2")
    pg_seconds = time.monotonic() - started
    assert pg.returncode == 0, pg.stderr[-3000:]
    started = time.monotonic()
    duck = run_cli("run", "--data", str(folder), "--out", str(tmp_path / "duck"), "--jobs", "2")
    duck_seconds = time.monotonic() - started
    assert duck.returncode == 0, duck.stderr[-3000:]
    print(f"PostgreSQL: loaded in {load_seconds:.1f} s, five chapters in {pg_seconds:.0f} s; "
          f"DuckDB on the files: {duck_seconds:.0f} s")
    password = os.environ[PASSWORD_ENV]
    for chapter in CHAPTERS:
        text = (tmp_path / "pg" / f"{chapter}.json").read_text(encoding="utf-8")
        assert password not in text
        on_pg, on_duck = json.loads(text), json.loads((tmp_path / "duck" / f"{chapter}.json").read_text("utf-8"))
        assert on_pg["engine"] != on_duck["engine"]
        if "events" in on_duck["inputs"]:
            assert on_pg["inputs"]["events"]["file"] == "crm.user_events"
            assert on_pg["inputs"]["events"]["rows"] == on_duck["inputs"]["events"]["rows"] > 0
        for results in (on_pg, on_duck):
            for key in ("engine", "inputs", "generated_at"):
                results.pop(key)
            for key in ("data_dir", "engine"):  # they name the source and the engine, which differ by design
                results["params"].pop(key)
        assert json_differences(on_pg, on_duck, names=("PostgreSQL", "DuckDB")) == [], chapter


def test_nothing_was_written_into_the_source_database(server, loaded):
    from socialops.inputs.engine import connect

    con = connect(server)
    try:
        assert sorted(con.list_tables(database="analytics")) == ["audience", "experiment", "mentions",
                                                                  "platform_daily", "posts"]
        assert con.list_tables(database="crm") == ["user_events"]
    finally:
        con.disconnect()


def test_a_password_in_the_url_is_refused(server, loaded, tmp_path):
    literal = server.replace(f"${PASSWORD_ENV}", os.environ[PASSWORD_ENV])
    done = run_cli("validate", "--data", "db:analytics", "--engine", literal)
    assert done.returncode == 2
    assert "password" in done.stderr and os.environ[PASSWORD_ENV] not in done.stderr + done.stdout


def test_validation_names_failing_rows_by_key(server, loaded):
    from socialops.inputs import contract
    from socialops.inputs.engine import connect

    con = connect(server)
    try:
        con.raw_sql("CREATE SCHEMA broken")
        con.raw_sql("CREATE TABLE broken.posts AS SELECT * FROM analytics.posts LIMIT 3")
        con.raw_sql("UPDATE broken.posts SET impressions = -5 WHERE post_id = "
                    "(SELECT MIN(post_id) FROM broken.posts)")
        first = con.sql("SELECT MIN(post_id) AS p FROM broken.posts").execute()["p"].iloc[0]
        report = contract.validate("db:broken", ["posts"], engine=con)
    finally:
        con.disconnect()
    [failure] = report.failures
    assert (failure.file, failure.row, failure.key, failure.column, failure.value) == (
        "broken.posts", None, f"post_id={first}", "impressions", "-5")

