"""Mastodon (the account's own instance, ``https://<instance>`` from ``user@instance``).

* ``GET /api/v1/accounts/lookup?acct=`` : the account id and ``followers_count``;
* ``GET /api/v1/accounts/:id/statuses`` (``exclude_reblogs``): new statuses
  page by page *forward* with ``min_id`` (the checkpoint advances with every
  page), the first run *backward* with ``max_id`` down to ``start``; the
  re-fetch window backward from the newest;
* ``GET /api/v1/statuses/:id/context``: replies (``descendants``) to the posts
  of the re-fetch window that have any (public, no token needed);
* ``GET /api/v1/notifications?types[]=mention`` (token with ``read:notifications``):
  mentions outside reply threads.

Mastodon has no impressions nor reach: both stay empty. Status HTML becomes
plain text. Ids are the instance's own ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from pulse.connectors.base import UNREADABLE, Connector, ReplyReach, Row, html_to_text
from pulse.connectors.http import BudgetExhaustedError
from pulse.exceptions import SourceError

PAGE = 40
#: Descendants ``/context`` returns without a token (https://docs.joinmastodon.org/methods/statuses/#context).
PUBLIC_CONTEXT_CAP = 60


def _max_id(ids: list[str]) -> str:
    return max(ids, key=lambda i: (len(i), i))


def _min_id(ids: list[str]) -> str:
    return min(ids, key=lambda i: (len(i), i))


class MastodonConnector(Connector):
    platform = "mastodon"
    token_optional = True

    def reply_reach(self) -> ReplyReach:
        """With a token, replies to posts of any age: a reply mentions the account it answers, so it
        comes as a ``mention`` notification; without one, only the swept threads' ``/context``."""
        return "any" if self.run.token else super().reply_reach()

    def streams(self) -> Iterator[tuple[str, Callable[[], None]]]:
        if not self.run.base_url:
            raise SourceError(
                f"mastodon account {self.run.account.id!r}: use user@instance or set PULSE_MASTODON_BASE_URL"
            )
        yield "account", self.lookup
        if "account_id" not in self.run.checkpoint.ids:
            return
        yield "statuses", self.statuses
        yield "replies", self.replies
        if self.run.token:
            yield "mentions", self.mentions
        else:
            self.run.warn(
                "no token: mentions outside reply threads are not fetched (needs read:notifications)"
            )

    def lookup(self) -> None:
        run = self.run
        doc = run.get(
            "/api/v1/accounts/lookup",
            {"acct": run.account.id.split("@")[0] if "@" in run.account.id else run.account.id},
        )
        if not isinstance(doc, dict) or "id" not in doc:
            run.quarantine_page("account lookup without an id")
        run.checkpoint.ids["account_id"] = str(doc["id"])
        run.follower_count(run.metric(doc, "followers_count", "account.followers_count"))

    # ------------------------------------------------------------ statuses

    def _page(self, path: str, params: dict[str, Any]) -> list[Any]:
        doc = self.run.get(path, {**params, "limit": PAGE})
        if not isinstance(doc, list):
            self.run.quarantine_page(f"expected a JSON array, got {type(doc).__name__}")
        page: list[Any] = doc
        return page

    def statuses(self) -> None:
        run = self.run
        cursor = run.checkpoint.stream("statuses")
        path = f"/api/v1/accounts/{run.checkpoint.ids['account_id']}/statuses"
        params = {"exclude_reblogs": "true"}
        since = None if run.backfill else cursor.since_id
        if since:
            while True:  # forward: the page of statuses just after ``since``
                page = self._page(path, {**params, "min_id": since})
                if not page:
                    break
                for status in page:
                    run.item(status, lambda s: self._own(s, new=True))
                since = _max_id([str(s["id"]) for s in page])
                cursor.since_id = since  # this page is in hand
            self._backward(path, params, run.refetch_since, new=False)
        else:
            newest = self._backward(path, params, min(run.start, run.refetch_since), new=True)
            if newest:
                cursor.since_id = newest if not cursor.since_id else _max_id([newest, cursor.since_id])

    def _backward(self, path: str, params: dict[str, Any], until: datetime, *, new: bool) -> str | None:
        run = self.run
        cursor = run.checkpoint.stream("statuses")
        resume = cursor.resume if new else None
        if new:
            cursor.resume = None
        max_id, newest = (resume["max_id"], resume["newest_id"]) if resume else (None, None)
        while True:
            try:
                page = self._page(path, {**params, "max_id": max_id})
            except BudgetExhaustedError:
                if new and max_id:
                    cursor.resume = {"max_id": max_id, "newest_id": newest}
                raise
            if not page:
                return newest
            ids = [str(s["id"]) for s in page]
            newest = _max_id([*ids, newest] if newest else ids)
            fresh = new or cursor.since_id is None

            def own(status: Any, fresh: bool = fresh) -> Row:
                return self._own(status, new=fresh)

            for status in page:
                run.item(status, own)
            max_id = _min_id(ids)
            # a status with an unreadable time was quarantined above
            times = [at for at in map(self._time, page) if at is not None]
            if times and min(times) < until:
                return newest

    def _time(self, status: Any) -> datetime | None:
        try:
            return self.run.parse_time(status["created_at"])
        except UNREADABLE:
            return None

    def _own(self, status: dict[str, Any], *, new: bool) -> Row:
        run = self.run
        parent = status.get("in_reply_to_id")
        if parent and str(status.get("in_reply_to_account_id")) != run.checkpoint.ids["account_id"]:
            return run.message(status["id"], status["created_at"], status["account"]["acct"], True, str(parent),
                               html_to_text(status.get("content")))  # fmt: skip
        row = run.post(
            status["id"], status["created_at"], html_to_text(status.get("content")), new=new,
            impressions=None, reach=None,  # Mastodon has neither
            likes=run.metric(status, "favourites_count", "status.favourites_count"),
            comments=run.metric(status, "replies_count", "status.replies_count"),
            shares=run.metric(status, "reblogs_count", "status.reblogs_count"),
        )  # fmt: skip
        if (row["comments"] or 0) > 0:
            run.follow_thread(row["post_id"], row["created_at"])
        return row

    # ------------------------------------------------------------ replies and mentions

    def replies(self) -> None:
        run = self.run
        threads = run.recent_threads()
        for post_id in sorted(threads):
            doc = run.get(f"/api/v1/statuses/{post_id}/context")
            descendants = run.expect(doc, "descendants")
            for status in descendants:
                run.item(status, self._reply)
            if not run.token and len(descendants) >= PUBLIC_CONTEXT_CAP:
                run.warn(
                    f"a thread has {PUBLIC_CONTEXT_CAP} replies or more: without a token Mastodon returns at most "
                    f"{PUBLIC_CONTEXT_CAP} (and 20 levels); give the account a token to read them all"
                )

    def _reply(self, status: dict[str, Any]) -> Row:
        run = self.run
        own = str(status["account"]["id"]) == run.checkpoint.ids["account_id"]
        return self.run.message(status["id"], status["created_at"], status["account"]["acct"], own,
                                status.get("in_reply_to_id"), html_to_text(status.get("content")))  # fmt: skip

    def mentions(self) -> None:
        run = self.run
        cursor = run.checkpoint.stream("mentions")
        since = cursor.since_id
        params: dict[str, Any] = {"types[]": "mention"}
        if not since:  # first run: the newest page only, then forward from there
            page = self._page("/api/v1/notifications", params)
            for note in page:
                at = self._time(note)
                if at is None:
                    run.quarantine_item(note, ValueError("unreadable created_at"))
                elif at >= run.start:
                    run.item(note, self._mention)
            if page:
                cursor.since_id = _max_id([str(n["id"]) for n in page])
            return
        while True:
            page = self._page("/api/v1/notifications", {**params, "min_id": since})
            if not page:
                return
            for note in page:
                run.item(note, self._mention)
            since = _max_id([str(n["id"]) for n in page])
            cursor.since_id = since

    def _mention(self, note: dict[str, Any]) -> Row | None:
        status = note.get("status")
        if not status:
            return None
        return self._reply(status)
