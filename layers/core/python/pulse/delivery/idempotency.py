"""Idempotency for the jobs that must happen once: Powertools' utility, two persistence layers.

On AWS the records live in DynamoDB (Powertools' ``DynamoDBPersistenceLayer``);
locally in a directory of JSON files with the same semantics
(:class:`LocalPersistenceLayer`): a record is created only if none exists, or
if the existing one has expired, under a file lock, so a duplicated or
concurrent run sees "already done" or "in progress" instead of doing the work
twice. A local in-progress record names the process that holds it: once that
process is gone (killed, crashed), the next run takes over at once instead of
waiting for the record's expiry.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from pulse.settings import Settings

T = TypeVar("T")


class LocalPersistenceLayer(BasePersistenceLayer):
    """Idempotency records as JSON files in a directory (one per key), guarded by a lock file."""

    def __init__(self, directory: str | Path) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _read_item(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        if not path.is_file():
            return None
        item: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return item

    def _read(self, key: str) -> DataRecord | None:
        item = self._read_item(key)
        if item is None:
            return None
        return DataRecord(
            idempotency_key=item["idempotency_key"],
            status=item["status"],
            expiry_timestamp=item.get("expiry_timestamp"),
            in_progress_expiry_timestamp=item.get("in_progress_expiry_timestamp"),
            response_data=item.get("response_data", ""),
            payload_hash=item.get("payload_hash", ""),
        )

    def _write(self, record: DataRecord) -> None:
        path = self._path(record.idempotency_key)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # private, like the archive
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(
                json.dumps(
                    {
                        "idempotency_key": record.idempotency_key,
                        "status": record.status,
                        "expiry_timestamp": record.expiry_timestamp,
                        "in_progress_expiry_timestamp": record.in_progress_expiry_timestamp,
                        "response_data": record.response_data,
                        "payload_hash": record.payload_hash,
                        **self._owner(record),
                    }
                )
            )
        os.replace(tmp, path)

    @staticmethod
    def _owner(record: DataRecord) -> dict[str, Any]:
        """Who holds an in-progress record: this host and process (and when the process started)."""
        if record.status != "INPROGRESS":
            return {}
        pid = os.getpid()
        return {"owner": {"host": socket.gethostname(), "pid": pid, "started": _process_started(pid)}}

    def _get_record(self, idempotency_key: str) -> DataRecord:
        with self._locked():
            record = self._read(idempotency_key)
        if record is None:
            raise IdempotencyItemNotFoundError
        return record

    def _put_record(self, data_record: DataRecord) -> None:
        with self._locked():
            item = self._read_item(data_record.idempotency_key)
            existing = self._read(data_record.idempotency_key)
            now = time.time()
            if existing is not None and item is not None:
                expired = bool(existing.expiry_timestamp and now > existing.expiry_timestamp)
                stale_lock = existing.status == "INPROGRESS" and (
                    (
                        existing.in_progress_expiry_timestamp is not None
                        and now * 1000 > existing.in_progress_expiry_timestamp
                    )
                    or _holder_is_gone(item.get("owner"))
                )
                if not (expired or stale_lock):
                    raise IdempotencyItemAlreadyExistsError(old_data_record=existing)
            self._write(data_record)

    def _update_record(self, data_record: DataRecord) -> None:
        with self._locked():
            self._write(data_record)

    def _delete_record(self, data_record: DataRecord) -> None:
        with self._locked():
            self._path(data_record.idempotency_key).unlink(missing_ok=True)


def make_persistence(settings: Settings, *, dynamodb_client: Any = None) -> BasePersistenceLayer:
    """DynamoDB when ``PULSE_IDEMPOTENCY_TABLE`` is set, else a local directory."""
    if settings.idempotency_table:
        return DynamoDBPersistenceLayer(table_name=settings.idempotency_table, boto3_client=dynamodb_client)
    return LocalPersistenceLayer(settings.state_dir / "idempotency")


def run_once(
    persistence: BasePersistenceLayer,
    key: dict[str, Any],
    work: Callable[[], dict[str, Any]],
    *,
    expires_after_seconds: int,
    lock_seconds: int = 900,
    lambda_context: Any = None,
) -> dict[str, Any]:
    """Run ``work`` once per ``key``: a repeat returns the first result; a concurrent one raises.

    Raises ``IdempotencyAlreadyInProgressError`` while another run with the same key is in
    progress. If ``work`` raises, the record is removed so a later retry runs again. A run
    that dies without raising (a Lambda timeout, a killed process) holds the key for the
    rest of its Lambda time, or ``lock_seconds`` outside Lambda, then others may run.
    """
    config = IdempotencyConfig(expires_after_seconds=expires_after_seconds, use_local_cache=False)
    config.register_lambda_context(lambda_context or _LockWindow(lock_seconds))  # type: ignore[arg-type]

    @idempotent_function(data_keyword_argument="job", persistence_store=persistence, config=config)  # type: ignore[untyped-decorator]
    def _run(job: dict[str, Any]) -> dict[str, Any]:
        return work()

    result: dict[str, Any] = _run(job=key)
    return result


def _process_started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, Linux), "alive" elsewhere, None if gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            return None  # Linux, and no such process
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return "alive"


def _holder_is_gone(owner: Any) -> bool:
    """True when an in-progress record's process ran on this host and no longer runs."""
    if not isinstance(owner, dict) or owner.get("host") != socket.gethostname():
        return False  # another machine (or an older record): only its expiry frees it
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    started = _process_started(pid)
    if started is None:
        return True
    recorded = owner.get("started")
    return "alive" not in (started, recorded) and started != recorded  # the pid was reused


class _LockWindow:
    """Stands in for a Lambda context outside Lambda: how long an in-progress record holds."""

    def __init__(self, seconds: int) -> None:
        self.deadline = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))
