"""A small HTTP client shared by every connector.

* retries with exponential backoff on 5xx, timeouts and connection errors;
* throttling, as each platform signals it (:func:`throttle`): HTTP 429 with
  ``Retry-After`` (seconds or an HTTP date), X's ``x-rate-limit-reset`` (epoch
  seconds), Bluesky's ``RateLimit-Reset`` (epoch seconds), Mastodon's
  ``X-RateLimit-Reset`` (ISO 8601); Meta's error codes 4, 17, 32, 613 and
  80001-80014 on a 400/403 (with ``X-Business-Use-Case-Usage``'s
  ``estimated_time_to_regain_access``); YouTube's 403 ``rateLimitExceeded``.
  A short announced wait is waited; a long or unknown one, X's monthly
  ``usage-capped`` or YouTube's daily ``quotaExceeded`` raise
  :class:`RateLimitedError`: that account stops, keeps its checkpoint and
  resumes next run;
* a :class:`Budget` (a deadline on an injectable clock): a wait or a request
  that would overrun it raises :class:`BudgetExhaustedError` instead, so the
  run stops cleanly and resumes next time from the checkpoint;
* ``sleep`` and ``clock`` are injectable, so tests never wait.

URLs are redacted (``access_token`` and similar query parameters) before they
appear in an error message, a log line or the archive.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import urllib3

from pulse.exceptions import SourceError

logger = logging.getLogger(__name__)

#: Query parameters that carry credentials; their values never leave this module.
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "token",
        "key",
        "api_key",
        "client_secret",
        "password",
        "refresh_token",
        "appsecret_proof",
    }
)
SECRET_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "proxy-authorization"})
_SECRET_IN_TEXT = re.compile(
    r"((?:access_token|refresh_token|client_secret|appsecret_proof|api_key)[\"']?\s*[=:]\s*[\"']?)([^&\"'\s,}]+)",
    re.IGNORECASE,
)
_BEARER_IN_TEXT = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
REDACTED = "REDACTED"


def redact_url(url: str) -> str:
    """``url`` with the values of credential query parameters replaced by ``REDACTED``."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, REDACTED if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe=":,()/")))


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` without credentials: ``access_token=...`` pairs, bearer tokens and the given values."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    text = _SECRET_IN_TEXT.sub(lambda m: m.group(1) + REDACTED, text)
    return _BEARER_IN_TEXT.sub(lambda m: m.group(1) + REDACTED, text)


def sent_secrets(url: str, headers: Mapping[str, str], body: bytes | None) -> tuple[str, ...]:
    """The credentials a request carries (auth headers, secret query or form or JSON fields).

    An error body may echo them back (``invalid token abc...``): they are redacted from it
    by value, whatever the platform's wording.
    """
    found: list[str] = []
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS and value:
            found += [value, value.split()[-1]]  # "Bearer abc" and "abc"
    pairs = parse_qsl(urlsplit(url).query, True)
    if body:
        text = body.decode("utf-8", errors="replace")
        try:
            doc = json.loads(text)
        except ValueError:
            pairs += parse_qsl(text, True)
        else:
            if isinstance(doc, dict):
                pairs += [(str(k), v) for k, v in doc.items() if isinstance(v, str)]
    found += [value for key, value in pairs if key.lower() in SECRET_PARAMS and value]
    return tuple(sorted(set(found), key=len, reverse=True))  # longest first: no partial leftovers


def strip_secret_params(url: str) -> str:
    """``url`` without credential query parameters (e.g. a Graph API ``paging.next`` link)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, True) if k.lower() not in SECRET_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(query, safe=":,()/")))


class HttpError(SourceError):
    """The platform answered with an error status (after retries when retryable)."""

    def __init__(self, status: int, url: str, body: str) -> None:
        self.status = status
        self.url = url
        self.body = body
        super().__init__(f"HTTP {status} from {url}: {body[:300]}")


class RateLimitedError(SourceError):
    """The platform throttles this app or account for longer than a run can wait: stop the
    account (its checkpoint stays where its data is), resume next run. Not an :class:`HttpError`,
    so no caller mistakes it for a refused request."""

    def __init__(self, reason: str, url: str = "", wait: float | None = None) -> None:
        self.reason = reason
        self.url = url
        self.wait = wait
        super().__init__(f"{reason}{f' ({url})' if url else ''}")


@dataclass(frozen=True)
class Throttle:
    """A throttling answer: how long to wait (None: unknown) and whether waiting can help this run."""

    reason: str
    wait: float | None = None
    retry: bool = True


#: Meta Graph API throttling codes (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/,
#: https://developers.facebook.com/docs/graph-api/guides/error-handling/): app (4), user (17), page (32),
#: API-specific (613), business use case (80001-80014), sent with a 400 or 403, not a 429.
META_THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
#: YouTube 403 reasons (https://developers.google.com/youtube/v3/docs/errors): the daily quota is spent
#: until midnight Pacific time; the others pass within seconds.
YOUTUBE_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
YOUTUBE_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


def _json(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def meta_usage(headers: Mapping[str, str]) -> tuple[float, float | None]:
    """The highest usage percentage in Meta's ``X-App-Usage``, ``X-Page-Usage``, ``X-Ad-Account-Usage``
    and ``X-Business-Use-Case-Usage`` headers, and the longest ``estimated_time_to_regain_access``
    (seconds; None when not announced)."""
    highest, regain = 0.0, None
    records: list[Any] = []
    for name in ("x-app-usage", "x-page-usage", "x-ad-account-usage"):
        doc = _json(headers.get(name, ""))
        if isinstance(doc, dict):
            records.append(doc)
    buc = _json(headers.get("x-business-use-case-usage", ""))
    if isinstance(buc, dict):
        for entries in buc.values():
            records += entries if isinstance(entries, list) else [entries]
    for record in records:
        if not isinstance(record, dict):
            continue
        for key in ("call_count", "total_cputime", "total_time", "acc_id_util_pct"):
            value = record.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                highest = max(highest, float(value))
        minutes = record.get("estimated_time_to_regain_access")
        if isinstance(minutes, int | float) and minutes > 0:
            regain = max(regain or 0.0, float(minutes) * 60)
    return highest, regain


def throttle(status: int, headers: Mapping[str, str], body: str, now: float) -> Throttle | None:
    """Whether an error answer means "slow down", as each platform documents it."""
    doc = _json(body)
    if status == 429:
        if isinstance(doc, dict) and "usage-capped" in str(doc.get("type", "")):
            # X: the project's monthly post cap is reached (https://docs.x.com/x-api/fundamentals/rate-limits)
            return Throttle("X usage cap reached for this billing period", retry=False)
        return Throttle("rate limited (HTTP 429)", reset_wait(headers, now))
    error = doc.get("error") if isinstance(doc, dict) else None
    if status in (400, 403) and isinstance(error, dict):
        code = error.get("code")
        if isinstance(code, int) and not isinstance(code, bool) and code in META_THROTTLE_CODES:
            _, regain = meta_usage(headers)
            return Throttle(f"Meta throttling (error code {code})", regain, retry=regain is not None)
        reasons = {e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)}
        if status == 403 and reasons & YOUTUBE_QUOTA_REASONS:
            return Throttle("YouTube daily quota exceeded (resets at midnight Pacific time)", retry=False)
        if status == 403 and reasons & YOUTUBE_RATE_REASONS:
            return Throttle("YouTube rate limit exceeded")
    return None


def reset_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until a rate limit resets, from whichever header the platform sends, or None."""
    retry_after = headers.get("retry-after")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
            except (TypeError, ValueError):
                pass
    # X: x-rate-limit-reset, epoch seconds; Bluesky: ratelimit-reset, epoch seconds (the IETF
    # draft's delta seconds are accepted too); Mastodon: x-ratelimit-reset, an ISO 8601 date.
    for name in ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"):
        value = headers.get(name)
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            try:
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, when.timestamp() - now) + 1.0
        return (max(0.0, number - now) if number > 1e9 else number) + 1.0
    return None


class BudgetExhaustedError(SourceError):
    """The run's time budget is spent: stop cleanly, resume next time from the checkpoint."""


class Budget:
    """A deadline on an injectable monotonic clock; ``None`` seconds means no limit."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.deadline = None if seconds is None else clock() + seconds

    def remaining(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - self.clock()

    def check(self, need: float = 0.0) -> None:
        if self.remaining() < need:
            raise BudgetExhaustedError("time budget exhausted")

    def cap(self, deadline: float | None) -> None:
        """Tighten the deadline (e.g. to the Lambda's remaining time)."""
        if deadline is not None and (self.deadline is None or deadline < self.deadline):
            self.deadline = deadline


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    fetched_at: datetime

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RetryPolicy:
    attempts: int = 5
    backoff: float = 1.0  # seconds, doubled at each retry
    max_backoff: float = 60.0
    max_rate_limit_wait: float = 900.0  # a longer Retry-After stops the run instead
    jitter: Callable[[], float] = field(default=random.random)


class HttpClient:
    """Pooled urllib3 client with retries, rate-limit handling and a time budget."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        pool: urllib3.PoolManager | None = None,
        user_agent: str = "community-pulse/0.1 (+https://github.com/community-pulse)",
    ) -> None:
        self.timeout = urllib3.Timeout(connect=min(timeout, 10.0), read=timeout)
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        self.wall_clock = wall_clock
        self.pool = pool or urllib3.PoolManager(num_pools=8, maxsize=4, retries=False)
        self.user_agent = user_agent
        #: Requests made (redacted url, status or error), most recent last; for reports and tests.
        self.log: list[tuple[str, str]] = []

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        budget: Budget | None = None,
    ) -> Response:
        """GET ``url`` (with ``params`` appended); returns a 2xx response or raises."""
        return self._send("GET", self._with(url, params), headers, None, budget)

    @staticmethod
    def _with(url: str, params: Mapping[str, Any] | None) -> str:
        if params:
            query = urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True, safe=":,()")
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        return url

    def post_form(
        self,
        url: str,
        form: Mapping[str, str],
        *,
        headers: Mapping[str, str] | None = None,
        budget: Budget | None = None,
    ) -> Response:
        """POST ``form`` url-encoded (an OAuth token request): the body, which holds the
        credentials, is never logged; retried like a GET."""
        form_headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self._send("POST", url, form_headers, urlencode(form).encode(), budget)

    def post_json(
        self,
        url: str,
        doc: Any,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        budget: Budget | None = None,
    ) -> Response:
        """POST ``doc`` as JSON (a session request, a query): like :meth:`post_form`, the body is never logged."""
        url = self._with(url, params)
        if doc is None:  # a bodiless call (e.g. refreshing a session with its refresh token)
            return self._send("POST", url, headers, None, budget)
        json_headers = {"Content-Type": "application/json", **(headers or {})}
        return self._send("POST", url, json_headers, json.dumps(doc).encode(), budget)

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        body: bytes | None,
        budget: Budget | None,
    ) -> Response:
        shown = redact_url(url)
        all_headers = {"User-Agent": self.user_agent, "Accept": "application/json", **(headers or {})}
        attempt = 0
        while True:
            attempt += 1
            if budget:
                budget.check(1.0)
            try:
                raw = self.pool.request(
                    method,
                    url,
                    body=body,
                    headers=all_headers,
                    timeout=self.timeout,
                    retries=False,
                    preload_content=True,
                )
            except (urllib3.exceptions.TimeoutError, urllib3.exceptions.ProtocolError,
                    urllib3.exceptions.NewConnectionError, urllib3.exceptions.HTTPError) as exc:  # fmt: skip
                self.log.append((shown, type(exc).__name__))
                if attempt >= self.retry.attempts:
                    raise SourceError(f"{shown}: {type(exc).__name__} after {attempt} attempts") from None
                self._wait(self._backoff(attempt), budget)
                continue
            status = raw.status
            self.log.append((shown, str(status)))
            response_headers = {k.lower(): v for k, v in raw.headers.items()}
            if 200 <= status < 300:
                fetched_at = datetime.fromtimestamp(self.wall_clock(), UTC)
                return Response(shown, status, response_headers, raw.data, fetched_at)
            error_body = redact_text(
                raw.data.decode("utf-8", errors="replace"), sent_secrets(url, all_headers, body)
            )
            slow = throttle(status, response_headers, error_body, self.wall_clock())
            if slow is not None:
                if not slow.retry:
                    raise RateLimitedError(f"{slow.reason}; resuming next run", shown, slow.wait)
                if slow.wait is not None and slow.wait > self.retry.max_rate_limit_wait:
                    raise RateLimitedError(
                        f"{slow.reason} for {slow.wait:.0f} s; resuming next run", shown, slow.wait
                    )
                if attempt >= self.retry.attempts:
                    raise RateLimitedError(f"{slow.reason}, still after {attempt} attempts", shown, slow.wait)
                self._wait(slow.wait if slow.wait is not None else self._backoff(attempt), budget)
                continue
            if status >= 500:
                if attempt >= self.retry.attempts:
                    raise HttpError(status, shown, error_body)
                self._wait(self._backoff(attempt), budget)
                continue
            raise HttpError(status, shown, error_body)

    def _backoff(self, attempt: int) -> float:
        base = min(self.retry.max_backoff, self.retry.backoff * 2 ** (attempt - 1))
        return float(base * (0.5 + 0.5 * self.retry.jitter()))

    def _wait(self, seconds: float, budget: Budget | None) -> None:
        if budget and budget.remaining() < seconds + 1.0:
            raise BudgetExhaustedError(f"waiting {seconds:.0f} s would overrun the time budget")
        logger.info("http wait", extra={"seconds": round(seconds, 2)})
        self.sleep(seconds)
