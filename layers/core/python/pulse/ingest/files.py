"""Read the user's own exports (CSV or Parquet) into canonical tables.

The import contract is ``docs/import.md``. Every error is a
:class:`~pulse.exceptions.DataError` whose message names the file, the row
(counted from 1 for the first data row, the header not counted) and the
column. Parsing is vectorised: each column is checked as a whole and only the
first offending row is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pulse.exceptions import DataError, InvalidValueError
from pulse.tables import TableName, Tables, deduplicate, normalize, to_counts

#: Scores texts: returns "negative", "neutral", "positive" or None per text.
SentimentAnalyzer = Callable[[Sequence[str]], Sequence[str | None]]

#: Columns a file must have (values may still be empty where the contract allows it).
REQUIRED_COLUMNS: dict[TableName, tuple[str, ...]] = {
    "posts": (
        "platform",
        "account",
        "post_id",
        "created_at",
        "impressions",
        "reach",
        "likes",
        "comments",
        "shares",
        "saves",
        "clicks",
    ),
    "messages": ("platform", "account", "message_id", "created_at", "from_brand", "in_reply_to"),
    "followers": ("platform", "account", "date", "followers"),
}
OPTIONAL_COLUMNS: dict[TableName, tuple[str, ...]] = {
    "posts": ("text",),
    "messages": ("author", "text", "sentiment"),
    "followers": (),
}
ID_COLUMNS: dict[TableName, tuple[str, ...]] = {
    "posts": ("platform", "account", "post_id"),
    "messages": ("platform", "account", "message_id"),
    "followers": ("platform", "account"),
}
UNKNOWN_WHEN_EMPTY = ("impressions", "reach")
ZERO_WHEN_EMPTY = ("likes", "comments", "shares", "saves", "clicks")
SENTIMENTS = ("negative", "neutral", "positive")

# ISO 8601 with a date, a time and an explicit offset (Z or ±HH:MM / ±HHMM / ±HH).
_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)"
_DATE = r"\d{4}-\d{2}-\d{2}"
_WHOLE = r"[0-9]+"  # ASCII digits: \d would accept Arabic-Indic and other digits


class _Where:
    def __init__(self, path: Path) -> None:
        self.name = path.name

    def error(self, row: int | None, column: str, message: str) -> DataError:
        at = f", row {row}" if row is not None else ""
        return DataError(f"{self.name}{at}, column {column}: {message}")


def _read_raw(path: Path) -> pd.DataFrame:
    """The file's columns as they are: strings for CSV, Arrow types for Parquet."""
    if not path.exists():
        raise DataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            table = pq.read_table(path)
            frame: pd.DataFrame = table.to_pandas(types_mapper=_pandas_type)
            return frame
        return pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8-sig",
            engine="c",
            skip_blank_lines=True,
        )
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path.name}: empty file (a header row is required)") from exc
    except (pd.errors.ParserError, pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path.name}: cannot be read as {'Parquet' if suffix else 'CSV'}: {exc}") from exc


def _pandas_type(arrow_type: pa.DataType) -> object:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype("pyarrow")
    return None


def _text(values: pd.Series) -> pd.Series:
    """Strings, with empty (or whitespace-only) values as missing."""
    if pd.api.types.is_integer_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        text = values.astype("Int64").astype("string")
    else:
        text = values.astype("string")
    return text.where(text.str.strip().str.len() > 0)


def _first(mask: pd.Series | np.ndarray) -> int:
    """1-based data row of the first True."""
    return int(np.asarray(mask, dtype=bool).argmax()) + 1


def _require_values(values: pd.Series, column: str, where: _Where) -> None:
    if values.isna().any():
        raise where.error(_first(values.isna()), column, "empty value (this column is required)")


def _timestamps(values: pd.Series, column: str, where: _Where) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        converted: pd.Series = values.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
        return converted
    if pd.api.types.is_datetime64_dtype(values.dtype):
        raise where.error(None, column, "timestamps without a time zone; store them with UTC or an offset")
    text = _text(values).str.strip()
    _require_values(text, column, where)
    bad = ~text.str.fullmatch(_TIMESTAMP).fillna(False).astype(bool)
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    if not bad.any():
        parsed = pd.to_datetime(text.str.replace(" ", "T", n=1), utc=True, format="ISO8601", errors="coerce")
        bad = parsed.isna()
    if bad.any():
        row = _first(bad)
        raise where.error(
            row,
            column,
            f"{text.iloc[row - 1]!r} is not an ISO 8601 timestamp with Z or an offset "
            "(e.g. 2026-03-01T09:30:00Z or 2026-03-01T10:30:00+01:00)",
        )
    return parsed.astype("datetime64[us, UTC]")


def _dates(values: pd.Series, column: str, where: _Where) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_localize(None)
        _require_values(values, column, where)
        normalized: pd.Series = values.dt.normalize().astype("datetime64[us]")
        return normalized
    if values.dtype == object and len(values) and not isinstance(values.dropna().iloc[0], str):
        values = pd.to_datetime(values).astype("datetime64[us]")  # Arrow date32 -> datetime.date
        _require_values(values, column, where)
        return values
    text = _text(values).str.strip()
    _require_values(text, column, where)
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = ~text.str.fullmatch(_DATE).fillna(False).astype(bool) | parsed.isna()
    if bad.any():
        row = _first(bad)
        raise where.error(row, column, f"{text.iloc[row - 1]!r} is not a date YYYY-MM-DD")
    return parsed.astype("datetime64[us]")


def _counts(values: pd.Series, column: str, where: _Where) -> pd.Series:
    """Whole numbers in [0, 10^15] written with the digits 0-9; empty -> missing."""
    if pd.api.types.is_bool_dtype(values.dtype):
        raise where.error(None, column, "expected whole numbers, found true/false values")
    if not pd.api.types.is_numeric_dtype(values.dtype):
        text = _text(values).str.strip()
        bad = text.notna() & ~text.str.fullmatch(_WHOLE).fillna(False).astype(bool)
        if bad.any():
            row = _first(bad)
            raise where.error(row, column, f"{text.iloc[row - 1]!r} is not a whole number >= 0")
        values = text
    try:
        return to_counts(values, column)
    except InvalidValueError as exc:
        raise where.error(exc.row, column, exc.detail) from None


def _booleans(values: pd.Series, column: str, where: _Where) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        _require_values(values, column, where)
        return values.astype("boolean")
    text = _text(values).str.strip().str.lower()
    _require_values(text, column, where)
    mapped = text.map({"true": True, "false": False})
    bad = mapped.isna()
    if bad.any():
        row = _first(bad)
        raise where.error(row, column, f"{values.iloc[row - 1]!r} is not true or false")
    return mapped.astype("boolean")


def _sentiments(
    values: pd.Series, texts: pd.Series, column: str, where: _Where, analyzer: SentimentAnalyzer | None
) -> pd.Series:
    labels = _text(values).str.strip().str.lower()
    bad = labels.notna() & ~labels.isin(SENTIMENTS)
    if bad.any():
        row = _first(bad)
        raise where.error(row, column, f"{values.iloc[row - 1]!r} is not negative, neutral or positive")
    missing = labels.isna() & texts.notna()
    if analyzer is not None and missing.any():
        scored = list(analyzer([str(t) for t in texts[missing]]))
        labels = labels.copy()
        labels[missing] = pd.array([s if s in SENTIMENTS else None for s in scored], dtype="string")
    return labels


def read_table(
    table: TableName, path: Path | str, *, analyzer: SentimentAnalyzer | None = None
) -> pd.DataFrame:
    """Read one export file into the canonical ``table`` (see ``docs/import.md``).

    Parameters
    ----------
    table
        ``"posts"``, ``"messages"`` or ``"followers"``.
    path
        A ``.csv`` file (UTF-8, header row, RFC 4180 quoting) or a ``.parquet`` file.
    analyzer
        Labels the messages whose ``sentiment`` is empty; without one they stay
        unlabelled (and are not counted in the sentiment KPIs).
    """
    path = Path(path)
    where = _Where(path)
    raw = _read_raw(path)
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in raw.columns]
    if missing:
        raise DataError(
            f"{path.name}: missing required column(s) {', '.join(missing)} "
            f"(a {table} file needs: {', '.join(REQUIRED_COLUMNS[table])})"
        )
    out: dict[str, pd.Series] = {}
    for column in ID_COLUMNS[table]:
        values = _text(raw[column]).str.strip()
        _require_values(values, column, where)
        out[column] = values.str.lower() if column == "platform" else values
    if table == "followers":
        out["date"] = _dates(raw["date"], "date", where)
        followers = _counts(raw["followers"], "followers", where)
        _require_values(followers, "followers", where)
        out["followers"] = followers
    else:
        out["created_at"] = _timestamps(raw["created_at"], "created_at", where)
        texts = (
            _text(raw["text"]) if "text" in raw.columns else pd.Series(pd.NA, index=raw.index, dtype="string")
        )
        out["text"] = texts
    if table == "posts":
        for column in UNKNOWN_WHEN_EMPTY:
            out[column] = _counts(raw[column], column, where)
        for column in ZERO_WHEN_EMPTY:
            out[column] = _counts(raw[column], column, where).fillna(0)
    if table == "messages":
        out["author"] = (
            _text(raw["author"])
            if "author" in raw.columns
            else pd.Series(pd.NA, index=raw.index, dtype="string")
        )
        out["from_brand"] = _booleans(raw["from_brand"], "from_brand", where)
        out["in_reply_to"] = _text(raw["in_reply_to"]).str.strip()
        sentiment = (
            raw["sentiment"]
            if "sentiment" in raw.columns
            else pd.Series(pd.NA, index=raw.index, dtype="string")
        )
        out["sentiment"] = _sentiments(sentiment, out["text"], "sentiment", where, analyzer)
    frame = pd.DataFrame(out, index=raw.index)
    return deduplicate(table, normalize(table, frame, where=path.name))


def read_tables(
    posts: Path | str | None = None,
    messages: Path | str | None = None,
    followers: Path | str | None = None,
    *,
    analyzer: SentimentAnalyzer | None = None,
) -> Tables:
    """Read up to three export files; a table whose file is not given is empty."""
    tables = Tables()
    if posts is not None:
        tables.posts = read_table("posts", posts)
    if messages is not None:
        tables.messages = read_table("messages", messages, analyzer=analyzer)
    if followers is not None:
        tables.followers = read_table("followers", followers)
    return tables


def find_analyzer() -> SentimentAnalyzer | None:
    """The project's built-in sentiment analyzer as a labeller, or None when it is unavailable.

    Messages whose ``sentiment`` is empty are labelled with it at import; without
    it they stay unlabelled and are not counted in the sentiment KPIs.
    """
    try:
        from pulse.sentiment import get_analyzer
    except ImportError:
        return None
    try:
        analyzer = get_analyzer()
    except Exception:  # a missing or broken model must not block an import
        return None

    def label(texts: Sequence[str]) -> list[str | None]:
        return [getattr(result, "label", None) for result in analyzer.analyze(list(texts))]

    return label
