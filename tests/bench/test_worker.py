"""One benchmark run of one tool in the current process: its result file and its memory reading."""

from __future__ import annotations

import json

import pytest

from socialops.bench import worker


def test_worker_writes_the_digest_and_its_phases(small, tmp_path):
    folder, as_of = small
    result = tmp_path / "result.json"
    worker.main(["socialops_bgnbd", str(folder), str(as_of), str(result), "--threads", "1", "--memory-limit", "1GB"])
    payload = json.loads(result.read_text(encoding="utf-8"))
    assert set(payload) == {"digest", "phases", "peak_rss_mb"}
    assert set(payload["digest"]) == {"bgnbd"} and payload["digest"]["bgnbd"]["customers"] > 1000
    assert payload["phases"]["import_s"] >= 0 and payload["phases"]["compute_s"] > 0
    assert payload["peak_rss_mb"] > 20


def test_the_floor_worker_counts_the_events(small, tmp_path):
    folder, as_of = small
    result = tmp_path / "result.json"
    worker.main(["floor", str(folder), str(as_of), str(result), "--threads", "1", "--memory-limit", "1GB"])
    floor = json.loads(result.read_text(encoding="utf-8"))["digest"]["floor"]
    assert floor["events"] > 40_000 and 4_000 < floor["users"] < floor["events"]


def test_the_fit_worker_needs_no_date(tmp_path):
    from socialops.bench.fits import ensure_bgnbd_customers

    result = tmp_path / "result.json"
    worker.main(["fit_bgnbd", str(ensure_bgnbd_customers(tmp_path, 5_000, seed=1)), "-", str(result)])
    digest = json.loads(result.read_text(encoding="utf-8"))["digest"]
    assert digest["customers"] == 5_000 and set(digest["params"]) == {"r", "alpha", "a", "b"}


def test_worker_refuses_an_unknown_tool(tmp_path):
    with pytest.raises(SystemExit):
        worker.main(["spreadsheet", str(tmp_path), "2026-01-01", str(tmp_path / "r.json")])


def test_peak_rss_is_in_megabytes():
    assert 20 < worker.peak_rss_mb() < 64 * 1024
