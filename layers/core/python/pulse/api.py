"""The on-demand HTTP API (API Gateway HTTP API, payload v2), on Powertools' resolver.

Routes::

    POST /reports                          {"brand": "...", "month": "YYYY-MM"?, "send": false, "force": false}
    GET  /jobs/{job}                       status of a queued generation (AWS)
    GET  /reports/{brand}/{month}          links of the archived report
    GET  /reports/{brand}/{month}/{file}   the file (locally) or a redirect to a fresh presigned URL (S3)
    GET  /brands/{brand}/reports           months with a report, newest first

Errors are JSON ``{"error": ..., "message": ...}`` with a status chosen by the
error's type. Before any route runs, :func:`refuse` checks, in this order: the
API key (when one is set), a JSON content type on bodies, the body's size and
nesting depth. So an unauthenticated client learns nothing about the body, a
cross-site ``text/plain`` form post is refused, and no input reaches a 500.
Responses never carry local paths, and 5xx bodies say nothing of the internals.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from pulse import __version__
from pulse.exceptions import BadRequestError, PulseError, UnknownBrandError, http_status
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
from pulse.share import is_public
from pulse.share_routes import register_share_routes

logger = logging.getLogger(__name__)

#: Largest request body (the API's bodies are a few dozen bytes).
MAX_BODY_BYTES = 16 * 1024
#: Deepest JSON nesting accepted in a body (``{"brand": ...}`` has depth 1).
MAX_JSON_DEPTH = 16


class CreateReport(BaseModel):
    """Body of ``POST /reports``."""

    model_config = ConfigDict(extra="forbid")

    brand: StrictStr = Field(
        max_length=64, description="Brand id, e.g. maison-lumiere", examples=["maison-lumiere"]
    )
    month: StrictStr | None = Field(
        default=None, max_length=7, description="YYYY-MM; default: the brand's last complete month"
    )
    send: StrictBool = Field(
        default=False,
        description="Also mail the report to the brand's recipients (once per brand-month unless force)",
    )
    force: StrictBool = Field(
        default=False, description="Regenerate even if archived; with send, mail again even if already sent"
    )


def _error(status: HTTPStatus, message: str, headers: dict[str, str] | None = None) -> Response[str]:
    body = json.dumps({"error": status.phrase, "message": message})
    return Response(
        status_code=status.value, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def error_response(exc: PulseError) -> Response[str]:
    """The API's answer to an error: its status from :data:`pulse.exceptions.HTTP_STATUS`."""
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    status = http_status(exc)
    return _error(status, _public_message(exc, status), headers)


def _refusal(status: HTTPStatus, message: str) -> dict[str, Any]:
    """A refusal in the HTTP API's response format, answered before any route runs."""
    return {
        "statusCode": status.value,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps({"error": status.phrase, "message": message}),
        "isBase64Encoded": False,
    }


def json_depth(text: str) -> int:
    """How deeply ``text``'s arrays and objects nest (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def refuse(event: Mapping[str, Any], api_key: str | None) -> dict[str, Any] | None:
    """Why ``event`` must not reach a route (a ready response), or None.

    Key first (nothing about the body is answered to a client without it), then the
    body: JSON only (no cross-site simple form post), at most :data:`MAX_BODY_BYTES`
    and :data:`MAX_JSON_DEPTH` levels deep.
    """
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    method = ((event.get("requestContext") or {}).get("http") or {}).get("method")
    public = method == "GET" and is_public(
        str(event.get("rawPath") or "")
    )  # share links: the token is the key
    if api_key is not None and not public:
        given = headers.get("x-api-key", "")
        if not hmac.compare_digest(given.encode(), api_key.encode()):
            return _refusal(HTTPStatus.UNAUTHORIZED, "missing or wrong x-api-key header")
    body = event.get("body")
    if not body:
        return None
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        return _refusal(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the body as JSON with Content-Type: application/json"
        )
    if len(body) > 2 * MAX_BODY_BYTES:  # before decoding anything
        return _refusal(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is over {MAX_BODY_BYTES} bytes")
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except ValueError:
            return _refusal(HTTPStatus.BAD_REQUEST, "the body is not base64-encoded UTF-8 text")
    if len(body.encode("utf-8", errors="replace")) > MAX_BODY_BYTES:
        return _refusal(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is over {MAX_BODY_BYTES} bytes")
    if json_depth(body) > MAX_JSON_DEPTH:
        return _refusal(HTTPStatus.BAD_REQUEST, f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        json.loads(body)
    except ValueError as exc:  # includes integers of more than 4300 digits
        return _refusal(HTTPStatus.BAD_REQUEST, f"the body is not valid JSON: {exc}")
    return None


class _GuardedResolver(APIGatewayHttpResolver):
    """Powertools' resolver, with :func:`refuse` run before its request validation."""

    def __init__(self, api_key: str | None) -> None:
        super().__init__(enable_validation=True)
        self.api_key = api_key

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        refused = refuse(event, self.api_key)
        if refused is not None:
            return refused
        return super().resolve(event, context)


def _public_message(exc: PulseError, status: HTTPStatus) -> str:
    """What a client may read of ``exc``: no paths, no list of brands, nothing internal on a 5xx."""
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.error("request failed", exc_info=exc)
        return "the server could not complete the request (its log has the details)"
    if isinstance(exc, UnknownBrandError):
        return f"no brand {exc.brand_id!r}"
    return str(exc)


def _public_links(files: dict[str, str], brand: str, month: Month) -> dict[str, str]:
    """Presigned URLs as they are; a local file:// path becomes the API's own link to the file."""
    return {
        name: f"/reports/{brand}/{month}/{name}" if link.startswith("file:") else link
        for name, link in files.items()
    }


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
    app = _GuardedResolver(api_key or None)

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

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _unexpected(exc: Exception) -> Response[str]:
        logger.error("request failed", exc_info=exc)
        return _error(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            "the server could not complete the request (its log has the details)",
        )

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
            job = queue_report(svc, brand, month, send=request.send, force=request.force)
            return _json(
                HTTPStatus.ACCEPTED,
                {"job": job.job_id, "status": "queued", "poll": f"/jobs/{job.job_id}", "links": links},
                {"Location": f"/jobs/{job.job_id}"},
            )
        outcome = generate_once(
            svc, brand, month, renderer(), send=request.send, force=request.force, now=now()
        )
        created = outcome.to_dict()
        created["files"] = _public_links(outcome.files, brand.id, month)
        if outcome.mail and outcome.mail.startswith("/"):  # an .eml in the local outbox: its name only
            created["mail"] = outcome.mail.rsplit("/", 1)[-1]
        return _json(HTTPStatus.CREATED, {**created, "cached": False, "links": links}, location)

    @app.get("/jobs/<job_id>", summary="Status of a queued report job")
    def get_job(job_id: str) -> dict[str, Any]:
        return read_job_status(services(), job_id)

    @app.get("/reports/<brand>/<month>", summary="Links of an archived report")
    def get_report(brand: str, month: str) -> dict[str, Any]:
        svc = services()
        svc.brands.get(brand)
        m = Month.parse(month)
        files = _public_links(report_files(svc.store, brand, m), brand, m)
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

    register_share_routes(app, services, now)
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
        return resolver.resolve(event, context)

    handler.resolver = resolver  # type: ignore[attr-defined]
    handler.close = lambda: get_services().close()  # type: ignore[attr-defined]
    return handler
