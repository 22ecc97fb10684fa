"""The daily job: fetch a window from the source, score new messages, merge into the lake."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pulse.config import Brand
from pulse.ingest.coverage import record_fetch
from pulse.lake import WriteSummary
from pulse.pipeline.services import Services
from pulse.sentiment import get_analyzer
from pulse.settings import Settings
from pulse.sources import Progress

logger = logging.getLogger(__name__)


@dataclass
class FetchResult:
    brand: str
    start: datetime
    end: datetime
    fetched: dict[str, int]
    written: WriteSummary
    source_report: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)


def fetch_brand(
    services: Services,
    brand: Brand,
    start: datetime,
    end: datetime,
    *,
    deadline: float | None = None,
    on_progress: Progress | None = None,
) -> FetchResult:
    """Fetch ``[start, end)`` from the source, score new messages, merge into the lake.

    What the source could not read is kept raw (quarantine) and listed in
    ``problems``; the rows it could read are stored all the same, and only then
    does the source advance its checkpoints. ``deadline`` (a ``time.monotonic()``
    value) and ``on_progress`` are handed to the source.
    """
    tables = services.source.fetch(brand, start, end, deadline=deadline, on_progress=on_progress)
    tables.messages = score_sentiment(tables.messages, services.settings)
    written = services.lake.write(brand.id, brand.tz, tables)
    source = "api" if services.settings.data_source == "platforms" else str(services.settings.data_source)
    record_fetch(
        services.store, brand.id, brand.tz, tables, source, (start, end), services.source.reply_reach()
    )
    services.source.commit(brand)
    result = FetchResult(
        brand.id, start, end, tables.counts(), written, services.source.report(), services.source.problems()
    )
    logger.info(
        "fetched",
        extra={"brand": brand.id, "rows": result.fetched, "new": written.new, "problems": result.problems},
    )
    return result


def score_sentiment(messages: Any, settings: Settings) -> Any:
    """Label inbound messages that have no sentiment yet (stored with the message)."""
    todo = messages["sentiment"].isna() & ~messages["from_brand"].fillna(False) & messages["text"].notna()
    if not todo.any():
        return messages
    analyzer = get_analyzer(settings.sentiment_backend)
    results = analyzer.analyze(messages.loc[todo, "text"].astype(str).tolist())
    messages = messages.copy()
    messages.loc[todo, "sentiment"] = [r.label for r in results]
    messages.loc[todo, "sentiment_score"] = [float(r.score) for r in results]
    return messages


def default_fetch_window(now: datetime, days: int = 3) -> tuple[datetime, datetime]:
    """The daily job's window: the last ``days`` days up to now (re-fetches recent metrics)."""
    end = now.astimezone(UTC)
    return end - timedelta(days=days), end
