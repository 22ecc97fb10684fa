"""The object-store interface the core reads and writes the archive through."""

from __future__ import annotations

import posixpath
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from pulse.exceptions import StorageError

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=/-]*$")


def check_key(key: str) -> str:
    """Reject keys that could escape the archive (``..``, absolute, odd characters)."""
    if (
        not _SAFE_KEY.fullmatch(key)
        or key.startswith("/")
        or any(part in ("", ".", "..") for part in key.split("/"))
    ):
        raise StorageError(f"unsafe archive key {key!r}")
    return posixpath.normpath(key)


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime


class ObjectStore(ABC):
    """A flat key -> bytes store with ``/``-separated keys."""

    #: Human-readable location (a path or an s3:// URL).
    location: str

    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Write ``data`` at ``key`` atomically (readers see the old or the new object, never a part)."""

    @abstractmethod
    def update(
        self,
        key: str,
        change: Callable[[bytes | None], bytes],
        content_type: str = "application/octet-stream",
    ) -> bytes:
        """Replace ``key`` with ``change(current)`` without losing a concurrent writer's update.

        ``current`` is None when the key is absent. ``change`` may be called more than
        once (after a conflict it is called again with the newer content), so it must
        not have side effects beyond its return value. Returns what was written.
        """

    @abstractmethod
    def get(self, key: str) -> bytes:
        """Read ``key``; raise :class:`pulse.exceptions.NotFoundError` if absent."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix``, in key order."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def copy(self, source: str, target: str) -> None:
        """Copy ``source`` to ``target`` inside the store (server-side in S3)."""

    @abstractmethod
    def link(self, key: str, expires_in: int = 3600) -> str:
        """A URL a person can open: a file:// path locally, a presigned URL in S3."""

    @abstractmethod
    def download_url(self, key: str, expires_in: int = 900) -> str | None:
        """A URL an HTTP client can be redirected to for ``key``, or None when there is none.

        S3 gives a presigned URL; a local directory has no HTTP address, so the
        API serves the bytes itself. Raises NotFoundError if ``key`` is absent.
        """
