"""The data lake: canonical tables as Parquet, partitioned by brand and local month.

Key layout (the same locally and in S3)::

    lake/<table>/brand=<brand>/month=<YYYY-MM>/data.parquet

Posts and messages fall in the month of their ``created_at`` in the brand's
time zone, follower snapshots and account days in the month of their (local) date. Writing a
batch merges it into the partitions it touches: rows with the same key are
replaced by the newer values (``account_daily``: column by column, an empty
newer value keeping the known one), so re-running a fetch is idempotent.

Each partition is merged through :meth:`ObjectStore.update`, an atomic
read-merge-write (a file lock locally, a conditional write on S3): concurrent
writers into the same partition (an import during the daily fetch, a retried
Lambda) each see the other's rows, and none is lost.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pulse.config import validate_brand_id
from pulse.period import Month
from pulse.storage import ObjectStore
from pulse.tables import DATED_TABLES, KEYS, SCHEMAS, TABLES, TableName, Tables, deduplicate, empty, normalize

_PARTITION = re.compile(r"month=(\d{4}-\d{2})/data\.parquet$")


def partition_key(table: TableName, brand: str, month: Month) -> str:
    return f"lake/{table}/brand={validate_brand_id(brand)}/month={month}/data.parquet"


@dataclass
class WriteSummary:
    """Rows a write added (``new``) or replaced with newer values (``updated``), per table."""

    new: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    partitions: list[str] = field(default_factory=list)


def _months_of(table: TableName, frame: pd.DataFrame, tz: ZoneInfo) -> pd.Series:
    months: pd.Series
    if table in DATED_TABLES:
        months = frame["date"].dt.strftime("%Y-%m")
    else:
        months = frame["created_at"].dt.tz_convert(tz).dt.strftime("%Y-%m")
    return months


def to_parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer, compression="zstd")
    return buffer.getvalue()


def from_parquet_bytes(table: TableName, data: bytes) -> pd.DataFrame:
    frame: pd.DataFrame = pq.read_table(io.BytesIO(data)).to_pandas().astype(SCHEMAS[table])
    return frame


class Lake:
    """Canonical tables stored in an :class:`~pulse.storage.ObjectStore`."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def months(self, table: TableName, brand: str) -> list[Month]:
        """The months that hold data for ``brand`` in ``table``, in order."""
        prefix = f"lake/{table}/brand={validate_brand_id(brand)}/"
        found = []
        for obj in self.store.list(prefix):
            match = _PARTITION.search(obj.key)
            if match:
                found.append(Month.parse(match.group(1)))
        return sorted(set(found))

    def read_partition(self, table: TableName, brand: str, month: Month) -> pd.DataFrame:
        key = partition_key(table, brand, month)
        if not self.store.exists(key):
            return empty(table)
        return from_parquet_bytes(table, self.store.get(key))

    def read(self, table: TableName, brand: str, months: list[Month]) -> pd.DataFrame:
        frames = [self.read_partition(table, brand, m) for m in months]
        frames = [f for f in frames if len(f)]
        if not frames:
            return empty(table)
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def write(self, brand: str, tz: ZoneInfo, tables: Tables) -> WriteSummary:
        """Merge ``tables`` into the lake; newer rows replace older ones with the same key."""
        summary = WriteSummary()
        for table in TABLES:
            batch = normalize(table, tables.get(table), where=f"batch for {brand}")
            if batch.empty:
                continue
            months = _months_of(table, batch, tz)
            for month_text, part in batch.groupby(months, sort=True):
                month = Month.parse(str(month_text))
                key = partition_key(table, brand, month)
                counted = self._merge(table, key, deduplicate(table, part))
                summary.new[table] += counted[0]
                summary.updated[table] += counted[1]
                summary.partitions.append(key)
        return summary

    def _merge(self, table: TableName, key: str, part: pd.DataFrame) -> tuple[int, int]:
        """Merge ``part`` into the partition at ``key``; (new rows, updated rows)."""
        keys = KEYS[table]
        counted = (0, 0)

        def change(current: bytes | None) -> bytes:
            nonlocal counted  # the last call is the one written (a conflict calls it again)
            existing = empty(table) if current is None else from_parquet_bytes(table, current)
            known = existing.set_index(keys).index
            overlap = int(part.set_index(keys).index.isin(known).sum())
            counted = (len(part) - overlap, overlap)
            merged = deduplicate(table, pd.concat([existing, part], ignore_index=True))
            return to_parquet_bytes(merged.sort_values(keys, kind="stable", ignore_index=True))

        self.store.update(key, change, "application/vnd.apache.parquet")
        return counted

    def read_for_report(self, brand: str, month: Month) -> Tables:
        """What a report of ``month`` needs, and nothing more.

        * posts of the month and the month before (for the comparison);
        * messages from the month before onwards (replies may arrive after the month's end);
        * follower snapshots up to the month's end (the start count is the last one before);
        * account days of the month and the month before (for the comparison).
        """
        prev = month.previous()
        message_months = [m for m in self.months("messages", brand) if m >= prev]
        follower_months = [m for m in self.months("followers", brand) if m <= month]
        return Tables(
            posts=self.read("posts", brand, [prev, month]),
            messages=self.read("messages", brand, message_months),
            followers=self.read("followers", brand, follower_months),
            account_daily=self.read("account_daily", brand, [prev, month]),
        )
