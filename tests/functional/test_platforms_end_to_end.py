"""Every platform connector, through `pulse fetch` into the lake, then into a report.

The brand's accounts point at local fake APIs (loopback only) that answer like
the platforms; tokens come from environment variables, as a user would set them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import published_folder, requires_browser
from tests.functional.platform_fakes import (
    FakeBluesky,
    FakeGraph,
    FakeLinkedIn,
    FakeMastodon,
    FakeX,
    FakeYouTube,
)

PULSE = str(Path(sys.executable).with_name("pulse"))
BRANDS = """
brands:
  - id: maison-lumiere
    name: Maison Lumière
    language: fr
    timezone: Europe/Paris
    accounts:
      - {platform: x, id: maisonlumiere}
      - {platform: facebook, id: "104000000000001"}
      - {platform: instagram, id: "17841400000000001"}
      - {platform: linkedin, id: "urn:li:organization:7734"}
      - {platform: youtube, id: UC_x5XG1OV2P6uZZ5FSM9Ttw}
      - {platform: mastodon, id: "cafeboreal@mastodon.social"}
      - {platform: bluesky, id: cafeboreal.bsky.social}
"""
PLATFORMS = {"x", "facebook", "instagram", "linkedin", "youtube", "mastodon", "bluesky"}


@pytest.fixture
def fakes() -> Iterator[dict[str, Any]]:
    with (
        FakeX() as x,
        FakeGraph() as graph,
        FakeLinkedIn() as li,
        FakeYouTube() as yt,
        FakeMastodon(token="masto-token-abcdef") as masto,
        FakeBluesky() as bsky,
    ):
        yield {"x": x, "graph": graph, "linkedin": li, "youtube": yt, "mastodon": masto, "bluesky": bsky}


def pulse(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    return subprocess.run([PULSE, *args], capture_output=True, text=True, env={**base, **env}, timeout=300)


@requires_browser
def test_fetch_every_platform_then_report(fakes: dict[str, Any], tmp_path: Path) -> None:
    config = tmp_path / "brands.yaml"
    config.write_text(BRANDS, encoding="utf-8")
    env = {
        "PULSE_DATA_SOURCE": "platforms",
        "PULSE_X_BASE_URL": fakes["x"].url,
        "PULSE_FACEBOOK_BASE_URL": f"{fakes['graph'].url}/v24.0",
        "PULSE_INSTAGRAM_BASE_URL": f"{fakes['graph'].url}/v24.0",
        "PULSE_LINKEDIN_BASE_URL": f"{fakes['linkedin'].url}/rest",
        "PULSE_YOUTUBE_BASE_URL": f"{fakes['youtube'].url}/youtube/v3",
        "PULSE_YOUTUBE_ANALYTICS_BASE_URL": f"{fakes['youtube'].url}/v2",
        "PULSE_MASTODON_BASE_URL": fakes["mastodon"].url,
        "PULSE_BLUESKY_BASE_URL": fakes["bluesky"].url,
        "PULSE_BLUESKY_PDS_BASE_URL": fakes["bluesky"].url,
        "PULSE_TOKEN_BLUESKY": fakes["bluesky"].app_password,
        "PULSE_TOKEN_X": fakes["x"].token,
        "PULSE_TOKEN_FACEBOOK": fakes["graph"].token,
        "PULSE_TOKEN_INSTAGRAM": fakes["graph"].token,
        "PULSE_TOKEN_LINKEDIN": "li-token-789xyz",
        "PULSE_TOKEN_YOUTUBE": "ya29.youtube-token",
        "PULSE_TOKEN_MASTODON": "masto-token-abcdef",
    }
    out = tmp_path / "out"
    fetched = pulse("fetch", "--brand", "maison-lumiere", "--since", "2026-10-20", "--config", str(config),
                    "--out", str(out), env=env)  # fmt: skip
    assert fetched.returncode == 0, fetched.stderr
    summary = json.loads(fetched.stdout.strip().splitlines()[-1])
    assert summary["new"] > 0 and summary["quarantined"] == 0
    for platform in PLATFORMS:
        assert f"{platform}/" in fetched.stderr, f"no progress line for {platform}"
    raw = list((out / "archive" / "raw" / "maison-lumiere").rglob("*.json.gz"))
    assert {p.relative_to(out / "archive" / "raw" / "maison-lumiere").parts[0] for p in raw} == PLATFORMS
    secrets = (fakes["x"].token, fakes["graph"].token, "li-token-789xyz", "masto-token-abcdef",
               fakes["bluesky"].app_password, fakes["bluesky"].access_jwt)  # fmt: skip
    for token in secrets:
        assert token not in fetched.stdout + fetched.stderr, "tokens never appear in output"

    report = pulse("report", "--brand", "maison-lumiere", "--month", "2026-11", "--config", str(config),
                   "--out", str(out), env=env)  # fmt: skip
    assert report.returncode == 0, report.stderr
    folder = published_folder(out / "archive" / "reports", "maison-lumiere", "2026-11")
    kpis = json.loads((folder / "kpis.json").read_text())
    assert set(kpis["by_platform"]) == PLATFORMS
    for platform in PLATFORMS:
        assert kpis["by_platform"][platform]["posts"] > 0, platform
    # No impressions on Mastodon and Bluesky: unknown, not zero.
    assert kpis["by_platform"]["mastodon"]["impressions"] is None
    assert kpis["by_platform"]["bluesky"]["impressions"] is None
    html = (folder / "report.html").read_text()
    for name in ("LinkedIn", "YouTube", "Mastodon", "Bluesky", "Instagram", "Facebook"):
        assert name in html
    # What each connector declared of late replies to older posts, and the report saying so (#12).
    # LinkedIn reads its organisation's notifications (the fake's token is a page ADMINISTRATOR).
    reach = {"facebook": 90, "instagram": 90}
    assert kpis["coverage"]["reply_reach"] == {
        **reach,
        "linkedin": "any",
        "x": "any",
        "youtube": "any",
        "mastodon": "any",
        "bluesky": "any",
    }
    assert (
        "Facebook, Instagram : les réponses aux publications parues plus de 90 jours avant la fin "
        "de la période ne sont pas récupérées."
    ) in unescape(html)
    # Account-level days (Page and IG insights, LinkedIn gains, YouTube Analytics) reach the report.
    for platform in ("facebook", "instagram", "linkedin", "youtube"):
        assert kpis["by_platform"][platform]["followers_gained"] > 0, platform
    assert kpis["by_platform"]["facebook"]["account_views"] > 0
    assert 'id="accounts-title"' in html


def test_tiktok_through_pulse_fetch_keeps_its_rotating_refresh_token(tmp_path: Path) -> None:
    """TikTok end to end: ``pulse fetch`` twice in two processes, the refresh token rotating in the
    tokens file in between (a new process can only refresh with the newest one)."""
    from tests.functional.platform_fakes import FakeTikTok

    config = tmp_path / "brands.yaml"
    config.write_text(
        "brands:\n  - id: northwind\n    name: Northwind\n    timezone: Europe/Paris\n"
        "    accounts:\n      - {platform: tiktok, id: northwind}\n",
        encoding="utf-8",
    )
    with FakeTikTok() as tiktok:
        tokens = tmp_path / "tokens.yaml"
        tokens.write_text(f"tiktok:\n  northwind: {json.dumps(tiktok.credential())}\n", encoding="utf-8")
        env = {
            "PULSE_DATA_SOURCE": "platforms",
            "PULSE_TIKTOK_BASE_URL": tiktok.url,
            "PULSE_TIKTOK_OAUTH_BASE_URL": f"{tiktok.url}/v2/oauth/token/",
            "PULSE_TOKENS_FILE": str(tokens),
        }
        out = tmp_path / "out"
        for run in (1, 2):
            fetched = pulse("fetch", "--brand", "northwind", "--since", "2026-10-20", "--config", str(config),
                            "--out", str(out), env=env)  # fmt: skip
            assert fetched.returncode == 0, fetched.stderr
            assert "tiktok/northwind" in fetched.stderr
            summary = json.loads(fetched.stdout.strip().splitlines()[-1])
            assert summary["new"] + summary["updated"] > 0 and summary["quarantined"] == 0, summary
            assert tiktok.issued == run and tiktok.refresh_token in tokens.read_text(encoding="utf-8")
            for secret in (tiktok.refresh_token, tiktok.access_token, tiktok.client_secret):
                assert secret not in fetched.stdout + fetched.stderr
    raw = list((out / "archive" / "raw" / "northwind" / "tiktok").rglob("*.json.gz"))
    assert raw and list((out / "archive" / "lake" / "posts").rglob("*.parquet"))
