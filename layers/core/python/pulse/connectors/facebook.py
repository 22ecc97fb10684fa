"""Facebook Pages (Graph API, Page access token).

* ``GET /{page-id}?fields=followers_count``: the follower snapshot;
* ``GET /{page-id}/published_posts`` with ``since`` (the checkpoint, or the
  re-fetch window) and field expansion of the reaction/comment summaries, the
  share count and the post insights ``post_media_view`` (views),
  ``post_total_media_view_unique`` (unique viewers, the replacement of the
  deprecated ``post_impressions_unique``) and ``post_clicks``;
* ``GET /{post-id}/comments?filter=stream`` for the posts of the re-fetch
  window that have comments: comments and replies (``parent``);
* ``GET /{page-id}/insights?metric=...&period=day&since=&until=`` (at most 90
  days a call, 2 years back; https://developers.facebook.com/docs/graph-api/reference/insights,
  "Limitations"), in two groups so a metric refused in one keeps the other:
  ``page_media_view`` and ``page_total_media_view_unique`` (the account's
  ``views`` and ``reach`` of the day), then ``page_daily_follows_unique`` and
  ``page_daily_unfollows_unique`` (``followers_gained``/``followers_lost``) with
  ``page_follows`` (the follower count at the end of each day: past snapshots).
  A value is dated by its ``end_time`` minus one day (the doc: the first
  ``end_time`` is ``since`` plus one day); a day without a value stays unknown.

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
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any

from pulse.connectors.base import Row
from pulse.connectors.graph import GraphConnector, insight_values, refused
from pulse.connectors.http import HttpError

#: Page metrics (period=day) and the ``account_daily`` column each fills; ``page_follows`` is the
#: follower count at each day's end (https://developers.facebook.com/docs/graph-api/reference/insights).
PAGE_METRICS = {
    "page_media_view": "views",
    "page_total_media_view_unique": "reach",
    "page_daily_follows_unique": "followers_gained",
    "page_daily_unfollows_unique": "followers_lost",
}
PAGE_METRIC_GROUPS = (
    ("page_media_view", "page_total_media_view_unique"),
    ("page_daily_follows_unique", "page_daily_unfollows_unique", "page_follows"),
)
#: Days of one Page insights call (the doc: 90 at most) and how far back they are kept (2 years).
PAGE_INSIGHTS_WINDOW = 90
PAGE_INSIGHTS_DAYS = 2 * 365
INSIGHTS = ("post_media_view", "post_total_media_view_unique", "post_clicks")
POST_FIELDS = (
    "id,created_time,message,permalink_url,shares,"
    "comments.summary(true).limit(0),reactions.summary(true).limit(0)"
)


class FacebookConnector(GraphConnector):
    platform = "facebook"

    def streams(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "page", self.page
        yield "page_insights", self.page_insights
        yield "posts", self.posts
        yield "comments", self.comments

    def page(self) -> None:
        run = self.run
        doc = run.get(f"/{run.account.id}", {"fields": "id,name,followers_count"})
        run.follower_count(run.metric(doc, "followers_count", "page.followers_count"))

    def page_insights(self) -> None:
        run = self.run
        days = run.days_to_read("page_insights", max_days=PAGE_INSIGHTS_DAYS)
        for n in range(0, len(days), PAGE_INSIGHTS_WINDOW):
            window = days[n : n + PAGE_INSIGHTS_WINDOW]
            since = int(datetime.combine(window[0], time(), UTC).timestamp())
            until = int(datetime.combine(window[-1] + timedelta(days=1), time(), UTC).timestamp())
            for group in PAGE_METRIC_GROUPS:
                params = {"metric": ",".join(group), "period": "day", "since": since, "until": until}
                try:
                    doc = run.get(f"/{run.account.id}/insights", params)
                except HttpError as exc:
                    if not refused(exc):
                        raise
                    run.warn(f"page insights {','.join(group)} refused ({exc.body[:120]}): left unknown")
                    continue
                for metric in run.expect(doc, "data"):
                    run.item(metric, self._page_metric)
            run.day_done("page_insights", window[-1])
        run.checkpoint.stream("page_insights").newest_time = run.now.isoformat()

    def _page_metric(self, metric: dict[str, Any]) -> None:
        run = self.run
        name = metric["name"]
        for value in metric.get("values") or []:
            if value.get("value") is None:  # not computed yet: unknown, not 0
                continue
            day = (run.parse_time(value["end_time"]) - timedelta(days=1)).date()
            if name == "page_follows":
                run.follower_history(day, value["value"])
            elif name in PAGE_METRICS:
                run.account_day(day, **{PAGE_METRICS[name]: value["value"]})

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
