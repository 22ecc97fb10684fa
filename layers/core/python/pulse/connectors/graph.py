"""What the Facebook and Instagram connectors share: the Meta Graph API.

The token goes in the ``Authorization`` header, never in a URL; ``paging.next``
links (which carry ``access_token``) are stripped of it before being followed
or stored in a checkpoint, and the archive redacts it from bodies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulse.connectors.base import UNREADABLE, AccountRun, Connector, NewestFirst
from pulse.connectors.http import BudgetExhaustedError, HttpError, meta_usage, strip_secret_params

#: Usage (percent of a limit, from Meta's usage headers) at which a run stops asking before it is
#: throttled (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/): the next
#: run resumes; throttled calls would only extend the block.
USAGE_STOP = 95.0
USAGE_WARN = 75.0
#: Error codes meaning "this metric or field cannot be read here" (renamed, deprecated, not for this
#: media, missing permission): https://developers.facebook.com/docs/graph-api/guides/error-handling/.
REFUSAL_CODES = frozenset({10, 100, *range(200, 300)})


def graph_error_code(exc: HttpError) -> int | None:
    """The ``error.code`` of a Graph API error body, or None."""
    try:
        code = json.loads(exc.body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def refused(exc: HttpError) -> bool:
    """A 400/403 that refuses a metric or field (not a throttle, not an outage)."""
    return exc.status in (400, 403) and graph_error_code(exc) in REFUSAL_CODES


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
    """Pagination over ``paging.next`` with a resumable cursor per stream; Meta's usage headers
    are read on every answer (highest usage reported; at ``USAGE_STOP`` percent the account stops
    asking and resumes next run)."""

    def __init__(self, run: AccountRun) -> None:
        super().__init__(run)
        self.usage = 0.0
        run.watch = self._usage

    def _usage(self, headers: Mapping[str, str]) -> None:
        usage, regain = meta_usage(headers)
        if usage <= self.usage:
            return
        self.usage = usage
        if usage >= USAGE_WARN:
            self.run.warn(f"Meta rate limit usage at {usage:.0f}% (X-App-Usage / X-Business-Use-Case-Usage)")
        if usage >= USAGE_STOP:
            wait = f", access regained in about {regain / 60:.0f} min" if regain else ""
            self.run.halt = f"Meta usage at {usage:.0f}% of the limit{wait}; stopped before being throttled"

    def pages(
        self, stream: str, path: str, params: dict[str, Any], *, resumable: bool = True
    ) -> Iterator[list[Any]]:
        """Pages of ``data`` of ``path``; a budget stop keeps the next link as the stream's ``resume``."""
        run = self.run
        url: str | None = path
        query: dict[str, Any] | None = params
        while url:
            try:
                doc = run.get(url, query)
            except BudgetExhaustedError:
                if resumable and url != path:
                    run.checkpoint.stream(stream).resume = url
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
        walk = NewestFirst(run, stream)
        resume, walk.cursor.resume = walk.cursor.resume, None
        starts = [resume, path] if resume else [path]
        for start in starts:
            for page in self.pages(stream, start, params if start == path else {}):
                walk.stop = False
                for node in page:
                    try:
                        new = walk.admit(run.parse_time(node[time_field]))
                    except UNREADABLE:
                        yield node, True  # let the caller quarantine it
                        continue
                    if new is not None:
                        yield node, new
                if walk.stop:
                    break
        walk.done()
