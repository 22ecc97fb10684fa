"""Replies that arrive late on posts older than the 35-day sweep.

Platforms with a mentions or notifications stream (X, Mastodon and Bluesky with a token) catch a
reply to a 60-day-old post from the stream; the others (here Facebook) catch it with the monthly
90-day sweep, and declare that limit, which the report states per platform in English and French.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pulse.config import Account, Brand
from pulse.connectors.archive import state_key
from pulse.connectors.checkpoint import Checkpoint
from pulse.ingest.coverage import month_coverage, record_reply_reach
from pulse.kpis import build_report_data
from pulse.kpis.core import first_responses
from pulse.period import Month, Period
from pulse.render.coverage import state_reply_reach
from pulse.render.html import render_html
from pulse.render.viewmodel import build_report_view
from pulse.storage import LocalStore
from pulse.tables import Tables
from tests.conftest import REPORT_MONTH
from tests.functional.platform_fakes import (
    NOW,
    FakeBluesky,
    FakeGraph,
    FakeLinkedIn,
    FakeMastodon,
    FakeX,
    iso,
    make_source,
)

LATER = NOW + timedelta(days=1)
OLD = NOW - timedelta(days=60)


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "archive")


def messages_of(tables: Any, platform: str) -> Any:
    return tables.messages[tables.messages["platform"] == platform].set_index("message_id")


def test_x_catches_a_reply_to_a_60_day_old_post_from_the_mentions_timeline(store: LocalStore) -> None:
    brand = Brand(id="maison-lumiere", name="Maison Lumière", timezone="Europe/Paris",
                  accounts=[Account(platform="x", id="maisonlumiere")])  # fmt: skip
    with FakeX(token="x-token-abc") as api:
        old = api.add_tweet(OLD, "Un vieux post")
        first = make_source(store, {"x": "x-token-abc"}, {"x": api.url})
        first.fetch(brand, NOW - timedelta(days=3), NOW)
        first.commit()
        reply = api.add_mention(
            LATER - timedelta(hours=2), "900", "@maisonlumiere toujours dispo ?", reply_to=old["id"]
        )
        api.now = LATER
        later = make_source(store, {"x": "x-token-abc"}, {"x": api.url}, now=LATER)
        tables = later.fetch(brand, LATER - timedelta(days=3), LATER)
    assert later.last_report.ok, later.last_report.lines()
    messages = messages_of(tables, "x")
    assert messages.loc[reply["id"], "in_reply_to"] == old["id"]
    assert later.reply_reach() == {"x": "any"}


def test_mastodon_with_a_token_catches_a_reply_to_a_60_day_old_post(store: LocalStore) -> None:
    brand = Brand(id="cafe-boreal", name="Café Boréal", timezone="America/Montreal",
                  accounts=[Account(platform="mastodon", id="cafeboreal@mastodon.social")])  # fmt: skip
    with FakeMastodon(token="masto-token-abcdef") as api:
        old = api.add_status(OLD, "<p>Un vieux post</p>")
        tokens = {"mastodon": "masto-token-abcdef"}
        first = make_source(store, tokens, {"mastodon": api.url})
        first.fetch(brand, NOW - timedelta(days=3), NOW)
        first.commit()
        at = LATER - timedelta(hours=2)
        reply = api.status(at, api.fan, "<p>@cafeboreal encore en vente ?</p>", old["id"], api.account["id"])
        api.notifications.append(
            {"id": "502", "type": "mention", "created_at": iso(at), "account": api.fan, "status": reply}
        )
        later = make_source(store, tokens, {"mastodon": api.url}, now=LATER)
        tables = later.fetch(brand, LATER - timedelta(days=3), LATER)
    assert later.last_report.ok, later.last_report.lines()
    assert messages_of(tables, "mastodon").loc[reply["id"], "in_reply_to"] == old["id"]
    assert later.reply_reach() == {"mastodon": "any"}
    # without a token there is no notifications stream: the limit is the deepest sweep
    without = make_source(store, {}, {"mastodon": "http://127.0.0.1:9"}, now=LATER)
    without.fetch(brand, LATER - timedelta(days=3), LATER)
    assert without.reply_reach() == {"mastodon": 90}


def test_bluesky_with_an_app_password_catches_a_reply_to_a_60_day_old_post(store: LocalStore) -> None:
    brand = Brand(id="cafe-boreal", name="Café Boréal", timezone="Europe/Paris",
                  accounts=[Account(platform="bluesky", id="cafeboreal.bsky.social")])  # fmt: skip
    with FakeBluesky() as api:
        author = {"did": FakeBluesky.DID, "handle": api.handle}
        old = api.post(author, "3koldpost", OLD, "Un vieux post")["post"]
        urls = {"bluesky": api.url, "bluesky_pds": api.url}
        tokens = {"bluesky": api.app_password}
        first = make_source(store, tokens, urls)
        first.fetch(brand, NOW - timedelta(days=3), NOW)
        first.commit()
        fan = {"did": "did:plc:fan0000000000000000000", "handle": "lea.bsky.social"}
        reply = api.post(
            fan, "3klatereply", LATER - timedelta(hours=2), "Toujours vrai ?", parent=old["uri"]
        )["post"]
        api.notifications.append({**reply, "reason": "reply", "reasonSubject": old["uri"], "isRead": False})
        api.now = LATER
        later = make_source(store, tokens, urls, now=LATER)
        tables = later.fetch(brand, LATER - timedelta(days=3), LATER)
    assert later.last_report.ok, later.last_report.lines()
    assert messages_of(tables, "bluesky").loc[reply["uri"], "in_reply_to"] == old["uri"]
    assert later.reply_reach() == {"bluesky": "any"}


def test_facebook_catches_a_reply_to_a_60_day_old_post_with_the_monthly_sweep(store: LocalStore) -> None:
    """No stream: the thread of a 60-day-old post stays followed and is walked by the four-weekly
    90-day sweep, where it used to be dropped after 35 days (and the reply never seen)."""
    brand = Brand(id="maison-lumiere", name="Maison Lumière", timezone="Europe/Paris",
                  accounts=[Account(platform="facebook", id="104000000000001")])  # fmt: skip
    with FakeGraph() as api:
        old = api.fb_post(9, OLD)
        old["comments"]["summary"]["total_count"] = 1
        api.posts.append(old)
        api.comments[old["id"]] = [
            {"id": f"{old['id']}_801", "message": "Joli", "created_time": api.t(OLD + timedelta(days=1)),
             "from": {"id": "5550001", "name": "Camille R."}},
        ]  # fmt: skip
        urls = {"facebook": f"{api.url}/v24.0"}
        first = make_source(store, {"facebook": api.token}, urls)
        first.fetch(brand, NOW - timedelta(days=70), NOW)  # onboarding: 70 days back, threads walked
        first.commit()
        late = {"id": f"{old['id']}_802", "message": "Encore dispo ?", "created_time": api.t(LATER - timedelta(hours=2)),
                "from": {"id": "5550002", "name": "Tom H."}}  # fmt: skip
        api.comments[old["id"]].append(late)
        daily = make_source(store, {"facebook": api.token}, urls, now=LATER)
        tables = daily.fetch(brand, LATER - timedelta(days=3), LATER)
        daily.commit()
        assert late["id"] not in set(tables.messages["message_id"])  # older than the weekly sweep
        deep_at = NOW + timedelta(days=28)
        deep = make_source(store, {"facebook": api.token}, urls, now=deep_at)
        tables = deep.fetch(brand, deep_at - timedelta(days=3), deep_at)
    assert deep.last_report.ok, deep.last_report.lines()
    assert messages_of(tables, "facebook").loc[late["id"], "in_reply_to"] == old["id"]
    assert deep.reply_reach() == {"facebook": 90}


# ---------------------------------------------------------------- LinkedIn: the notifications stream


LI_BRAND = Brand(id="maison-lumiere", name="Maison Lumière", timezone="Europe/Paris",
                 accounts=[Account(platform="linkedin", id=FakeLinkedIn.ORG)])  # fmt: skip
LI_TOKENS = {"linkedin": "li-token-789xyz"}


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def li_old_post(api: FakeLinkedIn, n: int, at: datetime) -> str:
    urn = f"urn:li:share:69000000000000000{n}"
    api.posts.insert(0, {"id": urn, "author": FakeLinkedIn.ORG, "commentary": f"Old post {n}", "visibility": "PUBLIC",
                      "lifecycleState": "PUBLISHED", "createdAt": ms(at), "publishedAt": ms(at)})  # fmt: skip
    return urn


def li_comment(api: FakeLinkedIn, post: str, n: int, at: datetime, actor: str, text: str,
               parent: str | None = None) -> dict[str, Any]:  # fmt: skip
    comment = {"id": f"72000000000000000{n}", "commentUrn": f"urn:li:comment:({post},72000000000000000{n})",
               "actor": actor, "message": {"text": text}, "created": {"time": ms(at), "actor": actor}, "object": post}  # fmt: skip
    if parent:
        comment["parentComment"] = parent
    api.comments.setdefault(post, []).append(comment)
    return comment


def li_state(store: LocalStore) -> dict[str, Any]:
    return json.loads(store.get(state_key(LI_BRAND.id, "linkedin", FakeLinkedIn.ORG)))


def test_linkedin_catches_a_comment_made_today_on_a_200_day_old_post_from_the_notifications(
    store: LocalStore,
) -> None:
    """A comment on a 200-day-old post (far past the 90-day sweep) comes from the organisation's
    notifications, linked to its post, with the brand's answer: the response time is known."""
    with FakeLinkedIn() as api:
        old = li_old_post(api, 1, NOW - timedelta(days=200))
        older = li_old_post(api, 2, NOW - timedelta(days=400))
        first = make_source(store, LI_TOKENS, {"linkedin": f"{api.url}/rest"})
        first.fetch(LI_BRAND, NOW - timedelta(days=3), NOW)
        first.commit()
        fan = li_comment(api, old, 1, LATER - timedelta(hours=3), "urn:li:person:fan1", "Toujours en stock ?")
        answer = li_comment(
            api, old, 2, LATER - timedelta(hours=1), FakeLinkedIn.ORG, "Oui !", fan["commentUrn"]
        )
        other = li_comment(api, older, 3, LATER - timedelta(hours=2), "urn:li:person:fan2", "Et celui-ci ?")
        api.now, api.notification_page = LATER, 1  # one notification a page: paging.total is followed
        later = make_source(store, LI_TOKENS, {"linkedin": f"{api.url}/rest"}, now=LATER)
        tables = later.fetch(LI_BRAND, LATER - timedelta(days=3), LATER)
        later.commit()
        calls = api.paths("/rest/organizationalEntityNotifications")
    assert later.last_report.ok, later.last_report.lines()
    messages = messages_of(tables, "linkedin")
    assert messages.loc[fan["commentUrn"], "in_reply_to"] == old
    assert not messages.loc[fan["commentUrn"], "from_brand"]
    assert messages.loc[answer["commentUrn"], "from_brand"]
    assert messages.loc[answer["commentUrn"], "in_reply_to"] == fan["commentUrn"]
    assert messages.loc[other["commentUrn"], "in_reply_to"] == older
    answered = first_responses(tables.messages, Period.for_month(Month(2026, 11), LI_BRAND.tz))
    assert answered.set_index("message_id").loc[fan["commentUrn"], "response_minutes"] == 120
    assert later.reply_reach() == {"linkedin": "any"}
    assert len(calls) >= 2 and all(c.arg("q") == "criteria" for c in calls)
    # the cursor moved to the newest notification: the next run starts there
    assert (
        li_state(store)["streams"]["notifications"]["newest_time"] == (LATER - timedelta(hours=2)).isoformat()
    )


def test_linkedin_first_notifications_read_goes_back_60_days_at_most(store: LocalStore) -> None:
    """Notifications are kept 60 days: a first run over 120 days asks for 60 (the fake, like LinkedIn,
    returns no older ones), and its comments older than that come from the threads walk."""
    with FakeLinkedIn() as api:
        src = make_source(store, LI_TOKENS, {"linkedin": f"{api.url}/rest"})
        src.fetch(LI_BRAND, NOW - timedelta(days=120), NOW)
        (call,) = api.paths("/rest/organizationalEntityNotifications")
    span = call.arg("timeRange") or ""
    start = int(span.split(",")[0].removeprefix("(start:"))
    assert start == ms(NOW - timedelta(days=60))
    assert src.reply_reach() == {"linkedin": "any"}


def test_linkedin_refused_notifications_keep_the_other_streams_and_the_90_day_limit(
    store: LocalStore, demo_tables: dict[str, Tables], english_brand: Brand
) -> None:
    """A token whose member is not an ADMINISTRATOR of the page gets a 403 from the notifications
    finder: posts, statistics and comments still come, the account says why, and the report keeps
    stating LinkedIn's 90-day limit."""
    with FakeLinkedIn() as api:
        api.admin = False
        old = li_old_post(api, 1, NOW - timedelta(days=200))
        fan = li_comment(api, old, 1, NOW - timedelta(hours=3), "urn:li:person:fan1", "Toujours en stock ?")
        src = make_source(store, LI_TOKENS, {"linkedin": f"{api.url}/rest"})
        tables = src.fetch(LI_BRAND, NOW - timedelta(days=3), NOW)
        (refused,) = api.paths("/rest/organizationalEntityNotifications")
    report = src.last_report
    assert report.ok, report.lines()
    (account,) = report.accounts
    assert account.posts == 3 and account.messages == 2 and account.followers == 1
    assert any("notifications refused (HTTP 403" in w for w in account.schema_warnings)
    assert fan["commentUrn"] not in set(tables.messages["message_id"])
    assert src.reply_reach() == {"linkedin": 90}
    assert refused.arg("q") == "criteria"
    month = REPORT_MONTH
    data = build_report_data(demo_tables[english_brand.id], month.period(english_brand.tz),
                             platforms=english_brand.platforms, opening_hours=english_brand.opening_hours)  # fmt: skip
    plain = build_report_view(english_brand, data, datetime(2026, 11, 2, 8, tzinfo=UTC))
    stated = state_reply_reach(plain, src.reply_reach(), "en")
    assert stated.notes[len(plain.notes) :] == [
        "LinkedIn: replies to posts published more than 90 days before the end of the period are not fetched."
    ]


@pytest.mark.parametrize("version", [1, 2])
def test_linkedin_checkpoints_written_before_the_notifications_stream_still_load(
    store: LocalStore, version: int
) -> None:
    """A checkpoint without a notifications cursor (version 2 of last week, or the flat version 1)
    loads; the first notifications read then covers the window, and the cursor is saved."""
    with FakeLinkedIn() as api:
        old = li_old_post(api, 1, NOW - timedelta(days=200))
        first = make_source(store, LI_TOKENS, {"linkedin": f"{api.url}/rest"})
        first.fetch(LI_BRAND, NOW - timedelta(days=3), NOW)
        first.commit()
        doc = li_state(store)
        doc["streams"].pop("notifications")
        if version == 1:  # flat: streams and ids at the top level, no version key
            flat = {k: v for k, v in doc.items() if k not in ("version", "streams", "ids", "deep_swept_at")}
            doc = {**flat, **doc["streams"], **doc["ids"]}
        store.put(state_key(LI_BRAND.id, "linkedin", FakeLinkedIn.ORG), json.dumps(doc).encode())
        assert Checkpoint.from_dict(doc).stream("notifications").newest_time is None
        fan = li_comment(api, old, 1, LATER - timedelta(hours=3), "urn:li:person:fan1", "Toujours en stock ?")
        api.now = LATER
        later = make_source(store, LI_TOKENS, {"linkedin": f"{api.url}/rest"}, now=LATER)
        tables = later.fetch(LI_BRAND, LATER - timedelta(days=3), LATER)
        later.commit()
    assert later.last_report.ok, later.last_report.lines()
    assert messages_of(tables, "linkedin").loc[fan["commentUrn"], "in_reply_to"] == old
    saved = li_state(store)
    assert saved["version"] == 2 and saved["streams"]["notifications"]["newest_time"]


# ---------------------------------------------------------------- the report says so


@pytest.mark.parametrize(
    ("brand_fixture", "limited", "none"),
    [
        (
            "english_brand",
            "Facebook, Instagram, LinkedIn, Mastodon: replies to posts published more than 90 days before "
            "the end of the period are not fetched.",
            "TikTok: replies are not fetched (the platform's API gives none).",
        ),
        (
            "french_brand",
            "Facebook, Instagram, LinkedIn, Mastodon : les réponses aux publications parues plus de 90 jours "
            "avant la fin de la période ne sont pas récupérées.",
            "TikTok : les réponses ne sont pas récupérées (l'API de la plateforme n'en fournit pas).",
        ),
    ],
)
def test_the_report_states_the_reply_limit_of_the_platforms_without_a_stream(
    store: LocalStore,
    demo_tables: dict[str, Tables],
    request: pytest.FixtureRequest,
    brand_fixture: str,
    limited: str,
    none: str,
) -> None:
    """What the fetches recorded (the connectors' declarations) becomes one sentence per limit,
    in the brand's language; platforms that catch replies to posts of any age are not named."""
    brand: Brand = request.getfixturevalue(brand_fixture)
    month = REPORT_MONTH
    start = month.period(brand.tz).start
    reach = {"x": "any", "facebook": 90, "instagram": 90, "linkedin": 90, "tiktok": 0, "mastodon": "any"}
    record_reply_reach(store, brand.id, brand.tz, start, start + timedelta(days=3), reach)
    # a later run of the month without the Mastodon token: the narrower reach is kept
    record_reply_reach(store, brand.id, brand.tz, start, start + timedelta(days=3), {"mastodon": 90})
    data = build_report_data(
        demo_tables[brand.id], month.period(brand.tz), platforms=brand.platforms,
        opening_hours=brand.opening_hours,
    )  # fmt: skip
    coverage = month_coverage(store, brand.id, month, data.kpi_set)
    assert coverage["reply_reach"] == {**reach, "mastodon": 90}
    plain = build_report_view(brand, data, datetime(2026, 11, 2, 8, tzinfo=UTC))
    stated = state_reply_reach(plain, coverage["reply_reach"], brand.language)
    assert stated.notes[len(plain.notes) :] == [none, limited]
    page = html.unescape(render_html(stated))
    assert limited in page and none in page
    assert state_reply_reach(plain, {"x": "any", "youtube": "any"}, brand.language) == plain
