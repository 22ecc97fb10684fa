"""Read a platform export (CSV, zip of CSVs, .xls/.xlsx) and map it to the canonical tables.

Recognition is by header, never by file name: the header row is looked for in
the first rows of each CSV or sheet (exports often start with a title or a
``sep=,`` line), and compared with every :data:`~pulse.ingest.exports.formats.FORMATS`
entry in English and French. Errors name the file (and sheet), the row
(counted from 1 for the first row after the header) and the column as the file
spells it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from pulse.exceptions import DataError
from pulse.ingest.exports import values
from pulse.ingest.exports.formats import FORMATS, ExportFormat, known_formats, norm
from pulse.tables import Tables, deduplicate, normalize

#: How many rows above the header a file may have (title rows, ``sep=,``, notes).
HEADER_SEARCH_ROWS = 12
EXCEL_SUFFIXES = (".xls", ".xlsx", ".xlsm", ".ods")
POST_COUNTS = ("impressions", "reach", "likes", "comments", "shares", "saves", "clicks")


class UnknownExportError(DataError):
    """No known export format (nor the canonical contract) matches the file's header."""


@dataclass
class Grid:
    """The cells of one CSV, one sheet, or one CSV inside a zip."""

    name: str
    rows: list[list[Any]]


@dataclass
class Match:
    format: ExportFormat
    header_row: int
    columns: dict[str, int]
    headers: list[str]
    language: str
    title: str


@dataclass
class ImportContext:
    """What the mapping needs to know about the brand."""

    brand: str
    tz: ZoneInfo
    #: platform -> the brand's account id on it (from the brands file).
    accounts: dict[str, str] = field(default_factory=dict)


@dataclass
class ExportResult:
    """One recognised export (or one sheet of it), mapped."""

    file: str
    format: ExportFormat
    language: str
    platform: str
    tables: Tables
    #: Daily net follower changes: platform, account, date, net (feeds ``followers`` once anchored).
    changes: pd.DataFrame
    rows: int

    @property
    def note(self) -> str:
        return self.format.limits


# ---------------------------------------------------------------- reading cells


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name}: not UTF-8 or UTF-16 text ({exc.reason} at byte {exc.start})") from exc


def _csv_rows(text: str) -> list[list[Any]]:
    """The rows of a CSV whose separator is ``sep=X`` (first line) or found from its header.

    Without ``sep=``, the separator is the one among ``,`` ``;`` tab whose rows hold
    a known header (an Excel-made semicolon file does not quote a text full of
    commas); failing that, the one giving the widest row among the first ones.
    """
    first = text.split("\n", 1)[0].strip().strip('"')
    if first.lower().startswith("sep=") and len(first) == 5:
        rest = text.split("\n", 1)[1] if "\n" in text else ""
        return [list(row) for row in csv.reader(io.StringIO(rest, newline=""), delimiter=first[4])]
    parsed = {
        d: [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=d)] for d in ",;\t"
    }
    for rows in parsed.values():
        if match_grid(Grid("", rows)) is not None:
            return rows

    def width(rows: list[list[Any]]) -> int:
        return max((len([c for c in row if c.strip()]) for row in rows[:HEADER_SEARCH_ROWS]), default=0)

    return max(parsed.values(), key=width)


def read_grids(path: Path) -> list[Grid]:
    """Every table-like part of ``path``: the CSV itself, each sheet, or each CSV in a zip."""
    if not path.exists():
        raise DataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        try:
            sheets = pd.read_excel(path, sheet_name=None, header=None, engine="calamine", dtype=object)
        except Exception as exc:  # calamine raises its own error types for damaged files
            raise DataError(f"{path.name}: cannot be read as a spreadsheet: {exc}") from exc
        return [
            Grid(f"{path.name} (sheet {name!r})", [list(r) for r in frame.itertuples(index=False)])
            for name, frame in sheets.items()
        ]
    data = path.read_bytes()
    if suffix == ".zip" or data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as archive:
                return [
                    Grid(f"{path.name} ({member})", _csv_rows(_decode(archive.read(member), member)))
                    for member in archive.namelist()
                    if member.lower().endswith((".csv", ".txt"))
                ]
        except zipfile.BadZipFile as exc:
            raise DataError(f"{path.name}: not a readable zip file") from exc
    return [Grid(path.name, _csv_rows(_decode(data, path.name)))]


# ---------------------------------------------------------------- recognising


def _blank(row: Sequence[Any]) -> bool:
    return all(values.is_empty(c) for c in row)


def match_grid(grid: Grid, formats: Iterable[ExportFormat] = FORMATS) -> Match | None:
    """The first format whose signature fields all appear in one of the grid's first rows."""
    formats = tuple(formats)
    for index, row in enumerate(grid.rows[:HEADER_SEARCH_ROWS]):
        headers = [norm(c) for c in row]
        if len([h for h in headers if h]) < 2:
            continue
        title = " ".join(norm(c) for r in grid.rows[:index] for c in r if not values.is_empty(c))
        for fmt in formats:
            columns: dict[str, int] = {}
            languages = {"en": 0, "fr": 0}
            for field_name in fmt.columns:
                names = fmt.header_names(field_name)
                # The first alias present wins (e.g. Meta's 'Description' before its often empty 'Title').
                for name, langs in names.items():
                    if name in headers:
                        columns[field_name] = headers.index(name)
                        if len(langs) == 1:
                            languages[next(iter(langs))] += 1
                        break
            if not all(f in columns for f in fmt.signature):
                continue
            if fmt.title_words and not any(w in title for w in fmt.title_words):
                continue
            language = "fr" if languages["fr"] > languages["en"] else "en"
            return Match(fmt, index, columns, [str(c) for c in row], language, title)
    return None


def seen_columns(grids: Sequence[Grid]) -> str:
    parts = []
    for grid in grids:
        row = next(
            (r for r in grid.rows[:HEADER_SEARCH_ROWS] if len([c for c in r if not values.is_empty(c)]) >= 2),
            None,
        )
        if row is None and grid.rows:
            row = grid.rows[0]
        if row:
            parts.append(f"{grid.name}: {', '.join(str(c) for c in row if not values.is_empty(c))}")
    return "; ".join(parts) or "none (the file is empty)"


def unknown(path: Path, grids: Sequence[Grid]) -> UnknownExportError:
    return UnknownExportError(
        f"{path.name}: not a known export. Columns seen: {seen_columns(grids)}.\n"
        f"Known formats:\n{known_formats()}\n"
        "  - the canonical posts, messages or followers files of docs/import.md"
    )


# ---------------------------------------------------------------- mapping


class _Cells:
    """Data rows of a matched grid, with errors that name file, row and column."""

    def __init__(self, grid: Grid, match: Match) -> None:
        self.grid = grid
        self.match = match
        rows = []
        key = next(
            (match.columns[f] for f in ("post_id", "link", "date", "created_at") if f in match.columns), 0
        )
        for number, row in enumerate(grid.rows[match.header_row + 1 :], start=1):
            if _blank(row):
                continue
            first = norm(row[key]) if key < len(row) else ""
            if first in match.format.total_rows:
                continue
            rows.append((number, row))
        self.rows = rows

    def has(self, field_name: str) -> bool:
        return field_name in self.match.columns

    def raw(self, field_name: str) -> list[Any]:
        position = self.match.columns.get(field_name)
        if position is None:
            return [None] * len(self.rows)
        return [row[position] if position < len(row) else None for _, row in self.rows]

    def error(self, row: int, field_name: str, message: str) -> DataError:
        column = self.match.headers[self.match.columns[field_name]]
        return DataError(f"{self.grid.name}, row {row}, column {column}: {message}")

    def each(self, field_name: str, parse: Any) -> list[Any]:
        out = []
        for (number, _), cell in zip(self.rows, self.raw(field_name), strict=True):
            try:
                out.append(parse(cell))
            except values.CellError as exc:
                raise self.error(number, field_name, str(exc)) from exc
        return out

    def date_order(self) -> values.DateOrder:
        default: values.DateOrder = "dmy" if self.match.language == "fr" else self.match.format.english_dates
        column = "created_at" if self.has("created_at") else "date"
        return values.guess_order(self.raw(column), default)


def _text(value: Any) -> str | None:
    if values.is_empty(value):
        return None
    if isinstance(value, float) and value.is_integer():  # an id a spreadsheet stored as a number
        return str(int(value))
    return str(value).strip()


def _account(cells: _Cells, platform: str, ctx: ImportContext) -> list[str]:
    """The brand's account on the platform (brands file), else the file's account column, else the brand id."""
    if platform in ctx.accounts:
        return [ctx.accounts[platform]] * len(cells.rows)
    for field_name in ("account_name", "account_id"):
        if cells.has(field_name):
            found = [_text(v) for v in cells.raw(field_name)]
            if all(found):
                return [str(v) for v in found]
    return [ctx.brand] * len(cells.rows)


def _posts(cells: _Cells, ctx: ImportContext) -> pd.DataFrame:
    fmt = cells.match.format
    links = [_text(v) for v in cells.raw("link")]
    if cells.has("post_id"):
        ids = [_text(v) for v in cells.raw("post_id")]
    else:
        ids = []
        for link in links:
            found = fmt.id_from_link.search(link) if (fmt.id_from_link and link) else None
            ids.append(found.group(1) if found else link)
    for (number, _), post_id in zip(cells.rows, ids, strict=True):
        if not post_id:
            field_name = "post_id" if cells.has("post_id") else "link"
            raise cells.error(number, field_name, "empty value (each post needs its id or link)")
    order = cells.date_order()
    created = cells.each("created_at", lambda v: values.timestamp(v, ctx.tz, order))
    frame = pd.DataFrame(
        {
            "platform": fmt.platform,
            "account": _account(cells, fmt.platform, ctx),
            "post_id": ids,
            "created_at": pd.to_datetime(created, utc=True),
            "text": [_text(v) for v in cells.raw("text")],
        }
    )
    for column in POST_COUNTS:
        if cells.has(column):
            frame[column] = pd.array(cells.each(column, values.count), dtype="Int64")
        else:
            frame[column] = pd.array([None] * len(frame), dtype="Int64")
    return frame


def _followers(cells: _Cells, ctx: ImportContext, platform: str) -> pd.DataFrame:
    order = cells.date_order()
    days = cells.each("date", lambda v: values.local_date(v, order))
    counts = cells.each("followers", values.count)
    for (number, _), value in zip(cells.rows, counts, strict=True):
        if value is None:
            raise cells.error(number, "followers", "empty value (a follower count is required)")
    return pd.DataFrame(
        {
            "platform": platform,
            "account": ctx.accounts.get(platform, ctx.brand),
            "date": pd.to_datetime(days),
            "followers": pd.array(counts, dtype="Int64"),
        }
    )


def _changes(cells: _Cells, ctx: ImportContext, platform: str) -> pd.DataFrame:
    order = cells.date_order()
    days: list[date] = cells.each("date", lambda v: values.local_date(v, order))
    if cells.has("net"):
        net = [v or 0 for v in cells.each("net", values.signed_count)]
    else:
        gained = [v or 0 for v in cells.each("gained", values.count)]
        lost = [v or 0 for v in cells.each("lost", values.count)]
        net = [g - lo for g, lo in zip(gained, lost, strict=True)]
    return pd.DataFrame(
        {
            "platform": platform,
            "account": ctx.accounts.get(platform, ctx.brand),
            "date": pd.to_datetime(days),
            "net": pd.array(net, dtype="Int64"),
        }
    )


#: Export columns that are account-level daily metrics, and their ``account_daily`` column.
ACCOUNT_DAY_FIELDS = {
    "gained": "followers_gained",
    "lost": "followers_lost",
    "views": "views",
    "profile_views": "profile_views",
}


def _account_days(cells: _Cells, ctx: ImportContext, platform: str) -> pd.DataFrame | None:
    """The daily follows, unfollows, impressions and profile visits of an export, if it has any."""
    present = {f: c for f, c in ACCOUNT_DAY_FIELDS.items() if cells.has(f)}
    if not present or cells.has("net"):
        return None
    order = cells.date_order()
    frame = pd.DataFrame(
        {
            "platform": platform,
            "account": ctx.accounts.get(platform, ctx.brand),
            "date": pd.to_datetime(cells.each("date", lambda v: values.local_date(v, order))),
        }
    )
    for field_name, column in present.items():
        frame[column] = pd.array(cells.each(field_name, values.count), dtype="Int64")
    return frame


def empty_changes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "platform": pd.Series(dtype="string"),
            "account": pd.Series(dtype="string"),
            "date": pd.Series(dtype="datetime64[us]"),
            "net": pd.Series(dtype="Int64"),
        }
    )


def map_grid(grid: Grid, match: Match, ctx: ImportContext) -> ExportResult:
    """The canonical rows of one matched grid."""
    fmt = match.format
    cells = _Cells(grid, match)
    platform = fmt.platform
    if platform == "meta":
        platform = "instagram" if "instagram" in match.title else "facebook"
    tables = Tables()
    changes = empty_changes()
    if fmt.feeds == "posts":
        tables.posts = deduplicate("posts", normalize("posts", _posts(cells, ctx), where=grid.name))
    elif fmt.feeds == "followers":
        tables.followers = deduplicate(
            "followers", normalize("followers", _followers(cells, ctx, platform), where=grid.name)
        )
    elif fmt.feeds == "follower_changes":
        changes = _changes(cells, ctx, platform).drop_duplicates(["platform", "account", "date"], keep="last")
    days = _account_days(cells, ctx, platform) if fmt.feeds in ("follower_changes", "nothing") else None
    if days is not None:
        tables.account_daily = deduplicate("account_daily", normalize("account_daily", days, where=grid.name))
    return ExportResult(grid.name, fmt, match.language, platform, tables, changes, len(cells.rows))


def read_export(path: Path | str, ctx: ImportContext) -> list[ExportResult]:
    """Recognise and map ``path``; :class:`UnknownExportError` lists the formats known and the columns seen."""
    path = Path(path)
    grids = read_grids(path)
    results = []
    for grid in grids:
        match = match_grid(grid)
        if match is not None:
            results.append(map_grid(grid, match, ctx))
    if not results:
        raise unknown(path, grids)
    return results
