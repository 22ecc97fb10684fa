"""Every KPI equals the slow reference (tests/unit/kpi_reference.py) on generated data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.kpis import compute_kpi_set
from pulse.period import Month
from pulse.tables import Tables, normalize
from tests.unit.kpi_reference import assert_same, reference_kpis

ZONES = ["Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC"]
# March and October/November hold the DST changes of Paris and New York.
MONTHS = [Month(2026, 3), Month(2026, 10), Month(2026, 11), Month(2026, 1)]
PLATFORMS = ["x", "mastodon", "instagram"]


def _anchors(month: Month, tz: str) -> list[datetime]:
    """Local midnights of the 1st (this, previous, next month) and the DST changes, as UTC."""
    zone = ZoneInfo(tz)
    out = []
    for m in (month.previous(), month, month.next(), month.next().next()):
        out.append(datetime(m.year, m.month, 1, tzinfo=zone).astimezone(UTC))
    for local in ("2026-03-08 02:00", "2026-03-29 02:00", "2026-10-25 03:00", "2026-11-01 01:30"):
        out.append(datetime.fromisoformat(local).replace(tzinfo=zone).astimezone(UTC))
    return out


@st.composite
def instants(draw: st.DrawFn, anchors: list[datetime]) -> datetime:
    base = draw(st.sampled_from(anchors))
    offset = draw(
        st.one_of(
            st.sampled_from([0, -1, 1, -60_000_000, 60_000_000, -3_600_000_000, 3_600_000_000]),
            st.integers(-40 * 86_400_000_000, 40 * 86_400_000_000),
        )
    )
    return base + timedelta(microseconds=offset)


@st.composite
def datasets(draw: st.DrawFn) -> tuple[Tables, Month, str]:
    month = draw(st.sampled_from(MONTHS))
    tz = draw(st.sampled_from(ZONES))
    anchors = _anchors(month, tz)
    metric = st.one_of(st.none(), st.integers(0, 1000))

    posts = {}
    for _ in range(draw(st.integers(0, 8))):
        key = (draw(st.sampled_from(PLATFORMS)), draw(st.sampled_from(["p1", "p2", "p3", "1"])))
        posts[key] = {
            "platform": key[0],
            "account": f"{key[0]}-a",
            "post_id": key[1],
            "created_at": draw(instants(anchors)),
            **{
                c: draw(metric)
                for c in ("impressions", "reach", "likes", "comments", "shares", "saves", "clicks")
            },
        }

    messages: dict[tuple[str, str], dict[str, object]] = {}
    ids = [str(i) for i in range(1, 9)]
    for _ in range(draw(st.integers(0, 12))):
        platform = draw(st.sampled_from(PLATFORMS))
        key = (platform, draw(st.sampled_from(ids)))
        messages[key] = {
            "platform": platform,
            "account": f"{platform}-a",
            "message_id": key[1],
            "created_at": draw(instants(anchors)),
            "from_brand": False,
            "in_reply_to": draw(st.sampled_from([None, None, "p1", "1"])),
            "sentiment": draw(st.sampled_from([None, "positive", "neutral", "negative"])),
        }
    inbound = list(messages.values())
    for i in range(draw(st.integers(0, 12)) if inbound else 0):
        target = draw(st.sampled_from(inbound))
        platform = (
            target["platform"]
            if draw(st.booleans()) or len(PLATFORMS) == 1
            else draw(st.sampled_from(PLATFORMS))
        )
        delay = draw(st.integers(-3_600_000_000, 45 * 86_400_000_000))
        reply = {
            "platform": platform,
            "account": f"{platform}-a",
            "message_id": f"b{i}",
            "created_at": target["created_at"] + timedelta(microseconds=delay),  # type: ignore[operator]
            "from_brand": True,
            "in_reply_to": target["message_id"],
            "sentiment": None,
        }
        messages[(platform, f"b{i}")] = reply
        if draw(st.booleans()):  # the customer answers the brand back
            messages[(platform, f"c{i}")] = {
                **reply,
                "message_id": f"c{i}",
                "from_brand": False,
                "in_reply_to": f"b{i}",
                "created_at": reply["created_at"] + timedelta(minutes=draw(st.integers(1, 600))),  # type: ignore[operator]
                "sentiment": draw(st.sampled_from([None, "positive", "negative"])),
            }

    followers = {}
    first = pd.Timestamp(month.first_day)
    for account in draw(st.lists(st.sampled_from(PLATFORMS), max_size=3, unique=True)):
        for day in draw(st.lists(st.integers(-20, 40), max_size=6, unique=True)):
            date = first + pd.Timedelta(days=day)
            followers[(account, date)] = {
                "platform": account,
                "account": f"{account}-a",
                "date": date,
                "followers": draw(st.integers(0, 5000)),
            }

    # Account days: some accounts with follows/unfollows on every day of the month (flows), some with
    # gaps or unknown values, around the month's boundaries; reach and views sometimes missing.
    account_days = {}
    n_days = (month.next().first_day - month.first_day).days
    for platform in draw(st.lists(st.sampled_from([*PLATFORMS, "youtube"]), max_size=3, unique=True)):
        complete = draw(st.booleans())
        offsets = (
            range(-2, n_days + 2)
            if complete
            else draw(st.lists(st.integers(-5, 35), max_size=6, unique=True))
        )
        for day in offsets:
            date = first + pd.Timedelta(days=day)
            account_days[(platform, date)] = {
                "platform": platform,
                "account": f"{platform}-a",
                "date": date,
                "followers_gained": draw(st.integers(0, 50)) if complete else draw(metric),
                "followers_lost": draw(st.integers(0, 50)) if complete else draw(metric),
                "views": draw(metric),
                "reach": draw(metric),
                "profile_views": draw(metric),
            }
        if platform == "youtube" and draw(st.booleans()):  # the rounded public count beside it
            for day in draw(st.lists(st.integers(-20, 40), max_size=4, unique=True)):
                date = first + pd.Timedelta(days=day)
                followers[("youtube", date)] = {"platform": "youtube", "account": "youtube-a", "date": date,
                                                "followers": draw(st.integers(0, 5000)) * 10}  # fmt: skip

    def frame(table: str, rows: list[dict[str, object]]) -> pd.DataFrame:
        return normalize(
            table,
            pd.DataFrame(rows)
            if rows
            else pd.DataFrame(
                {
                    c: []
                    for c in (
                        "platform",
                        "account",
                        "post_id",
                        "message_id",
                        "created_at",
                        "from_brand",
                        "date",
                        "followers",
                    )
                }
            ),
        )  # type: ignore[arg-type]

    tables = Tables(
        posts=frame("posts", list(posts.values())),
        messages=frame("messages", list(messages.values())),
        followers=frame("followers", list(followers.values())),
        account_daily=frame("account_daily", list(account_days.values())),
    )
    return tables, month, tz


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_every_kpi_matches_the_reference(data: tuple[Tables, Month, str]) -> None:
    tables, month, tz = data
    result = compute_kpi_set(tables, month.period(tz)).to_dict()
    prev = month.previous()
    assert_same(result["kpis"], reference_kpis(tables, month.year, month.month, tz), "kpis.")
    assert_same(result["previous"], reference_kpis(tables, prev.year, prev.month, tz), "previous.")
    platforms = sorted(
        set(tables.posts["platform"])
        | set(tables.messages["platform"])
        | set(tables.followers["platform"])
        | set(tables.account_daily["platform"])
    )
    assert list(result["by_platform"]) == platforms
    for platform in platforms:
        expected = reference_kpis(tables, month.year, month.month, tz, platform)
        assert_same(result["by_platform"][platform], expected, f"{platform}.")
        expected = reference_kpis(tables, prev.year, prev.month, tz, platform)
        assert_same(result["previous_by_platform"][platform], expected, f"previous {platform}.")
