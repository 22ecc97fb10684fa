"""The product's jobs, wired from small parts: fetch, report, deliver.

Handlers and the CLI build a :class:`Services` once and call these functions;
no business rule lives in them.

Archive layout (local directory or S3)::

    lake/<table>/brand=<brand>/month=<YYYY-MM>/data.parquet   canonical tables
    raw/<brand>/<platform>/<account>/<date>/*.json.gz           every API response, as received
    quarantine/<brand>/<platform>/...                           responses that could not be read
    state/<brand>/<platform>/<account>.json                     connector checkpoints
    reports/<brand>/<YYYY-MM>/report.html | report.pdf | kpis.json
    reports/<brand>/index.json                                  the brand's archived months
    staging/...                                                 reports being written (transient)
    jobs/<id>.json                                              status of queued generations
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from pulse.config import Brand, BrandRegistry, load_brands, validate_brand_id
from pulse.delivery import MailSender, build_report_email, make_sender
from pulse.delivery.idempotency import make_persistence, run_once
from pulse.exceptions import NoDataError, NotFoundError, PulseError
from pulse.jobs import JobQueue, ReportJob, SqsJobQueue
from pulse.kpis import KpiSet, compute_kpi_set
from pulse.lake import Lake, WriteSummary
from pulse.period import Month, previous_month
from pulse.render.browser import ChromiumRenderer, RenderedReport
from pulse.render.html import render_html
from pulse.render.viewmodel import ReportView, build_report_view
from pulse.sentiment import get_analyzer
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
    persistence: BasePersistenceLayer | None = None
    queue: JobQueue | None = None
    lake: Lake = field(init=False)

    def __post_init__(self) -> None:
        self.lake = Lake(self.store)
        if self.persistence is None:
            self.persistence = make_persistence(self.settings)

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        s3_client: Any = None,
        ses_client: Any = None,
        dynamodb_client: Any = None,
        sqs_client: Any = None,
        source: Source | None = None,
    ) -> Services:
        settings = settings or get_settings()
        store = open_store(settings.archive, s3_client=s3_client)
        return cls(
            settings=settings,
            brands=load_brands(settings.config),
            store=store,
            sender=make_sender(settings, ses_client=ses_client),
            source=source or make_source(settings, store),
            persistence=make_persistence(settings, dynamodb_client=dynamodb_client),
            queue=SqsJobQueue(settings.report_queue_url, sqs_client) if settings.report_queue_url else None,
        )


_shared: dict[str, Services] = {}


def shared_services() -> Services:
    """The process's :class:`Services`, built on first use (one Lambda cold start) and reused."""
    if "services" not in _shared:
        _shared["services"] = Services.from_settings()
    return _shared["services"]


def reset_shared_services() -> None:
    """Forget the process's services (tests: each one is a new cold start)."""
    _shared.clear()


# ---------------------------------------------------------------- fetch


@dataclass
class FetchResult:
    brand: str
    start: datetime
    end: datetime
    fetched: dict[str, int]
    written: WriteSummary
    source_report: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)


def fetch_brand(services: Services, brand: Brand, start: datetime, end: datetime) -> FetchResult:
    """Fetch ``[start, end)`` from the source, score new messages, merge into the lake.

    What the source could not read is kept raw (quarantine) and listed in
    ``problems``; the rows it could read are stored all the same, and only then
    does the source advance its checkpoints.
    """
    tables = services.source.fetch(brand, start, end)
    tables.messages = score_sentiment(tables.messages, services.settings)
    written = services.lake.write(brand.id, brand.tz, tables)
    services.source.commit(brand)
    result = FetchResult(
        brand.id, start, end, tables.counts(), written, services.source.report(), services.source.problems()
    )
    logger.info(
        "fetched",
        extra={"brand": brand.id, "rows": result.fetched, "new": written.new, "problems": result.problems},
    )
    return result


def make_source(settings: Settings, store: ObjectStore) -> Source:
    """The configured source of engagement data."""
    if settings.data_source == "platforms":
        from pulse.connectors import PlatformSource

        return PlatformSource(
            store, refetch_days=settings.fetch_refetch_days, budget_seconds=settings.fetch_budget_seconds
        )
    return DemoSource()


def score_sentiment(messages: Any, settings: Settings) -> Any:
    """Label inbound messages that have no sentiment yet (stored with the message)."""
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
    k = kpi_set.kpis
    if not k.posts and not k.inbound_messages and k.followers_end is None:
        raise NoDataError(
            f"no posts, messages or follower counts for {brand.id} in {month}: "
            f"fetch or import its data first (pulse fetch --brand {brand.id} --since {month.first_day})"
        )
    links = report_links(services.settings, brand.id, month)
    view = build_report_view(brand, kpi_set, tables, now, links)
    html = render_html(view)
    rendered = renderer.render(html, footer=f"{brand.name} · {view.month_label}")
    keys: dict[str, str] = {name: report_key(brand.id, month, name) for name in REPORT_FILES}
    return Report(brand, month, kpi_set, view, html, rendered, keys)


def archive_report(services: Services, report: Report, now: datetime | None = None) -> dict[str, str]:
    """Write the report's files so that readers see the old report or the new one, never a mix.

    The three files are first written under a staging prefix; only when all of them
    are stored are they copied over the archived ones, ``kpis.json`` last (its
    presence marks a report complete). A failed upload leaves the previous report
    untouched. The brand's index is updated afterwards.
    """
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
    staging = f"staging/{report.brand.id}/{report.month}/{uuid.uuid4().hex}"
    staged = {name: f"{staging}/{name}" for name in REPORT_FILES}
    try:
        for name in REPORT_FILES:
            services.store.put(staged[name], payloads[name], CONTENT_TYPES[name])
        for name in REPORT_FILES:
            services.store.copy(staged[name], report.keys[name])
    finally:
        for key in staged.values():
            with contextlib.suppress(Exception):
                services.store.delete(key)
    update_index(services, report.brand.id, str(report.month), now, {n: len(b) for n, b in payloads.items()})
    return {name: services.store.link(key) for name, key in report.keys.items()}


def index_key(brand_id: str) -> str:
    return f"reports/{validate_brand_id(brand_id)}/index.json"


def update_index(
    services: Services, brand_id: str, month: str, generated_at: datetime, sizes: dict[str, int]
) -> None:
    """``reports/<brand>/index.json``: every archived month with its generation time and sizes."""
    try:
        index = json.loads(services.store.get(index_key(brand_id)))
    except NotFoundError:
        index = {"brand": brand_id, "reports": {}}
    index["reports"][month] = {"generated_at": generated_at.astimezone(UTC).isoformat(), "bytes": sizes}
    index["reports"] = dict(sorted(index["reports"].items(), reverse=True))
    data = json.dumps(index, indent=2).encode("utf-8")
    services.store.put(index_key(brand_id), data, "application/json")


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
        max_bytes=services.settings.mail_max_bytes,
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
    """Reports for several brands with one browser; a failing brand does not stop the others.

    With ``send`` each brand-month is mailed at most once (see :func:`deliver_scheduled`).
    """
    now = now or datetime.now(UTC)
    outcomes = []
    with ChromiumRenderer(services.settings.browser) as renderer:
        for brand in brands:
            target = month or previous_month(now, brand.tz)
            try:
                if send:
                    outcome = deliver_scheduled(services, brand, target, renderer, now=now)
                else:
                    outcome = produce_report(services, brand, target, renderer, send=False, now=now)
            except Exception as exc:  # one brand's failure must not stop the others
                logger.exception("report failed", extra={"brand": brand.id, "month": str(target)})
                outcome = ReportOutcome(brand.id, str(target), False, error=str(exc))
            outcomes.append(outcome)
            if on_progress:
                on_progress(outcome)
    return outcomes


# ---------------------------------------------------------------- once-only delivery

#: A scheduled report is mailed at most once per brand-month; the record outlives the month.
DELIVERY_MEMORY_SECONDS = 45 * 24 * 3600
#: Concurrent on-demand requests for the same report share one generation.
GENERATION_LOCK_SECONDS = 120


class ReportInProgressError(PulseError):
    """The same report is being generated by another request or run."""


def deliver_scheduled(
    services: Services,
    brand: Brand,
    month: Month,
    renderer: ChromiumRenderer,
    *,
    now: datetime | None = None,
    lambda_context: Any = None,
) -> ReportOutcome:
    """The monthly job for one brand: build, archive and mail, at most once per brand-month.

    A duplicated or retried run returns the first run's outcome without
    rendering or mailing again; a concurrent one raises :class:`ReportInProgressError`.
    A failed run leaves no record, so a retry does the work.
    """
    return _produce_once(
        services, brand, month, renderer, {"job": "monthly"}, send=True, now=now,
        expires_after_seconds=DELIVERY_MEMORY_SECONDS, lambda_context=lambda_context,
        busy="is already being sent",
    )  # fmt: skip


def generate_once(
    services: Services,
    brand: Brand,
    month: Month,
    renderer: ChromiumRenderer,
    *,
    send: bool = False,
    now: datetime | None = None,
) -> ReportOutcome:
    """An on-demand (re)generation; two concurrent requests for one report never both write it."""
    return _produce_once(
        services, brand, month, renderer, {"job": "generate", "send": send}, send=send, now=now,
        expires_after_seconds=1, lock_seconds=GENERATION_LOCK_SECONDS,
        busy="is being generated by another request: try again in a minute",
    )  # fmt: skip


def _produce_once(
    services: Services,
    brand: Brand,
    month: Month,
    renderer: ChromiumRenderer,
    key: dict[str, Any],
    *,
    send: bool,
    now: datetime | None,
    expires_after_seconds: int,
    busy: str,
    lock_seconds: int = 900,
    lambda_context: Any = None,
) -> ReportOutcome:
    """:func:`produce_report` under a once-only record keyed by ``key`` + brand + month."""
    ran: list[bool] = []

    def work() -> dict[str, Any]:
        ran.append(True)
        return produce_report(services, brand, month, renderer, send=send, now=now).to_dict()

    assert services.persistence is not None
    try:
        result = run_once(
            services.persistence,
            {**key, "brand": brand.id, "month": str(month)},
            work,
            expires_after_seconds=expires_after_seconds,
            lock_seconds=lock_seconds,
            lambda_context=lambda_context,
        )
    except IdempotencyAlreadyInProgressError as exc:
        raise ReportInProgressError(f"the {month} report of {brand.id} {busy}") from exc
    return ReportOutcome(**{**result, "repeated": not ran})


def due_brands(brands: Iterable[Brand], now: datetime, catch_up_hours: int = 24) -> list[tuple[Brand, Month]]:
    """Brands whose monthly report is due at ``now``, with the month to report on.

    A brand is due from its scheduled local time (``schedule.day`` at
    ``schedule.hour``, in its own time zone) for ``catch_up_hours``, so an hourly
    dispatcher that misses a tick still sends it; once-only delivery filters repeats.
    """
    due = []
    for brand in brands:
        local = now.astimezone(brand.tz)
        scheduled = datetime(
            local.year, local.month, brand.schedule.day, brand.schedule.hour, tzinfo=brand.tz
        )
        if scheduled <= local < scheduled + timedelta(hours=catch_up_hours):
            due.append((brand, Month(local.year, local.month).previous()))
    return due


# ---------------------------------------------------------------- fan-out and jobs


def monthly_jobs(
    services: Services, now: datetime, month: Month | None, brand_ids: list[str]
) -> list[ReportJob]:
    """The monthly run's units of work: the listed brands for ``month``, or every brand now due."""
    if brand_ids or month is not None:
        brands = [services.brands.get(b) for b in brand_ids] if brand_ids else list(services.brands)
        targets = [(b, month or previous_month(now, b.tz)) for b in brands]
    else:
        targets = due_brands(services.brands, now)
    return [ReportJob(kind="monthly", brand=b.id, month=str(m), send=True) for b, m in targets]


def run_jobs(services: Services, jobs: list[ReportJob], *, lambda_context: Any = None) -> list[ReportOutcome]:
    """Run jobs here, one after the other, with one browser (when there is no queue)."""
    outcomes = []
    with ChromiumRenderer(services.settings.browser) as renderer:
        for job in jobs:
            try:
                outcomes.append(run_job(services, job, renderer, lambda_context=lambda_context))
            except Exception as exc:  # one brand's failure must not stop the others
                logger.exception("report job failed", extra={"brand": job.brand, "month": job.month})
                outcomes.append(ReportOutcome(job.brand, job.month, False, error=str(exc)))
    return outcomes


def job_key(job_id: str) -> str:
    return f"jobs/{job_id}.json"


def write_job_status(
    services: Services, job: ReportJob, status: str, outcome: dict[str, Any] | None = None
) -> None:
    if not job.job_id:
        return
    record = {
        "job": job.job_id,
        "brand": job.brand,
        "month": job.month,
        "status": status,
        "updated_at": datetime.now(UTC).isoformat(),
        "outcome": outcome,
    }
    services.store.put(job_key(job.job_id), json.dumps(record).encode("utf-8"), "application/json")


def read_job_status(services: Services, job_id: str) -> dict[str, Any]:
    if not re.fullmatch(r"[a-f0-9]{32}", job_id):
        raise NotFoundError(f"no job {job_id!r}")
    try:
        status: dict[str, Any] = json.loads(services.store.get(job_key(job_id)))
    except NotFoundError:
        raise NotFoundError(f"no job {job_id!r}") from None
    return status


def queue_report(services: Services, brand: Brand, month: Month, *, send: bool) -> ReportJob:
    """Queue an on-demand generation (on AWS, where it may take longer than API Gateway waits)."""
    assert services.queue is not None
    job = ReportJob(kind="generate", brand=brand.id, month=str(month), send=send, job_id=uuid.uuid4().hex)
    write_job_status(services, job, "queued")
    services.queue.enqueue([job])
    return job


def run_job(
    services: Services, job: ReportJob, renderer: ChromiumRenderer, *, lambda_context: Any = None
) -> ReportOutcome:
    """Run one queued job (the worker function's unit of work), recording its status."""
    brand = services.brands.get(job.brand)
    month = Month.parse(job.month)
    write_job_status(services, job, "running")
    try:
        if job.kind == "monthly":
            outcome = deliver_scheduled(services, brand, month, renderer, lambda_context=lambda_context)
        else:
            outcome = generate_once(services, brand, month, renderer, send=job.send)
    except Exception as exc:
        write_job_status(services, job, "failed", {"error": str(exc)})
        raise
    write_job_status(services, job, "done", outcome.to_dict())
    return outcome


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
