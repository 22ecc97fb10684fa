"""Which sources fed which table, per brand and month: the data behind "not available from exports".

Platform exports carry posts and (some) follower counts, never conversations,
so a month built from exports alone has no messages: its response-time and
sentiment KPIs are *not available*, which is not the same as 0 %. Every import
records here which source fed each table for each platform and month::

    lake/coverage/brand=<brand>.json
    {"version": 1,
     "months": {"2026-03": {"posts": {"x": ["export:x-content"]},
                            "followers": {"tiktok": ["export:tiktok-followers"]}}}}

Sources are ``export:<format>`` (a platform's own export), ``file`` (the
canonical import contract) and ``api`` (the daily fetch). :func:`notes_for`
turns a month's record into the reasons shown next to the KPIs that cannot be
computed.

The fetch also records, per month and platform, how old a post may be for
replies that arrive late on it to be fetched, as the connectors declared it
(``Connector.reply_reach``): ``"reply_reach": {"2026-10": {"facebook": 90,
"x": "any"}}``. Where fetches of a month differed, the narrowest is kept; the
report states the limit of each platform that has one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pulse.config import validate_brand_id
from pulse.exceptions import NotFoundError
from pulse.period import Month
from pulse.storage import ObjectStore
from pulse.tables import DATED_TABLES, TABLES, Tables

VERSION = 1
EXPORT_PREFIX = "export:"
#: Shown instead of a number when only platform exports fed the month.
NOT_FROM_EXPORTS = "not available from exports"
#: The KPIs that need conversations (messages and the brand's replies).
CONVERSATION_KPIS = (
    "inbound_messages",
    "responded_messages",
    "response_rate",
    "first_response_time_median_minutes",
    "first_response_time_p90_minutes",
    "business_hours_first_response",
    "sentiment",
)
FOLLOWER_KPIS = ("followers_start", "followers_end", "follower_growth", "follower_growth_rate")
#: A reply reach meaning "replies to posts of any age are fetched".
ANY_AGE = "any"


def narrowest(a: int | str | None, b: int | str) -> int | str:
    """The narrower of two reply reaches (days, or ``"any"``, the widest); ``a`` may be unset."""
    if a is None or a == ANY_AGE:
        return b
    if b == ANY_AGE:
        return a
    return min(int(a), int(b))


def coverage_key(brand: str) -> str:
    return f"lake/coverage/brand={validate_brand_id(brand)}.json"


@dataclass
class MonthCoverage:
    """Sources per table and platform for one month."""

    tables: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def sources(self, table: str) -> set[str]:
        return {s for sources in self.tables.get(table, {}).values() for s in sources}

    def exports_only(self) -> bool:
        """True when something fed the month and every source was a platform export."""
        every = self.sources("posts") | self.sources("followers") | self.sources("messages")
        return bool(every) and all(s.startswith(EXPORT_PREFIX) for s in every)

    def to_dict(self) -> dict[str, Any]:
        return {"sources": self.tables, "exports_only": self.exports_only()}


@dataclass
class Coverage:
    months: dict[str, MonthCoverage] = field(default_factory=dict)
    #: month -> platform -> reply reach (days, or ``"any"``)
    reply_reach: dict[str, dict[str, int | str]] = field(default_factory=dict)

    def month(self, month: str) -> MonthCoverage:
        return self.months.get(month, MonthCoverage())

    def add(self, month: str, table: str, platform: str, source: str) -> None:
        entry = self.months.setdefault(month, MonthCoverage())
        sources = entry.tables.setdefault(table, {}).setdefault(platform, [])
        if source not in sources:
            sources.append(source)
            sources.sort()

    def add_reach(self, month: str, platform: str, reach: int | str) -> None:
        entry = self.reply_reach.setdefault(month, {})
        entry[platform] = narrowest(entry.get(platform), reach)

    def to_json(self) -> bytes:
        months = {m: c.tables for m, c in sorted(self.months.items())}
        doc: dict[str, Any] = {"version": VERSION, "months": months}
        if self.reply_reach:
            doc["reply_reach"] = self.reply_reach
        return json.dumps(doc, indent=1, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Coverage:
        raw = json.loads(data)
        reach = raw.get("reply_reach")
        return cls(
            {m: MonthCoverage(tables) for m, tables in raw.get("months", {}).items()},
            {
                str(m): {str(p): r for p, r in v.items() if r == ANY_AGE or isinstance(r, int)}
                for m, v in (reach.items() if isinstance(reach, Mapping) else [])
                if isinstance(v, Mapping)
            },
        )


def read_coverage(store: ObjectStore, brand: str) -> Coverage:
    try:
        return Coverage.from_json(store.get(coverage_key(brand)))
    except NotFoundError:
        return Coverage()


def _record(
    store: ObjectStore,
    brand: str,
    sources: Iterable[tuple[str, str, str, str]] = (),
    reaches: Iterable[tuple[str, str, int | str]] = (),
) -> Coverage:
    """Add ``(month, table, platform, source)`` and ``(month, platform, reply reach)`` entries to
    the brand's record, in one read-modify-write through :meth:`ObjectStore.update` (a lock
    locally, a conditional write retried on conflict in S3, like the lake's partitions), so a
    fetch and an import recording at once both keep their entries."""
    sources, reaches = list(sources), list(reaches)

    def change(current: bytes | None) -> bytes:
        coverage = Coverage() if current is None else Coverage.from_json(current)
        for month, table, platform, source in sources:
            coverage.add(month, table, platform, source)
        for month, platform, reach in reaches:
            coverage.add_reach(month, platform, reach)
        return coverage.to_json()

    return Coverage.from_json(store.update(coverage_key(brand), change, "application/json"))


def record_sources(store: ObjectStore, brand: str, entries: Iterable[tuple[str, str, str, str]]) -> Coverage:
    """Add ``(month, table, platform, source)`` entries to the brand's record and store it."""
    return _record(store, brand, sources=entries)


def _reach_entries(
    tz: ZoneInfo, start: datetime, end: datetime, reach: Mapping[str, int | str]
) -> list[tuple[str, str, int | str]]:
    """Each platform's reply reach for every month of the brand's calendar that ``[start, end]`` touches."""
    month, last = Month.of(start.astimezone(tz).date()), Month.of(end.astimezone(tz).date())
    entries = []
    while month <= last:
        entries += [(str(month), platform, value) for platform, value in sorted(reach.items())]
        month = month.next()
    return entries


def record_reply_reach(
    store: ObjectStore,
    brand: str,
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
    reach: Mapping[str, int | str],
) -> None:
    """Record each platform's reply reach for every month of the brand's calendar that ``[start, end]`` touches."""
    if reach:
        _record(store, brand, reaches=_reach_entries(tz, start, end, reach))


def notes_for(coverage: MonthCoverage, *, inbound_messages: int, has_followers: bool) -> dict[str, str]:
    """KPI name -> why it has no value, for a month fed by platform exports only.

    Empty when the month had another source (the API or a canonical file): then a
    missing value means what it means elsewhere in the report.
    """
    if not coverage.exports_only():
        return {}
    notes = {}
    if inbound_messages == 0:
        notes.update(dict.fromkeys(CONVERSATION_KPIS, NOT_FROM_EXPORTS))
    if not has_followers:
        notes.update(dict.fromkeys(FOLLOWER_KPIS, NOT_FROM_EXPORTS))
    return notes


def month_coverage(store: ObjectStore, brand: str, month: object, kpi_set: Any) -> dict[str, Any]:
    """The ``coverage`` object of ``kpis.json``: the month's sources and the KPIs they cannot give.

    ``not_available`` maps a KPI name to the reason (empty unless platform
    exports alone fed the month); the report shows the reason instead of a value.
    """
    coverage = read_coverage(store, brand)
    entry = coverage.month(str(month))
    kpis = kpi_set.kpis
    notes = notes_for(
        entry, inbound_messages=int(kpis.inbound_messages), has_followers=kpis.followers_end is not None
    )
    reach = dict(sorted(coverage.reply_reach.get(str(month), {}).items()))
    return {**entry.to_dict(), "not_available": notes, "reply_reach": reach}


def _source_entries(tz: ZoneInfo, tables: Tables, source: str) -> list[tuple[str, str, str, str]]:
    """``source`` for every (month, table, platform) that ``tables`` has rows for."""
    entries = set()
    for table in TABLES:
        frame = tables.get(table)
        if not len(frame):
            continue
        if table in DATED_TABLES:
            months = frame["date"].dt.strftime("%Y-%m")
        else:
            months = frame["created_at"].dt.tz_convert(tz).dt.strftime("%Y-%m")
        for (month, platform), _ in frame.groupby([months, frame["platform"]]):
            entries.add((str(month), table, str(platform), source))
    return sorted(entries)


def record_tables(store: ObjectStore, brand: str, tz: ZoneInfo, tables: Tables, source: str) -> None:
    """Record ``source`` for every (month, table, platform) that ``tables`` has rows for (the daily fetch: "api")."""
    entries = _source_entries(tz, tables, source)
    if entries:
        record_sources(store, brand, entries)


def record_fetch(
    store: ObjectStore,
    brand: str,
    tz: ZoneInfo,
    tables: Tables,
    source: str,
    window: tuple[datetime, datetime],
    reach: Mapping[str, int | str],
) -> None:
    """What a fetch of ``window`` read (:func:`record_tables`) and each platform's reply reach
    (:func:`record_reply_reach`), in one write of the record."""
    sources = _source_entries(tz, tables, source)
    reaches = _reach_entries(tz, *window, reach) if reach else []
    if sources or reaches:
        _record(store, brand, sources, reaches)
