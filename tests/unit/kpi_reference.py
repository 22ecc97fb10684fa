"""A slow, obviously-correct reference for every KPI of docs/kpis.md.

Plain Python over rows: datetime and zoneinfo, no pandas arithmetic. An instant
is in the month when its local date (in the brand's zone) is in that month.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from pulse.tables import Tables


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in frame.to_dict("records"):
        out.append(
            {
                k: (None if v is None or (not isinstance(v, str) and pd.isna(v)) else v)
                for k, v in record.items()
            }
        )
    return out


def _in_month(instant: datetime, year: int, month: int, tz: ZoneInfo) -> bool:
    local = instant.astimezone(tz)
    return (local.year, local.month) == (year, month)


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    rank = p / 100 * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def reference_kpis(
    tables: Tables, year: int, month: int, tz: str, platform: str | None = None
) -> dict[str, Any]:
    zone = ZoneInfo(tz)

    def keep(row: dict[str, Any]) -> bool:
        return platform is None or row["platform"] == platform

    posts = [r for r in _rows(tables.posts) if keep(r) and _in_month(r["created_at"], year, month, zone)]
    impressions = [r["impressions"] for r in posts if r["impressions"] is not None]
    reach = [r["reach"] for r in posts if r["reach"] is not None]

    def engagements(row: dict[str, Any]) -> int:
        return sum(int(row[c] or 0) for c in ("likes", "comments", "shares", "saves", "clicks"))

    total_engagements = sum(engagements(r) for r in posts)
    num = den = num_r = den_r = 0
    for r in posts:
        if r["impressions"] is not None and r["impressions"] > 0:
            num += engagements(r)
            den += int(r["impressions"])
        if r["reach"] is not None and r["reach"] > 0:
            num_r += engagements(r)
            den_r += int(r["reach"])

    messages = [r for r in _rows(tables.messages) if keep(r)]
    inbound = [r for r in messages if not r["from_brand"] and _in_month(r["created_at"], year, month, zone)]
    times = []
    responded = 0
    for m in inbound:
        replies = [
            r["created_at"]
            for r in messages
            if r["from_brand"] and r["platform"] == m["platform"] and r["in_reply_to"] == m["message_id"]
        ]
        if replies:
            responded += 1
            delta = min(replies) - m["created_at"]
            micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
            times.append(micros / 60_000_000)
    counts = {
        label: sum(1 for m in inbound if m["sentiment"] == label)
        for label in ("positive", "neutral", "negative")
    }
    polar = counts["positive"] + counts["negative"]

    first_day = date(year, month, 1)
    next_first = date(year + month // 12, month % 12 + 1, 1)
    accounts: dict[tuple[str, str], list[tuple[date, int]]] = {}
    for r in _rows(tables.followers):
        if keep(r):
            accounts.setdefault((r["platform"], r["account"]), []).append(
                (r["date"].date(), int(r["followers"]))
            )
    start_sum = end_sum = 0
    counted = 0
    for snapshots in accounts.values():
        snapshots.sort()
        inside = [s for s in snapshots if first_day <= s[0] < next_first]
        if not inside:
            continue
        before = [s for s in snapshots if s[0] < first_day]
        counted += 1
        start_sum += before[-1][1] if before else inside[0][1]
        end_sum += inside[-1][1]
    f_start = start_sum if counted else None
    f_end = end_sum if counted else None
    growth = None if f_start is None else f_end - f_start

    return {
        "posts": len(posts),
        "impressions": sum(impressions) if impressions else None,
        "reach": sum(reach) if reach else None,
        "engagements": total_engagements,
        "engagement_rate": num / den if den else None,
        "engagement_rate_by_reach": num_r / den_r if den_r else None,
        "inbound_messages": len(inbound),
        "responded_messages": responded,
        "response_rate": responded / len(inbound) if inbound else None,
        "first_response_time_median_minutes": percentile(times, 50) if times else None,
        "first_response_time_p90_minutes": percentile(times, 90) if times else None,
        "sentiment": {**counts, "net": (counts["positive"] - counts["negative"]) / polar if polar else None},
        "followers_start": f_start,
        "followers_end": f_end,
        "follower_growth": growth,
        "follower_growth_rate": growth / f_start if f_start else None,
    }


def assert_same(ours: dict[str, Any], expected: dict[str, Any], where: str = "") -> None:
    for name, value in expected.items():
        got = ours[name]
        if isinstance(value, dict):
            assert_same(got, value, f"{where}{name}.")
        elif isinstance(value, float) or isinstance(got, float):
            assert value is not None and got is not None, f"{where}{name}: {got!r} != {value!r}"
            assert math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-9), (
                f"{where}{name}: {got!r} != {value!r}"
            )
        else:
            assert got == value, f"{where}{name}: {got!r} != {value!r}"
