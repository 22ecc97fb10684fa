"""Concurrent writers into one lake partition lose no row, locally and on S3 (moto server, real HTTP).

N writers (threads, then processes) each write M batches of distinct posts into the same
brand-month, plus one post they all update; afterwards every row is in the partition.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pandas as pd
import pytest
from moto import mock_aws
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.s3.responses import S3Response

from pulse.lake import Lake, partition_key
from pulse.period import Month
from pulse.storage import LocalStore, ObjectStore, S3Store
from pulse.tables import Tables

BRAND = "brightbank"
MONTH = Month(2026, 10)
UTC = ZoneInfo("UTC")
BUCKET = "lake-concurrency"
WRITERS = 4
BATCHES = 6
ROWS = 25


def batch(writer: int, number: int) -> Tables:
    ids = [f"w{writer}-b{number}-{i}" for i in range(ROWS)] + ["shared"]
    return Tables(
        posts=pd.DataFrame(
            {
                "platform": "x",
                "account": "bb",
                "post_id": ids,
                "created_at": pd.Timestamp("2026-10-15T12:00:00Z"),
                "likes": [1] * ROWS + [writer * 1000 + number],
            }
        )
    )


def open_store(location: str) -> ObjectStore:
    if location.startswith("http://"):  # a moto server
        client = boto3.client("s3", endpoint_url=location, region_name="us-east-1")
        return S3Store(BUCKET, prefix="p", client=client)
    return LocalStore(location)


def write_batches(location: str, writer: int) -> int:
    """One writer: M batches, each merged into the same partition; returns the rows it reported new."""
    lake = Lake(open_store(location))
    new = 0
    for number in range(BATCHES):
        new += lake.write(BRAND, UTC, batch(writer, number)).new["posts"]
    return new


def rows_lost(location: str) -> int:
    stored = set(Lake(open_store(location)).read_partition("posts", BRAND, MONTH)["post_id"])
    expected = {f"w{w}-b{b}-{i}" for w in range(WRITERS) for b in range(BATCHES) for i in range(ROWS)}
    assert "shared" in stored
    return len(expected - stored)


@pytest.fixture
def moto_server(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # S3 checks a PutObject's If-Match / If-None-Match and writes in one atomic step; moto
    # checks, then writes, in two. Serialising moto's PutObject gives it S3's atomicity, so
    # the test measures our retries, not a race inside the fake.
    serial = threading.Lock()
    put_object = S3Response.put_object

    def atomic_put_object(self: S3Response) -> Any:
        with serial:
            return put_object(self)

    monkeypatch.setattr(S3Response, "put_object", atomic_put_object)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # Moto's state is per process, not per server: start from an empty account.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10)
    boto3.client("s3", endpoint_url=url, region_name="us-east-1").create_bucket(Bucket=BUCKET)
    yield url
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10)
    server.stop()


Runner = Callable[..., list[int]]


def in_threads(location: str, work: Callable[[str, int], int] = write_batches) -> list[int]:
    with ThreadPoolExecutor(WRITERS) as pool:
        return list(pool.map(work, [location] * WRITERS, range(WRITERS)))


def in_processes(location: str, work: Callable[[str, int], int] = write_batches) -> list[int]:
    with ProcessPoolExecutor(WRITERS, mp_context=get_context("spawn")) as pool:
        return list(pool.map(work, [location] * WRITERS, range(WRITERS)))


@pytest.mark.parametrize("run", [in_threads, in_processes], ids=["threads", "processes"])
def test_concurrent_writers_into_a_local_lake_lose_no_row(tmp_path: Path, run: Runner) -> None:
    news = run(str(tmp_path))
    assert rows_lost(str(tmp_path)) == 0
    # Each row is counted new exactly once across writers (plus the shared row, new for one writer).
    assert sum(news) == WRITERS * BATCHES * ROWS + 1
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []


@pytest.mark.parametrize("run", [in_threads, in_processes], ids=["threads", "processes"])
def test_concurrent_writers_into_an_s3_lake_lose_no_row(moto_server: str, run: Runner) -> None:
    news = run(moto_server)
    assert rows_lost(moto_server) == 0
    assert sum(news) == WRITERS * BATCHES * ROWS + 1


def test_an_s3_update_that_loses_the_race_starts_again(aws_env: None) -> None:
    """A write between our read and our write makes ours fail its condition, then retry with it."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        store = S3Store(BUCKET, client=client, sleep=lambda _s: None)
        lake = Lake(store)
        lake.write(BRAND, UTC, batch(0, 0))
        key = partition_key("posts", BRAND, MONTH)
        sneaked: list[bool] = []
        real_update = store.update

        def update_with_a_rival(k: str, change: Any, content_type: str = "") -> bytes:
            def racing(current: bytes | None) -> bytes:
                if not sneaked:  # another writer lands between our read and our write
                    sneaked.append(True)
                    Lake(S3Store(BUCKET, client=client)).write(BRAND, UTC, batch(1, 0))
                return bytes(change(current))

            return real_update(k, racing, content_type)

        store.update = update_with_a_rival  # type: ignore[method-assign]
        summary = lake.write(BRAND, UTC, batch(2, 0))
        ids = set(lake.read_partition("posts", BRAND, MONTH)["post_id"])
        assert {f"w{w}-b0-{i}" for w in range(3) for i in range(ROWS)} <= ids
        assert summary.new["posts"] == ROWS and summary.partitions == [key]


def test_an_s3_update_gives_up_with_a_clear_error_when_it_never_wins(aws_env: None) -> None:
    from pulse.exceptions import ConcurrentUpdateError

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        store = S3Store(BUCKET, client=client, update_attempts=3, sleep=lambda _s: None)
        store.put("k", b"0")

        def always_raced(current: bytes | None) -> bytes:
            client.put_object(Bucket=BUCKET, Key="k", Body=os.urandom(8))
            return b"mine"

        with pytest.raises(ConcurrentUpdateError, match="after 3 attempts"):
            store.update("k", always_raced)
        assert store.get("k") != b"mine"


def test_a_local_update_waits_for_the_writer_holding_the_partition(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    inside, release = threading.Event(), threading.Event()
    done: list[str] = []

    def slow(current: bytes | None) -> bytes:
        inside.set()
        release.wait(10)
        return (current or b"") + b"a"

    first = threading.Thread(target=lambda: done.append(store.update("k", slow).decode()))
    first.start()
    inside.wait(10)
    second = threading.Thread(
        target=lambda: done.append(store.update("k", lambda c: (c or b"") + b"b").decode())
    )
    second.start()
    time.sleep(0.3)
    assert done == []  # the second writer waits for the lock
    release.set()
    first.join(10)
    second.join(10)
    # The first writer releases the lock before its caller records the result, so the two
    # appends may come in either order; the stored value proves who wrote first.
    assert sorted(done) == ["a", "ab"] and store.get("k") == b"ab"
    assert [o.key for o in store.list("")] == ["k"]  # the lock file is not an object


# ---------------------------------------------------------------- the coverage record

COVERAGE_RECORDS = 12


def record_coverage(location: str, writer: int) -> int:
    """One writer (a fetch, an import): records its own sources one month at a time."""
    from pulse.ingest.coverage import record_sources

    store = open_store(location)
    for number in range(COVERAGE_RECORDS):
        month = f"2026-{number % 12 + 1:02d}"
        record_sources(store, BRAND, [(month, "posts", f"p{writer}", f"file-{number}")])
    return COVERAGE_RECORDS


def coverage_lost(location: str) -> int:
    from pulse.ingest.coverage import read_coverage

    coverage = read_coverage(open_store(location), BRAND)
    stored = {
        (month, platform, source)
        for month, entry in coverage.months.items()
        for platform, sources in entry.tables.get("posts", {}).items()
        for source in sources
    }
    expected = {
        (f"2026-{n % 12 + 1:02d}", f"p{w}", f"file-{n}")
        for w in range(WRITERS)
        for n in range(COVERAGE_RECORDS)
    }
    return len(expected - stored)


@pytest.mark.parametrize("run", [in_threads, in_processes], ids=["threads", "processes"])
def test_concurrent_coverage_records_in_a_local_lake_lose_no_source(tmp_path: Path, run: Runner) -> None:
    run(str(tmp_path), record_coverage)
    assert coverage_lost(str(tmp_path)) == 0
    assert [p.name for p in tmp_path.rglob("*") if p.name.startswith(".tmp-")] == []


@pytest.mark.parametrize("run", [in_threads, in_processes], ids=["threads", "processes"])
def test_concurrent_coverage_records_in_an_s3_lake_lose_no_source(moto_server: str, run: Runner) -> None:
    run(moto_server, record_coverage)
    assert coverage_lost(moto_server) == 0


def test_a_coverage_record_that_loses_the_race_keeps_the_rivals_sources(aws_env: None) -> None:
    """A fetch's record lands between an import's read and its write: both sources stay."""
    from pulse.ingest.coverage import read_coverage, record_sources

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        store = S3Store(BUCKET, client=client, sleep=lambda _s: None)
        record_sources(store, BRAND, [("2026-10", "posts", "x", "api")])
        real_get = store.get
        sneaked: list[bool] = []

        def get_then_rival(key: str) -> bytes:  # today's code reads with get() then put()s
            data = real_get(key)
            if not sneaked:
                sneaked.append(True)
                record_sources(S3Store(BUCKET, client=client), BRAND, [("2026-10", "posts", "tiktok", "api")])
            return data

        real_update = store.update

        def update_with_a_rival(k: str, change: Any, content_type: str = "") -> bytes:
            def racing(current: bytes | None) -> bytes:
                if not sneaked:
                    sneaked.append(True)
                    record_sources(
                        S3Store(BUCKET, client=client), BRAND, [("2026-10", "posts", "tiktok", "api")]
                    )
                return bytes(change(current))

            return real_update(k, racing, content_type)

        store.get = get_then_rival  # type: ignore[method-assign]
        store.update = update_with_a_rival  # type: ignore[method-assign]
        record_sources(store, BRAND, [("2026-10", "posts", "x", "export:x-content")])
        assert sneaked
        tables = read_coverage(S3Store(BUCKET, client=client), BRAND).month("2026-10").tables
        assert tables["posts"] == {"x": ["api", "export:x-content"], "tiktok": ["api"]}
