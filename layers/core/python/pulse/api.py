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
from pulse.exceptions import BadRequestError, PulseError, UnauthorizedError, http_status
from pulse.period import Month, previous_month
from pulse.pipeline import (
    CONTENT_TYPES,
    Services,
    generate_once,
    has_report,
    list_reports,
    queue_report,
    read_job_status,
    report_files,
    report_links,
    resolve,
    shared_services,
)
from pulse.render.renderer import Renderer
from pulse.settings import get_settings


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


def error_response(exc: PulseError) -> Response[str]:
    """The API's answer to an error: its status from :data:`pulse.exceptions.HTTP_STATUS`."""
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return _error(http_status(exc), str(exc), headers)


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
    renderer: Callable[[], Renderer],
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
                return error_response(UnauthorizedError("missing or wrong x-api-key header"))
            return next_middleware(app)

        app.use(middlewares=[check_key])

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid(exc: RequestValidationError) -> Response[str]:
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p != "body"]
            problems.append(f"{'.'.join(loc) or 'body'}: {err.get('msg')}")
        return error_response(BadRequestError("invalid request: " + "; ".join(problems)))

    @app.exception_handler(PulseError)  # type: ignore[untyped-decorator]
    def _pulse_error(exc: PulseError) -> Response[str]:
        return error_response(exc)

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
        links = report_links("", brand.id, month)
        location = {"Location": f"/reports/{brand.id}/{month}"}
        if not request.force and not request.send and has_report(svc.store, brand.id, month):
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
        files = report_files(svc.store, brand, m)
        return {"brand": brand, "month": str(m), "files": files, "links": report_links("", brand, m)}

    @app.get(
        "/reports/<brand>/<month>/<name>",
        summary="Download a report file (locally) or be redirected to a fresh presigned URL (S3)",
    )
    # No return annotation on purpose: Powertools' validation would JSON-encode a PDF's bytes.
    def get_report_file(brand: str, month: str, name: str):  # type: ignore[no-untyped-def]
        svc = services()
        svc.brands.get(brand)
        key = resolve(svc.store, brand, Month.parse(month), name)
        url = svc.store.download_url(key, 900)
        if url is None:  # a store with no HTTP address (a local directory): serve the bytes
            data = svc.store.get(key)
            return Response(status_code=200, content_type=CONTENT_TYPES[name], body=data)
        return Response(status_code=HTTPStatus.FOUND.value, body="", headers={"Location": url})

    @app.get("/brands/<brand>/reports", summary="Months with an archived report, newest first")
    def brand_reports(brand: str) -> dict[str, Any]:
        svc = services()
        svc.brands.get(brand)
        months = list_reports(svc.store, brand)
        return {
            "brand": brand,
            "reports": [{"month": m, "links": report_links("", brand, m)} for m in months],
        }

    return app


def openapi_json(resolver: APIGatewayHttpResolver) -> str:
    """The OpenAPI description generated from the resolver's routes and models."""
    return resolver.get_openapi_json_schema(
        title="Community Pulse API",
        version=__version__,
        description="Generate, list and download monthly community reports.",
    )


def create_handler(
    services: Services | None = None, now: Callable[[], datetime] | None = None
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda handler: services (and their renderer) are built on first use and reused while warm.

    Without ``services`` the process's :func:`~pulse.pipeline.shared_services` are used.
    """

    def get_services() -> Services:
        return services if services is not None else shared_services()

    def get_renderer() -> Renderer:
        return get_services().renderer()

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
    handler.close = lambda: get_services().close()  # type: ignore[attr-defined]
    return handler
