"""The canonical tables every source produces and every KPI reads.

* ``posts``: one row per post with its latest known metrics. ``impressions`` and
  ``reach`` are nullable (unknown); engagement counts are 0 when not given.
* ``messages``: inbound mentions, comments, DMs and the brand's replies, linked
  by ``in_reply_to`` (a message id or a post id on the same platform).
* ``followers``: one follower-count snapshot per account and local date.
* ``account_daily``: what a platform reports about a whole account for one day
  (per platform, account and date): ``followers_gained`` and ``followers_lost``
  (the day's follows and unfollows, a flow, unlike the ``followers`` stock),
  ``views`` (views/impressions of anything the account shows that day),
  ``reach`` (unique accounts that saw it that day) and ``profile_views``. Every
  metric is nullable: empty means the platform gave no value (unknown, never
  read as 0); a platform that reports 0 stores 0. The date is the day as the
  platform counts it (Meta and YouTube: Pacific time; LinkedIn: UTC), not
  re-cut into the brand's time zone: a daily total cannot be split by hour.
  Rows merge column by column: a newer empty value keeps the older known one
  (insights refused or not yet computed never erase what is known), a newer
  known value replaces it. A lake written before this table existed simply has
  no ``lake/account_daily/`` partitions and reads as empty.

Timestamps are tz-aware UTC; ids are strings, unique within a platform.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from pulse.exceptions import DataError, InvalidValueError

TableName = Literal["posts", "messages", "followers", "account_daily"]
TABLES: tuple[TableName, ...] = ("posts", "messages", "followers", "account_daily")
#: Tables keyed by a local ``date`` (a day), not by a ``created_at`` instant.
DATED_TABLES: frozenset[TableName] = frozenset({"followers", "account_daily"})

#: The metrics of ``account_daily``, all nullable counts.
ACCOUNT_METRICS = ("followers_gained", "followers_lost", "views", "reach", "profile_views")

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
    "account_daily": {
        "platform": "string",
        "account": "string",
        "date": "datetime64[us]",
        **{metric: "Int64" for metric in ACCOUNT_METRICS},
    },
}

KEYS: dict[TableName, list[str]] = {
    "posts": ["platform", "post_id"],
    "messages": ["platform", "message_id"],
    "followers": ["platform", "account", "date"],
    "account_daily": ["platform", "account", "date"],
}

REQUIRED: dict[TableName, tuple[str, ...]] = {
    "posts": ("platform", "account", "post_id", "created_at"),
    "messages": ("platform", "account", "message_id", "created_at", "from_brand"),
    "followers": ("platform", "account", "date", "followers"),
    "account_daily": ("platform", "account", "date"),
}

#: The largest count any table accepts: no platform reports more, and sums of counts stay exact.
MAX_COUNT = 10**15

#: Columns holding counts: whole numbers in [0, MAX_COUNT].
COUNT_COLUMNS: dict[TableName, tuple[str, ...]] = {
    "posts": ("impressions", "reach", *ENGAGEMENT_COLUMNS),
    "messages": (),
    "followers": ("followers",),
    "account_daily": ACCOUNT_METRICS,
}

_ASCII_WHOLE = re.compile(r"[0-9]+")

#: Columns whose missing values mean 0 rather than unknown.
ZERO_FILLED: dict[TableName, tuple[str, ...]] = {
    "posts": ENGAGEMENT_COLUMNS,
    "messages": (),
    "followers": (),
    "account_daily": (),
}
#: Tables whose rows merge column by column: a newer empty value keeps the older known one.
COALESCED: frozenset[TableName] = frozenset({"account_daily"})


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
            elif column in COUNT_COLUMNS[table]:
                converted = to_counts(values, f"{label}{table}.{column}")
            elif dtype in ("Int64", "Float64"):
                converted = pd.to_numeric(values, errors="raise").astype(dtype)
            else:
                converted = values.astype(dtype)
        except (ValueError, TypeError, OverflowError) as exc:
            raise DataError(f"{label}{table}.{column}: cannot convert to {dtype}: {exc}") from exc
        if dtype == "Float64" and not np.isfinite(converted.to_numpy(dtype="float64", na_value=0.0)).all():
            row = _first_row(~np.isfinite(converted.to_numpy(dtype="float64", na_value=0.0)))
            raise DataError(
                f"{label}{table}.{column}, row {row}: {values.iloc[row - 1]!r} is not a finite number"
            )
        if column in ZERO_FILLED[table]:
            converted = converted.fillna(0)
        out[column] = converted
    result = pd.DataFrame(out, index=frame.index).reset_index(drop=True)
    for column in REQUIRED[table]:
        if result[column].isna().any():
            row = int(result[column].isna().to_numpy().argmax())
            raise DataError(f"{label}{table}.{column}: empty value in row {row + 1}")
    return result


def _first_row(bad: Any) -> int:
    """1-based row of the first True."""
    return int(np.asarray(bad, dtype=bool).argmax()) + 1


def _count_or_none(value: Any) -> int | None:
    """``value`` as a count, None when missing; raises ValueError when it is not one."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        raise ValueError("true/false is not a count")
    if isinstance(value, int | np.integer):
        number = int(value)
    elif isinstance(value, float | np.floating):
        if not math.isfinite(value) or not float(value).is_integer():
            raise ValueError("not a whole number")
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if not _ASCII_WHOLE.fullmatch(text):  # ASCII digits only: "١٢", "1e30", "-5", "inf" are refused
            raise ValueError("not written with the digits 0-9")
        number = int(text) if len(text.lstrip("0")) <= 16 else MAX_COUNT + 1
    else:
        raise ValueError(f"a {type(value).__name__} is not a count")
    if not 0 <= number <= MAX_COUNT:
        raise ValueError("out of range")
    return number


def to_counts(values: pd.Series, where: str) -> pd.Series:
    """``values`` as nullable ``Int64`` counts in [0, :data:`MAX_COUNT`].

    Raises :class:`DataError` naming ``where`` (file, table, column), the row (from 1)
    and the value for anything else: a fraction, a negative number, 1e30, inf, a
    number beyond int64, digits other than 0-9, true/false.
    """
    if pd.api.types.is_integer_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.astype("Float64") if values.dtype.kind == "u" else values
        bad = (numbers.notna() & ((numbers < 0) | (numbers > MAX_COUNT))).to_numpy(dtype=bool, na_value=False)
        if not bad.any():
            return values.astype("Int64")
    elif pd.api.types.is_float_dtype(values.dtype):
        floats = values.to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(floats) & (
                ~np.isfinite(floats) | (floats != np.floor(floats)) | (floats < 0) | (floats > MAX_COUNT)
            )
        if not bad.any():
            return values.astype("Int64")
    counts: list[int | None] = []
    for row, value in enumerate(values.tolist(), start=1):
        try:
            counts.append(_count_or_none(value))
        except ValueError as exc:
            detail = f"{value!r} is not a count (a whole number from 0 to 10^15): {exc}"
            raise InvalidValueError(where, row, detail) from None
    return pd.Series(pd.array(counts, dtype="Int64"), index=values.index)


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
    """Keep the last row of each key (the most recently fetched values win).

    For the :data:`COALESCED` tables, column by column: the last *known* value of
    each column wins, so an empty (unknown) value never replaces a known one.
    """
    keys = KEYS[table]
    if table not in COALESCED or not frame.duplicated(keys).any():
        return frame.drop_duplicates(keys, keep="last").reset_index(drop=True)
    merged = frame.groupby(keys, sort=False, dropna=False).last().reset_index()  # last() skips NA
    return merged[list(frame.columns)].astype(frame.dtypes.to_dict()).reset_index(drop=True)


@dataclass
class Tables:
    """The canonical tables of one brand (and usually one window of time)."""

    posts: pd.DataFrame = field(default_factory=lambda: empty("posts"))
    messages: pd.DataFrame = field(default_factory=lambda: empty("messages"))
    followers: pd.DataFrame = field(default_factory=lambda: empty("followers"))
    account_daily: pd.DataFrame = field(default_factory=lambda: empty("account_daily"))

    def get(self, table: TableName) -> pd.DataFrame:
        frame: pd.DataFrame = getattr(self, table)
        return frame

    def counts(self) -> dict[str, int]:
        return {t: len(self.get(t)) for t in TABLES}
