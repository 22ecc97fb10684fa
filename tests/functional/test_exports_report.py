"""`pulse import` of platform exports, then `pulse report`: the same KPIs as the canonical files (Chromium)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pulse.period import Month
from pulse.pipeline.archive import read_report_file
from pulse.settings import get_settings
from pulse.storage import LocalStore
from tests.conftest import requires_browser
from tests.fixtures.exports.make_fixtures import ACCOUNTS, X_FOLLOWERS_END, YT_FOLLOWERS_END
from tests.unit.test_exports import without_account_days

pytestmark = [pytest.mark.browser, requires_browser]

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"
MARCH = Month(2026, 3)
BRANDS = """brands:
  - id: acme
    name: Acme
    language: {lang}
    timezone: Europe/Paris
    accounts:
{accounts}
"""


def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, files: list[Path]) -> dict[str, object]:
    from pulse.cli import app

    out = tmp_path / lang / ("canonical" if files[0].parent.name == "canonical" else "native")
    config = out / "brands.yaml"
    config.parent.mkdir(parents=True)
    accounts = "\n".join(f"      - {{ platform: {p}, id: {a} }}" for p, a in ACCOUNTS.items())
    config.write_text(BRANDS.format(lang=lang, accounts=accounts), encoding="utf-8")
    monkeypatch.setenv("PULSE_ARCHIVE", str(out / "archive"))
    monkeypatch.setenv("PULSE_CONFIG", str(config))
    get_settings.cache_clear()
    try:
        counts = [
            "--follower-count",
            f"x={X_FOLLOWERS_END}",
            "--follower-count",
            f"youtube={YT_FOLLOWERS_END}",
        ]
        imported = CliRunner().invoke(app, ["import", "--brand", "acme", *counts, *map(str, files)])
        assert imported.exit_code == 0, imported.output
        # --out: this run's own archive and its own once-only records (state), not ./out/state.
        args = ["report", "--brand", "acme", "--month", "2026-03", "--no-send", "--out", str(out)]
        report = CliRunner().invoke(app, args)
        assert (
            report.exit_code == 0 and "FAILED" not in report.output and "earlier run" not in report.output
        ), report.output
        store = LocalStore(out / "archive")
        kpis: dict[str, object] = json.loads(read_report_file(store, "acme", MARCH, "kpis.json"))
        kpis["html"] = read_report_file(store, "acme", MARCH, "report.html").decode("utf-8")
        return kpis
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_import_then_report_gives_the_kpis_of_the_canonical_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    x_files = sorted((FIXTURES / "en").glob("account_*.csv"))
    native_files = sorted((FIXTURES / lang).iterdir()) + ([] if lang == "en" else x_files)
    native = run(tmp_path, monkeypatch, lang, native_files)
    canonical = run(tmp_path, monkeypatch, lang, sorted((FIXTURES / "canonical").glob("*.csv")))
    # The X overview also carries the account's daily follows, unfollows and impressions (account_daily),
    # which the canonical files do not: every other KPI is the same.
    assert native["kpis"]["followers_gained"] is not None  # type: ignore[index]
    for key in ("kpis", "by_platform", "previous", "previous_by_platform"):
        assert without_account_days(native[key]) == without_account_days(canonical[key]), key
    assert native["kpis"]["posts"] == 13  # type: ignore[index]
    # Exports alone carry no conversations: the report says so instead of showing 0 % or a dash.
    assert native["coverage"]["exports_only"] is True  # type: ignore[index]
    assert native["coverage"]["not_available"]["response_rate"] == "not available from exports"  # type: ignore[index]
    assert canonical["coverage"]["not_available"] == {}  # type: ignore[index]
    expected = "non disponible dans les exports" if lang == "fr" else "not available from exports"
    assert expected in str(native["html"]) and expected not in str(canonical["html"])
