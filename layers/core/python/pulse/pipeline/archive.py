"""Where reports live in the archive, how one is published whole, and how readers find it.

Layout (local directory or S3)::

    staging/<brand>/<YYYY-MM>/<version>/<file>       a report being written (transient; expires)
    reports/<brand>/<YYYY-MM>/<version>/<file>       a published version: immutable, never overwritten
    reports/<brand>/<YYYY-MM>/manifest.json          the pointer: which version is the report
    reports/<brand>/index.json                       the brand's archived months (informative)

Publication writes the files under ``staging/``, copies them under a fresh
version prefix, and only then switches the manifest (one atomic ``put``).
Readers (the API, ``pulse`` links) resolve the manifest and read that version's
files, so they see the previous report or the new one, whole, never a mix,
whatever step fails. Older versions stay readable (a link handed out before the
switch keeps working); staging is deleted at the end and expires by lifecycle
rule if the process was killed first.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pulse.config import validate_brand_id
from pulse.exceptions import NotFoundError, StorageError
from pulse.period import Month
from pulse.storage import ObjectStore

ReportFile = Literal["report.html", "report.pdf", "kpis.json"]
REPORT_FILES: tuple[ReportFile, ...] = ("report.html", "report.pdf", "kpis.json")
CONTENT_TYPES: dict[str, str] = {
    "report.html": "text/html; charset=utf-8",
    "report.pdf": "application/pdf",
    "kpis.json": "application/json",
}
MANIFEST = "manifest.json"
#: Staging files older than this are leftovers of a killed run: the next publication deletes them.
STAGING_LEFTOVER_AGE = timedelta(hours=1)


def _check_file(name: str) -> str:
    if name not in REPORT_FILES:
        raise NotFoundError(f"unknown report file {name!r} (one of {', '.join(REPORT_FILES)})")
    return name


def month_prefix(brand_id: str, month: Month | str) -> str:
    return f"reports/{validate_brand_id(brand_id)}/{month}"


def manifest_key(brand_id: str, month: Month | str) -> str:
    return f"{month_prefix(brand_id, month)}/{MANIFEST}"


def version_key(brand_id: str, month: Month | str, version: str, name: str) -> str:
    return f"{month_prefix(brand_id, month)}/{version}/{_check_file(name)}"


def legacy_key(brand_id: str, month: Month | str, name: str) -> str:
    """Where reports were archived before versions (read only: archives written by older releases)."""
    return f"{month_prefix(brand_id, month)}/{_check_file(name)}"


def index_key(brand_id: str) -> str:
    return f"reports/{validate_brand_id(brand_id)}/index.json"


def new_version(now: datetime) -> str:
    """A version id that sorts by time: ``20261102T080000Z-1a2b3c4d``."""
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def report_links(base: str, brand_id: str, month: Month | str) -> dict[str, str]:
    """Stable links to a report's files through the HTTP API (which resolves the manifest).

    ``base`` is the API's public URL (``PULSE_PUBLIC_BASE_URL``) or ``""`` for
    links relative to the API itself.
    """
    root = base.rstrip("/")
    return {name: f"{root}/reports/{brand_id}/{month}/{name}" for name in REPORT_FILES}


@dataclass(frozen=True)
class Manifest:
    """Which version of a brand-month's report readers get, and its files' keys and sizes."""

    brand: str
    month: str
    version: str | None
    generated_at: str | None
    keys: dict[str, str]
    sizes: dict[str, int]

    def to_json(self) -> bytes:
        record = {
            "brand": self.brand,
            "month": self.month,
            "version": self.version,
            "generated_at": self.generated_at,
            "files": {n: {"key": self.keys[n], "bytes": self.sizes.get(n)} for n in REPORT_FILES},
        }
        return json.dumps(record, indent=2).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            record = json.loads(data)
            files = record["files"]
            return cls(
                brand=str(record["brand"]),
                month=str(record["month"]),
                version=record.get("version"),
                generated_at=record.get("generated_at"),
                keys={n: str(files[n]["key"]) for n in REPORT_FILES},
                sizes={n: int(files[n].get("bytes") or 0) for n in REPORT_FILES},
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise StorageError(f"unreadable report manifest: {exc}") from exc


def read_manifest(store: ObjectStore, brand_id: str, month: Month | str) -> Manifest:
    """The published report of a brand-month; NotFoundError when there is none.

    An archive written before versions has no manifest: its flat files are the
    report when its ``kpis.json`` (written last) exists.
    """
    try:
        return Manifest.from_json(store.get(manifest_key(brand_id, month)))
    except NotFoundError:
        if store.exists(legacy_key(brand_id, month, "kpis.json")):
            keys: dict[str, str] = {name: legacy_key(brand_id, month, name) for name in REPORT_FILES}
            return Manifest(brand_id, str(month), None, None, keys, {})
        raise NotFoundError(f"no report for {brand_id} {month} yet: create it with POST /reports") from None


def has_report(store: ObjectStore, brand_id: str, month: Month | str) -> bool:
    try:
        read_manifest(store, brand_id, month)
    except NotFoundError:
        return False
    return True


def resolve(store: ObjectStore, brand_id: str, month: Month | str, name: str) -> str:
    """The archive key of a published report's file (through its manifest)."""
    return read_manifest(store, brand_id, month).keys[_check_file(name)]


def publish(
    store: ObjectStore,
    brand_id: str,
    month: Month | str,
    payloads: Mapping[str, bytes],
    now: datetime,
) -> Manifest:
    """Publish a report's files as a whole: staging, then an immutable version, then the manifest.

    Until the manifest is switched (the last write), readers get the previous
    report; any failure before it leaves that report whole. Staging is deleted in
    every case; what a killed run left there is deleted by the next publication of
    the brand-month (and expires by lifecycle rule on S3).
    """
    version = new_version(now)
    staging_month = f"staging/{validate_brand_id(brand_id)}/{month}"
    staging = f"{staging_month}/{version}"
    staged = {name: f"{staging}/{name}" for name in REPORT_FILES}
    keys: dict[str, str] = {name: version_key(brand_id, month, version, name) for name in REPORT_FILES}
    manifest = Manifest(
        brand=brand_id,
        month=str(month),
        version=version,
        generated_at=now.astimezone(UTC).isoformat(),
        keys=keys,
        sizes={name: len(payloads[name]) for name in REPORT_FILES},
    )
    try:
        for name in REPORT_FILES:
            store.put(staged[name], payloads[name], CONTENT_TYPES[name])
        for name in REPORT_FILES:
            store.copy(staged[name], keys[name])
        store.put(manifest_key(brand_id, month), manifest.to_json(), "application/json")
    finally:
        for key in staged.values():
            with contextlib.suppress(Exception):
                store.delete(key)
    _delete_leftovers(store, f"{staging_month}/", now)
    return manifest


def _delete_leftovers(store: ObjectStore, prefix: str, now: datetime) -> None:
    """Delete staging files a killed run left (best effort: they also expire by lifecycle rule)."""
    with contextlib.suppress(Exception):
        for obj in list(store.list(prefix)):
            if obj.modified < now - STAGING_LEFTOVER_AGE:
                store.delete(obj.key)


def update_index(store: ObjectStore, brand_id: str, manifest: Manifest) -> None:
    """``reports/<brand>/index.json``: every archived month with its generation time and sizes."""
    try:
        index = json.loads(store.get(index_key(brand_id)))
    except NotFoundError:
        index = {"brand": brand_id, "reports": {}}
    index["reports"][manifest.month] = {"generated_at": manifest.generated_at, "bytes": manifest.sizes}
    index["reports"] = dict(sorted(index["reports"].items(), reverse=True))
    store.put(index_key(brand_id), json.dumps(index, indent=2).encode("utf-8"), "application/json")


def list_reports(store: ObjectStore, brand_id: str) -> list[str]:
    """Months with a published report, newest first."""
    prefix = f"reports/{validate_brand_id(brand_id)}/"
    months = set()
    for obj in store.list(prefix):
        parts = obj.key.split("/")
        # reports/<brand>/<month>/manifest.json, or an older archive's reports/<brand>/<month>/kpis.json
        if len(parts) == 4 and parts[3] in (MANIFEST, "kpis.json"):
            months.add(parts[2])
    return sorted(months, reverse=True)


def report_files(store: ObjectStore, brand_id: str, month: Month, expires_in: int = 3600) -> dict[str, str]:
    """Links a person can open to a published report's files; NotFoundError if there is none."""
    manifest = read_manifest(store, brand_id, month)
    return {name: store.link(key, expires_in) for name, key in manifest.keys.items()}


def read_report_file(store: ObjectStore, brand_id: str, month: Month, name: str) -> bytes:
    """The bytes of a published report's file."""
    return store.get(resolve(store, brand_id, month, name))


__all__: list[Any] = [
    "CONTENT_TYPES",
    "MANIFEST",
    "REPORT_FILES",
    "Manifest",
    "ReportFile",
    "has_report",
    "index_key",
    "legacy_key",
    "list_reports",
    "manifest_key",
    "month_prefix",
    "publish",
    "read_manifest",
    "read_report_file",
    "report_files",
    "report_links",
    "resolve",
    "update_index",
    "version_key",
]
