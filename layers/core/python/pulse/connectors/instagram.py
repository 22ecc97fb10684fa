"""Instagram professional accounts (Graph API with Facebook Login; account id = the IG user id).

* ``GET /{ig-user-id}?fields=username,followers_count``: the follower snapshot;
* ``GET /{ig-user-id}/media``: media newest first, down to the checkpoint (or
  the re-fetch window), with ``like_count`` and ``comments_count``;
* ``GET /{ig-media-id}/insights?metric=views,reach,likes,comments,shares,saved``
  per media of the window (``views`` replaces the deprecated ``impressions``);
* ``GET /{ig-user-id}/insights`` for each day of the window (``since``/``until``
  one day apart, ``period=day``, ``metric_type=total_value``: ``views`` and
  ``profile_views`` exist only as totals, ``reach`` as a total is the day's
  unique accounts; https://developers.facebook.com/docs/instagram-platform/api-reference/instagram-user/insights):
  ``reach,views,profile_views``, then ``follows_and_unfollows`` with
  ``breakdown=follow_type`` (``FOLLOWER``: follows, ``NON_FOLLOWER``:
  unfollows) into ``account_daily``; a range is at most 30 days and data is
  kept 2 years. A metric refused (an account under 100 followers has no
  follower metrics) or a day not computed yet stays unknown;
* Reels (``media_product_type`` ``REELS``) also ask ``ig_reels_avg_watch_time``
  and ``ig_reels_video_view_total_time`` (milliseconds; read, archived, and not
  stored: no KPI uses watch time yet); their ``views`` and ``reach`` go to the
  post's impressions and reach like any media;
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
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Any

from pulse.connectors.base import Row
from pulse.connectors.graph import GraphConnector, insight_values, refused
from pulse.connectors.http import HttpError

METRICS = ("views", "reach", "likes", "comments", "shares", "saved")
REELS_METRICS = (*METRICS, "ig_reels_avg_watch_time", "ig_reels_video_view_total_time")
#: Account metrics read as one day's totals, and the ``account_daily`` column of each.
ACCOUNT_TOTALS = {"reach": "reach", "views": "views", "profile_views": "profile_views"}
#: How far back account insights are kept (2 years).
ACCOUNT_INSIGHTS_DAYS = 2 * 365
MEDIA_FIELDS = "id,caption,timestamp,media_type,media_product_type,like_count,comments_count,permalink"
REPLY_FIELDS = "id,text,timestamp,username,from{id,username}"
COMMENT_FIELDS = f"{REPLY_FIELDS},replies{{{REPLY_FIELDS}}}"


class InstagramConnector(GraphConnector):
    platform = "instagram"

    def streams(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "account", self.user
        yield "account_insights", self.account_insights
        yield "media", self.media
        yield "comments", self.comments

    def user(self) -> None:
        run = self.run
        doc = run.get(f"/{run.account.id}", {"fields": "id,username,followers_count"})
        if isinstance(doc, dict) and doc.get("username"):
            run.checkpoint.ids["username"] = doc["username"]
        run.follower_count(run.metric(doc, "followers_count", "user.followers_count"))

    def account_insights(self) -> None:
        run = self.run
        path = f"/{run.account.id}/insights"
        refused_groups: set[str] = set()
        for day in run.days_to_read("account_insights", max_days=ACCOUNT_INSIGHTS_DAYS):
            since = int(datetime.combine(day, time(), UTC).timestamp())
            window = {"period": "day", "metric_type": "total_value", "since": since, "until": since + 86400}
            groups = (
                ("totals", {"metric": ",".join(ACCOUNT_TOTALS)}),
                ("follows", {"metric": "follows_and_unfollows", "breakdown": "follow_type"}),
            )
            for group, params in groups:
                if group in refused_groups:
                    continue
                try:
                    doc = run.get(path, {**params, **window})
                except HttpError as exc:
                    if not refused(exc):
                        raise
                    refused_groups.add(group)
                    run.warn(f"account insights {params['metric']} refused ({exc.body[:120]}): left unknown")
                    continue
                for metric in run.expect(doc, "data"):
                    run.item(metric, partial(self._account_metric, day=day))
            run.day_done("account_insights", day)
        run.checkpoint.stream("account_insights").newest_time = run.now.isoformat()

    def _account_metric(self, metric: dict[str, Any], day: date) -> None:
        run = self.run
        name = metric["name"]
        total = metric.get("total_value")
        if not isinstance(total, dict):  # a day not computed yet
            return
        if name in ACCOUNT_TOTALS:
            run.account_day(day, **{ACCOUNT_TOTALS[name]: total.get("value")})
        elif name == "follows_and_unfollows":
            by_type: dict[str, Any] = {}
            for breakdown in total.get("breakdowns") or []:
                for result in breakdown.get("results") or []:
                    by_type[result["dimension_values"][0]] = result.get("value")
            if not by_type and total.get("value") == 0:
                by_type = {"FOLLOWER": 0, "NON_FOLLOWER": 0}
            if by_type:  # a type absent from the results had none that day
                run.account_day(
                    day,
                    followers_gained=by_type.get("FOLLOWER", 0),
                    followers_lost=by_type.get("NON_FOLLOWER", 0),
                )

    def media(self) -> None:
        run = self.run
        # Lazily: the stream's checkpoint advances when the pass completes, so a failed
        # insights call (quarantined, HTTP error, budget) must stop the pass before that.
        nodes = self.windowed(
            "media", f"/{run.account.id}/media", {"fields": MEDIA_FIELDS, "limit": 50}, "timestamp"
        )
        for node, new in nodes:
            reels = isinstance(node, dict) and node.get("media_product_type") == "REELS"
            insights = self._insights(node.get("id"), REELS_METRICS if reels else METRICS)
            run.item(node, partial(self._post, new=new, insights=insights))
        for post_id, row in run.posts.items():
            if (row["comments"] or 0) > 0:
                run.follow_thread(post_id, row["created_at"])

    def _insights(self, media_id: Any, metrics: tuple[str, ...] = METRICS) -> dict[str, Any] | None:
        run = self.run
        if not media_id:
            return None
        try:
            return insight_values(run.get(f"/{media_id}/insights", {"metric": ",".join(metrics)}))
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
