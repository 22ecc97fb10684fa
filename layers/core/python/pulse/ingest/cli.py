"""``pulse kpis`` and ``pulse import``: the file-import commands, registered on the CLI owner's app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from pulse.exceptions import PulseError
from pulse.ingest.files import find_analyzer
from pulse.period import Month, Period, zone
from pulse.tables import TableName

PostsOption = Annotated[
    Path | None, typer.Option("--posts", help="Posts export: CSV (UTF-8, header row) or Parquet.")
]
MessagesOption = Annotated[
    Path | None,
    typer.Option("--messages", help="Messages export (inbound messages and the brand's replies)."),
]
FollowersOption = Annotated[
    Path | None, typer.Option("--followers", help="Follower snapshots: platform, account, date, followers.")
]

FilesArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Platform exports (X, Meta Business Suite, LinkedIn, YouTube Studio, TikTok Studio: CSV, "
        ".xls/.xlsx or Studio's zip; a folder stands for its files) or canonical files, recognised by "
        "their header. Later files win where they overlap.",
        show_default=False,
    ),
]
FollowerCountOption = Annotated[
    list[str] | None,
    typer.Option(
        "--follower-count",
        help="PLATFORM=N: the follower count at the end of the last day of an export that gives only "
        "daily changes (X account overview, YouTube subscribers chart).",
    ),
]


def _named(posts: Path | None, messages: Path | None, followers: Path | None) -> list[tuple[TableName, Path]]:
    given: list[tuple[TableName, Path | None]] = [
        ("posts", posts),
        ("messages", messages),
        ("followers", followers),
    ]
    return [(table, path) for table, path in given if path is not None]


def _fail(exc: PulseError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=1)


def _format(value: Any, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if percent:
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


_PERCENT = {"engagement_rate", "engagement_rate_by_reach", "response_rate", "follower_growth_rate"}


def _print_table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    platforms = list(result["by_platform"])
    table = Table(title=f"KPIs {result['month']} ({result['timezone']})")
    table.add_column("KPI")
    table.add_column("All", justify="right")
    table.add_column("Previous", justify="right")
    for platform in platforms:
        table.add_column(platform, justify="right")
    columns = [result["kpis"], result["previous"], *(result["by_platform"][p] for p in platforms)]
    for name in result["kpis"]:
        if name == "sentiment":
            for label in ("positive", "neutral", "negative", "net"):
                table.add_row(f"sentiment {label}", *(_format(c["sentiment"][label]) for c in columns))
            continue
        table.add_row(name, *(_format(c[name], name in _PERCENT) for c in columns))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add the ``kpis``, ``import`` and ``inbox`` commands to ``app``."""
    register_inbox(app)

    @app.command("kpis")
    def kpis_command(
        month: Annotated[str, typer.Option("--month", help="The calendar month, YYYY-MM (e.g. 2026-03).")],
        posts: PostsOption = None,
        messages: MessagesOption = None,
        followers: FollowersOption = None,
        files: FilesArgument = None,
        follower_count: FollowerCountOption = None,
        tz: Annotated[
            str,
            typer.Option(
                "--tz",
                help="The brand's IANA time zone (e.g. Europe/Paris): the month runs from the 1st "
                "00:00 to the next 1st 00:00 local time; export times without an offset are read in it.",
            ),
        ] = "UTC",
        as_json: Annotated[
            bool,
            typer.Option(
                "--json", help="Print one JSON object (kpis, by_platform, previous) instead of a table."
            ),
        ] = False,
    ) -> None:
        """Compute the month's KPIs directly from export files (nothing is stored).

        Takes the platforms' own exports (FILE) and canonical files, as `pulse
        import` does. Definitions: docs/kpis.md. File formats: docs/import.md.
        Prints the month's KPIs overall, per platform, and the previous month's.
        """
        from pulse.ingest.exports import ImportContext, read_files, rebuild_followers
        from pulse.kpis import compute_kpi_set

        try:
            period = Period.for_month(Month.parse(month), zone(tz))
            named = _named(posts, messages, followers)
            if not files and not named:
                raise typer.BadParameter("give at least one FILE (or --posts, --messages, --followers)")
            context = ImportContext("files", zone(tz))
            batch = read_files(files or [], context, analyzer=find_analyzer(), canonical=named)
            rebuild_followers(batch, None, _follower_counts(follower_count or []))
            result = compute_kpi_set(batch.tables, period).to_dict()
        except PulseError as exc:
            raise _fail(exc) from exc
        for warning in batch.warnings:
            typer.echo(f"warning: {warning}", err=True)
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            _print_table(result)

    @app.command("import")
    def import_command(
        brand: Annotated[str, typer.Option("--brand", help="The brand id the data belongs to.")],
        files: FilesArgument = None,
        posts: PostsOption = None,
        messages: MessagesOption = None,
        followers: FollowersOption = None,
        follower_count: FollowerCountOption = None,
        tz: Annotated[
            str | None,
            typer.Option(
                "--tz",
                help="The brand's time zone (default: the brand's configured zone). Export times without "
                "an offset are read in it.",
            ),
        ] = None,
    ) -> None:
        """Load export files into the lake (PULSE_ARCHIVE) for a brand.

        Platform exports are recognised by their header (docs/import.md lists them,
        where to download them and what each one feeds). Rows already in the lake
        with the same key (platform + id, or platform + account + date) are replaced
        by the imported values, so importing the same or an overlapping file again
        only updates metrics.
        """
        from pulse.config import load_brands, validate_brand_id
        from pulse.exceptions import UnknownBrandError
        from pulse.ingest.exports import ImportContext, context_for, import_into_lake
        from pulse.lake import Lake
        from pulse.settings import get_settings
        from pulse.storage import open_store

        try:
            named = _named(posts, messages, followers)
            paths = list(files or [])
            if not paths and not named:
                raise typer.BadParameter("give at least one FILE (or --posts, --messages, --followers)")
            validate_brand_id(brand)
            counts = _follower_counts(follower_count or [])
            settings = get_settings()
            try:
                ctx = context_for(load_brands(settings.config).get(brand))
            except UnknownBrandError:
                if not tz:
                    raise
                ctx = ImportContext(brand, zone(tz))
            if tz:
                ctx.tz = zone(tz)
            outcome = import_into_lake(
                paths,
                ctx,
                Lake(open_store(settings.archive)),
                counts_at_end=counts,
                analyzer=find_analyzer(),
                canonical=named,
            )
        except PulseError as exc:
            raise _fail(exc) from exc
        for item in outcome.batch.files:
            typer.echo(f"{item.file}: {item.title} ({item.rows} rows)")
            if item.note:
                typer.echo(f"  note: {item.note}")
        for warning in outcome.batch.warnings:
            typer.echo(f"warning: {warning}", err=True)
        summary = outcome.written
        for table, new in summary.new.items():
            typer.echo(f"{table}: {new} new, {summary.updated[table]} updated")
        typer.echo(f"{len(summary.partitions)} partition(s) written to {settings.archive}")


def _follower_counts(values: list[str]) -> dict[str, int]:
    counts = {}
    for value in values:
        platform, _, number = value.partition("=")
        if not platform.strip() or not number.strip().isdigit():
            raise typer.BadParameter(f"--follower-count {value!r}: use PLATFORM=N, e.g. x=1520")
        counts[platform.strip().lower()] = int(number)
    return counts


def register_inbox(app: typer.Typer) -> None:
    """Add the ``inbox`` command (the drop folder the daily job processes on AWS) to ``app``."""

    @app.command("inbox")
    def inbox_command(
        brand: Annotated[
            str | None, typer.Option("--brand", help="Brand id (default: every configured brand).")
        ] = None,
    ) -> None:
        """Import the files waiting in the archive's inbox/<brand>/ folder, as the daily job does.

        Each file is imported on its own, then moved to inbox/<brand>/processed/ or,
        when it is refused, to inbox/<brand>/failed/ with a .error.txt saying why.
        """
        from pulse.config import load_brands
        from pulse.ingest.inbox import process_inbox
        from pulse.lake import Lake
        from pulse.settings import get_settings
        from pulse.storage import open_store

        try:
            settings = get_settings()
            registry = load_brands(settings.config)
            brands = [registry.get(brand)] if brand else list(registry)
            lake = Lake(open_store(settings.archive))
            results = [process_inbox(lake, b, analyzer=find_analyzer()) for b in brands]
        except PulseError as exc:
            raise _fail(exc) from exc
        for result in results:
            for item in result.files:
                status = "imported" if item.ok else "refused"
                typer.echo(f"{item.key}: {status} -> {item.moved_to}: {item.message}")
                for warning in item.warnings:
                    typer.echo(f"warning: {warning}", err=True)
        if any(r.failed for r in results):
            raise typer.Exit(code=1)
