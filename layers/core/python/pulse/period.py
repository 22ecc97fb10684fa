"""Calendar months in a brand's time zone.

A month runs from the 1st at 00:00 local time to the next 1st at 00:00 local
time; converting both ends to UTC makes the period DST-correct.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from pulse.exceptions import InvalidPeriodError

_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
#: Months a report can be about (their neighbours, and pandas' timestamps, must exist too).
FIRST_YEAR, LAST_YEAR = 1971, 2199


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, e.g. ``Month.parse("2026-10")``."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
        if not match:
            raise InvalidPeriodError(f"invalid month {text!r}: expected YYYY-MM, e.g. 2026-10")
        year = int(match.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise InvalidPeriodError(f"invalid month {text!r}: the year must be {FIRST_YEAR}-{LAST_YEAR}")
        return cls(year, int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def shift(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    def previous(self) -> Month:
        return self.shift(-1)

    def next(self) -> Month:
        return self.shift(1)

    def period(self, tz: str | ZoneInfo) -> Period:
        return Period.for_month(self, tz)


def zone(tz: str | ZoneInfo) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidPeriodError(f"unknown IANA time zone {tz!r} (e.g. Europe/Paris)") from exc


@dataclass(frozen=True)
class Period:
    """A half-open interval ``[start, end)`` of UTC instants, labelled by a local month."""

    month: Month
    tz: ZoneInfo
    start: pd.Timestamp
    end: pd.Timestamp

    @classmethod
    def for_month(cls, month: Month, tz: str | ZoneInfo) -> Period:
        z = zone(tz)
        start = datetime(month.year, month.month, 1, tzinfo=z).astimezone(UTC)
        nxt = month.next()
        end = datetime(nxt.year, nxt.month, 1, tzinfo=z).astimezone(UTC)
        return cls(month, z, pd.Timestamp(start), pd.Timestamp(end))

    @property
    def first_day(self) -> date:
        return self.month.first_day

    @property
    def last_day(self) -> date:
        return (pd.Timestamp(self.month.next().first_day) - pd.Timedelta(days=1)).date()

    def previous(self) -> Period:
        return Period.for_month(self.month.previous(), self.tz)

    def days(self) -> list[date]:
        return [d.date() for d in pd.date_range(self.first_day, self.last_day, freq="D")]


def previous_month(now: datetime, tz: str | ZoneInfo) -> Month:
    """The last complete month before ``now`` in time zone ``tz``."""
    local = now.astimezone(zone(tz))
    return Month(local.year, local.month).previous()
