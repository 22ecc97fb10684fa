"""What every connector shares: one account's run context, rows, reports, quarantine.

A connector is a small class per platform. Its ``streams()`` are independent
parts of the fetch (the posts, the mentions, the follower count...): a stream
that fails (an HTTP error, a quarantined page) is reported and the others
still run; a spent time budget stops the account (and the run) cleanly. A
stream advances its own cursors in the account's
:class:`~pulse.connectors.checkpoint.Checkpoint` only once its data is in hand,
and :class:`~pulse.connectors.source.PlatformSource` persists it only
after the lake has stored that data.
"""

from __future__ import annotations

import base64
import html
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, Literal, NoReturn

import pandas as pd

from pulse.config import Account, Brand
from pulse.connectors.archive import ArchivedPage, RawArchive
from pulse.connectors.checkpoint import Checkpoint
from pulse.connectors.http import (
    Budget,
    BudgetExhaustedError,
    HttpClient,
    RateLimitedError,
    Response,
    redact_text,
)
from pulse.connectors.tokens import Credential, OAuthTokens, RefreshCredential
from pulse.exceptions import DataError, SourceError
from pulse.tables import ACCOUNT_METRICS

Row = dict[str, Any]
Progress = Callable[[str, str], None]


class PageQuarantinedError(SourceError):
    """A response could not be normalised; it is in quarantine and its stream stops for this run."""


#: ``"any"``: late replies to posts of any age are fetched (a mentions/notifications stream);
#: a number of days: replies to posts older than that are not; 0: no replies at all.
ReplyReach = int | Literal["any"]


@dataclass
class AccountReport:
    """What one account's fetch did; printed by the CLI, returned by the handler."""

    platform: str
    account: str
    requests: int = 0
    new_posts: int = 0
    refetched_posts: int = 0
    messages: int = 0
    followers: int = 0
    #: Days of account-level metrics (``account_daily`` rows) read.
    account_days: int = 0
    quarantined: int = 0
    quarantine_keys: list[str] = field(default_factory=list)
    schema_warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stopped_by_budget: bool = False
    #: Why the platform's throttling stopped this account (it resumes next run), or None.
    rate_limited: str | None = None
    #: How old a post may be for its late replies to be fetched (:meth:`Connector.reply_reach`);
    #: None until the connector has run.
    reply_reach: ReplyReach | None = None

    @property
    def posts(self) -> int:
        return self.new_posts + self.refetched_posts

    def line(self) -> str:
        text = (
            f"{self.platform}/{self.account}: {self.posts} posts ({self.new_posts} new, "
            f"{self.refetched_posts} re-fetched), {self.messages} messages, {self.followers} follower snapshot(s), "
            f"{self.requests} requests"
        )
        if self.account_days:
            text += f", {self.account_days} day(s) of account metrics"
        if self.quarantined:
            text += f", {self.quarantined} quarantined"
        if self.stopped_by_budget:
            text += ", STOPPED BY TIME BUDGET (resumes next run)"
        if self.rate_limited:
            text += f", STOPPED BY THE PLATFORM'S RATE LIMIT: {self.rate_limited}"
        for warning in self.schema_warnings:
            text += f"\n  schema warning: {warning}"
        for error in self.errors:
            text += f"\n  error: {error}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "account": self.account,
            "requests": self.requests,
            "posts": self.posts,
            "new_posts": self.new_posts,
            "refetched_posts": self.refetched_posts,
            "messages": self.messages,
            "followers": self.followers,
            "account_days": self.account_days,
            "quarantined": self.quarantined,
            "quarantine_keys": self.quarantine_keys,
            "schema_warnings": self.schema_warnings,
            "errors": self.errors,
            "stopped_by_budget": self.stopped_by_budget,
            "rate_limited": self.rate_limited,
            "reply_reach": self.reply_reach,
        }


@dataclass
class FetchReport:
    """The summary of one ``PlatformSource.fetch`` (one brand)."""

    brand: str
    started_at: datetime
    accounts: list[AccountReport] = field(default_factory=list)

    @property
    def stopped_by_budget(self) -> bool:
        return any(a.stopped_by_budget for a in self.accounts)

    @property
    def quarantined(self) -> int:
        return sum(a.quarantined for a in self.accounts)

    @property
    def errors(self) -> list[str]:
        return [f"{a.platform}/{a.account}: {e}" for a in self.accounts for e in a.errors]

    @property
    def schema_warnings(self) -> list[str]:
        return [f"{a.platform}/{a.account}: {w}" for a in self.accounts for w in a.schema_warnings]

    @property
    def ok(self) -> bool:
        """No error and no quarantined response (a budget stop is not an error: it resumes)."""
        return not self.errors and not self.quarantined

    def lines(self) -> list[str]:
        return [f"{self.brand}: " + a.line() for a in self.accounts]

    def to_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "started_at": self.started_at.isoformat(),
            "ok": self.ok,
            "stopped_by_budget": self.stopped_by_budget,
            "quarantined": self.quarantined,
            "accounts": [a.to_dict() for a in self.accounts],
        }


def utc_iso(value: Any) -> str:
    """An API timestamp (ISO 8601 in any offset, or epoch seconds/ms) as UTC ISO 8601."""
    if isinstance(value, bool) or value is None or value == "":
        raise DataError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    stamp = pd.Timestamp(str(value))
    if pd.isna(stamp):
        raise DataError(f"not a timestamp: {value!r}")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(UTC)
    return str(stamp.tz_convert(UTC).isoformat())


def _iso_day(value: Any) -> str:
    """A day (a date, ``YYYY-MM-DD`` or a timestamp whose date part is the day) as ``YYYY-MM-DD``."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    text = str(value)
    if len(text) < 10 or text[4] != "-" or text[7] != "-":
        raise DataError(f"not a day: {value!r}")
    return datetime.strptime(text[:10], "%Y-%m-%d").date().isoformat()


def jwt_expiry(token: str) -> float:
    """The ``exp`` claim (epoch seconds) of a JWT, read without verifying it; 0 when unreadable."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return 0.0


def count(value: Any) -> int | None:
    """A metric value as an int; None stays None (unknown)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise DataError(f"not a count: {value!r}")
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        raise DataError(f"not a count: {value!r}")
    number = int(value)
    if number < 0 or number != float(value):
        raise DataError(f"not a count: {value!r}")
    return number


_TAG = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]+>")


def html_to_text(value: str | None) -> str | None:
    """Mastodon's status HTML as plain text (line breaks kept)."""
    if value is None:
        return None
    return html.unescape(_ANY_TAG.sub("", _TAG.sub("\n", value))).strip()


#: What reading a malformed record raises.
UNREADABLE = (KeyError, TypeError, ValueError, AttributeError, DataError)

POST_METRICS = ("impressions", "reach", "likes", "comments", "shares", "saves", "clicks")
#: Comment threads are followed this long after their post (a deeper sweep, once a week).
SWEEP_DAYS = timedelta(days=35)
SWEEP_EVERY = timedelta(days=7)
#: And, once every four weeks, this long: the deepest a connector without a mentions or
#: notifications stream goes for late replies (what the report states for its platform).
DEEP_SWEEP_DAYS = timedelta(days=90)
DEEP_SWEEP_EVERY = timedelta(days=28)


class AccountRun:
    """One account's fetch: HTTP with archiving, rows, the checkpoint being built, the report."""

    def __init__(
        self,
        *,
        brand: Brand,
        account: Account,
        token: Credential | None,
        base_url: str,
        http: HttpClient,
        archive: RawArchive,
        budget: Budget,
        checkpoint: Checkpoint,
        now: datetime,
        start: datetime,
        refetch_days: int,
        progress: Progress | None = None,
        extra_base_urls: Mapping[str, str] | None = None,
        oauth: OAuthTokens | None = None,
        sessions: dict[Any, Any] | None = None,
    ) -> None:
        self.brand = brand
        self.account = account
        #: The access token sent to the platform (set by :meth:`resolve_token` for a refresh credential).
        self.token: str | None = token if isinstance(token, str) else None
        self.credential = token
        self.oauth = oauth
        #: Sessions kept across accounts and runs of one process (e.g. Bluesky's), never persisted.
        self.sessions = {} if sessions is None else sessions
        #: Other credentials of this run (e.g. a session token) redacted like ``token``.
        self.secrets: list[str] = []
        self.base_url = base_url.rstrip("/")
        self.base_urls = dict(extra_base_urls or {})
        self.http = http
        self.archive = archive
        self.budget = budget
        self.checkpoint = checkpoint
        self.now = now
        self.start = start
        self.refetch_since = now - timedelta(days=refetch_days)
        #: ``start`` is older than anything fetched before: ignore cursors, go back to ``start``.
        synced_from = checkpoint.synced_from
        self.backfill = isinstance(synced_from, str) and start < datetime.fromisoformat(synced_from)
        self.progress = progress
        self.headers: dict[str, str] = {}
        self.report = AccountReport(account.platform, account.id)
        self.posts: dict[str, Row] = {}
        self.messages: dict[str, Row] = {}
        self.followers: list[Row] = []
        #: ``account_daily`` rows by date (ISO): what the platform reports about the whole account per day.
        self.account_days: dict[str, Row] = {}
        self.page: ArchivedPage | None = None
        self._missing: dict[str, int] = {}
        #: Called with each response's headers (e.g. Meta's usage headers); set by a connector.
        self.watch: Callable[[Mapping[str, str]], None] | None = None
        #: Set when the platform said to stop (usage at its limit): the next request raises instead.
        self.halt: str | None = None

    # ------------------------------------------------------------ HTTP

    def get(
        self, url: str, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> Any:
        """GET a JSON document: archived (redacted) first, then parsed; a bad body goes to quarantine."""
        return self._read(url, params, headers, None)

    def post_query(self, url: str, doc: Any, params: Mapping[str, Any] | None = None) -> Any:
        """POST a JSON query (TikTok's listings are POSTs) and read the answer like :meth:`get`."""
        return self._read(url, params, None, doc)

    def _read(
        self, url: str, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None, doc: Any
    ) -> Any:
        if not url.startswith(("http://", "https://")):
            url = f"{self.base_url}/{url.lstrip('/')}"
        if self.halt:
            raise RateLimitedError(self.halt)
        self.report.requests += 1
        all_headers = {**self.headers, **(headers or {})}
        response: Response = (
            self.http.get(url, params=params, headers=all_headers, budget=self.budget)
            if doc is None
            else self.http.post_json(url, doc, params=params, headers=all_headers, budget=self.budget)
        )
        body = redact_text(response.text(), self.secret_values())
        self.page = self.archive.save(
            self.brand.id, self.account.platform, self.account.id,
            url=response.url, status=response.status, fetched_at=response.fetched_at, body=body,
        )  # fmt: skip
        if self.watch is not None:
            self.watch(response.headers)
        try:
            return response.json()
        except ValueError as exc:
            self.quarantine_page(f"response is not valid JSON: {exc}")

    def quarantine_page(self, error: str) -> NoReturn:
        """Quarantine the current page and stop its stream (raises)."""
        page = self.page
        assert page is not None
        key = self.archive.quarantine(
            self.brand.id, self.account.platform, self.account.id,
            url=page.url, fetched_at=page.fetched_at, error=error, raw_key=page.key,
            body=None,
        )  # fmt: skip
        self.report.quarantined += 1
        self.report.quarantine_keys.append(key)
        raise PageQuarantinedError(f"{page.url}: {error} (quarantined as {key})")

    def expect(self, doc: Any, key: str, kind: type = list) -> Any:
        """``doc[key]`` when the document has the expected shape, else quarantine the page."""
        if not isinstance(doc, dict):
            self.quarantine_page(f"expected a JSON object, got {type(doc).__name__}")
        value = doc.get(key)
        if not isinstance(value, kind):
            self.quarantine_page(f"expected {key!r} to be a {kind.__name__}, got {type(value).__name__}")
        return value

    # ------------------------------------------------------------ rows

    def item(self, raw: Any, build: Callable[[Any], Row | None]) -> Row | None:
        """Build one row from one record; a record that cannot be read goes to quarantine alone."""
        try:
            return build(raw)
        except UNREADABLE as exc:
            self.quarantine_item(raw, exc)
            return None

    def quarantine_item(self, raw: Any, exc: Exception) -> None:
        """Quarantine one record that cannot be read (the rest of its page is kept)."""
        page = self.page
        key = self.archive.quarantine(
            self.brand.id, self.account.platform, self.account.id,
            url=page.url if page else "", fetched_at=page.fetched_at if page else self.now,
            error=f"{type(exc).__name__}: {exc}", item=self._redacted(raw), raw_key=page.key if page else None,
        )  # fmt: skip
        self.report.quarantined += 1
        self.report.quarantine_keys.append(key)

    def _redacted(self, raw: Any) -> Any:
        """A parsed record without credentials (it comes from the response, not the redacted archive)."""
        text = json.dumps(raw, ensure_ascii=False, default=str)
        clean = redact_text(text, self.secret_values())
        if clean == text:
            return raw
        try:
            return json.loads(clean)
        except ValueError:
            return clean

    def metric(self, container: Any, name: str, label: str) -> int | None:
        """A metric from the platform's payload; a missing one is unknown (None) and reported."""
        if not isinstance(container, Mapping) or name not in container:
            self._missing[label] = self._missing.get(label, 0) + 1
            return None
        return count(container[name])

    def follow_thread(self, post_id: str, created_at: str) -> None:
        """Follow the comment thread of a post (its replies are fetched while it is recent enough)."""
        self.checkpoint.threads[str(post_id)] = created_at

    @property
    def first_run(self) -> bool:
        """No complete run of this account yet (or a backfill): conversations are read from ``start``."""
        return self.backfill or self.checkpoint.synced_from is None

    def recent_threads(self) -> dict[str, str]:
        """The comment threads to walk this run (post id -> its time), in id order.

        Those of the re-fetch window; on an account's first run or a backfill,
        those of every post since ``start`` (so the first reports have their
        conversations); once every ``SWEEP_EVERY`` days, those of the last
        ``SWEEP_DAYS`` days, and once every ``DEEP_SWEEP_EVERY`` days those of
        the last ``DEEP_SWEEP_DAYS``, for replies that arrive late on older
        posts. The checkpoint keeps the threads of the last ``DEEP_SWEEP_DAYS`` days.
        """
        threads = {i: datetime.fromisoformat(at) for i, at in self.checkpoint.threads.items()}
        keep_from = min(self.now - DEEP_SWEEP_DAYS, self.refetch_since)
        sweep_from = min(self.now - SWEEP_DAYS, self.refetch_since)
        swept, deep = self.checkpoint.swept_at, self.checkpoint.deep_swept_at
        if self.first_run:
            bound = min(self.start, self.refetch_since)
        elif not deep or datetime.fromisoformat(deep) <= self.now - DEEP_SWEEP_EVERY:
            bound = keep_from
        elif not swept or datetime.fromisoformat(swept) <= self.now - SWEEP_EVERY:
            bound = sweep_from
        else:
            bound = self.refetch_since
        # A first run or a backfill walks every followed thread (none is older than ``start``).
        if self.first_run or bound <= sweep_from:
            self.checkpoint.swept_at = self.now.isoformat()
        if self.first_run or bound <= keep_from:
            self.checkpoint.deep_swept_at = self.now.isoformat()
        self.checkpoint.threads = {i: at.isoformat() for i, at in threads.items() if at >= keep_from}
        return {i: at.isoformat() for i, at in sorted(threads.items()) if at >= bound}

    def post(
        self,
        post_id: str,
        created_at: Any,
        text: str | None,
        *,
        new: bool,
        partial: bool = False,
        **metrics: int | None,
    ) -> Row:
        """A post row. ``partial``: some metrics could not be read this time (a refused or empty
        insights call) though the platform has them: a post seen before is then left out of the
        batch, so the lake keeps the values it knows instead of getting unknown ones."""
        unknown = set(metrics) - set(POST_METRICS)
        if unknown:
            raise TypeError(f"unknown metrics {unknown}")
        row: Row = {
            "platform": self.account.platform,
            "account": self.account.id,
            "post_id": str(post_id),
            "created_at": utc_iso(created_at),
            "text": text,
            **{m: count(metrics.get(m)) for m in POST_METRICS},
        }
        if row["post_id"] in self.posts:
            new = new or self.posts[row["post_id"]].get("_new", False)
        row["_new"] = new
        row["_partial"] = partial
        self.posts[row["post_id"]] = row
        return row

    def message(
        self,
        message_id: str,
        created_at: Any,
        author: str | None,
        from_brand: bool,
        in_reply_to: str | None,
        text: str | None,
    ) -> Row:
        row: Row = {
            "platform": self.account.platform,
            "account": self.account.id,
            "message_id": str(message_id),
            "created_at": utc_iso(created_at),
            "author": author,
            "from_brand": bool(from_brand),
            "in_reply_to": None if in_reply_to is None else str(in_reply_to),
            "text": text,
        }
        self.messages[row["message_id"]] = row
        return row

    def follower_count(self, value: Any) -> None:
        """Today's follower snapshot, dated on the brand's local calendar."""
        followers = count(value)
        if followers is None:
            self.warn("the platform gave no follower count")
            return
        local_day = self.now.astimezone(self.brand.tz).date()
        self.followers = [
            {
                "platform": self.account.platform,
                "account": self.account.id,
                "date": local_day.isoformat(),
                "followers": followers,
            }
        ]

    def follower_history(self, day: Any, value: Any) -> None:
        """A follower count the platform reports for a past ``day`` (today's snapshot wins for today)."""
        followers = count(value)
        if followers is None:
            return
        iso = _iso_day(day)
        if any(r["date"] == iso for r in self.followers):
            return
        self.followers.append(
            {
                "platform": self.account.platform,
                "account": self.account.id,
                "date": iso,
                "followers": followers,
            }
        )

    def account_day(self, day: Any, **metrics: Any) -> Row:
        """Account-level metrics of one ``day`` (the platform's day); several calls fill one row.

        A metric left out or None is unknown: it never replaces a value read
        earlier in the run, and the lake keeps a known value over an unknown one.
        """
        unknown = set(metrics) - set(ACCOUNT_METRICS)
        if unknown:
            raise TypeError(f"unknown account metrics {unknown}")
        iso = _iso_day(day)
        row = self.account_days.setdefault(
            iso,
            {"platform": self.account.platform, "account": self.account.id, "date": iso}
            | dict.fromkeys(ACCOUNT_METRICS),
        )
        for name, value in metrics.items():
            number = count(value)
            if number is not None:
                row[name] = number
        return row

    # ------------------------------------------------------------ report

    def warn(self, message: str) -> None:
        if message not in self.report.schema_warnings:
            self.report.schema_warnings.append(message)

    def secret_values(self) -> tuple[str, ...]:
        """Every credential of this run, for redaction."""
        return tuple(filter(None, [self.token, *self.secrets]))

    def resolve_token(self) -> None:
        """Exchange a refresh credential for an access token (cached across accounts and runs)."""
        if not isinstance(self.credential, RefreshCredential):
            return
        if self.oauth is None:
            raise SourceError(
                f"{self.account.platform} account {self.account.id!r}: no token endpoint configured"
            )
        self.say("exchanging the refresh token for an access token")
        self.token = self.oauth.access_token(
            self.account.platform, self.account.id, self.credential, budget=self.budget
        )
        lost = self.oauth.rotation_errors.pop((self.account.platform, self.account.id), None)
        if lost:  # this run has its access token; the next one will need the account authorised again
            self.report.errors.append(redact_text(lost, self.secret_values()))

    def say(self, message: str) -> None:
        if self.progress:
            self.progress(f"{self.account.platform}/{self.account.id}", message)

    def finish(self) -> None:
        for label, n in sorted(self._missing.items()):
            self.warn(f"{label} missing in {n} record(s): left empty (unknown)")
        self.report.new_posts = sum(1 for r in self.posts.values() if r["_new"])
        self.report.refetched_posts = len(self.posts) - self.report.new_posts
        self.report.messages = len(self.messages)
        self.report.followers = len(self.followers)
        self.account_days = {
            d: r for d, r in self.account_days.items() if any(r[m] is not None for m in ACCOUNT_METRICS)
        }
        self.report.account_days = len(self.account_days)

    def parse_time(self, value: Any) -> datetime:
        return datetime.fromisoformat(utc_iso(value))

    def days_to_read(self, stream: str, *, max_days: int) -> list[date]:
        """The days (UTC calendar) an account-level daily stream reads this run, oldest first.

        From the stream's lower bound (its last complete pass, or ``start``; the
        re-fetch window is read again, platforms revise recent days) to today,
        and never more than ``max_days`` back (the platform keeps no more).
        """
        first = max(self.lower_bound(stream), self.now - timedelta(days=max_days)).date()
        last = self.now.date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def day_done(self, stream: str, day: date) -> None:
        """Record that ``day`` of a daily stream is read: an interrupted pass (budget, throttling)
        resumes after it next run instead of starting over (the days before are in this run's rows)."""
        self.checkpoint.stream(stream).newest_time = datetime.combine(
            day + timedelta(days=1), time(), UTC
        ).isoformat()

    def lower_bound(self, stream: str) -> datetime:
        """Oldest time a stream must reach: its last newest item, or ``start`` on the first run."""
        cursor = self.checkpoint.streams.get(stream)
        seen = cursor.newest_time if cursor else None
        if not seen:
            return self.start
        bound = self.start if self.backfill else datetime.fromisoformat(seen)
        return min(bound, self.refetch_since)


class NewestFirst:
    """The walk of a newest-first listing down to a stream's lower bound (:meth:`AccountRun.lower_bound`).

    ``admit(time)`` says whether an item is new (None when it is older than the
    bound: ``stop`` is then set and the walk may end after its page); ``done()``
    advances the stream's ``newest_time``, to be called only once the walk has
    completed.
    """

    def __init__(self, run: AccountRun, stream: str) -> None:
        self.cursor = run.checkpoint.stream(stream)
        self.seen: str | None = self.cursor.newest_time
        self.seen_at = datetime.fromisoformat(self.seen) if self.seen and not run.backfill else None
        self.bound = run.lower_bound(stream)
        self.newest: datetime | None = None
        self.stop = False

    def admit(self, at: datetime) -> bool | None:
        if at < self.bound:
            self.stop = True
            return None
        if self.newest is None or at > self.newest:
            self.newest = at
        return self.seen_at is None or at > self.seen_at

    def done(self) -> None:
        if self.newest is not None and (not self.seen or self.newest > datetime.fromisoformat(self.seen)):
            self.cursor.newest_time = self.newest.isoformat()


class Connector(ABC):
    """One platform. Subclasses set ``platform`` and list their streams."""

    platform: ClassVar[str]
    #: Whether a missing token is fine (public data only).
    token_optional: ClassVar[bool] = False

    def __init__(self, run: AccountRun) -> None:
        self.run = run

    def reply_reach(self) -> ReplyReach:
        """How old a post may be for replies that arrive late on it to be fetched, as this run goes.

        The default is the deepest thread sweep (:meth:`AccountRun.recent_threads`); a connector
        reading a mentions or notifications stream that carries replies to posts of any age
        says ``"any"``; one that reads no replies at all, 0. The report states it per platform.
        """
        return DEEP_SWEEP_DAYS.days

    def authorize(self) -> None:
        """Set ``run.headers`` from ``run.token`` (default: a bearer token)."""
        if self.run.token:
            self.run.headers["Authorization"] = f"Bearer {self.run.token}"

    @abstractmethod
    def streams(self) -> Iterator[tuple[str, Callable[[], None]]]:
        """(name, callable) pairs, run in order; later ones may use what earlier ones found."""

    def execute(self) -> None:
        run = self.run
        run.resolve_token()
        if not run.token and not self.token_optional:
            raise SourceError(
                f"no token for {run.account.platform} account {run.account.id!r} "
                f"(see docs/connectors.md: PULSE_TOKEN_{run.account.platform.upper()}, tokens file or secret)"
            )
        self.authorize()
        run.report.reply_reach = self.reply_reach()
        for name, stream in self.streams():
            run.say(f"fetching {name}")
            try:
                stream()
            except BudgetExhaustedError:
                run.report.stopped_by_budget = True
                run.say(f"time budget spent during {name}: stopping, will resume")
                raise
            except RateLimitedError as exc:
                run.report.rate_limited = redact_text(str(exc), run.secret_values())
                run.say(f"rate limited during {name}: stopping this account, will resume")
                return
            except PageQuarantinedError as exc:
                run.report.errors.append(redact_text(f"{name}: {exc}", run.secret_values()))
            except SourceError as exc:  # an error body may quote any credential of the run
                run.report.errors.append(redact_text(f"{name}: {exc}", run.secret_values()))
