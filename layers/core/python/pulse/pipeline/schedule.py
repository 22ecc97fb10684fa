"""Which reports are due, as the units of work every batch runs (:class:`pulse.jobs.ReportJob`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pulse.config import Brand
from pulse.jobs import ReportJob
from pulse.period import Month, previous_month
from pulse.pipeline.services import Services


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


def report_jobs(
    brands: Iterable[Brand], now: datetime, month: Month | None, *, send: bool
) -> list[ReportJob]:
    """One job per brand for ``month`` (default: each brand's last complete month in its own zone).

    With ``send`` the job is the monthly one (mailed at most once per brand-month);
    without, an on-demand generation that mails nothing.
    """
    return [
        ReportJob(
            kind="monthly" if send else "generate",
            brand=b.id,
            month=str(month or previous_month(now, b.tz)),
            send=send,
        )
        for b in brands
    ]


def monthly_jobs(
    services: Services, now: datetime, month: Month | None, brand_ids: list[str]
) -> list[ReportJob]:
    """The monthly run's units of work: the listed brands for ``month``, or every brand now due."""
    if brand_ids or month is not None:
        brands = [services.brands.get(b) for b in brand_ids] if brand_ids else list(services.brands)
        return report_jobs(brands, now, month, send=True)
    return [
        ReportJob(kind="monthly", brand=b.id, month=str(m), send=True)
        for b, m in due_brands(services.brands, now)
    ]
