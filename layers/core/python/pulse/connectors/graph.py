"""What the Facebook and Instagram connectors share: the Meta Graph API.

The token goes in the ``Authorization`` header, never in a URL; ``paging.next``
links (which carry ``access_token``) are stripped of it before being followed
or stored in a checkpoint, and the archive redacts it from bodies.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pulse.connectors.base import UNREADABLE, Connector
from pulse.connectors.http import BudgetExhaustedError, strip_secret_params


def insight_values(node: Any) -> dict[str, Any]:
    """``{"data": [{"name", "values": [{"value"}]} | {"name", "total_value": {"value"}}]}`` as ``{name: value}``."""
    out: dict[str, Any] = {}
    data = node.get("data", []) if isinstance(node, dict) else []
    for metric in data:
        if "total_value" in metric:
            out[metric["name"]] = metric["total_value"].get("value")
        elif metric.get("values"):
            out[metric["name"]] = metric["values"][-1].get("value")
    return out


class GraphConnector(Connector):
    """Pagination over ``paging.next`` with a resumable cursor per stream."""

    def pages(
        self, stream: str, path: str, params: dict[str, Any], *, resumable: bool = True
    ) -> Iterator[list[Any]]:
        """Pages of ``data`` of ``path``; a budget stop keeps the next link in ``state[stream]["resume"]``."""
        run = self.run
        url: str | None = path
        query: dict[str, Any] | None = params
        while url:
            try:
                doc = run.get(url, query)
            except BudgetExhaustedError:
                if resumable and url != path:
                    run.state.setdefault(stream, {})["resume"] = url
                raise
            data = run.expect(doc, "data")
            yield data
            next_url = doc.get("paging", {}).get("next")
            url = strip_secret_params(next_url) if next_url else None
            query = None

    def windowed(
        self, stream: str, path: str, params: dict[str, Any], time_field: str
    ) -> Iterator[tuple[Any, bool]]:
        """Items newer than the stream's lower bound, newest first, each with whether it is new.

        A pass interrupted by the budget resumes from its next link; the
        stream's ``newest_time`` advances only when a pass completes.
        """
        run = self.run
        state = run.state.setdefault(stream, {})
        seen = state.get("newest_time")
        seen_at = datetime.fromisoformat(seen) if seen and not run.backfill else None
        bound = run.lower_bound(stream)
        resume = state.pop("resume", None)
        newest: datetime | None = None
        starts = [resume, path] if resume else [path]
        for start in starts:
            for page in self.pages(stream, start, params if start == path else {}):
                stop = False
                for node in page:
                    try:
                        at = run.parse_time(node[time_field])
                    except UNREADABLE:
                        yield node, True  # let the caller quarantine it
                        continue
                    if at < bound:
                        stop = True
                        continue
                    newest = at if newest is None or at > newest else newest
                    yield node, seen_at is None or at > seen_at
                if stop:
                    break
        if newest is not None and (not seen or newest > datetime.fromisoformat(seen)):
            state["newest_time"] = newest.isoformat()
