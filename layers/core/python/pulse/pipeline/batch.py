"""The one batch path: the CLI, the monthly dispatcher and the worker all run :class:`ReportJob`s here."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from pulse.config import Brand
from pulse.exceptions import NotFoundError
from pulse.jobs import ReportJob
from pulse.period import Month
from pulse.pipeline.memory import release_memory
from pulse.pipeline.once import deliver_scheduled, generate_once
from pulse.pipeline.report import ReportOutcome
from pulse.pipeline.schedule import report_jobs
from pulse.pipeline.services import Services
from pulse.render.renderer import Renderer

logger = logging.getLogger(__name__)


def run_job(
    services: Services,
    job: ReportJob,
    renderer: Renderer,
    *,
    now: datetime | None = None,
    lambda_context: Any = None,
) -> ReportOutcome:
    """Run one job (the worker function's unit of work), recording its status when it has an id."""
    brand = services.brands.get(job.brand)
    month = Month.parse(job.month)
    write_job_status(services, job, "running")
    try:
        if job.kind == "monthly":
            outcome = deliver_scheduled(
                services, brand, month, renderer, now=now, lambda_context=lambda_context
            )
        else:
            outcome = generate_once(services, brand, month, renderer, send=job.send, force=job.force, now=now)
    except Exception as exc:
        write_job_status(services, job, "failed", {"error": str(exc)})
        raise
    finally:  # a warm worker's next job must not start with this one's data still in memory
        renderer.forget()
        release_memory()
    write_job_status(services, job, "done", outcome.to_dict())
    return outcome


def run_jobs(
    services: Services,
    jobs: list[ReportJob],
    *,
    renderer: Renderer | None = None,
    now: datetime | None = None,
    lambda_context: Any = None,
    on_progress: Callable[[ReportOutcome], None] | None = None,
) -> list[ReportOutcome]:
    """Run jobs here, one after the other, with one renderer; a failing job does not stop the others.

    Without ``renderer`` one is opened for the batch and closed at its end.
    """
    outcomes = []
    own = renderer is None
    active = renderer if renderer is not None else services.open_renderer()
    try:
        for job in jobs:
            try:
                outcome = run_job(services, job, active, now=now, lambda_context=lambda_context)
            except Exception as exc:  # one brand's failure must not stop the others
                logger.exception("report job failed", extra={"brand": job.brand, "month": job.month})
                outcome = ReportOutcome(job.brand, job.month, False, error=str(exc))
            outcomes.append(outcome)
            if on_progress:
                on_progress(outcome)
    finally:
        if own:
            active.close()
    return outcomes


def run_reports(
    services: Services,
    brands: Iterable[Brand],
    month: Month | None = None,
    *,
    send: bool = True,
    now: datetime | None = None,
    on_progress: Callable[[ReportOutcome], None] | None = None,
) -> list[ReportOutcome]:
    """Reports for several brands (the CLI): the same jobs as the worker's, through :func:`run_jobs`.

    With ``send`` each brand-month is mailed at most once (see :func:`deliver_scheduled`).
    """
    now = now or datetime.now(UTC)
    jobs = report_jobs(brands, now, month, send=send)
    return run_jobs(services, jobs, now=now, on_progress=on_progress)


# ---------------------------------------------------------------- queued jobs and their status


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


def queue_report(
    services: Services, brand: Brand, month: Month, *, send: bool, force: bool = False
) -> ReportJob:
    """Queue an on-demand generation (on AWS, where it may take longer than API Gateway waits)."""
    assert services.queue is not None
    job = ReportJob(
        kind="generate", brand=brand.id, month=str(month), send=send, force=force, job_id=uuid.uuid4().hex
    )
    write_job_status(services, job, "queued")
    services.queue.enqueue([job])
    return job
