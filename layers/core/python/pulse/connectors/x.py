"""X (Twitter) API v2.

* ``GET /2/users/by/username/:username`` (or ``/2/users/:id``) with
  ``user.fields=public_metrics``: the user id and ``followers_count``;
* ``GET /2/users/:id/tweets`` (``exclude=retweets``): the brand's posts and
  its replies, newest first, ``since_id`` + ``pagination_token``;
* ``GET /2/users/:id/mentions`` (``expansions=author_id``): inbound messages;
* ``GET /2/tweets/search/recent`` (``search/all`` for conversations older than
  7 days) with ``conversation_id:`` queries: the replies to the brand's posts
  that do not @mention it;
* ``GET /2/tweets?ids=`` (100 at a time): fresh metrics of the posts of the
  re-fetch window.

``non_public_metrics`` (clicks, private impressions) exist only for the
authenticated user's own posts of the last 30 days
(https://docs.x.com/x-api/posts/timelines/integrate, "Post metrics" and "Edge
cases"): they are asked for on the brand's own timeline and look-ups only,
never on mentions or searches, and a timeline older than 30 days is read in two
passes (the older part with public metrics only), because with private metrics
the API answers empty pages with a ``next_token`` for older posts. A token that
may not read them (app-only) is detected per run, never remembered.

Tweets that reply to another tweet (``referenced_tweets`` of type
``replied_to``) are messages (``in_reply_to`` = that tweet's id); the brand's
other tweets are posts. A budget stop in the middle of a pagination stores
the ``pagination_token`` (and the pass's window) so the next run resumes there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pulse.connectors.base import Connector, ReplyReach, Row
from pulse.connectors.http import BudgetExhaustedError, HttpError

TWEET_FIELDS = "created_at,public_metrics,conversation_id,referenced_tweets,in_reply_to_user_id,author_id"
#: Private metrics are served for the last 30 days only; a margin keeps clear of the edge.
PRIVATE_DAYS = timedelta(days=30) - timedelta(hours=1)
#: Recent search covers the last 7 days; older conversations need full-archive search.
RECENT_SEARCH = timedelta(days=7) - timedelta(minutes=5)
#: Conversation ids per search query (``conversation_id:<19 digits> OR ``: 512-character queries).
SEARCH_BATCH = 10
X_EPOCH_MS = 1288834974657
#: Conversation searches overlap the previous one by this much (the search index lags behind).
SEARCH_OVERLAP = timedelta(hours=1)
#: Problem types of a look-up error meaning the tweet is gone (deleted, or protected since).
GONE = ("resource-not-found", "not-authorized-for-resource")


def _newer(a: str | None, b: str | None) -> str | None:
    """The larger of two tweet ids (snowflakes grow with time)."""
    if not a or not b:
        return a or b
    return a if (len(a), a) >= (len(b), b) else b


def snowflake_time(tweet_id: str) -> datetime | None:
    """When a tweet id was minted (X ids are snowflakes: milliseconds since 2010-11-04 in the high bits)."""
    try:
        return datetime.fromtimestamp(((int(tweet_id) >> 22) + X_EPOCH_MS) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class XConnector(Connector):
    platform = "x"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Whether this run's token may read ``non_public_metrics`` (found out per run).
        self.private = True

    def reply_reach(self) -> ReplyReach:
        """Replies to the brand's posts of any age: a reply @mentions the author it answers, and the
        mentions timeline includes replies (its "Exclude replies" filter,
        https://docs.x.com/x-api/posts/timelines/quickstart/user-mention-quickstart); the
        ``conversation_id:`` searches add those that drop the mention, for the swept threads."""
        return "any"

    def streams(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "user", self.user
        if "user_id" not in self.run.checkpoint.ids:
            return
        yield "tweets", self.tweets
        yield "mentions", self.mentions
        yield "replies", self.replies
        yield "refetch", self.refetch

    # ------------------------------------------------------------ user

    def user(self) -> None:
        run = self.run
        handle = run.account.id.lstrip("@")
        path = f"/2/users/{handle}" if handle.isdigit() else f"/2/users/by/username/{handle}"
        doc = run.get(path, {"user.fields": "public_metrics,username"})
        data = run.expect(doc, "data", dict)
        run.checkpoint.ids["user_id"] = str(data["id"])
        run.checkpoint.ids["username"] = str(data.get("username", handle))
        run.follower_count(
            run.metric(data.get("public_metrics"), "followers_count", "user.public_metrics.followers_count")
        )

    # ------------------------------------------------------------ timelines

    def _get_tweets(self, path: str, params: dict[str, Any], *, private: bool) -> Any:
        """GET tweets; ``private`` asks for ``non_public_metrics`` (own recent tweets only)."""
        run = self.run
        private = private and self.private
        fields = TWEET_FIELDS + (",non_public_metrics" if private else "")
        try:
            doc = run.get(path, {**params, "tweet.fields": fields})
        except HttpError as exc:
            if private and exc.status in (400, 401, 403):
                self._refused()
                return run.get(path, {**params, "tweet.fields": TWEET_FIELDS})
            raise
        if private:
            for error in doc.get("errors", []) if isinstance(doc, dict) else []:
                if "non_public_metrics" in f"{error.get('field', '')} {error.get('detail', '')}":
                    self._refused()
                    break
        return doc

    def _refused(self) -> None:
        self.private = False
        self.run.warn(
            "non_public_metrics not allowed for this token: clicks unknown, impressions public only"
        )

    def _windows(self, since: str | None, *, private: bool) -> list[tuple[dict[str, Any], bool]]:
        """The passes of a timeline read: (query bounds, whether to ask for private metrics).

        With private metrics, the part older than 30 days is read apart, with public metrics only.
        """
        run = self.run
        lower = snowflake_time(since) if since else run.start
        bounds: dict[str, Any] = {"since_id": since} if since else {"start_time": _stamp(run.start)}
        cutoff = run.now - PRIVATE_DAYS
        if not private or lower is None or lower >= cutoff:
            return [(bounds, private)]
        return [({**bounds, "end_time": _stamp(cutoff)}, False), ({"start_time": _stamp(cutoff)}, True)]

    def _timeline(
        self, stream: str, path: str, params: dict[str, Any], handle: Callable[[Any], None], *, private: bool
    ) -> None:
        """Everything newer than the stream's ``since_id``, resuming an interrupted pagination first."""
        run = self.run
        cursor = run.checkpoint.stream(stream)
        resume = cursor.resume
        if resume:
            bounds = resume.get("bounds")
            if bounds is None:  # a checkpoint written before passes had bounds
                since = resume.get("since_id")
                bounds = {"since_id": since} if since else {"start_time": _stamp(run.start)}
            newest = self._pass(
                stream, path, params, handle, bounds, resume.get("private", private),
                resume["token"], resume.get("newest_id"),
            )  # fmt: skip
            cursor.since_id = _newer(cursor.since_id, newest)
            cursor.resume = None
        since = None if run.backfill else cursor.since_id
        for bounds, with_private in self._windows(since, private=private):
            newest = self._pass(stream, path, params, handle, bounds, with_private, None, None)
            cursor.since_id = _newer(cursor.since_id, newest)

    def _pass(
        self, stream: str, path: str, params: dict[str, Any], handle: Callable[[Any], None],
        bounds: dict[str, Any], private: bool, token: str | None, newest: str | None,
    ) -> str | None:  # fmt: skip
        run = self.run
        query = {**params, **bounds, "max_results": 100}
        while True:
            try:
                doc = self._get_tweets(path, {**query, "pagination_token": token}, private=private)
            except BudgetExhaustedError:
                if token:  # pages before this one are in hand: resume from here next run
                    run.checkpoint.stream(stream).resume = {
                        "bounds": bounds, "private": private, "token": token, "newest_id": newest,
                    }  # fmt: skip
                raise
            meta = run.expect(doc, "meta", dict)
            newest = _newer(newest, meta.get("newest_id"))
            handle(doc)
            token = meta.get("next_token")  # may come with an empty page: keep going
            if not token:
                return newest

    def tweets(self) -> None:
        run = self.run
        uid = run.checkpoint.ids["user_id"]

        def handle(doc: Any) -> None:
            for tweet in doc.get("data", []):
                run.item(tweet, lambda t: self._own_tweet(t, new=True))

        self._timeline("tweets", f"/2/users/{uid}/tweets", {"exclude": "retweets"}, handle, private=True)
        self._remember_recent()

    def _others(self, doc: Any) -> None:
        """Tweets by anyone (mentions, conversation replies) as messages."""
        users = {u.get("id"): u.get("username") for u in doc.get("includes", {}).get("users", [])}
        for tweet in doc.get("data", []):
            self.run.item(tweet, lambda t: self._mention(t, users))

    def mentions(self) -> None:
        uid = self.run.checkpoint.ids["user_id"]
        params = {"expansions": "author_id", "user.fields": "username"}
        # other people's tweets: never ask for their private metrics (the API refuses them)
        self._timeline("mentions", f"/2/users/{uid}/mentions", params, self._others, private=False)

    def replies(self) -> None:
        """Replies to the brand's posts that do not mention it: ``conversation_id:`` searches.

        Conversations of the last 7 days use recent search; older ones (a first run
        or a backfill) full-archive search, which not every access level has: then
        the run says so and keeps the rest. X bills every post read, so a search
        starts where the last complete one ended (less an hour for the index's
        lag), not at each conversation's start.
        """
        run = self.run
        cursor = run.checkpoint.stream("replies")
        searched = (
            None if run.first_run or not cursor.newest_time else datetime.fromisoformat(cursor.newest_time)
        )
        threads = run.recent_threads()
        recent_from = run.now - RECENT_SEARCH
        if searched is not None:
            recent_from = max(recent_from, searched - SEARCH_OVERLAP)
        groups: dict[str, list[tuple[str, datetime]]] = {"recent": [], "all": []}
        for post_id, at in threads.items():
            created = datetime.fromisoformat(at)
            if searched is not None:  # searched up to ``searched`` already: recent search from there
                groups["recent"].append((post_id, created))
            else:
                groups["recent" if created >= recent_from else "all"].append((post_id, created))
        for kind, posts in groups.items():
            for n in range(0, len(posts), SEARCH_BATCH):
                batch = posts[n : n + SEARCH_BATCH]
                try:
                    self._search(kind, batch, recent_from)
                except HttpError as exc:
                    if kind != "all" or exc.status not in (400, 403):
                        raise
                    run.warn(
                        f"replies without a mention to posts older than 7 days not fetched: full-archive "
                        f"search refused (HTTP {exc.status}) for this access level"
                    )
                    break
        cursor.newest_time = run.now.isoformat()

    def _search(self, kind: str, batch: list[tuple[str, datetime]], recent_from: datetime) -> None:
        ids = {post_id for post_id, _ in batch}
        query = " OR ".join(f"conversation_id:{post_id}" for post_id in sorted(ids))
        first = min(at for _, at in batch)
        start = max(first, recent_from) if kind == "recent" else first
        params: dict[str, Any] = {
            "query": query,
            "start_time": _stamp(start),
            "max_results": 100,
            "expansions": "author_id",
            "user.fields": "username",
            "tweet.fields": TWEET_FIELDS,
        }
        token: str | None = None
        while True:
            doc = self.run.get(f"/2/tweets/search/{kind}", {**params, "next_token": token})
            self.run.expect(doc, "meta", dict)
            # the conversations' first tweets are the brand's posts themselves
            if isinstance(doc.get("data"), list):
                doc = {
                    **doc,
                    "data": [t for t in doc["data"] if not isinstance(t, dict) or t.get("id") not in ids],
                }
            self._others(doc)
            token = doc["meta"].get("next_token")
            if not token:
                return

    def refetch(self) -> None:
        run = self.run
        recent = run.checkpoint.recent
        todo = [
            i
            for i, at in recent.items()
            if i not in run.posts and datetime.fromisoformat(at) >= run.refetch_since
        ]
        for n in range(0, len(todo), 100):
            doc = self._get_tweets("/2/tweets", {"ids": ",".join(todo[n : n + 100])}, private=True)
            for tweet in doc.get("data", []):
                run.item(tweet, lambda t: self._own_tweet(t, new=False))
            for error in doc.get("errors", []):
                gone = (
                    any(k in str(error.get("type", "")) for k in GONE)
                    or error.get("title") == "Not Found Error"
                )
                if gone and error.get("value") in recent:
                    recent.pop(error["value"])  # deleted or protected since
        self._remember_recent()

    def _remember_recent(self) -> None:
        run = self.run
        recent = dict(run.checkpoint.recent)
        for post_id, row in run.posts.items():
            recent[post_id] = row["created_at"]
        run.checkpoint.recent = {
            i: at for i, at in recent.items() if datetime.fromisoformat(at) >= run.refetch_since
        }
        for post_id, row in run.posts.items():
            if (row["comments"] or 0) > 0:
                run.follow_thread(post_id, row["created_at"])

    # ------------------------------------------------------------ mapping

    def _replied_to(self, tweet: dict[str, Any]) -> str | None:
        for ref in tweet.get("referenced_tweets") or []:
            if ref.get("type") == "replied_to":
                return str(ref["id"])
        return None

    def _own_tweet(self, tweet: dict[str, Any], *, new: bool) -> Row:
        run = self.run
        parent = self._replied_to(tweet)
        if parent is not None:
            return run.message(
                tweet["id"],
                tweet["created_at"],
                run.checkpoint.ids.get("username"),
                True,
                parent,
                tweet.get("text"),
            )
        public = tweet.get("public_metrics")
        private = tweet.get("non_public_metrics")
        impressions = private.get("impression_count") if isinstance(private, dict) else None
        if impressions is None:
            impressions = run.metric(public, "impression_count", "public_metrics.impression_count")
        retweets = run.metric(public, "retweet_count", "public_metrics.retweet_count")
        quotes = run.metric(public, "quote_count", "public_metrics.quote_count")
        shares = None if retweets is None and quotes is None else (retweets or 0) + (quotes or 0)
        return run.post(
            tweet["id"], tweet["created_at"], tweet.get("text"), new=new,
            impressions=impressions,
            reach=None,  # X gives no unique reach
            likes=run.metric(public, "like_count", "public_metrics.like_count"),
            comments=run.metric(public, "reply_count", "public_metrics.reply_count"),
            shares=shares,
            saves=public.get("bookmark_count") if isinstance(public, dict) else None,
            clicks=private.get("url_link_clicks") if isinstance(private, dict) else None,
        )  # fmt: skip

    def _mention(self, tweet: dict[str, Any], users: dict[Any, Any]) -> Row:
        run = self.run
        author_id = tweet.get("author_id")
        author = users.get(author_id) or author_id
        from_brand = str(author_id) == run.checkpoint.ids["user_id"]
        return run.message(
            tweet["id"], tweet["created_at"], author, from_brand, self._replied_to(tweet), tweet.get("text")
        )
