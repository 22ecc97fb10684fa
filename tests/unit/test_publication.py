"""A report is published whole: a fault injected at any write leaves readers the previous report, whole.

Readers (the API, ``pulse`` links) resolve the manifest; these tests read the
archive the same way, after a failure at each write of a publication, both as an
I/O error (later writes work: the cleanup runs) and as a killed process (no
write works after the fault: nothing is cleaned).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest

from pulse.exceptions import NotFoundError, StorageError
from pulse.period import Month
from pulse.pipeline.archive import (
    REPORT_FILES,
    has_report,
    legacy_key,
    list_reports,
    publish,
    read_manifest,
    read_report_file,
)
from pulse.storage import LocalStore
from pulse.storage.base import ObjectInfo, ObjectStore

MONTH = Month(2026, 10)
NOW = datetime(2026, 11, 2, 8, tzinfo=UTC)
Mode = Literal["error", "kill"]


class FaultyStore(ObjectStore):
    """A local store whose ``fail_at``-th write fails; with ``mode="kill"`` every later one too."""

    def __init__(self, root: Path, fail_at: int | None = None, mode: Mode = "error") -> None:
        self.inner = LocalStore(root)
        self.location = self.inner.location
        self.fail_at = fail_at
        self.mode = mode
        self.writes = 0
        self.failed: str | None = None

    def _write(self, what: str) -> None:
        self.writes += 1
        dead = self.fail_at is not None and (
            self.writes == self.fail_at or (self.mode == "kill" and self.writes > self.fail_at)
        )
        if dead:
            self.failed = self.failed or what
            raise StorageError(f"injected fault at write {self.writes} ({what})")

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self._write(f"put {key}")
        self.inner.put(key, data, content_type)

    def copy(self, source: str, target: str) -> None:
        self._write(f"copy {target}")
        self.inner.copy(source, target)

    def update(
        self,
        key: str,
        change: Callable[[bytes | None], bytes],
        content_type: str = "application/octet-stream",
    ) -> bytes:
        self._write(f"update {key}")
        return self.inner.update(key, change, content_type)

    def delete(self, key: str) -> None:
        self._write(f"delete {key}")
        self.inner.delete(key)

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        return self.inner.list(prefix)

    def link(self, key: str, expires_in: int = 3600) -> str:
        return self.inner.link(key, expires_in)

    def download_url(self, key: str, expires_in: int = 900) -> str | None:
        return self.inner.download_url(key, expires_in)


def payloads(tag: str) -> dict[str, bytes]:
    return {
        "report.html": f"<html>{tag}</html>".encode(),
        "report.pdf": f"%PDF-{tag}".encode(),
        "kpis.json": json.dumps({"tag": tag}).encode(),
    }


def served(store: ObjectStore) -> dict[str, bytes]:
    return {name: read_report_file(store, "acme", MONTH, name) for name in REPORT_FILES}


def writes_of_one_publication(tmp_path: Path) -> int:
    store = FaultyStore(tmp_path / "count")
    publish(store, "acme", MONTH, payloads("A"), NOW)
    store.writes = 0
    publish(store, "acme", MONTH, payloads("B"), NOW)
    return store.writes


@pytest.mark.parametrize("mode", ["error", "kill"])
def test_a_fault_at_any_write_never_serves_a_mixed_report(tmp_path: Path, mode: Mode) -> None:
    total = writes_of_one_publication(tmp_path)
    assert total >= 7, "3 staged files, 3 copies, 1 manifest (and the staging cleanup)"
    mixed = old = new = 0
    for fail_at in range(1, total + 1):
        store = FaultyStore(tmp_path / f"{mode}-{fail_at}")
        publish(store, "acme", MONTH, payloads("A"), NOW)
        store.writes, store.fail_at, store.mode = 0, fail_at, mode
        with contextlib.suppress(StorageError):
            publish(store, "acme", MONTH, payloads("B"), NOW + timedelta(minutes=1))
        files = served(store)
        if files == payloads("A"):
            old += 1
        elif files == payloads("B"):
            new += 1
        else:
            mixed += 1
        if mode == "error":  # the cleanup runs: only a file whose own deletion failed is left
            left = [f"delete {o.key}" for o in store.list("staging/")]
            assert left in ([], [store.failed]), f"staging left after a fault at write {fail_at}: {left}"
    assert mixed == 0, f"{mixed} of {total} faults left a mixed report"
    assert old >= 7, "every fault up to the manifest switch leaves the previous report"
    assert old + new == total


def test_killed_runs_leave_staging_that_the_next_publication_deletes(tmp_path: Path) -> None:
    store = FaultyStore(tmp_path, fail_at=2, mode="kill")
    with pytest.raises(StorageError):
        publish(store, "acme", MONTH, payloads("A"), NOW)
    assert list(store.list("staging/acme/")), "a killed run cannot clean up"
    assert not has_report(store, "acme", MONTH)
    store.fail_at = None
    publish(store, "acme", MONTH, payloads("B"), datetime.now(UTC) + timedelta(hours=2))
    assert not list(store.list("staging/")), "leftovers older than an hour are deleted"
    assert served(store) == payloads("B")


def test_readers_resolve_the_manifest_and_old_versions_stay_readable(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    with pytest.raises(NotFoundError, match="no report for acme 2026-10"):
        read_manifest(store, "acme", MONTH)
    first = publish(store, "acme", MONTH, payloads("A"), NOW)
    second = publish(store, "acme", MONTH, payloads("B"), NOW + timedelta(minutes=1))
    assert first.version != second.version and served(store) == payloads("B")
    assert store.get(first.keys["report.pdf"]) == payloads("A")["report.pdf"], (
        "a link handed out earlier works"
    )
    assert list_reports(store, "acme") == ["2026-10"]


def test_an_archive_written_before_versions_is_still_read(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for name, data in payloads("legacy").items():
        store.put(legacy_key("acme", MONTH, name), data)
    assert served(store) == payloads("legacy") and list_reports(store, "acme") == ["2026-10"]
    publish(store, "acme", MONTH, payloads("B"), NOW)
    assert served(store) == payloads("B"), "once published with a manifest, the manifest wins"
