"""The X connector against a local fake of the X API v2."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from pulse.config import Account, Brand
from pulse.lake import Lake
from pulse.storage import LocalStore
from tests.functional.platform_fakes import NOW, FakeClock, FakeX, archived, make_source

TOKEN = "x-secret-token-123"
START = NOW - timedelta(days=10)
BRAND = Brand(id="maison-lumiere", name="Maison Lumière", timezone="Europe/Paris",
              accounts=[Account(platform="x", id="maisonlumiere")])  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "archive")


@pytest.fixture
def api() -> FakeX:
    with FakeX(token=TOKEN) as fake:
        yield fake


def source(store: LocalStore, api: FakeX, **kwargs: object):  # type: ignore[no-untyped-def]
    return make_source(store, {"x": TOKEN}, {"x": api.url}, **kwargs)


def test_first_run_maps_posts_messages_followers_and_archives_every_page(
    store: LocalStore, api: FakeX
) -> None:
    src = source(store, api)
    tables = src.fetch(BRAND, START, NOW)

    posts = tables.posts.set_index("post_id")
    assert len(posts) == 7
    last = api.tweets[6]
    row = posts.loc[last["id"]]
    assert row["impressions"] == 1006 and pd.isna(row["reach"])
    assert (row["likes"], row["comments"], row["shares"], row["saves"], row["clicks"]) == (16, 1, 3, 3, 7)
    assert row["created_at"] == pd.Timestamp(last["created_at"])

    messages = tables.messages.set_index("message_id")
    assert len(messages) == 3
    complaint, question = api.mentions
    assert messages.loc[complaint["id"], "in_reply_to"] == last["id"]  # a reply to the brand's post
    assert (
        messages.loc[complaint["id"], "author"] == "camille_r"
        and not messages.loc[complaint["id"], "from_brand"]
    )
    assert pd.isna(messages.loc[question["id"], "in_reply_to"])
    answer = api.tweets[7]
    assert (
        messages.loc[answer["id"], "from_brand"]
        and messages.loc[answer["id"], "in_reply_to"] == complaint["id"]
    )

    assert tables.followers.to_dict("records") == [
        {"platform": "x", "account": "maisonlumiere", "date": pd.Timestamp("2026-11-05"), "followers": 18234}
    ]
    # 8 tweets in pages of 3 -> 3 timeline pages; every response archived under the brand
    assert len(api.paths(r"/2/users/\d+/tweets")) == 3
    raw = archived(store, "raw/maison-lumiere/x/maisonlumiere/2026-11-05/")
    assert len(raw) == len(api.requests)
    assert all(r["status"] == 200 and r["url"].startswith(api.url) for r in raw)
    report = src.last_report
    assert report.ok and report.accounts[0].new_posts == 7 and report.accounts[0].messages == 3
    # the lake accepts the tables as they are
    Lake(store).write(BRAND.id, BRAND.tz, tables)


def test_second_run_asks_only_for_new_tweets_and_refetches_recent_metrics(
    store: LocalStore, api: FakeX
) -> None:
    src = source(store, api)
    src.fetch(BRAND, START, NOW)
    assert src.commit(BRAND) == 1
    state_keys = [o.key for o in store.list("state/")]
    assert state_keys == ["state/maison-lumiere/x/maisonlumiere.json"]

    newest = max(int(t["id"]) for t in api.tweets)
    api.tweets[6]["public_metrics"]["like_count"] = 99  # metrics keep changing
    fresh = api.add_tweet(NOW + timedelta(hours=1), "Tout nouveau", likes=1)
    api.requests.clear()
    later = source(store, api, now=NOW + timedelta(hours=2))
    tables = later.fetch(BRAND, NOW, NOW + timedelta(hours=2))

    timeline = api.paths(r"/2/users/\d+/tweets")
    assert [r.arg("since_id") for r in timeline] == [str(newest)]
    assert timeline[0].arg("start_time") is None
    mentions = api.paths(r"/2/users/\d+/mentions")
    assert mentions[0].arg("since_id") == api.mentions[-1]["id"]
    posts = tables.posts.set_index("post_id")
    assert posts.loc[fresh["id"], "likes"] == 1
    assert posts.loc[api.tweets[6]["id"], "likes"] == 99  # re-fetched via /2/tweets?ids=
    account = later.last_report.accounts[0]
    assert (account.new_posts, account.refetched_posts) == (1, 7)  # every post is still in the 7-day window


def test_rate_limit_and_server_error_are_retried_after_the_announced_wait(
    store: LocalStore, api: FakeX
) -> None:
    reset = int(NOW.timestamp()) + 30
    api.fail(r"/2/users/by/username/.*", 429, "{}", {"Retry-After": "7"})
    api.fail(
        r"/2/users/\d+/tweets", 429, '{"title": "Too Many Requests"}', {"x-rate-limit-reset": str(reset)}
    )
    api.fail(r"/2/users/\d+/mentions", 500, "oops")
    api.fail(r"/2/users/\d+/mentions", 503, "oops")
    clock = FakeClock()
    src = source(store, api, clock=clock)
    tables = src.fetch(BRAND, START, NOW)
    assert clock.sleeps == [7.0, 31.0, 1.0, 2.0]  # Retry-After, reset + 1 s, then exponential backoff
    assert len(tables.posts) == 7 and len(tables.messages) == 3
    assert src.last_report.ok


def test_malformed_page_goes_to_quarantine_and_the_rest_is_kept(store: LocalStore, api: FakeX) -> None:
    api.fail(
        r"/2/users/\d+/mentions",
        200,
        b'{"data": [{"id": "1", "text": "cut',
        {"Content-Type": "application/json"},
    )
    src = source(store, api)
    tables = src.fetch(BRAND, START, NOW)
    report = src.last_report
    assert report.quarantined == 1 and not report.ok
    assert any("mentions" in e and "not valid JSON" in e for e in report.errors)
    [bad] = archived(store, "quarantine/maison-lumiere/x/maisonlumiere/")
    assert "not valid JSON" in bad["error"] and "/mentions" in bad["url"] and bad["fetched_at"]
    assert bad["raw_key"].startswith("raw/maison-lumiere/x/")
    assert len(tables.posts) == 7  # the posts are kept
    # the brand's own reply (from its timeline) and the complaint, a reply in the conversation of
    # a post, which the conversation search finds; the mention outside any conversation is lost
    assert set(tables.messages["message_id"]) == {api.tweets[7]["id"], api.mentions[0]["id"]}
    src.commit()
    assert src.checkpoints.load(BRAND.id, "x", "maisonlumiere").stream("mentions").since_id is None


def test_bad_record_is_quarantined_alone(store: LocalStore, api: FakeX) -> None:
    api.tweets[2]["created_at"] = "yesterday-ish"
    src = source(store, api)
    tables = src.fetch(BRAND, START, NOW)
    assert len(tables.posts) == 6
    [bad] = archived(store, "quarantine/")
    assert bad["item"]["id"] == api.tweets[2]["id"] and "parse" in bad["error"].lower()


def test_renamed_metric_leaves_field_unknown_and_warns(store: LocalStore) -> None:
    with FakeX(token=TOKEN, app_only=True) as api:
        for tweet in api.tweets:
            tweet["public_metrics"]["view_count"] = tweet["public_metrics"].pop("impression_count")
        src = source(store, api)
        tables = src.fetch(BRAND, START, NOW)
    assert tables.posts["impressions"].isna().all()
    assert tables.posts["likes"].gt(0).all()
    warnings = " ".join(src.last_report.schema_warnings)
    assert (
        "public_metrics.impression_count missing in 8 record(s)" in warnings
        or "impression_count missing" in warnings
    )
    assert "non_public_metrics not allowed" in warnings
    src.commit()
    stored = json.loads(store.get("state/maison-lumiere/x/maisonlumiere.json"))
    assert "non_public" not in stored and stored["version"] == 2  # found out per run, never stored


def test_time_budget_stops_cleanly_and_the_next_run_resumes(store: LocalStore, api: FakeX) -> None:
    src = source(store, api, clock=FakeClock(tick=10.0), budget_seconds=35)
    tables = src.fetch(BRAND, START, NOW)
    report = src.last_report
    assert report.stopped_by_budget and report.accounts[0].stopped_by_budget
    assert 0 < len(tables.posts) < 7
    src.commit()
    state = src.checkpoints.load(BRAND.id, "x", "maisonlumiere")
    assert state.stream("tweets").resume["token"].startswith("p")
    assert state.stream("tweets").since_id is None

    api.requests.clear()
    again = source(store, api)
    tables = again.fetch(BRAND, START, NOW)
    first = api.paths(r"/2/users/\d+/tweets")[0]
    assert first.arg("pagination_token") == state.stream("tweets").resume["token"]
    assert not again.last_report.stopped_by_budget
    again.commit()
    assert again.checkpoints.load(BRAND.id, "x", "maisonlumiere").stream("tweets").since_id == max(
        (t["id"] for t in api.tweets), key=int
    )


def test_token_never_reaches_the_archive(store: LocalStore, api: FakeX) -> None:
    api.tweets[0]["text"] = f"oops, a leaked header: Authorization: Bearer {TOKEN}"
    src = source(store, api)
    src.fetch(BRAND, START, NOW)
    src.commit()
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in api.requests)
    for path in Path(store.location).rglob("*"):
        if path.is_file():
            import gzip

            data = path.read_bytes()
            text = gzip.decompress(data) if path.suffix == ".gz" else data
            assert TOKEN.encode() not in text, path


def test_missing_token_is_reported_without_fetching(store: LocalStore, api: FakeX) -> None:
    src = make_source(store, {}, {"x": api.url})
    tables = src.fetch(BRAND, START, NOW)
    assert tables.posts.empty and not api.requests
    assert "no token for x account 'maisonlumiere'" in src.last_report.errors[0]


# ---------------------------------------------------------------- what the real API does (issue #12)


def test_private_metrics_refused_on_mentions_never_cost_the_brands_own_clicks(
    store: LocalStore, api: FakeX
) -> None:
    """Mentions are other people's tweets: asking their ``non_public_metrics`` gets a partial
    error. It must not switch private metrics off for the brand's own posts, on this run or later."""
    src = source(store, api)
    tables = src.fetch(BRAND, START, NOW)
    src.commit()
    assert all(
        "non_public_metrics" not in (r.arg("tweet.fields") or "") for r in api.paths(r"/2/users/\d+/mentions")
    )
    assert tables.posts["clicks"].eq(7).all()
    assert not src.last_report.schema_warnings

    later = source(store, api, now=NOW + timedelta(hours=2))
    tables = later.fetch(BRAND, NOW, NOW + timedelta(hours=2))
    assert len(tables.posts) == 7 and tables.posts["clicks"].eq(7).all()  # re-fetched with private metrics


def test_a_refusal_remembered_by_an_old_checkpoint_is_forgotten(store: LocalStore, api: FakeX) -> None:
    src = source(store, api)
    src.fetch(BRAND, START, NOW)
    src.commit()
    # the checkpoint as the code before December 2026 wrote it (version 1, flat, with the refusal)
    state = src.checkpoints.load(BRAND.id, "x", "maisonlumiere")
    old = {**state.ids, "non_public": False, "synced_from": state.synced_from, "recent": state.recent,
           "threads": state.threads, **{name: c.to_dict() for name, c in state.streams.items()}}  # fmt: skip
    store.put("state/maison-lumiere/x/maisonlumiere.json", json.dumps(old).encode(), "application/json")
    later = source(store, api, now=NOW + timedelta(hours=2))
    tables = later.fetch(BRAND, NOW, NOW + timedelta(hours=2))
    assert tables.posts["clicks"].eq(7).all()


def test_backfill_older_than_30_days_reads_those_posts_with_public_metrics(
    store: LocalStore, api: FakeX
) -> None:
    """With private metrics the API serves empty pages (with a next_token) for posts older than
    30 days: the older part of the window is read without them."""
    old = [
        api.add_tweet(NOW - timedelta(days=d), f"Archive {d}", likes=5, impressions=700)
        for d in (40, 45, 50, 55)
    ]
    src = source(store, api)
    tables = src.fetch(BRAND, NOW - timedelta(days=60), NOW)
    posts = tables.posts.set_index("post_id")
    assert len(posts) == 11
    for tweet in old:
        row = posts.loc[tweet["id"]]
        assert row["impressions"] == 700 and row["likes"] == 5 and row["clicks"] == 0  # clicks unknown
    assert posts.loc[api.tweets[6]["id"], "clicks"] == 7  # recent posts keep their private metrics
    older = [r for r in api.paths(r"/2/users/\d+/tweets") if r.arg("end_time")]
    assert older and all("non_public_metrics" not in (r.arg("tweet.fields") or "") for r in older)
    assert src.last_report.ok, src.last_report.lines()


def test_replies_without_a_mention_are_found_by_conversation_search(store: LocalStore, api: FakeX) -> None:
    post = api.tweets[5]
    quiet = api.add_reply(NOW - timedelta(hours=3), "901", "Trop beau, où l'acheter ?", post)
    src = source(store, api)
    tables = src.fetch(BRAND, START, NOW)
    messages = tables.messages.set_index("message_id")
    assert messages.loc[quiet["id"], "in_reply_to"] == post["id"]
    assert messages.loc[quiet["id"], "author"] == "tom_h" and not messages.loc[quiet["id"], "from_brand"]
    assert set(api.tweets[i]["id"] for i in range(7)).isdisjoint(messages.index)  # the posts stay posts
    searches = api.paths(r"/2/tweets/search/recent")
    assert searches and all("conversation_id:" in (r.arg("query") or "") for r in searches)
    assert all("non_public_metrics" not in (r.arg("tweet.fields") or "") for r in searches)


def test_backfill_searches_older_conversations_in_the_full_archive(store: LocalStore) -> None:
    with FakeX(token=TOKEN) as api:
        post = api.add_tweet(NOW - timedelta(days=20), "Collection d'automne", likes=3)
        quiet = api.add_reply(NOW - timedelta(days=19), "900", "Dispo en 38 ?", post)
        src = source(store, api)
        tables = src.fetch(BRAND, NOW - timedelta(days=30), NOW)
        assert quiet["id"] in set(tables.messages["message_id"])
        assert api.paths(r"/2/tweets/search/all")
    with FakeX(token=TOKEN, full_archive=False) as api:
        post = api.add_tweet(NOW - timedelta(days=20), "Collection d'automne", likes=3)
        api.add_reply(NOW - timedelta(days=19), "900", "Dispo en 38 ?", post)
        src = source(LocalStore(Path(store.location) / "second"), api)
        tables = src.fetch(BRAND, NOW - timedelta(days=30), NOW)
        assert len(tables.posts) == 8 and src.last_report.ok
        assert any("full-archive search refused" in w for w in src.last_report.schema_warnings)


def test_usage_cap_stops_the_account_without_retrying(store: LocalStore, api: FakeX) -> None:
    """429 with the ``usage-capped`` problem: the billing period's cap is reached, retrying cannot help
    (https://docs.x.com/x-api/fundamentals/rate-limits)."""
    capped = ('{"title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap", '
              '"type": "https://api.twitter.com/2/problems/usage-capped", "period": "Monthly", "scope": "Product"}')  # fmt: skip
    api.fail(r"/2/users/\d+/tweets", 429, capped, {"Content-Type": "application/json"})
    clock = FakeClock()
    src = source(store, api, clock=clock)
    src.fetch(BRAND, START, NOW)
    account = src.last_report.accounts[0]
    assert "usage cap" in (account.rate_limited or "") and clock.sleeps == [] and not account.errors
    assert len(api.paths(r"/2/users/\d+/tweets")) == 1 and not api.paths(r"/2/users/\d+/mentions")
    src.commit()
    assert src.checkpoints.load(BRAND.id, "x", "maisonlumiere").stream("tweets").since_id is None


def test_conversation_search_reads_each_reply_about_once(store: LocalStore, api: FakeX) -> None:
    """X bills every post read: the next run searches from where the last one ended (an hour back)."""
    post = api.tweets[5]
    api.add_reply(NOW - timedelta(days=1), "901", "Premier avis", post)
    src = source(store, api)
    src.fetch(BRAND, START, NOW)
    src.commit()
    later_now = NOW + timedelta(hours=6)
    late = api.add_reply(NOW + timedelta(hours=2), "900", "Et la taille 40 ?", post)
    api.requests.clear()
    later = source(store, api, now=later_now)
    tables = later.fetch(BRAND, NOW, later_now)
    assert late["id"] in set(tables.messages["message_id"])
    starts = {r.arg("start_time") for r in api.paths(r"/2/tweets/search/recent")}
    assert starts == {(NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
