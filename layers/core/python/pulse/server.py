"""``pulse serve``: the API handler behind a local HTTP server, so ``curl`` works without AWS.

Each request becomes an API Gateway HTTP API (payload v2) event and goes
through the very handler deployed to Lambda. The server is single-threaded on
purpose: the browser used to render reports belongs to one thread.
"""

from __future__ import annotations

import base64
import json
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def to_event(method: str, target: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """An HTTP API v2 event for one request, as API Gateway would build it."""
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
                "sourceIp": "127.0.0.1",
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


def make_server(host: str, port: int, handler: Handler) -> HTTPServer:
    class RequestHandler(BaseHTTPRequestHandler):
        server_version = "CommunityPulse/0.1"

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            event = to_event(self.command, self.path, dict(self.headers.items()), body)
            try:
                result = handler(event, None)
            except Exception as exc:  # what API Gateway would answer for a crashed function
                traceback.print_exc()
                message = json.dumps({"error": "Internal Server Error", "message": str(exc)})
                result = {"statusCode": 500, "headers": {"Content-Type": "application/json"}, "body": message}
            payload = result.get("body") or ""
            data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode("utf-8")
            self.send_response(int(result.get("statusCode", 200)))
            for key, value in (result.get("headers") or {}).items():
                self.send_header(key, str(value))
            for cookie in result.get("cookies") or []:
                self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            print(json.dumps({"request": self.requestline, "status": args[1] if len(args) > 1 else None}))

    return HTTPServer((host, port), RequestHandler)
