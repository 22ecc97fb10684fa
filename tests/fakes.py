"""In-memory fakes that behave like the real adapters, for tests of what surrounds them."""

from __future__ import annotations

import re
from types import TracebackType
from typing import Any

from pulse.render.renderer import RenderedReport, Renderer

#: A one-page PDF readers accept (pypdf opens it).
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class FakeRenderer:
    """A :class:`~pulse.render.renderer.Renderer` without a browser.

    Its PDF is :data:`MINIMAL_PDF` plus ``pad`` bytes (to test size limits), one
    PNG per ``data-chart`` element of the HTML; it records the HTML it was given.
    """

    def __init__(self, *_: Any, pad: int = 0) -> None:
        self.pad = pad
        self.rendered: list[str] = []
        self.closed = False

    def render(self, html: str, *, footer: str = "", chart_ids: list[str] | None = None) -> RenderedReport:
        self.rendered.append(html)
        ids = chart_ids if chart_ids is not None else re.findall(r'data-chart="([^"]+)"', html)
        pdf = MINIMAL_PDF + (b"%" + b"x" * self.pad + b"\n" if self.pad else b"")
        return RenderedReport(pdf=pdf, charts_png={i: PNG + i.encode() for i in ids}, pdf_pages=1)

    def forget(self) -> None:
        pass  # holds nothing of a report but its HTML, which tests read

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> FakeRenderer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def fake_renderer_factory(pad: int = 0) -> Any:
    """A ``Services.renderer_factory`` that opens :class:`FakeRenderer`s."""

    def factory(_settings: Any) -> Renderer:
        return FakeRenderer(pad=pad)

    return factory
