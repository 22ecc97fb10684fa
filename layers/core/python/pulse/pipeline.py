"""The product's jobs, wired from small parts: fetch, report, deliver.

Handlers and the CLI build a :class:`Services` once and call these functions;
no business rule lives in them.

Archive layout (local directory or S3)::

    lake/<table>/brand=<brand>/month=<YYYY-MM>/data.parquet
    reports/<brand>/<YYYY-MM>/report.html | report.pdf | kpis.json
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pulse.config import Brand, BrandRegistry, load_brands, validate_brand_id
from pulse.delivery import MailSender, build_report_email, make_sender
from pulse.exceptions import NotFoundError
from pulse.kpis import KpiSet, compute_kpi_set
from pulse.lake import Lake, WriteSummary
from pulse.period import Month, previous_month
from pulse.render.browser import ChromiumRenderer, RenderedReport
from pulse.render.html import render_html
from pulse.render.viewmodel import ReportView, build_report_view
from pulse.settings import Settings, get_settings
from pulse.sources import DemoSource, Source
from pulse.storage import ObjectStore, open_store
from pulse.tables import Tables

logger = logging.getLogger(__name__)

ReportFile = Literal["report.html", "report.pdf", "kpis.json"]
REPORT_FILES: tuple[ReportFile, ...] = ("report.html", "report.pdf", "kpis.json")
CONTENT_TYPES: dict[str, str] = {
    "report.html": "text/html; charset=utf-8",
    "report.pdf": "application/pdf",
    "kpis.json": "application/json",
}


def report_key(brand_id: str, month: Month, name: str) -> str:
    if name not in REPORT_FILES:
        raise NotFoundError(f"unknown report file {name!r} (one of {', '.join(REPORT_FILES)})")
    return f"reports/{validate_brand_id(brand_id)}/{month}/{name}"


@dataclass
class Services:
    """Everything the jobs need, built once per process (one Lambda cold start)."""

    settings: Settings
    brands: BrandRegistry
    store: ObjectStore
    sender: MailSender
    source: Source
    lake: Lake = field(init=False)

    def __post_init__(self) -> None:
        self.lake = Lake(self.store)

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        s3_client: Any = None,
        ses_client: Any = None,
        source: Source | None = None,
    ) -> Services:
        settings = settings or get_settings()
        return cls(
            settings=settings,
            brands=load_brands(settings.config),
            store=open_store(settings.archive, s3_client=s3_client),
            sender=make_sender(settings, ses_client=ses_client),
            source=source or DemoSource(),
        )


# ---------------------------------------------------------------- fetch


@dataclass
class FetchResult:
    brand: str
    start: datetime
    end: datetime
    fetched: dict[str, int]
    written: WriteSummary


def fetch_brand(services: Services, brand: Brand, start: datetime, end: datetime) -> FetchResult:
    """Fetch ``[start, end)`` from the source, score new messages, merge into the lake."""
    tables = services.source.fetch(brand, start, end)
    tables.messages = score_sentiment(tables.messages, services.settings)
    written = services.lake.write(brand.id, brand.tz, tables)
    logger.info(
        "fetched",
        extra={"brand": brand.id, "rows": tables.counts(), "new": written.new, "updated": written.updated},
    )
    return FetchResult(brand.id, start, end, tables.counts(), written)


def score_sentiment(messages: Any, settings: Settings) -> Any:
    """Label inbound messages that have no sentiment yet (stored with the message)."""
    try:
        from pulse.sentiment import get_analyzer
    except ImportError:  # the analyzer package is optional in a minimal install
        return messages
    todo = messages["sentiment"].isna() & ~messages["from_brand"].fillna(False) & messages["text"].notna()
    if not todo.any():
        return messages
    analyzer = get_analyzer(settings.sentiment_backend)
    results = analyzer.analyze(messages.loc[todo, "text"].astype(str).tolist())
    messages = messages.copy()
    messages.loc[todo, "sentiment"] = [r.label for r in results]
    messages.loc[todo, "sentiment_score"] = [float(r.score) for r in results]
    return messages


def default_fetch_window(now: datetime, days: int = 3) -> tuple[datetime, datetime]:
    """The daily job's window: the last ``days`` days up to now (re-fetches recent metrics)."""
    end = now.astimezone(UTC)
    return end - timedelta(days=days), end


# ---------------------------------------------------------------- report


@dataclass
class Report:
    brand: Brand
    month: Month
    kpis: KpiSet
    view: ReportView
    html: str
    rendered: RenderedReport
    keys: dict[str, str]


def build_report(
    services: Services,
    brand: Brand,
    month: Month,
    renderer: ChromiumRenderer,
    *,
    now: datetime | None = None,
    tables: Tables | None = None,
) -> Report:
    """Compute and render one brand-month entirely in memory (nothing written yet)."""
    now = now or datetime.now(UTC)
    period = month.period(brand.tz)
    tables = tables if tables is not None else services.lake.read_for_report(brand.id, month)
    kpi_set = compute_kpi_set(tables, period, platforms=brand.platforms)
    links = report_links(services.settings, brand.id, month)
    view = build_report_view(brand, kpi_set, tables, now, links)
    html = render_html(view)
    rendered = renderer.render(html, footer=f"{brand.name} · {view.month_label}")
    keys = {name: report_key(brand.id, month, name) for name in REPORT_FILES}
    return Report(brand, month, kpi_set, view, html, rendered, keys)


def archive_report(services: Services, report: Report, now: datetime | None = None) -> dict[str, str]:
    """Write the report's files; ``kpis.json`` goes last and marks the report complete."""
    now = now or datetime.now(UTC)
    kpis = {
        "brand": report.brand.id,
        "generated_at": now.astimezone(UTC).isoformat(),
        **report.kpis.to_dict(),
    }
    payloads = {
        "report.html": report.html.encode("utf-8"),
        "report.pdf": report.rendered.pdf,
        "kpis.json": json.dumps(kpis, ensure_ascii=False, indent=2).encode("utf-8"),
    }
    for name in REPORT_FILES:
        services.store.put(report.keys[name], payloads[name], CONTENT_TYPES[name])
    return {name: services.store.link(key) for name, key in report.keys.items()}


def report_links(settings: Settings, brand_id: str, month: Month) -> dict[str, str]:
    """Stable links through the HTTP API (which answers with a fresh download URL)."""
    if not settings.public_base_url:
        return {}
    base = settings.public_base_url.rstrip("/")
    return {name: f"{base}/reports/{brand_id}/{month}/{name}" for name in REPORT_FILES}


def mail_report(services: Services, report: Report, now: datetime | None = None) -> str | None:
    """Send the report to the brand's recipients; None when the brand has none."""
    recipients = [str(r) for r in report.brand.recipients]
    if not recipients:
        return None
    message = build_report_email(
        report.view,
        sender=services.settings.mail_from,
        recipients=recipients,
        pdf=report.rendered.pdf,
        charts_png=report.rendered.charts_png,
        link=report.view.links.get("report.html"),
        now=now,
    )
    return services.sender.send(message)


@dataclass
class ReportOutcome:
    brand: str
    month: str
    ok: bool
    files: dict[str, str] = field(default_factory=dict)
    mail: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "month": self.month,
            "ok": self.ok,
            "files": self.files,
            "mail": self.mail,
            "error": self.error,
        }


def produce_report(
    services: Services,
    brand: Brand,
    month: Month,
    renderer: ChromiumRenderer,
    *,
    send: bool,
    now: datetime | None = None,
) -> ReportOutcome:
    """Build, archive and (optionally) mail one report. Mail goes out only after the archive is complete."""
    report = build_report(services, brand, month, renderer, now=now)
    files = archive_report(services, report, now)
    mail = mail_report(services, report, now) if send else None
    return ReportOutcome(brand.id, str(month), True, files, mail)


def run_reports(
    services: Services,
    brands: Iterable[Brand],
    month: Month | None = None,
    *,
    send: bool = True,
    now: datetime | None = None,
    on_progress: Callable[[ReportOutcome], None] | None = None,
) -> list[ReportOutcome]:
    """Reports for several brands with one browser; a failing brand does not stop the others."""
    now = now or datetime.now(UTC)
    outcomes = []
    with ChromiumRenderer(services.settings.browser) as renderer:
        for brand in brands:
            target = month or previous_month(now, brand.tz)
            try:
                outcome = produce_report(services, brand, target, renderer, send=send, now=now)
            except Exception as exc:  # one brand's failure must not stop the others
                logger.exception("report failed", extra={"brand": brand.id, "month": str(target)})
                outcome = ReportOutcome(brand.id, str(target), False, error=str(exc))
            outcomes.append(outcome)
            if on_progress:
                on_progress(outcome)
    return outcomes


# ---------------------------------------------------------------- archive queries


def list_reports(services: Services, brand_id: str) -> list[str]:
    """Months with a complete report (its ``kpis.json`` exists), newest first."""
    prefix = f"reports/{validate_brand_id(brand_id)}/"
    months = {obj.key.split("/")[2] for obj in services.store.list(prefix) if obj.key.endswith("/kpis.json")}
    return sorted(months, reverse=True)


def report_files(services: Services, brand_id: str, month: Month) -> dict[str, str]:
    """Download links of a complete report; NotFoundError if there is none."""
    keys = {name: report_key(brand_id, month, name) for name in REPORT_FILES}
    if not services.store.exists(keys["kpis.json"]):
        raise NotFoundError(f"no report for {brand_id} {month} yet: create it with POST /reports")
    return {name: services.store.link(key) for name, key in keys.items()}
