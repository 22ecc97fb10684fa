"""``PlatformSource``: the real platforms behind the :class:`~pulse.sources.Source` interface.

For each account of the brand it runs the platform's connector with the
account's checkpoint, and returns the canonical tables. It returns everything
new since the checkpoint (since ``start`` on an account's first run, or when
``start`` is older than anything fetched before) plus the posts of the last
``refetch_days`` days with fresh metrics: rows may be older than ``start`` on
purpose, the lake merges by key.

Checkpoints are *not* written by ``fetch``: call :meth:`PlatformSource.commit`
once the lake has stored the tables, so a checkpoint only advances for data
actually stored (a crash in between re-fetches, which is idempotent).
"""

from __future__ import annotations

import importlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from pulse.config import Account, Brand
from pulse.connectors.archive import CheckpointStore, RawArchive
from pulse.connectors.base import POST_METRICS, AccountReport, AccountRun, Connector, FetchReport, Progress
from pulse.connectors.checkpoint import Checkpoint
from pulse.connectors.http import Budget, BudgetExhaustedError, HttpClient, redact_text
from pulse.connectors.tokens import OAuthTokens, TokenProvider, default_token_provider
from pulse.exceptions import SourceError
from pulse.ingest.coverage import narrowest
from pulse.settings import Settings, get_settings
from pulse.sources.base import Source
from pulse.storage import ObjectStore
from pulse.tables import ACCOUNT_METRICS, Tables, normalize

logger = logging.getLogger(__name__)

#: Production base URLs; override per platform with ``PULSE_<KEY>_BASE_URL`` or ``base_urls=``.
DEFAULT_BASE_URLS: dict[str, str] = {
    "x": "https://api.x.com",
    "facebook": "https://graph.facebook.com/v24.0",
    "instagram": "https://graph.facebook.com/v24.0",
    "linkedin": "https://api.linkedin.com/rest",
    "youtube": "https://www.googleapis.com/youtube/v3",
    "youtube_analytics": "https://youtubeanalytics.googleapis.com/v2",
    "mastodon": "",  # the account's own instance: https://<instance> from id user@instance
    "bluesky": "https://public.api.bsky.app",
    "bluesky_pds": "https://bsky.social",  # sessions and notifications (app password), the account's PDS
    "tiktok": "https://open.tiktokapis.com",
    # OAuth 2.0 token endpoints, for refresh credentials (docs/connectors.md)
    "youtube_oauth": "https://oauth2.googleapis.com/token",
    "linkedin_oauth": "https://www.linkedin.com/oauth/v2/accessToken",
    "tiktok_oauth": "https://open.tiktokapis.com/v2/oauth/token/",
    "x_oauth": "https://api.x.com/2/oauth2/token",
}
_OAUTH_SUFFIX = "_oauth"


def base_url_env(key: str) -> str:
    return f"PULSE_{key.upper()}_BASE_URL"


def resolve_base_urls(
    overrides: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    settings: Settings | None = None,
) -> dict[str, str]:
    """Defaults, then the settings' ``PULSE_<KEY>_BASE_URL`` values, then explicit ``overrides``."""
    if settings is None:
        settings = get_settings() if environ is None else Settings.from_environ(environ)
    urls = {**DEFAULT_BASE_URLS, **settings.connector_base_urls()}
    if settings.linkedin_version:
        urls["linkedin_version"] = settings.linkedin_version
    urls.update(overrides or {})
    return urls


#: Where each platform's connector lives (imported when a brand has such an account).
CONNECTORS: dict[str, str] = {
    "x": "pulse.connectors.x:XConnector",
    "facebook": "pulse.connectors.facebook:FacebookConnector",
    "instagram": "pulse.connectors.instagram:InstagramConnector",
    "linkedin": "pulse.connectors.linkedin:LinkedInConnector",
    "youtube": "pulse.connectors.youtube:YouTubeConnector",
    "mastodon": "pulse.connectors.mastodon:MastodonConnector",
    "bluesky": "pulse.connectors.bluesky:BlueskyConnector",
    "tiktok": "pulse.connectors.tiktok:TikTokConnector",
}


def connector_class(platform: str) -> type[Connector] | None:
    """The connector of ``platform``, or None when there is none (yet)."""
    target = CONNECTORS.get(platform)
    if target is None:
        return None
    module, _, name = target.partition(":")
    cls: type[Connector] = getattr(importlib.import_module(module), name)
    return cls


_POST_COLS = ["platform", "account", "post_id", "created_at", "text", "impressions", "reach",
              "likes", "comments", "shares", "saves", "clicks"]  # fmt: skip
_MSG_COLS = ["platform", "account", "message_id", "created_at", "author", "from_brand", "in_reply_to", "text"]
_FOL_COLS = ["platform", "account", "date", "followers"]
_DAY_COLS = ["platform", "account", "date", *ACCOUNT_METRICS]


class PlatformSource(Source):
    """Engagement data from the platforms' APIs, incrementally, with a raw archive.

    Parameters
    ----------
    store
        The archive: raw responses, quarantine and checkpoints go there.
    tokens
        Where tokens come from (default: environment, tokens file, Secrets Manager, SSM).
    base_urls
        Per-platform base URL overrides (tests point them at a local server).
    refetch_days
        Posts of the last ``refetch_days`` days are fetched again for fresh metrics.
    budget_seconds
        Time budget of one ``fetch`` (one brand); ``deadline`` (a ``clock()`` value)
        can cap it further, e.g. to the Lambda's remaining time.
    """

    name = "platforms"

    def __init__(
        self,
        store: ObjectStore,
        tokens: TokenProvider | None = None,
        *,
        base_urls: Mapping[str, str] | None = None,
        refetch_days: int | None = None,
        budget_seconds: float | None = None,
        http: HttpClient | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
        on_progress: Progress | None = None,
        settings: Settings | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if settings is None:  # ``environ``: settings from that mapping instead of the process environment
            settings = get_settings() if environ is None else Settings.from_environ(environ)
        self.store = store
        self.tokens = tokens or default_token_provider(settings=settings)
        self.base_urls = resolve_base_urls(base_urls, settings=settings)
        self.refetch_days = refetch_days if refetch_days is not None else settings.fetch_refetch_days
        self.budget_seconds = budget_seconds if budget_seconds is not None else settings.fetch_budget_seconds
        self.clock = clock
        self.http = http or HttpClient(clock=clock)
        self.now = now or (lambda: datetime.now(UTC))
        self.oauth = OAuthTokens(
            self.http,
            {
                k.removesuffix(_OAUTH_SUFFIX): v
                for k, v in self.base_urls.items()
                if k.endswith(_OAUTH_SUFFIX)
            },
            clock=lambda: self.now().timestamp(),
            on_rotate=self.tokens.save,
            reload=self.tokens.fresh,
        )
        self.on_progress = on_progress
        self.checkpoints = CheckpointStore(store)
        self.sessions: dict[Any, Any] = {}
        self.last_report: FetchReport | None = None
        self._pending: dict[tuple[str, str, str], Checkpoint] = {}

    def fetch(
        self,
        brand: Brand,
        start: datetime,
        end: datetime,
        *,
        deadline: float | None = None,
        on_progress: Progress | None = None,
    ) -> Tables:
        now = self.now()
        budget = Budget(self.budget_seconds, self.clock)
        budget.cap(deadline)
        progress = on_progress or self.on_progress
        archive = RawArchive(self.store, f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}")
        report = FetchReport(brand.id, now)
        self.last_report = report
        posts: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        followers: list[dict[str, Any]] = []
        account_days: list[dict[str, Any]] = []
        out_of_time = False
        for account in brand.accounts:
            try:
                run = self._run_for(brand, account, now, start, budget, archive, progress)
            except SourceError as exc:  # an unreadable checkpoint: that account is skipped, not overwritten
                report.accounts.append(AccountReport(account.platform, account.id, errors=[str(exc)]))
                continue
            report.accounts.append(run.report)
            if out_of_time:
                run.report.stopped_by_budget = True
                continue
            cls = connector_class(account.platform)
            if cls is None:
                run.report.errors.append(f"no connector for platform {account.platform!r} yet")
                continue
            try:
                cls(run).execute()
            except BudgetExhaustedError:
                out_of_time = True
            except SourceError as exc:
                run.report.errors.append(redact_text(str(exc), run.secret_values()))
            run.finish()
            # A post seen before whose metrics could not be read this time (its statistics call
            # failed, its insights were refused) is left out: its row would replace the known
            # values with unknown ones.
            posts += [
                {k: v for k, v in r.items() if not k.startswith("_")}
                for r in run.posts.values()
                if r["_new"] or (not r.get("_partial") and any(r[m] is not None for m in POST_METRICS))
            ]
            messages += run.messages.values()
            followers += run.followers
            account_days += run.account_days.values()
            if not run.report.stopped_by_budget and not run.report.errors and not run.report.rate_limited:
                synced = run.checkpoint.synced_from
                run.checkpoint.synced_from = min(filter(None, [synced, start.astimezone(UTC).isoformat()]))
            run.checkpoint.last_run = now.isoformat()
            self._pending[(brand.id, account.platform, account.id)] = run.checkpoint
            for line in run.report.line().splitlines():
                logger.info(line, extra={"brand": brand.id})
        where = f"{brand.id} platforms"
        return Tables(
            posts=normalize("posts", pd.DataFrame(posts or None, columns=_POST_COLS), where=where),
            messages=normalize("messages", pd.DataFrame(messages or None, columns=_MSG_COLS), where=where),
            followers=normalize("followers", pd.DataFrame(followers or None, columns=_FOL_COLS), where=where),
            account_daily=normalize(
                "account_daily", pd.DataFrame(account_days or None, columns=_DAY_COLS), where=where
            ),
        )

    def report(self) -> dict[str, Any] | None:
        return self.last_report.to_dict() if self.last_report else None

    def reply_reach(self) -> dict[str, int | str]:
        """What each platform's connector declared this fetch; the narrowest where accounts differ."""
        out: dict[str, int | str] = {}
        for account in self.last_report.accounts if self.last_report else []:
            if account.reply_reach is not None:
                out[account.platform] = narrowest(out.get(account.platform), account.reply_reach)
        return out

    def problems(self) -> list[str]:
        if self.last_report is None:
            return []
        quarantined = [
            f"{a.platform}/{a.account}: {a.quarantined} response(s) quarantined ({', '.join(a.quarantine_keys)})"
            for a in self.last_report.accounts
            if a.quarantined
        ]
        throttled = [
            f"{a.platform}/{a.account}: stopped by the platform's rate limit ({a.rate_limited})"
            for a in self.last_report.accounts
            if a.rate_limited
        ]
        return self.last_report.errors + quarantined + throttled

    def commit(self, brand: Brand | str | None = None) -> int:  # type: ignore[override]
        """Persist the checkpoints of the last fetch (of ``brand``, or all); call after the lake write."""
        brand_id = brand.id if isinstance(brand, Brand) else brand
        done = 0
        for key in list(self._pending):
            if brand_id is None or key[0] == brand_id:
                self.checkpoints.save(*key, self._pending.pop(key))
                done += 1
        return done

    def _run_for(
        self,
        brand: Brand,
        account: Account,
        now: datetime,
        start: datetime,
        budget: Budget,
        archive: RawArchive,
        progress: Progress | None = None,
    ) -> AccountRun:
        checkpoint = self.checkpoints.load(brand.id, account.platform, account.id)
        base = self.base_urls.get(account.platform, "")
        if account.platform == "mastodon" and not base:
            base = f"https://{account.id.rsplit('@', 1)[-1]}" if "@" in account.id else ""
        token = self.tokens.token(account.platform, account.id)
        return AccountRun(
            brand=brand,
            account=account,
            token=token,
            oauth=self.oauth,
            sessions=self.sessions,
            base_url=base,
            http=self.http,
            archive=archive,
            budget=budget,
            checkpoint=checkpoint,
            now=now,
            start=start.astimezone(UTC),
            refetch_days=self.refetch_days,
            progress=progress,
            extra_base_urls=self.base_urls,
        )
