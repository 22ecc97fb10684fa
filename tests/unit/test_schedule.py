from __future__ import annotations

from datetime import datetime

from pulse.config import parse_brands
from pulse.pipeline import due_brands

BRANDS = parse_brands(
    """
brands:
  - {id: paris, name: P, timezone: Europe/Paris, accounts: [{platform: x, id: p}]}
  - {id: montreal, name: M, timezone: America/Toronto, accounts: [{platform: x, id: m}]}
  - {id: tokyo, name: T, timezone: Asia/Tokyo, accounts: [{platform: x, id: t}],
     schedule: {day: 5, hour: 7}}
"""
)


def due_at(text: str) -> dict[str, str]:
    return {b.id: str(m) for b, m in due_brands(BRANDS, datetime.fromisoformat(text))}


def test_default_is_the_2nd_at_8_local() -> None:
    assert due_at("2026-11-02T06:59:00+00:00") == {}
    assert due_at("2026-11-02T07:00:00+00:00") == {"paris": "2026-10"}  # 08:00 in Paris (CET)
    assert due_at("2026-11-02T13:00:00+00:00") == {"paris": "2026-10", "montreal": "2026-10"}  # 08:00 EST


def test_catch_up_window_then_nothing() -> None:
    assert due_at("2026-11-03T06:59:00+00:00") == {"paris": "2026-10", "montreal": "2026-10"}
    assert due_at("2026-11-03T07:00:00+00:00") == {"montreal": "2026-10"}
    assert due_at("2026-11-20T12:00:00+00:00") == {}


def test_per_brand_schedule_and_summer_time() -> None:
    assert due_at("2026-11-04T22:00:00+00:00") == {"tokyo": "2026-10"}  # 5th 07:00 in Tokyo
    assert due_at("2026-07-02T06:00:00+00:00") == {"paris": "2026-06"}  # 08:00 CEST is 06:00 UTC


def test_january_reports_december() -> None:
    assert due_at("2027-01-02T08:00:00+00:00")["paris"] == "2026-12"
