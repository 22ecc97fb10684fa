"""YouTube channels: Data API v3 and YouTube Analytics API v2 (OAuth token of the channel owner).

* ``GET /channels?part=statistics,contentDetails&id=``: ``subscriberCount`` and
  the uploads playlist;
* ``GET /playlistItems`` (uploads, newest first) down to the checkpoint or the
  re-fetch window, then ``GET /videos?part=snippet,statistics`` 50 at a time:
  ``viewCount``, ``likeCount``, ``commentCount``;
* Analytics ``GET /reports?ids=channel==MINE&dimensions=video&metrics=views,likes,comments,shares``
  filtered on those videos: ``shares`` (the Data API has none);
* Analytics ``GET /reports?ids=channel==MINE&dimensions=day&metrics=subscribersGained,subscribersLost,views&sort=day``
  (https://developers.google.com/youtube/analytics/channel_reports, "Time-based
  reports"; metrics https://developers.google.com/youtube/analytics/metrics):
  the channel's exact daily gains and losses of subscribers and its daily
  views into ``account_daily`` (days in Pacific time; the last 2-3 days are not
  computed yet and are simply absent). Without the Analytics scope (401/403)
  the follower figures rest on the public ``subscriberCount``, rounded to 3
  significant figures, and the report says so;
* ``GET /commentThreads?allThreadsRelatedToChannelId=`` (newest first, down to
  the window) and ``GET /comments?parentId=`` when a thread has more replies
  than the thread carries.

Views are the canonical impressions (YouTube reports views, not impressions,
through these APIs); reach, saves and clicks stay empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

from pulse.connectors.base import UNREADABLE, Connector, NewestFirst, ReplyReach, Row
from pulse.connectors.http import HttpError

#: The daily channel report's metrics and the ``account_daily`` column of each.
DAY_METRICS = {"subscribersGained": "followers_gained", "subscribersLost": "followers_lost", "views": "views"}
#: How far back the daily channel report is read on a first run.
CHANNEL_DAYS = 2 * 365
#: Rows of one Analytics "top videos" report (its documented maximum).
ANALYTICS_ROWS = 200


class YouTubeConnector(Connector):
    platform = "youtube"

    def reply_reach(self) -> ReplyReach:
        """Comments on videos of any age: ``allThreadsRelatedToChannelId`` lists the channel's new
        threads whatever the video's age (replies inside an older thread: the swept videos only)."""
        return "any"

    def streams(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "channel", self.channel
        if "uploads" not in self.run.checkpoint.ids:
            return
        yield "videos", self.videos
        yield "analytics", self.analytics
        yield "channel_days", self.channel_days
        yield "comments", self.comments

    def channel(self) -> None:
        run = self.run
        doc = run.get("/channels", {"part": "statistics,contentDetails", "id": run.account.id})
        items = run.expect(doc, "items")
        if not items:
            run.quarantine_page(f"no channel {run.account.id!r} in the answer")
        channel = items[0]
        run.checkpoint.ids["uploads"] = channel["contentDetails"]["relatedPlaylists"]["uploads"]
        stats = channel.get("statistics", {})
        if stats.get("hiddenSubscriberCount"):
            run.warn("the channel hides its subscriber count")
        else:
            subscribers = run.metric(stats, "subscriberCount", "statistics.subscriberCount")
            run.follower_count(subscribers)
            if subscribers is not None and subscribers >= 1000:
                # https://developers.google.com/youtube/v3/docs/channels#statistics.subscriberCount
                run.warn(
                    "YouTube rounds subscriberCount to 3 significant figures: follower growth is approximate"
                )

    def _analytics_url(self) -> str:
        base = self.run.base_urls.get("youtube_analytics", "https://youtubeanalytics.googleapis.com/v2")
        return f"{base.rstrip('/')}/reports"

    def channel_days(self) -> None:
        """Daily subscribers gained and lost, and views, of the channel (YouTube Analytics)."""
        run = self.run
        days = run.days_to_read("channel_days", max_days=CHANNEL_DAYS)
        params = {
            "ids": "channel==MINE",
            "startDate": days[0].isoformat(),
            "endDate": days[-1].isoformat(),
            "metrics": ",".join(DAY_METRICS),
            "dimensions": "day",
            "sort": "day",
        }
        try:
            doc = run.get(self._analytics_url(), params)
        except HttpError as exc:
            if exc.status not in (400, 401, 403):
                raise
            run.warn(
                f"YouTube Analytics refused the daily channel report ({exc.status}): follower growth rests on "
                "the public subscriberCount, rounded to 3 significant figures"
            )
            return
        headers = [h.get("name") for h in run.expect(doc, "columnHeaders")]
        if "day" not in headers:
            run.quarantine_page("daily channel report without a day column")
        for values in doc.get("rows") or []:
            run.item(values, partial(self._day, headers=headers))
        run.checkpoint.stream("channel_days").newest_time = run.now.isoformat()

    def _day(self, values: list[Any], *, headers: list[str]) -> None:
        record = dict(zip(headers, values, strict=True))
        self.run.account_day(
            record["day"], **{column: record.get(metric) for metric, column in DAY_METRICS.items()}
        )

    def videos(self) -> None:
        run = self.run
        walk = NewestFirst(run, "videos")
        found: dict[str, bool] = {}
        token: str | None = None
        while True:
            params = {
                "part": "contentDetails",
                "playlistId": run.checkpoint.ids["uploads"],
                "maxResults": 50,
                "pageToken": token,
            }
            doc = run.get("/playlistItems", params)
            for item in run.expect(doc, "items"):
                details = item.get("contentDetails", {})
                try:
                    new = walk.admit(
                        run.parse_time(details.get("videoPublishedAt") or item["snippet"]["publishedAt"])
                    )
                except UNREADABLE as exc:
                    run.quarantine_item(item, exc)  # alone: the rest of the page is kept
                    continue
                if new is not None:
                    found[details["videoId"]] = new
            token = doc.get("nextPageToken")
            if walk.stop or not token:
                break
        ids = list(found)
        for n in range(0, len(ids), 50):
            doc = run.get("/videos", {"part": "snippet,statistics", "id": ",".join(ids[n : n + 50])})
            for video in run.expect(doc, "items"):
                run.item(video, partial(self._video, new=found.get(video.get("id"), True)))
        walk.done()
        for post_id, row in run.posts.items():
            if (row["comments"] or 0) > 0:
                run.follow_thread(post_id, row["created_at"])

    def _video(self, video: dict[str, Any], *, new: bool) -> Row:
        run = self.run
        stats = video.get("statistics")
        return run.post(
            video["id"], video["snippet"]["publishedAt"], video["snippet"].get("title"), new=new,
            impressions=run.metric(stats, "viewCount", "statistics.viewCount"),
            reach=None,
            likes=run.metric(stats, "likeCount", "statistics.likeCount"),  # absent when the owner hides likes
            comments=run.metric(stats, "commentCount", "statistics.commentCount"),
        )  # fmt: skip

    def analytics(self) -> None:
        """Shares per video: the "top videos" report (``dimensions=video``), which the API serves
        only with a ``sort`` and at most 200 rows
        (https://developers.google.com/youtube/analytics/channel_reports#top-videos-reports)."""
        run = self.run
        if not run.posts:
            return
        first = min(datetime.fromisoformat(r["created_at"]) for r in run.posts.values())
        local = run.brand.tz
        url = self._analytics_url()
        ids = sorted(run.posts)
        for n in range(0, len(ids), ANALYTICS_ROWS):
            batch = ids[n : n + ANALYTICS_ROWS]
            params = {
                "ids": "channel==MINE",
                "startDate": first.astimezone(local).date().isoformat(),
                "endDate": run.now.astimezone(local).date().isoformat(),
                "metrics": "views,likes,comments,shares",
                "dimensions": "video",
                "filters": "video==" + ",".join(batch),
                "sort": "-views",
                "maxResults": ANALYTICS_ROWS,
            }
            try:
                doc = run.get(url, params)
            except HttpError as exc:
                if exc.status not in (400, 401, 403):
                    raise
                run.warn(f"YouTube Analytics refused ({exc.status}: {exc.body[:120]}): shares unknown")
                if exc.status == 400:  # not a missing scope: shares known before must stay
                    for post_id in batch:
                        run.posts[post_id]["_partial"] = True
                continue
            headers = [h.get("name") for h in run.expect(doc, "columnHeaders")]
            if "video" not in headers or "shares" not in headers:
                run.warn("analytics report without video/shares columns: shares unknown")
                continue
            for values in doc.get("rows") or []:
                run.item(values, partial(self._shares, headers=headers))

    def _shares(self, values: list[Any], *, headers: list[str]) -> Row | None:
        record = dict(zip(headers, values, strict=True))
        row = self.run.posts.get(str(record["video"]))
        if row is None:
            return None
        metrics = {m: row[m] for m in ("impressions", "reach", "likes", "comments", "saves", "clicks")}
        return self.run.post(
            row["post_id"],
            row["created_at"],
            row["text"],
            new=row["_new"],
            shares=record["shares"],
            **metrics,
        )

    def comments(self) -> None:
        """Comment threads: the channel's, newest first, down to the window (a first run or a
        backfill: down to ``start``); then, for the followed videos older than that (the weekly
        sweep), every thread of the video, so new replies in older threads are not missed."""
        run = self.run
        bound = min(run.start, run.refetch_since) if run.first_run else run.refetch_since
        seen: set[str] = set()
        token: str | None = None
        while True:
            params = {
                "part": "snippet,replies",
                "allThreadsRelatedToChannelId": run.account.id,
                "order": "time",
                "maxResults": 100,
                "pageToken": token,
            }
            doc = run.get("/commentThreads", params)
            stop = False
            for thread in run.expect(doc, "items"):
                top = thread.get("snippet", {}).get("topLevelComment", {})
                started = top.get("snippet", {}).get("publishedAt")  # not updatedAt: an edit is no new thread
                try:
                    if started and run.parse_time(started) < bound:
                        stop = True
                        continue
                except UNREADABLE as exc:
                    run.quarantine_item(thread, exc)
                    continue
                self._thread(thread, seen)
            token = doc.get("nextPageToken")
            if stop or not token:
                break
        for video_id, at in run.recent_threads().items():
            if datetime.fromisoformat(at) < bound:
                self._video_threads(video_id, seen)

    def _video_threads(self, video_id: str, seen: set[str]) -> None:
        token: str | None = None
        while True:
            params = {"part": "snippet,replies", "videoId": video_id, "maxResults": 100, "pageToken": token}
            doc = self.run.get("/commentThreads", params)
            for thread in self.run.expect(doc, "items"):
                self._thread(thread, seen)
            token = doc.get("nextPageToken")
            if not token:
                return

    def _thread(self, thread: Any, seen: set[str]) -> None:
        """A thread's top comment and all its replies (the thread carries at most 5 of them)."""
        run = self.run
        if not isinstance(thread, dict) or thread.get("id") in seen:
            return
        seen.add(str(thread.get("id")))
        snippet = thread.get("snippet", {})
        top = snippet.get("topLevelComment", {})
        run.item(top, partial(self._comment, parent=snippet.get("videoId")))
        replies = (thread.get("replies") or {}).get("comments", [])
        if snippet.get("totalReplyCount", 0) > len(replies) and top.get("id"):
            replies = self._all_replies(top["id"])
        for reply in replies:
            run.item(reply, partial(self._comment, parent=None))

    def _all_replies(self, parent_id: str) -> list[Any]:
        out: list[Any] = []
        token: str | None = None
        while True:
            doc = self.run.get(
                "/comments", {"part": "snippet", "parentId": parent_id, "maxResults": 100, "pageToken": token}
            )
            out += self.run.expect(doc, "items")
            token = doc.get("nextPageToken")
            if not token:
                return out

    def _comment(self, comment: dict[str, Any], *, parent: str | None) -> Row:
        snippet = comment["snippet"]
        author = (snippet.get("authorChannelId") or {}).get("value")
        return self.run.message(
            comment["id"], snippet["publishedAt"], snippet.get("authorDisplayName"), author == self.run.account.id,
            snippet.get("parentId") or parent or snippet.get("videoId"), snippet.get("textOriginal") or snippet.get("textDisplay"),
        )  # fmt: skip
