"""Replies that arrive late on posts older than the 35-day sweep.

Platforms with a mentions or notifications stream (X, Mastodon and Bluesky with a token) catch a
reply to a 60-day-old post from the stream; the others (here Facebook) catch it with the monthly
90-day sweep, and declare that limit, which the report states per platform in English and French.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pulse.config import Account, Brand
from pulse.ingest.coverage import month_coverage, record_reply_reach
from pulse.kpis import build_report_data
from pulse.render.coverage import state_reply_reach
from pulse.render.html import render_html
from pulse.render.viewmodel import build_report_view
from pulse.storage import LocalStore
from pulse.tables import Tables
from tests.conftest import REPORT_MONTH
from tests.functional.platform_fakes import NOW, FakeBluesky, FakeGraph, FakeMastodon, FakeX, iso, make_source

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
