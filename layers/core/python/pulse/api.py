"""The on-demand HTTP API (API Gateway HTTP API, payload v2), on Powertools' resolver.

Routes::

    POST /reports                          {"brand": "...", "month": "YYYY-MM"?, "send": false}
    GET  /reports/{brand}/{month}          links of the archived report
    GET  /reports/{brand}/{month}/{file}   the file (locally) or a redirect to a fresh presigned URL (S3)
    GET  /brands/{brand}/reports           months with a report, newest first

Errors are JSON ``{"error": ..., "message": ...}`` with a status chosen by the
error's type.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from pulse.exceptions import (
    ConfigError,
    InvalidBrandIdError,
    InvalidPeriodError,
    NotFoundError,
    PulseError,
    RenderError,
    UnknownBrandError,
)
from pulse.period import Month, previous_month
from pulse.pipeline import CONTENT_TYPES, Services, list_reports, produce_report, report_files, report_key
from pulse.render.browser import ChromiumRenderer
from pulse.storage import LocalStore

STATUS_BY_ERROR: tuple[tuple[type[Exception], HTTPStatus], ...] = (
    (InvalidBrandIdError, HTTPStatus.BAD_REQUEST),
    (InvalidPeriodError, HTTPStatus.BAD_REQUEST),
    (UnknownBrandError, HTTPStatus.NOT_FOUND),
    (NotFoundError, HTTPStatus.NOT_FOUND),
    (ConfigError, HTTPStatus.INTERNAL_SERVER_ERROR),
    (RenderError, HTTPStatus.SERVICE_UNAVAILABLE),
    (PulseError, HTTPStatus.INTERNAL_SERVER_ERROR),
)


class BadRequestError(PulseError):
    """The request body is not what the route expects."""


def _error(status: HTTPStatus, message: str) -> Response[str]:
    body = json.dumps({"error": status.phrase, "message": message})
    return Response(status_code=status.value, content_type=content_types.APPLICATION_JSON, body=body)


def build_resolver(
    services: Callable[[], Services],
    renderer: Callable[[], ChromiumRenderer],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIGatewayHttpResolver:
    """The resolver; ``services`` and ``renderer`` are factories so cold starts stay cheap."""
    app = APIGatewayHttpResolver()

    @app.exception_handler(BadRequestError)
    def _bad_request(exc: BadRequestError) -> Response[str]:
        return _error(HTTPStatus.BAD_REQUEST, str(exc))

    @app.exception_handler(PulseError)
    def _pulse_error(exc: PulseError) -> Response[str]:
        for kind, status in STATUS_BY_ERROR:
            if isinstance(exc, kind):
                return _error(status, str(exc))
        return _error(HTTPStatus.INTERNAL_SERVER_ERROR, str(exc))  # pragma: no cover

    @app.not_found
    def _not_found(exc: Exception) -> Response[str]:
        return _error(
            HTTPStatus.NOT_FOUND, f"no route {app.current_event.http_method} {app.current_event.path}"
        )

    @app.post("/reports")
    def create_report() -> Response[str]:
        try:
            body = app.current_event.json_body
        except json.JSONDecodeError as exc:
            raise BadRequestError(f"body is not valid JSON: {exc.msg}") from exc
        if not isinstance(body, dict) or not isinstance(body.get("brand"), str):
            raise BadRequestError('expected a JSON object like {"brand": "acme", "month": "2026-10"}')
        svc = services()
        brand = svc.brands.get(body["brand"])
        month_text = body.get("month")
        if month_text is not None and not isinstance(month_text, str):
            raise BadRequestError("month must be a string YYYY-MM")
        month = Month.parse(month_text) if month_text else previous_month(now(), brand.tz)
        send = body.get("send", False)
        if not isinstance(send, bool):
            raise BadRequestError("send must be true or false")
        outcome = produce_report(svc, brand, month, renderer(), send=send, now=now())
        payload = {**outcome.to_dict(), "links": _api_links(brand.id, month)}
        return Response(
            status_code=HTTPStatus.CREATED.value,
            content_type=content_types.APPLICATION_JSON,
            body=json.dumps(payload),
            headers={"Location": f"/reports/{brand.id}/{month}"},
        )

    @app.get("/reports/<brand>/<month>")
    def get_report(brand: str, month: str) -> dict[str, Any]:
        svc = services()
        svc.brands.get(brand)
        m = Month.parse(month)
        files = report_files(svc, brand, m)
        return {"brand": brand, "month": str(m), "files": files, "links": _api_links(brand, m)}

    @app.get("/reports/<brand>/<month>/<name>")
    def get_report_file(brand: str, month: str, name: str) -> Response[Any]:
        svc = services()
        svc.brands.get(brand)
        key = report_key(brand, Month.parse(month), name)
        if isinstance(svc.store, LocalStore):
            data = svc.store.get(key)
            return Response(status_code=200, content_type=CONTENT_TYPES[name], body=data)
        if not svc.store.exists(key):
            raise NotFoundError(f"no {name} for {brand} {month}")
        return Response(
            status_code=HTTPStatus.FOUND.value, body="", headers={"Location": svc.store.link(key, 900)}
        )

    @app.get("/brands/<brand>/reports")
    def brand_reports(brand: str) -> dict[str, Any]:
        svc = services()
        svc.brands.get(brand)
        months = list_reports(svc, brand)
        return {
            "brand": brand,
            "reports": [{"month": m, "links": _api_links(brand, Month.parse(m))} for m in months],
        }

    return app


def _api_links(brand: str, month: Month) -> dict[str, str]:
    return {name: f"/reports/{brand}/{month}/{name}" for name in CONTENT_TYPES}


def create_handler(
    services: Services | None = None, now: Callable[[], datetime] | None = None
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda handler: services and the browser are built on first use and reused while warm."""
    state: dict[str, Any] = {"services": services}

    def get_services() -> Services:
        if state["services"] is None:
            state["services"] = Services.from_settings()
        return state["services"]  # type: ignore[no-any-return]

    def get_renderer() -> ChromiumRenderer:
        if state.get("renderer") is None:
            state["renderer"] = ChromiumRenderer(get_services().settings.browser)
        return state["renderer"]  # type: ignore[no-any-return]

    resolver = build_resolver(get_services, get_renderer, now or (lambda: datetime.now(UTC)))

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return resolver.resolve(event, context)

    handler.resolver = resolver  # type: ignore[attr-defined]
    handler.close = lambda: state.get("renderer") and state["renderer"].close()  # type: ignore[attr-defined]
    return handler
