"""Shared fixtures: sample events, demo brands and data, a local archive, one browser."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pulse.config import Brand, BrandRegistry, load_brands
from pulse.period import Month
from pulse.settings import Settings
from pulse.sources import DemoSource
from pulse.tables import Tables

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
REPORT_MONTH = Month(2026, 10)
#: Demo data window used by the tests: September and October 2026 plus replies into November.
WINDOW = (datetime(2026, 8, 31, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC))


def load_event(name: str) -> dict[str, Any]:
    """A sample event from events/ (the same files `sam local invoke -e` takes)."""
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return data


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py fresh (its module-level state is per cold start)."""
    path = ROOT / "functions" / name / "app.py"
    module_name = f"function_{name}_app"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def published_folder(reports: Path, brand: str, month: str) -> Path:
    """The folder of a brand-month's published report in a local archive's ``reports/`` (its manifest's version)."""
    manifest = json.loads((reports / brand / month / "manifest.json").read_text(encoding="utf-8"))
    folder = reports / brand / month / manifest["version"]
    assert {(folder / n).as_posix() for n in manifest["files"]} == {
        (reports.parent / f["key"]).as_posix() for f in manifest["files"].values()
    }
    return folder


def has_browser() -> bool:
    from pulse.exceptions import BrowserNotFoundError
    from pulse.render.browser import find_browser

    try:
        find_browser()
    except BrowserNotFoundError:
        return False
    return True


requires_browser = pytest.mark.skipif(
    not has_browser() and not os.environ.get("CI"), reason="no Chromium on this machine (run `make browser`)"
)


@pytest.fixture(scope="session")
def brands() -> BrandRegistry:
    return load_brands()


@pytest.fixture(scope="session")
def french_brand(brands: BrandRegistry) -> Brand:
    return brands.get("maison-lumiere")


@pytest.fixture(scope="session")
def english_brand(brands: BrandRegistry) -> Brand:
    return brands.get("brightbank")


@pytest.fixture(scope="session")
def demo_tables(brands: BrandRegistry) -> dict[str, Tables]:
    source = DemoSource()
    return {b.id: source.fetch(b, *WINDOW) for b in brands}


@pytest.fixture
def local_settings(tmp_path: Path) -> Settings:
    return Settings(archive=str(tmp_path / "archive"), outbox=tmp_path / "outbox", mail_transport="outbox")


@pytest.fixture(scope="session")
def renderer() -> Iterator[Any]:
    from pulse.render.browser import ChromiumRenderer

    with ChromiumRenderer() as r:
        yield r


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials so nothing can reach a real AWS account."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_REGION": "eu-west-3",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def pdftoppm() -> str | None:
    return shutil.which("pdftoppm")


def wait_until_listening(proc: subprocess.Popen[bytes], port: int, timeout: float = 30) -> None:
    """Wait until a server process started by a test accepts connections on loopback ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "server exited"
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")
