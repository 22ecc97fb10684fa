"""Daily scheduled fetch (EventBridge Scheduler -> this function).

Event (the schedule's ``Input``)::

    {"job": "fetch", "brands": ["acme"]?, "days": 3?}

Imports the exports waiting in each brand's ``inbox/<brand>/`` folder of the
archive (see ``pulse.ingest.inbox``), then fetches the last ``days`` days
(re-fetching recent posts' metrics) of every brand, or of the listed ones, into
the lake, then watches each fetched brand for incidents (complaint storms) and
sends the alerts that are due, each once (docs/alerts.md). One brand's failure
is reported and does not stop the others; the function fails (so the scheduler
retries and the alarm fires) if any brand failed, or an alert could not be
delivered (the retry sends only what is missing). A refused inbox file is moved
to ``failed/`` and does not fail the function.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from pulse.ingest.inbox import process_inbox
from pulse.jobs import JobError, ScheduledJob, parse_job
from pulse.pipeline import fetch_brand, shared_services
from pulse.watch.job import watch_brands

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job: ScheduledJob = parse_job(event, expected="fetch")
    svc = shared_services()
    brands = [svc.brands.get(b) for b in job.brands] if job.brands else list(svc.brands)
    # Stop fetching a minute before Lambda's limit; the next run resumes from the checkpoints.
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - 60
    end = datetime.now(UTC)
    start = end - timedelta(days=job.days)
    results, failures, crashed = [], [], set()
    for brand in brands:
        try:
            # Exports dropped in inbox/<brand>/ first; a refused file is moved to failed/, not retried.
            inbox = process_inbox(svc.lake, brand)
            result = fetch_brand(svc, brand, start, end, deadline=deadline)
            results.append(
                {
                    "brand": brand.id,
                    "fetched": result.fetched,
                    "new": result.written.new,
                    "source": result.source_report,
                    "inbox": inbox.to_dict(),
                }
            )
            if result.problems:  # the readable rows are stored; the rest is quarantined, raw
                failures.append({"brand": brand.id, "error": "; ".join(result.problems)})
        except Exception as exc:  # reported below; the other brands still run
            logger.exception("fetch failed", extra={"brand": brand.id})
            failures.append({"brand": brand.id, "error": str(exc)})
            crashed.add(brand.id)
    # Between reports: each fetched brand's pulse and its incident alerts, each sent once.
    fetched = [b for b in brands if b.id not in crashed]
    watched = watch_brands(svc, fetched, end, lambda_context=context)
    failures += [{"brand": w.brand, "error": "; ".join(w.errors)} for w in watched if not w.ok]
    summary = {
        "job": "fetch",
        "brands": results,
        "watch": [w.to_dict() for w in watched],
        "failures": failures,
    }
    if failures:
        raise JobError(f"fetch failed for {len(failures)} brand(s): {failures}")
    return summary
