"""Failure paths of every platform connector (besides X) against the loopback fakes.

One brand holds one account of each platform. For each platform in turn the
fake is scripted (``fail(...)``) to answer its listing endpoint with a 429, a
500 or a malformed body, and the run is compared with a clean run on the same
fakes: retried failures give the same tables (after the announced wait, on the
fake clock), a malformed page is quarantined, its stream's checkpoint does not
advance and every other account's rows are unchanged. Tokens never reach the
archive, whatever goes wrong.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pulse.config import Account, Brand
from pulse.storage import LocalStore
from tests.functional.platform_fakes import (
    NOW,
    FakeApi,
    FakeBluesky,
    FakeClock,
    FakeGraph,
    FakeLinkedIn,
    FakeMastodon,
    FakeTikTok,
    FakeYouTube,
    archived,
    make_source,
)

START = NOW - timedelta(days=10)
MASTODON_ID = "cafeboreal@mastodon.social"
BRAND = Brand(id="northwind", name="Northwind", timezone="Europe/Paris",
              accounts=[Account(platform="facebook", id="104000000000001"),
                        Account(platform="instagram", id="17841400000000001"),
                        Account(platform="linkedin", id=FakeLinkedIn.ORG),
                        Account(platform="youtube", id=FakeYouTube.CHANNEL),
                        Account(platform="mastodon", id=MASTODON_ID),
                        Account(platform="bluesky", id="cafeboreal.bsky.social"),
                        Account(platform="tiktok", id="northwind")])  # fmt: skip
ACCOUNTS = {a.platform: a.id for a in BRAND.accounts}
TOKENS = {"facebook": "EAAB-page-token-456", "instagram": "EAAB-page-token-456", "linkedin": "li-token-789xyz",
          "youtube": "ya29.youtube-token", "mastodon": "masto-token-abcdef",
          "bluesky": "bsky-app-password-0123"}  # fmt: skip
TABLES = {"posts": "post_id", "messages": "message_id", "followers": "account"}


@dataclass(frozen=True)
class Case:
    """Where a platform lists its posts, and the checkpoint of that stream."""

    fake: str  # key in the ``apis`` fixture
    listing: str  # path pattern of the listing endpoint (scripted failures go there)
    stream: str  # its name in the account's checkpoint
    cursor: str  # what advances in ``state[stream]`` when the stream completes


CASES = {
    "facebook": Case("graph", r"/v24\.0/\d+/published_posts", "posts", "newest_time"),
    "instagram": Case("graph", r"/v24\.0/\d+/media", "media", "newest_time"),
    "linkedin": Case("linkedin", r"/rest/posts", "posts", "newest_time"),
    "youtube": Case("youtube", r"/youtube/v3/playlistItems", "videos", "newest_time"),
    "mastodon": Case("mastodon", r"/api/v1/accounts/\d+/statuses", "statuses", "since_id"),
    "bluesky": Case("bluesky", r"/xrpc/app\.bsky\.feed\.getAuthorFeed", "feed", "newest_time"),
    "tiktok": Case("tiktok", r"/v2/video/list/", "videos", "newest_time"),
}
PLATFORMS = list(CASES)
#: TikTok's token is a rotating refresh credential: its secrecy is tested in test_connectors_tiktok.
WITH_STATIC_TOKENS = [p for p in PLATFORMS if p != "tiktok"]


@pytest.fixture
def apis() -> Iterator[dict[str, Any]]:
    with (
        FakeGraph(token=TOKENS["facebook"]) as graph,
        FakeLinkedIn(token=TOKENS["linkedin"]) as li,
        FakeYouTube(token=TOKENS["youtube"]) as yt,
        FakeMastodon(token=TOKENS["mastodon"]) as masto,
        FakeBluesky() as bs,
        FakeTikTok() as tt,
    ):
        from pulse.connectors import StaticTokens

        tt.store = StaticTokens({**TOKENS, "tiktok": tt.credential()})  # keeps the rotated refresh token
        yield {"graph": graph, "linkedin": li, "youtube": yt, "mastodon": masto, "bluesky": bs, "tiktok": tt}


def source(store: LocalStore, apis: dict[str, Any], **kwargs: Any) -> Any:
    graph = f"{apis['graph'].url}/v24.0"
    urls = {"facebook": graph, "instagram": graph, "linkedin": f"{apis['linkedin'].url}/rest",
            "youtube": f"{apis['youtube'].url}/youtube/v3", "youtube_analytics": f"{apis['youtube'].url}/v2",
            "mastodon": apis["mastodon"].url, "bluesky": apis["bluesky"].url,
            "bluesky_pds": apis["bluesky"].url, "tiktok": apis["tiktok"].url,
            "tiktok_oauth": f"{apis['tiktok'].url}/v2/oauth/token/"}  # fmt: skip
    return make_source(store, apis["tiktok"].store, urls, **kwargs)


def rows(tables: Any, platform: str) -> dict[str, pd.DataFrame]:
    """One platform's canonical rows, in a stable order."""
    out = {}
    for name, key in TABLES.items():
        frame = tables.get(name)
        out[name] = frame[frame["platform"] == platform].sort_values(key).reset_index(drop=True)
    return out


def assert_same_rows(got: Any, want: Any, platform: str, only: tuple[str, ...] = tuple(TABLES)) -> None:
    mine, theirs = rows(got, platform), rows(want, platform)
    for name in only:
        pd.testing.assert_frame_equal(mine[name], theirs[name], obj=f"{platform} {name}")


@pytest.fixture
def clean(tmp_path: Path, apis: dict[str, Any]) -> Any:
    """The tables of a run without any failure (its own store), and the requests it made."""
    src = source(LocalStore(tmp_path / "clean"), apis)
    tables = src.fetch(BRAND, START, NOW)
    assert src.last_report.ok, src.last_report.lines()
    counts = {name: len(api.requests) for name, api in apis.items()}
    for api in apis.values():
        api.requests.clear()
    return tables, counts


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "archive")


RETRYABLE = {
    "429 Retry-After seconds": (429, {"Retry-After": "7"}, [7.0]),
    "429 Retry-After date": (429, {"Retry-After": format_datetime(NOW + timedelta(seconds=12), usegmt=True)}, [12.0]),
    "500": (500, {}, [1.0]),  # exponential backoff: 1 s (jitter pinned)
}  # fmt: skip


@pytest.mark.parametrize("failure", list(RETRYABLE))
@pytest.mark.parametrize("platform", PLATFORMS)
def test_retryable_failure_then_success_gives_the_clean_data(
    platform: str, failure: str, store: LocalStore, apis: dict[str, Any], clean: Any
) -> None:
    case = CASES[platform]
    api: FakeApi = apis[case.fake]
    status, headers, sleeps = RETRYABLE[failure]
    api.fail(case.listing, status, '{"error": "slow down"}', headers)
    clock = FakeClock()
    src = source(store, apis, clock=clock)
    tables = src.fetch(BRAND, START, NOW)

    assert clock.sleeps == sleeps  # the announced wait (or the backoff), on the fake clock only
    report = src.last_report
    assert report.ok and not report.stopped_by_budget, report.lines()
    for other in PLATFORMS:
        assert_same_rows(tables, clean[0], other)
    # the failed attempt was repeated as it was, once
    calls = api.paths(case.listing)
    assert calls[0].query == calls[1].query
    assert len(api.requests) == clean[1][case.fake] + 1
    # failed attempts are retried, not archived
    raw = archived(store, f"raw/{BRAND.id}/{platform}/")
    mine = {a.platform: a for a in report.accounts}[platform]
    assert len(raw) == mine.requests and all(r["status"] == 200 for r in raw)


MALFORMED = {
    "truncated JSON": (b'{"data": [{"id": "1", "created_time": "cut', "not valid JSON"),
    "wrong shape": (b'{"unexpected": "shape"}', "expected"),
}


@pytest.mark.parametrize("malformed", list(MALFORMED))
@pytest.mark.parametrize("platform", PLATFORMS)
def test_malformed_page_is_quarantined_and_everything_else_kept(
    platform: str, malformed: str, store: LocalStore, apis: dict[str, Any], clean: Any
) -> None:
    case = CASES[platform]
    body, error = MALFORMED[malformed]
    apis[case.fake].fail(case.listing, 200, body, {"Content-Type": "application/json"})
    src = source(store, apis)
    tables = src.fetch(BRAND, START, NOW)

    report = src.last_report
    assert report.quarantined == 1 and not report.ok
    by_platform = {a.platform: a for a in report.accounts}
    mine = by_platform[platform]
    assert mine.quarantined == 1 and any(case.stream in e and error in e for e in mine.errors), mine.errors
    [bad] = archived(store, f"quarantine/{BRAND.id}/")
    assert bad["key"] == mine.quarantine_keys[0]
    assert bad["key"].startswith(f"quarantine/{BRAND.id}/{platform}/")
    assert error in bad["error"] and bad["fetched_at"].startswith("2026-11-05")
    assert bad["url"].startswith(apis[case.fake].url) and apis[case.fake].url in bad["url"]
    assert bad["raw_key"].startswith(f"raw/{BRAND.id}/{platform}/")
    # the stream stopped: none of its posts; the account's other streams (followers) are kept
    assert rows(tables, platform)["posts"].empty
    assert_same_rows(tables, clean[0], platform, only=("followers",))
    # every other account is untouched
    for other in PLATFORMS:
        if other != platform:
            assert_same_rows(tables, clean[0], other)
            assert not by_platform[other].errors and not by_platform[other].quarantined

    # the stream's checkpoint does not advance; the next run asks again and gets the data
    src.commit()
    state = src.checkpoints.load(BRAND.id, platform, ACCOUNTS[platform])
    assert getattr(state.stream(case.stream), case.cursor) is None, state
    again = source(store, apis)
    tables = again.fetch(BRAND, START, NOW)
    assert again.last_report.ok, again.last_report.lines()
    assert_same_rows(tables, clean[0], platform, only=("posts",))


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
def test_malformed_later_page_keeps_the_pages_before_it(
    platform: str, store: LocalStore, apis: dict[str, Any]
) -> None:
    graph = apis["graph"]
    listing = {"facebook": (r"/v24\.0/(\d+)/published_posts", graph.published_posts),
               "instagram": (r"/v24\.0/(\d+)/media", graph.media_edge)}[platform]  # fmt: skip
    broken: list[str] = []

    def second_page_cut(request: Any, account_id: str) -> Any:
        if request.arg("after") and not broken:
            broken.append(request.path)
            return 200, {"Content-Type": "application/json"}, b'{"data": [{"id": "1", "created_time": "cut'
        return listing[1](request, account_id)

    graph.routes.insert(0, (re.compile(f"^{listing[0]}$"), second_page_cut))
    src = source(store, apis)
    tables = src.fetch(BRAND, START, NOW)
    mine = {a.platform: a for a in src.last_report.accounts}[platform]
    assert broken and mine.quarantined == 1 and mine.errors
    # the first page's items are kept, the checkpoint does not move, the next run gets the rest
    kept = rows(tables, platform)["posts"]
    assert len(kept) == graph.page_size
    src.commit()
    state = src.checkpoints.load(BRAND.id, platform, ACCOUNTS[platform])
    assert getattr(state.stream(CASES[platform].stream), CASES[platform].cursor) is None, state
    again = source(store, apis).fetch(BRAND, START, NOW)
    assert len(rows(again, platform)["posts"]) > graph.page_size
    assert set(kept["post_id"]) <= set(rows(again, platform)["posts"]["post_id"])


SECOND_CALLS = {  # a malformed answer further into the posts part: its checkpoint must not advance either
    "instagram": r"/v24\.0/1790\d+/insights",  # a media's insights
    "youtube": r"/youtube/v3/videos",
}


@pytest.mark.parametrize("platform", list(SECOND_CALLS))
def test_malformed_answer_after_the_listing_keeps_the_checkpoint(
    platform: str, store: LocalStore, apis: dict[str, Any]
) -> None:
    case = CASES[platform]
    apis[case.fake].fail(SECOND_CALLS[platform], 200, b"<html>502 Bad Gateway</html>")
    src = source(store, apis)
    src.fetch(BRAND, START, NOW)
    mine = {a.platform: a for a in src.last_report.accounts}[platform]
    assert mine.quarantined == 1 and mine.errors
    src.commit()
    state = src.checkpoints.load(BRAND.id, platform, ACCOUNTS[platform])
    assert getattr(state.stream(case.stream), case.cursor) is None, state


def leak(platform: str, apis: dict[str, Any], token: str) -> None:
    """Put the token in a good record and in a bad one (quarantined alone, as a parsed item)."""
    graph, li, yt, masto, bs = (apis[k] for k in ("graph", "linkedin", "youtube", "mastodon", "bluesky"))
    text = f"copié-collé par erreur : {token}"
    if platform == "facebook":
        graph.posts[0]["message"] = graph.posts[1]["message"] = text
        graph.posts[1]["reactions"]["summary"]["total_count"] = -5
    elif platform == "instagram":
        graph.media[0]["caption"] = graph.media[1]["caption"] = text
        graph.media[1]["_insights"]["likes"] = -5
    elif platform == "linkedin":
        li.posts[0]["commentary"] = text
        bad = li.comments[li.posts[-1]["id"]][0]
        bad["message"]["text"], bad["created"]["time"] = text, "not a date"
    elif platform == "youtube":
        yt.videos[0]["title"] = yt.videos[1]["title"] = text
        yt.videos[1]["likeCount"] = "-5"
    elif platform == "mastodon":
        masto.statuses[0]["content"] = masto.statuses[1]["content"] = f"<p>{text}</p>"
        masto.statuses[1]["favourites_count"] = -5
    else:
        bs.feed[0]["post"]["record"]["text"] = bs.feed[1]["post"]["record"]["text"] = text
        bs.feed[1]["post"]["likeCount"] = -5


def stored_bytes(store: LocalStore) -> Iterator[tuple[Path, bytes]]:
    for path in Path(store.location).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            yield path, gzip.decompress(data) if path.suffix == ".gz" else data


@pytest.mark.parametrize("platform", WITH_STATIC_TOKENS)
def test_tokens_never_reach_the_archive(platform: str, store: LocalStore, apis: dict[str, Any]) -> None:
    case = CASES[platform]
    token = TOKENS[platform]
    api: FakeApi = apis[case.fake]
    # a run that goes wrong: rate limited, then a broken page that echoes the token
    api.fail(case.listing, 429, f'{{"error": "slow down {token}"}}', {"Retry-After": "1"})
    api.fail(
        case.listing, 200, f'{{"data": [{{"text": "{token}", "oops', {"Content-Type": "application/json"}
    )
    first = source(store, apis)
    first.fetch(BRAND, START, NOW)
    first.commit()
    # then a run where records carry the token, one of them unreadable
    leak(platform, apis, token)
    second = source(store, apis, now=NOW + timedelta(hours=1))
    second.fetch(BRAND, START, NOW + timedelta(hours=1))
    second.commit()
    mine = {a.platform: a for a in second.last_report.accounts}[platform]
    assert mine.quarantined == 1, mine.line()  # the bad record, alone
    [item] = [q for q in archived(store, f"quarantine/{BRAND.id}/{platform}/") if "item" in q]
    assert "REDACTED" in str(item["item"])

    assert all(not r.arg("access_token") for r in api.requests)  # never in a URL we built
    if platform != "bluesky":  # the fake Bluesky AppView is public: any bearer is ignored
        assert all(r.headers.get("authorization") == f"Bearer {token}" for r in api.requests)
    secrets = {t.encode() for t in TOKENS.values()}
    for path, data in stored_bytes(store):
        assert not any(s in data for s in secrets), path


def unreadable_time(platform: str, apis: dict[str, Any]) -> tuple[str, str]:
    """Give one record of ``platform`` an unreadable timestamp; returns (table, its id)."""
    graph, li, yt, masto, bs = (apis[k] for k in ("graph", "linkedin", "youtube", "mastodon", "bluesky"))
    bad = "2026-13-45T25:00:00+0000"
    if platform == "facebook":  # the fake filters posts on their time: break a comment's
        comment = graph.comments[graph.posts[-1]["id"]][0]
        comment["created_time"] = bad
        return "messages", comment["id"]
    if platform == "instagram":
        graph.media[1]["timestamp"] = bad
        return "posts", graph.media[1]["id"]
    if platform == "linkedin":
        comment = li.comments[li.posts[-1]["id"]][0]
        comment["created"]["time"] = None
        return "messages", comment["commentUrn"]
    if platform == "youtube":
        yt.videos[1]["publishedAt"] = bad
        return "posts", yt.videos[1]["id"]
    if platform == "mastodon":
        masto.statuses[1]["created_at"] = bad
        return "posts", masto.statuses[1]["id"]
    if platform == "tiktok":
        apis["tiktok"].videos[1]["create_time"] = "soon"
        return "posts", apis["tiktok"].videos[1]["id"]
    bs.feed[1]["post"]["record"]["createdAt"] = ""
    return "posts", bs.feed[1]["post"]["uri"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_unreadable_timestamp_quarantines_that_record_alone(
    platform: str, store: LocalStore, apis: dict[str, Any], clean: Any
) -> None:
    table, bad_id = unreadable_time(platform, apis)
    src = source(store, apis)
    tables = src.fetch(BRAND, START, NOW)  # does not raise
    mine = {a.platform: a for a in src.last_report.accounts}[platform]
    assert mine.quarantined == 1 and not mine.errors, mine.line()
    [bad] = archived(store, f"quarantine/{BRAND.id}/{platform}/")
    assert bad["item"] and bad["url"] and bad["fetched_at"]
    key = TABLES[table]
    got, want = rows(tables, platform)[table], rows(clean[0], platform)[table]
    assert sorted(got[key]) == sorted(k for k in want[key] if k != bad_id)
    for other in PLATFORMS:
        if other != platform:
            assert_same_rows(tables, clean[0], other)


def test_a_failed_statistics_call_never_erases_known_metrics(store: LocalStore, apis: dict[str, Any]) -> None:
    """LinkedIn lists posts and their metrics in two calls: if the second fails on a later
    run, the lake keeps the metrics it had instead of getting unknown/zero ones."""
    from pulse.lake import Lake

    lake = Lake(store)
    first = source(store, apis)
    lake.write(BRAND.id, BRAND.tz, first.fetch(BRAND, START, NOW))
    first.commit(BRAND)
    months = lake.months("posts", BRAND.id)
    before = lake.read("posts", BRAND.id, months)
    known = before[before["platform"] == "linkedin"].set_index("post_id")
    assert known["impressions"].notna().all() and (known["likes"] > 0).any()

    apis["linkedin"].fail(r"/rest/organizationalEntityShareStatistics", 500, times=50)
    second = source(store, apis)
    lake.write(BRAND.id, BRAND.tz, second.fetch(BRAND, START, NOW))
    assert not second.last_report.ok  # the failure is reported...
    after = lake.read("posts", BRAND.id, months)
    kept = after[after["platform"] == "linkedin"].set_index("post_id").loc[known.index]
    pd.testing.assert_frame_equal(kept, known)  # ...and the known metrics are untouched


@pytest.mark.parametrize("platform", WITH_STATIC_TOKENS)
def test_a_401_that_echoes_the_token_is_reported_redacted(
    platform: str, store: LocalStore, apis: dict[str, Any]
) -> None:
    """The fetch warning quotes the platform's error body: never with the token in it."""
    case = CASES[platform]
    token = TOKENS[platform]
    apis[case.fake].fail(
        case.listing, 401, f'{{"error": "invalid token {token} (expired)", "hint": "Bearer {token}"}}'
    )
    run = source(store, apis)
    run.fetch(BRAND, START, NOW)
    problems = "\n".join([*run.problems(), *(a.line() for a in run.last_report.accounts)])
    assert "401" in problems, problems  # the warning is there...
    assert token not in problems and token[4:-4] not in problems, problems  # ...without the token


# ---------------------------------------------------------------- each platform's own rate-limit signals (issue #12)

SIGNALS = {
    # Mastodon: X-RateLimit-Reset is an ISO 8601 date (https://docs.joinmastodon.org/api/rate-limits/)
    "mastodon": {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                 "X-RateLimit-Reset": (NOW + timedelta(seconds=40)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")},
    # Bluesky: RateLimit-Reset in epoch seconds (https://docs.bsky.app/docs/advanced-guides/rate-limits)
    "bluesky": {"RateLimit-Limit": "3000", "RateLimit-Remaining": "0", "RateLimit-Reset": str(int(NOW.timestamp()) + 40),
                "RateLimit-Policy": "3000;w=300"},
}  # fmt: skip


@pytest.mark.parametrize("platform", list(SIGNALS))
def test_429_waits_until_the_platforms_own_reset_header(
    platform: str, store: LocalStore, apis: dict[str, Any], clean: Any
) -> None:
    case = CASES[platform]
    apis[case.fake].fail(case.listing, 429, '{"error": "Too many requests"}', SIGNALS[platform])
    clock = FakeClock()
    src = source(store, apis, clock=clock)
    tables = src.fetch(BRAND, START, NOW)
    assert clock.sleeps == [41.0]  # until the reset, + 1 s
    assert src.last_report.ok
    assert_same_rows(tables, clean[0], platform)


def test_youtube_daily_quota_stops_the_account_until_the_next_run(
    store: LocalStore, apis: dict[str, Any]
) -> None:
    """403 quotaExceeded (https://developers.google.com/youtube/v3/docs/errors) lasts until midnight
    Pacific time: no retry, no 'refused' warning; the account stops, its checkpoint stays."""
    quota = json.dumps({"error": {"code": 403, "message": "The request cannot be completed because you have exceeded your quota.",
                                  "errors": [{"message": "The request cannot be completed because you have exceeded your quota.",
                                              "domain": "youtube.quota", "reason": "quotaExceeded"}]}})  # fmt: skip
    apis["youtube"].fail(r"/youtube/v3/videos", 403, quota, {"Content-Type": "application/json"})
    clock = FakeClock()
    src = source(store, apis, clock=clock)
    src.fetch(BRAND, START, NOW)
    mine = {a.platform: a for a in src.last_report.accounts}["youtube"]
    assert "quota" in (mine.rate_limited or "") and not mine.errors and clock.sleeps == []
    assert len(apis["youtube"].paths(r"/youtube/v3/videos")) == 1
    assert not apis["youtube"].paths(r"/v2/reports")  # the account stopped there
    src.commit()
    state = src.checkpoints.load(BRAND.id, "youtube", ACCOUNTS["youtube"])
    assert state.stream("videos").newest_time is None and state.synced_from is None
