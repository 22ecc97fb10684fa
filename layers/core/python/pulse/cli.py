"""The ``pulse`` command line. Run ``pulse --help`` or ``pulse COMMAND --help``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pulse.exceptions import PulseError
from pulse.period import Month, previous_month
from pulse.settings import Settings, get_settings

if TYPE_CHECKING:
    from pulse.config import Brand
    from pulse.pipeline import Services

app = typer.Typer(
    name="pulse",
    help=(
        "Community Pulse: monthly community-management reports (reach, engagement, response time, "
        "sentiment) in HTML, PDF and email, for every brand you manage.\n\n"
        "Runs locally with no configuration: the archive goes to ./out/archive, mail to ./out/outbox "
        "as .eml files, and the built-in demo brands are used. Set PULSE_* variables (see README) to "
        "use your own brands file, S3 or SES."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def _settings(out: Path | None = None, config: Path | None = None, archive: str | None = None) -> Settings:
    overrides: dict[str, object] = {}
    if out is not None:
        overrides["archive"] = str(out / "archive")
        overrides["outbox"] = out / "outbox"
        overrides["state_dir"] = out / "state"
    if archive is not None:
        overrides["archive"] = archive
    if config is not None:
        overrides["config"] = config
    base = get_settings()
    return base.model_copy(update=overrides) if overrides else base


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[bold red]error:[/] {exc}")
    return typer.Exit(code=2)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal and False,
    )


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Brands YAML file (default: $PULSE_CONFIG or the demo brands)."),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Write the archive to OUT/archive and mails to OUT/outbox (local runs)."),
]


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Output directory (archive and outbox).")] = Path("out"),
    month: Annotated[
        str | None, typer.Option("--month", help="Report month YYYY-MM (default: last complete month).")
    ] = None,
) -> None:
    """Generate demo data for every demo brand, then its report, archive and email.

    Uses the built-in demo brands and data source; nothing leaves this machine.
    Prints where the reports and the .eml files are.
    """
    from pulse.pipeline import Services, fetch_brand, run_reports

    try:
        settings = _settings(out=out).model_copy(update={"mail_transport": "outbox", "config": None})
        services = Services.from_settings(settings)
        now = datetime.now(UTC)
        brands = list(services.brands)
        with _progress() as progress:
            task = progress.add_task("Fetching demo data", total=len(brands))
            for brand in brands:
                target = Month.parse(month) if month else previous_month(now, brand.tz)
                start = datetime.combine(target.previous().first_day, time(), brand.tz)
                end = max(now, datetime.combine(target.next().next().first_day, time(), brand.tz))
                fetch_brand(services, brand, start, end)
                progress.advance(task)
            task = progress.add_task("Rendering reports", total=len(brands))
            outcomes = run_reports(
                services,
                brands,
                Month.parse(month) if month else None,
                send=True,
                now=now,
                on_progress=lambda _o: progress.advance(task),
            )
        alerts = _demo_watch(services, brands, Month.parse(month) if month else None, now)
    except PulseError as exc:
        raise _fail(exc) from exc
    _print_outcomes(outcomes)
    for line in alerts:
        typer.echo(line)
    if not all(o.ok for o in outcomes):
        raise typer.Exit(code=1)


def _demo_watch(services: Services, brands: list[Brand], month: Month | None, now: datetime) -> list[str]:
    """Replay the daily watch over each brand's report month, as if it had run every morning."""
    from pulse.watch.job import replay_times, watch_brand

    lines: list[str] = []
    for brand in brands:
        target = month or previous_month(now, brand.tz)
        since = datetime.combine(target.first_day, time(), brand.tz)
        until = min(now, datetime.combine(target.next().first_day, time(), brand.tz) + timedelta(days=3))
        for moment in replay_times(since, until, brand.tz):
            outcome = watch_brand(services, brand, moment)
            lines += [f"{brand.id} alert {sent}" for sent in outcome.sent]
            lines += [f"{brand.id} alert FAILED {error}" for error in outcome.errors]
    return lines


def _print_outcomes(outcomes: list) -> None:  # type: ignore[type-arg]
    for o in outcomes:
        if not o.ok:
            typer.echo(f"{o.brand} {o.month}: FAILED: {o.error}")
            continue
        typer.echo(f"{o.brand} {o.month}")
        for name, link in o.files.items():
            typer.echo(f"  {name:<12} {link.removeprefix('file://')}")
        if o.mail:
            typer.echo(f"  {'email':<12} {o.mail}")
        if o.repeated:
            typer.echo("  (already built and mailed by an earlier run: nothing sent again)")


@app.command()
def fetch(
    brand: Annotated[
        str | None, typer.Option("--brand", "-b", help="Brand id (default: every brand).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Fetch from this date YYYY-MM-DD (default: the last 3 days)."),
    ] = None,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch/--no-watch",
            help="After fetching, watch each fetched brand for incidents and send due alerts "
            "(as the daily job on AWS does; see `pulse watch --help`).",
        ),
    ] = True,
    config: ConfigOption = None,
    out: OutOption = None,
) -> None:
    """Fetch engagement data into the lake (daily job; safe to re-run: no duplicates).

    Like the scheduled fetch on AWS, it then watches each brand it fetched for incidents
    (complaint storms, backlog, slow answers) and sends each due alert once; --no-watch skips that.
    Prints a JSON summary line; with the watch, one JSON line per watched brand before it.
    """
    from pulse.pipeline import Services, default_fetch_window, fetch_brand

    try:
        services = Services.from_settings(_settings(out=out, config=config))
        brands = [services.brands.get(brand)] if brand else list(services.brands)
        now = datetime.now(UTC)
        start, end = default_fetch_window(now)
        if since:
            start = datetime.combine(date.fromisoformat(since), time(), UTC)
        totals = {"new": 0, "updated": 0, "quarantined": 0}
        problems: list[str] = []
        fetched: list[Brand] = []
        watch_errors: list[str] = []
        with _progress() as progress:

            def show(account: str, message: str) -> None:
                progress.console.print(f"  {account}: {message}")

            task = progress.add_task("Fetching", total=len(brands))
            for b in brands:
                progress.console.print(f"[bold]{b.id}[/] ({len(b.accounts)} accounts)")
                result = fetch_brand(services, b, start, end, on_progress=show)
                new, upd = sum(result.written.new.values()), sum(result.written.updated.values())
                quarantined = sum(
                    a.get("quarantined", 0) for a in (result.source_report or {}).get("accounts", [])
                )
                totals["new"] += new
                totals["updated"] += upd
                totals["quarantined"] += quarantined
                problems += result.problems
                fetched.append(b)
                progress.console.print(
                    f"  fetched {result.fetched}: {new} new, {upd} updated, {quarantined} quarantined"
                )
                progress.advance(task)
        if watch:
            from pulse.watch.job import watch_brands

            for outcome in watch_brands(services, fetched, datetime.now(UTC)):
                typer.echo(json.dumps(outcome.to_dict(), ensure_ascii=False))
                watch_errors += [f"watch {outcome.brand}: {error}" for error in outcome.errors]
    except (PulseError, ValueError) as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"brands": len(brands), **totals, "archive": services.store.location}))
    if problems:
        for problem in problems:
            console.print(f"[yellow]warning:[/] {problem}")
        console.print("Raw responses are kept in the archive (raw/, quarantine/); the next run retries.")
    for error in watch_errors:
        console.print(f"[yellow]warning:[/] {error}")
    if problems or watch_errors:
        raise typer.Exit(code=1)


@app.command()
def report(
    brand: Annotated[str | None, typer.Option("--brand", "-b", help="Brand id.")] = None,
    month: Annotated[
        str | None, typer.Option("--month", "-m", help="Month YYYY-MM (default: last complete month).")
    ] = None,
    all_brands: Annotated[bool, typer.Option("--all", help="Every configured brand.")] = False,
    send: Annotated[
        bool, typer.Option("--send/--no-send", help="Mail the report to its recipients.")
    ] = False,
    config: ConfigOption = None,
    out: OutOption = None,
) -> None:
    """Build a brand's monthly report (HTML, PDF, kpis.json) into the archive, and optionally mail it."""
    from pulse.pipeline import Services, run_reports

    if not brand and not all_brands:
        raise _fail(ValueError("give --brand BRAND or --all"))
    try:
        services = Services.from_settings(_settings(out=out, config=config))
        brands = list(services.brands) if all_brands else [services.brands.get(brand or "")]
        target = Month.parse(month) if month else None
        with _progress() as progress:
            task = progress.add_task("Rendering reports", total=len(brands))
            outcomes = run_reports(
                services, brands, target, send=send, on_progress=lambda _o: progress.advance(task)
            )
    except PulseError as exc:
        raise _fail(exc) from exc
    _print_outcomes(outcomes)
    if not all(o.ok for o in outcomes):
        raise typer.Exit(code=1)


@app.command()
def watch(
    brand: Annotated[str | None, typer.Option("--brand", "-b", help="Brand id.")] = None,
    all_brands: Annotated[bool, typer.Option("--all", help="Every configured brand.")] = False,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Catch up: replay one daily run (09:00 local) per day from this date YYYY-MM-DD, then now.",
        ),
    ] = None,
    config: ConfigOption = None,
    out: OutOption = None,
) -> None:
    """Between reports: today's pulse and incident alerts (complaint storms, backlog, slow answers).

    Each incident is announced once when it opens and once when it is resolved, by email and on
    the brand's chat webhooks or SNS topic; running it again sends nothing twice. Rules and quiet
    hours: the brand's `alerts:` section (docs/alerts.md). Prints one JSON line per brand and run.
    """
    from pulse.pipeline import Services
    from pulse.watch.job import replay_times, watch_brand

    if not brand and not all_brands:
        raise _fail(ValueError("give --brand BRAND or --all"))
    try:
        services = Services.from_settings(_settings(out=out, config=config))
        brands = list(services.brands) if all_brands else [services.brands.get(brand or "")]
        now = datetime.now(UTC)
        failed = False
        for b in brands:
            times = (
                replay_times(datetime.combine(date.fromisoformat(since), time(), b.tz), now, b.tz)
                if since
                else []
            )
            for moment in [*times, now]:
                outcome = watch_brand(services, b, moment)
                failed |= not outcome.ok
                typer.echo(json.dumps(outcome.to_dict(), ensure_ascii=False))
    except (PulseError, ValueError) as exc:
        raise _fail(exc) from exc
    if failed:
        raise typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on. Anything but loopback needs PULSE_API_KEY (sent as x-api-key)."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    config: ConfigOption = None,
    out: OutOption = None,
) -> None:
    """Serve the HTTP API locally (the Lambda handler behind a local server).

    Try: curl localhost:8080/reports -H 'Content-Type: application/json'
    -d '{"brand": "maison-lumiere", "month": "2026-10"}'
    """
    from pulse.api import create_handler
    from pulse.pipeline import Services
    from pulse.server import make_server

    try:
        services = Services.from_settings(_settings(out=out, config=config))
        key = services.settings.api_key
        handler = create_handler(services)
        server = make_server(host, port, handler, api_key=key.get_secret_value() if key else None)
    except PulseError as exc:
        raise _fail(exc) from exc
    except OSError as exc:
        raise _fail(ValueError(f"cannot listen on {host}:{port}: {exc.strerror}")) from exc
    console.print(f"Serving the Community Pulse API on http://{host}:{server.server_port} (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.on_worker(handler.close)  # type: ignore[attr-defined]  # the browser lives on that thread
        server.server_close()


brands_app = typer.Typer(
    help="List the configured brands (validates the brands file); `pulse brands push FILE` uploads one.",
    no_args_is_help=False,
)
app.add_typer(brands_app, name="brands")


@brands_app.callback(invoke_without_command=True)
def brands(ctx: typer.Context, config: ConfigOption = None) -> None:
    """List the configured brands (validates the brands file)."""
    if ctx.invoked_subcommand is not None:
        return
    from pulse.config import load_brands

    try:
        registry = load_brands(config or get_settings().config)
    except PulseError as exc:
        raise _fail(exc) from exc
    for b in registry:
        typer.echo(f"{b.id:<24} {b.language}  {b.timezone:<20} {', '.join(b.platforms)}")


@brands_app.command("push")
def brands_push(
    file: Annotated[Path, typer.Argument(help="The brands YAML to validate and upload.")],
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Where the functions read it: s3://bucket/key or a local path "
            "(default: config/brands.yaml in $PULSE_ARCHIVE).",
        ),
    ] = None,
) -> None:
    """Validate a brands file, then upload it where the deployed functions read it.

    With BrandsSource=archive the functions read s3://<ArchiveBucket>/config/brands.yaml and
    see the new brands within PULSE_CONFIG_TTL_SECONDS (60 s), without a rebuild. An invalid
    file is refused and nothing is uploaded.
    """
    from pulse.config import ARCHIVE_CONFIG_KEY, parse_brands, read_brands_text, split_s3_url
    from pulse.storage import open_store

    try:
        text, source, logo_dir = read_brands_text(file)
        if to is None:
            store = open_store(get_settings().archive)
            key = ARCHIVE_CONFIG_KEY
            target = f"{store.location}/{key}"
        elif to.startswith("s3://"):
            bucket, key = split_s3_url(to)
            store, target = open_store(f"s3://{bucket}"), to
        else:
            destination = Path(to)
            store, key, target = open_store(str(destination.parent)), destination.name, to
        # Validated as the functions will read it: from S3 there is no directory for local logos.
        remote = target.startswith("s3://")
        registry = parse_brands(text, source, logo_dir=None if remote else logo_dir)
        data = text.encode("utf-8")
        store.put(key, data, content_type="application/yaml")
    except PulseError as exc:
        raise _fail(exc) from exc
    typer.echo(f"uploaded {len(registry)} brand(s) to {target}: {', '.join(registry.ids)}")


def _register_optional() -> None:
    """Commands contributed by other packages of the core (import, kpis, sentiment)."""
    try:
        from pulse.ingest.cli import register as register_ingest
    except ImportError:
        pass
    else:
        register_ingest(app)
    from pulse.share_cli import register as register_share

    register_share(app)
    try:
        from pulse.sentiment import cli_main
    except ImportError:
        return

    @app.command()
    def sentiment(
        lang: Annotated[
            str, typer.Option("--lang", help="auto, or a language code (fr, en, es, de, it, pt).")
        ] = "auto",
    ) -> None:
        """Label texts read from stdin, one per line; writes one JSON object per line.

        Example: echo "Service client nul, toujours pas de réponse" | pulse sentiment
        """
        raise typer.Exit(code=cli_main(lang=lang, stdin=sys.stdin, stdout=sys.stdout))


_register_optional()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
