"""The checkpoint of one brand account: a typed, versioned document instead of a loose dict.

Stored as JSON at ``state/<brand>/<platform>/<account-slug>.json`` (see
:mod:`pulse.connectors.archive`). Version 2 (this one)::

    {"version": 2, "platform": "x", "account": "maisonlumiere",
     "synced_from": "...", "last_run": "...", "swept_at": "...", "deep_swept_at": "...",
     "ids": {"user_id": "...", "username": "..."},
     "streams": {"tweets": {"since_id": "...", "newest_time": null, "resume": null}, ...},
     "threads": {"<post id>": "<its time>"}, "recent": {"<post id>": "<its time>"}}

The account-level daily streams (``page_insights``, ``account_insights``,
``follower_gains``, ``channel_days``, December 2026) are ordinary stream
cursors: ``newest_time`` is the day after the last day read while a pass is
under way (a throttled first run resumes there), the run's time once it
completes. A version-2 checkpoint written before them simply has no such
cursor: the stream starts from the run's ``start``, no version change needed.

Version 1 (no ``version`` key, written before December 2026) kept all of that
at the top level: :meth:`Checkpoint.from_dict` still reads it, and the next
save writes version 2. A checkpoint of a newer version than this code knows is
refused rather than half-read and overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulse.exceptions import SourceError

VERSION = 2
#: Platform ids a connector learns once and keeps (version 1 stored them at the top level).
ID_KEYS = ("user_id", "username", "did", "account_id", "uploads", "open_id")
#: Version 1 keys that meant something once and are dropped: a refusal remembered for ever
#: (X ``non_public``), a flag replaced by ``synced_from`` (YouTube ``comments_synced``).
_DROPPED = frozenset({"non_public", "comments_synced", "account", "platform", "version"})


@dataclass
class StreamCursor:
    """Where one stream of an account (posts, mentions, ...) got to.

    ``newest_time`` (ISO 8601, UTC) or ``since_id`` advance only when a pass has
    completed; ``resume`` holds an interrupted pagination (a next link, a token
    and its window) for the next run.
    """

    newest_time: str | None = None
    since_id: str | None = None
    resume: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"newest_time": self.newest_time, "since_id": self.since_id, "resume": self.resume}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> StreamCursor:
        return cls(doc.get("newest_time"), doc.get("since_id"), doc.get("resume"))


def _times(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


@dataclass
class Checkpoint:
    """Everything a connector keeps between runs of one account.

    ``synced_from``: the oldest ``start`` a complete run has covered (a later,
    older ``start`` is a backfill); ``threads``: the posts whose replies are
    followed, with their time; ``recent``: the posts whose metrics are
    re-fetched by id; ``swept_at``: the last deeper sweep of older threads;
    ``deep_swept_at``: the last deepest one (absent from checkpoints written before it: None).
    """

    ids: dict[str, str] = field(default_factory=dict)
    streams: dict[str, StreamCursor] = field(default_factory=dict)
    threads: dict[str, str] = field(default_factory=dict)
    recent: dict[str, str] = field(default_factory=dict)
    synced_from: str | None = None
    last_run: str | None = None
    swept_at: str | None = None
    deep_swept_at: str | None = None

    def stream(self, name: str) -> StreamCursor:
        """The cursor of a stream (created empty on first use)."""
        return self.streams.setdefault(name, StreamCursor())

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "synced_from": self.synced_from,
            "last_run": self.last_run,
            "swept_at": self.swept_at,
            "deep_swept_at": self.deep_swept_at,
            "ids": dict(self.ids),
            "streams": {name: cursor.to_dict() for name, cursor in sorted(self.streams.items())},
            "threads": dict(self.threads),
            "recent": dict(self.recent),
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Checkpoint:
        version = doc.get("version", 1)
        if not isinstance(version, int) or version > VERSION:
            raise SourceError(
                f"checkpoint version {version!r} is newer than this code reads ({VERSION}): upgrade first"
            )
        if version == 1:
            return cls._from_v1(doc)
        streams = doc.get("streams")
        streams = streams if isinstance(streams, Mapping) else {}
        return cls(
            ids=_times(doc.get("ids")),
            streams={str(k): StreamCursor.from_dict(v) for k, v in streams.items() if isinstance(v, Mapping)},
            threads=_times(doc.get("threads")),
            recent=_times(doc.get("recent")),
            synced_from=doc.get("synced_from"),
            last_run=doc.get("last_run"),
            swept_at=doc.get("swept_at"),
            deep_swept_at=doc.get("deep_swept_at"),
        )

    @classmethod
    def _from_v1(cls, doc: Mapping[str, Any]) -> Checkpoint:
        """Version 1: one flat dict; a stream was any dict holding a cursor."""
        out = cls(
            threads=_times(doc.get("threads")),
            recent=_times(doc.get("recent")),
            synced_from=doc.get("synced_from"),
            last_run=doc.get("last_run"),
            swept_at=doc.get("swept_at"),
        )
        for key, value in doc.items():
            if key in _DROPPED or key in ("threads", "recent", "synced_from", "last_run", "swept_at"):
                continue
            if key in ID_KEYS and value is not None:
                out.ids[key] = str(value)
            elif isinstance(value, Mapping):
                out.streams[key] = StreamCursor.from_dict(value)
        return out
