"""Account-level daily metrics (``account_daily``) against the local fakes: Facebook Page insights,
Instagram account insights, LinkedIn follower gains, YouTube Analytics subscribers gained/lost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from pulse.config import Account, Brand
from pulse.lake import Lake
from pulse.storage import LocalStore
from tests.functional.platform_fakes import NOW, FakeGraph, FakeLinkedIn, FakeYouTube, make_source

START = NOW - timedelta(days=10)
TODAY = NOW.date()
META = Brand(id="maison-lumiere", name="Maison Lumière", timezone="Europe/Paris",
             accounts=[Account(platform="facebook", id="104000000000001"),
                       Account(platform="instagram", id="17841400000000001")])  # fmt: skip
OTHERS = Brand(id="northwind", name="Northwind", timezone="America/New_York",
               accounts=[Account(platform="linkedin", id=FakeLinkedIn.ORG),
                         Account(platform="youtube", id=FakeYouTube.CHANNEL)])  # fmt: skip
META_TOKEN = "EAAB-page-token-456"
TOKENS = {"linkedin": "li-token-789xyz", "youtube": "ya29.youtube-token"}


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "archive")


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(token=META_TOKEN) as fake:
        yield fake


@pytest.fixture
def others() -> Iterator[dict[str, Any]]:
    with FakeLinkedIn() as linkedin, FakeYouTube() as youtube:
        yield {"linkedin": linkedin, "youtube": youtube}


def meta_source(store: LocalStore, graph: FakeGraph) -> Any:
    urls = {"facebook": f"{graph.url}/v24.0", "instagram": f"{graph.url}/v24.0"}
    return make_source(store, {"facebook": META_TOKEN, "instagram": META_TOKEN}, urls)


def other_source(store: LocalStore, apis: dict[str, Any]) -> Any:
    urls = {"linkedin": f"{apis['linkedin'].url}/rest", "youtube": f"{apis['youtube'].url}/youtube/v3",
            "youtube_analytics": f"{apis['youtube'].url}/v2"}  # fmt: skip
    return make_source(store, TOKENS, urls)


def days_of(tables: Any, platform: str) -> pd.DataFrame:
    frame = tables.account_daily
    return frame[frame["platform"] == platform].set_index(
        frame["date"][frame["platform"] == platform].dt.date
    )


def test_facebook_page_insights_give_daily_views_reach_follows_and_past_counts(
    store: LocalStore, graph: FakeGraph
) -> None:
    src = meta_source(store, graph)
    tables = src.fetch(META, START, NOW)
    days = days_of(tables, "facebook")
    day = TODAY - timedelta(days=3)
    row = days.loc[day]
    expected = graph.page_days[day]
    assert (row["views"], row["reach"]) == (
        expected["page_media_view"],
        expected["page_total_media_view_unique"],
    )
    assert (row["followers_gained"], row["followers_lost"]) == (
        expected["page_daily_follows_unique"],
        expected["page_daily_unfollows_unique"],
    )
    assert pd.isna(row["profile_views"])  # not a Page metric: unknown, not 0
    assert TODAY not in days.index  # today is not computed yet: no row rather than zeros
    assert min(days.index) == START.date()
    # page_follows: the count at each past day's end, beside today's snapshot
    followers = tables.followers[tables.followers["platform"] == "facebook"].set_index("date")["followers"]
    assert followers[pd.Timestamp(day)] == expected["page_follows"]
    assert followers[pd.Timestamp(TODAY)] == 42107
    calls = graph.paths(r"/v24\.0/104000000000001/insights")
    assert {c.arg("period") for c in calls} == {"day"} and len(calls) == 2
    assert src.last_report.ok, src.last_report.lines()


def test_a_refused_page_metric_group_keeps_the_other(store: LocalStore, graph: FakeGraph) -> None:
    graph.refused_page_metrics = {"page_daily_unfollows_unique"}  # deprecated: code 100 for the whole call
    src = meta_source(store, graph)
    tables = src.fetch(META, START, NOW)
    days = days_of(tables, "facebook")
    assert days["views"].notna().all() and days["followers_lost"].isna().all()
    assert any("page insights" in w and "refused" in w for w in src.last_report.schema_warnings)
    assert src.last_report.ok


def test_instagram_account_insights_per_day_with_follows_and_unfollows(
    store: LocalStore, graph: FakeGraph
) -> None:
    src = meta_source(store, graph)
    tables = src.fetch(META, START, NOW)
    days = days_of(tables, "instagram")
    day = TODAY - timedelta(days=4)
    expected = graph.ig_days[day]
    row = days.loc[day]
    assert (row["reach"], row["views"], row["profile_views"]) == (
        expected["reach"],
        expected["views"],
        expected["profile_views"],
    )
    assert (row["followers_gained"], row["followers_lost"]) == (
        expected["FOLLOWER"],
        expected["NON_FOLLOWER"],
    )
    # the last two days are not computed yet (empty data set): unknown, no row
    assert TODAY - timedelta(days=1) not in days.index and TODAY not in days.index
    calls = graph.paths(r"/v24\.0/17841400000000001/insights")
    assert all(c.arg("metric_type") == "total_value" for c in calls)
    follows = [c for c in calls if c.arg("metric") == "follows_and_unfollows"]
    assert follows and all(c.arg("breakdown") == "follow_type" for c in follows)
    assert src.last_report.ok, src.last_report.lines()


def test_instagram_follows_refused_keeps_reach_and_views(store: LocalStore, graph: FakeGraph) -> None:
    graph.ig_follows_refused = True  # e.g. an account under 100 followers
    src = meta_source(store, graph)
    days = days_of(src.fetch(META, START, NOW), "instagram")
    assert days["views"].notna().all() and days["followers_gained"].isna().all()
    follows = [
        c for c in graph.paths(r"/v24\.0/17841400000000001/insights") if "follows" in (c.arg("metric") or "")
    ]
    assert len(follows) == 1  # asked once, not once a day


def test_instagram_reels_ask_the_reels_metrics(store: LocalStore, graph: FakeGraph) -> None:
    graph.media[1]["media_product_type"] = "REELS"
    graph.media[1]["media_type"] = "VIDEO"
    src = meta_source(store, graph)
    tables = src.fetch(META, START, NOW)
    calls = {c.path.split("/")[2]: c.arg("metric") for c in graph.paths(r"/v24\.0/1790\d+/insights")}
    assert "ig_reels_avg_watch_time" in calls[graph.media[1]["id"]]
    assert "ig_reels_avg_watch_time" not in calls[graph.media[2]["id"]]  # refused on a feed photo
    reel = tables.posts.set_index("post_id").loc[graph.media[1]["id"]]
    assert (reel["impressions"], reel["reach"]) == (3001, 2101)
    assert src.last_report.ok, src.last_report.lines()


def test_insights_not_yet_computed_do_not_erase_known_days(store: LocalStore, graph: FakeGraph) -> None:
    lake = Lake(store)
    first = meta_source(store, graph)
    lake.write(META.id, ZoneInfo(META.timezone), first.fetch(META, START, NOW))
    first.commit()
    day = TODAY - timedelta(days=3)
    graph.page_days[day] = {}  # the platform now answers that day without values
    graph.ig_days.pop(day)
    again = meta_source(store, graph)
    lake.write(META.id, ZoneInfo(META.timezone), again.fetch(META, START, NOW))
    stored = lake.read("account_daily", META.id, lake.months("account_daily", META.id))
    row = stored[(stored["platform"] == "facebook") & (stored["date"] == pd.Timestamp(day))].iloc[0]
    assert row["views"] == 5003 and row["followers_gained"] == 23
    row = stored[(stored["platform"] == "instagram") & (stored["date"] == pd.Timestamp(day))].iloc[0]
    assert row["reach"] == 903


def test_second_run_reads_only_the_refetch_window(store: LocalStore, graph: FakeGraph) -> None:
    src = meta_source(store, graph)
    src.fetch(META, NOW - timedelta(days=40), NOW)
    src.commit()
    graph.requests.clear()
    again = meta_source(store, graph)
    again.fetch(META, NOW - timedelta(days=40), NOW)
    ig_calls = [c for c in graph.paths(r"/v24\.0/17841400000000001/insights")]
    assert len(ig_calls) == 2 * 8  # the 7-day re-fetch window and today, two calls a day


def test_linkedin_daily_follower_gains_organic_plus_paid(store: LocalStore, others: dict[str, Any]) -> None:
    src = other_source(store, others)
    tables = src.fetch(OTHERS, START, NOW)
    days = days_of(tables, "linkedin")
    day = TODAY - timedelta(days=5)
    organic, paid = others["linkedin"].gains[day]
    assert days.loc[day, "followers_gained"] == organic + paid
    assert days["followers_lost"].isna().all()  # LinkedIn reports no unfollows
    (call,) = others["linkedin"].paths("/rest/organizationalEntityFollowerStatistics")
    assert "timeGranularityType:DAY" in (call.arg("timeIntervals") or "")
    assert src.last_report.ok, src.last_report.lines()


def test_youtube_subscribers_gained_and_lost_from_analytics(
    store: LocalStore, others: dict[str, Any]
) -> None:
    src = other_source(store, others)
    tables = src.fetch(OTHERS, START, NOW)
    days = days_of(tables, "youtube")
    day = TODAY - timedelta(days=6)
    gained, lost, views = others["youtube"].channel_days[day]
    row = days.loc[day]
    assert (row["followers_gained"], row["followers_lost"], row["views"]) == (gained, lost, views)
    assert max(days.index) == TODAY - timedelta(days=3)  # Analytics lags: later days absent, not 0
    day_report = [r for r in others["youtube"].paths("/v2/reports") if r.arg("dimensions") == "day"]
    assert day_report[0].arg("metrics") == "subscribersGained,subscribersLost,views"
    assert src.last_report.ok, src.last_report.lines()


def test_youtube_without_analytics_scope_falls_back_to_the_public_count(
    store: LocalStore, others: dict[str, Any]
) -> None:
    others["youtube"].analytics_scope = False
    src = other_source(store, others)
    tables = src.fetch(OTHERS, START, NOW)
    assert days_of(tables, "youtube").empty
    assert tables.followers.set_index("platform").loc["youtube", "followers"] == 12030
    assert any("rounded to 3 significant figures" in w for w in src.last_report.schema_warnings)
    assert src.last_report.ok


def test_throttled_account_insights_resume_after_the_last_day_read(
    store: LocalStore, graph: FakeGraph
) -> None:
    """Meta throttling (code 4 on a 400, https://developers.facebook.com/docs/graph-api/overview/rate-limiting/)
    in the middle of a first run: the days read are kept, the next run starts after them."""
    from tests.functional.platform_fakes import Request, meta_error

    answer_day = graph.user_insights
    calls = {"n": 0}

    def throttled(request: Request) -> Any:
        calls["n"] += 1
        if calls["n"] == 9:  # the 5th day's first call
            return 400, {"Content-Type": "application/json"}, meta_error(4).encode()
        return answer_day(request)

    graph.user_insights = throttled  # type: ignore[method-assign]
    lake = Lake(store)
    start = NOW - timedelta(days=20)
    first = meta_source(store, graph)
    lake.write(META.id, ZoneInfo(META.timezone), first.fetch(META, start, NOW))
    first.commit()
    mine = {a.platform: a for a in first.last_report.accounts}["instagram"]
    assert mine.rate_limited and mine.account_days == 4
    graph.user_insights = answer_day  # type: ignore[method-assign]
    graph.requests.clear()
    again = meta_source(store, graph)
    again.fetch(META, start, NOW)
    asked = sorted({int(c.arg("since") or 0) for c in graph.paths(r"/v24\.0/17841400000000001/insights")})
    assert pd.Timestamp(asked[0], unit="s").date() == start.date() + timedelta(days=4)  # the 5th day on
