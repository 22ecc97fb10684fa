"""The TikTok connector (Display API v2) against a local fake: videos, followers, rotating refresh tokens."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from pulse.config import Account, Brand
from pulse.connectors import ChainTokens, EnvTokens, FileTokens, StaticTokens
from pulse.lake import Lake
from pulse.storage import LocalStore
from tests.functional.platform_fakes import NOW, FakeClock, FakeTikTok, archived, make_source

START = NOW - timedelta(days=10)
BRAND = Brand(id="northwind", name="Northwind", timezone="Europe/Paris",
              accounts=[Account(platform="tiktok", id="northwind")])  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "archive")


@pytest.fixture
def api() -> Iterator[FakeTikTok]:
    with FakeTikTok() as fake:
        yield fake


def urls(api: FakeTikTok) -> dict[str, str]:
    return {"tiktok": api.url, "tiktok_oauth": f"{api.url}/v2/oauth/token/"}


def test_videos_followers_and_every_page(store: LocalStore, api: FakeTikTok) -> None:
    tokens = StaticTokens({"tiktok": api.credential()})
    src = make_source(store, tokens, urls(api))
    tables = src.fetch(BRAND, START, NOW)
    posts = tables.posts.set_index("post_id")
    assert len(posts) == 6
    last = posts.loc[api.videos[-1]["id"]]
    assert (last["impressions"], last["likes"], last["comments"], last["shares"]) == (10005, 805, 35, 17)
    assert pd.isna(last["reach"]) and last["created_at"] == pd.Timestamp(
        api.videos[-1]["create_time"], unit="s", tz="UTC"
    )
    assert tables.messages.empty  # the Display API has no comments
    assert tables.followers["followers"].tolist() == [25840]
    listing = api.paths("/v2/video/list/")
    assert len(listing) == 2 and all(r.method == "POST" and r.json()["max_count"] == 20 for r in listing)
    assert (
        listing[1].json()["cursor"] == api.videos[3]["create_time"] * 1000
    )  # 3 per page, as the fake serves
    assert "view_count" in (listing[0].arg("fields") or "")
    raw = archived(store, "raw/northwind/tiktok/northwind/")
    assert len(raw) == src.last_report.accounts[0].requests == 3
    assert src.last_report.ok, src.last_report.lines()
    Lake(store).write(BRAND.id, BRAND.tz, tables)


def test_rotated_refresh_token_is_written_back_and_used_next_run(
    store: LocalStore, api: FakeTikTok, tmp_path: Path
) -> None:
    """TikTok rotates the refresh token on every refresh and the old one dies: the new one must reach
    the token store, or the next run cannot fetch at all."""
    path = tmp_path / "tokens.json"
    path.write_text(
        json.dumps({"tiktok": {"northwind": api.credential()}, "x": "AAAA-other"}), encoding="utf-8"
    )
    path.chmod(0o600)
    src = make_source(store, FileTokens(path), urls(api))
    src.fetch(BRAND, START, NOW)
    src.commit()
    assert src.last_report.ok, src.last_report.lines()
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["tiktok"]["northwind"]["refresh_token"] == api.refresh_token == "rft.tiktok-refresh-1"
    assert saved["x"] == "AAAA-other" and path.stat().st_mode & 0o777 == 0o600
    token_call = api.paths("/v2/oauth/token/")[0]
    assert token_call.form["client_key"] == [api.client_key] and "client_id" not in token_call.form

    api.videos.append(
        {
            **api.videos[-1],
            "id": "7300000000000000099",
            "create_time": int((NOW + timedelta(hours=1)).timestamp()),
        }
    )
    api.requests.clear()
    later = make_source(store, FileTokens(path), urls(api), now=NOW + timedelta(hours=2))  # a new process
    tables = later.fetch(BRAND, NOW, NOW + timedelta(hours=2))
    assert later.last_report.ok, later.last_report.lines()
    account = later.last_report.accounts[0]
    assert (account.new_posts, account.refetched_posts) == (1, 6)
    assert json.loads(path.read_text())["tiktok"]["northwind"]["refresh_token"] == "rft.tiktok-refresh-2"
    assert len(tables.posts) == 7
    for stored in Path(store.location).rglob("*"):
        if stored.is_file():
            data = stored.read_bytes()
            text = gzip.decompress(data) if stored.suffix == ".gz" else data
            for secret in ("rft.tiktok-refresh", "act.tiktok-access", api.client_secret):
                assert secret.encode() not in text, stored


def test_a_store_that_cannot_keep_the_rotated_token_is_an_error(store: LocalStore, api: FakeTikTok) -> None:
    env = {"PULSE_TOKEN_TIKTOK": json.dumps(api.credential())}
    src = make_source(store, ChainTokens(EnvTokens(env)), urls(api))
    tables = src.fetch(BRAND, START, NOW)
    assert len(tables.posts) == 6  # this run has its access token
    (error,) = src.last_report.accounts[0].errors
    assert "rotated" in error and "cannot store" in error and api.refresh_token not in error


def test_incremental_listing_stops_at_the_window_and_queries_the_rest(
    store: LocalStore, api: FakeTikTok
) -> None:
    tokens = StaticTokens({"tiktok": api.credential()})
    src = make_source(store, tokens, urls(api))
    src.fetch(BRAND, START, NOW)
    src.commit()
    api.requests.clear()
    api.unlisted = {api.videos[4]["id"]}  # a page may leave videos out (trust and safety)
    later = make_source(store, tokens, urls(api), now=NOW + timedelta(hours=2), refetch_days=3)
    tables = later.fetch(BRAND, NOW, NOW + timedelta(hours=2))
    assert len(api.paths("/v2/video/list/")) == 1  # the first page reaches past the 3-day window
    (query,) = api.paths("/v2/video/query/")  # the window's video the listing left out, by id
    assert query.json()["filters"]["video_ids"] == [api.videos[4]["id"]]
    assert set(tables.posts["post_id"]) == {api.videos[4]["id"], api.videos[5]["id"]}
    assert later.last_report.accounts[0].refetched_posts == 2


def test_expired_access_token_and_rate_limit(store: LocalStore, api: FakeTikTok) -> None:
    tokens = StaticTokens({"tiktok": api.credential()})
    api.fail("/v2/video/list/", 429, json.dumps({"data": {}, "error": {"code": "rate_limit_exceeded",
              "message": "API rate limit exceeded", "log_id": "x"}}), {"Retry-After": "3"})  # fmt: skip
    clock = FakeClock()
    src = make_source(store, tokens, urls(api), clock=clock)
    tables = src.fetch(BRAND, START, NOW)
    assert clock.sleeps == [3.0] and len(tables.posts) == 6 and src.last_report.ok
