from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from pulse.exceptions import InvalidPeriodError
from pulse.period import Month, previous_month


def test_month_parse_and_shift() -> None:
    m = Month.parse("2026-01")
    assert str(m.previous()) == "2025-12"
    assert str(m.shift(13)) == "2027-02"
    for bad in ("2026-13", "2026-1", "26-01", "", "2026/01"):
        with pytest.raises(InvalidPeriodError):
            Month.parse(bad)


def test_period_is_local_midnight_to_local_midnight() -> None:
    p = Month(2026, 10).period("Europe/Paris")
    # 1 October 00:00 CEST (+02:00) and 1 November 00:00 CET (+01:00): the DST change is inside.
    assert p.start == pd.Timestamp("2026-09-30T22:00:00Z")
    assert p.end == pd.Timestamp("2026-10-31T23:00:00Z")
    assert (p.end - p.start) == pd.Timedelta(days=31, hours=1)


def test_period_in_new_york_march_has_one_hour_less() -> None:
    p = Month(2026, 3).period("America/New_York")
    assert p.start == pd.Timestamp("2026-03-01T05:00:00Z")
    assert p.end == pd.Timestamp("2026-04-01T04:00:00Z")


def test_unknown_zone() -> None:
    with pytest.raises(InvalidPeriodError, match="Europe/Paris"):
        Month(2026, 3).period("Europe/Nowhere")


def test_previous_month_depends_on_the_zone() -> None:
    now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)  # still 31 October in New York
    assert str(previous_month(now, "Europe/Paris")) == "2026-10"
    assert str(previous_month(now, "America/New_York")) == "2026-09"
