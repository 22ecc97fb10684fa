"""Facebook Pages and Instagram connectors against a local fake Graph API."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from pulse.config import Account, Brand
from pulse.storage import LocalStore
from tests.functional.platform_fakes import NOW, FakeGraph, archived, make_source

TOKEN = "EAAB-page-token-456"
START = NOW - timedelta(days=10)
BRAND = Brand(id="maison-lumiere", name="Maison Lumière", timezone="Europe/Paris",
              accounts=[Account(platform="facebook", id="104000000000001"),
                        Account(platform="instagram", id="17841400000000001")])  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "archive")


@pytest.fixture
def api() -> Iterator[FakeGraph]:
    with FakeGraph(token=TOKEN) as fake:
        yield fake


def source(store: LocalStore, api: FakeGraph, **kwargs: object):  # type: ignore[no-untyped-def]
    urls = {"facebook": f"{api.url}/v24.0", "instagram": f"{api.url}/v24.0"}
    return make_source(store, {"facebook": TOKEN, "instagram": TOKEN}, urls, **kwargs)


def test_facebook_posts_insights_comments_and_follows(store: LocalStore, api: FakeGraph) -> None:
    src = source(store, api)
    tables = src.fetch(BRAND, START, NOW)
    posts = tables.posts[tables.posts["platform"] == "facebook"].set_index("post_id")
    assert len(posts) == 4
    last = posts.loc[api.posts[-1]["id"]]
    assert (last["impressions"], last["reach"], last["clicks"]) == (2003, 1503, 33)
    assert (last["likes"], last["comments"], last["shares"]) == (43, 3, 3)
    messages = tables.messages[tables.messages["platform"] == "facebook"].set_index("message_id")
    first, answer, anonymous = api.comments[api.posts[-1]["id"]]
    assert messages.loc[first["id"], "in_reply_to"] == api.posts[-1]["id"]
    assert (
        messages.loc[answer["id"], "from_brand"] and messages.loc[answer["id"], "in_reply_to"] == first["id"]
    )
    assert pd.isna(messages.loc[anonymous["id"], "author"])  # no ``from``: author unknown, message kept
    followers = tables.followers.set_index("platform")["followers"]
    assert followers["facebook"] == 42107 and followers["instagram"] == 31245
    assert len(api.paths(r"/v24\.0/\d+/published_posts")) == 2  # page size 2: paging.next followed
    assert src.last_report.ok, src.last_report.lines()


def test_instagram_media_insights_and_comment_replies(store: LocalStore, api: FakeGraph) -> None:
    src = source(store, api)
    tables = src.fetch(BRAND, START, NOW)
    media = tables.posts[tables.posts["platform"] == "instagram"].set_index("post_id")
    assert len(media) == 3
    row = media.loc[api.media[2]["id"]]
    assert (row["impressions"], row["reach"], row["likes"], row["comments"], row["shares"], row["saves"]) == (
        3002,
        2102,
        102,
        1,
        5,
        9,
    )
    assert row["clicks"] == 0  # Instagram has no clicks: engagement counts are 0 when not given
    messages = tables.messages[tables.messages["platform"] == "instagram"].set_index("message_id")
    assert messages.loc["18000000000000001", "in_reply_to"] == api.media[2]["id"]
    assert (
        messages.loc["18000000000000002", "from_brand"]
        and messages.loc["18000000000000002", "in_reply_to"] == "18000000000000001"
    )
    insight_calls = api.paths(r"/v24\.0/\d+/insights")
    assert insight_calls[0].arg("metric") == "views,reach,likes,comments,shares,saved"


def test_graph_paging_links_never_leak_the_token(store: LocalStore, api: FakeGraph) -> None:
    src = source(store, api)
    src.fetch(BRAND, START, NOW)
    src.commit()
    # the token went in the Authorization header only, never in a URL we built
    assert not any(r.arg("access_token") for r in api.requests)
    pages = [r for r in archived(store, "raw/maison-lumiere/facebook/") if "paging" in r["body"]]
    assert any("access_token=REDACTED" in r["body"] for r in pages)
    for path in Path(store.location).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert TOKEN.encode() not in (gzip.decompress(data) if path.suffix == ".gz" else data), path


def test_refused_insights_metric_leaves_views_unknown_and_warns(store: LocalStore, api: FakeGraph) -> None:
    api.refuse_post_insights = True
    src = source(store, api)
    tables = src.fetch(BRAND, START, NOW)
    posts = tables.posts[tables.posts["platform"] == "facebook"]
    assert len(posts) == 4 and posts["impressions"].isna().all() and posts["reach"].isna().all()
    assert posts["likes"].gt(0).all()
    assert any("post insights refused" in w for w in src.last_report.schema_warnings)


def test_second_run_asks_since_the_checkpoint(store: LocalStore, api: FakeGraph) -> None:
    src = source(store, api)
    src.fetch(BRAND, START, NOW)
    src.commit()
    api.posts.append(api.fb_post(9, NOW + timedelta(hours=1)))
    api.requests.clear()
    later = source(store, api, now=NOW + timedelta(hours=2), refetch_days=1)
    tables = later.fetch(BRAND, NOW, NOW + timedelta(hours=2))
    since = int(api.paths(r"/v24\.0/\d+/published_posts")[0].arg("since") or 0)
    newest = pd.Timestamp(api.posts[3]["created_time"]).timestamp()
    assert since == int(min(newest, (NOW + timedelta(hours=2) - timedelta(days=1)).timestamp()))
    report = {a.platform: a for a in later.last_report.accounts}["facebook"]
    assert report.new_posts == 1 and report.refetched_posts == 1
    assert len(tables.posts[tables.posts["platform"] == "facebook"]) == 2
