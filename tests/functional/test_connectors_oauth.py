"""Refresh credentials: exchanged at a loopback OAuth token endpoint, cached, never stored or logged."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from pulse.config import Account, Brand
from pulse.connectors import HttpClient, RetryPolicy
from pulse.connectors.tokens import EnvTokens, OAuthTokens, RefreshCredential, StaticTokens
from pulse.exceptions import ConfigError, SourceError
from pulse.storage import LocalStore
from tests.functional.platform_fakes import NOW, FakeClock, FakeOAuth, FakeYouTube, make_source

START = NOW - timedelta(days=10)
BRAND = Brand(id="northwind", name="Northwind", timezone="America/New_York",
              accounts=[Account(platform="youtube", id=FakeYouTube.CHANNEL)])  # fmt: skip


def secrets_of(oauth: FakeOAuth) -> list[str]:
    return [oauth.refresh_token, oauth.client_secret, oauth.access_token]


def stored_text(store: LocalStore) -> str:
    return "\n".join(store.get(o.key).decode("utf-8", "replace") for o in store.list(""))


def test_youtube_refresh_credential_is_exchanged_once_and_never_stored(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "archive")
    with FakeOAuth() as oauth, FakeYouTube() as yt:
        urls = {"youtube": f"{yt.url}/youtube/v3", "youtube_analytics": f"{yt.url}/v2",
                "youtube_oauth": f"{oauth.url}/token"}  # fmt: skip
        src = make_source(store, {"youtube": oauth.credential()}, urls)
        tables = src.fetch(BRAND, START, NOW)
        src.commit()
        src.fetch(BRAND, START, NOW)  # the cached access token is still valid: no second exchange
        assert oauth.issued == 1
        (exchange,) = oauth.requests
        assert exchange.method == "POST" and exchange.form["grant_type"] == ["refresh_token"]
        # every YouTube call carried the exchanged token (the fake answers 401 otherwise)
        assert yt.requests and all(
            r.headers["authorization"] == f"Bearer {oauth.access_token}" for r in yt.requests
        )
    assert src.problems() == []
    assert len(tables.posts[tables.posts["platform"] == "youtube"]) == len(yt.videos)
    text = stored_text(store) + json.dumps(src.report()) + repr(src.http.log)
    for secret in secrets_of(oauth):
        assert secret not in text


def test_revoked_refresh_token_says_what_to_do_and_fetches_nothing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "archive")
    with FakeOAuth() as oauth, FakeYouTube() as yt:
        urls = {"youtube": f"{yt.url}/youtube/v3", "youtube_analytics": f"{yt.url}/v2",
                "youtube_oauth": f"{oauth.url}/token"}  # fmt: skip
        revoked = {**oauth.credential(), "refresh_token": "1//0g-revoked"}
        src = make_source(store, {"youtube": {FakeYouTube.CHANNEL: revoked}}, urls)
        tables = src.fetch(BRAND, START, NOW)
        assert yt.requests == []
    (problem,) = src.problems()
    assert "youtube account" in problem and FakeYouTube.CHANNEL in problem
    assert "HTTP 400: invalid_grant" in problem and "authorise the account again" in problem
    assert tables.posts.empty
    assert "1//0g-revoked" not in problem + json.dumps(src.report()) + stored_text(store)


def test_access_token_is_renewed_before_it_expires() -> None:
    now = [1_800_000_000.0]
    with FakeOAuth(expires_in=3600) as oauth:
        clock = FakeClock()
        http = HttpClient(timeout=5, retry=RetryPolicy(jitter=lambda: 1.0), sleep=clock.sleep, clock=clock)
        tokens = OAuthTokens(http, {"youtube": f"{oauth.url}/token"}, clock=lambda: now[0], margin=300)
        credential = RefreshCredential(oauth.refresh_token, oauth.client_id, oauth.client_secret)
        assert tokens.access_token("youtube", "UC1", credential) == oauth.access_token
        now[0] += 3000  # 10 minutes left: still used
        tokens.access_token("youtube", "UC1", credential)
        assert oauth.issued == 1
        now[0] += 400  # within the 5-minute margin: renewed
        tokens.access_token("youtube", "UC1", credential)
        assert oauth.issued == 2
        oauth.fail("/token", 503, times=1)  # a flaky token endpoint is retried like any call
        now[0] += 4000
        tokens.access_token("youtube", "UC1", credential)
        assert oauth.issued == 3


def test_token_endpoint_without_access_token_is_an_error() -> None:
    with FakeOAuth() as oauth:
        oauth.fail("/token", 200, body='{"token_type": "Bearer"}')
        tokens = OAuthTokens(HttpClient(timeout=5), {"youtube": f"{oauth.url}/token"})
        credential = RefreshCredential(oauth.refresh_token, oauth.client_id, oauth.client_secret)
        with pytest.raises(SourceError, match="without an access_token"):
            tokens.access_token("youtube", "UC1", credential)


def test_platforms_without_reusable_refresh_tokens_are_refused_clearly() -> None:
    tokens = OAuthTokens(HttpClient(timeout=5), {"youtube": "http://127.0.0.1:9/token"})
    with pytest.raises(SourceError, match="supported for youtube; give x an access token"):
        tokens.access_token("x", "brand", RefreshCredential("r", "c", "s"))


def test_refresh_credentials_in_documents_and_environment() -> None:
    credential = {"refresh_token": "r-secret", "client_id": "cid", "client_secret": "c-secret"}
    by_platform = StaticTokens({"youtube": credential}).token("youtube", "UC1")
    by_account = StaticTokens({"youtube": {"UC1": credential}}).token("youtube", "UC1")
    from_env = EnvTokens({"PULSE_TOKEN_YOUTUBE_UC1": json.dumps(credential)}).token("youtube", "UC1")
    assert by_platform == by_account == from_env == RefreshCredential("r-secret", "cid", "c-secret")
    assert "secret" not in repr(by_platform)
    assert StaticTokens({"youtube": {"UC2": credential}}).token("youtube", "UC1") is None
    with pytest.raises(ConfigError, match="lacks client_secret") as info:
        StaticTokens({"youtube": {"refresh_token": "r-secret", "client_id": "cid"}}).token("youtube", "UC1")
    assert "r-secret" not in str(info.value)
    with pytest.raises(ConfigError, match="not JSON"):
        EnvTokens({"PULSE_TOKEN_YOUTUBE": "{oops"}).token("youtube", "UC1")
