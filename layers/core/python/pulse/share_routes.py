"""HTTP routes of share links (:mod:`pulse.share`).

Public routes (no IAM on AWS, no ``x-api-key`` locally: the token is the credential)::

    GET  /share/{token}                   the brand's archive page, in the brand's language
    GET  /share/{token}/{month}/{file}    the file (locally) or a redirect to a fresh presigned URL (S3)

Authenticated route (IAM on AWS, like the rest of the API)::

    POST /brands/{brand}/share            {"month"?, "file"?, "days"?}: mint a link

Tokens that do not open what is asked get ``403`` with a message that says why.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from markupsafe import escape
from pydantic import BaseModel, ConfigDict, Field

from pulse.config import Brand
from pulse.exceptions import (
    ConfigError,
    NotFoundError,
    PulseError,
    RevokedShareLinkError,
    ShareLinkError,
    ShareNotAllowedError,
    UnknownBrandError,
    http_status,
)
from pulse.period import Month
from pulse.pipeline import CONTENT_TYPES, Services, list_reports, resolve, shared_services
from pulse.render import formatters as fmt
from pulse.render.html import environment
from pulse.render.i18n import gettext
from pulse.share import ANY, KeySource, ShareGrant, ShareSigner, mint_links, share_base_url

logger = logging.getLogger(__name__)

#: Lifetime of the presigned S3 URL a share link redirects to.
PRESIGNED_SECONDS = 300
#: Share answers are for one person: not cached by proxies, not indexed, no token in Referer.
SHARE_HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}


class MintShareLink(BaseModel):
    """Body of ``POST /brands/{brand}/share``."""

    model_config = ConfigDict(extra="forbid")

    month: str | None = Field(default=None, description="YYYY-MM; omitted: every month (the archive page)")
    file: str = Field(default=ANY, description="report.html, report.pdf, kpis.json, or * for all")
    days: int | None = Field(
        default=None, description="Shorter lifetime than the brand's sharing.expiry_days"
    )


def _keys(svc: Services) -> KeySource:
    if svc.share_keys is None:
        raise ConfigError(
            "share links are not configured: set PULSE_SHARE_KEY_SECRET (AWS) or use a local archive"
        )
    return svc.share_keys


def _wants_html(app: APIGatewayHttpResolver) -> bool:
    return "text/html" in (app.current_event.headers.get("accept") or "")


def _forbidden(app: APIGatewayHttpResolver, message: str) -> Response[str]:
    status = HTTPStatus.FORBIDDEN
    if _wants_html(app):
        page = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="robots" content="noindex">'
            f"<title>{status.value} {status.phrase}</title></head>"
            f"<body><h1>{status.phrase}</h1><p>{escape(message)}</p></body></html>"
        )
        return Response(status.value, content_types.TEXT_HTML, page, dict(SHARE_HEADERS))
    body = json.dumps({"error": status.phrase, "message": message})
    return Response(status.value, content_types.APPLICATION_JSON, body, dict(SHARE_HEADERS))


def register_share_routes(
    app: APIGatewayHttpResolver,
    services: Callable[[], Services],
    now: Callable[[], datetime],
    *,
    mint_route: bool = True,
) -> None:
    """Add the share routes to ``app``; ``mint_route`` also adds the authenticated minting route."""

    @app.exception_handler(ShareLinkError)  # type: ignore[untyped-decorator]
    def _refused(exc: ShareLinkError) -> Response[str]:
        return _forbidden(app, str(exc))

    @app.exception_handler(ShareNotAllowedError)  # type: ignore[untyped-decorator]
    def _not_allowed(exc: ShareNotAllowedError) -> Response[str]:
        return _forbidden(app, str(exc))

    def grant_for(
        token: str, month: str | None = None, name: str | None = None
    ) -> tuple[Services, Brand, ShareGrant]:
        svc = services()
        grant = ShareSigner(_keys(svc)).verify(token, now=now())
        try:
            brand = svc.brands.get(grant.brand)
        except UnknownBrandError:
            raise RevokedShareLinkError("this brand's reports are no longer shared") from None
        grant.check(brand, month, name)
        return svc, brand, grant

    @app.get("/share/<token>", summary="Archive page of a share link (public: the token is the credential)")
    def share_archive(token: str):  # type: ignore[no-untyped-def]
        svc, brand, grant = grant_for(token)
        months = [m for m in list_reports(svc.store, brand.id) if grant.covers_month(m)]
        html = render_archive_page(brand, grant, months, token)
        return Response(200, content_types.TEXT_HTML + "; charset=utf-8", html, dict(SHARE_HEADERS))

    @app.get(
        "/share/<token>/<month>/<name>",
        summary="A report file through a share link: the file, or a redirect to a fresh presigned URL",
    )
    # No return annotation on purpose: Powertools' validation would JSON-encode a PDF's bytes.
    def share_file(token: str, month: str, name: str):  # type: ignore[no-untyped-def]
        svc, brand, _ = grant_for(token, month, name)
        try:
            key = resolve(svc.store, brand.id, Month.parse(month), name)  # the published version's file
        except NotFoundError:
            raise NotFoundError(f"{brand.name} has no {name} for {month} in the archive") from None
        url = svc.store.download_url(key, PRESIGNED_SECONDS)
        if url is None:  # a store with no HTTP address (a local directory): answer with the file itself
            return Response(200, CONTENT_TYPES[name], svc.store.get(key), dict(SHARE_HEADERS))
        return Response(HTTPStatus.FOUND.value, None, "", {**SHARE_HEADERS, "Location": url})

    if not mint_route:
        return

    @app.post(
        "/brands/<brand>/share",
        summary="Mint a share link (the caller must match the brand's sharing.minters)",
        responses={201: {"description": "The link"}, 403: {"description": "Not a minter, or sharing off"}},
    )
    def mint(brand: str, request: Annotated[MintShareLink, Body()]) -> Response[str]:
        svc = services()
        b = svc.brands.get(brand)
        month = Month.parse(request.month) if request.month else None
        event = app.current_event
        authorizer = (event.raw_event.get("requestContext") or {}).get("authorizer") or {}
        caller = (authorizer.get("iam") or {}).get("userArn") or "local"
        base = share_base_url(svc.settings) or f"https://{event.request_context.domain_name}"
        links = mint_links(
            _keys(svc), base, b, month, now=now(), caller=caller, file=request.file, days=request.days
        )
        url = (
            links.file(month, request.file if request.file != ANY else "report.html")
            if month
            else links.archive
        )
        payload = {
            "brand": b.id,
            "month": str(month) if month else ANY,
            "file": request.file,
            "url": url,
            "archive": links.archive,
            "expires_at": links.expires_at.isoformat(),
        }
        return Response(HTTPStatus.CREATED.value, content_types.APPLICATION_JSON, json.dumps(payload))


def render_archive_page(brand: Brand, grant: ShareGrant, months: list[str], token: str) -> str:
    """The archive page: the months the grant covers, newest first, each with its files.

    Links are relative to the page (``<token>/<month>/<file>``), so the page works
    behind any base path (a custom domain's mapping, `pulse serve`).
    """
    lang = brand.language
    rows = []
    for month in sorted(months, reverse=True):
        m = Month.parse(month)
        files = [
            (name, f"{token}/{month}/{name}")
            for name in ("report.html", "report.pdf", "kpis.json")
            if grant.file in (ANY, name)
        ]
        rows.append({"month": month, "label": fmt.month_name(m.first_day, lang).capitalize(), "files": files})
    template = environment(lang).get_template("share_archive.html.j2")
    return template.render(
        brand=brand,
        rows=rows,
        expires=fmt.long_date(grant.expires_at, lang),
        file_labels={
            "report.html": gettext(lang, "Interactive report"),
            "report.pdf": gettext(lang, "PDF"),
            "kpis.json": gettext(lang, "Numbers (JSON)"),
        },
    )


def build_share_resolver(
    services: Callable[[], Services], now: Callable[[], datetime]
) -> APIGatewayHttpResolver:
    """A resolver with only the public share routes (the public function on AWS)."""
    app = APIGatewayHttpResolver(enable_validation=True)

    def answer(status: HTTPStatus, message: str) -> Response[str]:
        body = json.dumps({"error": status.phrase, "message": message})
        return Response(status.value, content_types.APPLICATION_JSON, body, dict(SHARE_HEADERS))

    @app.exception_handler(PulseError)  # type: ignore[untyped-decorator]
    def _error(exc: PulseError) -> Response[str]:
        status = http_status(exc)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            # Configuration or storage trouble: in the function's log, not detailed to an anonymous reader.
            logger.error("share request failed", exc_info=exc)
            return answer(status, "the report archive cannot be read right now")
        return answer(status, str(exc))

    @app.not_found
    def _not_found(exc: Exception) -> Response[str]:
        body = json.dumps({"error": "Not Found", "message": "no such share route"})
        return Response(404, content_types.APPLICATION_JSON, body, dict(SHARE_HEADERS))

    register_share_routes(app, services, now, mint_route=False)
    return app


def create_share_handler(
    services: Services | None = None, now: Callable[[], datetime] | None = None
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The public function's handler: services built on first use, reused while warm."""
    from datetime import UTC

    def get_services() -> Services:
        return services if services is not None else shared_services()

    resolver = build_share_resolver(get_services, now or (lambda: datetime.now(UTC)))

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return resolver.resolve(event, context)

    handler.resolver = resolver  # type: ignore[attr-defined]
    return handler
