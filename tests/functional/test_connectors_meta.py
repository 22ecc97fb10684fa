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
    followers = (
        tables.followers.sort_values("date").groupby("platform")["followers"].last()
    )  # today: the snapshot
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
    insight_calls = api.paths(r"/v24\.0/1790\d+/insights")  # the media's (not the account's)
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


# ---------------------------------------------------------------- what the real Graph API does (issue #12)


def lake_posts(store: LocalStore, platform: str) -> pd.DataFrame:
    from pulse.lake import Lake

    lake = Lake(store)
    frame = lake.read("posts", BRAND.id, lake.months("posts", BRAND.id))
    return frame[frame["platform"] == platform].set_index("post_id").sort_index()


def run_into_lake(store: LocalStore, api: FakeGraph, **kwargs: object):  # type: ignore[no-untyped-def]
    from pulse.lake import Lake

    src = source(store, api, **kwargs)
    Lake(store).write(BRAND.id, BRAND.tz, src.fetch(BRAND, START, NOW))
    src.commit()
    return src


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_throttling_error_code_on_a_400_is_no_refusal(store: LocalStore, api: FakeGraph, code: int) -> None:
    """Meta throttles with codes 4/17/32/613/800xx on a 400: the account stops for this run,
    nothing is re-fetched without insights, the known views stay, the checkpoint stays."""
    from tests.functional.platform_fakes import meta_error

    run_into_lake(store, api)
    known = lake_posts(store, "facebook")
    assert known["impressions"].notna().all()
    state = source(store, api).checkpoints.load(BRAND.id, "facebook", "104000000000001")

    api.fail(r"/v24\.0/\d+/published_posts", 400, meta_error(code), times=10)
    second = run_into_lake(store, api)
    report = {a.platform: a for a in second.last_report.accounts}
    assert report["facebook"].rate_limited and f"error code {code}" in report["facebook"].rate_limited
    assert not any("refused" in w for w in report["facebook"].schema_warnings)
    assert len(api.paths(r"/v24\.0/\d+/published_posts")) == 3  # 2 pages on the first run, 1 throttled now
    pd.testing.assert_frame_equal(lake_posts(store, "facebook"), known)
    assert second.checkpoints.load(BRAND.id, "facebook", "104000000000001").stream("posts") == state.stream(
        "posts"
    )
    assert (
        report["instagram"].new_posts == 0 and not report["instagram"].rate_limited
    )  # the other account runs
    assert any("rate limit" in p for p in second.problems())


def test_throttling_with_an_announced_short_wait_is_waited(store: LocalStore, api: FakeGraph) -> None:
    from tests.functional.platform_fakes import FakeClock, meta_error

    api.regain_minutes = 2
    api.fail(
        r"/v24\.0/\d+/insights", 403, meta_error(80002, "(#80002) too many calls to this Instagram account")
    )
    clock = FakeClock()
    src = source(store, api, clock=clock)
    tables = src.fetch(BRAND, START, NOW)
    assert clock.sleeps == [120.0]  # estimated_time_to_regain_access, in minutes
    assert src.last_report.ok and len(tables.posts[tables.posts["platform"] == "instagram"]) == 3


def test_refused_insights_on_a_later_run_never_erase_known_views(store: LocalStore, api: FakeGraph) -> None:
    run_into_lake(store, api)
    known = lake_posts(store, "facebook")
    api.refuse_post_insights = True
    api.posts.append(api.fb_post(9, NOW + timedelta(hours=1)))
    later = source(store, api, now=NOW + timedelta(hours=2))
    from pulse.lake import Lake

    Lake(store).write(BRAND.id, BRAND.tz, later.fetch(BRAND, START, NOW + timedelta(hours=2)))
    assert any("post insights refused" in w for w in later.last_report.schema_warnings)
    after = lake_posts(store, "facebook")
    pd.testing.assert_frame_equal(after.loc[known.index, ["impressions", "reach", "clicks"]],
                                  known[["impressions", "reach", "clicks"]])  # fmt: skip
    assert pd.isna(after.loc[api.posts[-1]["id"], "impressions"])  # the new post: unknown, kept


def test_usage_headers_near_the_limit_stop_before_being_throttled(store: LocalStore, api: FakeGraph) -> None:
    api.usage = {"call_count": 97, "total_cputime": 20, "total_time": 30}
    api.regain_minutes = 25
    src = source(store, api)
    src.fetch(BRAND, START, NOW)
    report = {a.platform: a for a in src.last_report.accounts}
    for platform in ("facebook", "instagram"):
        assert report[platform].requests == 1, report[platform].line()  # the first answer said 97 %
        assert "97%" in (report[platform].rate_limited or "") and "25 min" in report[platform].rate_limited
        assert any("usage at 97%" in w for w in report[platform].schema_warnings)


def test_every_page_of_instagram_comment_replies(store: LocalStore, api: FakeGraph) -> None:
    comment = api.ig_comments[api.media[-1]["id"]][0]
    for n in range(3, 7):
        comment["replies"]["data"].append({"id": f"1800000000000000{n}", "text": f"+1 ({n})",
                                           "timestamp": api.t(NOW - timedelta(minutes=60 - n)), "username": f"fan{n}"})  # fmt: skip
    src = source(store, api)
    tables = src.fetch(BRAND, START, NOW)
    messages = tables.messages[tables.messages["platform"] == "instagram"].set_index("message_id")
    assert len(messages) == 6 and (messages.drop(comment["id"])["in_reply_to"] == comment["id"]).all()
    assert api.paths(rf"/v24\.0/{comment['id']}/replies")


def test_fresh_media_have_empty_insights_without_a_warning(store: LocalStore, api: FakeGraph) -> None:
    fresh = api.ig_media(7, NOW - timedelta(hours=3))
    api.media.append(fresh)
    src = source(store, api)
    tables = src.fetch(BRAND, START, NOW)
    row = tables.posts.set_index("post_id").loc[fresh["id"]]
    assert pd.isna(row["impressions"]) and pd.isna(row["reach"]) and row["likes"] == 107
    assert not src.last_report.schema_warnings, src.last_report.schema_warnings


def _old_post_with_a_comment(api: FakeGraph, days: int) -> tuple[dict, dict]:  # type: ignore[type-arg]
    post = api.fb_post(5, NOW - timedelta(days=days))
    post["comments"]["summary"]["total_count"] = 1
    comment = {"id": f"{post['id']}_950", "message": "Toujours dispo ?", "created_time": api.t(NOW - timedelta(days=days - 1)),
               "from": {"id": "5550009", "name": "Inès"}}  # fmt: skip
    api.posts.insert(0, post)
    api.comments[post["id"]] = [comment]
    return post, comment


def test_first_run_brings_the_conversations_of_its_whole_window(store: LocalStore, api: FakeGraph) -> None:
    """Onboarding with a start two months back: the posts *and* their comments, not only those of
    the last 7 days, or the first reports have no response rate."""
    post, comment = _old_post_with_a_comment(api, 40)
    src = source(store, api)
    tables = src.fetch(BRAND, NOW - timedelta(days=60), NOW)
    messages = tables.messages.set_index("message_id")
    assert messages.loc[comment["id"], "in_reply_to"] == post["id"]


def test_backfill_brings_the_conversations_of_the_older_window(store: LocalStore, api: FakeGraph) -> None:
    src = source(store, api)
    src.fetch(BRAND, START, NOW)
    src.commit()
    post, comment = _old_post_with_a_comment(api, 40)
    later = source(store, api, now=NOW + timedelta(hours=1))
    tables = later.fetch(BRAND, NOW - timedelta(days=60), NOW + timedelta(hours=1))  # pulse fetch --since
    assert comment["id"] in set(tables.messages["message_id"])
    later.commit()
    third = source(store, api, now=NOW + timedelta(hours=2))  # an ordinary run: the window only
    api.requests.clear()
    third.fetch(BRAND, NOW, NOW + timedelta(hours=2))
    assert not api.paths(rf"/v24\.0/{post['id']}/comments")
