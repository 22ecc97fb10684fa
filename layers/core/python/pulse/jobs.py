"""Scheduled job events: validated before any work starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pulse.config import BrandId
from pulse.exceptions import JobError, PulseError
from pulse.period import Month

__all__ = [
    "JobError",
    "JobQueue",
    "ReportJob",
    "ScheduledJob",
    "SqsJobQueue",
    "parse_job",
    "parse_report_job",
]


class _JobEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    job: Literal["fetch", "monthly"]
    brands: list[BrandId] = Field(default_factory=list)
    month: str | None = None
    days: int = Field(default=3, ge=1, le=90)
    send: bool = True


@dataclass(frozen=True)
class ScheduledJob:
    job: str
    brands: list[str]
    month: Month | None
    days: int
    send: bool


def parse_job(event: Any, expected: Literal["fetch", "monthly"]) -> ScheduledJob:
    """Validate a scheduler event; raises :class:`JobError` saying which field is wrong."""
    if not isinstance(event, dict):
        raise JobError(f"expected a JSON object event, got {type(event).__name__}")
    try:
        parsed = _JobEvent.model_validate(event)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'event'}: {e['msg']}" for e in exc.errors())
        raise JobError(f"malformed {expected} event: {problems}") from exc
    if parsed.job != expected:
        raise JobError(f"this function runs the {expected!r} job, the event asks for {parsed.job!r}")
    try:
        month = Month.parse(parsed.month) if parsed.month else None
    except PulseError as exc:
        raise JobError(f"malformed {expected} event: month: {exc}") from exc
    return ScheduledJob(parsed.job, parsed.brands, month, parsed.days, parsed.send)


# ---------------------------------------------------------------- report jobs (fan-out)


class ReportJob(BaseModel):
    """One unit of work: one brand's report for one month (an SQS message body)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["monthly", "generate"]
    brand: BrandId
    month: str
    send: bool = False
    #: With ``send``: mail again even if this brand-month was already mailed.
    force: bool = False
    job_id: str | None = Field(default=None, pattern=r"^[a-f0-9]{32}$")

    @field_validator("month")
    @classmethod
    def _month(cls, value: str) -> str:
        try:
            return str(Month.parse(value))
        except PulseError as exc:
            raise ValueError(str(exc)) from exc


def parse_report_job(body: str) -> ReportJob:
    """Validate a queued job's body; raises :class:`JobError` naming the bad field."""
    try:
        return ReportJob.model_validate_json(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise JobError(f"malformed report job: {problems}") from exc


class JobQueue:
    """Where report jobs go when they run elsewhere (SQS on AWS)."""

    def enqueue(self, jobs: list[ReportJob]) -> None:
        raise NotImplementedError


class SqsJobQueue(JobQueue):
    """Sends jobs to an SQS queue in batches of 10; the client is created lazily unless given."""

    def __init__(self, url: str, client: Any = None) -> None:
        self.url = url
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs")
        return self._client

    def enqueue(self, jobs: list[ReportJob]) -> None:
        for start in range(0, len(jobs), 10):
            batch = jobs[start : start + 10]
            response = self.client.send_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "MessageBody": job.model_dump_json()} for i, job in enumerate(batch)],
            )
            if response.get("Failed"):
                raise JobError(
                    f"could not queue {len(response['Failed'])} report job(s): {response['Failed']}"
                )
