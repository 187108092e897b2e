"""The workspace: typed Ibis tables of a data folder, presence checks, date ranges and input fingerprints."""

import datetime as dt
import hashlib
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from socialops.inputs.engine import connect
from socialops.inputs.readers import ALLOW_OUTSIDE_ENV, ReadError
from socialops.inputs.sources import file_sha256
from socialops.inputs.tables import CHAPTER_TABLES, TABLES
from socialops.inputs.workspace import open_workspace

DAILY = (
    "日期,平台,粉丝数,曝光量,点赞,评论,转发,收藏\n"
    "2026-09-01,抖音,100,5000,10,2,3,\n"
    "2026-09-02,douyin,101,5200,11,3,4,5\n"
)
POSTS = (
    "post_id,platform,published_at,content_type,is_ad,impressions,likes\n"
    "0013800138000,wechat,2026-09-01 20:15:00,tutorial,否,100,5\n"
    "1234567890123456789,wechat,2026-09-03 08:00:00,promotion,是,50,1\n"
)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "platform_daily.csv").write_text(DAILY, encoding="gb18030")
    (tmp_path / "posts.csv").write_text(POSTS, encoding="utf-8-sig")
    return tmp_path


def test_tables_have_canonical_names_and_types(folder):
    with open_workspace(folder, CHAPTER_TABLES["01_platform_matrix"], threads=1) as ws:
        daily = ws.table("platform_daily")
        assert daily.columns == ("date", "platform", "followers", "impressions", "engagements", "likes", "comments",
                                 "shares", "saves")
        for name, dtype in daily.schema().items():
            assert str(dtype).startswith(TABLES["platform_daily"].column(name).dtype), name
        posts = ws.table("posts").order_by("published_at").to_pandas()
        assert posts.post_id.tolist() == ["0013800138000", "1234567890123456789"]
        assert posts.is_ad.tolist() == [False, True]
        assert str(ws.table("posts").schema()["published_at"]).startswith("timestamp")


def test_engagements_are_derived_from_their_parts(folder):
    with open_workspace(folder, ["platform_daily"], threads=1) as ws:
        df = ws.table("platform_daily").order_by("date").to_pandas()
        assert df.engagements.tolist() == [15, 23]  # a blank part counts as 0
        assert df.platform.tolist() == ["douyin", "douyin"]
        assert ws.has("platform_daily", "engagements")


def test_presence_and_time_columns(folder):
    with open_workspace(folder, ["platform_daily", "posts", "audience"], threads=1) as ws:
        assert ws.has("posts") and not ws.has("audience")
        assert ws.has("posts", "likes") and not ws.has("posts", "saves") and not ws.has("audience", "share")
        assert list(ws.table("posts").columns) == ["post_id", "platform", "published_at", "content_type", "is_ad",
                                       "impressions", "likes"]
        assert ws.time_column("posts") == "published_at" and ws.time_column("audience") is None
        with pytest.raises(KeyError, match="audience"):
            ws.table("audience")
        with pytest.raises(KeyError, match="known tables"):
            ws.table("orders")


def test_date_range(folder):
    with open_workspace(folder, ["platform_daily", "posts"], threads=1) as ws:
        lo, hi = ws.date_range("posts")
        assert (lo, hi) == (dt.datetime(2026, 9, 1, 20, 15), dt.datetime(2026, 9, 3, 8, 0))
        lo, hi = ws.date_range("platform_daily")
        assert (lo.date(), hi.date()) == (dt.date(2026, 9, 1), dt.date(2026, 9, 2))


def test_date_range_is_queried_once_per_table(folder, monkeypatch):
    with open_workspace(folder, ["platform_daily", "posts"], threads=1) as ws:
        queries = []
        execute = type(ws.con).execute
        monkeypatch.setattr(type(ws.con), "execute", lambda con, *a, **k: queries.append(a) or execute(con, *a, **k))
        assert ws.date_range("posts") == ws.date_range("posts") == (dt.datetime(2026, 9, 1, 20, 15),
                                                                   dt.datetime(2026, 9, 3, 8, 0))
        assert len(queries) == 1
        ws.date_range("platform_daily")
        assert len(queries) == 2


def test_inputs_fingerprint_the_files_and_leave_them_alone(folder):
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    with open_workspace(folder, None, threads=1) as ws:
        inputs = ws.inputs()
    assert inputs == {
        "platform_daily": {"file": "platform_daily.csv", "rows": 2, "sha256": before["platform_daily.csv"]},
        "posts": {"file": "posts.csv", "rows": 2, "sha256": before["posts.csv"]},
    }
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert after == before
    assert file_sha256(folder / "posts.csv") == before["posts.csv"]


def test_parquet_tables(tmp_path):
    ts = [dt.datetime(2026, 9, 1, 10, 0, 0, 123456), dt.datetime(2026, 9, 2, 11, 0)]
    pq.write_table(
        pa.table({
            "experiment_id": ["title_summer", "title_summer"],
            "unit_id": pa.array([13800138000, 42], pa.int64()),
            "variant": ["control", "variant"],
            "assigned_at": pa.array(ts, pa.timestamp("us")),
            "converted": pa.array([0, 1], pa.int32()),
            "value": [0.0, 12.5],
        }),
        tmp_path / "experiment.parquet",
    )
    with open_workspace(tmp_path, ["experiment"], threads=1) as ws:
        t = ws.table("experiment")
        assert str(t.schema()["converted"]) == "int64" and str(t.schema()["unit_id"]) == "string"
        df = t.order_by("unit_id").to_pandas()
        assert df.unit_id.tolist() == ["13800138000", "42"]
        assert df.assigned_at.tolist()[0] == np.datetime64("2026-09-01T10:00:00.123456")
        assert not ws.has("experiment", "pre_value")


def test_a_caller_owned_engine_is_left_open(folder):
    con = connect("duckdb", threads=1, memory_limit="1GB")
    ws = open_workspace(folder, ["posts"], engine=con)
    assert ws.con is con
    ws.close()
    assert con.list_tables() == ["posts"]
    con.disconnect()


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        open_workspace(tmp_path / "nowhere", ["events"])


def test_opening_a_few_megabytes_is_fast(tmp_path):
    rng = np.random.default_rng(1)
    n = 60_000
    users = rng.integers(10**12, 10**13, n)
    kinds = np.array(["view", "like", "share", "purchase"])[rng.integers(0, 4, n)]
    with (tmp_path / "events.csv").open("w", encoding="utf-8") as fh:
        fh.write("user_id,ts,event,platform,amount\n")
        for i in range(n):
            fh.write(f"0{users[i]},2026-0{1 + i % 9}-1{i % 10} 1{i % 10}:00:00,{kinds[i]},douyin,{i % 97}.5\n")
    assert (tmp_path / "events.csv").stat().st_size > 3_000_000
    with open_workspace(tmp_path, ["events"], threads=1):  # the first opening also pays for imports
        pass
    # CPU time, not wall time: on a shared machine the wall clock mostly measures the neighbours
    start = time.process_time()
    with open_workspace(tmp_path, ["events"], threads=1) as ws:
        elapsed = time.process_time() - start
        assert ws.inputs()["events"]["rows"] == n
        assert ws.table("events").user_id.length().min().execute() == 14
    assert elapsed < 0.8, elapsed


def test_the_samples_open_with_canonical_types():
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "data" / "samples"
    with open_workspace(samples, None, threads=1) as ws:
        assert set(ws.inputs()) == set(TABLES)
        for name, spec in TABLES.items():
            for column, dtype in ws.table(name).schema().items():
                assert str(dtype).startswith(spec.column(column).dtype), (name, column, dtype)
        assert ws.date_range("events")[1] == dt.datetime(2026, 9, 30, 23, 59, 59)


def _table_kind(ws, name):
    return ws.con.raw_sql(f"SELECT table_type FROM information_schema.tables WHERE table_name = '{name}'").fetchone()[0]


def _events(path, user_ids, platforms):
    pq.write_table(
        pa.table({
            "user_id": user_ids,
            "ts": pa.array([dt.datetime(2026, 9, 1, 8), dt.datetime(2026, 9, 2, 9)], pa.timestamp("ms")),
            "event": ["view", "purchase"],
            "platform": platforms,
            "amount": [None, 12.5],
        }),
        path,
    )


def test_a_canonical_parquet_file_is_queried_in_place(tmp_path):
    _events(tmp_path / "events.parquet", ["u1", "u2"], ["douyin", "wechat"])
    with open_workspace(tmp_path, ["events"], threads=1) as ws:
        assert _table_kind(ws, "events") == "VIEW"
        t = ws.table("events")
        assert str(t.schema()["ts"]) == "timestamp(6)"  # the canonical precision, whatever the file's
        df = t.order_by("ts").to_pandas()
        assert df.user_id.tolist() == ["u1", "u2"] and df.platform.tolist() == ["douyin", "wechat"]
        assert ws.inputs()["events"]["rows"] == 2


def test_a_parquet_file_that_needs_cleaning_is_converted_once(tmp_path):
    _events(tmp_path / "events.parquet", [" u1", "u2 "], ["抖音", "WeChat"])
    with open_workspace(tmp_path, ["events"], threads=1) as ws:
        assert _table_kind(ws, "events") != "VIEW"
        df = ws.table("events").order_by("ts").to_pandas()
        assert df.user_id.tolist() == ["u1", "u2"] and df.platform.tolist() == ["douyin", "wechat"]


def test_a_table_file_linking_out_of_the_data_folder_is_not_opened(folder, monkeypatch):
    outside = Path(__file__).resolve().parents[1] / "data" / "hostile" / "outside" / "events.csv"
    monkeypatch.delenv(ALLOW_OUTSIDE_ENV, raising=False)
    (folder / "events.csv").symlink_to(outside)
    with pytest.raises(ReadError, match="events.csv: a link to .*outside the data folder") as caught:
        open_workspace(folder, ["platform_daily", "events"], threads=1, memory_limit="1GB")
    assert "marker" not in str(caught.value)
    monkeypatch.setenv(ALLOW_OUTSIDE_ENV, "1")  # opted in (`--allow-outside-links`), it is read
    with open_workspace(folder, ["events"], threads=1, memory_limit="1GB") as workspace:
        assert workspace.inputs()["events"]["rows"] == 2
