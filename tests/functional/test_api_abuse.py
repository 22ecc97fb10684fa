"""The local API (`pulse serve`) under abuse, over real HTTP on loopback.

Every hostile request gets a 4xx with a JSON message (never a 5xx), no response
carries a local path or the list of brands, an idle or slow client never holds
up another, and the API key is checked before anything about the body.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pulse.api import create_handler
from pulse.exceptions import ConfigError
from pulse.pipeline import Services
from pulse.server import PulseHTTPServer, make_server, serve_in_thread
from pulse.settings import Settings

KEY = "k3y-for-the-abuse-suite"


@dataclass
class Seen:
    """Every status the suite received, to count the 5xx at the end."""

    statuses: list[tuple[str, int]] = field(default_factory=list)

    def server_errors(self) -> list[tuple[str, int]]:
        return [(probe, status) for probe, status in self.statuses if status >= 500]


SEEN = Seen()


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("abuse")


def start(out: Path, api_key: str | None = None, socket_timeout: float = 1.0) -> PulseHTTPServer:
    settings = Settings(
        archive=str(out / "archive"), outbox=out / "outbox", state_dir=out / "state", mail_transport="outbox"
    )
    services = Services.from_settings(settings)
    handler = create_handler(services)
    server = make_server("127.0.0.1", 0, handler, api_key=api_key, socket_timeout=socket_timeout)
    serve_in_thread(server)
    return server


@pytest.fixture(scope="module")
def server(out: Path) -> Iterator[PulseHTTPServer]:
    srv = start(out)
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def patient(out: Path) -> Iterator[PulseHTTPServer]:
    """A server that waits 60 s for silent clients: blocking would show, not time out."""
    srv = start(out, socket_timeout=60.0)
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def keyed(out: Path) -> Iterator[PulseHTTPServer]:
    srv = start(out, api_key=KEY)
    yield srv
    srv.shutdown()
    srv.server_close()


def raw(server: PulseHTTPServer, data: bytes, timeout: float = 5.0) -> tuple[int, bytes]:
    """Send raw bytes; the status and body of the answer (status 0 if the server just closed)."""
    with socket.create_connection(server.server_address[:2], timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    answer = b"".join(chunks)
    if not answer:
        return 0, b""
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def call(
    server: PulseHTTPServer,
    probe: str,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    data = body.encode() if isinstance(body, str) else body
    conn.request(method, path, body=data, headers=headers or {})
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    SEEN.statuses.append((probe, response.status))
    text = payload.decode("utf-8", errors="replace")
    assert "/tmp" not in text and "file://" not in text and str(Path.home()) not in text, text
    return response.status, (json.loads(payload) if payload else {})


JSON = {"Content-Type": "application/json"}

#: (probe, method, path, body, headers, expected status)
HOSTILE: list[tuple[str, str, str, str | bytes | None, dict[str, str], int]] = [
    (
        "cross-site text/plain post",
        "POST",
        "/reports",
        '{"brand": "brightbank", "send": true}',
        {"Content-Type": "text/plain"},
        415,
    ),
    (
        "form post",
        "POST",
        "/reports",
        "brand=brightbank",
        {"Content-Type": "application/x-www-form-urlencoded"},
        415,
    ),
    ("no content type", "POST", "/reports", '{"brand": "brightbank"}', {}, 415),
    ("send: yes", "POST", "/reports", '{"brand": "brightbank", "send": "yes"}', JSON, 400),
    ("send: 1", "POST", "/reports", '{"brand": "brightbank", "send": 1}', JSON, 400),
    ("force: 'true'", "POST", "/reports", '{"brand": "brightbank", "force": "true"}', JSON, 400),
    ("brand as a number", "POST", "/reports", '{"brand": 7}', JSON, 400),
    ("brand too long", "POST", "/reports", json.dumps({"brand": "a" * 5000}), JSON, 400),
    ("month 0000-01", "POST", "/reports", '{"brand": "brightbank", "month": "0000-01"}', JSON, 400),
    ("month 9999-12", "POST", "/reports", '{"brand": "brightbank", "month": "9999-12"}', JSON, 400),
    ("month 2026-13", "POST", "/reports", '{"brand": "brightbank", "month": "2026-13"}', JSON, 400),
    ("Arabic-Indic month", "POST", "/reports", '{"brand": "brightbank", "month": "٢٠٢٦-١٠"}', JSON, 400),
    ("deep JSON", "POST", "/reports", "[" * 100_00, JSON, 400),
    ("deep but valid JSON", "POST", "/reports", '{"brand": ' + "[" * 40 + "]" * 40 + "}", JSON, 400),
    ("huge integer", "POST", "/reports", '{"brand": "brightbank", "send": ' + "9" * 5000 + "}", JSON, 400),
    ("invalid JSON", "POST", "/reports", '{"brand": ', JSON, 400),
    ("JSON array", "POST", "/reports", "[]", JSON, 400),
    ("JSON null", "POST", "/reports", "null", JSON, 400),
    ("not UTF-8", "POST", "/reports", b'{"brand": "\xff\xfe"}', JSON, 400),
    ("body too large", "POST", "/reports", json.dumps({"brand": "x" * 20_000}), JSON, 413),
    ("unknown brand", "POST", "/reports", '{"brand": "nobody-here"}', JSON, 404),
    ("bad brand id", "POST", "/reports", '{"brand": "../../etc"}', JSON, 400),
    ("GET month 0000-01", "GET", "/reports/brightbank/0000-01", None, {}, 400),
    ("GET month 9999-12", "GET", "/reports/brightbank/9999-12", None, {}, 400),
    ("GET missing report", "GET", "/reports/brightbank/2026-10", None, {}, 404),
    ("GET missing file", "GET", "/reports/brightbank/2026-10/report.pdf", None, {}, 404),
    ("GET unknown file", "GET", "/reports/brightbank/2026-10/passwd", None, {}, 404),
    ("GET traversal", "GET", "/reports/..%2f..%2fetc/2026-10/report.pdf", None, {}, 400),
    ("GET encoded file traversal", "GET", "/reports/brightbank/2026-10/..%2f..%2fstate", None, {}, 404),
    ("GET bad escape", "GET", "/reports/%ff/2026-10", None, {}, 400),
    ("GET unknown brand", "GET", "/brands/nobody-here/reports", None, {}, 404),
    ("GET unknown job", "GET", "/jobs/nope", None, {}, 404),
    ("GET no route", "GET", "/admin", None, {}, 404),
    ("DELETE", "DELETE", "/reports/brightbank/2026-10", None, {}, 404),
    ("OPTIONS preflight", "OPTIONS", "/reports", None, {"Origin": "https://evil.example"}, 405),
    ("HEAD", "HEAD", "/reports/brightbank/2026-10", None, {}, 405),
    ("DNS rebinding", "GET", "/brands/brightbank/reports", None, {"Host": "evil.example"}, 421),
    ("chunked body", "POST", "/reports", None, {**JSON, "Transfer-Encoding": "chunked"}, 411),
]


@pytest.mark.parametrize(
    ("probe", "method", "path", "body", "headers", "expected"), HOSTILE, ids=[h[0] for h in HOSTILE]
)
def test_hostile_requests_get_a_clear_4xx(
    server: PulseHTTPServer,
    probe: str,
    method: str,
    path: str,
    body: str | bytes | None,
    headers: dict[str, str],
    expected: int,
) -> None:
    status, payload = call(server, probe, method, path, body, headers)
    assert status == expected, payload
    if method != "HEAD":
        assert payload["message"], payload


def test_a_404_names_the_brand_asked_for_and_no_other(server: PulseHTTPServer) -> None:
    status, payload = call(server, "unknown brand", "GET", "/brands/nobody-here/reports")
    assert status == 404 and payload["message"] == "no brand 'nobody-here'"
    assert "maison-lumiere" not in json.dumps(payload)


@pytest.mark.parametrize(
    ("probe", "request_bytes", "expected"),
    [
        (
            "Content-Length -1",
            b"POST /reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: -1\r\n\r\n{}",
            400,
        ),
        (
            "Content-Length not a number",
            b"POST /reports HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1e3\r\n\r\n",
            400,
        ),
        (
            "Content-Length huge",
            b"POST /reports HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999\r\n\r\n",
            413,
        ),
        ("garbage request line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
        ("URL of 70 kB", b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
        ("200 headers", b"GET /admin HTTP/1.1\r\nHost: localhost\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", 431),
    ],
)
def test_malformed_framing_gets_a_4xx_at_once(
    server: PulseHTTPServer, probe: str, request_bytes: bytes, expected: int
) -> None:
    started = time.monotonic()
    status, body = raw(server, request_bytes)
    SEEN.statuses.append((probe, status))
    assert status == expected, body
    assert time.monotonic() - started < 3  # answered, not left hanging


def test_idle_and_slow_clients_do_not_block_others(patient: PulseHTTPServer) -> None:
    address = patient.server_address[:2]
    idle = [socket.create_connection(address) for _ in range(30)]  # connected, silent
    slow = socket.create_connection(address)  # promises a body it never sends
    slow.sendall(b"POST /reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{")  # fmt: skip
    blocked = 0
    try:
        for _ in range(10):
            started = time.monotonic()
            status, _ = call(patient, "while others idle", "GET", "/brands/brightbank/reports")
            if status != 200 or time.monotonic() - started > 5:  # vs 60 s if they blocked it
                blocked += 1
    finally:
        for sock in [*idle, slow]:
            sock.close()
    assert blocked == 0


def test_silent_clients_are_disconnected(server: PulseHTTPServer) -> None:
    address = server.server_address[:2]
    with socket.create_connection(address) as idle, socket.create_connection(address) as slow:
        slow.sendall(b"POST /reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{")  # fmt: skip
        for sock in (idle, slow):
            sock.settimeout(10)
            assert sock.recv(100) == b""  # closed by the server after its 1 s socket timeout


def test_the_key_is_checked_before_the_body(keyed: PulseHTTPServer) -> None:
    status, payload = call(keyed, "no key, bad body", "POST", "/reports", '{"nonsense": ', JSON)
    assert status == 401 and "x-api-key" in payload["message"]  # not "invalid JSON"
    status, _ = call(keyed, "no key, text/plain", "POST", "/reports", "x", {"Content-Type": "text/plain"})
    assert status == 401
    status, _ = (
        raw(keyed, b"POST /reports HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999\r\n\r\n"),
        None,
    )
    assert status[0] == 401
    status, _ = call(keyed, "key in the query", "GET", f"/brands/brightbank/reports?x-api-key={KEY}")
    assert status == 401
    status, payload = call(
        keyed, "with the key", "GET", "/brands/brightbank/reports", headers={"x-api-key": KEY}
    )
    assert status == 200 and payload["reports"] == []


def test_the_log_never_shows_a_query_string(
    keyed: PulseHTTPServer, capfd: pytest.CaptureFixture[str]
) -> None:
    call(keyed, "secret in query", "GET", f"/brands/brightbank/reports?api_key={KEY}&token=tok-123")
    time.sleep(0.1)
    logged = capfd.readouterr().out
    assert "/brands/brightbank/reports" in logged
    assert KEY not in logged and "tok-123" not in logged


def test_listening_beyond_loopback_needs_a_key() -> None:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise AssertionError

    with pytest.raises(ConfigError, match="PULSE_API_KEY"):
        make_server("0.0.0.0", 0, handler)
    server = make_server("0.0.0.0", 0, handler, api_key=KEY)
    server.server_close()


def test_no_request_of_the_suite_got_a_5xx(out: Path) -> None:
    """The figure for the closing note: 5xx count over every probe above (run last in this module)."""
    assert len(SEEN.statuses) >= len(HOSTILE)
    assert not (out / "archive" / "reports").exists()  # no hostile request built a report
    assert not (out / "outbox").exists()  # nor sent one
    assert SEEN.server_errors() == []
    print(f"\nAPI abuse suite: {len(SEEN.statuses)} requests, {len(SEEN.server_errors())} 5xx")


def test_concurrent_clients_all_get_answers(server: PulseHTTPServer) -> None:
    results: list[int] = []

    def client() -> None:
        for _ in range(5):
            status, _ = call(server, "concurrent", "GET", "/brands/cafe-boreal/reports")
            results.append(status)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [200] * 40


def test_pulse_serve_refuses_a_public_address_without_a_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    pulse = str(Path(sys.executable).with_name("pulse"))
    done = subprocess.run(
        [pulse, "serve", "--host", "0.0.0.0", "--port", "0", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2 and "PULSE_API_KEY" in done.stderr, done.stderr
