"""LinkedIn organisation pages (Community Management API, versioned ``/rest`` endpoints).

Every call sends ``LinkedIn-Version: YYYYMM`` (``PULSE_LINKEDIN_VERSION``,
default below) and ``X-Restli-Protocol-Version: 2.0.0``; URNs in paths and
query values are URL-encoded as Rest.li 2.0 requires (``List(...)`` kept).

* ``GET /rest/networkSizes/{org-urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER``: followers;
* ``GET /rest/posts?q=author&author={org-urn}&sortBy=CREATED``: posts newest
  first (``start``/``count`` paging) down to the checkpoint or re-fetch window;
* ``GET /rest/organizationalEntityShareStatistics?q=organizationalEntity``
  with ``shares=List(...)`` / ``ugcPosts=List(...)``: lifetime
  ``totalShareStatistics`` per post (impressionCount, uniqueImpressionsCount,
  clickCount, likeCount, commentCount, shareCount);
* ``GET /rest/socialActions/{post-urn}/comments``: the first-level comments of
  the posts of the window that have comments, then
  ``GET /rest/socialActions/{comment-urn}/comments`` for each comment whose
  ``commentsSummary`` counts replies: the replies, the organisation's own answers
  among them (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api);
* ``GET /rest/organizationalEntityFollowerStatistics?q=organizationalEntity`` with
  ``timeIntervals=(timeRange:(start:..,end:..),timeGranularityType:DAY)``: one
  element per day (``timeRange.start``, epoch ms, UTC day) with ``followerGains``
  ``organicFollowerGain`` + ``paidFollowerGain`` into ``account_daily.followers_gained``
  (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/follower-statistics,
  time-bound statistics; a rolling 12 months are kept). LinkedIn gives no
  unfollows: ``followers_lost`` stays unknown and follower growth keeps using
  the ``networkSizes`` snapshots. A negative gain (the API may net out
  unfollows) is not a count: that day is left unknown with a warning.
* ``GET /rest/organizationalEntityNotifications?q=criteria&organizationalEntity={org-urn}
  &actions=List(COMMENT,SHARE_MENTION)&timeRange=(start:{ms},end:{ms})`` (``start``/``count``
  paging): the organisation's social action notifications since the stream's cursor, kept
  60 days by LinkedIn; each ``COMMENT`` names its post (``decoratedSourcePost.entity``, else
  ``sourcePost``), whose thread is then walked as above whatever the post's age, so late
  comments on old posts and the organisation's answers are caught; a ``SHARE_MENTION`` (a post
  mentioning the organisation) is an inbound message. Needs ``rw_organization_admin`` with the
  ADMINISTRATOR role: a 403 leaves the 90-day sweep as the limit, noted on the account
  (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-social-action-notifications,
  checked 2026-11-29).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

from pulse.connectors.base import DEEP_SWEEP_DAYS, UNREADABLE, Connector, NewestFirst, Row
from pulse.connectors.http import HttpError

DEFAULT_VERSION = "202606"
PAGE = 50
STATS_BATCH = 20
#: How far back time-bound follower statistics go (a rolling 12 months).
FOLLOWER_STATS_DAYS = 365
#: Levels of replies followed below a first-level comment.
MAX_DEPTH = 3
#: How long LinkedIn keeps organisation notifications for the pull finder (Organization Social
#: Action Notifications: "retained and available to pull for 60 days").
NOTIFICATION_RETENTION = timedelta(days=60)
#: Notification actions read: a comment on a post of the organisation, a post mentioning it.
NOTIFICATION_ACTIONS = ("COMMENT", "SHARE_MENTION")


def enc(urn: str) -> str:
    return quote(urn, safe="")


class LinkedInConnector(Connector):
    platform = "linkedin"

    def authorize(self) -> None:
        super().authorize()
        self.run.headers["LinkedIn-Version"] = self.run.base_urls.get("linkedin_version") or DEFAULT_VERSION
        self.run.headers["X-Restli-Protocol-Version"] = "2.0.0"

    @property
    def org(self) -> str:
        account = self.run.account.id
        return account if account.startswith("urn:li:") else f"urn:li:organization:{account}"

    def streams(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "followers", self.followers
        yield "follower_gains", self.follower_gains
        yield "posts", self.posts
        yield "statistics", self.statistics
        yield "comments", self.comments
        yield "notifications", self.notifications

    def _pages(self, path: str, count: int = PAGE) -> Iterator[list[Any]]:
        """The ``elements`` of each page of a Rest.li collection (``start``/``count`` paging), until
        a page is short, empty, or reaches ``paging.total`` where LinkedIn gives it."""
        run = self.run
        sep = "&" if "?" in path else "?"
        start = 0
        while True:
            doc = run.get(f"{path}{sep}count={count}&start={start}")
            elements = run.expect(doc, "elements")
            yield elements
            start += len(elements)
            paging = doc.get("paging")
            total = paging.get("total") if isinstance(paging, dict) else None
            if not elements or (start >= total if isinstance(total, int) else len(elements) < count):
                return

    def followers(self) -> None:
        run = self.run
        doc = run.get(f"/networkSizes/{enc(self.org)}?edgeType=COMPANY_FOLLOWED_BY_MEMBER")
        run.follower_count(run.metric(doc, "firstDegreeSize", "networkSizes.firstDegreeSize"))

    def follower_gains(self) -> None:
        run = self.run
        days = run.days_to_read("follower_gains", max_days=FOLLOWER_STATS_DAYS)
        start = int(datetime.combine(days[0], time(), UTC).timestamp() * 1000)
        end = int(datetime.combine(days[-1] + timedelta(days=1), time(), UTC).timestamp() * 1000)
        intervals = f"(timeRange:(start:{start},end:{end}),timeGranularityType:DAY)"
        doc = run.get(
            f"/organizationalEntityFollowerStatistics?q=organizationalEntity"
            f"&organizationalEntity={enc(self.org)}&timeIntervals={intervals}"
        )
        for element in run.expect(doc, "elements"):
            run.item(element, self._gains)
        run.checkpoint.stream("follower_gains").newest_time = run.now.isoformat()

    def _gains(self, element: dict[str, Any]) -> None:
        run = self.run
        day = datetime.fromtimestamp(element["timeRange"]["start"] / 1000, UTC).date()
        gains = element["followerGains"]
        organic = gains.get("organicFollowerGain", gains.get("organicFollowerGains"))
        paid = gains.get("paidFollowerGain", gains.get("paidFollowerGains"))
        if organic is None and paid is None:
            return
        total = int(organic or 0) + int(paid or 0)
        if total < 0:
            run.warn("LinkedIn reported a negative daily follower gain: that day's gains left unknown")
            return
        run.account_day(day, followers_gained=total)

    def posts(self) -> None:
        run = self.run
        walk = NewestFirst(run, "posts")
        for elements in self._pages(f"/posts?q=author&author={enc(self.org)}&sortBy=CREATED"):
            for node in elements:
                try:
                    new = walk.admit(run.parse_time(node["createdAt"]))
                except UNREADABLE:
                    run.item(node, partial(self._post, new=True))  # quarantined with its error
                    continue
                if new is not None:
                    run.item(node, partial(self._post, new=new))
            if walk.stop:
                break
        walk.done()

    def _post(self, node: dict[str, Any], *, new: bool) -> Row:
        # Metrics come from the statistics stream; until then they are unknown.
        return self.run.post(node["id"], node["createdAt"], node.get("commentary"), new=new)

    def statistics(self) -> None:
        run = self.run
        ids = sorted(run.posts)
        for n in range(0, len(ids), STATS_BATCH):
            batch = ids[n : n + STATS_BATCH]
            shares = [enc(i) for i in batch if i.startswith("urn:li:share:")]
            ugc = [enc(i) for i in batch if not i.startswith("urn:li:share:")]
            url = f"/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={enc(self.org)}"
            if shares:
                url += f"&shares=List({','.join(shares)})"
            if ugc:
                url += f"&ugcPosts=List({','.join(ugc)})"
            doc = run.get(url)
            for element in run.expect(doc, "elements"):
                run.item(element, self._stats)
        for post_id, row in run.posts.items():
            if (row["comments"] or 0) > 0:
                run.follow_thread(post_id, row["created_at"])

    def _stats(self, element: dict[str, Any]) -> Row | None:
        run = self.run
        post_id = element.get("share") or element.get("ugcPost")
        row = run.posts.get(str(post_id))
        if row is None:
            return None
        stats = element["totalShareStatistics"]
        label = "totalShareStatistics"
        return run.post(
            row["post_id"], row["created_at"], row["text"], new=row["_new"],
            impressions=run.metric(stats, "impressionCount", f"{label}.impressionCount"),
            reach=run.metric(stats, "uniqueImpressionsCount", f"{label}.uniqueImpressionsCount"),
            likes=run.metric(stats, "likeCount", f"{label}.likeCount"),
            comments=run.metric(stats, "commentCount", f"{label}.commentCount"),
            shares=run.metric(stats, "shareCount", f"{label}.shareCount"),
            clicks=run.metric(stats, "clickCount", f"{label}.clickCount"),
            saves=None,  # not reported for organisation posts
        )  # fmt: skip

    def comments(self) -> None:
        run = self.run
        for post_id in sorted(run.recent_threads()):
            self._comments_of(post_id, post_id, depth=0)

    def _comments_of(self, target: str, post_id: str, *, depth: int) -> None:
        """The comments under ``target`` (a post, or a comment: its replies), and theirs in turn."""
        run = self.run
        for elements in self._pages(f"/socialActions/{enc(target)}/comments", count=100):
            for node in elements:
                run.item(node, partial(self._comment, post_id=post_id))
                urn = node.get("commentUrn") if isinstance(node, dict) else None
                if isinstance(urn, str) and depth < MAX_DEPTH and self._has_replies(node):
                    self._comments_of(urn, post_id, depth=depth + 1)

    @staticmethod
    def _has_replies(node: dict[str, Any]) -> bool:
        """Whether a comment has replies (unknown without ``commentsSummary``: then ask)."""
        summary = node.get("commentsSummary")
        if not isinstance(summary, dict):
            return True
        total = summary.get("aggregatedTotalComments", summary.get("totalFirstLevelComments"))
        return not isinstance(total, int) or total > 0

    def _comment(self, node: dict[str, Any], *, post_id: str) -> Row:
        message_id = node.get("commentUrn") or node.get("$URN") or node["id"]
        return self.run.message(
            message_id, node["created"]["time"], node.get("actor"), node.get("actor") == self.org,
            node.get("parentComment") or post_id, (node.get("message") or {}).get("text"),
        )  # fmt: skip

    # ------------------------------------------------------------ notifications
    def notifications(self) -> None:
        """Late comments on posts of any age, from the organisation's social action notifications.

        Walks ``organizationalEntityNotifications?q=criteria`` from the stream's cursor (first run:
        the fetch window), never further back than LinkedIn keeps them (60 days); every post named
        by a ``COMMENT`` has its thread walked (unless this run already did), which brings the new
        comment, linked to its post, and the organisation's answers. When the walk completes the
        account's reply reach is "any"; a 403 (a token without ``rw_organization_admin`` or a
        member who is not an ADMINISTRATOR of the page) leaves it at the deepest sweep, noted.
        """
        run = self.run
        walk = NewestFirst(run, "notifications")
        retained_from = run.now - NOTIFICATION_RETENTION
        cursor = walk.cursor.newest_time
        gap = cursor is not None and not run.backfill and datetime.fromisoformat(cursor) < retained_from
        since = max(walk.bound, retained_from)
        walk.bound = since
        span = f"(start:{int(since.timestamp() * 1000)},end:{int(run.now.timestamp() * 1000)})"
        posts: set[str] = set()
        path = (
            f"/organizationalEntityNotifications?q=criteria&organizationalEntity={enc(self.org)}"
            f"&actions=List({','.join(NOTIFICATION_ACTIONS)})&timeRange={span}"
        )
        try:
            for elements in self._pages(path):
                for node in elements:
                    run.item(node, partial(self._notification, walk=walk, posts=posts))
        except HttpError as exc:
            if exc.status != 403:
                raise
            run.warn(
                "notifications refused (HTTP 403: the token needs rw_organization_admin and an "
                "ADMINISTRATOR role on the page): late replies are read by the 90-day sweep only"
            )
            return
        walked = {row["in_reply_to"] for row in run.messages.values()}
        for post_id in sorted(posts - walked):
            self._comments_of(post_id, post_id, depth=0)
        walk.done()
        if gap:
            run.warn(
                f"notifications last read {cursor}, more than {NOTIFICATION_RETENTION.days} days ago: "
                f"late replies in between on posts older than {DEEP_SWEEP_DAYS.days} days may be missing"
            )
            return
        run.report.reply_reach = "any"

    def _notification(self, node: dict[str, Any], *, walk: NewestFirst, posts: set[str]) -> Row | None:
        """One notification: a commented post to walk, or a mention as an inbound message."""
        run = self.run
        at = run.parse_time(node["lastModifiedAt"])
        if walk.admit(at) is None:
            return None  # older than the cursor (the time range already excludes these)
        action = node["action"]
        source = node.get("decoratedSourcePost")
        if action == "COMMENT":
            if isinstance(source, dict) and source.get("owner") not in (None, self.org):
                return None  # not a post of the organisation
            post = source.get("entity") if isinstance(source, dict) else None
            post = post or node["sourcePost"]
            if not isinstance(post, str) or not post.startswith("urn:li:"):
                raise ValueError(f"no post URN in a COMMENT notification: {post!r}")
            posts.add(post)
            return None
        if action == "SHARE_MENTION":
            share = (node.get("decoratedGeneratedActivity") or {}).get("share") or {}
            mention = share.get("entity") or node["generatedActivity"]
            return run.message(mention, at, share.get("owner"), False, None, share.get("text"))
        return None
