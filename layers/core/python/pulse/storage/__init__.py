"""The archive: one key layout, stored in a local directory or in S3."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pulse.storage.base import ObjectStore
from pulse.storage.local import LocalStore
from pulse.storage.s3 import S3Store

__all__ = ["LocalStore", "ObjectStore", "S3Store", "open_store"]

if TYPE_CHECKING:
    pass


def open_store(location: str, *, s3_client: Any = None) -> ObjectStore:
    """Open ``location``: ``s3://bucket[/prefix]`` or a local directory."""
    if location.startswith("s3://"):
        bucket, _, prefix = location[5:].partition("/")
        return S3Store(bucket, prefix=prefix, client=s3_client)
    return LocalStore(location)
