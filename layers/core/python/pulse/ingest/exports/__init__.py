"""The platforms' own analytics exports (X, Meta, LinkedIn, YouTube, TikTok), recognised by header.

See ``docs/import.md`` for where to download each file and what it feeds, and
:mod:`pulse.ingest.exports.formats` for the column mappings and their sources.
"""

from __future__ import annotations

from pulse.ingest.exports.formats import BY_KEY, FORMATS, ExportFormat, known_formats
from pulse.ingest.exports.importer import (
    FileImport,
    ImportBatch,
    ImportOutcome,
    context_for,
    import_into_lake,
    read_files,
    rebuild_followers,
)
from pulse.ingest.exports.reader import ExportResult, ImportContext, UnknownExportError, read_export

__all__ = [
    "BY_KEY",
    "FORMATS",
    "ExportFormat",
    "ExportResult",
    "FileImport",
    "ImportBatch",
    "ImportContext",
    "ImportOutcome",
    "UnknownExportError",
    "context_for",
    "import_into_lake",
    "known_formats",
    "read_export",
    "read_files",
    "rebuild_followers",
]
