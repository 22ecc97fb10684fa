"""Raw archive, quarantine and checkpoints, all in the ObjectStore.

Key layout (local directory and S3 alike)::

    raw/<brand>/<platform>/<account-slug>/<YYYY-MM-DD>/<HHMMSSffffff>Z-<run>-<n>.json.gz
    quarantine/<brand>/<platform>/<account-slug>/<YYYY-MM-DD>/<HHMMSSffffff>Z-<run>-<n>.json.gz
    state/<brand>/<platform>/<account-slug>.json

The date is the UTC day the response was fetched. A raw object is a gzipped
JSON wrapper ``{"url", "status", "fetched_at", "body"}`` where ``body`` is the
response text exactly as received except for credentials (``access_token``
values, bearer tokens and the token itself are replaced by ``REDACTED``). A
quarantined object is the same wrapper plus ``error`` (and ``item`` when a
single record of an otherwise good response could not be normalised).
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pulse.config import validate_brand_id
from pulse.connectors.checkpoint import Checkpoint
from pulse.exceptions import NotFoundError
from pulse.storage import ObjectStore

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def account_slug(account_id: str) -> str:
    """A key-safe, deterministic and collision-free slug of a platform account id.

    Safe ids are kept as they are (``maisonlumiere``). Others have every run of
    unsafe characters replaced by ``_`` and a short checksum of the original id
    appended, so ``urn:li:organization:7734`` and ``urn_li_organization_7734``
    never share a slug: ``urn_li_organization_7734-5a0f3c1e``.
    """
    cleaned = _UNSAFE.sub("_", account_id).strip("._-")[:80] or "account"
    if cleaned == account_id and cleaned[0].isalnum():
        return cleaned
    if not cleaned[0].isalnum():
        cleaned = f"a{cleaned}"
    return f"{cleaned}-{zlib.crc32(account_id.encode('utf-8')):08x}"


def state_key(brand: str, platform: str, account_id: str) -> str:
    return f"state/{validate_brand_id(brand)}/{platform}/{account_slug(account_id)}.json"


@dataclass(frozen=True)
class ArchivedPage:
    key: str
    url: str
    fetched_at: datetime


class RawArchive:
    """Writes raw responses and quarantined ones under one run id."""

    def __init__(self, store: ObjectStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self._n = 0

    def _key(self, area: str, brand: str, platform: str, account_id: str, at: datetime) -> str:
        self._n += 1
        at = at.astimezone(UTC)
        return (
            f"{area}/{validate_brand_id(brand)}/{platform}/{account_slug(account_id)}/"
            f"{at:%Y-%m-%d}/{at:%H%M%S%f}Z-{self.run_id}-{self._n:05d}.json.gz"
        )

    def _put(self, key: str, record: dict[str, Any]) -> None:
        data = gzip.compress(json.dumps(record, ensure_ascii=False).encode("utf-8"), mtime=0)
        self.store.put(key, data, "application/gzip")

    def save(
        self,
        brand: str,
        platform: str,
        account_id: str,
        *,
        url: str,
        status: int,
        fetched_at: datetime,
        body: str,
    ) -> ArchivedPage:
        """Archive one (already redacted) response before anything reads it."""
        key = self._key("raw", brand, platform, account_id, fetched_at)
        record = {"url": url, "status": status, "fetched_at": fetched_at.isoformat(), "body": body}
        self._put(key, record)
        return ArchivedPage(key, url, fetched_at)

    def quarantine(
        self,
        brand: str,
        platform: str,
        account_id: str,
        *,
        url: str,
        fetched_at: datetime,
        error: str,
        body: str | None = None,
        item: Any = None,
        raw_key: str | None = None,
    ) -> str:
        """Keep what could not be normalised, with why, where it came from and when."""
        key = self._key("quarantine", brand, platform, account_id, fetched_at)
        record: dict[str, Any] = {
            "error": error,
            "url": url,
            "fetched_at": fetched_at.isoformat(),
            "raw_key": raw_key,
        }
        if body is not None:
            record["body"] = body
        if item is not None:
            record["item"] = item
        self._put(key, record)
        return key


def read_archived(store: ObjectStore, key: str) -> dict[str, Any]:
    """Read back a raw or quarantined object (for tests and replays)."""
    data: dict[str, Any] = json.loads(gzip.decompress(store.get(key)))
    return data


class CheckpointStore:
    """One small JSON document per brand account (a :class:`~pulse.connectors.checkpoint.Checkpoint`)."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def load(self, brand: str, platform: str, account_id: str) -> Checkpoint:
        """The account's checkpoint (an empty one before its first run); older versions are migrated."""
        try:
            data = json.loads(self.store.get(state_key(brand, platform, account_id)))
        except NotFoundError:
            return Checkpoint()
        return Checkpoint.from_dict(data if isinstance(data, dict) else {})

    def save(self, brand: str, platform: str, account_id: str, checkpoint: Checkpoint) -> None:
        body = json.dumps(
            {**checkpoint.to_dict(), "account": account_id, "platform": platform},
            indent=2,
            sort_keys=True,
            default=str,
        )
        self.store.put(state_key(brand, platform, account_id), body.encode("utf-8"), "application/json")
