"""Facebook Pages (Graph API, Page access token).

* ``GET /{page-id}?fields=followers_count``: the follower snapshot;
* ``GET /{page-id}/published_posts`` with ``since`` (the checkpoint, or the
  re-fetch window) and field expansion of the reaction/comment summaries, the
  share count and the post insights ``post_media_view`` (views),
  ``post_total_media_view_unique`` (unique viewers, the replacement of the
  deprecated ``post_impressions_unique``) and ``post_clicks``;
* ``GET /{post-id}/comments?filter=stream`` for the posts of the re-fetch
  window that have comments: comments and replies (``parent``).

When the insights metrics are refused (renamed, deprecated, no permission: the
error codes of :data:`~pulse.connectors.graph.REFUSAL_CODES`), the posts are
fetched again without them: new posts keep views and unique viewers empty, posts
seen before are left out of the batch (the lake keeps their known values), and
the run reports a schema warning. Throttling (codes 4, 17, 32, 613, 80001...)
is no refusal: it stops the account for this run
(:class:`~pulse.connectors.http.RateLimitedError`), checkpoint kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from pulse.connectors.base import Row
from pulse.connectors.graph import GraphConnector, insight_values, refused
from pulse.connectors.http import HttpError

INSIGHTS = ("post_media_view", "post_total_media_view_unique", "post_clicks")
POST_FIELDS = (
    "id,created_time,message,permalink_url,shares,"
    "comments.summary(true).limit(0),reactions.summary(true).limit(0)"
)


class FacebookConnector(GraphConnector):
    platform = "facebook"

    def streams(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "page", self.page
        yield "posts", self.posts
        yield "comments", self.comments

    def page(self) -> None:
        run = self.run
        doc = run.get(f"/{run.account.id}", {"fields": "id,name,followers_count"})
        run.follower_count(run.metric(doc, "followers_count", "page.followers_count"))

    def posts(self) -> None:
        run = self.run
        since = int(run.lower_bound("posts").timestamp())
        with_insights = f"{POST_FIELDS},insights.metric({','.join(INSIGHTS)})"
        path = f"/{run.account.id}/published_posts"

        def ingest(fields: str, *, without_insights: bool = False) -> None:
            # item by item, so a bad later page keeps the posts of the pages before it
            params = {"fields": fields, "since": since, "limit": 100}
            for node, new in self.windowed("posts", path, params, "created_time"):
                run.item(node, partial(self._post, new=new, without_insights=without_insights))

        try:
            ingest(with_insights)
        except HttpError as exc:
            if not refused(exc):
                raise
            run.warn(f"post insights refused ({exc.body[:120]}): views and unique viewers left empty")
            ingest(POST_FIELDS, without_insights=True)
        finally:
            for post_id, row in run.posts.items():
                if (row["comments"] or 0) > 0:
                    run.follow_thread(post_id, row["created_at"])

    def _post(self, node: dict[str, Any], new: bool, without_insights: bool = False) -> Row:
        run = self.run
        insights = insight_values(node.get("insights")) if "insights" in node else None
        if insights:
            for name in INSIGHTS:
                if name not in insights:
                    run.metric({}, name, f"insights.{name}")  # reported as missing
        # no insights at all: refused, or a fresh post (Meta fills them in within 48 h)
        unknown = without_insights or not insights
        insights = insights or {}
        return run.post(
            node["id"], node["created_time"], node.get("message"), new=new, partial=unknown,
            impressions=insights.get("post_media_view"),
            reach=insights.get("post_total_media_view_unique"),
            likes=run.metric(node.get("reactions", {}).get("summary"), "total_count", "reactions.summary.total_count"),
            comments=run.metric(node.get("comments", {}).get("summary"), "total_count", "comments.summary.total_count"),
            shares=node.get("shares", {}).get("count", 0),  # absent when never shared
            clicks=insights.get("post_clicks"),
        )  # fmt: skip

    def comments(self) -> None:
        run = self.run
        threads = run.recent_threads()
        fields = "id,message,created_time,from{id,name},parent{id}"
        for post_id in sorted(threads):
            params = {"fields": fields, "filter": "stream", "order": "chronological", "limit": 100}
            for page in self.pages("comments", f"/{post_id}/comments", params, resumable=False):
                for node in page:
                    run.item(node, partial(self._comment, post_id=post_id))

    def _comment(self, node: dict[str, Any], post_id: str) -> Row:
        author = node.get("from") or {}  # absent when the commenter's privacy hides it
        parent = (node.get("parent") or {}).get("id") or post_id
        return self.run.message(
            node["id"], node["created_time"], author.get("name"), str(author.get("id")) == self.run.account.id,
            parent, node.get("message"),
        )  # fmt: skip
