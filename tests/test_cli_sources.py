"""The command line's data sources: ``--data db:…`` and the params file's ``tables:`` refused or listed clearly."""

from __future__ import annotations

from tests.conftest import SAMPLES, run_cli


def test_a_db_source_without_schema_or_table_is_exit_2(tmp_path):
    done = run_cli("run", "lifecycle", "--data", "db:", "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "name a schema (db:analytics)" in done.stderr


def test_a_tables_mapping_cannot_be_mixed_with_a_folder(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("lang: en\ntables:\n  events: crm.user_events\n", encoding="utf-8")
    done = run_cli("run", "lifecycle", "--data", str(SAMPLES), "--params", str(params), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "cannot be mixed with the folder" in done.stderr


def test_a_tables_mapping_of_an_unknown_table_is_exit_2(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("tables:\n  clicks: crm.clicks\n", encoding="utf-8")
    done = run_cli("run", "lifecycle", "--params", str(params), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "no table 'clicks' in the contract" in done.stderr


def test_validate_names_the_missing_tables_of_a_schema():
    done = run_cli("validate", "lifecycle", "--data", "db:main")
    assert done.returncode == 2
    assert "missing required table: no main.events" in done.stderr
