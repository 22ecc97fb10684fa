"""Bluesky (AT Protocol, public AppView: no token needed for public data).

* ``app.bsky.actor.getProfile``: the DID and ``followersCount``;
* ``app.bsky.feed.getAuthorFeed`` (``filter=posts_with_replies``, cursor
  paging, newest first) down to the checkpoint or the re-fetch window; reposts
  (items with a ``reason``) are skipped;
* ``app.bsky.feed.getPostThread`` for the posts of the window that have
  replies: the reply tree becomes messages (``in_reply_to`` = parent URI).

* with an app password as the account's token: ``com.atproto.server.createSession``
  on the account's PDS, then ``app.bsky.notification.listNotifications``
  (``reasons=mention,reply,quote``) down to the checkpoint, so mentions and
  quotes outside the brand's threads become messages too. Without a token only
  public data is read.

Post and message ids are AT URIs (``at://did:plc:.../app.bsky.feed.post/...``).
Bluesky has no impressions nor reach: both stay empty; shares are reposts +
quotes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from pulse.connectors.base import UNREADABLE, Connector, NewestFirst, ReplyReach, Row, jwt_expiry
from pulse.connectors.http import HttpError
from pulse.exceptions import SourceError

#: Notification kinds that are messages to the brand (likes, reposts and follows are not).
MESSAGE_REASONS = ("mention", "reply", "quote")


class BlueskyConnector(Connector):
    platform = "bluesky"
    token_optional = True

    def authorize(self) -> None:
        """The public AppView takes no credentials; the app password only opens a session (``mentions``)."""

    def reply_reach(self) -> ReplyReach:
        """With an app password, replies to posts of any age (``listNotifications``, reason
        ``reply``); without one, only the swept threads."""
        return "any" if self.run.token else super().reply_reach()

    def streams(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "profile", self.profile
        if "did" not in self.run.checkpoint.ids:
            return
        yield "feed", self.feed
        yield "threads", self.threads
        if self.run.token:
            yield "mentions", self.mentions

    def profile(self) -> None:
        run = self.run
        doc = run.get("/xrpc/app.bsky.actor.getProfile", {"actor": run.account.id})
        if not isinstance(doc, dict) or "did" not in doc:
            run.quarantine_page("profile without a did")
        run.checkpoint.ids["did"] = doc["did"]
        run.follower_count(run.metric(doc, "followersCount", "profile.followersCount"))

    def _newest_first(
        self,
        stream: str,
        url: str,
        params: dict[str, Any],
        key: str,
        post_of: Callable[[Any], dict[str, Any] | None],
        headers: dict[str, str] | None = None,
    ) -> Iterator[tuple[dict[str, Any], bool]]:
        """Posts of a cursor-paged, newest-first listing down to the stream's lower bound, each with
        whether it is new (an unreadable time counts as new: the caller quarantines it).

        ``post_of`` turns a listed item into its post, or ``None`` to skip it. The
        stream's ``newest_time`` advances only when the pass completes.
        """
        run = self.run
        walk = NewestFirst(run, stream)
        cursor: str | None = None
        while True:
            doc = run.get(url, {**params, "cursor": cursor}, headers=headers)
            for item in run.expect(doc, key):
                post = post_of(item)
                if post is None:
                    continue
                try:
                    new = walk.admit(run.parse_time(post["record"]["createdAt"]))
                except UNREADABLE:
                    yield post, True
                    continue
                if new is not None:
                    yield post, new
            cursor = doc.get("cursor")
            if walk.stop or not cursor:
                break
        walk.done()

    def feed(self) -> None:
        run = self.run
        params = {"actor": run.checkpoint.ids["did"], "limit": 100, "filter": "posts_with_replies"}
        posts = self._newest_first(
            "feed",
            "/xrpc/app.bsky.feed.getAuthorFeed",
            params,
            "feed",
            lambda item: (
                None if item.get("reason") else item.get("post", {})
            ),  # a reason: a repost by the brand
        )
        for post, new in posts:
            run.item(post, partial(self._own, new=new))

    def _own(self, post: dict[str, Any], *, new: bool) -> Row:
        run = self.run
        record = post["record"]
        parent = (record.get("reply") or {}).get("parent", {}).get("uri")
        if parent:
            return run.message(
                post["uri"], record["createdAt"], post["author"]["handle"], True, parent, record.get("text")
            )
        reposts = run.metric(post, "repostCount", "post.repostCount")
        # bookmarkCount: the post's saves (app.bsky.feed.defs#postView, with bookmarks since 2025)
        quotes = post.get("quoteCount")
        row = run.post(
            post["uri"], record["createdAt"], record.get("text"), new=new,
            impressions=None, reach=None,
            likes=run.metric(post, "likeCount", "post.likeCount"),
            comments=run.metric(post, "replyCount", "post.replyCount"),
            shares=None if reposts is None else reposts + int(quotes or 0),
            saves=post.get("bookmarkCount"),
        )  # fmt: skip
        if (row["comments"] or 0) > 0:
            run.follow_thread(row["post_id"], row["created_at"])
        return row

    def threads(self) -> None:
        run = self.run
        threads = run.recent_threads()
        for uri in sorted(threads):
            doc = run.get("/xrpc/app.bsky.feed.getPostThread", {"uri": uri, "depth": 10, "parentHeight": 0})
            thread = run.expect(doc, "thread", dict)
            self._walk(thread.get("replies") or [])

    def _walk(self, replies: list[Any]) -> None:
        for node in replies:
            if node.get("$type", "").endswith("#threadViewPost") or "post" in node:
                self.run.item(node.get("post"), self._reply)
                self._walk(node.get("replies") or [])

    def _reply(self, post: dict[str, Any]) -> Row:
        record = post["record"]
        return self.run.message(
            post["uri"], record["createdAt"], post["author"]["handle"], post["author"]["did"] == self.run.checkpoint.ids["did"],
            (record.get("reply") or {}).get("parent", {}).get("uri"), record.get("text"),
        )  # fmt: skip

    def _session(self) -> tuple[str, str]:
        """(PDS URL, access JWT), reused while valid: ``createSession`` is limited to 30 per 5 minutes
        and 300 a day per account (https://docs.bsky.app/docs/advanced-guides/rate-limits), so a
        session is kept in memory (never archived nor persisted) and renewed with
        ``refreshSession`` when its access JWT is about to expire."""
        run = self.run
        pds = run.base_urls.get("bluesky_pds", "https://bsky.social").rstrip("/")
        key = ("bluesky", pds, run.account.id, hashlib.sha256(str(run.token).encode()).hexdigest()[:16])
        cached = run.sessions.get(key)
        now = run.now.timestamp()
        if cached and jwt_expiry(cached["accessJwt"]) > now + 60:
            jwt = cached["accessJwt"]
        elif cached and jwt_expiry(cached["refreshJwt"]) > now + 60:
            jwt = self._open(pds, "refreshSession", None, cached["refreshJwt"], key)
        else:
            jwt = self._open(pds, "createSession", self._login(), None, key)
        run.secrets.extend(v for v in run.sessions[key].values() if v not in run.secrets)
        return pds, jwt

    def _login(self) -> dict[str, Any]:
        return {"identifier": self.run.account.id, "password": self.run.token}

    def _open(self, pds: str, method: str, body: dict[str, Any] | None, bearer: str | None, key: Any) -> str:
        run = self.run
        try:
            response = run.http.post_json(
                f"{pds}/xrpc/com.atproto.server.{method}",
                body,
                headers={"Authorization": f"Bearer {bearer}"} if bearer else None,
                budget=run.budget,
            )
        except HttpError as exc:
            run.sessions.pop(key, None)
            if method == "refreshSession":  # revoked or expired: start over with the app password
                return self._open(pds, "createSession", self._login(), None, key)
            raise SourceError(
                f"bluesky account {run.account.id!r}: the app password was refused (HTTP {exc.status}); "
                "create one in Settings > Privacy and security > App passwords and store it as the token"
            ) from None
        try:
            doc = response.json()
            jwt, refresh = doc["accessJwt"], doc["refreshJwt"]
        except (ValueError, KeyError, TypeError):
            jwt = refresh = None
        if not isinstance(jwt, str) or not jwt or not isinstance(refresh, str):
            raise SourceError(f"bluesky account {run.account.id!r}: {method} answered without accessJwt")
        run.sessions[key] = {"accessJwt": jwt, "refreshJwt": refresh}
        return jwt

    def mentions(self) -> None:
        run = self.run
        pds, jwt = self._session()
        notes = self._newest_first(
            "mentions",
            f"{pds}/xrpc/app.bsky.notification.listNotifications",
            {"reasons": list(MESSAGE_REASONS), "limit": 100},
            "notifications",
            lambda note: note if note.get("reason") in MESSAGE_REASONS else None,
            headers={"Authorization": f"Bearer {jwt}"},
        )
        for note, _new in notes:
            run.item(note, self._reply)  # a notification has a post's uri, author and record
