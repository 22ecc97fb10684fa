"""Instagram professional accounts (Graph API with Facebook Login; account id = the IG user id).

* ``GET /{ig-user-id}?fields=username,followers_count``: the follower snapshot;
* ``GET /{ig-user-id}/media``: media newest first, down to the checkpoint (or
  the re-fetch window), with ``like_count`` and ``comments_count``;
* ``GET /{ig-media-id}/insights?metric=views,reach,likes,comments,shares,saved``
  per media of the window (``views`` replaces the deprecated ``impressions``);
* ``GET /{ig-media-id}/comments`` with ``replies``: comments and the first
  page of their replies; ``GET /{ig-comment-id}/replies`` for the further pages.

A media whose insights are refused (album children, too few viewers, a
renamed metric: the codes of :data:`~pulse.connectors.graph.REFUSAL_CODES`)
keeps the counts of the media fields; views, reach, shares and saves stay
empty and the run reports it. Insights of a fresh media come back empty for up
to 48 hours (https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights,
"Limitations"): left unknown without a warning. Either way a media seen before
is left out of the batch, so the lake keeps its known views and reach. Throttling
stops the account for this run instead (checkpoint kept).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from pulse.connectors.base import Row
from pulse.connectors.graph import GraphConnector, insight_values, refused
from pulse.connectors.http import HttpError

METRICS = ("views", "reach", "likes", "comments", "shares", "saved")
MEDIA_FIELDS = "id,caption,timestamp,media_type,media_product_type,like_count,comments_count,permalink"
REPLY_FIELDS = "id,text,timestamp,username,from{id,username}"
COMMENT_FIELDS = f"{REPLY_FIELDS},replies{{{REPLY_FIELDS}}}"


class InstagramConnector(GraphConnector):
    platform = "instagram"

    def streams(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "account", self.user
        yield "media", self.media
        yield "comments", self.comments

    def user(self) -> None:
        run = self.run
        doc = run.get(f"/{run.account.id}", {"fields": "id,username,followers_count"})
        if isinstance(doc, dict) and doc.get("username"):
            run.checkpoint.ids["username"] = doc["username"]
        run.follower_count(run.metric(doc, "followers_count", "user.followers_count"))

    def media(self) -> None:
        run = self.run
        # Lazily: the stream's checkpoint advances when the pass completes, so a failed
        # insights call (quarantined, HTTP error, budget) must stop the pass before that.
        nodes = self.windowed(
            "media", f"/{run.account.id}/media", {"fields": MEDIA_FIELDS, "limit": 50}, "timestamp"
        )
        for node, new in nodes:
            insights = self._insights(node.get("id"))
            run.item(node, partial(self._post, new=new, insights=insights))
        for post_id, row in run.posts.items():
            if (row["comments"] or 0) > 0:
                run.follow_thread(post_id, row["created_at"])

    def _insights(self, media_id: Any) -> dict[str, Any] | None:
        run = self.run
        if not media_id:
            return None
        try:
            return insight_values(run.get(f"/{media_id}/insights", {"metric": ",".join(METRICS)}))
        except HttpError as exc:
            if not refused(exc):
                raise
            run.warn(
                f"insights refused for some media ({exc.body[:120]}): views, reach, shares, saves left empty"
            )
            return None

    def _post(self, node: dict[str, Any], new: bool, insights: dict[str, Any] | None) -> Row:
        run = self.run
        if insights:  # empty: a fresh media, whose insights are not computed yet
            for name in METRICS:
                if name not in insights:
                    run.metric({}, name, f"media insights.{name}")
        values = insights or {}
        likes = values.get("likes", node.get("like_count"))
        comments = values.get("comments", node.get("comments_count"))
        return run.post(
            node["id"], node["timestamp"], node.get("caption"), new=new, partial=not insights,
            impressions=values.get("views"), reach=values.get("reach"),
            likes=likes, comments=comments, shares=values.get("shares"), saves=values.get("saved"),
            clicks=None,  # Instagram has no per-media clicks
        )  # fmt: skip

    def comments(self) -> None:
        run = self.run
        threads = run.recent_threads()
        for media_id in sorted(threads):
            for page in self.pages(
                "comments", f"/{media_id}/comments", {"fields": COMMENT_FIELDS, "limit": 50}, resumable=False
            ):
                for node in page:
                    run.item(node, partial(self._comment, parent=media_id))
                    self._replies(node)

    def _replies(self, comment: Any) -> None:
        """A comment's replies: the first page comes with the comment, the next ones from its edge."""
        run = self.run
        replies = comment.get("replies") if isinstance(comment, dict) else None
        if not isinstance(replies, dict):
            return
        for reply in replies.get("data") or []:
            run.item(reply, partial(self._comment, parent=comment.get("id")))
        if (replies.get("paging") or {}).get("next") and comment.get("id"):
            params = {
                "fields": REPLY_FIELDS,
                "limit": 50,
                "after": replies["paging"].get("cursors", {}).get("after"),
            }
            for page in self.pages("comments", f"/{comment['id']}/replies", params, resumable=False):
                for reply in page:
                    run.item(reply, partial(self._comment, parent=comment["id"]))

    def _comment(self, node: dict[str, Any], parent: Any) -> Row:
        author = node.get("username") or (node.get("from") or {}).get("username")
        own = author is not None and author == self.run.checkpoint.ids.get("username")
        return self.run.message(node["id"], node["timestamp"], author, own, str(parent), node.get("text"))
