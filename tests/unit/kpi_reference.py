"""A slow, obviously-correct reference for every KPI of docs/kpis.md.

Plain Python over rows: datetime and zoneinfo, no pandas arithmetic. An instant
is in the month when its local date (in the brand's zone) is in that month.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
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
    days_of_month = [first_day + timedelta(days=n) for n in range((next_first - first_day).days)]
    account_days: dict[tuple[str, str], dict[date, dict[str, Any]]] = {}
    for r in _rows(tables.account_daily):
        if keep(r) and first_day <= r["date"].date() < next_first:
            account_days.setdefault((r["platform"], r["account"]), {})[r["date"].date()] = r
    start_sum = end_sum = 0
    counted = 0
    growths: list[int] = []
    rounded = False
    for key in sorted(set(accounts) | set(account_days)):
        by_day = account_days.get(key, {})
        if all(
            d in by_day
            and by_day[d]["followers_gained"] is not None
            and by_day[d]["followers_lost"] is not None
            for d in days_of_month
        ):
            flows: int | None = sum(
                by_day[d]["followers_gained"] - by_day[d]["followers_lost"] for d in days_of_month
            )
        else:
            flows = None
        snapshots = sorted(accounts.get(key, []))
        inside = [s for s in snapshots if first_day <= s[0] < next_first]
        if inside:
            before = [s for s in snapshots if s[0] < first_day]
            counted += 1
            start = before[-1][1] if before else inside[0][1]
            start_sum += start
            end_sum += inside[-1][1]
        if flows is not None:
            growths.append(flows)
        elif inside:
            growths.append(inside[-1][1] - start)
            rounded = rounded or key[0] == "youtube"
    f_start = start_sum if counted else None
    f_end = end_sum if counted else None
    growth = sum(growths) if growths else None

    def known_sum(metric: str) -> int | None:
        known = [
            row[metric] for rows in account_days.values() for row in rows.values() if row[metric] is not None
        ]
        return sum(known) if known else None

    daily_reach = []
    for d in days_of_month:
        known = [
            rows[d]["reach"] for rows in account_days.values() if d in rows and rows[d]["reach"] is not None
        ]
        if known:
            daily_reach.append(sum(known))

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
        "follower_growth_rate": growth / f_start if f_start and growth is not None else None,
        "followers_gained": known_sum("followers_gained"),
        "followers_lost": known_sum("followers_lost"),
        "follower_growth_rounded": rounded,
        "account_views": known_sum("views"),
        "account_reach_daily_average": sum(daily_reach) / len(daily_reach) if daily_reach else None,
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


# ---------------------------------------------------------------------------
# What a report shows beside the KPIs (pulse.kpis.ReportData)
# ---------------------------------------------------------------------------


def _first_reply(messages: list[dict[str, Any]], m: dict[str, Any]) -> datetime | None:
    replies = [
        r["created_at"]
        for r in messages
        if r["from_brand"] and r["platform"] == m["platform"] and r["in_reply_to"] == m["message_id"]
    ]
    return min(replies) if replies else None


def _month_inbound(tables: Tables, year: int, month: int, tz: str) -> list[dict[str, Any]]:
    zone = ZoneInfo(tz)
    messages = _rows(tables.messages)
    out = []
    for m in messages:
        if not m["from_brand"] and _in_month(m["created_at"], year, month, zone):
            out.append({**m, "first_reply": _first_reply(messages, m)})
    return out


def reference_daily(tables: Tables, year: int, month: int, tz: str) -> dict[date, dict[str, Any]]:
    """Per local day of the month: posts, impressions (None when no post has one), engagements,
    inbound messages and how many of them were ever answered."""
    zone = ZoneInfo(tz)
    first = date(year, month, 1)
    days = {}
    day = first
    while day.month == month:
        days[day] = {"posts": 0, "impressions": None, "engagements": 0, "inbound": 0, "responded": 0}
        day = date.fromordinal(day.toordinal() + 1)
    for p in _rows(tables.posts):
        if _in_month(p["created_at"], year, month, zone):
            row = days[p["created_at"].astimezone(zone).date()]
            row["posts"] += 1
            if p["impressions"] is not None:
                row["impressions"] = (row["impressions"] or 0) + int(p["impressions"])
            row["engagements"] += sum(
                int(p[c] or 0) for c in ("likes", "comments", "shares", "saves", "clicks")
            )
    for m in _month_inbound(tables, year, month, tz):
        row = days[m["created_at"].astimezone(zone).date()]
        row["inbound"] += 1
        row["responded"] += m["first_reply"] is not None
    return days


def reference_weekly_net(tables: Tables, year: int, month: int, tz: str) -> dict[date, float | None]:
    """Net sentiment per week (Monday, or the 1st for the first week) of the month's labelled inbound
    messages; weeks without a labelled message are absent."""
    zone = ZoneInfo(tz)
    first = date(year, month, 1)
    counts: dict[date, dict[str, int]] = {}
    for m in _month_inbound(tables, year, month, tz):
        if m["sentiment"] not in ("positive", "neutral", "negative"):
            continue
        day = m["created_at"].astimezone(zone).date()
        week = max(date.fromordinal(day.toordinal() - day.weekday()), first)
        counts.setdefault(week, {"positive": 0, "neutral": 0, "negative": 0})[m["sentiment"]] += 1
    out: dict[date, float | None] = {}
    for week, c in sorted(counts.items()):
        polar = c["positive"] + c["negative"]
        out[week] = (c["positive"] - c["negative"]) / polar if polar else None
    return out


def reference_buckets(tables: Tables, year: int, month: int, tz: str) -> dict[str, int]:
    """Answered inbound messages of the month by elapsed time to the first reply."""
    bounds = [(15, "< 15 min"), (60, "15–60 min"), (240, "1–4 h"), (1440, "4–24 h"), (math.inf, "> 24 h")]
    out = {label: 0 for _, label in bounds}
    for m in _month_inbound(tables, year, month, tz):
        if m["first_reply"] is None:
            continue
        delta = m["first_reply"] - m["created_at"]
        minutes = ((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds) / 60_000_000
        for upper, label in bounds:
            if minutes < upper:
                out[label] += 1
                break
    return out


def reference_follow_up(tables: Tables, year: int, month: int, tz: str) -> list[tuple[str, str]]:
    """(platform, message_id) of the month's unanswered inbound messages in follow-up order:
    negative first, then questions, then neutral or unlabelled, then positive; within a tier
    the lowest score (missing = 0), then the oldest."""

    def tier(m: dict[str, Any]) -> int:
        if m["sentiment"] == "negative":
            return 0
        if any(q in (m["text"] or "") for q in "?？¿؟"):
            return 1
        return 3 if m["sentiment"] == "positive" else 2

    open_ = [m for m in _month_inbound(tables, year, month, tz) if m["first_reply"] is None]
    ranked = sorted(open_, key=lambda m: (tier(m), m["sentiment_score"] or 0.0, m["created_at"]))
    return [(m["platform"], m["message_id"]) for m in ranked]
