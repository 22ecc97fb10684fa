"""The share routes in-process, on a local archive (no browser): archive page, files, refusals, minting."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pulse.api import build_resolver
from pulse.config import BrandRegistry
from pulse.period import Month
from pulse.pipeline import Services, archive
from pulse.settings import Settings
from pulse.share import mint_links
from pulse.share_routes import build_share_resolver
from tests.conftest import load_event
from tests.functional.conftest import Context

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
BASE = "https://reports.agency.example"


@pytest.fixture
def services(local_settings: Settings, brands: BrandRegistry) -> Services:
    svc = Services.from_settings(local_settings.model_copy(update={"public_base_url": BASE}))
    for brand_id, month in (
        ("brightbank", "2026-09"),
        ("brightbank", "2026-10"),
        ("maison-lumiere", "2026-10"),
    ):
        payloads = {
            "report.html": f"<!DOCTYPE html><title>{brand_id} {month}</title>".encode(),
            "report.pdf": b"%PDF-1.7 " + f"{brand_id} {month}".encode(),
            "kpis.json": json.dumps({"brand": brand_id, "month": month}).encode(),
        }
        manifest = archive.publish(svc.store, brand_id, month, payloads, NOW)
        archive.update_index(svc.store, brand_id, manifest)
    return svc


def unused_renderer() -> Any:
    raise AssertionError("share routes never render")


def get(app: Any, path: str, **headers: str) -> dict[str, Any]:
    event = load_event("share-get-file.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["headers"] = {**event["headers"], **headers}
    response: dict[str, Any] = app.resolve(event, Context())
    return response


def path_of(url: str) -> str:
    return url.removeprefix(BASE)


def test_the_archive_page_lists_the_months_the_link_covers(services: Services) -> None:
    app = build_share_resolver(lambda: services, lambda: NOW)
    assert services.share_keys is not None
    brand = services.brands.get("brightbank")
    links = mint_links(services.share_keys, BASE, brand, None, now=NOW)
    page = get(app, path_of(links.archive))
    assert page["statusCode"] == 200 and page["headers"]["Referrer-Policy"] == "no-referrer"
    html = page["body"]
    assert html.index("October 2026") < html.index("September 2026"), "newest first"
    assert "maison-lumiere" not in html
    token = links.token
    assert f'href="{token}/2026-09/report.pdf"' in html and f'href="{token}/2026-10/kpis.json"' in html
    assert "May 1, 2027" in html, "says until when it opens"

    french = mint_links(
        services.share_keys, BASE, services.brands.get("maison-lumiere"), Month(2026, 10), now=NOW
    )
    page = get(app, path_of(french.archive))["body"]
    assert "Archives des rapports" in page and "Octobre 2026" in page and "Rapport interactif" in page
    assert "2026-09" not in page

    pdf = get(app, path_of(links.file("2026-09", "report.pdf")))
    assert pdf["statusCode"] == 200 and pdf["headers"]["Content-Type"] == "application/pdf"


def test_refusals_say_why(services: Services) -> None:
    assert services.share_keys is not None
    brand = services.brands.get("brightbank")
    links = mint_links(services.share_keys, BASE, brand, Month(2026, 10), now=NOW, file="report.pdf")
    ok = path_of(links.file("2026-10", "report.pdf"))
    cases = {
        ok.replace("/2026-10/", "/2026-09/"): "2026-10 report only",
        ok.replace("report.pdf", "report.html"): "report.pdf only",
        ok.replace("/share/k1.", "/share/k9."): "revoked",  # a key id not (or no longer) in the keys
        ok[:-30] + "A" * 20 + ok[-10:]: "not valid",
    }
    app = build_share_resolver(lambda: services, lambda: NOW)
    for path, why in cases.items():
        answer = get(app, path)
        assert answer["statusCode"] == 403, path
        assert why in json.loads(answer["body"])["message"], (path, answer["body"])
    browser = get(app, ok.replace("/2026-10/", "/2026-09/"), accept="text/html,*/*")
    assert browser["statusCode"] == 403 and "<p>this link opens the 2026-10 report only" in browser["body"]
    late = build_share_resolver(lambda: services, lambda: NOW + timedelta(days=181))
    assert "expired on 2027-05-01" in json.loads(get(late, ok)["body"])["message"]
    assert get(app, ok.replace("/2026-10/", "/2026-13/"))["statusCode"] == 403  # outside the scope anyway


def test_share_routes_need_no_api_key_and_the_rest_still_does(services: Services) -> None:
    app = build_resolver(lambda: services, unused_renderer, lambda: NOW, api_key="automation-key")
    assert services.share_keys is not None
    links = mint_links(services.share_keys, BASE, services.brands.get("brightbank"), None, now=NOW)
    assert get(app, path_of(links.file("2026-10", "kpis.json")))["statusCode"] == 200
    assert get(app, "/brands/brightbank/reports")["statusCode"] == 401


def mint_event(brand: str, body: dict[str, Any], caller: str | None) -> dict[str, Any]:
    event = load_event("api-create-report.json")
    path = f"/brands/{brand}/share"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["body"] = json.dumps(body)
    if caller:
        event["requestContext"]["authorizer"] = {"iam": {"userArn": caller}}
    return event


def test_minting_through_the_api_follows_the_brands_minters(services: Services) -> None:
    restricted = services.brands.get("brightbank").model_copy(
        update={"sharing": services.brands.get("brightbank").sharing.model_copy(
            update={"minters": ["arn:aws:sts::123456789012:assumed-role/cm-*"], "expiry_days": 30}
        )}
    )  # fmt: skip
    services.brands = BrandRegistry([restricted, *(b for b in services.brands if b.id != "brightbank")])
    app = build_resolver(lambda: services, unused_renderer, lambda: NOW)
    cm = "arn:aws:sts::123456789012:assumed-role/cm-paris/claire"
    made = app.resolve(mint_event("brightbank", {"month": "2026-10", "file": "report.pdf"}, cm), Context())
    assert made["statusCode"] == 201, made
    link = json.loads(made["body"])
    assert link["url"].startswith(f"{BASE}/share/") and link["url"].endswith("/2026-10/report.pdf")
    assert link["expires_at"].startswith("2026-12-02")
    assert get(app, path_of(link["url"]))["statusCode"] == 200

    other = "arn:aws:sts::123456789012:assumed-role/intern/bob"
    refused = app.resolve(mint_event("brightbank", {}, other), Context())
    assert refused["statusCode"] == 403 and "may not mint" in json.loads(refused["body"])["message"]
    too_long = app.resolve(mint_event("brightbank", {"days": 90}, cm), Context())
    assert too_long["statusCode"] == 403 and "1 to 30 days" in json.loads(too_long["body"])["message"]
