"""The renderer seam: HTML in, PDF and chart PNGs out.

:class:`pulse.render.browser.ChromiumRenderer` is the implementation reports
use; tests of delivery pass a fake one (``tests/fakes.py``) so they run without
a browser. A renderer may hold an expensive resource (a browser): it is opened
once, used for any number of reports and closed with :meth:`Renderer.close`
or as a context manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self, runtime_checkable


@dataclass(frozen=True)
class RenderedReport:
    pdf: bytes
    charts_png: dict[str, bytes]
    pdf_pages: int | None = None


@runtime_checkable
class Renderer(Protocol):
    """Turns a report's self-contained HTML into its PDF and the PNG of each chart."""

    def render(self, html: str, *, footer: str = "", chart_ids: list[str] | None = None) -> RenderedReport:
        """Render ``html``; ``footer`` labels every PDF page; ``chart_ids`` defaults to every chart."""
        ...

    def forget(self) -> None:
        """Between reports: let go of anything still tied to the last one (its callers' data)."""
        ...

    def close(self) -> None:
        """Release what the renderer holds (safe to call twice)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
