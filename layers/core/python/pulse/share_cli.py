"""``pulse share`` and ``pulse share-keys``: share links for a CM to paste, and their keys."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from pulse.exceptions import ConfigError, PulseError
from pulse.period import Month
from pulse.settings import Settings, get_settings
from pulse.share import ANY, KeySource, mint_links, open_key_source, share_base_url


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


def _settings(out: Path | None, config: Path | None) -> Settings:
    overrides: dict[str, object] = {}
    if out is not None:
        overrides["archive"] = str(out / "archive")
        overrides["state_dir"] = out / "state"
    if config is not None:
        overrides["config"] = config
    base = get_settings()
    return base.model_copy(update=overrides) if overrides else base


def _source(settings: Settings) -> KeySource:
    source = open_key_source(settings)
    if source is None:
        raise ConfigError(
            "no share keys: set PULSE_SHARE_KEY_SECRET to the stack's ShareKeySecret (docs/deploy.md)"
        )
    return source


ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="Brands YAML file.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Local runs: the archive in OUT/archive, the keys in OUT/state.")
]


def register(app: typer.Typer) -> None:
    """Add ``share`` and ``share-keys`` to ``app``."""

    @app.command("share")
    def share(
        brand: Annotated[str, typer.Option("--brand", "-b", help="Brand id.")],
        month: Annotated[
            str | None,
            typer.Option("--month", "-m", help="YYYY-MM; omitted: the archive page (every month)."),
        ] = None,
        file: Annotated[
            str, typer.Option("--file", help="report.html, report.pdf, kpis.json, or * for every file.")
        ] = ANY,
        days: Annotated[
            int | None, typer.Option("--days", help="Shorter than the brand's sharing.expiry_days.")
        ] = None,
        base_url: Annotated[
            str | None,
            typer.Option(
                "--base-url", help="Base of the link (default: PULSE_PUBLIC_BASE_URL or make serve's)."
            ),
        ] = None,
        config: ConfigOption = None,
        out: OutOption = None,
    ) -> None:
        """Mint a share link that opens a brand's report (or every report) without credentials.

        Paste it anywhere: whoever has the link can open what it covers until it expires.
        The brand's sharing.minters must match user:<your login>. Revoke: docs/deploy.md.
        """
        from pulse.config import load_brands

        try:
            settings = _settings(out, config)
            b = load_brands(settings.config).get(brand)
            target = Month.parse(month) if month else None
            base = base_url or share_base_url(settings)
            if base is None:
                raise ConfigError("no base URL for the link: give --base-url or set PULSE_PUBLIC_BASE_URL")
            links = mint_links(
                _source(settings), base, b, target, now=datetime.now(UTC),
                caller=f"user:{getpass.getuser()}", file=file, days=days,
            )  # fmt: skip
        except PulseError as exc:
            raise _fail(exc) from exc
        if target is None:
            typer.echo(links.archive)
        else:
            typer.echo(links.file(target, file if file != ANY else "report.html"))
        typer.echo(f"opens until {links.expires_at:%Y-%m-%d %H:%M} UTC", err=True)

    keys_app = typer.Typer(help="The keys that sign share links: list, rotate, revoke.", no_args_is_help=True)
    app.add_typer(keys_app, name="share-keys")

    @keys_app.command("list")
    def list_keys(out: OutOption = None) -> None:
        """Key ids (never the keys) and which one signs new links."""
        try:
            settings = _settings(out, None)
            source = _source(settings)
            keys = source.load()
        except PulseError as exc:
            raise _fail(exc) from exc
        typer.echo(f"# {source.location}")
        for key_id in keys.keys:
            typer.echo(f"{key_id}{'  (current: signs new links)' if key_id == keys.current else ''}")

    @keys_app.command("rotate")
    def rotate(out: OutOption = None) -> None:
        """Add a new key that signs new links; links signed by older keys keep opening until revoked."""
        try:
            source = _source(_settings(out, None))
            keys = source.load().rotated()
            source.save(keys)
        except PulseError as exc:
            raise _fail(exc) from exc
        typer.echo(
            f"new links are signed with {keys.current}; older keys: {', '.join(k for k in keys.keys if k != keys.current) or 'none'}"
        )

    @keys_app.command("revoke")
    def revoke(
        key_id: Annotated[str, typer.Argument(help="The key to remove (see `pulse share-keys list`).")],
        out: OutOption = None,
    ) -> None:
        """Remove a key: every link it signed stops opening (within 5 minutes on AWS)."""
        try:
            source = _source(_settings(out, None))
            keys = source.load().revoked(key_id)
            source.save(keys)
        except PulseError as exc:
            raise _fail(exc) from exc
        typer.echo(f"revoked {key_id}: the links it signed no longer open")
