"""The month's incidents and complaint themes, for the report: pure, the month's tables in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from pulse.config import Brand
from pulse.period import Period
from pulse.tables import Tables
from pulse.watch.detect import Incident, watch
from pulse.watch.themes import Themes, find_themes


@dataclass(frozen=True)
class MonthWatch:
    """The month's incidents (those that began in it, or were still going when it began) and
    complaint themes of its negative messages (with the previous month's counts)."""

    incidents: list[Incident]
    themes: Themes

    def to_dict(self) -> dict[str, Any]:
        """For kpis.json: instants in UTC (ISO 8601), counts, theme labels and examples."""

        def when(moment: pd.Timestamp | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "incidents": [
                {
                    "id": i.id,
                    "began_at": when(i.began_at),
                    "detected_at": when(i.detected_at),
                    "resolved_at": when(i.resolved_at),
                    "severe": i.severe,
                    "metrics": list(i.metrics),
                    "peak_at": when(i.peak_at),
                    "peak_negative": i.peak_negative,
                    "usual_negative": round(i.usual_negative, 2),
                    "peak_backlog": i.peak_backlog,
                    "negative_messages": i.negative_messages,
                    "unanswered_messages": i.unanswered_messages,
                    "platforms": dict(i.platforms),
                }
                for i in self.incidents
            ],
            "themes": self.themes.to_dict(),
        }


def complaint_texts(messages: pd.DataFrame, period: Period) -> list[str]:
    """Texts of the period's inbound messages labelled negative, answered or not.

    Unanswered questions and thanks are left out: they are no complaint (the report's
    "Community care" section lists the unanswered messages).
    """
    inbound = messages[
        ~messages["from_brand"].fillna(False)
        & (messages["created_at"] >= period.start)
        & (messages["created_at"] < period.end)
    ]
    chosen = inbound["sentiment"].astype("string").fillna("") == "negative"
    texts: list[str] = inbound.loc[chosen, "text"].astype("string").dropna().tolist()
    return texts


def month_watch(brand: Brand, tables: Tables, period: Period) -> MonthWatch:
    """Incidents over the month (hourly, against the 28 days before each hour) and its themes.

    ``tables`` should hold the messages of the month before too (the baseline, and the
    themes' change); the lake's :meth:`~pulse.lake.Lake.read_for_report` does.
    """
    result = watch(brand.id, tables.messages, period.start, period.end, brand.alerts)
    themes = find_themes(
        complaint_texts(tables.messages, period), complaint_texts(tables.messages, period.previous())
    )
    return MonthWatch(result.incidents, themes)
