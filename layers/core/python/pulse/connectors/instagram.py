"""Instagram professional accounts (Graph API with Facebook Login; account id = the IG user id).

* ``GET /{ig-user-id}?fields=username,followers_count``: the follower snapshot;
* ``GET /{ig-user-id}/media``: media newest first, down to the checkpoint (or
  the re-fetch window), with ``like_count`` and ``comments_count``;
* ``GET /{ig-media-id}/insights?metric=views,reach,likes,comments,shares,saved``
  per media of the window (``views`` replaces the deprecated ``impressions``);
* ``GET /{ig-media-id}/comments`` with ``replies``: comments and replies.

A media whose insights are refused (album children, too few viewers, a
renamed metric) keeps the counts of the media fields; views, reach, shares
and saves stay empty and the run reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from pulse.connectors.base import Row
from pulse.connectors.graph import GraphConnector, insight_values
from pulse.connectors.http import HttpError

METRICS = ("views", "reach", "likes", "comments", "shares", "saved")
MEDIA_FIELDS = "id,caption,timestamp,media_type,media_product_type,like_count,comments_count,permalink"
COMMENT_FIELDS = (
    "id,text,timestamp,username,from{id,username},replies{id,text,timestamp,username,from{id,username}}"
)


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
            run.state["username"] = doc["username"]
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
            if exc.status != 400:
                raise
            run.warn(
                f"insights refused for some media ({exc.body[:120]}): views, reach, shares, saves left empty"
            )
            return None

    def _post(self, node: dict[str, Any], new: bool, insights: dict[str, Any] | None) -> Row:
        run = self.run
        if insights is not None:
            for name in METRICS:
                if name not in insights:
                    run.metric({}, name, f"media insights.{name}")
        values = insights or {}
        likes = values.get("likes", node.get("like_count"))
        comments = values.get("comments", node.get("comments_count"))
        return run.post(
            node["id"], node["timestamp"], node.get("caption"), new=new,
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
                    for reply in (node.get("replies") or {}).get("data", []):
                        run.item(reply, partial(self._comment, parent=node.get("id")))

    def _comment(self, node: dict[str, Any], parent: Any) -> Row:
        author = node.get("username") or (node.get("from") or {}).get("username")
        own = author is not None and author == self.run.state.get("username")
        return self.run.message(node["id"], node["timestamp"], author, own, str(parent), node.get("text"))
