"""`POST /reports` with `send: true` mails once per brand-month unless `force`; what it leaves is private."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from pulse.api import build_resolver
from pulse.pipeline import Services, fetch_brand
from pulse.settings import Settings
from tests.conftest import WINDOW, load_event, requires_browser
from tests.functional.conftest import Context

pytestmark = [requires_browser]


@pytest.fixture
def services(tmp_path: Path, brands) -> Services:  # type: ignore[no-untyped-def]
    settings = Settings(
        archive=str(tmp_path / "archive"),
        outbox=tmp_path / "outbox",
        state_dir=tmp_path / "state",
        mail_transport="outbox",
    )
    svc = Services.from_settings(settings)
    brand = brands.get("brightbank")
    fetch_brand(svc, brand, *WINDOW)
    return svc


def post(app: Any, **fields: Any) -> tuple[int, dict[str, Any]]:
    event = load_event("api-create-report.json")
    event["body"] = json.dumps({"brand": "brightbank", "month": "2026-10", **fields})
    response = app.resolve(event, Context())
    return response["statusCode"], json.loads(response["body"])


def test_send_mails_once_per_brand_month_unless_forced(services: Services, renderer: Any) -> None:
    app = build_resolver(lambda: services, lambda: renderer)
    outbox = Path(services.settings.outbox)

    status, first = post(app, send=True)
    assert status == 201 and first["mail"] and not first["repeated"]
    assert len(list(outbox.glob("*.eml"))) == 1

    status, again = post(app, send=True)  # seconds later: the once-only record still holds
    assert status == 201 and again["repeated"] and again["mail"] == first["mail"]
    assert len(list(outbox.glob("*.eml"))) == 1

    status, forced = post(app, send=True, force=True)
    assert status == 201 and not forced["repeated"]
    assert len(list(outbox.glob("*.eml"))) == 2

    # Nothing in the answers points into this machine's file system.
    for answer in (first, again, forced):
        text = json.dumps(answer)
        assert "file://" not in text and str(services.settings.outbox) not in text, text
        assert answer["files"]["report.pdf"] == "/reports/brightbank/2026-10/report.pdf"


def test_mail_and_once_only_records_are_private(services: Services, renderer: Any) -> None:
    app = build_resolver(lambda: services, lambda: renderer)
    assert post(app, send=True)[0] == 201
    private = [
        *Path(services.settings.outbox).glob("*.eml"),
        *Path(services.settings.state_dir, "idempotency").glob("*.json"),
        *Path(services.store.location).rglob("report.*"),
    ]
    assert len(private) >= 4
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in private}
    assert all(mode == 0o600 for mode in modes.values()), modes
