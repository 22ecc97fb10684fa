"""The interface every source of engagement data implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pulse.config import Brand
from pulse.tables import Tables

#: ``on_progress(account, message)``: what a source is doing, for a person watching the CLI.
Progress = Callable[[str, str], None]


class Source(ABC):
    """Produces canonical tables for a brand over a window of time.

    ``fetch`` returns the posts, messages and follower snapshots whose time
    falls in ``[start, end)`` (UTC instants). Posts may be returned again with
    newer metrics; the lake keeps the latest values.

    ``deadline`` is a ``time.monotonic()`` value the fetch should stop by (what
    it could not read is resumed by the next run); ``on_progress`` is called with
    an account and a message as the fetch goes. Sources that are quick ignore both.
    """

    name: str

    @abstractmethod
    def fetch(
        self,
        brand: Brand,
        start: datetime,
        end: datetime,
        *,
        deadline: float | None = None,
        on_progress: Progress | None = None,
    ) -> Tables: ...

    def commit(self, brand: Brand) -> None:  # noqa: B027 - optional hook
        """Called once the last fetched batch is stored: a source may advance its checkpoints."""

    def report(self) -> dict[str, Any] | None:
        """What the last ``fetch`` did (per account), or None for a source with nothing to say."""
        return None

    def problems(self) -> list[str]:
        """Errors and quarantined responses of the last ``fetch`` (the run must then fail)."""
        return []

    def reply_reach(self) -> dict[str, int | str]:
        """Per platform of the last ``fetch``: how old a post may be for late replies to it to be
        fetched (days; ``"any"``: any age; 0: no replies). Empty: the source says nothing."""
        return {}
