"""The on-demand HTTP API (API Gateway HTTP API, payload v2), on Powertools' resolver.

Routes::

    POST /reports                          {"brand": "...", "month": "YYYY-MM"?, "send": false, "force": false}
    GET  /jobs/{job}                       status of a queued generation (AWS)
    GET  /reports/{brand}/{month}          links of the archived report
    GET  /reports/{brand}/{month}/{file}   the file (locally) or a redirect to a fresh presigned URL (S3)
    GET  /brands/{brand}/reports           months with a report, newest first

Errors are JSON ``{"error": ..., "message": ...}`` with a status chosen by the
error's type.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from pulse import __version__
from pulse.exceptions import (
    ConfigError,
    InvalidBrandIdError,
    InvalidPeriodError,
    NoDataError,
    NotFoundError,
    PulseError,
    RenderError,
    UnknownBrandError,
)
from pulse.period import Month, previous_month
from pulse.pipeline import (
    CONTENT_TYPES,
    ReportInProgressError,
    Services,
    generate_once,
    list_reports,
    queue_report,
    read_job_status,
    report_files,
    report_key,
)
from pulse.render.browser import ChromiumRenderer
from pulse.settings import get_settings
from pulse.storage import LocalStore

STATUS_BY_ERROR: tuple[tuple[type[Exception], HTTPStatus], ...] = (
    (InvalidBrandIdError, HTTPStatus.BAD_REQUEST),
    (InvalidPeriodError, HTTPStatus.BAD_REQUEST),
    (UnknownBrandError, HTTPStatus.NOT_FOUND),
    (NoDataError, HTTPStatus.NOT_FOUND),
    (NotFoundError, HTTPStatus.NOT_FOUND),
    (ConfigError, HTTPStatus.INTERNAL_SERVER_ERROR),
    (RenderError, HTTPStatus.SERVICE_UNAVAILABLE),
    (PulseError, HTTPStatus.INTERNAL_SERVER_ERROR),
)


class BadRequestError(PulseError):
    """The request is not what the route expects."""


class UnauthorizedError(PulseError):
    """The local API key is missing or wrong."""


class CreateReport(BaseModel):
    """Body of ``POST /reports``."""

    model_config = ConfigDict(extra="forbid")

    brand: str = Field(description="Brand id, e.g. maison-lumiere", examples=["maison-lumiere"])
    month: str | None = Field(default=None, description="YYYY-MM; default: the brand's last complete month")
    send: bool = Field(default=False, description="Also mail the report to the brand's recipients")
    force: bool = Field(default=False, description="Regenerate even if the report is already archived")


def _error(status: HTTPStatus, message: str, headers: dict[str, str] | None = None) -> Response[str]:
    body = json.dumps({"error": status.phrase, "message": message})
    return Response(
        status_code=status.value, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def _json(
    status: HTTPStatus, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(payload),
        headers=headers,
    )


def build_resolver(
    services: Callable[[], Services],
    renderer: Callable[[], ChromiumRenderer],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    api_key: str | None = None,
) -> APIGatewayHttpResolver:
    """The resolver; ``services`` and ``renderer`` are factories so cold starts stay cheap.

    ``api_key``: when set (``PULSE_API_KEY``, for local or self-hosted use), every request
    must carry it in ``x-api-key``. On AWS the HTTP API's IAM authorizer guards the routes.
    """
    app = APIGatewayHttpResolver(enable_validation=True)

    if api_key:

        def check_key(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
            given = app.current_event.headers.get("x-api-key") or ""
            if not hmac.compare_digest(given.encode(), api_key.encode()):
                return _error(HTTPStatus.UNAUTHORIZED, "missing or wrong x-api-key header")
            return next_middleware(app)

        app.use(middlewares=[check_key])

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid(exc: RequestValidationError) -> Response[str]:
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p != "body"]
            problems.append(f"{'.'.join(loc) or 'body'}: {err.get('msg')}")
        return _error(HTTPStatus.BAD_REQUEST, "invalid request: " + "; ".join(problems))

    @app.exception_handler(PulseError)  # type: ignore[untyped-decorator]
    def _pulse_error(exc: PulseError) -> Response[str]:
        if isinstance(exc, ReportInProgressError):
            return _error(HTTPStatus.CONFLICT, str(exc), {"Retry-After": "30"})
        for kind, status in STATUS_BY_ERROR:
            if isinstance(exc, kind):
                return _error(status, str(exc))
        return _error(HTTPStatus.INTERNAL_SERVER_ERROR, str(exc))  # pragma: no cover

    @app.not_found
    def _not_found(exc: Exception) -> Response[str]:
        return _error(
            HTTPStatus.NOT_FOUND, f"no route {app.current_event.http_method} {app.current_event.path}"
        )

    @app.post(
        "/reports",
        summary="Create (or fetch) a brand's monthly report",
        responses={
            200: {"description": "Already archived: its links"},
            201: {"description": "Generated now: its links"},
            202: {"description": "Queued: poll the job"},
            400: {"description": "Malformed request"},
            404: {"description": "Unknown brand"},
            409: {"description": "Being generated by another request"},
        },
    )
    def create_report(request: Annotated[CreateReport, Body()]) -> Response[str]:
        svc = services()
        brand = svc.brands.get(request.brand)
        month = Month.parse(request.month) if request.month else previous_month(now(), brand.tz)
        links = _api_links(brand.id, month)
        location = {"Location": f"/reports/{brand.id}/{month}"}
        if (
            not request.force
            and not request.send
            and svc.store.exists(report_key(brand.id, month, "kpis.json"))
        ):
            return _json(
                HTTPStatus.OK,
                {"brand": brand.id, "month": str(month), "cached": True, "links": links},
                location,
            )
        if svc.queue is not None:
            job = queue_report(svc, brand, month, send=request.send)
            return _json(
                HTTPStatus.ACCEPTED,
                {"job": job.job_id, "status": "queued", "poll": f"/jobs/{job.job_id}", "links": links},
                {"Location": f"/jobs/{job.job_id}"},
            )
        outcome = generate_once(svc, brand, month, renderer(), send=request.send, now=now())
        return _json(HTTPStatus.CREATED, {**outcome.to_dict(), "cached": False, "links": links}, location)

    @app.get("/jobs/<job_id>", summary="Status of a queued report job")
    def get_job(job_id: str) -> dict[str, Any]:
        return read_job_status(services(), job_id)

    @app.get("/reports/<brand>/<month>", summary="Links of an archived report")
    def get_report(brand: str, month: str) -> dict[str, Any]:
        svc = services()
        svc.brands.get(brand)
        m = Month.parse(month)
        files = report_files(svc, brand, m)
        return {"brand": brand, "month": str(m), "files": files, "links": _api_links(brand, m)}

    @app.get(
        "/reports/<brand>/<month>/<name>",
        summary="Download a report file (locally) or be redirected to a fresh presigned URL (S3)",
    )
    # No return annotation on purpose: Powertools' validation would JSON-encode a PDF's bytes.
    def get_report_file(brand: str, month: str, name: str):  # type: ignore[no-untyped-def]
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

    @app.get("/brands/<brand>/reports", summary="Months with an archived report, newest first")
    def brand_reports(brand: str) -> dict[str, Any]:
        svc = services()
        svc.brands.get(brand)
        months = list_reports(svc, brand)
        return {
            "brand": brand,
            "reports": [{"month": m, "links": _api_links(brand, Month.parse(m))} for m in months],
        }

    return app


def openapi_json(resolver: APIGatewayHttpResolver) -> str:
    """The OpenAPI description generated from the resolver's routes and models."""
    return resolver.get_openapi_json_schema(
        title="Community Pulse API",
        version=__version__,
        description="Generate, list and download monthly community reports.",
    )


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

    api_key = (services.settings if services else get_settings()).api_key
    resolver = build_resolver(
        get_services,
        get_renderer,
        now or (lambda: datetime.now(UTC)),
        api_key=api_key.get_secret_value() if api_key else None,
    )

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        # The API only speaks JSON: a body sent without a JSON content type (`curl -d`) is read as JSON.
        headers = event.get("headers") or {}
        if event.get("body") and "json" not in str(headers.get("content-type", "")):
            event = {**event, "headers": {**headers, "content-type": "application/json"}}
        return resolver.resolve(event, context)

    handler.resolver = resolver  # type: ignore[attr-defined]
    handler.close = lambda: state.get("renderer") and state["renderer"].close()  # type: ignore[attr-defined]
    return handler
