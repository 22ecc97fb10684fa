"""The `pulse` command line as a user runs it."""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest

from tests.conftest import published_folder, requires_browser

PULSE = str(Path(sys.executable).with_name("pulse"))


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    env["COLUMNS"] = "120"
    return subprocess.run([PULSE, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def test_help_explains_every_command() -> None:
    top = run("--help")
    assert top.returncode == 0
    for command in ("demo", "fetch", "report", "serve"):
        assert command in top.stdout
        sub = run(command, "--help")
        assert sub.returncode == 0, sub.stderr
        assert "Usage: pulse " + command in sub.stdout


def test_errors_say_what_to_do(tmp_path: Path) -> None:
    bad = run("report", "--brand", "nobody", "--month", "2026-10", "--out", str(tmp_path))
    assert bad.returncode == 2
    assert "no brand 'nobody'" in bad.stderr and "maison-lumiere" in bad.stderr
    month = run("report", "--brand", "brightbank", "--month", "10-2026", "--out", str(tmp_path))
    assert month.returncode == 2 and "YYYY-MM" in month.stderr
    config = tmp_path / "brands.yaml"
    config.write_text("brands:\n  - id: acme\n    name: ACME\n    accounts: []\n")
    broken = run("brands", "--config", str(config))
    assert broken.returncode == 2 and "brand 'acme'" in broken.stderr and "accounts" in broken.stderr


@requires_browser
def test_demo_produces_every_report_and_mail(tmp_path: Path) -> None:
    result = run("demo", "--out", str(tmp_path / "out"), "--month", "2026-10")
    assert result.returncode == 0, result.stderr
    archive = tmp_path / "out" / "archive" / "reports"
    brands = sorted(p.name for p in archive.iterdir())
    assert len(brands) >= 3
    for brand in brands:
        folder = published_folder(archive, brand, "2026-10")
        for name in ("report.html", "report.pdf", "kpis.json"):
            assert (folder / name).is_file()
            assert str(folder / name) in result.stdout, "demo prints where the reports are"
        assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
        assert json.loads((folder / "kpis.json").read_text())["brand"] == brand
    outbox = tmp_path / "out" / "outbox"
    mails = sorted(outbox.glob("*-2026-10-*.eml"))
    assert len(mails) == len(brands)
    for path in mails:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert any(p.get_content_type() == "application/pdf" for p in msg.iter_attachments())
        assert str(path) in result.stdout
    # The month's incident watch, replayed: the brand with the planted outage is alerted, once
    # when it opens and once when it is resolved; the calm brands are not.
    alerts = sorted(p.name.rsplit("-", 1)[0] for p in outbox.glob("*-incident-*.eml"))
    assert alerts == ["maison-lumiere-incident-opened", "maison-lumiere-incident-resolved"]
    assert "maison-lumiere alert opened maison-lumiere-202610" in result.stdout


@requires_browser
def test_fetch_then_report(tmp_path: Path) -> None:
    out = tmp_path / "o"
    fetched = run("fetch", "--brand", "cafe-boreal", "--since", "2026-09-01", "--out", str(out))
    assert fetched.returncode == 0, fetched.stderr
    summary = json.loads(fetched.stdout.strip().splitlines()[-1])
    assert summary["new"] > 0
    again = run("fetch", "--brand", "cafe-boreal", "--since", "2026-09-01", "--out", str(out))
    assert json.loads(again.stdout.strip().splitlines()[-1])["new"] <= summary["new"] // 50
    report = run("report", "--brand", "cafe-boreal", "--month", "2026-10", "--out", str(out))
    assert report.returncode == 0, report.stderr
    assert (published_folder(out / "archive" / "reports", "cafe-boreal", "2026-10") / "report.pdf").is_file()
    assert not (out / "outbox").exists(), "report does not mail unless --send"


def test_fetch_watches_the_brands_it_fetched_like_the_daily_job(tmp_path: Path) -> None:
    out = tmp_path / "o"
    fetched = run("fetch", "--brand", "cafe-boreal", "--out", str(out))
    assert fetched.returncode == 0, fetched.stderr
    *watched, summary = (json.loads(line) for line in fetched.stdout.strip().splitlines())
    assert summary["new"] > 0
    assert [w["brand"] for w in watched] == ["cafe-boreal"]
    assert watched[0]["errors"] == [] and watched[0]["pulse"], watched[0]
    quiet = run("fetch", "--brand", "cafe-boreal", "--no-watch", "--out", str(out))
    assert quiet.returncode == 0, quiet.stderr
    (only,) = (json.loads(line) for line in quiet.stdout.strip().splitlines())
    assert only["brands"] == 1, "--no-watch prints the fetch summary alone"


@pytest.mark.parametrize("command", ["demo", "fetch", "report", "serve", "brands"])
def test_every_command_has_help_text(command: str) -> None:
    sub = run(command, "--help")
    lines = [line for line in sub.stdout.splitlines() if line.strip() and "Usage" not in line]
    assert len(lines) >= 3
