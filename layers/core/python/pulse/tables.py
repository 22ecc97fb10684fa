"""The canonical tables every source produces and every KPI reads.

* ``posts``: one row per post with its latest known metrics. ``impressions`` and
  ``reach`` are nullable (unknown); engagement counts are 0 when not given.
* ``messages``: inbound mentions, comments, DMs and the brand's replies, linked
  by ``in_reply_to`` (a message id or a post id on the same platform).
* ``followers``: one follower-count snapshot per account and local date.

Timestamps are tz-aware UTC; ids are strings, unique within a platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from pulse.exceptions import DataError

TableName = Literal["posts", "messages", "followers"]
TABLES: tuple[TableName, ...] = ("posts", "messages", "followers")

ENGAGEMENT_COLUMNS = ("likes", "comments", "shares", "saves", "clicks")

SCHEMAS: dict[TableName, dict[str, Any]] = {
    "posts": {
        "platform": "string",
        "account": "string",
        "post_id": "string",
        "created_at": "datetime64[us, UTC]",
        "text": "string",
        "impressions": "Int64",
        "reach": "Int64",
        "likes": "Int64",
        "comments": "Int64",
        "shares": "Int64",
        "saves": "Int64",
        "clicks": "Int64",
    },
    "messages": {
        "platform": "string",
        "account": "string",
        "message_id": "string",
        "created_at": "datetime64[us, UTC]",
        "author": "string",
        "from_brand": "boolean",
        "in_reply_to": "string",
        "text": "string",
        "sentiment": "string",
        "sentiment_score": "Float64",
    },
    "followers": {
        "platform": "string",
        "account": "string",
        "date": "datetime64[us]",
        "followers": "Int64",
    },
}

KEYS: dict[TableName, list[str]] = {
    "posts": ["platform", "post_id"],
    "messages": ["platform", "message_id"],
    "followers": ["platform", "account", "date"],
}

REQUIRED: dict[TableName, tuple[str, ...]] = {
    "posts": ("platform", "account", "post_id", "created_at"),
    "messages": ("platform", "account", "message_id", "created_at", "from_brand"),
    "followers": ("platform", "account", "date", "followers"),
}

#: Columns whose missing values mean 0 rather than unknown.
ZERO_FILLED: dict[TableName, tuple[str, ...]] = {"posts": ENGAGEMENT_COLUMNS, "messages": (), "followers": ()}


def empty(table: TableName) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in SCHEMAS[table].items()})


def normalize(table: TableName, frame: pd.DataFrame, *, where: str = "") -> pd.DataFrame:
    """Coerce ``frame`` to the canonical schema of ``table``.

    Extra columns are dropped, optional ones added empty. Raises
    :class:`DataError` naming the column when a required column is missing or a
    value cannot be converted.
    """
    schema = SCHEMAS[table]
    label = f"{where}: " if where else ""
    missing = [c for c in REQUIRED[table] if c not in frame.columns]
    if missing:
        raise DataError(f"{label}{table} table is missing required column(s): {', '.join(missing)}")
    out = {}
    n = len(frame)
    for column, dtype in schema.items():
        if column not in frame.columns:
            fill = 0 if column in ZERO_FILLED[table] else pd.NA
            out[column] = pd.Series([fill] * n, dtype=dtype, index=frame.index)
            continue
        values = frame[column]
        try:
            if dtype.startswith("datetime64") and "UTC" in dtype:
                converted = pd.to_datetime(values, utc=True, format="ISO8601").astype(dtype)
            elif dtype.startswith("datetime64"):
                converted = pd.to_datetime(values).dt.tz_localize(None).dt.normalize().astype(dtype)
            elif dtype == "boolean":
                converted = _to_boolean(values)
            elif dtype in ("Int64", "Float64"):
                converted = pd.to_numeric(values, errors="raise").astype(dtype)
            else:
                converted = values.astype(dtype)
        except (ValueError, TypeError) as exc:
            raise DataError(f"{label}{table}.{column}: cannot convert to {dtype}: {exc}") from exc
        if column in ZERO_FILLED[table]:
            converted = converted.fillna(0)
        out[column] = converted
    result = pd.DataFrame(out, index=frame.index).reset_index(drop=True)
    for column in REQUIRED[table]:
        if result[column].isna().any():
            row = int(result[column].isna().to_numpy().argmax())
            raise DataError(f"{label}{table}.{column}: empty value in row {row + 1}")
    return result


def _to_boolean(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    text = values.astype("string").str.strip().str.lower()
    mapped = text.map({"true": True, "false": False, "1": True, "0": False}, na_action="ignore")
    bad = text.notna() & mapped.isna()
    if bad.any():
        raise ValueError(f"{text[bad].iloc[0]!r} is not true/false")
    return mapped.astype("boolean")


def deduplicate(table: TableName, frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the last row of each key (the most recently fetched values win)."""
    return frame.drop_duplicates(KEYS[table], keep="last").reset_index(drop=True)


@dataclass
class Tables:
    """The three canonical tables of one brand (and usually one window of time)."""

    posts: pd.DataFrame = field(default_factory=lambda: empty("posts"))
    messages: pd.DataFrame = field(default_factory=lambda: empty("messages"))
    followers: pd.DataFrame = field(default_factory=lambda: empty("followers"))

    def get(self, table: TableName) -> pd.DataFrame:
        frame: pd.DataFrame = getattr(self, table)
        return frame

    def counts(self) -> dict[str, int]:
        return {t: len(self.get(t)) for t in TABLES}
