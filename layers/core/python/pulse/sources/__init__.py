"""Sources of engagement data: platform connectors, file exports and the demo."""

from __future__ import annotations

from pulse.sources.base import Progress, Source
from pulse.sources.demo import DemoSource

__all__ = ["DemoSource", "Progress", "Source"]
