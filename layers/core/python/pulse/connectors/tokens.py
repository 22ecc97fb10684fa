"""Where platform access tokens come from. Token values are never logged or archived.

A token document (a secret, a parameter or a local file) has one entry per
platform, either one token for every account of that platform or one per
account id::

    {"x": "AAAA...", "facebook": {"123456789": "EAAB...", "987654321": "EAAB..."}}

Lookup order of :func:`default_token_provider`: environment variables
``PULSE_TOKEN_<PLATFORM>_<ACCOUNT>`` then ``PULSE_TOKEN_<PLATFORM>`` (ACCOUNT is the
account id upper-cased with every other character than A-Z and 0-9 replaced
by ``_``), then the file at ``PULSE_TOKENS_FILE`` (JSON or YAML, keep it
outside the repository), then the Secrets Manager secret
``PULSE_TOKENS_SECRET`` (a JSON document) or the SSM parameters under
``PULSE_TOKENS_PARAMETER_PREFIX`` (``<prefix>/<platform>``, SecureString,
holding a token or a JSON document).
"""

from __future__ import annotations

import json
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from pulse.exceptions import ConfigError, SourceError

ENV_TOKEN_PREFIX = "PULSE_TOKEN_"
ENV_TOKENS_FILE = "PULSE_TOKENS_FILE"
ENV_TOKENS_SECRET = "PULSE_TOKENS_SECRET"
ENV_TOKENS_PARAMETER_PREFIX = "PULSE_TOKENS_PARAMETER_PREFIX"


def env_name(platform: str, account_id: str | None = None) -> str:
    """The environment variable holding the token of a platform (or one account of it)."""
    name = f"{ENV_TOKEN_PREFIX}{platform.upper()}"
    if account_id is not None:
        name += "_" + re.sub(r"[^A-Z0-9]", "_", account_id.upper())
    return name


def _from_document(doc: Any, platform: str, account_id: str) -> str | None:
    if not isinstance(doc, Mapping):
        return None
    entry = doc.get(platform)
    if isinstance(entry, str):
        return entry
    if isinstance(entry, Mapping):
        value = entry.get(account_id, entry.get("*"))
        return value if isinstance(value, str) else None
    return None


class TokenProvider(ABC):
    """Returns the token for an account, or None when this provider has none."""

    @abstractmethod
    def token(self, platform: str, account_id: str) -> str | None: ...


class StaticTokens(TokenProvider):
    """Tokens given in code (tests, scripts): a token document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document

    def token(self, platform: str, account_id: str) -> str | None:
        return _from_document(self.document, platform, account_id)


class EnvTokens(TokenProvider):
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def token(self, platform: str, account_id: str) -> str | None:
        return self.environ.get(env_name(platform, account_id)) or self.environ.get(env_name(platform))


class FileTokens(TokenProvider):
    """A JSON or YAML token document on disk (read once)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._doc: Any = None

    def token(self, platform: str, account_id: str) -> str | None:
        if self._doc is None:
            try:
                self._doc = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
            except OSError as exc:
                raise ConfigError(f"cannot read tokens file {self.path}: {exc.strerror}") from exc
            except yaml.YAMLError as exc:
                raise ConfigError(f"tokens file {self.path} is not valid JSON/YAML") from exc
        return _from_document(self._doc, platform, account_id)


class SecretsManagerTokens(TokenProvider):
    """A JSON token document in AWS Secrets Manager, via Powertools (cached ``max_age`` seconds)."""

    def __init__(self, secret_id: str, *, boto3_client: Any = None, max_age: int = 300) -> None:
        self.secret_id = secret_id
        self.boto3_client = boto3_client
        self.max_age = max_age
        self._provider: Any = None

    def token(self, platform: str, account_id: str) -> str | None:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider
        from aws_lambda_powertools.utilities.parameters.exceptions import (
            GetParameterError,
            TransformParameterError,
        )

        if self._provider is None:
            self._provider = SecretsProvider(boto3_client=self.boto3_client)
        try:
            doc = self._provider.get(self.secret_id, transform="json", max_age=self.max_age)
        except (GetParameterError, TransformParameterError) as exc:
            # The message names the secret, never its value.
            raise SourceError(f"cannot read tokens secret {self.secret_id!r}: {type(exc).__name__}") from None
        return _from_document(doc, platform, account_id)


class SsmTokens(TokenProvider):
    """SecureString parameters ``<prefix>/<platform>``: a token, or a JSON document per account."""

    def __init__(self, prefix: str, *, boto3_client: Any = None, max_age: int = 300) -> None:
        self.prefix = prefix.rstrip("/")
        self.boto3_client = boto3_client
        self.max_age = max_age
        self._provider: Any = None

    def token(self, platform: str, account_id: str) -> str | None:
        from aws_lambda_powertools.utilities.parameters import SSMProvider
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        if self._provider is None:
            self._provider = SSMProvider(boto3_client=self.boto3_client)
        try:
            value = self._provider.get(f"{self.prefix}/{platform}", decrypt=True, max_age=self.max_age)
        except GetParameterError:
            return None
        if not isinstance(value, str):
            return None
        if value.lstrip().startswith("{"):
            try:
                return _from_document({platform: json.loads(value)}, platform, account_id)
            except ValueError:
                raise SourceError(f"parameter {self.prefix}/{platform} is not valid JSON") from None
        return value


class ChainTokens(TokenProvider):
    """The first provider that has a token wins."""

    def __init__(self, *providers: TokenProvider) -> None:
        self.providers = providers

    def token(self, platform: str, account_id: str) -> str | None:
        for provider in self.providers:
            value = provider.token(platform, account_id)
            if value:
                return value
        return None


def default_token_provider(
    environ: Mapping[str, str] | None = None, *, secrets_client: Any = None, ssm_client: Any = None
) -> TokenProvider:
    """Environment, then the tokens file, then Secrets Manager / SSM, as configured by the environment."""
    env = os.environ if environ is None else environ
    chain: list[TokenProvider] = [EnvTokens(env)]
    if env.get(ENV_TOKENS_FILE):
        chain.append(FileTokens(env[ENV_TOKENS_FILE]))
    if env.get(ENV_TOKENS_SECRET):
        chain.append(SecretsManagerTokens(env[ENV_TOKENS_SECRET], boto3_client=secrets_client))
    if env.get(ENV_TOKENS_PARAMETER_PREFIX):
        chain.append(SsmTokens(env[ENV_TOKENS_PARAMETER_PREFIX], boto3_client=ssm_client))
    return ChainTokens(*chain)
