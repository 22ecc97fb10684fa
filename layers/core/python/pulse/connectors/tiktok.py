"""TikTok accounts (Display API v2, a user access token of the account; account id = its username).

* ``GET /v2/user/info/?fields=open_id,username,display_name,follower_count,...``
  (scopes ``user.info.basic``, ``user.info.profile``, ``user.info.stats``): the
  follower snapshot (https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info);
* ``POST /v2/video/list/?fields=...`` with ``{"max_count": 20, "cursor": ...}``
  (scope ``video.list``): the account's public videos, newest first, down to the
  checkpoint or the re-fetch window; ``cursor`` is a time in milliseconds and a
  page may hold fewer than ``max_count`` videos while ``has_more`` is true
  (https://developers.tiktok.com/doc/tiktok-api-v2-video-list);
* ``POST /v2/video/query/`` with ``{"filters": {"video_ids": [...]}}`` (20 at
  a time): fresh metrics of the videos of the re-fetch window the listing did not
  return (https://developers.tiktok.com/doc/tiktok-api-v2-video-query).

Mapping (https://developers.tiktok.com/doc/tiktok-api-v2-video-object):
impressions = ``view_count``, likes = ``like_count``, comments =
``comment_count``, shares = ``share_count``. Reach, saves and clicks stay
empty, and the Display API gives no comments: TikTok has no messages, so no
response rate. Every answer carries ``error.code``; anything but ``"ok"`` is
an error of that stream.

Access tokens are short-lived (24 hours; the docs updated in November 2026
say 2 hours: ``expires_in`` is followed either way): store a refresh
credential. TikTok rotates the refresh token on every refresh and the old one
stops working, so the new one is written back to the token store
(:meth:`~pulse.connectors.tokens.TokenProvider.save`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

from pulse.connectors.base import UNREADABLE, Connector, NewestFirst, ReplyReach, Row
from pulse.exceptions import SourceError

USER_FIELDS = "open_id,union_id,username,display_name,follower_count,following_count,likes_count,video_count"
VIDEO_FIELDS = (
    "id,create_time,title,video_description,share_url,view_count,like_count,comment_count,share_count"
)
PAGE = 20  # the documented maximum of max_count
QUERY_BATCH = 20  # video ids per /v2/video/query/


class TikTokConnector(Connector):
    platform = "tiktok"

    def reply_reach(self) -> ReplyReach:
        """No comments at all: the Display API has none."""
        return 0

    def streams(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "user", self.user
        yield "videos", self.videos
        yield "refetch", self.refetch

    def _data(self, doc: Any) -> dict[str, Any]:
        """``data`` of an answer whose ``error.code`` is ``ok``; else the stream fails (or quarantine)."""
        run = self.run
        if not isinstance(doc, dict):
            run.quarantine_page(f"expected a JSON object, got {type(doc).__name__}")
        error = doc.get("error") or {}
        code = error.get("code") if isinstance(error, dict) else None
        if code not in (None, "ok"):
            raise SourceError(f"TikTok answered {code}: {str(error.get('message', ''))[:200]}")
        data: dict[str, Any] = run.expect(doc, "data", dict)
        return data

    def user(self) -> None:
        run = self.run
        user = self._data(run.get("/v2/user/info/", {"fields": USER_FIELDS})).get("user")
        if isinstance(user, dict) and user.get("open_id"):
            run.checkpoint.ids["open_id"] = str(user["open_id"])
        run.follower_count(run.metric(user, "follower_count", "user.follower_count"))

    def videos(self) -> None:
        run = self.run
        walk = NewestFirst(run, "videos")
        cursor: int | None = None
        while True:
            body: dict[str, Any] = {"max_count": PAGE}
            if cursor is not None:
                body["cursor"] = cursor
            data = self._data(run.post_query("/v2/video/list/", body, {"fields": VIDEO_FIELDS}))
            videos = data.get("videos") or []
            if not isinstance(videos, list):
                run.quarantine_page(f"expected 'videos' to be a list, got {type(videos).__name__}")
            for video in videos:
                try:
                    new = walk.admit(run.parse_time(video["create_time"]))
                except UNREADABLE as exc:
                    run.quarantine_item(video, exc)
                    continue
                if new is not None:
                    run.item(video, partial(self._video, new=new))
            next_cursor = data.get("cursor")
            if (
                walk.stop
                or not data.get("has_more")
                or not isinstance(next_cursor, int)
                or next_cursor == cursor
            ):
                break
            cursor = next_cursor
        walk.done()

    def refetch(self) -> None:
        """Videos of the window the listing did not return this time: their metrics by id."""
        run = self.run
        recent = {
            i: at
            for i, at in run.checkpoint.recent.items()
            if datetime.fromisoformat(at) >= run.refetch_since
        }
        todo = sorted(i for i in recent if i not in run.posts)
        for n in range(0, len(todo), QUERY_BATCH):
            doc = run.post_query(
                "/v2/video/query/",
                {"filters": {"video_ids": todo[n : n + QUERY_BATCH]}},
                {"fields": VIDEO_FIELDS},
            )
            for video in self._data(doc).get("videos") or []:
                run.item(video, partial(self._video, new=False))
        recent.update({post_id: row["created_at"] for post_id, row in run.posts.items()})
        run.checkpoint.recent = {
            i: at for i, at in recent.items() if datetime.fromisoformat(at) >= run.refetch_since
        }

    def _video(self, video: dict[str, Any], *, new: bool) -> Row:
        run = self.run
        return run.post(
            video["id"], video["create_time"], video.get("title") or video.get("video_description"), new=new,
            impressions=run.metric(video, "view_count", "video.view_count"),
            reach=None,
            likes=run.metric(video, "like_count", "video.like_count"),
            comments=run.metric(video, "comment_count", "video.comment_count"),
            shares=run.metric(video, "share_count", "video.share_count"),
        )  # fmt: skip
