"""Pure parts of the connectors: slugs, redaction, timestamps, counts, token lookup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulse.connectors.archive import account_slug, state_key
from pulse.connectors.base import count, html_to_text, utc_iso
from pulse.connectors.http import Budget, BudgetExhaustedError, redact_text, redact_url, strip_secret_params
from pulse.connectors.source import resolve_base_urls
from pulse.connectors.tokens import ChainTokens, EnvTokens, FileTokens, StaticTokens, env_name
from pulse.exceptions import DataError
from pulse.storage.base import check_key


@pytest.mark.parametrize(
    "account_id",
    [
        "maisonlumiere",
        "urn:li:organization:7734",
        "cafeboreal@mastodon.social",
        "UCx-9_ab",
        "../../etc",
        "été 🌞",
        ".hidden",
        "-",
    ],
)
def test_slugs_are_safe_keys_and_deterministic(account_id: str) -> None:
    slug = account_slug(account_id)
    assert slug == account_slug(account_id)
    assert check_key(f"raw/b/x/{slug}/2026-11-05/x.json.gz")
    assert check_key(state_key("brand-a", "x", account_id))
    assert "/" not in slug and slug not in (".", "..")


def test_slugs_keep_safe_ids_and_never_collide() -> None:
    assert account_slug("maisonlumiere") == "maisonlumiere"
    assert account_slug("urn:li:organization:7734").startswith("urn_li_organization_7734-")
    assert account_slug("urn:li:organization:7734") != account_slug("urn_li_organization_7734")
    assert account_slug("a:b") != account_slug("a;b")


def test_redaction() -> None:
    url = "https://graph.facebook.com/v24.0/1/posts?after=QVFI&access_token=EAABsecret&limit=25"
    assert "EAABsecret" not in redact_url(url) and "access_token=REDACTED" in redact_url(url)
    assert "access_token" not in strip_secret_params(url) and "after=QVFI" in strip_secret_params(url)
    body = json.dumps({"paging": {"next": url}, "note": "Authorization: Bearer abc.def-ghi", "t": "tok12345"})
    clean = redact_text(body, ("tok12345",))
    assert "EAABsecret" not in clean and "abc.def-ghi" not in clean and "tok12345" not in clean
    assert json.loads(clean)["paging"]["next"].endswith("access_token=REDACTED&limit=25")


def test_budget() -> None:
    now = [0.0]
    budget = Budget(10, clock=lambda: now[0])
    budget.check(5)
    now[0] = 9.5
    with pytest.raises(BudgetExhaustedError):
        budget.check(1)
    budget.cap(5)
    assert budget.deadline == 5
    assert Budget(None).remaining() == float("inf")


def test_timestamps_and_counts() -> None:
    assert utc_iso("2026-11-05T10:00:00+0100") == "2026-11-05T09:00:00+00:00"
    assert utc_iso(1_762_333_200_000) == utc_iso(1_762_333_200)
    assert utc_iso("2026-11-05T09:00:00.000Z") == "2026-11-05T09:00:00+00:00"
    with pytest.raises(DataError):
        utc_iso(None)
    assert count("12") == 12 and count(None) is None and count(3.0) == 3
    for bad in (True, "12a", -1, 2.5):
        with pytest.raises((DataError, ValueError)):
            count(bad)
    assert html_to_text("<p>a &amp; b<br>c</p><p>d</p>") == "a & b\nc\nd"


def test_token_lookup_order(tmp_path: Path) -> None:
    env = {env_name("linkedin", "urn:li:organization:7734"): "per-account", env_name("x"): "platform-wide"}
    assert env_name("linkedin", "urn:li:organization:7734") == "PULSE_TOKEN_LINKEDIN_URN_LI_ORGANIZATION_7734"
    tokens_file = tmp_path / "tokens.yaml"
    tokens_file.write_text("facebook:\n  '123': page-token\n  '*': any-page\ninstagram: ig-token\n")
    chain = ChainTokens(EnvTokens(env), FileTokens(tokens_file), StaticTokens({"x": "static"}))
    assert chain.token("linkedin", "urn:li:organization:7734") == "per-account"
    assert chain.token("x", "whoever") == "platform-wide"
    assert chain.token("facebook", "123") == "page-token"
    assert chain.token("facebook", "999") == "any-page"
    assert chain.token("instagram", "1789") == "ig-token"
    assert chain.token("youtube", "UC1") is None


def test_base_urls_from_env_and_arguments() -> None:
    urls = resolve_base_urls({"bluesky": "http://127.0.0.1:9"}, {"PULSE_X_BASE_URL": "http://127.0.0.1:8"})
    assert urls["x"] == "http://127.0.0.1:8" and urls["bluesky"] == "http://127.0.0.1:9"
    assert urls["facebook"].startswith("https://graph.facebook.com/")


def test_checkpoint_version_1_still_loads_and_is_written_as_version_2() -> None:
    from pulse.connectors.checkpoint import Checkpoint, StreamCursor

    v1 = {"account": "maisonlumiere", "platform": "x", "user_id": "1500", "username": "maisonlumiere",
          "non_public": False, "comments_synced": True, "synced_from": "2026-10-01T00:00:00+00:00",
          "last_run": "2026-11-05T09:00:00+00:00", "recent": {"1": "2026-11-04T10:00:00+00:00"},
          "threads": {"1": "2026-11-04T10:00:00+00:00"},
          "tweets": {"since_id": "1900", "resume": {"token": "p3", "newest_id": "1900"}},
          "posts": {"newest_time": "2026-11-04T10:00:00+00:00"}}  # fmt: skip
    checkpoint = Checkpoint.from_dict(v1)
    assert checkpoint.ids == {"user_id": "1500", "username": "maisonlumiere"}
    assert checkpoint.stream("tweets") == StreamCursor(
        since_id="1900", resume={"token": "p3", "newest_id": "1900"}
    )
    assert checkpoint.stream("posts").newest_time == "2026-11-04T10:00:00+00:00"
    assert checkpoint.synced_from == "2026-10-01T00:00:00+00:00" and checkpoint.threads == v1["threads"]
    assert set(checkpoint.streams) == {"tweets", "posts"}  # the dropped flags are gone
    v2 = checkpoint.to_dict()
    assert v2["version"] == 2 and "non_public" not in v2 and "comments_synced" not in v2
    assert Checkpoint.from_dict(v2) == checkpoint


def test_a_checkpoint_from_a_newer_version_is_refused_not_overwritten() -> None:
    from pulse.connectors.checkpoint import Checkpoint
    from pulse.exceptions import SourceError

    with pytest.raises(SourceError, match="newer"):
        Checkpoint.from_dict({"version": 3, "streams": {}})


def test_connectors_take_base_urls_versions_and_budget_from_the_settings(tmp_path: Path) -> None:
    from pulse.connectors import PlatformSource
    from pulse.settings import Settings
    from pulse.storage import LocalStore

    settings = Settings.from_environ({"PULSE_TIKTOK_BASE_URL": "http://127.0.0.1:7", "PULSE_LINKEDIN_VERSION": "202609",
                                      "PULSE_FETCH_BUDGET_SECONDS": "120", "PULSE_FETCH_REFETCH_DAYS": "3"})  # fmt: skip
    source = PlatformSource(LocalStore(tmp_path), settings=settings, base_urls={"x": "http://127.0.0.1:8"})
    assert (
        source.base_urls["tiktok"] == "http://127.0.0.1:7" and source.base_urls["x"] == "http://127.0.0.1:8"
    )
    assert source.base_urls["linkedin_version"] == "202609"
    assert (source.budget_seconds, source.refetch_days) == (120.0, 3)
