"""Connectors to the platforms' APIs, behind the :class:`~pulse.sources.Source` interface.

See ``docs/connectors.md``. :class:`PlatformSource` dispatches each account of
a brand to its platform's connector; all share :mod:`pulse.connectors.http`
(retries, rate limits, time budget), :mod:`pulse.connectors.archive` (raw
archive, quarantine, checkpoints) and :mod:`pulse.connectors.tokens`.
"""

from __future__ import annotations

from pulse.connectors.archive import CheckpointStore, RawArchive, account_slug
from pulse.connectors.base import AccountReport, FetchReport
from pulse.connectors.http import Budget, BudgetExhaustedError, HttpClient, HttpError, RetryPolicy
from pulse.connectors.source import DEFAULT_BASE_URLS, PlatformSource
from pulse.connectors.tokens import (
    ChainTokens,
    EnvTokens,
    FileTokens,
    SecretsManagerTokens,
    SsmTokens,
    StaticTokens,
    TokenProvider,
    default_token_provider,
)

__all__ = [
    "DEFAULT_BASE_URLS",
    "AccountReport",
    "Budget",
    "BudgetExhaustedError",
    "ChainTokens",
    "CheckpointStore",
    "EnvTokens",
    "FetchReport",
    "FileTokens",
    "HttpClient",
    "HttpError",
    "PlatformSource",
    "RawArchive",
    "RetryPolicy",
    "SecretsManagerTokens",
    "SsmTokens",
    "StaticTokens",
    "TokenProvider",
    "account_slug",
    "default_token_provider",
]
