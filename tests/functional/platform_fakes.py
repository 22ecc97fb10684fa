"""Local fake platform APIs on loopback, answering with the platforms' documented shapes.

Each fake is a :class:`FakeApi` (a ``ThreadingHTTPServer`` on port 0 in a
thread) with routes, a request log, and scripted failures (``fail(...)``: a
429 with ``Retry-After``, a 500, a malformed body) served before the real
answer. Data sets are small but realistic: several pages, replies, mentions.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    method: str = "GET"
    form: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body or b"null")

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
                self.reply("GET", b"")

            def do_POST(self) -> None:
                self.reply("POST", self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def reply(self, method: str, data: bytes) -> None:
                parts = urlsplit(self.path)
                form_body = self.headers.get("Content-Type", "").startswith(
                    "application/x-www-form-urlencoded"
                )
                form = parse_qs(data.decode(), keep_blank_values=True) if form_body else {}
                request = Request(parts.path, parse_qs(parts.query, keep_blank_values=True),
                                  {k.lower(): v for k, v in self.headers.items()}, method, form, data)  # fmt: skip
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
    """``/2/users/by/username``, ``/2/users/:id/tweets|mentions``, ``/2/tweets``, ``/2/tweets/search/*``.

    As documented (https://docs.x.com/x-api/posts/timelines/integrate, "Post metrics", "Edge cases"):
    ``non_public_metrics`` are served for the authenticated user's own posts of the last 30 days
    only; other people's posts get a partial "Field Authorization Error" (problem type
    ``not-authorized-for-field``, https://docs.x.com/x-api/fundamentals/response-codes-and-errors)
    and no such field; older own posts are left out of the page, which keeps its ``next_token``
    (``result_count: 0``). Recent search covers 7 days
    (https://docs.x.com/x-api/posts/search/introduction); ``full_archive=False`` answers
    ``search/all`` with the 403 "client-forbidden" problem of an access level without it.
    """

    def __init__(self, token: str = "x-secret-token-123", page_size: int = 3, app_only: bool = False,
                 full_archive: bool = True) -> None:  # fmt: skip
        super().__init__(token=token)
        self.page_size = page_size
        self.app_only = app_only
        self.full_archive = full_archive
        self.now = NOW
        #: Replies to the brand's posts that do not @mention it: only a conversation search finds them.
        self.replies: list[dict[str, Any]] = []
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
        self.route(r"/2/tweets/search/(recent|all)", self.search)
        # OAuth 2.0 (user context, ``offline.access``): the token endpoint on the API's host.
        self.client_id = "M1M5R3BMVy13QmpScXkzTUt5OE46MTpjaQ"
        self.client_secret = "x-client-secret-Qm9vaA"
        self.refresh_token = "x-refresh-0-bWRWa3gzdnk3WHRGU1o0"
        self.confidential = True
        self.token_calls = 0
        self.route(r"/2/oauth2/token", self.oauth_token)

    def credential(self) -> dict[str, str]:
        doc = {"refresh_token": self.refresh_token, "client_id": self.client_id}
        if self.confidential:
            doc["client_secret"] = self.client_secret
        return doc

    def oauth_token(self, request: Request) -> Answer:
        """``POST /2/oauth2/token``, ``grant_type=refresh_token``
        (https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code, "Refresh tokens"):
        a confidential client authenticates with HTTP Basic ``client_id:client_secret``, a public one
        sends ``client_id`` in the body (.../oauth-2-0/user-access-token, "Working with confidential
        clients"). Every refresh issues a new refresh token and the one used stops working; an
        unknown or used one gets 400 ``invalid_request`` "Value passed for the token was invalid."
        (X's answer as its developers report it; the docs page shows no error body). Access tokens
        last two hours (``expires_in: 7200``)."""
        form = {k: v[0] for k, v in request.form.items()}
        self.token_calls += 1
        if request.method != "POST" or form.get("grant_type") != "refresh_token":
            return json_answer({"error": "invalid_request", "error_description": "Missing required parameter [grant_type]."}, 400)  # fmt: skip
        basic = request.headers.get("authorization", "")
        if self.confidential:
            expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if basic != expected or "client_secret" in form:
                return json_answer({"error": "unauthorized_client", "error_description": "Missing valid authorization header"}, 401)  # fmt: skip
        elif basic or form.get("client_id") != self.client_id:
            return json_answer({"error": "invalid_request", "error_description": "Missing required parameter [client_id]."}, 400)  # fmt: skip
        if form.get("refresh_token") != self.refresh_token:
            return json_answer({"error": "invalid_request", "error_description": "Value passed for the token was invalid."}, 400)  # fmt: skip
        self.issued_tokens = getattr(self, "issued_tokens", 0) + 1
        self.token = f"x-access-{self.issued_tokens}-VGhlQWNjZXNz"
        self.refresh_token = f"x-refresh-{self.issued_tokens}-bWRWa3gzdnk3WHRGU1o0"  # the used one is dead
        return json_answer({"token_type": "bearer", "expires_in": 7200, "access_token": self.token,
                            "scope": "tweet.read users.read offline.access", "refresh_token": self.refresh_token})  # fmt: skip

    def authorized(self, request: Request) -> bool:
        return request.path == "/2/oauth2/token" or super().authorized(request)

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

    def add_reply(self, at: datetime, author: str, text: str, reply_to: dict[str, Any]) -> dict[str, Any]:
        """A reply in the conversation of ``reply_to`` without an @mention of the brand."""
        tid = snowflake(at, len(self.tweets) + len(self.mentions) + len(self.replies))
        tweet: dict[str, Any] = {"id": tid, "text": text, "created_at": iso(at), "author_id": author,
                                 "conversation_id": reply_to["conversation_id"], "edit_history_tweet_ids": [tid],
                                 "referenced_tweets": [{"type": "replied_to", "id": reply_to["id"]}]}  # fmt: skip
        self.replies.append(tweet)
        for own in self.tweets:
            if own["id"] == reply_to["id"]:
                own["public_metrics"]["reply_count"] += 1
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

    def _private_refused(self, tweet: dict[str, Any]) -> dict[str, Any]:
        return {"value": tweet["id"], "detail": "Sorry, you are not authorized to access 'non_public_metrics' on a Tweet.",
                "title": "Field Authorization Error", "resource_type": "tweet", "parameter": "tweet.fields",
                "field": "non_public_metrics", "resource_id": tweet["id"], "section": "data",
                "type": "https://api.twitter.com/2/problems/not-authorized-for-field"}  # fmt: skip

    def _visible(
        self, page: list[dict[str, Any]], fields: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The page as served: others' tweets lose private metrics (partial errors), own tweets
        older than 30 days vanish when private metrics are asked for."""
        if "non_public_metrics" not in fields.split(","):
            return page, []
        cutoff = iso(self.now - timedelta(days=30))
        kept = [t for t in page if t["author_id"] != self.user["id"] or t["created_at"] >= cutoff]
        errors = [self._private_refused(t) for t in kept if t["author_id"] != self.user["id"]]
        return kept, errors

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
        if end := request.arg("end_time"):
            items = [t for t in items if t["created_at"] < end.replace("Z", ".000Z")]
        if request.arg("exclude") == "retweets":
            items = [
                t for t in items if not any(r["type"] == "retweeted" for r in t.get("referenced_tweets", []))
            ]
        offset = int((request.arg("pagination_token") or "p0")[1:])
        size = min(int(request.arg("max_results") or 10), self.page_size)
        fields = request.arg("tweet.fields") or ""
        page, errors = self._visible(items[offset : offset + size], fields)
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + size < len(items):
            meta["next_token"] = f"p{offset + size}"
        doc: dict[str, Any] = {"meta": meta}
        if page:
            doc["data"] = [self._shape(t, fields) for t in page]
            if errors:
                doc["errors"] = errors
                for tweet in doc["data"]:
                    tweet.pop("non_public_metrics", None)
            if request.arg("expansions") == "author_id":
                ids = {t["author_id"] for t in page}
                doc["includes"] = {"users": [u for u in [*self.fans, self.user] if u["id"] in ids]}
        return json_answer(doc)

    def search(self, request: Request, kind: str) -> Answer:
        if kind == "all" and not self.full_archive:
            return json_answer({"client_id": "123", "required_enrollment": "Appropriate Level of API Access",
                                "registration_url": "https://developer.x.com/en/portal/product",
                                "title": "Client Forbidden", "reason": "client-not-enrolled", "status": 403,
                                "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.",
                                "type": "https://api.twitter.com/2/problems/client-forbidden"}, 403)  # fmt: skip
        if "non_public_metrics" in (request.arg("tweet.fields") or ""):
            return json_answer({"title": "Invalid Request", "status": 400, "detail": "non_public_metrics on search",
                                "type": "https://api.twitter.com/2/problems/invalid-request"}, 400)  # fmt: skip
        wanted = set(re.findall(r"conversation_id:(\d+)", request.arg("query") or ""))
        start = (request.arg("start_time") or "").replace("Z", ".000Z")
        if kind == "recent" and start < iso(self.now - timedelta(days=7)):
            return json_answer({"errors": [{"parameters": {"start_time": [request.arg("start_time")]},
                                            "message": "Invalid 'start_time':'...'. 'start_time' must be on or after ..."}],
                                "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                                "type": "https://api.twitter.com/2/problems/invalid-request"}, 400)  # fmt: skip
        items = sorted((t for t in [*self.tweets, *self.mentions, *self.replies]
                        if t["conversation_id"] in wanted and t["created_at"] >= start),
                       key=lambda t: int(t["id"]), reverse=True)  # fmt: skip
        offset = int((request.arg("next_token") or "s0")[1:])
        size = min(int(request.arg("max_results") or 10), self.page_size)
        page = items[offset : offset + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if offset + size < len(items):
            meta["next_token"] = f"s{offset + size}"
        doc: dict[str, Any] = {"meta": meta}
        if page:
            doc["data"] = [self._shape(t, request.arg("tweet.fields") or "") for t in page]
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
    """``/api/v1/accounts/lookup``, ``/accounts/:id/statuses``, ``/statuses/:id/context``, ``/notifications``.

    As documented: ``min_id`` pages forward (the statuses just after it), ``max_id`` backward
    (https://docs.joinmastodon.org/api/guidelines/#pagination); without a token ``/context``
    returns at most 60 descendants and 20 levels, 4 096 and 4 096 with one
    (https://docs.joinmastodon.org/methods/statuses/#context, version history 4.0.0);
    notifications need a token with ``read:notifications``.
    """

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
        descendants = self.replies.get(status_id, [])
        if "authorization" not in request.headers:
            descendants = descendants[:60]  # (depth is capped at 20 too; the fake's threads are shallower)
        return json_answer({"ancestors": [], "descendants": descendants})

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


class FakeOAuth(FakeApi):
    """An OAuth 2.0 token endpoint (RFC 6749 section 6, ``refresh_token`` grant) answering as Google's does."""

    def __init__(self, access_token: str = "ya29.youtube-token", expires_in: int = 3599) -> None:
        super().__init__(token=None)
        self.refresh_token = "1//0g-refresh-secret-abc"
        self.client_id = "123-app.apps.googleusercontent.com"
        self.client_secret = "GOCSPX-client-secret-xyz"
        self.access_token = access_token
        self.expires_in = expires_in
        self.issued = 0
        self.route("/token", self.exchange)

    def credential(self) -> dict[str, str]:
        return {
            "refresh_token": self.refresh_token,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def exchange(self, request: Request) -> Answer:
        def field_(name: str) -> str | None:
            return request.form.get(name, [None])[0]

        if request.method != "POST" or request.query:
            return json_answer({"error": "invalid_request", "error_description": "POST a form body"}, 400)
        if field_("grant_type") != "refresh_token":
            return json_answer({"error": "unsupported_grant_type"}, 400)
        if (field_("client_id"), field_("client_secret")) != (self.client_id, self.client_secret):
            return json_answer(
                {"error": "invalid_client", "error_description": "The OAuth client was not found."}, 401
            )
        if field_("refresh_token") != self.refresh_token:
            return json_answer(
                {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, 400
            )
        self.issued += 1
        return json_answer({"access_token": self.access_token, "expires_in": self.expires_in, "token_type": "Bearer",
                            "scope": "https://www.googleapis.com/auth/youtube.readonly"})  # fmt: skip


def make_source(store: Any, tokens: Any, base_urls: dict[str, str], *, clock: FakeClock | None = None,
                now: datetime = NOW, **kwargs: Any) -> Any:  # fmt: skip
    """A PlatformSource against fakes: no real sleeping, a fixed 'now', wall clock at NOW.

    ``tokens``: a token document, or a TokenProvider (one that keeps rotated refresh tokens)."""
    from pulse.connectors import HttpClient, PlatformSource, RetryPolicy, StaticTokens, TokenProvider

    clock = clock or FakeClock()
    http = HttpClient(timeout=5, retry=RetryPolicy(jitter=lambda: 1.0), sleep=clock.sleep, clock=clock,
                      wall_clock=lambda: now.timestamp())  # fmt: skip
    provider = tokens if isinstance(tokens, TokenProvider) else StaticTokens(tokens)
    return PlatformSource(store, provider, base_urls=base_urls, http=http, clock=clock,
                          now=lambda: now, environ={}, **kwargs)  # fmt: skip


def archived(store: Any, prefix: str) -> list[dict[str, Any]]:
    from pulse.connectors.archive import read_archived

    return [read_archived(store, o.key) | {"key": o.key} for o in store.list(prefix)]


# ================================================================= Meta Graph API (Facebook Pages, Instagram)


def meta_error(
    code: int, message: str = "(#4) Application request limit reached", subcode: int | None = None
) -> str:
    """A Graph API error body (https://developers.facebook.com/docs/graph-api/guides/error-handling/):
    throttling comes as codes 4, 17, 32, 613 or 80001-80014 with HTTP 400/403, not as a 429
    (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/)."""
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "is_transient": True, "code": code,
                             "fbtrace_id": "AbCdEfGh123"}  # fmt: skip
    if subcode is not None:
        error["error_subcode"] = subcode
    return json.dumps({"error": error})


class FakeGraph(FakeApi):
    """``/{page}``, ``/{page}/published_posts``, ``/{ig}``, ``/{ig}/media``, insights, comments, replies.

    As documented: ``paging.next`` links carry ``access_token``
    (https://developers.facebook.com/docs/graph-api/results); every answer carries the usage headers
    ``X-App-Usage`` and ``X-Business-Use-Case-Usage`` (``usage``: percent, ``regain_minutes``;
    https://developers.facebook.com/docs/graph-api/overview/rate-limiting/); media insights are
    empty (``{"data": []}``) for media younger than ``insights_delay`` (up to 48 h,
    https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights);
    a comment's ``replies`` field expansion holds one page with ``paging.next``, the rest come from
    ``/{ig-comment-id}/replies`` (https://developers.facebook.com/docs/instagram-platform/reference/instagram-comment/replies).
    """

    def __init__(self, token: str = "EAAB-page-token-456", page_size: int = 2) -> None:
        super().__init__(token=token)
        self.page_size = page_size
        self.page_id, self.ig_id = "104000000000001", "17841400000000001"
        self.refuse_post_insights = False
        self.posts = [self.fb_post(i, NOW - timedelta(days=4 - i, hours=3)) for i in range(4)]
        self.comments = {self.posts[-1]["id"]: [
            {"id": f"{self.posts[-1]['id']}_901", "message": "Livrez-vous à Lyon ?", "created_time": self.t(NOW - timedelta(hours=2)),
             "from": {"id": "5550001", "name": "Camille R."}},
            {"id": f"{self.posts[-1]['id']}_902", "message": "Oui, partout en France !", "created_time": self.t(NOW - timedelta(hours=1)),
             "from": {"id": self.page_id, "name": "Maison Lumière"}, "parent": {"id": f"{self.posts[-1]['id']}_901"}},
            {"id": f"{self.posts[-1]['id']}_903", "message": "Top", "created_time": self.t(NOW - timedelta(minutes=30))},
        ]}  # fmt: skip
        self.media = [self.ig_media(i, NOW - timedelta(days=3 - i)) for i in range(3)]
        self.ig_comments = {self.media[-1]["id"]: [
            {"id": "18000000000000001", "text": "Magnifique 😍", "timestamp": self.t(NOW - timedelta(hours=3)), "username": "lea.b",
             "from": {"id": "1789001", "username": "lea.b"},
             "replies": {"data": [{"id": "18000000000000002", "text": "Merci Léa !", "timestamp": self.t(NOW - timedelta(hours=2)),
                                   "username": "maison.lumiere", "from": {"id": self.ig_id, "username": "maison.lumiere"}}]}},
        ]}  # fmt: skip
        self.route(r"/v24\.0/(\d+)", self.node)
        self.route(r"/v24\.0/(\d+)/published_posts", self.published_posts)
        self.route(r"/v24\.0/(\d+)/media", self.media_edge)
        self.route(r"/v24\.0/(\d+)/insights", self.insights)
        self.route(r"/v24\.0/([\d_]+)/comments", self.comments_edge)
        self.route(r"/v24\.0/(\d+)/replies", self.replies_edge)
        self.usage = {"call_count": 2, "total_cputime": 1, "total_time": 1}
        self.regain_minutes = 0
        self.insights_delay = timedelta(hours=12)
        # Page metrics per day (period=day): computed once a day, so today has no value yet
        # (https://developers.facebook.com/docs/graph-api/reference/insights, "Limitations").
        today = NOW.date()
        self.page_days = {today - timedelta(days=n): {
            "page_media_view": 5000 + n, "page_total_media_view_unique": 3000 + n,
            "page_daily_follows_unique": 20 + n, "page_daily_unfollows_unique": n % 3,
            "page_follows": 42107 - 10 * n} for n in range(1, 60)}  # fmt: skip
        self.refused_page_metrics: set[str] = set()
        # Instagram account totals per day; none for the last 2 days (data delayed up to 48 h,
        # https://developers.facebook.com/docs/instagram-platform/api-reference/instagram-user/insights).
        self.ig_days = {today - timedelta(days=n): {"reach": 900 + n, "views": 4000 + n, "profile_views": 60 + n,
                                                    "FOLLOWER": 15 + n, "NON_FOLLOWER": 4}
                        for n in range(2, 60)}  # fmt: skip
        self.ig_follows_refused = False

    def insights(self, request: Request, object_id: str) -> Answer:
        if object_id == self.page_id:
            return self.page_insights(request)
        if object_id == self.ig_id:
            return self.user_insights(request)
        return self.media_insights(request, object_id)

    @staticmethod
    def invalid_metric(message: str = "(#100) The value must be a valid insights metric") -> Answer:
        return json_answer({"error": {"message": message, "type": "OAuthException", "code": 100,
                                      "fbtrace_id": "A2"}}, 400)  # fmt: skip

    def page_insights(self, request: Request) -> Answer:
        """``/{page-id}/insights?metric=..&period=day&since&until``: one value per day, dated by its
        ``end_time`` (the first one is ``since`` plus one day), at most 90 days a call; an unknown or
        deprecated metric fails the whole call with code 100
        (https://developers.facebook.com/docs/graph-api/reference/insights)."""
        metrics = (request.arg("metric") or "").split(",")
        if any(
            m in self.refused_page_metrics or m not in next(iter(self.page_days.values())) for m in metrics
        ):
            return self.invalid_metric()
        since = datetime.fromtimestamp(int(request.arg("since") or 0), UTC).date()
        until = datetime.fromtimestamp(int(request.arg("until") or 0), UTC).date()
        if request.arg("period") != "day" or (until - since).days > 90:
            return self.invalid_metric("(#100) There cannot be more than 90 days between since and until")
        days = [since + timedelta(days=n) for n in range((until - since).days)]
        data = [{"name": m, "period": "day", "title": m, "description": m, "id": f"{self.page_id}/insights/{m}/day",
                 "values": [{"value": self.page_days[d][m], "end_time": f"{d + timedelta(days=1)}T08:00:00+0000"}
                            for d in days if d in self.page_days]} for m in metrics]  # fmt: skip
        return json_answer(
            {"data": data, "paging": {"previous": f"{self.url}/prev", "next": f"{self.url}/next"}}
        )

    def user_insights(self, request: Request) -> Answer:
        """``/{ig-user-id}/insights``: ``views`` and ``profile_views`` only as ``metric_type=total_value``;
        ``follows_and_unfollows`` as a total with ``breakdown=follow_type`` (FOLLOWER / NON_FOLLOWER);
        ``since``/``until`` at most 30 days apart; an empty data set when the day is not computed yet
        (https://developers.facebook.com/docs/instagram-platform/api-reference/instagram-user/insights)."""
        metrics = (request.arg("metric") or "").split(",")
        since = datetime.fromtimestamp(int(request.arg("since") or 0), UTC)
        until = datetime.fromtimestamp(int(request.arg("until") or 0), UTC)
        if until - since > timedelta(days=30):
            return self.invalid_metric("(#100) The since and until range cannot exceed 30 days")
        if request.arg("metric_type") != "total_value" and ({"views", "profile_views"} & set(metrics)):
            return self.invalid_metric("(#100) metric_type=total_value must be specified for views")
        if "follows_and_unfollows" in metrics and self.ig_follows_refused:
            return self.invalid_metric("(#100) Not enough followers to show follows_and_unfollows")
        values = self.ig_days.get(since.date())
        if values is None:
            return json_answer({"data": []})
        data = []
        for m in metrics:
            if m == "follows_and_unfollows":
                results = [
                    {"dimension_values": [k], "value": values[k]} for k in ("FOLLOWER", "NON_FOLLOWER")
                ]
                total = {"value": values["FOLLOWER"] + values["NON_FOLLOWER"],
                         "breakdowns": [{"dimension_keys": ["follow_type"], "results": results}]}  # fmt: skip
            else:
                total = {"value": values[m]}
            data.append({"name": m, "period": "day", "title": m, "total_value": total,
                         "id": f"{self.ig_id}/insights/{m}/day"})  # fmt: skip
        return json_answer({"data": data})

    def answer(self, request: Request) -> Answer:
        status, headers, body = super().answer(request)
        usage = json.dumps(self.usage)
        buc = {self.page_id: [{"type": "pages", **self.usage, "estimated_time_to_regain_access": self.regain_minutes}],
               self.ig_id: [{"type": "instagram", **self.usage, "estimated_time_to_regain_access": self.regain_minutes}]}  # fmt: skip
        return status, {"X-App-Usage": usage, "X-Business-Use-Case-Usage": json.dumps(buc), **headers}, body

    def authorized(self, request: Request) -> bool:
        return (
            request.headers.get("authorization") == f"Bearer {self.token}"
            or request.arg("access_token") == self.token
        )

    @staticmethod
    def t(at: datetime) -> str:
        return at.strftime("%Y-%m-%dT%H:%M:%S+0000")

    def fb_post(self, i: int, at: datetime) -> dict[str, Any]:
        pid = f"{self.page_id}_{1220 + i}"
        return {"id": pid, "created_time": self.t(at), "message": f"Post Facebook {i}", "permalink_url": f"https://www.facebook.com/{pid}",
                "shares": {"count": i}, "comments": {"data": [], "summary": {"order": "ranked", "total_count": 3 if i == 3 else 0, "can_comment": True}},
                "reactions": {"data": [], "summary": {"total_count": 40 + i, "viewer_reaction": "NONE"}},
                "_insights": {"post_media_view": 2000 + i, "post_total_media_view_unique": 1500 + i, "post_clicks": 30 + i}}  # fmt: skip

    def ig_media(self, i: int, at: datetime) -> dict[str, Any]:
        return {"id": f"1790000000000000{i}", "caption": f"Instagram {i} #lumiere", "timestamp": self.t(at), "media_type": "IMAGE",
                "media_product_type": "FEED", "like_count": 100 + i, "comments_count": 1 if i == 2 else 0,
                "permalink": f"https://www.instagram.com/p/abc{i}/",
                "_insights": {"views": 3000 + i, "reach": 2100 + i, "likes": 100 + i, "comments": 1 if i == 2 else 0, "shares": 5, "saved": 9}}  # fmt: skip

    def page_of(self, request: Request, items: list[dict[str, Any]], path: str) -> dict[str, Any]:
        offset = int(request.arg("after") or 0)
        page = items[offset : offset + self.page_size]
        doc: dict[str, Any] = {
            "data": page,
            "paging": {"cursors": {"before": str(offset), "after": str(offset + len(page))}},
        }
        if offset + self.page_size < len(items):
            query = {k: v[0] for k, v in request.query.items() if k != "after"}
            query.update(after=str(offset + self.page_size), access_token=self.token)
            from urllib.parse import urlencode

            doc["paging"]["next"] = f"{self.url}{path}?{urlencode(query)}"
        return doc

    def node(self, request: Request, node_id: str) -> Answer:
        if node_id == self.page_id:
            return json_answer({"id": self.page_id, "name": "Maison Lumière", "followers_count": 42107})
        if node_id == self.ig_id:
            return json_answer({"id": self.ig_id, "username": "maison.lumiere", "followers_count": 31245})
        return json_answer(
            {"error": {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100}},
            400,
        )

    def published_posts(self, request: Request, page_id: str) -> Answer:
        fields = request.arg("fields") or ""
        if "insights" in fields and self.refuse_post_insights:
            return json_answer({"error": {"message": "(#100) The value must be a valid insights metric", "type": "OAuthException",
                                          "code": 100, "fbtrace_id": "A1"}}, 400)  # fmt: skip
        since = int(request.arg("since") or 0)
        items = [p for p in sorted(self.posts, key=lambda p: p["created_time"], reverse=True)
                 if datetime.strptime(p["created_time"], "%Y-%m-%dT%H:%M:%S%z").timestamp() >= since]  # fmt: skip
        shaped = []
        for post in items:
            out = {k: v for k, v in post.items() if not k.startswith("_")}
            if "insights" in fields:
                out["insights"] = {"data": [{"name": k, "period": "lifetime", "values": [{"value": v}], "title": k,
                                             "id": f"{post['id']}/insights/{k}/lifetime"} for k, v in post["_insights"].items()]}  # fmt: skip
            shaped.append(out)
        return json_answer(self.page_of(request, shaped, request.path))

    def media_edge(self, request: Request, ig_id: str) -> Answer:
        items = [
            {k: v for k, v in m.items() if not k.startswith("_")}
            for m in sorted(self.media, key=lambda m: m["timestamp"], reverse=True)
        ]
        return json_answer(self.page_of(request, items, request.path))

    def media_insights(self, request: Request, media_id: str) -> Answer:
        media = next((m for m in self.media if m["id"] == media_id), None)
        if media is None:
            return json_answer({"error": {"message": "Unsupported get request.", "code": 100}}, 400)
        wanted = (request.arg("metric") or "").split(",")
        if media.get("media_product_type") != "REELS" and any(w.startswith("ig_reels_") for w in wanted):
            # Reels metrics on other media: "(#100) ... metric not supported" (media insights reference)
            return self.invalid_metric(
                "(#100) The Media Insights API does not support this metric for this media"
            )
        try:
            fresh = datetime.strptime(media["timestamp"], "%Y-%m-%dT%H:%M:%S%z") > NOW - self.insights_delay
        except ValueError:
            fresh = False
        if fresh:
            return json_answer({"data": []})  # not computed yet
        return json_answer({"data": [{"name": k, "period": "lifetime", "values": [{"value": v}], "title": k,
                                      "id": f"{media_id}/insights/{k}/lifetime"} for k, v in media["_insights"].items() if k in wanted]})  # fmt: skip

    def comments_edge(self, request: Request, object_id: str) -> Answer:
        items = self.comments.get(object_id) or self.ig_comments.get(object_id)
        if object_id in self.ig_comments:  # the replies expansion: its first page only
            items = []
            for comment in self.ig_comments[object_id]:
                replies = comment.get("replies", {}).get("data", [])
                first = self.page_of(
                    Request(f"/v24.0/{comment['id']}/replies", {}, {}),
                    replies,
                    f"/v24.0/{comment['id']}/replies",
                )
                items.append({**comment, "replies": first} if replies else comment)  # fmt: skip
        return json_answer(self.page_of(request, items or [], request.path))

    def replies_edge(self, request: Request, comment_id: str) -> Answer:
        for comments in self.ig_comments.values():
            for comment in comments:
                if comment["id"] == comment_id:
                    return json_answer(
                        self.page_of(request, comment.get("replies", {}).get("data", []), request.path)
                    )
        return json_answer(
            {"error": {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100}},
            400,
        )


# ================================================================= LinkedIn


class FakeLinkedIn(FakeApi):
    """``/rest/networkSizes``, ``/rest/posts``, ``/rest/organizationalEntityShareStatistics``, ``/rest/socialActions``.

    As documented: a request without ``LinkedIn-Version`` or ``X-Restli-Protocol-Version: 2.0.0`` is a
    426 ``NONEXISTENT_VERSION`` (https://learn.microsoft.com/en-us/linkedin/marketing/versioning);
    posts by author, newest first, ``start``/``count`` paging
    (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api);
    lifetime ``totalShareStatistics`` per share/ugcPost
    (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/share-statistics);
    a post's comments are first-level only, replies under the comment's URN (see ``social_comments``);
    the organisation's social action notifications (see ``notifications_finder``).
    """

    ORG = "urn:li:organization:7734"

    def __init__(self, token: str = "li-token-789xyz", page_size: int = 50) -> None:
        super().__init__(token=token)
        self.posts = [{"id": f"urn:li:share:70000000000000000{i}" if i % 2 else f"urn:li:ugcPost:70000000000000000{i}",
                       "author": self.ORG, "commentary": f"LinkedIn post {i}", "visibility": "PUBLIC", "lifecycleState": "PUBLISHED",
                       "createdAt": int((NOW - timedelta(days=3 - i)).timestamp() * 1000),
                       "publishedAt": int((NOW - timedelta(days=3 - i)).timestamp() * 1000)} for i in range(3)]  # fmt: skip
        post = self.posts[-1]["id"]
        self.comments = {post: [
            {"id": "7100000000000000001", "commentUrn": f"urn:li:comment:({post},7100000000000000001)", "actor": "urn:li:person:abc123",
             "message": {"text": "Great news!"}, "created": {"time": int((NOW - timedelta(hours=5)).timestamp() * 1000), "actor": "urn:li:person:abc123"}, "object": post},
            {"id": "7100000000000000002", "commentUrn": f"urn:li:comment:({post},7100000000000000002)", "actor": self.ORG,
             "message": {"text": "Thank you!"}, "created": {"time": int((NOW - timedelta(hours=4)).timestamp() * 1000), "actor": self.ORG},
             "parentComment": f"urn:li:comment:({post},7100000000000000001)", "object": post},
        ]}  # fmt: skip
        self.route(r"/rest/networkSizes/(.+)", self.network_size)
        self.route(r"/rest/posts", self.posts_finder)
        self.route(r"/rest/organizationalEntityShareStatistics", self.statistics)
        self.route(r"/rest/socialActions/(.+)/comments", self.social_comments)
        self.route(r"/rest/organizationalEntityFollowerStatistics", self.follower_statistics)
        # daily gains (organic, paid); today is not computed yet
        self.gains = {NOW.date() - timedelta(days=n): (10 + n, n % 2) for n in range(1, 40)}
        #: The clock the notifications' 60-day retention is measured against.
        self.now = NOW
        #: Whether the token's member is an ADMINISTRATOR of the page (``rw_organization_admin``).
        self.admin = True
        #: Posts of other members mentioning the organisation (SHARE_MENTION notifications).
        self.mentions: list[dict[str, Any]] = []
        #: A smaller page than asked for (None: as asked); the connector follows ``paging.total``.
        self.notification_page: int | None = None
        self.route(r"/rest/organizationalEntityNotifications", self.notifications_finder)

    def follower_statistics(self, request: Request) -> Answer:
        """Time-bound follower statistics: ``timeIntervals=(timeRange:(start:ms,end:ms),timeGranularityType:DAY)``
        gives one element per day with ``followerGains`` ``organicFollowerGain`` / ``paidFollowerGain``
        (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/follower-statistics)."""
        import re as _re

        if (
            request.arg("q") != "organizationalEntity"
            or unquote(request.arg("organizationalEntity") or "") != self.ORG
        ):
            return json_answer({"status": 400, "message": "Invalid query"}, 400)
        match = _re.fullmatch(r"\(timeRange:\(start:(\d+),end:(\d+)\),timeGranularityType:DAY\)",
                              request.arg("timeIntervals") or "")  # fmt: skip
        if not match:
            return json_answer({"status": 400, "message": "Invalid timeIntervals"}, 400)
        start, end = (datetime.fromtimestamp(int(v) / 1000, UTC) for v in match.groups())
        elements = []
        for day, (organic, paid) in sorted(self.gains.items()):
            at = datetime(day.year, day.month, day.day, tzinfo=UTC)
            if start <= at < end:
                ms = int(at.timestamp() * 1000)
                elements.append({"timeRange": {"start": ms, "end": ms + 86_400_000}, "organizationalEntity": self.ORG,
                                 "followerGains": {"organicFollowerGain": organic, "paidFollowerGain": paid}})  # fmt: skip
        return json_answer({"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})

    def answer(self, request: Request) -> Answer:
        if (
            request.headers.get("linkedin-version") is None
            or request.headers.get("x-restli-protocol-version") != "2.0.0"
        ):
            return json_answer(
                {"status": 426, "code": "NONEXISTENT_VERSION", "message": "Requested version is not active"},
                426,
            )
        return super().answer(request)

    def network_size(self, request: Request, urn: str) -> Answer:
        return json_answer({"firstDegreeSize": 9120})

    def posts_finder(self, request: Request) -> Answer:
        start, size = int(request.arg("start") or 0), int(request.arg("count") or 10)
        items = sorted(self.posts, key=lambda p: p["createdAt"], reverse=True)
        return json_answer(
            {"paging": {"start": start, "count": size, "links": []}, "elements": items[start : start + size]}
        )

    def statistics(self, request: Request) -> Answer:
        import re as _re

        raw = " ".join(request.query.get("shares", []) + request.query.get("ugcPosts", []))
        urns = _re.findall(r"urn:li:(?:share|ugcPost):\d+", raw)
        elements = []
        order = [p["id"] for p in self.posts]
        for urn in urns:
            n = order.index(urn)
            key = "share" if ":share:" in urn else "ugcPost"
            elements.append({key: urn, "organizationalEntity": self.ORG, "totalShareStatistics": {
                "uniqueImpressionsCount": 800 + n, "shareCount": 4, "engagement": 0.05, "clickCount": 25, "likeCount": 60,
                "impressionCount": 1200 + n, "commentCount": 2 if urn == self.posts[-1]["id"] else 0}})  # fmt: skip
        return json_answer({"paging": {"count": 10, "start": 0, "links": []}, "elements": elements})

    def social_comments(self, request: Request, urn: str) -> Answer:
        """First-level comments of a post; the replies of a comment under the comment's own URN
        (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api,
        "Retrieve Comments on Comments"), each with its ``commentsSummary``."""
        target = unquote(urn)
        every = [c for comments in self.comments.values() for c in comments]
        if target.startswith("urn:li:comment:"):
            items = [c for c in every if c.get("parentComment") == target]
        else:
            items = [c for c in self.comments.get(target, []) if not c.get("parentComment")]

        def summary(comment: dict[str, Any]) -> dict[str, Any]:
            below = [c for c in every if c.get("parentComment") == comment["commentUrn"]]
            return {**comment, "commentsSummary": {"selectedComments": [c["commentUrn"] for c in below[:1]],
                                                   "totalFirstLevelComments": len(below),
                                                   "aggregatedTotalComments": len(below)}}  # fmt: skip

        start, count = int(request.arg("start") or 0), int(request.arg("count") or 10)
        page = [summary(c) for c in items[start : start + count]]
        return json_answer(
            {"paging": {"start": start, "count": count, "total": len(items)}, "elements": page}
        )

    def notifications(self) -> list[dict[str, Any]]:
        """Every notification LinkedIn would hold: a ``COMMENT`` for each comment of a member on a
        post of the organisation (the organisation's own answers notify nobody), a ``SHARE_MENTION``
        for each mention; newest first. Shapes from the page's notification examples: ``sourcePost``
        is the post's activity, ``decoratedSourcePost.entity`` the post itself,
        ``decoratedGeneratedActivity.comment``/``.share`` the new activity, ``lastModifiedAt`` in ms
        (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-social-action-notifications)."""
        by_id = {p["id"]: p for p in self.posts}
        out: list[dict[str, Any]] = []
        for post, comments in self.comments.items():
            activity = "urn:li:activity:" + post.rsplit(":", 1)[-1]
            for c in comments:
                if c["actor"] == self.ORG or not isinstance((c.get("created") or {}).get("time"), int):
                    continue  # the organisation's own answers notify nobody; a broken test record neither
                out.append({"notificationId": 5600000000 + len(out), "organizationalEntity": self.ORG, "action": "COMMENT",
                            "sourcePost": activity, "lastModifiedAt": c["created"]["time"],
                            "decoratedSourcePost": {"entity": post, "owner": self.ORG, "mediaCategory": "NONE",
                                                    "text": (by_id.get(post) or {}).get("commentary", "")},
                            "generatedActivity": c["commentUrn"],
                            "decoratedGeneratedActivity": {"comment": {"entity": c["commentUrn"], "owner": c["actor"],
                                                                       "text": c["message"]["text"], "object": activity}}})  # fmt: skip
        for m in self.mentions:
            out.append({"notificationId": 5700000000 + len(out), "organizationalEntity": self.ORG, "action": "SHARE_MENTION",
                        "sourcePost": m["id"], "lastModifiedAt": m["createdAt"], "generatedActivity": m["id"],
                        "decoratedGeneratedActivity": {"share": {"entity": m["id"], "owner": m["author"],
                                                                 "text": m["commentary"]}}})  # fmt: skip
        return sorted(out, key=lambda n: n["lastModifiedAt"], reverse=True)

    def notifications_finder(self, request: Request) -> Answer:
        """``GET /rest/organizationalEntityNotifications?q=criteria``: the ``organizationalEntity``'s
        notifications of the listed ``actions`` inside ``timeRange=(start:ms,end:ms)``, with
        ``start``/``count`` paging and ``paging.total``; notifications are "retained and available to
        pull for 60 days", so older ones never come back; ``rw_organization_admin`` is restricted to
        members with the ADMINISTRATOR role, others get a 403
        (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-social-action-notifications,
        "Permissions" and "Retrieve Notifications"; error body as in
        https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling)."""
        import re as _re

        if not self.admin:
            return json_answer({"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
                                "message": "Not enough permissions to access: organizationalEntityNotifications.FINDER-criteria"},
                               403)  # fmt: skip
        if request.arg("q") != "criteria" or request.arg("organizationalEntity") != self.ORG:
            return json_answer({"status": 400, "code": "ILLEGAL_ARGUMENT", "message": "Invalid finder"}, 400)
        actions = set(_re.findall(r"[A-Z_]+", (request.arg("actions") or "").removeprefix("List")))
        span = _re.fullmatch(r"\(start:(\d+),end:(\d+)\)", request.arg("timeRange") or "")
        low, high = (int(span[1]), int(span[2])) if span else (0, 2**63)
        retained = int((self.now - timedelta(days=60)).timestamp() * 1000)
        items = [n for n in self.notifications() if n["action"] in actions
                 and max(low, retained) <= n["lastModifiedAt"] <= high]  # fmt: skip
        start, count = int(request.arg("start") or 0), int(request.arg("count") or 10)
        count = min(count, self.notification_page or count)
        return json_answer(
            {"paging": {"start": start, "count": count, "total": len(items), "links": []},
             "elements": items[start : start + count]}
        )  # fmt: skip


# ================================================================= YouTube


class FakeYouTube(FakeApi):
    """Data API v3 (``channels``, ``playlistItems``, ``videos``, ``commentThreads``, ``comments``) and
    Analytics v2 ``reports``.

    As documented: ``subscriberCount`` is rounded to 3 significant figures
    (https://developers.google.com/youtube/v3/docs/channels#statistics.subscriberCount); a thread
    carries some of its replies, ``comments?parentId=`` all of them
    (https://developers.google.com/youtube/v3/docs/commentThreads); a video report needs ``sort`` and
    at most 200 rows (https://developers.google.com/youtube/analytics/channel_reports#top-videos-reports);
    errors are ``{"error": {"code", "message", "errors": [{"domain", "reason"}]}}``, e.g. 403
    ``quotaExceeded`` (https://developers.google.com/youtube/v3/docs/errors).
    """

    CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"

    def __init__(self, token: str = "ya29.youtube-token", page_size: int = 2) -> None:
        super().__init__(token=token)
        self.page_size = page_size
        self.videos = [{"id": f"vid{i}abcdEF", "publishedAt": iso(NOW - timedelta(days=4 - i)), "title": f"Vidéo {i}",
                        "viewCount": str(500 + i), "likeCount": str(40 + i), "commentCount": "2" if i == 3 else "0"} for i in range(4)]  # fmt: skip
        video = self.videos[-1]["id"]
        self.threads = [{"kind": "youtube#commentThread", "id": "Ugz1", "snippet": {"channelId": self.CHANNEL, "videoId": video,
                         "topLevelComment": {"kind": "youtube#comment", "id": "Ugz1", "snippet": {
                             "authorDisplayName": "@fan", "authorChannelId": {"value": "UCfan"}, "textOriginal": "Super vidéo",
                             "textDisplay": "Super vidéo", "videoId": video, "publishedAt": iso(NOW - timedelta(hours=6)),
                             "updatedAt": iso(NOW - timedelta(hours=6)), "likeCount": 1}},
                         "totalReplyCount": 1, "canReply": True, "isPublic": True},
                         "replies": {"comments": [{"kind": "youtube#comment", "id": "Ugz1.r1", "snippet": {
                             "authorDisplayName": "@brand", "authorChannelId": {"value": self.CHANNEL}, "textOriginal": "Merci !",
                             "videoId": video, "parentId": "Ugz1", "publishedAt": iso(NOW - timedelta(hours=5)),
                             "updatedAt": iso(NOW - timedelta(hours=5))}}]}}]  # fmt: skip
        self.analytics_status = 200
        #: The channel report needs the yt-analytics.readonly scope: without it, 403 (insufficientPermissions).
        self.analytics_scope = True
        # exact daily subscribers (gained, lost) and views; the last 2 days are not computed yet
        self.channel_days = {NOW.date() - timedelta(days=n): (7 + n, 2, 300 + n) for n in range(3, 60)}
        self.route(r"/youtube/v3/channels", self.channels)
        self.route(r"/youtube/v3/playlistItems", self.playlist_items)
        self.route(r"/youtube/v3/videos", self.videos_list)
        self.route(r"/youtube/v3/commentThreads", self.comment_threads)
        self.route(r"/youtube/v3/comments", self.comments)
        self.route(r"/v2/reports", self.reports)

    def channels(self, request: Request) -> Answer:
        return json_answer({"kind": "youtube#channelListResponse", "items": [{"id": self.CHANNEL, "contentDetails": {
            "relatedPlaylists": {"likes": "", "uploads": "UU" + self.CHANNEL[2:]}}, "statistics": {
            "viewCount": "123456", "subscriberCount": "12030", "hiddenSubscriberCount": False, "videoCount": "4"}}]})  # fmt: skip

    def playlist_items(self, request: Request) -> Answer:
        offset = int((request.arg("pageToken") or "T0")[1:])
        items = sorted(self.videos, key=lambda v: v["publishedAt"], reverse=True)
        page = items[offset : offset + self.page_size]
        doc: dict[str, Any] = {"items": [{"kind": "youtube#playlistItem", "id": f"pl{v['id']}", "contentDetails": {
            "videoId": v["id"], "videoPublishedAt": v["publishedAt"]}} for v in page],
            "pageInfo": {"totalResults": len(items), "resultsPerPage": self.page_size}}  # fmt: skip
        if offset + self.page_size < len(items):
            doc["nextPageToken"] = f"T{offset + self.page_size}"
        return json_answer(doc)

    def videos_list(self, request: Request) -> Answer:
        ids = (request.arg("id") or "").split(",")
        return json_answer({"items": [{"id": v["id"], "snippet": {"publishedAt": v["publishedAt"], "channelId": self.CHANNEL,
                                       "title": v["title"]}, "statistics": {"viewCount": v["viewCount"], "likeCount": v["likeCount"],
                                       "favoriteCount": "0", "commentCount": v["commentCount"]}} for v in self.videos if v["id"] in ids]})  # fmt: skip

    def add_reply(self, thread: dict[str, Any], at: datetime, author: str, text: str) -> dict[str, Any]:
        """A reply in a thread: the thread's ``updatedAt`` does not move (it is its top comment's)."""
        replies = thread.setdefault("replies", {"comments": []})["comments"]
        reply = {"kind": "youtube#comment", "id": f"{thread['id']}.r{len(replies) + 1}", "snippet": {
            "authorDisplayName": f"@{author}", "authorChannelId": {"value": f"UC{author}"}, "textOriginal": text,
            "videoId": thread["snippet"]["videoId"], "parentId": thread["id"], "publishedAt": iso(at), "updatedAt": iso(at)}}  # fmt: skip
        replies.append(reply)
        thread["snippet"]["totalReplyCount"] = len(replies)
        return reply

    def comment_threads(self, request: Request) -> Answer:
        """Threads of the channel (or of one video), newest top comment first; a thread carries at most
        5 of its replies, ``comments?parentId=`` has them all
        (https://developers.google.com/youtube/v3/docs/commentThreads#replies.comments[])."""
        items = sorted(
            self.threads,
            key=lambda t: t["snippet"]["topLevelComment"]["snippet"]["publishedAt"],
            reverse=True,
        )
        if video := request.arg("videoId"):
            items = [t for t in items if t["snippet"]["videoId"] == video]
        shaped = [
            {**t, "replies": {"comments": t["replies"]["comments"][:5]}} if "replies" in t else t
            for t in items
        ]
        return json_answer({"kind": "youtube#commentThreadListResponse", "items": shaped})

    def comments(self, request: Request) -> Answer:
        parent = request.arg("parentId")
        thread = next((t for t in self.threads if t["id"] == parent), None)
        offset = int((request.arg("pageToken") or "C0")[1:])
        replies = thread["replies"]["comments"] if thread and "replies" in thread else []
        doc: dict[str, Any] = {"kind": "youtube#commentListResponse", "items": replies[offset : offset + 20]}
        if offset + 20 < len(replies):
            doc["nextPageToken"] = f"C{offset + 20}"
        return json_answer(doc)

    def reports(self, request: Request) -> Answer:
        if self.analytics_status != 200:
            return json_answer(
                {"error": {"code": self.analytics_status, "message": "Forbidden"}}, self.analytics_status
            )
        if request.arg("dimensions") == "day":
            return self.day_report(request)
        if request.arg("dimensions") == "video" and (
            not request.arg("sort") or int(request.arg("maxResults") or 0) > 200
        ):
            # https://developers.google.com/youtube/analytics/channel_reports#top-videos-reports:
            # a video report needs a sort (descending metric) and maxResults <= 200
            message = (
                "The query is not supported. Check the documentation at https://developers.google.com/"
                "youtube/analytics/v2/available_reports for a list of supported queries."
            )
            return json_answer({"error": {"code": 400, "message": message, "errors": [
                {"message": message, "domain": "global", "reason": "badRequest"}]}}, 400)  # fmt: skip
        ids = (request.arg("filters") or "").removeprefix("video==").split(",")
        headers = [{"name": "video", "columnType": "DIMENSION", "dataType": "STRING"}] + [
            {"name": m, "columnType": "METRIC", "dataType": "INTEGER"}
            for m in (request.arg("metrics") or "").split(",")
        ]
        return json_answer({"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers,
                            "rows": [[i, 500, 40, 0, 6] for i in ids]})  # fmt: skip

    def day_report(self, request: Request) -> Answer:
        """A time-based channel report (``dimensions=day``, ``sort=day``): a ``columnHeaders`` list and
        one row per day that has data, in Pacific time, recent days absent
        (https://developers.google.com/youtube/analytics/channel_reports#time-based-reports); 403
        ``insufficientPermissions`` without the Analytics scope
        (https://developers.google.com/youtube/analytics/reference/reports/query#errors)."""
        if not self.analytics_scope:
            return json_answer({"error": {"code": 403, "message": "Request had insufficient authentication scopes.",
                                          "errors": [{"message": "Insufficient Permission", "domain": "global",
                                                      "reason": "insufficientPermissions"}]}}, 403)  # fmt: skip
        metrics = (request.arg("metrics") or "").split(",")
        first = datetime.strptime(request.arg("startDate") or "", "%Y-%m-%d").date()
        last = datetime.strptime(request.arg("endDate") or "", "%Y-%m-%d").date()
        known = {"subscribersGained": 0, "subscribersLost": 1, "views": 2}
        headers = [{"name": "day", "columnType": "DIMENSION", "dataType": "STRING"}] + [
            {"name": m, "columnType": "METRIC", "dataType": "INTEGER"} for m in metrics]  # fmt: skip
        rows = [[d.isoformat(), *(v[known[m]] for m in metrics)] for d, v in sorted(self.channel_days.items())
                if first <= d <= last]  # fmt: skip
        return json_answer({"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers, "rows": rows})


# ================================================================= Bluesky


class FakeBluesky(FakeApi):
    """AppView (``getProfile``, ``getAuthorFeed``, ``getPostThread``) and PDS (``createSession``,
    ``refreshSession``, ``listNotifications``).

    As documented: cursor paging, newest first (https://docs.bsky.app/docs/api/app-bsky-feed-get-author-feed);
    ``postView`` counts incl. ``quoteCount`` and ``bookmarkCount`` (lexicon ``app.bsky.feed.defs``);
    sessions: an access JWT for about 2 hours, a refresh JWT for 90 days, ``ExpiredToken`` once expired
    (https://docs.bsky.app/docs/api/com-atproto-server-create-session); ``createSession`` is limited to
    30 per 5 minutes and 300 a day, rate limits answer 429 with ``RateLimit-Reset`` in epoch seconds
    (https://docs.bsky.app/docs/advanced-guides/rate-limits).
    """

    DID = "did:plc:z72i7hdynmk6r22z27h6tvur"

    def __init__(self, page_size: int = 2) -> None:
        super().__init__(token=None)
        self.page_size = page_size
        self.handle = "cafeboreal.bsky.social"
        author = {"did": self.DID, "handle": self.handle, "displayName": "Café Boréal"}
        fan = {"did": "did:plc:fan0000000000000000000", "handle": "lea.bsky.social"}
        self.feed = [
            self.post(
                author, f"3kpost{i}", NOW - timedelta(days=3 - i), f"Bluesky {i}", replies=1 if i == 2 else 0
            )
            for i in range(3)
        ]
        root = self.feed[-1]["post"]["uri"]
        self.feed.append({"post": self.post(fan, "3krepost", NOW - timedelta(hours=1), "repost me")["post"],
                          "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "by": author}})  # fmt: skip
        fan_reply = self.post(fan, "3kreply1", NOW - timedelta(hours=4), "On adore !", parent=root)["post"]
        brand_reply = self.post(
            author, "3kreply2", NOW - timedelta(hours=3), "Merci 💙", parent=fan_reply["uri"], root=root
        )["post"]
        self.feed.append({"post": brand_reply})
        self.threads = {root: {"$type": "app.bsky.feed.defs#threadViewPost", "post": self.feed[2]["post"], "replies": [
            {"$type": "app.bsky.feed.defs#threadViewPost", "post": fan_reply, "replies": [
                {"$type": "app.bsky.feed.defs#threadViewPost", "post": brand_reply, "replies": []}]}]}}  # fmt: skip
        self.route(r"/xrpc/app\.bsky\.actor\.getProfile", self.profile)
        self.route(r"/xrpc/app\.bsky\.feed\.getAuthorFeed", self.author_feed)
        self.route(r"/xrpc/app\.bsky\.feed\.getPostThread", self.post_thread)
        # the PDS side: app-password sessions and the account's notifications
        self.app_password = "bsky-app-password-0123"
        self.now = NOW
        self.access_jwt, self.refresh_jwt = "", ""
        self.refreshes = 0
        other = {"did": "did:plc:other00000000000000000", "handle": "marc.bsky.social"}
        mention = self.post(
            other, "3kmention1", NOW - timedelta(hours=2), "@cafeboreal.bsky.social toujours pas de réponse ?"
        )
        quote = self.post(fan, "3kquote1", NOW - timedelta(hours=8), "Regardez ça")
        like_of = self.feed[0]["post"]
        self.notifications = [
            {**mention["post"], "reason": "mention", "isRead": False},
            {**fan_reply, "reason": "reply", "reasonSubject": root, "isRead": True},  # also in the thread
            {**quote["post"], "reason": "quote", "reasonSubject": like_of["uri"], "isRead": True},
            {"uri": "at://did:plc:fan/app.bsky.feed.like/3klike", "cid": "bafylike", "author": fan, "reason": "like",
             "reasonSubject": like_of["uri"], "record": {"$type": "app.bsky.feed.like", "createdAt": iso(NOW - timedelta(hours=9)),
             "subject": {"uri": like_of["uri"], "cid": "bafy0"}}, "isRead": True, "indexedAt": iso(NOW - timedelta(hours=9))},
            {**self.post(other, "3kold", NOW - timedelta(days=30), "@cafeboreal.bsky.social old")["post"], "reason": "mention", "isRead": True},
        ]  # fmt: skip
        self.sessions = 0
        self.route(r"/xrpc/com\.atproto\.server\.createSession", self.create_session)
        self.route(r"/xrpc/com\.atproto\.server\.refreshSession", self.refresh_session)
        self.route(r"/xrpc/app\.bsky\.notification\.listNotifications", self.list_notifications)

    def create_session(self, request: Request) -> Answer:
        doc = request.json() if request.method == "POST" else None
        if not isinstance(doc, dict) or doc.get("identifier") not in (self.handle, self.DID):
            return json_answer(
                {"error": "InvalidRequest", "message": "Input must have the property identifier"}, 400
            )
        if doc.get("password") != self.app_password:
            return json_answer(
                {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, 401
            )
        self.sessions += 1
        return self._issue()

    def _issue(self) -> Answer:
        """A session as the PDS issues it: an access JWT for 2 hours, a refresh JWT for 90 days
        (https://docs.bsky.app/docs/api/com-atproto-server-create-session)."""
        import base64

        def jwt(scope: str, lifetime: timedelta) -> str:
            claims = {"scope": scope, "sub": self.DID, "iat": int(self.now.timestamp()),
                      "exp": int((self.now + lifetime).timestamp()), "jti": f"{scope}-{self.sessions}-{self.refreshes}"}  # fmt: skip
            payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
            return f"eyJhbGciOiJFUzI1NksifQ.{payload}.c2lnbmF0dXJl"

        self.access_jwt = jwt("com.atproto.access", timedelta(hours=2))
        self.refresh_jwt = jwt("com.atproto.refresh", timedelta(days=90))
        return json_answer({"did": self.DID, "handle": self.handle, "accessJwt": self.access_jwt,
                            "refreshJwt": self.refresh_jwt, "active": True})  # fmt: skip

    def refresh_session(self, request: Request) -> Answer:
        if request.method != "POST" or request.headers.get("authorization") != f"Bearer {self.refresh_jwt}":
            return json_answer({"error": "ExpiredToken", "message": "Token has been revoked"}, 400)
        self.refreshes += 1
        return self._issue()

    def list_notifications(self, request: Request) -> Answer:
        if not self.access_jwt or request.headers.get("authorization") != f"Bearer {self.access_jwt}":
            return json_answer({"error": "AuthMissing", "message": "Authentication Required"}, 401)
        from pulse.connectors.base import jwt_expiry

        if jwt_expiry(self.access_jwt) <= self.now.timestamp():
            return json_answer({"error": "ExpiredToken", "message": "Token has expired"}, 400)
        reasons = request.query.get("reasons") or []
        items = sorted((n for n in self.notifications if not reasons or n["reason"] in reasons),
                       key=lambda n: n["indexedAt"], reverse=True)  # fmt: skip
        offset = int(request.arg("cursor") or 0)
        doc: dict[str, Any] = {"notifications": items[offset : offset + self.page_size]}
        if offset + self.page_size < len(items):
            doc["cursor"] = str(offset + self.page_size)
        return json_answer(doc)

    def post(self, author: dict[str, Any], rkey: str, at: datetime, text: str, *, replies: int = 0,
             parent: str | None = None, root: str | None = None) -> dict[str, Any]:  # fmt: skip
        uri = f"at://{author['did']}/app.bsky.feed.post/{rkey}"
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": iso(at),
            "langs": ["fr"],
        }
        if parent:
            record["reply"] = {
                "root": {"uri": root or parent, "cid": "bafy1"},
                "parent": {"uri": parent, "cid": "bafy2"},
            }
        return {"post": {"uri": uri, "cid": f"bafy{rkey}", "author": author, "record": record, "replyCount": replies,
                         "repostCount": 3, "likeCount": 21, "quoteCount": 1, "bookmarkCount": 2, "indexedAt": iso(at)}}  # fmt: skip

    def profile(self, request: Request) -> Answer:
        return json_answer(
            {
                "did": self.DID,
                "handle": self.handle,
                "followersCount": 4012,
                "followsCount": 150,
                "postsCount": 320,
            }
        )

    def author_feed(self, request: Request) -> Answer:
        items = sorted(self.feed, key=lambda f: f["post"]["indexedAt"], reverse=True)
        offset = int(request.arg("cursor") or 0)
        doc: dict[str, Any] = {"feed": items[offset : offset + self.page_size]}
        if offset + self.page_size < len(items):
            doc["cursor"] = str(offset + self.page_size)
        return json_answer(doc)

    def post_thread(self, request: Request) -> Answer:
        thread = self.threads.get(request.arg("uri") or "")
        if thread is None:
            return json_answer({"error": "NotFound", "message": "Post not found"}, 400)
        return json_answer({"thread": thread})


# ================================================================= TikTok (Display API v2)


class FakeTikTok(FakeApi):
    """``/v2/user/info/``, ``/v2/video/list/``, ``/v2/video/query/`` and ``/v2/oauth/token/``, as documented:

    * every answer is ``{"data": ..., "error": {"code", "message", "log_id"}}``, ``code`` ``"ok"`` on
      success; a bad token is a 401 ``access_token_invalid``, a missing scope a 401
      ``scope_not_authorized``, too many calls a 429 ``rate_limit_exceeded``
      (https://developers.tiktok.com/doc/tiktok-api-v2-error-handling);
    * the listing is a POST with ``fields`` in the query and ``{"max_count" <= 20, "cursor"}`` in the
      body, newest first; ``cursor`` is a time in ms; a page may hold fewer than ``max_count`` videos
      while ``has_more`` is true (https://developers.tiktok.com/doc/tiktok-api-v2-video-list);
    * ``/v2/video/query/`` takes up to 20 ids (https://developers.tiktok.com/doc/tiktok-api-v2-video-query);
    * a refresh (``grant_type=refresh_token`` with ``client_key``) answers a new access token *and a new
      refresh token*; the previous refresh token stops working
      (https://developers.tiktok.com/doc/oauth-user-access-token-management).
    """

    def __init__(self, page_size: int = 3) -> None:
        super().__init__(token=None)
        self.page_size = page_size
        self.client_key, self.client_secret = "awtiktokclientkey01", "tiktok-client-secret-xyz"
        self.refresh_token = "rft.tiktok-refresh-0"
        self.access_token = ""
        self.issued = 0
        self.expires_in = 86400
        self.unlisted: set[str] = set()
        self.user = {"open_id": "-000OmS7Q1Y8xCNwJ5ZmUhx1OvuZXaQj8mK", "union_id": "c9c60f44-a68e-4f5d-84dd-ce22faeb0ba1",
                     "username": "northwind", "display_name": "Northwind", "follower_count": 25840,
                     "following_count": 12, "likes_count": 402113, "video_count": 6}  # fmt: skip
        self.videos = [
            {"id": f"73{i:017d}", "create_time": int((NOW - timedelta(days=6 - i, hours=1)).timestamp()),
             "title": f"TikTok {i}", "video_description": f"Vidéo {i} #northwind",
             "share_url": f"https://www.tiktok.com/@northwind/video/73{i:017d}", "view_count": 10000 + i,
             "like_count": 800 + i, "comment_count": 30 + i, "share_count": 12 + i}
            for i in range(6)
        ]  # fmt: skip
        self.route(r"/v2/user/info/", self.user_info)
        self.route(r"/v2/video/list/", self.video_list)
        self.route(r"/v2/video/query/", self.video_query)
        self.route(r"/v2/oauth/token/", self.oauth_token)

    @staticmethod
    def answer_of(data: Any, status: int = 200, code: str = "ok", message: str = "") -> Answer:
        return json_answer(
            {"data": data, "error": {"code": code, "message": message, "log_id": "20261105090000ABCDEF"}},
            status,
        )

    def credential(self) -> dict[str, str]:
        return {
            "refresh_token": self.refresh_token,
            "client_key": self.client_key,
            "client_secret": self.client_secret,
        }

    def answer(self, request: Request) -> Answer:
        if request.path != "/v2/oauth/token/" and (
            not self.access_token or request.headers.get("authorization") != f"Bearer {self.access_token}"
        ):
            self.requests.append(request)
            return self.answer_of({}, 401, "access_token_invalid",
                                  "The access token is invalid or not found in the request.")  # fmt: skip
        return super().answer(request)

    def oauth_token(self, request: Request) -> Answer:
        form = {k: v[0] for k, v in request.form.items()}
        if request.method != "POST" or form.get("grant_type") != "refresh_token":
            return json_answer(
                {"error": "invalid_request", "error_description": "grant_type", "log_id": "x"}, 400
            )
        if (form.get("client_key"), form.get("client_secret")) != (self.client_key, self.client_secret):
            return json_answer(
                {
                    "error": "invalid_client",
                    "error_description": "Client key or secret is incorrect.",
                    "log_id": "x",
                },
                401,
            )
        if form.get("refresh_token") != self.refresh_token:
            return json_answer(
                {
                    "error": "invalid_grant",
                    "error_description": "Refresh token is invalid or expired.",
                    "log_id": "x",
                },
                400,
            )
        self.issued += 1
        self.access_token = f"act.tiktok-access-{self.issued}"
        self.refresh_token = f"rft.tiktok-refresh-{self.issued}"  # rotated: the previous one is dead
        return json_answer({"access_token": self.access_token, "expires_in": self.expires_in, "open_id": self.user["open_id"],
                            "refresh_expires_in": 31536000, "refresh_token": self.refresh_token,
                            "scope": "user.info.basic,user.info.profile,user.info.stats,video.list", "token_type": "Bearer"})  # fmt: skip

    def user_info(self, request: Request) -> Answer:
        fields = (request.arg("fields") or "").split(",")
        return self.answer_of({"user": {k: v for k, v in self.user.items() if k in fields}})

    def _shape(self, video: dict[str, Any], request: Request) -> dict[str, Any]:
        fields = (request.arg("fields") or "id").split(",")
        return {k: v for k, v in video.items() if k in fields}

    def video_list(self, request: Request) -> Answer:
        if request.method != "POST":
            return self.answer_of({}, 404, "invalid_params", "Use POST")
        body = request.json() or {}
        if int(body.get("max_count", 10)) > 20:
            return self.answer_of({}, 400, "invalid_params", "max_count must be at most 20")
        cursor = body.get("cursor")

        def at(video: dict[str, Any]) -> int:  # a broken record (tests) sorts as the oldest
            return video["create_time"] if isinstance(video["create_time"], int) else 0

        items = sorted(self.videos, key=at, reverse=True)
        items = [v for v in items if v["id"] not in self.unlisted]  # trust and safety: left out of listings
        if cursor is not None:
            items = [v for v in items if at(v) * 1000 < int(cursor)]
        page = items[: min(int(body.get("max_count", 10)), self.page_size)]
        data = {"videos": [self._shape(v, request) for v in page], "has_more": len(items) > len(page),
                "cursor": at(page[-1]) * 1000 if page else cursor or 0}  # fmt: skip
        return self.answer_of(data)

    def video_query(self, request: Request) -> Answer:
        ids = ((request.json() or {}).get("filters") or {}).get("video_ids") or []
        if len(ids) > 20:
            return self.answer_of({}, 400, "invalid_params", "at most 20 video_ids")
        return self.answer_of({"videos": [self._shape(v, request) for v in self.videos if v["id"] in ids]})
