"""``pulse serve``: the API handler behind a local HTTP server, so ``curl`` works without AWS.

Each request becomes an API Gateway HTTP API (payload v2) event and goes
through the very handler deployed to Lambda. Safe by default:

* it listens on loopback unless told otherwise, and refuses to listen elsewhere
  without an API key (:func:`check_exposure`);
* on loopback it answers only to a loopback ``Host`` (a web page cannot reach it
  through DNS rebinding), and the handler accepts bodies only as JSON (a web page
  cannot post a form to it);
* the key, when set, is checked before a byte of the body is read; a body must
  have a ``Content-Length`` of at most :data:`MAX_BODY_BYTES`;
* every connection has its own thread and a socket timeout, so an idle or slow
  client never holds up another; the handler itself runs on one worker thread
  (the browser that renders reports, and Powertools' resolver, belong to one thread);
* the log shows the method, the path without its query string, and the status.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import json
import logging
import re
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pulse.exceptions import ConfigError
from pulse.share import is_public

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

logger = logging.getLogger(__name__)

_SHARE_TOKEN = re.compile(r"(/share/)[^/\s?]+")


def redact_share_tokens(text: str) -> str:
    """A share link's token is a credential: logs keep its route, not the token."""
    return _SHARE_TOKEN.sub(r"\1<token>", text)


#: Largest request body read (the API's bodies are a few dozen bytes).
MAX_BODY_BYTES = 16 * 1024
#: Seconds a client may stay silent (while sending its request) before it is disconnected.
SOCKET_TIMEOUT_SECONDS = 10.0
#: Seconds a request may wait for the handler (a report renders in seconds).
HANDLER_TIMEOUT_SECONDS = 600.0
_LOOPBACK_NAMES = ("localhost", "localhost.")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, api_key: str | None) -> None:
    """Refuse to listen beyond this machine without an API key (raises :class:`ConfigError`)."""
    if not is_loopback(host) and not api_key:
        raise ConfigError(
            f"listening on {host} exposes the API to the network: set PULSE_API_KEY "
            "(clients then send it in the x-api-key header), or listen on 127.0.0.1"
        )


def to_event(
    method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str = "127.0.0.1"
) -> dict[str, Any]:
    """An HTTP API v2 event for one request, as API Gateway would build it.

    Raises ``UnicodeDecodeError`` for a body that is not UTF-8 text.
    """
    url = urlsplit(target)
    now = datetime.now(UTC)
    text = body.decode("utf-8") if body else None
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "queryStringParameters": dict(parse_qsl(url.query)) or None,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("Host", "localhost"),
            "http": {
                "method": method,
                "path": url.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("User-Agent", ""),
            },
            "requestId": f"local-{now.timestamp()}",
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": text,
        "isBase64Encoded": False,
    }


class PulseHTTPServer(ThreadingHTTPServer):
    """One thread per connection; the handler calls go through one worker thread."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        handler: Handler,
        api_key: str | None,
        socket_timeout: float = SOCKET_TIMEOUT_SECONDS,
    ) -> None:
        self.handler = handler
        self.api_key = api_key
        self.socket_timeout = socket_timeout
        self.loopback = is_loopback(address[0])
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pulse-handler")
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _RequestHandler)

    def on_worker(self, work: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Run ``work`` on the handler's thread (e.g. closing the browser it opened)."""
        return self.worker.submit(work).result(timeout=timeout)

    def server_close(self) -> None:
        super().server_close()
        self.worker.shutdown(wait=False, cancel_futures=True)


class _RequestHandler(BaseHTTPRequestHandler):
    server: PulseHTTPServer
    server_version = "CommunityPulse/0.1"
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # so an unparsable request still gets a status line

    def setup(self) -> None:
        self.timeout = self.server.socket_timeout  # type: ignore[misc]  # the connection socket's timeout
        super().setup()

    def _dispatch(self) -> None:
        problem = self._refuse_before_body()
        if problem is not None:
            self._send_error(*problem)
            return
        body = self._read_body()
        if body is None:
            return
        try:
            event = to_event(
                self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
            )
        except UnicodeDecodeError:
            self._send_error(HTTPStatus.BAD_REQUEST, "the body is not UTF-8 text")
            return
        try:
            result = self.server.worker.submit(self.server.handler, event, None).result(
                timeout=HANDLER_TIMEOUT_SECONDS
            )
        except Exception:  # what API Gateway would answer for a crashed function
            logger.exception("the handler failed")
            self._send_error(HTTPStatus.INTERNAL_SERVER_ERROR, "the server could not complete the request")
            return
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode("utf-8")
        self.send_response(int(result.get("statusCode", 200)))
        for key, value in (result.get("headers") or {}).items():
            self.send_header(key, str(value))
        for cookie in result.get("cookies") or []:
            self.send_header("Set-Cookie", cookie)
        self._common_headers(len(data))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch

    def _refuse_before_body(self) -> tuple[HTTPStatus, str] | None:
        """Host, key and framing checks, made before any byte of the body is read."""
        if self.server.loopback:
            host = (self.headers.get("Host") or "").strip()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if not is_loopback(name):
                return HTTPStatus.MISDIRECTED_REQUEST, "this server answers only to localhost"
        public = self.command == "GET" and is_public(
            urlsplit(self.path).path
        )  # share links: the token is the key
        if self.server.api_key is not None and not public:
            given = self.headers.get("x-api-key") or ""
            if not hmac.compare_digest(given.encode(), self.server.api_key.encode()):
                return HTTPStatus.UNAUTHORIZED, "missing or wrong x-api-key header"
        if self.headers.get("Transfer-Encoding"):
            return HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length, not chunked"
        length = self.headers.get("Content-Length")
        if length is not None:
            if not length.strip().isascii() or not length.strip().isdigit():
                return HTTPStatus.BAD_REQUEST, f"invalid Content-Length {length!r}"
            if int(length) > MAX_BODY_BYTES:
                return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is over {MAX_BODY_BYTES} bytes"
        return None

    def _read_body(self) -> bytes | None:
        """The body (``b""`` if none), or None when the client went silent (then the connection is closed)."""
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return b""
        try:
            body = self.rfile.read(length)
        except (TimeoutError, OSError):
            self.close_connection = True
            return None
        if len(body) < length:  # the client closed the connection early
            self.close_connection = True
            return None
        return body

    def _send_error(self, status: HTTPStatus, message: str) -> None:
        data = json.dumps({"error": status.phrase, "message": message}).encode()
        self.send_response(status.value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")  # the body, if any, was not read
        self._common_headers(len(data))
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def _common_headers(self, length: int) -> None:
        self.send_header("Content-Length", str(length))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed requests (bad request line, too many headers): JSON like every other error."""
        try:
            status = HTTPStatus(code)
        except ValueError:
            status = HTTPStatus.BAD_REQUEST
        if status == HTTPStatus.NOT_IMPLEMENTED:  # a method the API has no route for (HEAD, OPTIONS...)
            status, message = HTTPStatus.METHOD_NOT_ALLOWED, f"method {self.command} is not allowed"
        self._send_error(status, message or status.phrase)

    def log_message(self, format: str, *args: Any) -> None:
        """One JSON line per request: method, path without its query string, status."""
        path = urlsplit(self.path).path if isinstance(getattr(self, "path", None), str) else None
        path = redact_share_tokens(path) if path else path
        status = args[1] if format.startswith('"%s" %s') and len(args) > 1 else None
        print(
            json.dumps({"method": getattr(self, "command", None), "path": path, "status": status}),
            flush=True,
        )


def make_server(
    host: str,
    port: int,
    handler: Handler,
    *,
    api_key: str | None = None,
    socket_timeout: float = SOCKET_TIMEOUT_SECONDS,
) -> PulseHTTPServer:
    """The local server; refuses a non-loopback ``host`` without ``api_key`` (:func:`check_exposure`)."""
    check_exposure(host, api_key)
    return PulseHTTPServer((host, port), handler, api_key or None, socket_timeout)


def serve_in_thread(server: PulseHTTPServer) -> threading.Thread:
    """Run ``server`` in a daemon thread (tests, embedding); stop it with ``server.shutdown()``."""
    thread = threading.Thread(target=server.serve_forever, name="pulse-serve", daemon=True)
    thread.start()
    return thread
