"""X (Twitter) API v2.

* ``GET /2/users/by/username/:username`` (or ``/2/users/:id``) with
  ``user.fields=public_metrics``: the user id and ``followers_count``;
* ``GET /2/users/:id/tweets`` (``exclude=retweets``): the brand's posts and
  its replies, newest first, ``since_id`` + ``pagination_token``;
* ``GET /2/users/:id/mentions`` (``expansions=author_id``): inbound messages;
* ``GET /2/tweets?ids=`` (100 at a time): fresh metrics of the posts of the
  re-fetch window.

Tweets that reply to another tweet (``referenced_tweets`` of type
``replied_to``) are messages (``in_reply_to`` = that tweet's id, which links
replies to posts and threads through ``conversation_id``); the brand's other
tweets are posts. A budget stop in the middle of a pagination stores the
``pagination_token`` so the next run resumes there before asking for newer
tweets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from pulse.connectors.base import Connector, Row
from pulse.connectors.http import BudgetExhaustedError, HttpError

TWEET_FIELDS = "created_at,public_metrics,conversation_id,referenced_tweets,in_reply_to_user_id,author_id"


def _newer(a: str | None, b: str | None) -> str | None:
    """The larger of two tweet ids (snowflakes grow with time)."""
    if not a or not b:
        return a or b
    return a if (len(a), a) >= (len(b), b) else b


class XConnector(Connector):
    platform = "x"

    def streams(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "user", self.user
        if "user_id" not in self.run.state:
            return
        yield "tweets", self.tweets
        yield "mentions", self.mentions
        yield "refetch", self.refetch

    # ------------------------------------------------------------ user

    def user(self) -> None:
        run = self.run
        handle = run.account.id.lstrip("@")
        path = f"/2/users/{handle}" if handle.isdigit() else f"/2/users/by/username/{handle}"
        doc = run.get(path, {"user.fields": "public_metrics,username"})
        data = run.expect(doc, "data", dict)
        run.state["user_id"] = str(data["id"])
        run.state["username"] = data.get("username", handle)
        run.follower_count(
            run.metric(data.get("public_metrics"), "followers_count", "user.public_metrics.followers_count")
        )

    # ------------------------------------------------------------ timelines

    def _fields(self) -> str:
        return TWEET_FIELDS + (",non_public_metrics" if self.run.state.get("non_public", True) else "")

    def _get_tweets(self, path: str, params: dict[str, Any]) -> Any:
        run = self.run
        try:
            return run.get(path, {**params, "tweet.fields": self._fields()})
        except HttpError as exc:
            if exc.status in (400, 401, 403) and run.state.get("non_public", True):
                run.state["non_public"] = False
                run.warn(
                    "non_public_metrics not allowed for this token: clicks unknown, impressions public only"
                )
                return run.get(path, {**params, "tweet.fields": self._fields()})
            raise

    def _check_errors(self, doc: Any) -> None:
        for error in doc.get("errors", []) if isinstance(doc, dict) else []:
            text = f"{error.get('title', '')} {error.get('detail', '')}"
            if "non_public_metrics" in text:
                self.run.state["non_public"] = False
                self.run.warn("non_public_metrics not allowed for this token: clicks unknown")

    def _timeline(
        self, stream: str, path: str, params: dict[str, Any], handle: Callable[[Any], None]
    ) -> None:
        """Everything newer than the stream's ``since_id``, resuming an interrupted pagination first."""
        run = self.run
        state = run.state.setdefault(stream, {})
        resume = state.get("resume")
        if resume:
            newest = self._pass(
                stream, path, params, handle, resume.get("since_id"), resume["token"], resume.get("newest_id")
            )
            state["since_id"] = _newer(state.get("since_id"), newest)
            state.pop("resume", None)
        since = None if run.backfill else state.get("since_id")
        newest = self._pass(stream, path, params, handle, since, None, None)
        state["since_id"] = _newer(state.get("since_id"), newest)

    def _pass(
        self, stream: str, path: str, params: dict[str, Any], handle: Callable[[Any], None],
        since: str | None, token: str | None, newest: str | None,
    ) -> str | None:  # fmt: skip
        run = self.run
        query = {**params, "max_results": 100}
        if since:
            query["since_id"] = since
        else:
            query["start_time"] = run.start.strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            try:
                doc = self._get_tweets(path, {**query, "pagination_token": token})
            except BudgetExhaustedError:
                if token:  # pages before this one are in hand: resume from here next run
                    run.state[stream]["resume"] = {"since_id": since, "token": token, "newest_id": newest}
                raise
            self._check_errors(doc)
            meta = run.expect(doc, "meta", dict)
            newest = _newer(newest, meta.get("newest_id"))
            handle(doc)
            token = meta.get("next_token")
            if not token:
                return newest

    def tweets(self) -> None:
        run = self.run
        uid = run.state["user_id"]

        def handle(doc: Any) -> None:
            for tweet in doc.get("data", []):
                run.item(tweet, lambda t: self._own_tweet(t, new=True))

        self._timeline("tweets", f"/2/users/{uid}/tweets", {"exclude": "retweets"}, handle)
        self._remember_recent()

    def mentions(self) -> None:
        run = self.run
        uid = run.state["user_id"]

        def handle(doc: Any) -> None:
            users = {u.get("id"): u.get("username") for u in doc.get("includes", {}).get("users", [])}
            for tweet in doc.get("data", []):
                run.item(tweet, lambda t: self._mention(t, users))

        params = {"expansions": "author_id", "user.fields": "username"}
        self._timeline("mentions", f"/2/users/{uid}/mentions", params, handle)

    def refetch(self) -> None:
        run = self.run
        recent = run.state.get("recent", {})
        todo = [
            i
            for i, at in recent.items()
            if i not in run.posts and datetime.fromisoformat(at) >= run.refetch_since
        ]
        for n in range(0, len(todo), 100):
            doc = self._get_tweets("/2/tweets", {"ids": ",".join(todo[n : n + 100])})
            for tweet in doc.get("data", []):
                run.item(tweet, lambda t: self._own_tweet(t, new=False))
            for error in doc.get("errors", []):
                if error.get("resource_type") == "tweet" and error.get("value") in recent:
                    recent.pop(error["value"])  # deleted or protected since
        self._remember_recent()

    def _remember_recent(self) -> None:
        run = self.run
        recent = dict(run.state.get("recent", {}))
        for post_id, row in run.posts.items():
            recent[post_id] = row["created_at"]
        run.state["recent"] = {
            i: at for i, at in recent.items() if datetime.fromisoformat(at) >= run.refetch_since
        }

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
                tweet["id"], tweet["created_at"], run.state.get("username"), True, parent, tweet.get("text")
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
        from_brand = str(author_id) == run.state["user_id"]
        return run.message(
            tweet["id"], tweet["created_at"], author, from_brand, self._replied_to(tweet), tweet.get("text")
        )
