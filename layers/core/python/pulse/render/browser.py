"""PDF and PNG rendering in one headless Chromium session.

A :class:`ChromiumRenderer` starts the browser once and renders any number of
reports with it: each report's page is loaded once, its charts are exported as
PNG with ``Plotly.toImage`` (the same figures as on screen) and the page is
printed to an A4 PDF. No browser is started per chart, and none is downloaded:
the binary comes from the OS (Debian's ``chromium``) or ``PULSE_BROWSER``.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import html
import os
import shutil
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from pulse.exceptions import BrowserNotFoundError, RenderError
from pulse.render.renderer import RenderedReport

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-zygote",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--font-render-hinting=none",
]

#: CSS pixel width of an A4 page at 96 dpi minus the 12 mm side margins (186 mm): charts are
#: laid out at the printed width, so nothing is wider than the page.
PRINT_WIDTH = 703
CHART_PNG = {"width": 800, "height": 340, "scale": 1.5}


def find_browser(explicit: str | None = None) -> str:
    """Path of a Chrome/Chromium binary: ``explicit``, ``$PULSE_BROWSER``, then the usual names."""
    for candidate in (explicit, os.environ.get("PULSE_BROWSER")):
        if candidate:
            path = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
            if path:
                return path
            raise BrowserNotFoundError(f"browser {candidate!r} not found")
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise BrowserNotFoundError(
        "no Chrome/Chromium found to print the PDF: on Debian/Ubuntu run `make browser` "
        "(installs the `chromium` package); elsewhere install Chromium or set PULSE_BROWSER"
    )


_drivers = threading.local()


def _driver() -> Any:
    """This thread's Playwright driver, started once and shared by every renderer of the thread.

    Playwright's sync API allows one running instance per thread, so renderers
    (the API handler's, a batch run's) share it and each launch their own browser.
    """
    driver = getattr(_drivers, "playwright", None)
    if driver is None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RenderError("playwright is not installed: run `make install`") from exc
        driver = sync_playwright().start()
        _drivers.playwright = driver
        atexit.register(_stop_driver, driver)
    return driver


def _stop_driver(driver: Any) -> None:
    with contextlib.suppress(Exception):  # best effort at interpreter exit
        driver.stop()


def _header(label: str) -> str:
    return (
        '<div style="font-size:8px;width:100%;padding:0 12mm;color:#52606d;text-align:right;'
        f'font-family:DejaVu Sans,Arial,sans-serif;">{html.escape(label)}</div>'
        if label
        else "<div></div>"
    )


def _footer(label: str) -> str:
    return (
        '<div style="font-size:8px;width:100%;padding:0 12mm;color:#52606d;display:flex;'
        'justify-content:space-between;font-family:DejaVu Sans,Arial,sans-serif;">'
        "<span>Community Pulse</span>"
        '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>'
    )


class ChromiumRenderer:
    """A :class:`~pulse.render.renderer.Renderer`: one browser, and one page reused for every report.

    Use as a context manager.

    Reports are loaded one after the other into the same page at the same URL, so
    Chromium compiles the embedded plotly.js once: the first report of a run takes
    about a second to load, the next ones a fraction of that.
    """

    def __init__(self, browser_path: str | None = None, timeout_ms: int = 60_000) -> None:
        self.browser_path = find_browser(browser_path)
        self.timeout_ms = timeout_ms
        self._browser: Any = None
        self._context: Any = None
        self._page: Any = None
        self._errors: list[str] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> ChromiumRenderer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        if self._browser is not None:
            return
        try:
            self._browser = _driver().chromium.launch(
                executable_path=self.browser_path, args=CHROMIUM_ARGS, headless=True
            )
        except Exception as exc:
            self.close()
            raise RenderError(f"cannot start {self.browser_path}: {exc}") from exc

    def close(self) -> None:
        self._drop_page()
        if self._browser is not None:
            try:
                self._browser.close()
            finally:
                self._browser = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def forget(self) -> None:
        """Drop the last render's callers, so a warm worker frees one report before the next.

        Playwright's sync API keeps, on the task of its last call, the Python frame that made it
        (``__pw_caller_frame__``), and with it every caller's locals: after a report, its lake
        tables and month data stayed alive through the next report's read and KPIs
        (``benchmarks/report_bench`` on a 1M-message month: peak 1,116 MB, 799 MB with this). One
        trivial call made from here, whose callers hold nothing of a report, replaces that frame.
        """
        if self._page is None:
            return
        try:
            self._page.evaluate("0")
        except Exception:  # a page in an unknown state is not reused
            self._drop_page()

    def _drop_page(self) -> None:
        if self._context is not None:
            with contextlib.suppress(Exception):
                self._context.close()
        self._context = self._page = None

    def _ready_page(self) -> Any:
        """The reused page, set back to screen media; a new one if the last render failed."""
        self.start()
        if self._page is None:
            self._context = self._browser.new_context(viewport={"width": PRINT_WIDTH, "height": 1100})
            self._page = self._context.new_page()
            self._page.set_default_timeout(self.timeout_ms)
            self._page.on("pageerror", lambda e: self._errors.append(str(e)))
        self._page.emulate_media(media="screen")
        self._errors.clear()
        return self._page

    def render(self, html: str, *, footer: str = "", chart_ids: list[str] | None = None) -> RenderedReport:
        """Load ``html``, export its charts as PNG and print it to PDF."""
        page = self._ready_page()
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="pulse-render-")
        path = Path(self._tmp.name) / "report.html"
        path.write_text(html, encoding="utf-8")
        try:
            page.goto(path.as_uri(), wait_until="load")
            try:
                page.wait_for_function("window.pulseChartsReady === true")
            except Exception as exc:
                raise RenderError(f"charts did not render: {self._errors or exc}") from exc
            ids = (
                chart_ids
                if chart_ids is not None
                else page.eval_on_selector_all("[data-chart]", "els => els.map(e => e.dataset.chart)")
            )
            charts: dict[str, bytes] = {}
            for chart_id in ids:
                url = page.evaluate(
                    "([id, opts]) => Plotly.toImage(document.getElementById('chart-' + id), opts)",
                    [chart_id, {"format": "png", **CHART_PNG}],
                )
                charts[chart_id] = base64.b64decode(url.split(",", 1)[1])
            page.emulate_media(media="print")
            # Redraw the charts for the print stylesheet before printing (no-op for other pages).
            page.evaluate("() => window.pulseResizeCharts ? window.pulseResizeCharts() : null")
            pdf = page.pdf(
                format="A4",
                print_background=True,
                prefer_css_page_size=True,
                display_header_footer=True,
                header_template=_header(footer),
                footer_template=_footer(footer),
                margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
            )
        except Exception:
            self._drop_page()  # a page in an unknown state is not reused
            raise
        return RenderedReport(pdf=pdf, charts_png=charts)
