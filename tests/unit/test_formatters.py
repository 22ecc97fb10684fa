from __future__ import annotations

from datetime import date

import pytest

from pulse.render import formatters as fmt

NNBSP = "\u202f"
NBSP = "\u00a0"


@pytest.mark.parametrize(
    "func, args, fr, en",
    [
        (fmt.number, (1234,), f"1{NNBSP}234", "1,234"),
        (fmt.number, (None,), "–", "–"),
        (fmt.percent, (0.125,), f"12,5{NBSP}%", "12.5%"),
        (fmt.percent, (None,), "–", "–"),
        (fmt.signed_percent, (-0.034,), f"−3,4{NBSP}%", "−3.4%"),
        (fmt.compact, (1_250_000,), f"1,2{NBSP}M", "1.2M"),
        (fmt.compact, (45_300,), f"45,3{NBSP}k", "45.3K"),
        (fmt.compact, (999,), "999", "999"),
        (fmt.compact, (None,), "–", "–"),
        (fmt.signed_percent, (0.18,), f"+18,0{NBSP}%", "+18.0%"),
        (fmt.duration, (3 * 1440 + 4 * 60,), f"3{NBSP}j{NBSP}4{NBSP}h", f"3d{NBSP}4h"),
        (fmt.long_date, (date(2026, 11, 2),), "2 novembre 2026", "November 2, 2026"),
        (fmt.duration, (45,), f"45{NBSP}min", f"45{NBSP}min"),
        (fmt.duration, (125,), f"2{NBSP}h{NBSP}05", f"2h{NBSP}05m"),
        (fmt.month_name, (date(2026, 10, 1),), "octobre 2026", "October 2026"),
    ],
)
def test_locale_formatting(func, args, fr: str, en: str) -> None:  # type: ignore[no-untyped-def]
    assert func(*args, "fr") == fr
    assert func(*args, "en") == en


def test_points_for_rate_changes() -> None:
    assert fmt.points(0.012, "fr") == f"+1,2{NBSP}pts"
    assert fmt.points(-0.012, "en") == f"−1.2{NBSP}pts"
