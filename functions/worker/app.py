"""Report worker (SQS -> this function): one brand's report per message.

Each message is a :class:`pulse.jobs.ReportJob`, run by the same batch path as
``pulse report`` (:func:`pulse.pipeline.run_job`) with the warm services' renderer. Failures are reported per
message (partial batch response), so SQS retries only those; after the
queue's ``maxReceiveCount`` a message lands in the dead-letter queue, whose
depth raises an alarm. Monthly jobs are mailed at most once per brand-month.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pulse.jobs import parse_report_job
from pulse.pipeline import run_job, shared_services

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> dict[str, Any]:
    job = parse_report_job(record.body)
    svc = shared_services()
    outcome = run_job(svc, job, svc.renderer(), lambda_context=lambda_context)
    logger.info("report job done", extra={"brand": job.brand, "month": job.month, "kind": job.kind})
    return outcome.to_dict()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=record_handler, processor=processor, context=context
    )
