"""One brand-month's report: compute, render, publish, mail."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from pulse.config import Brand
from pulse.delivery import build_report_email
from pulse.exceptions import NoDataError
from pulse.ingest.coverage import month_coverage
from pulse.kpis import KpiSet, ReportData, build_report_data
from pulse.period import Month
from pulse.pipeline import archive
from pulse.pipeline.services import Services
from pulse.render.coverage import mark_unavailable, state_reply_reach
from pulse.render.formatters import long_date
from pulse.render.html import MailLinkSet, render_html
from pulse.render.renderer import RenderedReport, Renderer
from pulse.render.viewmodel import ReportView, build_report_view
from pulse.share import mail_links, share_base_url
from pulse.tables import Tables
from pulse.watch.month import MonthWatch, month_watch


@dataclass
class Report:
    """A rendered report, in memory: nothing is written yet."""

    brand: Brand
    month: Month
    data: ReportData
    view: ReportView
    html: str
    rendered: RenderedReport
    #: The month's incidents and complaint themes (in kpis.json under "watch").
    watch: MonthWatch | None = None
    #: Which sources fed the month and the KPIs they cannot give (``pulse.ingest.coverage``).
    coverage: dict[str, Any] = field(default_factory=dict)

    @property
    def kpis(self) -> KpiSet:
        return self.data.kpi_set

    def payloads(self, now: datetime) -> dict[str, bytes]:
        """The archived files' bytes."""
        kpis = {
            "brand": self.brand.id,
            "generated_at": now.astimezone(UTC).isoformat(),
            **self.kpis.to_dict(),
            "coverage": self.coverage,
        }
        if self.watch is not None:
            kpis["watch"] = self.watch.to_dict()
        return {
            "report.html": self.html.encode("utf-8"),
            "report.pdf": self.rendered.pdf,
            "kpis.json": json.dumps(kpis, ensure_ascii=False, indent=2).encode("utf-8"),
        }


def build_report(
    services: Services,
    brand: Brand,
    month: Month,
    renderer: Renderer,
    *,
    now: datetime | None = None,
    tables: Tables | None = None,
) -> Report:
    """Compute and render one brand-month entirely in memory (nothing written yet)."""
    now = now or datetime.now(UTC)
    data, watch = month_data(services, brand, month, tables)
    # The month's tables are gone: give their memory back before the browser renders (a warm
    # Lambda keeps its process; Arrow's pool would otherwise hold the largest month it has seen).
    pa.default_memory_pool().release_unused()
    k = data.kpi_set.kpis
    if not k.posts and not k.inbound_messages and k.followers_end is None:
        raise NoDataError(
            f"no posts, messages or follower counts for {brand.id} in {month}: "
            f"fetch or import its data first (pulse fetch --brand {brand.id} --since {month.first_day})"
        )
    base = services.settings.public_base_url
    links = archive.report_links(base, brand.id, month) if base else {}
    coverage = month_coverage(services.store, brand.id, month, data.kpi_set)
    view = build_report_view(brand, data, now, links, watch)
    view = mark_unavailable(view, coverage["not_available"], brand.language)
    view = state_reply_reach(view, coverage["reply_reach"], brand.language)
    html = render_html(view)
    rendered = renderer.render(html, footer=f"{view.brand_name} · {view.month_label}")
    return Report(brand, month, data, view, html, rendered, watch, coverage)


def month_data(
    services: Services, brand: Brand, month: Month, tables: Tables | None = None
) -> tuple[ReportData, MonthWatch]:
    """The brand-month's numbers and its incidents and themes, from ``tables`` or the lake.

    The tables read here are dropped on return: only what the report shows is kept.
    """
    if tables is None:
        tables = services.lake.read_for_report(brand.id, month)
    period = month.period(brand.tz)
    data = build_report_data(tables, period, platforms=brand.platforms, opening_hours=brand.opening_hours)
    return data, month_watch(brand, tables, period)


def archive_report(services: Services, report: Report, now: datetime | None = None) -> dict[str, str]:
    """Publish the report's files as a whole (see :func:`pulse.pipeline.archive.publish`); their links."""
    now = now or datetime.now(UTC)
    manifest = archive.publish(services.store, report.brand.id, report.month, report.payloads(now), now)
    archive.update_index(services.store, report.brand.id, manifest)
    return {name: services.store.link(key) for name, key in manifest.keys.items()}


def mail_report(services: Services, report: Report, now: datetime | None = None) -> str | None:
    """Send the report to the brand's recipients; None when the brand has none."""
    recipients = [str(r) for r in report.brand.recipients]
    if not recipients:
        return None
    now = now or datetime.now(UTC)
    # Share links open for the recipients (no credentials); the API's links need IAM on AWS.
    shared = mail_links(
        services.share_keys, share_base_url(services.settings), report.brand, report.month, now=now
    )
    if shared:
        link: str | None = shared.report
        links = MailLinkSet(
            pdf=shared.pdf, archive=shared.archive, until=long_date(shared.expires_at, report.view.lang)
        )
    else:
        link = report.view.links.get("report.html")
        links = MailLinkSet(pdf=report.view.links.get("report.pdf"))
    message = build_report_email(
        report.view,
        sender=services.settings.mail_from,
        recipients=recipients,
        pdf=report.rendered.pdf,
        charts_png=report.rendered.charts_png,
        link=link,
        now=now,
        max_bytes=services.settings.mail_max_bytes,
        links=links,
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
    #: True when this is the outcome of an earlier run (already mailed): nothing was done now.
    repeated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "month": self.month,
            "ok": self.ok,
            "files": self.files,
            "mail": self.mail,
            "error": self.error,
            "repeated": self.repeated,
        }


def produce_report(
    services: Services,
    brand: Brand,
    month: Month,
    renderer: Renderer,
    *,
    send: bool,
    now: datetime | None = None,
) -> ReportOutcome:
    """Build, archive and (optionally) mail one report. Mail goes out only after the archive is complete."""
    report = build_report(services, brand, month, renderer, now=now)
    files = archive_report(services, report, now)
    mail = mail_report(services, report, now) if send else None
    return ReportOutcome(brand.id, str(month), True, files, mail)
