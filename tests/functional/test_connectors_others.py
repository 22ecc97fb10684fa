"""LinkedIn, YouTube and Bluesky connectors against local fakes; several accounts in one brand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pandas as pd
import pytest

from pulse.config import Account, Brand
from pulse.storage import LocalStore
from tests.functional.platform_fakes import (
    NOW,
    FakeBluesky,
    FakeClock,
    FakeLinkedIn,
    FakeYouTube,
    make_source,
)

START = NOW - timedelta(days=10)
BRAND = Brand(id="northwind", name="Northwind", timezone="America/New_York",
              accounts=[Account(platform="linkedin", id=FakeLinkedIn.ORG),
                        Account(platform="youtube", id=FakeYouTube.CHANNEL),
                        Account(platform="bluesky", id="cafeboreal.bsky.social"),
                        Account(platform="tiktok", id="northwind")])  # fmt: skip
TOKENS = {"linkedin": "li-token-789xyz", "youtube": "ya29.youtube-token"}


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "archive")


@pytest.fixture
def apis() -> Iterator[dict[str, Any]]:
    with FakeLinkedIn() as li, FakeYouTube() as yt, FakeBluesky() as bs:
        yield {"linkedin": li, "youtube": yt, "bluesky": bs}


def urls(apis: dict[str, Any]) -> dict[str, str]:
    return {"linkedin": f"{apis['linkedin'].url}/rest", "youtube": f"{apis['youtube'].url}/youtube/v3",
            "youtube_analytics": f"{apis['youtube'].url}/v2", "bluesky": apis["bluesky"].url,
            "bluesky_pds": apis["bluesky"].url}  # fmt: skip


def by(tables: Any, platform: str, table: str, key: str) -> pd.DataFrame:
    frame = tables.get(table)
    return frame[frame["platform"] == platform].set_index(key)


def test_linkedin_versioned_calls_statistics_and_comments(store: LocalStore, apis: dict[str, Any]) -> None:
    src = make_source(store, TOKENS, urls(apis))
    tables = src.fetch(BRAND, START, NOW)
    li = apis["linkedin"]
    assert all(
        r.headers["linkedin-version"] == "202606" and r.headers["x-restli-protocol-version"] == "2.0.0"
        for r in li.requests
    )
    stats_call = li.paths("/rest/organizationalEntityShareStatistics")[0]
    assert (
        stats_call.arg("organizationalEntity") == FakeLinkedIn.ORG
    )  # sent URL-encoded, decoded by the server
    posts = by(tables, "linkedin", "posts", "post_id")
    assert len(posts) == 3
    last = posts.loc[li.posts[-1]["id"]]
    assert (
        last["impressions"],
        last["reach"],
        last["clicks"],
        last["likes"],
        last["comments"],
        last["shares"],
    ) == (1202, 802, 25, 60, 2, 4)
    messages = by(tables, "linkedin", "messages", "message_id")
    fan, brand = li.comments[li.posts[-1]["id"]]
    assert messages.loc[fan["commentUrn"], "in_reply_to"] == li.posts[-1]["id"]
    assert (
        messages.loc[brand["commentUrn"], "from_brand"]
        and messages.loc[brand["commentUrn"], "in_reply_to"] == fan["commentUrn"]
    )
    assert by(tables, "linkedin", "followers", "account").loc[FakeLinkedIn.ORG, "followers"] == 9120
    assert any(
        k.key.startswith("raw/northwind/linkedin/urn_li_organization_7734-")
        for k in store.list("raw/northwind/linkedin/")
    )


def test_linkedin_replies_live_under_the_comment_urn(store: LocalStore, apis: dict[str, Any]) -> None:
    """A post's comments list holds first-level comments only; replies, the organisation's own
    answers among them, are read from ``socialActions/{commentUrn}/comments``."""
    li = apis["linkedin"]
    post = li.posts[-1]["id"]
    fan, brand = li.comments[post]
    again = {"id": "7100000000000000003", "commentUrn": f"urn:li:comment:({post},7100000000000000003)",
             "actor": "urn:li:person:abc123", "message": {"text": "Merci, et la livraison ?"},
             "created": {"time": int((NOW - timedelta(hours=3)).timestamp() * 1000), "actor": "urn:li:person:abc123"},
             "parentComment": fan["commentUrn"], "object": post}  # fmt: skip
    li.comments[post].append(again)
    src = make_source(store, TOKENS, urls(apis))
    tables = src.fetch(BRAND, START, NOW)
    messages = by(tables, "linkedin", "messages", "message_id")
    assert set(messages.index) == {fan["commentUrn"], brand["commentUrn"], again["commentUrn"]}
    assert (
        messages.loc[brand["commentUrn"], "from_brand"]
        and messages.loc[again["commentUrn"], "in_reply_to"] == fan["commentUrn"]
    )
    nested = [r for r in li.paths(r"/rest/socialActions/.+/comments") if "urn:li:comment:" in unquote(r.path)]
    assert len(nested) == 1  # only the comment whose commentsSummary counts replies


def test_youtube_videos_analytics_shares_and_comments(store: LocalStore, apis: dict[str, Any]) -> None:
    src = make_source(store, TOKENS, urls(apis))
    tables = src.fetch(BRAND, START, NOW)
    yt = apis["youtube"]
    videos = by(tables, "youtube", "posts", "post_id")
    assert len(videos) == 4
    last = videos.loc[yt.videos[-1]["id"]]
    assert (last["impressions"], last["likes"], last["comments"], last["shares"]) == (503, 43, 2, 6)
    assert pd.isna(last["reach"])
    messages = by(tables, "youtube", "messages", "message_id")
    assert (
        messages.loc["Ugz1", "in_reply_to"] == yt.videos[-1]["id"] and not messages.loc["Ugz1", "from_brand"]
    )
    assert messages.loc["Ugz1.r1", "from_brand"] and messages.loc["Ugz1.r1", "in_reply_to"] == "Ugz1"
    assert by(tables, "youtube", "followers", "account").loc[FakeYouTube.CHANNEL, "followers"] == 12030
    assert len(yt.paths("/youtube/v3/playlistItems")) == 2


def test_youtube_analytics_top_videos_query_is_one_the_api_supports(
    store: LocalStore, apis: dict[str, Any]
) -> None:
    src = make_source(store, TOKENS, urls(apis))
    tables = src.fetch(BRAND, START, NOW)
    (report,) = [r for r in apis["youtube"].paths("/v2/reports") if r.arg("dimensions") == "video"]
    assert report.arg("dimensions") == "video" and report.arg("sort") == "-views"
    assert int(report.arg("maxResults") or 0) <= 200
    assert by(tables, "youtube", "posts", "post_id")["shares"].eq(6).all()
    assert not any("Analytics" in w for w in src.last_report.schema_warnings)


def test_youtube_new_replies_in_older_threads_are_caught(store: LocalStore, apis: dict[str, Any]) -> None:
    """A thread whose top comment is older than the window still gets replies: the weekly sweep walks
    the threads of the followed videos; all replies, not the 5 a thread carries."""
    yt = apis["youtube"]
    src = make_source(store, TOKENS, urls(apis))
    src.fetch(BRAND, START, NOW)
    src.commit()
    later = NOW + timedelta(days=8)
    thread = yt.threads[0]
    new = [
        yt.add_reply(thread, later - timedelta(hours=h), f"fan{h}", f"Toujours pas de réponse ({h})")
        for h in range(6, 0, -1)
    ]
    again = make_source(store, TOKENS, urls(apis), now=later)
    tables = again.fetch(BRAND, later - timedelta(days=1), later)
    messages = by(tables, "youtube", "messages", "message_id")
    assert {r["id"] for r in new} <= set(messages.index)
    assert (messages.loc[[r["id"] for r in new], "in_reply_to"] == thread["id"]).all()
    assert yt.paths("/youtube/v3/comments")  # more replies than the thread carries


def test_youtube_without_analytics_scope_keeps_the_rest(store: LocalStore, apis: dict[str, Any]) -> None:
    apis["youtube"].analytics_status = 403
    src = make_source(store, TOKENS, urls(apis))
    tables = src.fetch(BRAND, START, NOW)
    assert by(tables, "youtube", "posts", "post_id")["shares"].eq(0).all()
    assert any("Analytics refused" in w for w in src.last_report.schema_warnings)


def test_bluesky_feed_threads_and_an_account_without_token(store: LocalStore, apis: dict[str, Any]) -> None:
    src = make_source(store, TOKENS, urls(apis))
    tables = src.fetch(BRAND, START, NOW)
    bs = apis["bluesky"]
    posts = by(tables, "bluesky", "posts", "post_id")
    assert len(posts) == 3  # the repost is not the brand's post; the brand's reply is a message
    root = bs.feed[2]["post"]["uri"]
    assert (posts.loc[root, "likes"], posts.loc[root, "shares"], posts.loc[root, "comments"]) == (21, 4, 1)
    assert posts["impressions"].isna().all() and posts["reach"].isna().all()
    messages = by(tables, "bluesky", "messages", "message_id")
    fan = "at://did:plc:fan0000000000000000000/app.bsky.feed.post/3kreply1"
    assert messages.loc[fan, "in_reply_to"] == root and not messages.loc[fan, "from_brand"]
    brand = f"at://{FakeBluesky.DID}/app.bsky.feed.post/3kreply2"
    assert messages.loc[brand, "from_brand"] and messages.loc[brand, "in_reply_to"] == fan
    # the follower snapshot date is the brand's local date (New York: 5 November, 04:00)
    assert by(tables, "bluesky", "followers", "account")["date"].tolist() == [pd.Timestamp("2026-11-05")]
    report = {a.platform: a for a in src.last_report.accounts}
    # a TikTok account without a credential is reported, and fetches nothing
    assert (
        len(report["tiktok"].errors) == 1
        and "no token for tiktok account 'northwind'" in report["tiktok"].errors[0]
    )
    assert not report["bluesky"].errors and not report["linkedin"].errors


def test_bluesky_app_password_adds_mentions_outside_threads(store: LocalStore, apis: dict[str, Any]) -> None:
    bs = apis["bluesky"]
    src = make_source(store, {**TOKENS, "bluesky": bs.app_password}, urls(apis))
    tables = src.fetch(BRAND, START, NOW)
    assert bs.sessions == 1
    (session,) = bs.paths(r"/xrpc/com\.atproto\.server\.createSession")
    assert session.method == "POST" and session.json() == {
        "identifier": BRAND.accounts[2].id,
        "password": bs.app_password,
    }
    listed = bs.paths(r"/xrpc/app\.bsky\.notification\.listNotifications")
    assert listed and all(r.query["reasons"] == ["mention", "reply", "quote"] for r in listed)
    # the public AppView calls carry no credentials
    assert not any("authorization" in r.headers for r in bs.requests if "notification" not in r.path)
    messages = by(tables, "bluesky", "messages", "message_id")
    mention = "at://did:plc:other00000000000000000/app.bsky.feed.post/3kmention1"
    quote = "at://did:plc:fan0000000000000000000/app.bsky.feed.post/3kquote1"
    assert messages.loc[mention, "author"] == "marc.bsky.social" and not messages.loc[mention, "from_brand"]
    assert pd.isna(messages.loc[mention, "in_reply_to"]) and pd.isna(messages.loc[quote, "in_reply_to"])
    # the thread reply is also a notification: one row; likes and the 30-day-old mention are not messages
    assert len(messages) == 4 and not any("3klike" in m or "3kold" in m for m in messages.index)
    assert not {a.platform: a for a in src.last_report.accounts}["bluesky"].errors
    src.commit()
    state = src.checkpoints.load(BRAND.id, "bluesky", BRAND.accounts[2].id)
    assert (state.stream("mentions").newest_time or "").startswith("2026-11-05T07:00")
    stored = "\n".join(store.get(o.key).decode("utf-8", "replace") for o in store.list(""))
    assert bs.app_password not in stored and bs.access_jwt not in stored


def test_bluesky_refused_app_password_keeps_the_public_data(store: LocalStore, apis: dict[str, Any]) -> None:
    src = make_source(store, {**TOKENS, "bluesky": "wrong-app-password"}, urls(apis))
    tables = src.fetch(BRAND, START, NOW)
    (error,) = {a.platform: a for a in src.last_report.accounts}["bluesky"].errors
    assert "app password was refused (HTTP 401)" in error and "App passwords" in error
    assert "wrong-app-password" not in error
    assert len(by(tables, "bluesky", "posts", "post_id")) == 3  # feed and threads were fetched before


def test_budget_spent_on_one_account_skips_the_next_ones(store: LocalStore, apis: dict[str, Any]) -> None:
    src = make_source(store, TOKENS, urls(apis), clock=FakeClock(tick=10.0), budget_seconds=30)
    tables = src.fetch(BRAND, START, NOW)
    report = {a.platform: a for a in src.last_report.accounts}
    assert report["linkedin"].stopped_by_budget
    assert report["youtube"].stopped_by_budget and report["youtube"].requests == 0
    assert len(tables.followers) == 1  # what was fetched before the stop is kept
    src.commit()
    assert [
        o.key for o in store.list("state/northwind/youtube/")
    ] == []  # untouched accounts keep their checkpoint


def test_bluesky_session_is_reused_then_refreshed_not_created_on_every_fetch(
    store: LocalStore, apis: dict[str, Any]
) -> None:
    """createSession is limited to 30 per 5 min and 300 a day: one per process, then refreshSession."""
    bs = apis["bluesky"]
    clock = {"now": NOW}
    src = make_source(store, {**TOKENS, "bluesky": bs.app_password}, urls(apis))
    src.now = lambda: clock["now"]
    for minutes in (0, 10, 20):
        clock["now"] = bs.now = NOW + timedelta(minutes=minutes)
        src.fetch(BRAND, START, clock["now"])
        assert not {a.platform: a for a in src.last_report.accounts}["bluesky"].errors
    assert (bs.sessions, bs.refreshes) == (1, 0)
    clock["now"] = bs.now = NOW + timedelta(hours=3)  # the access JWT (2 h) has expired
    tables = src.fetch(BRAND, START, clock["now"])
    assert (bs.sessions, bs.refreshes) == (1, 1)
    assert len(by(tables, "bluesky", "messages", "message_id")) == 4
    stored = "\n".join(store.get(o.key).decode("utf-8", "replace") for o in store.list(""))
    assert bs.refresh_jwt not in stored and bs.access_jwt not in stored


def test_bluesky_bookmarks_are_saves(store: LocalStore, apis: dict[str, Any]) -> None:
    src = make_source(store, TOKENS, urls(apis))
    tables = src.fetch(BRAND, START, NOW)
    assert by(tables, "bluesky", "posts", "post_id")["saves"].eq(2).all()
