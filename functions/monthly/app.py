"""Monthly scheduled reports (EventBridge Scheduler -> this function).

Event (the schedule's ``Input``)::

    {"job": "monthly", "month": "YYYY-MM"?, "brands": ["acme"]?, "send": true?}

Builds, archives and mails the previous month's report (in each brand's time
zone) for every brand, with one browser for all of them. Fails if any brand
failed, after trying all of them.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pulse.jobs import JobError, parse_job
from pulse.pipeline import Services, run_reports

logger = Logger()
_services: Services | None = None


def services() -> Services:
    global _services
    if _services is None:
        _services = Services.from_settings()
    return _services


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job = parse_job(event, expected="monthly")
    svc = services()
    brands = [svc.brands.get(b) for b in job.brands] if job.brands else list(svc.brands)
    outcomes = run_reports(svc, brands, job.month, send=job.send)
    summary = {"job": "monthly", "reports": [o.to_dict() for o in outcomes]}
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise JobError(f"{len(failed)} report(s) failed: {[(o.brand, o.error) for o in failed]}")
    return summary
