"""The drop folder: exports left under ``inbox/<brand>/`` in the archive, imported by the daily job.

A community manager (or a script) drops the platforms' own exports, or
canonical files, at ``inbox/<brand>/<file>`` in the archive (the S3 bucket on
AWS, the archive directory locally). :func:`process_inbox` imports each file on
its own, oldest first, then moves it, never deleting a raw file before its copy
is stored::

    inbox/<brand>/processed/<UTC time>-<file>      imported
    inbox/<brand>/failed/<UTC time>-<file>         refused (bad or unknown file)
    inbox/<brand>/failed/<UTC time>-<file>.error.txt   why, with file, row and column

A file that fails for another reason (storage unreachable, a bug) stays where
it is and is retried by the next run.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from pulse.config import Brand, validate_brand_id
from pulse.exceptions import DataError
from pulse.ingest.exports.importer import context_for, import_into_lake
from pulse.ingest.files import SentimentAnalyzer
from pulse.lake import Lake

logger = logging.getLogger(__name__)

PROCESSED = "processed"
FAILED = "failed"


def inbox_prefix(brand_id: str) -> str:
    return f"inbox/{validate_brand_id(brand_id)}/"


@dataclass
class InboxFile:
    key: str
    moved_to: str | None
    ok: bool
    message: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class InboxResult:
    brand: str
    files: list[InboxFile] = field(default_factory=list)

    @property
    def failed(self) -> list[InboxFile]:
        return [f for f in self.files if not f.ok]

    def to_dict(self) -> dict[str, object]:
        return {
            "brand": self.brand,
            "imported": [f.key for f in self.files if f.ok],
            "failed": [{"key": f.key, "error": f.message} for f in self.failed],
            "warnings": [w for f in self.files for w in f.warnings],
        }


def waiting(lake: Lake, brand_id: str) -> list[str]:
    """Keys of the files waiting in the brand's inbox, oldest first (sub-folders are not waiting)."""
    prefix = inbox_prefix(brand_id)
    found = [o for o in lake.store.list(prefix) if "/" not in o.key[len(prefix) :]]
    return [o.key for o in sorted(found, key=lambda o: (o.modified, o.key))]


def _move(lake: Lake, key: str, folder: str, now: datetime) -> str:
    name = PurePosixPath(key).name
    target = f"{key.rsplit('/', 1)[0]}/{folder}/{now:%Y-%m-%dT%H%M%SZ}-{name}"
    lake.store.copy(key, target)  # the copy first: the raw file is never lost
    lake.store.delete(key)
    return target


def process_inbox(
    lake: Lake,
    brand: Brand,
    *,
    now: datetime | None = None,
    analyzer: SentimentAnalyzer | None = None,
) -> InboxResult:
    """Import every file waiting in ``inbox/<brand>/``, then move it to ``processed/`` or ``failed/``."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    result = InboxResult(brand.id)
    ctx = context_for(brand)
    for key in waiting(lake, brand.id):
        name = PurePosixPath(key).name
        with tempfile.TemporaryDirectory(prefix="pulse-inbox-") as folder:
            path = Path(folder) / name
            path.write_bytes(lake.store.get(key))
            try:
                outcome = import_into_lake([path], ctx, lake, analyzer=analyzer)
            except DataError as exc:
                target = _move(lake, key, FAILED, now)
                lake.store.put(f"{target}.error.txt", f"{exc}\n".encode(), "text/plain; charset=utf-8")
                logger.warning("inbox file refused", extra={"brand": brand.id, "key": key, "error": str(exc)})
                result.files.append(InboxFile(key, target, False, str(exc)))
                continue
        target = _move(lake, key, PROCESSED, now)
        written = outcome.written
        message = ", ".join(f"{t}: {written.new[t]} new, {written.updated[t]} updated" for t in written.new)
        logger.info("inbox file imported", extra={"brand": brand.id, "key": key, "written": message})
        result.files.append(InboxFile(key, target, True, message, outcome.batch.warnings))
    return result
