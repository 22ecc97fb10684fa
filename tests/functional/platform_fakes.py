"""Local fake platform APIs on loopback, answering with the platforms' documented shapes.

Each fake is a :class:`FakeApi` (a ``ThreadingHTTPServer`` on port 0 in a
thread) with routes, a request log, and scripted failures (``fail(...)``: a
429 with ``Retry-After``, a 500, a malformed body) served before the real
answer. Data sets are small but realistic: several pages, replies, mentions.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


def json_answer(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(doc).encode()


@dataclass
class FakeApi:
    """A fake HTTP API; subclasses register routes in ``setup``."""

    token: str | None = None
    requests: list[Request] = field(default_factory=list)
    routes: list[tuple[re.Pattern[str], Callable[..., Answer]]] = field(default_factory=list)
    failures: deque[tuple[re.Pattern[str], Answer]] = field(default_factory=deque)

    def route(self, pattern: str, handler: Callable[..., Answer]) -> None:
        self.routes.append((re.compile(f"^{pattern}$"), handler))

    def fail(
        self,
        pattern: str,
        status: int,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests matching ``pattern`` get this answer instead."""
        data = body.encode() if isinstance(body, str) else body
        for _ in range(times):
            self.failures.append((re.compile(f"^{pattern}$"), (status, headers or {}, data)))

    def paths(self, pattern: str = ".*") -> list[Request]:
        return [r for r in self.requests if re.fullmatch(pattern, r.path)]

    def authorized(self, request: Request) -> bool:
        return self.token is None or request.headers.get("authorization") == f"Bearer {self.token}"

    def answer(self, request: Request) -> Answer:
        self.requests.append(request)
        for i, (pattern, failure) in enumerate(self.failures):
            if pattern.match(request.path):
                del self.failures[i]
                return failure
        if not self.authorized(request):
            return json_answer({"error": "unauthorized"}, 401)
        for pattern, handler in self.routes:
            match = pattern.match(request.path)
            if match:
                return handler(request, *match.groups())
        return json_answer({"error": f"no route {request.path}"}, 404)

    def __enter__(self) -> FakeApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                request = Request(parts.path, parse_qs(parts.query, keep_blank_values=True),
                                  {k.lower(): v for k, v in self.headers.items()})  # fmt: skip
                status, headers, body = api.answer(request)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that timed out and hung up is part of the tests

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"


NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def snowflake(at: datetime, n: int = 0) -> str:
    return str((int(at.timestamp() * 1000) - 1288834974657) << 22 | n)


# ================================================================= X API v2


class FakeX(FakeApi):
    """``/2/users/by/username``, ``/2/users/:id/tweets|mentions``, ``/2/tweets``."""

    def __init__(self, token: str = "x-secret-token-123", page_size: int = 3, app_only: bool = False) -> None:
        super().__init__(token=token)
        self.page_size = page_size
        self.app_only = app_only
        self.user = {"id": "1500000000000000001", "name": "Maison Lumière", "username": "maisonlumiere",
                     "public_metrics": {"followers_count": 18234, "following_count": 210, "tweet_count": 5400,
                                        "listed_count": 31, "like_count": 900}}  # fmt: skip
        self.fans = [
            {"id": "900", "username": "camille_r", "name": "Camille"},
            {"id": "901", "username": "tom_h", "name": "Tom"},
        ]
        self.tweets: list[dict[str, Any]] = []
        self.mentions: list[dict[str, Any]] = []
        for i in range(7):  # seven posts over the last week, one every day
            at = NOW - timedelta(days=7 - i, hours=-2)
            self.add_tweet(at, f"Post {i} ✨ #nouveauté", likes=10 + i, impressions=1000 + i)
        post = self.tweets[-1]["id"]
        self.add_mention(
            NOW - timedelta(hours=10), "900", "@maisonlumiere commande pas reçue 😡", reply_to=post
        )
        self.add_mention(NOW - timedelta(hours=9), "901", "@maisonlumiere vous livrez en Belgique ?")
        self.add_tweet(NOW - timedelta(hours=8), "@camille_r Désolés, écrivez-nous en MP",
                       reply_to=self.mentions[0]["id"])  # fmt: skip
        self.route(r"/2/users/by/username/(\w+)", self.by_username)
        self.route(r"/2/users/(\d+)/tweets", lambda r, uid: self.timeline(r, self.tweets))
        self.route(r"/2/users/(\d+)/mentions", lambda r, uid: self.timeline(r, self.mentions))
        self.route(r"/2/tweets", self.lookup)

    def _next_id(self, at: datetime) -> str:
        return snowflake(at, len(self.tweets) + len(self.mentions))

    def add_tweet(
        self, at: datetime, text: str, *, likes: int = 0, impressions: int = 0, reply_to: str | None = None
    ) -> dict[str, Any]:
        tid = self._next_id(at)
        tweet: dict[str, Any] = {
            "id": tid, "text": text, "created_at": iso(at), "author_id": self.user["id"], "conversation_id": tid,
            "edit_history_tweet_ids": [tid],
            "public_metrics": {"retweet_count": 2, "reply_count": 1, "like_count": likes, "quote_count": 1,
                               "bookmark_count": 3, "impression_count": impressions},
            "non_public_metrics": {"impression_count": impressions, "url_link_clicks": 7, "user_profile_clicks": 2},
        }  # fmt: skip
        if reply_to:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
            tweet["in_reply_to_user_id"] = "900"
        self.tweets.append(tweet)
        return tweet

    def add_mention(
        self, at: datetime, author: str, text: str, reply_to: str | None = None
    ) -> dict[str, Any]:
        tid = self._next_id(at)
        tweet: dict[str, Any] = {"id": tid, "text": text, "created_at": iso(at), "author_id": author,
                                 "conversation_id": reply_to or tid, "edit_history_tweet_ids": [tid]}  # fmt: skip
        if reply_to:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
        self.mentions.append(tweet)
        return tweet

    def by_username(self, request: Request, username: str) -> Answer:
        if username != self.user["username"]:
            return json_answer({"errors": [{"title": "Not Found Error", "value": username}]})
        return json_answer({"data": self.user})

    def _shape(self, tweet: dict[str, Any], fields: str) -> dict[str, Any]:
        out = {k: v for k, v in tweet.items() if k not in ("public_metrics", "non_public_metrics")}
        for name in ("public_metrics", "non_public_metrics"):
            if name in fields.split(",") and name in tweet:
                out[name] = tweet[name]
        return out

    def _forbidden(self, request: Request) -> Answer | None:
        if self.app_only and "non_public_metrics" in (request.arg("tweet.fields") or ""):
            return json_answer({"title": "Unsupported Authentication", "status": 403,
                                "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint."}, 403)  # fmt: skip
        return None

    def timeline(self, request: Request, source: list[dict[str, Any]]) -> Answer:
        if (forbidden := self._forbidden(request)) is not None:
            return forbidden
        items = sorted(source, key=lambda t: int(t["id"]), reverse=True)
        if since := request.arg("since_id"):
            items = [t for t in items if int(t["id"]) > int(since)]
        if start := request.arg("start_time"):
            items = [t for t in items if t["created_at"] >= start.replace("Z", ".000Z")]
        if request.arg("exclude") == "retweets":
            items = [
                t for t in items if not any(r["type"] == "retweeted" for r in t.get("referenced_tweets", []))
            ]
        offset = int((request.arg("pagination_token") or "p0")[1:])
        size = min(int(request.arg("max_results") or 10), self.page_size)
        page = items[offset : offset + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + size < len(items):
            meta["next_token"] = f"p{offset + size}"
        doc: dict[str, Any] = {"meta": meta}
        if page:
            doc["data"] = [self._shape(t, request.arg("tweet.fields") or "") for t in page]
            if request.arg("expansions") == "author_id":
                ids = {t["author_id"] for t in page}
                doc["includes"] = {"users": [u for u in [*self.fans, self.user] if u["id"] in ids]}
        return json_answer(doc)

    def lookup(self, request: Request) -> Answer:
        if (forbidden := self._forbidden(request)) is not None:
            return forbidden
        by_id = {t["id"]: t for t in self.tweets}
        ids = (request.arg("ids") or "").split(",")
        doc: dict[str, Any] = {
            "data": [self._shape(by_id[i], request.arg("tweet.fields") or "") for i in ids if i in by_id]
        }
        missing = [i for i in ids if i not in by_id]
        if missing:
            doc["errors"] = [{"value": i, "detail": f"Could not find tweet with ids: [{i}].", "title": "Not Found Error",
                              "resource_type": "tweet", "parameter": "ids", "resource_id": i,
                              "type": "https://api.twitter.com/2/problems/resource-not-found"} for i in missing]  # fmt: skip
        return json_answer(doc)


# ================================================================= Mastodon


class FakeMastodon(FakeApi):
    """``/api/v1/accounts/lookup``, ``/accounts/:id/statuses``, ``/statuses/:id/context``, ``/notifications``."""

    def __init__(self, token: str | None = None, page_size: int = 3) -> None:
        super().__init__(token=token)
        self.page_size = page_size
        self.account = {"id": "109000000000000001", "username": "cafeboreal", "acct": "cafeboreal",
                        "display_name": "Café Boréal", "followers_count": 2513, "following_count": 80,
                        "statuses_count": 420, "url": "https://mastodon.social/@cafeboreal"}  # fmt: skip
        self.fan = {
            "id": "109000000000000777",
            "username": "lea",
            "acct": "lea@piaille.fr",
            "display_name": "Léa",
        }
        self.statuses: list[dict[str, Any]] = []
        self.replies: dict[str, list[dict[str, Any]]] = {}
        self.notifications: list[dict[str, Any]] = []
        for i in range(5):
            self.add_status(
                NOW - timedelta(days=5 - i),
                f"<p>Nouveau café de saison n°{i} &amp; croissants</p>",
                replies=1 if i == 4 else 0,
            )
        post = self.statuses[-1]
        fan_reply = self.status(
            NOW - timedelta(hours=5),
            self.fan,
            '<p><span class="h-card">@cafeboreal</span> ouvert dimanche ?</p>',
            post["id"],
            self.account["id"],
        )
        brand_reply = self.status(
            NOW - timedelta(hours=4),
            self.account,
            "<p>@lea Oui, de 9h à 13h !</p>",
            fan_reply["id"],
            self.fan["id"],
        )
        self.replies[post["id"]] = [fan_reply, brand_reply]
        self.notifications.append({"id": "501", "type": "mention", "created_at": iso(NOW - timedelta(hours=3)),
                                   "account": self.fan,
                                   "status": self.status(NOW - timedelta(hours=3), self.fan, "<p>@cafeboreal merci !</p>", None, None)})  # fmt: skip
        self.route(r"/api/v1/accounts/lookup", self.lookup)
        self.route(r"/api/v1/accounts/(\d+)/statuses", self.account_statuses)
        self.route(r"/api/v1/statuses/(\d+)/context", self.context)
        self.route(r"/api/v1/notifications", self.notes)

    def status(
        self,
        at: datetime,
        account: dict[str, Any],
        content: str,
        reply_to: str | None,
        reply_to_account: str | None,
        replies: int = 0,
    ) -> dict[str, Any]:
        sid = snowflake(at, 1)[:18]
        return {"id": sid, "created_at": iso(at), "in_reply_to_id": reply_to, "in_reply_to_account_id": reply_to_account,
                "sensitive": False, "spoiler_text": "", "visibility": "public", "language": "fr",
                "uri": f"https://mastodon.social/users/{account['username']}/statuses/{sid}",
                "url": f"https://mastodon.social/@{account['username']}/{sid}", "replies_count": replies,
                "reblogs_count": 4, "favourites_count": 12, "content": content, "reblog": None, "account": account,
                "media_attachments": [], "mentions": [], "tags": []}  # fmt: skip

    def add_status(self, at: datetime, content: str, replies: int = 0) -> dict[str, Any]:
        status = self.status(at, self.account, content, None, None, replies)
        self.statuses.append(status)
        return status

    def lookup(self, request: Request) -> Answer:
        if request.arg("acct") != self.account["acct"]:
            return json_answer({"error": "Record not found"}, 404)
        return json_answer(self.account)

    def _window(self, items: list[dict[str, Any]], request: Request) -> list[dict[str, Any]]:
        items = sorted(items, key=lambda s: int(s["id"]), reverse=True)
        limit = min(int(request.arg("limit") or 20), self.page_size)
        if max_id := request.arg("max_id"):
            items = [s for s in items if int(s["id"]) < int(max_id)]
        if since := request.arg("since_id"):
            items = [s for s in items if int(s["id"]) > int(since)]
        if min_id := request.arg("min_id"):  # the statuses just after min_id, newest first
            items = [s for s in items if int(s["id"]) > int(min_id)][-limit:]
        return items[:limit]

    def account_statuses(self, request: Request, account_id: str) -> Answer:
        return json_answer(self._window(self.statuses, request))

    def context(self, request: Request, status_id: str) -> Answer:
        return json_answer({"ancestors": [], "descendants": self.replies.get(status_id, [])})

    def notes(self, request: Request) -> Answer:
        if self.token is None:
            return json_answer({"error": "The access token is invalid"}, 401)
        types = request.query.get("types[]", [])
        return json_answer(
            self._window([n for n in self.notifications if not types or n["type"] in types], request)
        )


def fakes() -> Iterator[type[FakeApi]]:
    yield FakeX
    yield FakeMastodon


# ================================================================= wiring for the tests


class FakeClock:
    """A monotonic clock that only moves when slept on (or by ``tick`` per reading)."""

    def __init__(self, tick: float = 0.0) -> None:
        self.now = 1000.0
        self.tick = tick
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        self.now += self.tick
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_source(store: Any, tokens: dict[str, Any], base_urls: dict[str, str], *, clock: FakeClock | None = None,
                now: datetime = NOW, **kwargs: Any) -> Any:  # fmt: skip
    """A PlatformSource against fakes: no real sleeping, a fixed 'now', wall clock at NOW."""
    from pulse.connectors import HttpClient, PlatformSource, RetryPolicy, StaticTokens

    clock = clock or FakeClock()
    http = HttpClient(timeout=5, retry=RetryPolicy(jitter=lambda: 1.0), sleep=clock.sleep, clock=clock,
                      wall_clock=lambda: now.timestamp())  # fmt: skip
    return PlatformSource(store, StaticTokens(tokens), base_urls=base_urls, http=http, clock=clock,
                          now=lambda: now, environ={}, **kwargs)  # fmt: skip


def archived(store: Any, prefix: str) -> list[dict[str, Any]]:
    from pulse.connectors.archive import read_archived

    return [read_archived(store, o.key) | {"key": o.key} for o in store.list(prefix)]
