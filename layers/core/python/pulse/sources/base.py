"""The interface every source of engagement data implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from pulse.config import Brand
from pulse.tables import Tables


class Source(ABC):
    """Produces canonical tables for a brand over a window of time.

    ``fetch`` returns the posts, messages and follower snapshots whose time
    falls in ``[start, end)`` (UTC instants). Posts may be returned again with
    newer metrics; the lake keeps the latest values.
    """

    name: str

    @abstractmethod
    def fetch(self, brand: Brand, start: datetime, end: datetime) -> Tables: ...
