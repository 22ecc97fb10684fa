"""One typed settings object, read from the environment once.

Every environment variable the project reads is declared here, prefixed
``PULSE_``. An explicit argument beats the environment; local defaults need no
configuration at all (archive in ``./out/archive``, mail in ``./out/outbox``,
the built-in demo brands).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MailTransport = Literal["outbox", "ses", "smtp"]
SentimentBackend = Literal["builtin", "comprehend"]


class Settings(BaseSettings):
    """Runtime settings.

    ``archive`` is a local directory or an ``s3://bucket[/prefix]`` URL; the key
    layout below it is the same in both cases.
    """

    model_config = SettingsConfigDict(env_prefix="PULSE_", extra="ignore")

    archive: str = Field(default="out/archive", description="Local directory or s3://bucket[/prefix]")
    config: str | None = Field(
        default=None,
        description="Brands YAML: a file path or s3://bucket/key (pulse brands push); demo brands if unset",
    )
    config_ttl_seconds: float = Field(
        default=60, ge=0, description="How long a warm process trusts its copy of an s3:// brands file"
    )
    mail_transport: MailTransport = "outbox"
    outbox: Path = Path("out/outbox")
    mail_from: str = "Community Pulse <reports@community-pulse.invalid>"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    ses_configuration_set: str | None = None
    browser: str | None = Field(default=None, description="Path of a Chrome/Chromium binary")
    sentiment_backend: SentimentBackend = "builtin"
    public_base_url: str | None = Field(
        default=None, description="Base URL of the HTTP API, used for links in mails"
    )
    data_source: Literal["demo", "platforms"] = Field(
        default="demo", description="demo: generated data; platforms: the social platforms' APIs"
    )
    tokens_file: Path | None = Field(
        default=None, description="JSON/YAML file of platform tokens (outside the repo)"
    )
    tokens_secret: str | None = Field(
        default=None, description="Secrets Manager secret holding the tokens (JSON)"
    )
    tokens_parameter_prefix: str | None = Field(
        default=None, description="SSM prefix of the tokens (<prefix>/<platform>)"
    )
    fetch_budget_seconds: float = Field(default=600, description="Time budget of one brand's fetch")
    fetch_refetch_days: int = Field(
        default=7, description="Posts of the last N days are re-fetched for metrics"
    )
    state_dir: Path = Field(default=Path("out/state"), description="Local idempotency records and job status")
    idempotency_table: str | None = Field(default=None, description="DynamoDB table for idempotency (AWS)")
    report_queue_url: str | None = Field(default=None, description="SQS queue of report jobs (AWS fan-out)")
    api_key: SecretStr | None = Field(default=None, description="Require this x-api-key on the local API")
    alert_topic_arn: str | None = Field(
        default=None, description="SNS topic that also receives incident alerts"
    )
    alert_webhooks_secret: str | None = Field(
        default=None,
        description='Secrets Manager secret of chat webhooks per brand: {"brand": [{"kind", "url"}]}',
    )
    share_key_secret: str | None = Field(
        default=None, description="Secrets Manager secret holding the share-link keys (AWS)"
    )
    share_key_file: Path | None = Field(
        default=None, description="Local share-link key file (default: <state_dir>/share-keys.json)"
    )
    mail_max_bytes: int = Field(
        default=10_000_000, description="Largest email; a bigger PDF is linked instead of attached"
    )
    # ---- platform connectors: API base URLs (tests point them at local fakes), versions
    x_base_url: str | None = Field(default=None, description="X API base URL (default https://api.x.com)")
    facebook_base_url: str | None = Field(default=None, description="Graph API base URL with its version")
    instagram_base_url: str | None = Field(default=None, description="Graph API base URL for Instagram")
    linkedin_base_url: str | None = Field(default=None, description="LinkedIn /rest base URL")
    linkedin_version: str | None = Field(default=None, description="LinkedIn-Version header, YYYYMM")
    youtube_base_url: str | None = Field(default=None, description="YouTube Data API v3 base URL")
    youtube_analytics_base_url: str | None = Field(
        default=None, description="YouTube Analytics API v2 base URL"
    )
    mastodon_base_url: str | None = Field(
        default=None, description="Mastodon instance (default: from user@instance)"
    )
    bluesky_base_url: str | None = Field(default=None, description="Bluesky AppView base URL")
    bluesky_pds_base_url: str | None = Field(
        default=None, description="Bluesky PDS (sessions, notifications)"
    )
    tiktok_base_url: str | None = Field(default=None, description="TikTok API base URL")
    youtube_oauth_base_url: str | None = Field(default=None, description="Google OAuth token endpoint")
    linkedin_oauth_base_url: str | None = Field(default=None, description="LinkedIn OAuth token endpoint")
    tiktok_oauth_base_url: str | None = Field(default=None, description="TikTok OAuth token endpoint")
    x_oauth_base_url: str | None = Field(default=None, description="X OAuth 2.0 token endpoint")

    def connector_base_urls(self) -> dict[str, str]:
        """The connector base URLs set here, by key (``x``, ``youtube_analytics``, ``tiktok_oauth``...)."""
        return {
            name.removesuffix("_base_url"): value
            for name, value in self.model_dump().items()
            if name.endswith("_base_url") and value
        }

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Settings read from ``environ`` only, not the process environment (explicit wiring, tests)."""

        class Only(cls):  # type: ignore[valid-type,misc]
            @classmethod
            def settings_customise_sources(
                cls, settings_cls: Any, init_settings: Any, *args: Any, **kwargs: Any
            ) -> Any:
                return (init_settings,)

        values = {
            name: environ[f"PULSE_{name.upper()}"]
            for name in cls.model_fields
            if f"PULSE_{name.upper()}" in environ
        }
        return Only(**values)


def token_environment() -> dict[str, str]:
    """The ``PULSE_TOKEN_<PLATFORM>[_<ACCOUNT>]`` variables: named after each account, so not fields
    of :class:`Settings`, but read here like every other variable."""
    import os

    return {k: v for k, v in os.environ.items() if k.startswith("PULSE_TOKEN_")}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process (one cold start in Lambda)."""
    return Settings()
