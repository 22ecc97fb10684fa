from __future__ import annotations

import pytest

from pulse.jobs import JobError, parse_job
from tests.conftest import load_event


def test_sample_events_parse() -> None:
    fetch = parse_job(load_event("fetch.json"), expected="fetch")
    assert fetch.days == 3 and fetch.brands == []
    monthly = parse_job(load_event("monthly.json"), expected="monthly")
    assert str(monthly.month) == "2026-10" and monthly.send


@pytest.mark.parametrize(
    "event, fragment",
    [
        ([], "JSON object"),
        ({}, "job"),
        ({"job": "fetch"}, "asks for 'fetch'"),
        ({"job": "monthly", "month": "October"}, "month"),
        ({"job": "monthly", "brands": ["../x"]}, "invalid brand id '../x'"),
        ({"job": "monthly", "days": 0}, "days"),
    ],
)
def test_malformed_events_say_what_is_wrong(event: object, fragment: str) -> None:
    with pytest.raises(JobError) as err:
        parse_job(event, expected="monthly")
    assert fragment in str(err.value)
