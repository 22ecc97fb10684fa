"""Import the user's own exports (CSV or Parquet) as canonical tables; see ``docs/import.md``."""

from __future__ import annotations

from pulse.ingest.files import (
    REQUIRED_COLUMNS,
    SentimentAnalyzer,
    find_analyzer,
    read_table,
    read_tables,
)

__all__ = ["REQUIRED_COLUMNS", "SentimentAnalyzer", "find_analyzer", "read_table", "read_tables"]
