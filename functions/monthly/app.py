"""Monthly report dispatcher (EventBridge Scheduler, hourly -> this function).

Event (the schedule's ``Input``)::

    {"job": "monthly", "month": "YYYY-MM"?, "brands": ["acme"]?}

Without ``month``/``brands`` it picks the brands whose report is due now in
their own time zone (by default the 2nd at 08:00 local). With a report queue
(``PULSE_REPORT_QUEUE_URL``) it fans out one SQS message per brand to the
worker function; without one it runs them here. Each brand-month is mailed at
most once, however often this runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pulse.jobs import JobError, parse_job
from pulse.pipeline import monthly_jobs, run_jobs, shared_services

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job = parse_job(event, expected="monthly")
    svc = shared_services()
    jobs = monthly_jobs(svc, datetime.now(UTC), job.month, job.brands)
    if svc.queue is not None:
        svc.queue.enqueue(jobs)
        logger.info("queued report jobs", extra={"jobs": len(jobs)})
        return {"job": "monthly", "queued": [j.model_dump() for j in jobs]}
    outcomes = run_jobs(svc, jobs, renderer=svc.renderer(), lambda_context=context)
    summary = {"job": "monthly", "reports": [o.to_dict() for o in outcomes]}
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise JobError(f"{len(failed)} report(s) failed: {[(o.brand, o.error) for o in failed]}")
    return summary
