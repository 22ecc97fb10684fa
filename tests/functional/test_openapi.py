"""The OpenAPI description generated from the resolver, and the local API key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from pulse.api import build_resolver, openapi_json
from pulse.pipeline import Services
from pulse.settings import Settings
from tests.conftest import load_event
from tests.functional.conftest import Context


@pytest.fixture
def services(local_settings: Settings) -> Services:
    return Services.from_settings(local_settings)


def unused_renderer() -> Any:
    raise AssertionError("these requests must not render")


def test_openapi_describes_every_route(services: Services) -> None:
    spec = json.loads(openapi_json(build_resolver(lambda: services, unused_renderer)))
    validate(spec)  # a valid OpenAPI 3.1 document
    assert set(spec["paths"]) == {
        "/reports",
        "/jobs/{job_id}",
        "/reports/{brand}/{month}",
        "/reports/{brand}/{month}/{name}",
        "/brands/{brand}/reports",
        "/brands/{brand}/share",
        "/share/{token}",
        "/share/{token}/{month}/{name}",
    }
    post = spec["paths"]["/reports"]["post"]
    assert {"200", "201", "202", "400", "404", "409"} <= set(post["responses"])
    body = post["requestBody"]["content"]["application/json"]["schema"]
    ref = body["$ref"].rsplit("/", 1)[1]
    model = spec["components"]["schemas"][ref]
    assert set(model["properties"]) == {"brand", "month", "send", "force"}
    assert model["required"] == ["brand"]


def test_requests_outside_the_schema_are_refused(services: Services) -> None:
    app = build_resolver(lambda: services, unused_renderer)
    event = load_event("api-create-report.json")
    event["body"] = json.dumps({"brand": "brightbank", "colour": "red"})
    response = app.resolve(event, Context())
    assert response["statusCode"] == 400
    assert "colour" in json.loads(response["body"])["message"]
    event["body"] = json.dumps({"month": "2026-10"})
    response = app.resolve(event, Context())
    assert response["statusCode"] == 400 and "brand" in json.loads(response["body"])["message"]


def test_local_api_key(services: Services) -> None:
    app = build_resolver(lambda: services, unused_renderer, api_key="s3cret-key")
    event = load_event("api-list-reports.json")
    assert app.resolve(dict(event), Context())["statusCode"] == 401
    event["headers"] = {**event["headers"], "x-api-key": "wrong"}
    assert app.resolve(dict(event), Context())["statusCode"] == 401
    event["headers"] = {**event["headers"], "x-api-key": "s3cret-key"}
    response = app.resolve(dict(event), Context())
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"brand": "maison-lumiere", "reports": []}
