"""Archive in a local directory (the default: ``./out/archive``).

Writes go to a temporary file in the target's directory, then ``os.replace``:
readers see the old or the new file, never a part. :meth:`LocalStore.update`
holds an exclusive ``flock`` on a per-key lock file (``.lock-<name>``, next to
the object) from the read to the rename, so concurrent writers, threads or
processes, queue up instead of overwriting each other.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pulse.exceptions import NotFoundError, StorageError
from pulse.storage.base import ObjectInfo, ObjectStore, check_key


class LocalStore(ObjectStore):
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.location = str(self.root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")  # created 0600
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageError(f"cannot write {key} in the archive: {exc.strerror}") from exc

    @contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target.parent / f".lock-{target.name}", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageError(f"cannot lock {key} in the archive: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def update(
        self,
        key: str,
        change: Callable[[bytes | None], bytes],
        content_type: str = "application/octet-stream",
    ) -> bytes:
        with self._locked(key):
            try:
                current: bytes | None = self.get(key)
            except NotFoundError:
                current = None
            data = change(current)
            self.put(key, data, content_type)
        return data

    def get(self, key: str) -> bytes:
        target = self.path(key)
        try:
            return target.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"{key} is not in the archive") from None
        except OSError as exc:
            raise StorageError(f"cannot read {key} in the archive: {exc.strerror}") from exc

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        base = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not base.is_dir():
            return
        found = []
        for path in base.rglob("*"):
            if not path.is_file() or path.name.startswith("."):  # temporary and lock files
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                st = path.stat()
                found.append(ObjectInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC)))
        yield from sorted(found, key=lambda o: o.key)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def copy(self, source: str, target: str) -> None:
        self.put(target, self.get(source))

    def link(self, key: str, expires_in: int = 3600) -> str:
        return self.path(key).as_uri()

    def download_url(self, key: str, expires_in: int = 900) -> str | None:
        if not self.exists(key):
            raise NotFoundError(f"{key} is not in the archive")
        return None  # a file:// URL means nothing to an HTTP client: the API serves the bytes
