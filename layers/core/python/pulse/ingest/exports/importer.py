"""``pulse import FILE …``: native exports and canonical files, mapped, merged, follower counts rebuilt.

Files are read in the order given; when two of them hold the same post (or
the same account and day), the later file's numbers win, and the lake then
replaces older values with them: re-importing an overlapping export only
updates metrics.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pandas as pd

from pulse.config import Brand
from pulse.exceptions import DataError
from pulse.ingest.coverage import record_sources
from pulse.ingest.exports.reader import (
    ExportResult,
    ImportContext,
    empty_changes,
    read_export,
)
from pulse.ingest.files import REQUIRED_COLUMNS, SentimentAnalyzer, read_table
from pulse.lake import Lake, WriteSummary
from pulse.period import Month
from pulse.tables import DATED_TABLES, TABLES, TableName, Tables, deduplicate, empty

#: Source label of a canonical file in the coverage record.
CANONICAL = "file"


@dataclass
class FileImport:
    """What one file (or one sheet of it) gave."""

    file: str
    source: str  # "export:<format key>" or "file:<table>"
    title: str
    rows: int
    note: str = ""


@dataclass
class ImportBatch:
    tables: Tables
    files: list[FileImport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: (table, platform, source, months of its rows) per file, for the coverage record.
    sources: list[tuple[TableName, str, str, pd.Series]] = field(default_factory=list)
    #: Daily net follower changes not yet turned into counts (see :func:`rebuild_followers`).
    changes: pd.DataFrame = field(default_factory=empty_changes)


def canonical_table(path: Path) -> TableName | None:
    """The canonical table a file's header satisfies (docs/import.md), if any."""
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        names = set(pq.read_schema(path).names)
    elif path.suffix.lower() in (".csv", ".txt", "") and path.exists():
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            names = {c.strip() for c in next(csv.reader(handle), [])}
    else:
        return None
    order: tuple[TableName, ...] = ("messages", "posts", "followers")
    for table in order:
        if set(REQUIRED_COLUMNS[table]) <= names:
            return table
    return None


def _months(table: TableName, frame: pd.DataFrame, ctx: ImportContext) -> pd.Series:
    months: pd.Series
    if table in DATED_TABLES:
        months = frame["date"].dt.strftime("%Y-%m")
    else:
        months = frame["created_at"].dt.tz_convert(ctx.tz).dt.strftime("%Y-%m")
    return months


def rebuild_counts(
    changes: pd.DataFrame, known: pd.DataFrame, counts_at_end: dict[str, int]
) -> tuple[pd.DataFrame, list[str]]:
    """Follower counts per day from daily net changes and one known count.

    The known count is one already in ``known`` (the lake or the same import)
    on a day of the export or the day before it, or ``counts_at_end[platform]``,
    the count at the end of the export's last day. Days missing from the export
    count as no change.
    """
    frames, warnings = [], []
    for (platform, account), group in changes.groupby(["platform", "account"], sort=True):
        days = pd.date_range(group["date"].min(), group["date"].max(), freq="D")
        net = group.set_index("date")["net"].astype("int64").reindex(days, fill_value=0)
        cumulative = net.cumsum()  # change from the day before the first to each day
        anchors = known[(known["platform"] == platform) & (known["account"] == account)]
        anchors = anchors[(anchors["date"] >= days[0] - timedelta(days=1)) & (anchors["date"] <= days[-1])]
        if str(platform) in counts_at_end:
            base = counts_at_end[str(platform)] - int(cumulative.iloc[-1])
        elif len(anchors):
            anchor = anchors.sort_values("date").iloc[-1]
            before = 0 if anchor["date"] < days[0] else int(cumulative.loc[anchor["date"]])
            base = int(anchor["followers"]) - before
        else:
            warnings.append(
                f"{platform}: the export gives daily follower changes from {days[0]:%Y-%m-%d} to "
                f"{days[-1]:%Y-%m-%d} but no follower count is known on those days; follower KPIs are "
                f"not available from it. Pass --follower-count {platform}=N (the count at the end of "
                f"{days[-1]:%Y-%m-%d}) or import a followers file first."
            )
            continue
        counts = base + cumulative
        if (counts < 0).any():
            raise DataError(
                f"{platform}: the follower changes lead to a negative count on "
                f"{counts[counts < 0].index[0]:%Y-%m-%d}: check --follower-count {platform}=N"
            )
        frames.append(
            pd.DataFrame(
                {"platform": platform, "account": account, "date": days, "followers": counts.to_numpy()}
            )
        )
    if not frames:
        return empty("followers"), warnings
    out = pd.concat(frames, ignore_index=True)
    out["date"] = out["date"].astype("datetime64[us]")
    out["followers"] = out["followers"].astype("Int64")
    for column in ("platform", "account"):
        out[column] = out[column].astype("string")
    return out, warnings


def read_files(
    paths: Sequence[Path | str],
    ctx: ImportContext,
    *,
    analyzer: SentimentAnalyzer | None = None,
    canonical: Sequence[tuple[TableName, Path | str]] = (),
) -> ImportBatch:
    """Read every file: canonical ones by contract, native exports by header; later files win.

    ``canonical`` files (``--posts`` and the like) are read with the contract of
    their table first. Daily follower changes are kept in ``batch.changes``;
    :func:`rebuild_followers` turns them into counts once the known counts are at hand.
    """
    frames: dict[TableName, list[pd.DataFrame]] = {t: [] for t in TABLES}
    changes = [empty_changes()]
    batch = ImportBatch(Tables())
    given: list[tuple[TableName | None, Path]] = [(t, Path(p)) for t, p in canonical]
    for raw in paths:  # a folder stands for its files, in name order (X's names sort by date range)
        path = Path(raw)
        children = (
            sorted(c for c in path.iterdir() if c.is_file() and not c.name.startswith("."))
            if path.is_dir()
            else [path]
        )
        given += [(None, c) for c in children]
    for named, path in given:
        table = named or canonical_table(path)
        if table is not None:
            frame = read_table(table, path, analyzer=analyzer if table == "messages" else None)
            frames[table].append(frame)
            batch.files.append(
                FileImport(path.name, f"{CANONICAL}:{table}", f"canonical {table} file", len(frame))
            )
            batch.sources += [
                (table, str(p), CANONICAL, _months(table, g, ctx)) for p, g in frame.groupby("platform")
            ]
            continue
        results: list[ExportResult] = read_export(path, ctx)
        for result in results:
            source = f"export:{result.format.key}"
            batch.files.append(FileImport(result.file, source, result.format.title, result.rows, result.note))
            for table in TABLES:
                frame = result.tables.get(table)
                if len(frame):
                    frames[table].append(frame)
                    batch.sources.append((table, result.platform, source, _months(table, frame, ctx)))
            if len(result.changes):
                changes.append(result.changes)
                months = result.changes["date"].dt.strftime("%Y-%m")
                batch.sources.append(("followers", result.platform, source, months))
    for table in TABLES:
        if frames[table]:
            merged = pd.concat(frames[table], ignore_index=True)
            setattr(batch.tables, table, deduplicate(table, merged))
    if ctx.accounts:
        fed = {platform for _, platform, _, _ in batch.sources}
        for platform in sorted(fed - set(ctx.accounts)):
            batch.warnings.append(
                f"{platform}: {ctx.brand} has no {platform} account in the brands file; the rows are stored "
                "under the brand's id but its reports show only its own platforms (add the account)"
            )
    batch.changes = pd.concat(changes, ignore_index=True).drop_duplicates(
        ["platform", "account", "date"], keep="last"
    )
    return batch


def rebuild_followers(
    batch: ImportBatch,
    known_followers: pd.DataFrame | None = None,
    counts_at_end: dict[str, int] | None = None,
) -> None:
    """Turn ``batch.changes`` into follower counts in ``batch.tables.followers`` (warnings when it cannot).

    ``known_followers`` are counts already stored; ``counts_at_end`` maps a
    platform to its count at the end of the last day of its changes export.
    """
    if not len(batch.changes):
        return
    known = pd.concat(
        [k for k in (known_followers, batch.tables.followers) if k is not None and len(k)]
        or [empty("followers")],
        ignore_index=True,
    )
    rebuilt, warnings = rebuild_counts(batch.changes, known, counts_at_end or {})
    batch.warnings += warnings
    if len(rebuilt):
        # A count given by a followers file for the same day wins over one rebuilt from changes.
        merged = pd.concat([rebuilt, batch.tables.followers], ignore_index=True)
        batch.tables.followers = deduplicate("followers", merged)


def months_touched(changes: pd.DataFrame) -> list[Month]:
    """The months of a changes frame and the one before its first day (where an anchor may sit)."""
    if not len(changes):
        return []
    first = (changes["date"].min() - timedelta(days=1)).to_pydatetime()
    last = changes["date"].max().to_pydatetime()
    months, current = [], Month(first.year, first.month)
    while current <= Month(last.year, last.month):
        months.append(current)
        current = current.next()
    return months


@dataclass
class ImportOutcome:
    batch: ImportBatch
    written: WriteSummary


def context_for(brand: Brand) -> ImportContext:
    """The brand's time zone and its account on each platform (the first one listed)."""
    accounts: dict[str, str] = {}
    for account in brand.accounts:
        accounts.setdefault(str(account.platform), account.id)
    return ImportContext(brand.id, brand.tz, accounts)


def import_into_lake(
    paths: Sequence[Path | str],
    ctx: ImportContext,
    lake: Lake,
    *,
    counts_at_end: dict[str, int] | None = None,
    analyzer: SentimentAnalyzer | None = None,
    canonical: Sequence[tuple[TableName, Path | str]] = (),
) -> ImportOutcome:
    """Read ``paths``, rebuild follower counts, merge into the lake and record the sources per month."""
    batch = read_files(paths, ctx, analyzer=analyzer, canonical=canonical)
    if len(batch.changes):
        known = lake.read("followers", ctx.brand, months_touched(batch.changes))
        rebuild_followers(batch, known, counts_at_end)
    written = lake.write(ctx.brand, ctx.tz, batch.tables)
    rebuilt = set(batch.tables.followers["platform"].astype(str))
    entries = {
        (str(month), table, platform, source)
        for table, platform, source, months in batch.sources
        if table != "followers" or platform in rebuilt
        for month in set(months)
    }
    record_sources(lake.store, ctx.brand, sorted(entries))
    return ImportOutcome(batch, written)
