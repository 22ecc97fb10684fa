"""`pulse kpis` and `pulse import` through typer's CliRunner on an app of our own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pulse.ingest.cli import register


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    posts = tmp_path / "posts.csv"
    posts.write_text(
        "platform,account,post_id,created_at,text,impressions,reach,likes,comments,shares,saves,clicks\n"
        'x,brand,1,2026-03-01T00:30:00+01:00,"New, <b>shiny</b> 🎉",1000,800,10,2,1,0,7\n'
        "mastodon,brand,1,2026-03-05T10:00:00Z,toot,,,4,1,0,0,0\n"
        "x,brand,2,2026-02-10T10:00:00Z,old,500,,5,,,,\n",
        encoding="utf-8",
    )
    messages = tmp_path / "messages.csv"
    messages.write_text(
        "platform,account,message_id,created_at,author,from_brand,in_reply_to,text,sentiment\n"
        'x,brand,m1,2026-03-02T09:00:00Z,ann,false,1,"Where, is it?",negative\n'
        "x,brand,r1,2026-03-02T09:30:00Z,brand,TRUE,m1,Here,\n"
        "mastodon,brand,m1,2026-03-03T09:00:00Z,bob,False,,Love it,positive\n",
        encoding="utf-8",
    )
    followers = tmp_path / "followers.csv"
    followers.write_text(
        "platform,account,date,followers\nx,brand,2026-02-28,100\nx,brand,2026-03-31,110\n", encoding="utf-8"
    )
    return {"posts": posts, "messages": messages, "followers": followers}


def test_kpis_json(app: typer.Typer, files: dict[str, Path]) -> None:
    args = ["kpis", "--month", "2026-03", "--tz", "Europe/Paris", "--json"]
    for name, path in files.items():
        args += [f"--{name}", str(path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    k = data["kpis"]
    assert (k["posts"], k["impressions"], k["reach"], k["engagements"]) == (2, 1000, 800, 25)
    assert k["engagement_rate"] == 20 / 1000
    assert (k["inbound_messages"], k["responded_messages"], k["first_response_time_median_minutes"]) == (
        2,
        1,
        30.0,
    )
    assert k["sentiment"] == {"positive": 1, "neutral": 0, "negative": 1, "net": 0.0}
    assert (k["followers_start"], k["followers_end"], k["follower_growth_rate"]) == (100, 110, 0.1)
    assert data["by_platform"]["mastodon"]["engagement_rate"] is None
    assert data["previous"]["posts"] == 1 and data["previous"]["impressions"] == 500


def test_kpis_table_and_errors(app: typer.Typer, files: dict[str, Path], tmp_path: Path) -> None:
    ok = CliRunner().invoke(app, ["kpis", "--month", "2026-03", "--posts", str(files["posts"])])
    assert ok.exit_code == 0 and "engagement_rate" in ok.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("platform,account,post_id,created_at\nx,a,1,2026-03-01\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["kpis", "--month", "2026-03", "--posts", str(bad)])
    assert result.exit_code == 1 and "bad.csv: missing required column" in result.stderr
    result = CliRunner().invoke(app, ["kpis", "--month", "2026-13", "--posts", str(files["posts"])])
    assert result.exit_code == 1 and "invalid month" in result.stderr


def test_help_texts(app: typer.Typer) -> None:
    for command in ("kpis", "import"):
        result = CliRunner().invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "--posts" in result.stdout and "--followers" in result.stdout


def test_import_writes_the_lake_and_is_idempotent(
    app: typer.Typer, files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pulse.lake import Lake
    from pulse.period import Month
    from pulse.settings import get_settings
    from pulse.storage import open_store

    monkeypatch.setenv("PULSE_ARCHIVE", str(tmp_path / "archive"))
    get_settings.cache_clear()
    try:
        args = ["import", "--brand", "acme", "--tz", "Europe/Paris"]
        for name, path in files.items():
            args += [f"--{name}", str(path)]
        first = CliRunner().invoke(app, args)
        assert first.exit_code == 0, first.output
        assert "posts: 3 new, 0 updated" in first.stdout
        again = CliRunner().invoke(app, args)
        assert "posts: 0 new, 3 updated" in again.stdout
        lake = Lake(open_store(str(tmp_path / "archive")))
        # The post at 00:30 Paris time on 1 March belongs to March even though it is 28 Feb in UTC.
        assert list(lake.read_partition("posts", "acme", Month(2026, 3))["post_id"]) == ["1", "1"]
    finally:
        get_settings.cache_clear()
