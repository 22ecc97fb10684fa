"""The Mastodon connector against a local fake instance."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from pulse.config import Account, Brand
from pulse.storage import LocalStore
from tests.functional.platform_fakes import NOW, FakeMastodon, archived, make_source

START = NOW - timedelta(days=10)
ACCOUNT_ID = "cafeboreal@mastodon.social"
BRAND = Brand(id="cafe-boreal", name="Café Boréal", timezone="America/Montreal",
              accounts=[Account(platform="mastodon", id=ACCOUNT_ID)])  # fmt: skip
SLUG = "cafeboreal_mastodon.social-"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "archive")


@pytest.fixture
def api() -> Iterator[FakeMastodon]:
    with FakeMastodon(token="masto-token-abcdef") as fake:
        yield fake


def test_statuses_replies_mentions_and_followers(store: LocalStore, api: FakeMastodon) -> None:
    src = make_source(store, {"mastodon": "masto-token-abcdef"}, {"mastodon": api.url})
    tables = src.fetch(BRAND, START, NOW)
    posts = tables.posts.set_index("post_id")
    assert len(posts) == 5
    first = posts.loc[api.statuses[0]["id"]]
    assert first["text"] == "Nouveau café de saison n°0 & croissants"
    assert pd.isna(first["impressions"]) and pd.isna(first["reach"])  # Mastodon has neither
    assert (first["likes"], first["shares"], first["comments"]) == (12, 4, 0)

    messages = tables.messages.set_index("message_id")
    fan, brand = api.replies[api.statuses[-1]["id"]]
    assert messages.loc[fan["id"], "in_reply_to"] == api.statuses[-1]["id"]
    assert messages.loc[fan["id"], "author"] == "lea@piaille.fr" and not messages.loc[fan["id"], "from_brand"]
    assert messages.loc[brand["id"], "from_brand"] and messages.loc[brand["id"], "in_reply_to"] == fan["id"]
    mention = api.notifications[0]["status"]
    assert messages.loc[mention["id"], "text"] == "@cafeboreal merci !"
    # the follower snapshot is dated on the brand's local calendar (Montreal: still 4 November)
    assert tables.followers["date"].tolist() == [pd.Timestamp("2026-11-05")]
    assert src.last_report.ok
    # 5 statuses in pages of 3, then an empty page: nothing older exists
    assert len(api.paths(r"/api/v1/accounts/\d+/statuses")) == 3
    keys = [o.key for o in store.list("raw/cafe-boreal/mastodon/")]
    assert keys and all(k.startswith(f"raw/cafe-boreal/mastodon/{SLUG}") for k in keys)


def test_next_run_pages_forward_from_the_checkpoint(store: LocalStore, api: FakeMastodon) -> None:
    src = make_source(store, {"mastodon": "masto-token-abcdef"}, {"mastodon": api.url})
    src.fetch(BRAND, START, NOW)
    src.commit()
    newest = max((s["id"] for s in api.statuses), key=int)
    for i in range(4):
        api.add_status(NOW + timedelta(minutes=10 + i), f"<p>encore {i}</p>")
    api.requests.clear()
    later = make_source(
        store, {"mastodon": "masto-token-abcdef"}, {"mastodon": api.url}, now=NOW + timedelta(hours=1)
    )
    tables = later.fetch(BRAND, NOW, NOW + timedelta(hours=1))
    forward = [r.arg("min_id") for r in api.paths(r"/api/v1/accounts/\d+/statuses") if r.arg("min_id")]
    assert forward[0] == newest and len(forward) == 3  # 3 + 1 new statuses, then an empty page
    assert later.last_report.accounts[0].new_posts == 4
    assert len(tables.posts) == 9  # the new ones and the re-fetched week
    later.commit()
    state = later.checkpoints.load(BRAND.id, "mastodon", ACCOUNT_ID)
    assert state.stream("statuses").since_id == max((s["id"] for s in api.statuses), key=int)
    assert [o.key for o in store.list("state/")] == [
        f"state/cafe-boreal/mastodon/{SLUG}{state_suffix(ACCOUNT_ID)}.json"
    ]


def state_suffix(account_id: str) -> str:
    import zlib

    return f"{zlib.crc32(account_id.encode()):08x}"


def test_without_token_public_data_only_and_a_warning(store: LocalStore) -> None:
    with FakeMastodon(token=None) as api:
        src = make_source(store, {}, {"mastodon": api.url})
        tables = src.fetch(BRAND, START, NOW)
    assert len(tables.posts) == 5 and len(tables.messages) == 2
    assert any("mentions" in w for w in src.last_report.schema_warnings)


def test_non_array_page_is_quarantined(store: LocalStore, api: FakeMastodon) -> None:
    api.fail(
        r"/api/v1/accounts/\d+/statuses",
        200,
        '{"error": "maintenance"}',
        {"Content-Type": "application/json"},
    )
    src = make_source(store, {"mastodon": "masto-token-abcdef"}, {"mastodon": api.url})
    tables = src.fetch(BRAND, START, NOW)
    [bad] = archived(store, "quarantine/cafe-boreal/mastodon/")
    assert "expected a JSON array" in bad["error"]
    assert tables.posts.empty and len(tables.followers) == 1
    assert src.last_report.quarantined == 1


def test_public_context_is_capped_and_the_report_says_so(store: LocalStore) -> None:
    """Without a token ``/context`` returns at most 60 replies: the run says the thread is incomplete."""
    with FakeMastodon(token=None) as api:
        post = api.statuses[-1]
        for n in range(70):
            api.replies[post["id"]].append(api.status(NOW - timedelta(minutes=90 - n), api.fan, f"<p>+1 n°{n}</p>",
                                                      post["id"], api.account["id"]))  # fmt: skip
        src = make_source(store, {}, {"mastodon": api.url})
        tables = src.fetch(BRAND, START, NOW)
    assert len(tables.messages) == 60
    assert any("at most 60" in w for w in src.last_report.schema_warnings)
