"""Scheduled job events: validated before any work starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pulse.config import validate_brand_id
from pulse.exceptions import InvalidBrandIdError, PulseError
from pulse.period import Month


class JobError(PulseError):
    """A scheduled job's event is malformed, or the job failed for some brands."""


class _JobEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    job: Literal["fetch", "monthly"]
    brands: list[str] = Field(default_factory=list)
    month: str | None = None
    days: int = Field(default=3, ge=1, le=90)
    send: bool = True

    @field_validator("brands")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        for brand in value:
            try:
                validate_brand_id(brand)
            except InvalidBrandIdError as exc:
                raise ValueError(str(exc)) from exc
        return value


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
