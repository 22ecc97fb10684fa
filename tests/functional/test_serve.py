"""`pulse serve` (what `make serve` runs): the API handler behind a real local HTTP server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulse.lake import Lake
from pulse.sources import DemoSource
from pulse.storage import LocalStore
from tests.conftest import WINDOW, requires_browser, wait_until_listening

pytestmark = [requires_browser]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, brands) -> Iterator[str]:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("serve")
    lake = Lake(LocalStore(out / "archive"))
    brand = brands.get("brightbank")
    lake.write(brand.id, brand.tz, DemoSource().fetch(brand, *WINDOW))
    port = _free_port()
    pulse = Path(sys.executable).with_name("pulse")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    proc = subprocess.Popen(
        [str(pulse), "serve", "--port", str(port), "--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_listening(proc, port)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def request(
    method: str, url: str, body: dict[str, object] | None = None
) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_post_then_get_over_http(server: str) -> None:
    status, headers, raw = request("POST", f"{server}/reports", {"brand": "brightbank", "month": "2026-10"})
    assert status == 201, raw
    assert headers["Location"] == "/reports/brightbank/2026-10"
    created = json.loads(raw)
    assert created["ok"] and created["mail"] is None  # on-demand reports are not mailed unless asked

    status, _, raw = request("GET", f"{server}/reports/brightbank/2026-10")
    assert status == 200
    assert set(json.loads(raw)["files"]) == {"report.html", "report.pdf", "kpis.json"}

    status, headers, pdf = request("GET", f"{server}/reports/brightbank/2026-10/report.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf" and pdf.startswith(b"%PDF")

    status, headers, html = request("GET", f"{server}/reports/brightbank/2026-10/report.html")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"BrightBank" in html

    status, _, raw = request("GET", f"{server}/brands/brightbank/reports")
    assert status == 200 and json.loads(raw)["reports"][0]["month"] == "2026-10"


def test_errors_over_http(server: str) -> None:
    status, headers, raw = request("POST", f"{server}/reports", {"brand": "Bad Brand!"})
    assert status == 400 and headers["Content-Type"] == "application/json"
    assert "invalid brand id" in json.loads(raw)["message"]
    status, _, raw = request("GET", f"{server}/reports/cafe-boreal/2026-10")
    assert status == 404
    # The server still answers after errors.
    status, _, _ = request("GET", f"{server}/brands/cafe-boreal/reports")
    assert status == 200
