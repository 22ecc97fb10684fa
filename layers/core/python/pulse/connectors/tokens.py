"""Where platform access tokens come from. Token values are never logged or archived.

A token document (a secret, a parameter or a local file) has one entry per
platform, either one token for every account of that platform or one per
account id::

    {"x": "AAAA...", "facebook": {"123456789": "EAAB...", "987654321": "EAAB..."}}

Platforms whose access tokens are short-lived (YouTube: one hour; X: two
hours; TikTok: a day; LinkedIn: 60 days) take an OAuth 2.0 refresh credential
instead of a token, for the platform or for one account (an X public client,
PKCE without a secret, has no ``client_secret``)::

    {"youtube": {"refresh_token": "1//0g...", "client_id": "....apps.googleusercontent.com",
                 "client_secret": "GOCSPX-..."}}

:class:`OAuthTokens` exchanges it at the platform's token endpoint for an
access token before each account's fetch and caches that token until shortly
before it expires. An environment variable may hold the same JSON object.

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

import base64
import hashlib
import json
import os
import random
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pulse.connectors.http import Budget, HttpClient, HttpError
from pulse.exceptions import ConfigError, SourceError

if TYPE_CHECKING:
    from pulse.settings import Settings

ENV_TOKEN_PREFIX = "PULSE_TOKEN_"
ENV_TOKENS_FILE = "PULSE_TOKENS_FILE"
ENV_TOKENS_SECRET = "PULSE_TOKENS_SECRET"
ENV_TOKENS_PARAMETER_PREFIX = "PULSE_TOKENS_PARAMETER_PREFIX"
#: The form field of the client id at a token endpoint, where it is not ``client_id``.
CLIENT_FIELD = {"tiktok": "client_key"}
#: Platforms whose token endpoint authenticates a confidential client with HTTP Basic
#: (``client_id:client_secret``) instead of form fields, and takes a public client (PKCE, no
#: secret) by its ``client_id`` in the body. X: "Working with confidential clients",
#: https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token
BASIC_AUTH = frozenset({"x"})
#: Platforms that issue a new refresh token on every refresh and invalidate the one used
#: (TikTok; X with ``offline.access``,
#: https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code "Refresh tokens").
ROTATING = frozenset({"tiktok", "x"})


def env_name(platform: str, account_id: str | None = None) -> str:
    """The environment variable holding the token of a platform (or one account of it)."""
    name = f"{ENV_TOKEN_PREFIX}{platform.upper()}"
    if account_id is not None:
        name += "_" + re.sub(r"[^A-Z0-9]", "_", account_id.upper())
    return name


@dataclass(frozen=True, repr=False)
class RefreshCredential:
    """An OAuth 2.0 refresh token and the app (client) it was issued to.

    ``token_url`` overrides the platform's token endpoint. The repr shows the
    client id only, so a credential never reaches a log line by accident.
    """

    refresh_token: str
    client_id: str
    client_secret: str
    token_url: str | None = None

    def __repr__(self) -> str:
        return f"RefreshCredential(client_id={self.client_id!r})"


#: What a provider returns: an access token, or a refresh credential to exchange for one.
Credential = str | RefreshCredential
_REFRESH_FIELDS = ("refresh_token", "client_id", "client_secret")
#: Platforms with public OAuth clients (no secret): their credential needs no ``client_secret``.
PUBLIC_CLIENTS = BASIC_AUTH


def _credential(value: Any, platform: str, account_id: str) -> Credential | None:
    """A token string, or a refresh credential given as a mapping or a JSON object string."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigError(
                f"the {platform} token for {account_id!r} starts with '{{' but is not JSON"
            ) from None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "refresh_token" in value:
        if "client_id" not in value and "client_key" in value:  # TikTok's name for the client id
            value = {**value, "client_id": value["client_key"]}
        needed = _REFRESH_FIELDS[:2] if platform in PUBLIC_CLIENTS else _REFRESH_FIELDS
        missing = [f for f in needed if not isinstance(value.get(f), str) or not value.get(f)]
        if missing:
            raise ConfigError(
                f"the {platform} refresh credential for {account_id!r} lacks {', '.join(missing)} "
                f"(it needs {', '.join(_REFRESH_FIELDS)}; see docs/connectors.md)"
            )
        url = value.get("token_url")
        secret = value.get("client_secret")
        return RefreshCredential(
            value["refresh_token"],
            value["client_id"],
            secret if isinstance(secret, str) else "",
            url if isinstance(url, str) else None,
        )
    return None


def _from_document(doc: Any, platform: str, account_id: str) -> Credential | None:
    if not isinstance(doc, Mapping):
        return None
    entry = doc.get(platform)
    if isinstance(entry, Mapping) and "refresh_token" not in entry:
        entry = entry.get(account_id, entry.get("*"))
    return _credential(entry, platform, account_id)


def credential_document(credential: RefreshCredential) -> dict[str, str]:
    """A refresh credential as stored in a token document."""
    doc = {"refresh_token": credential.refresh_token, "client_id": credential.client_id}
    if credential.client_secret:  # a public client (X with PKCE) has none
        doc["client_secret"] = credential.client_secret
    if credential.token_url:
        doc["token_url"] = credential.token_url
    return doc


def _replaced(doc: Any, platform: str, account_id: str, credential: RefreshCredential) -> dict[str, Any]:
    """``doc`` with the account's credential replaced (where it was: per account, or the platform's)."""
    out = dict(doc) if isinstance(doc, Mapping) else {}
    entry = out.get(platform)
    value = credential_document(credential)
    if isinstance(entry, Mapping) and "refresh_token" not in entry:
        out[platform] = {**entry, account_id if account_id in entry or "*" not in entry else "*": value}
    else:
        out[platform] = value
    return out


class TokenProvider(ABC):
    """Returns the token (or refresh credential) for an account, or None when this provider has none."""

    @abstractmethod
    def token(self, platform: str, account_id: str) -> Credential | None: ...

    def fresh(self, platform: str, account_id: str) -> Credential | None:
        """The credential as stored right now, past any cache (another fetch may have rotated it)."""
        return self.token(platform, account_id)

    def save(self, platform: str, account_id: str, credential: RefreshCredential) -> None:
        """Store a rotated refresh credential (TikTok issues a new refresh token on every refresh and
        the old one stops working). Raises :class:`SourceError` where the store cannot be written."""
        raise SourceError(
            f"{platform} account {account_id!r}: the refresh token was rotated but {type(self).__name__} "
            "cannot store the new one; keep this credential in the tokens file, Secrets Manager or SSM"
        )


class StaticTokens(TokenProvider):
    """Tokens given in code (tests, scripts): a token document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document

    def token(self, platform: str, account_id: str) -> Credential | None:
        return _from_document(self.document, platform, account_id)

    def save(self, platform: str, account_id: str, credential: RefreshCredential) -> None:
        self.document = _replaced(self.document, platform, account_id, credential)


class EnvTokens(TokenProvider):
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        from pulse.settings import token_environment

        self.environ = token_environment() if environ is None else environ

    def token(self, platform: str, account_id: str) -> Credential | None:
        value = self.environ.get(env_name(platform, account_id)) or self.environ.get(env_name(platform))
        return _credential(value, platform, account_id) if value else None


class FileTokens(TokenProvider):
    """A JSON or YAML token document on disk (read once)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._doc: Any = None

    def token(self, platform: str, account_id: str) -> Credential | None:
        if self._doc is None:
            try:
                self._doc = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
            except OSError as exc:
                raise ConfigError(f"cannot read tokens file {self.path}: {exc.strerror}") from exc
            except yaml.YAMLError as exc:
                raise ConfigError(f"tokens file {self.path} is not valid JSON/YAML") from exc
        return _from_document(self._doc, platform, account_id)

    def fresh(self, platform: str, account_id: str) -> Credential | None:
        self._doc = None
        return self.token(platform, account_id)

    def save(self, platform: str, account_id: str, credential: RefreshCredential) -> None:
        """Rewrite the file with the new credential (written beside it, then renamed over it), under
        an exclusive lock on ``.<name>.lock`` so two fetches saving different accounts keep both."""
        import fcntl

        lock = self.path.with_name(f".{self.path.name}.lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise SourceError(f"cannot lock tokens file {self.path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._doc = None
            self.token(platform, account_id)  # the file as it is now
            doc = _replaced(self._doc, platform, account_id, credential)
            text = (
                json.dumps(doc, indent=2, ensure_ascii=False)
                if self.path.suffix == ".json"
                else yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
            )
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            try:
                tmp.write_text(text, encoding="utf-8")
                tmp.chmod(self.path.stat().st_mode & 0o777)
                tmp.replace(self.path)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise SourceError(f"cannot write tokens file {self.path}: {exc.strerror}") from None
            self._doc = doc
        finally:
            os.close(fd)  # releases the lock


#: The staging label of a token document written but not yet made current (:meth:`SecretsManagerTokens.save`).
PENDING_STAGE = "PULSE_PENDING"
SAVE_ATTEMPTS = 8


class SecretsManagerTokens(TokenProvider):
    """A JSON token document in AWS Secrets Manager, via Powertools (cached ``max_age`` seconds)."""

    def __init__(
        self,
        secret_id: str,
        *,
        boto3_client: Any = None,
        max_age: int = 300,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.secret_id = secret_id
        self.boto3_client = boto3_client
        self.max_age = max_age
        self.sleep = sleep
        self._provider: Any = None
        self._saved: dict[tuple[str, str], Credential] = {}

    def _document(self, *, force: bool = False) -> Any:
        """The secret's ``AWSCURRENT`` document: Powertools' copy cached ``max_age`` seconds, or
        ``GetSecretValue`` now when ``force``."""
        from aws_lambda_powertools.utilities.parameters import SecretsProvider
        from aws_lambda_powertools.utilities.parameters.exceptions import (
            GetParameterError,
            TransformParameterError,
        )

        if self._provider is None:
            self._provider = SecretsProvider(boto3_client=self.boto3_client)
        try:
            return self._provider.get(
                self.secret_id,
                transform="json",
                max_age=self.max_age,
                force_fetch=force,
                VersionStage="AWSCURRENT",
            )
        except (GetParameterError, TransformParameterError) as exc:
            # The message names the secret, never its value.
            raise SourceError(f"cannot read tokens secret {self.secret_id!r}: {type(exc).__name__}") from None

    def token(self, platform: str, account_id: str) -> Credential | None:
        doc = self._document()
        return self._saved.get((platform, account_id)) or _from_document(doc, platform, account_id)

    def fresh(self, platform: str, account_id: str) -> Credential | None:
        """The secret's current version (``GetSecretValue`` now, not Powertools' cached copy)."""
        value = _from_document(self._document(force=True), platform, account_id)
        if isinstance(value, RefreshCredential):
            self._saved = {**self._saved, (platform, account_id): value}
        return value

    def save(self, platform: str, account_id: str, credential: RefreshCredential) -> None:
        """Store the secret's current document with the new credential, as a compare-and-set.

        Secrets Manager has no conditional put, but moving a staging label is conditional: the
        new document is put as a version labelled ``PULSE_PENDING`` (not current yet), then
        ``UpdateSecretVersionStage`` moves ``AWSCURRENT`` to it *from the version it was built
        on*, which fails if another writer (a fetch rotating another account) moved it since;
        then it starts again from that writer's version. The function needs
        ``secretsmanager:PutSecretValue`` and ``secretsmanager:UpdateSecretVersionStage`` on the
        secret. The credential is kept in memory too, over Powertools' cache.
        """
        import boto3

        client = self.boto3_client or boto3.client("secretsmanager")

        def failed(why: str) -> SourceError:  # names the secret, never its content
            return SourceError(
                f"cannot store the rotated {platform} refresh token in secret {self.secret_id!r}: {why}"
            )

        for attempt in range(SAVE_ATTEMPTS):
            if attempt:  # lost a race: a short randomised wait, then from the winner's version
                self.sleep(random.uniform(0, 0.02 * 2**attempt))
            try:
                current = client.get_secret_value(SecretId=self.secret_id, VersionStage="AWSCURRENT")
                doc = _replaced(json.loads(current["SecretString"]), platform, account_id, credential)
                pending = client.put_secret_value(
                    SecretId=self.secret_id, SecretString=json.dumps(doc), VersionStages=[PENDING_STAGE]
                )["VersionId"]
            except Exception as exc:  # botocore's errors, a secret that is not JSON
                raise failed(type(exc).__name__) from None
            try:
                client.update_secret_version_stage(
                    SecretId=self.secret_id,
                    VersionStage="AWSCURRENT",
                    MoveToVersionId=pending,
                    RemoveFromVersionId=current["VersionId"],
                )
            except Exception as exc:
                code = getattr(exc, "response", {}).get("Error", {}).get("Code")
                if code == "InvalidParameterException":  # AWSCURRENT moved since we read it: again
                    continue
                raise failed(type(exc).__name__) from None
            self._saved = {**self._saved, (platform, account_id): credential}
            return
        raise failed(f"other writers kept changing it ({SAVE_ATTEMPTS} attempts)")


class SsmTokens(TokenProvider):
    """SecureString parameters ``<prefix>/<platform>``: a token, or a JSON document per account."""

    def __init__(self, prefix: str, *, boto3_client: Any = None, max_age: int = 300) -> None:
        self.prefix = prefix.rstrip("/")
        self.boto3_client = boto3_client
        self.max_age = max_age
        self._provider: Any = None
        self._saved: dict[tuple[str, str], Credential] = {}

    def token(self, platform: str, account_id: str) -> Credential | None:
        from aws_lambda_powertools.utilities.parameters import SSMProvider
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        if (platform, account_id) in self._saved:
            return self._saved[(platform, account_id)]
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

    def save(self, platform: str, account_id: str, credential: RefreshCredential) -> None:
        """``PutParameter`` (SecureString, overwrite) of ``<prefix>/<platform>`` with the new credential
        (the function needs ``ssm:PutParameter`` and ``kms:Encrypt`` there)."""
        import boto3

        client = self.boto3_client or boto3.client("ssm")
        name = f"{self.prefix}/{platform}"
        try:
            current = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
            entry = json.loads(current) if current.lstrip().startswith("{") else {}
            doc = _replaced({platform: entry}, platform, account_id, credential)[platform]
            client.put_parameter(Name=name, Value=json.dumps(doc), Type="SecureString", Overwrite=True)
        except Exception as exc:  # botocore's errors: never the parameter's value
            raise SourceError(
                f"cannot store the rotated {platform} refresh token in {name}: {type(exc).__name__}"
            ) from None
        self._saved = {**self._saved, (platform, account_id): credential}


class ChainTokens(TokenProvider):
    """The first provider that has a token wins."""

    def __init__(self, *providers: TokenProvider) -> None:
        self.providers = providers

    def token(self, platform: str, account_id: str) -> Credential | None:
        for provider in self.providers:
            value = provider.token(platform, account_id)
            if value:
                return value
        return None

    def fresh(self, platform: str, account_id: str) -> Credential | None:
        for provider in self.providers:
            if provider.token(platform, account_id):
                return provider.fresh(platform, account_id)
        return None

    def save(self, platform: str, account_id: str, credential: RefreshCredential) -> None:
        """Store where the credential came from (the first provider that has one)."""
        for provider in self.providers:
            if provider.token(platform, account_id):
                provider.save(platform, account_id, credential)
                return
        super().save(platform, account_id, credential)


def default_token_provider(
    environ: Mapping[str, str] | None = None,
    *,
    settings: Settings | None = None,
    secrets_client: Any = None,
    ssm_client: Any = None,
) -> TokenProvider:
    """Token variables (``PULSE_TOKEN_<PLATFORM>[_<ACCOUNT>]``, named after each account, so read from
    the environment itself), then the tokens file, Secrets Manager, SSM, as the settings say."""
    from pulse.settings import Settings, get_settings, token_environment

    env = token_environment() if environ is None else environ
    if settings is None:
        settings = get_settings() if environ is None else Settings.from_environ(environ)
    chain: list[TokenProvider] = [EnvTokens(env)]
    if settings.tokens_file:
        chain.append(FileTokens(settings.tokens_file))
    if settings.tokens_secret:
        chain.append(SecretsManagerTokens(settings.tokens_secret, boto3_client=secrets_client))
    if settings.tokens_parameter_prefix:
        chain.append(SsmTokens(settings.tokens_parameter_prefix, boto3_client=ssm_client))
    return ChainTokens(*chain)


class OAuthTokens:
    """Access tokens obtained from refresh credentials, cached until shortly before they expire.

    Parameters
    ----------
    http
        The client for the token endpoint (its retries and budget apply).
    token_urls
        Token endpoint per platform (YouTube, LinkedIn, TikTok, X); a credential's
        own ``token_url`` wins.
    margin
        Seconds before the expiry at which a cached token is renewed.
    on_rotate
        Stores a rotated refresh credential (``TokenProvider.save``). Called *before*
        the new access token is returned, so no request uses it while the only valid
        refresh token exists in memory alone.
    reload
        Reads an account's credential again past every cache (``TokenProvider.fresh``).
        When a rotating platform (X, TikTok) refuses the refresh token, another fetch
        may have used and rotated it since this one read it: the exchange is retried
        once with the stored one if it differs.

    Rotation assumes one writer per account at a time: the scheduled fetch is one
    invocation that walks the brands' accounts in turn. A manual ``pulse fetch`` of
    the same account at the same moment can lose the race; it then gets the retry
    above, and if both exchanges used the same token, the loser's error says to
    authorise the account again (docs/connectors.md).
    """

    def __init__(
        self,
        http: HttpClient,
        token_urls: Mapping[str, str],
        *,
        clock: Callable[[], float] = time.time,
        margin: float = 300.0,
        on_rotate: Callable[[str, str, RefreshCredential], None] | None = None,
        reload: Callable[[str, str], Credential | None] | None = None,
    ) -> None:
        self.http = http
        self.reload = reload
        self.token_urls = dict(token_urls)
        self.clock = clock
        self.margin = margin
        self.on_rotate = on_rotate
        #: Rotated refresh tokens that could not be stored, per (platform, account): reported by the run.
        self.rotation_errors: dict[tuple[str, str], str] = {}
        self._cache: dict[tuple[str, str, str], tuple[str, float]] = {}

    def access_token(
        self, platform: str, account_id: str, credential: RefreshCredential, budget: Budget | None = None
    ) -> str:
        """A valid access token for the account; raises :class:`SourceError` saying what to do."""
        where = f"{platform} account {account_id!r}"
        url = credential.token_url or self.token_urls.get(platform)
        if not url:
            raise SourceError(
                f"{where}: refresh credentials are supported for {', '.join(sorted(self.token_urls))}; "
                f"give {platform} an access token instead (docs/connectors.md)"
            )
        fingerprint = hashlib.sha256(credential.refresh_token.encode()).hexdigest()[:16]
        key = (platform, account_id, fingerprint)
        cached = self._cache.get(key)
        if cached and cached[1] - self.margin > self.clock():
            return cached[0]
        try:
            response = self._exchange(platform, url, credential, budget)
        except HttpError as exc:
            reason = _oauth_error(exc.body)
            stored = self.reload(platform, account_id) if self.reload and platform in ROTATING else None
            if (
                exc.status in (400, 401)
                and isinstance(stored, RefreshCredential)
                and stored.refresh_token != credential.refresh_token
            ):  # rotated by another fetch since this one read it: use the stored one
                return self.access_token(platform, account_id, stored, budget)
            raise SourceError(
                f"{where}: the token endpoint refused the refresh token (HTTP {exc.status}{reason}); "
                "authorise the account again and store its new refresh token"
                + (" (docs/connectors.md, 'Refresh credentials', X)" if platform == "x" else "")
            ) from None
        try:
            doc = response.json()
            token, lifetime = doc["access_token"], float(doc.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError, AttributeError):
            token, lifetime = None, 0.0
        if not isinstance(token, str) or not token:
            raise SourceError(f"{where}: the token endpoint answered without an access_token")
        self._cache[key] = (token, self.clock() + lifetime)
        rotated = doc.get("refresh_token")
        if isinstance(rotated, str) and rotated and rotated != credential.refresh_token:
            renewed = RefreshCredential(
                rotated, credential.client_id, credential.client_secret, credential.token_url
            )
            fingerprint = hashlib.sha256(rotated.encode()).hexdigest()[:16]
            self._cache[(platform, account_id, fingerprint)] = (token, self.clock() + lifetime)
            try:
                if self.on_rotate is None:
                    raise SourceError(
                        f"{where}: the refresh token was rotated and there is no token store to keep it"
                    )
                self.on_rotate(platform, account_id, renewed)
            except SourceError as exc:
                self.rotation_errors[(platform, account_id)] = str(exc)
        return token

    def _exchange(self, platform: str, url: str, credential: RefreshCredential, budget: Budget | None) -> Any:
        """POST the ``refresh_token`` grant (RFC 6749 section 6) the way the platform authenticates clients."""
        form = {"grant_type": "refresh_token", "refresh_token": credential.refresh_token}
        headers: dict[str, str] = {}
        if platform in BASIC_AUTH and credential.client_secret:  # a confidential client
            pair = f"{credential.client_id}:{credential.client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            form[CLIENT_FIELD.get(platform, "client_id")] = credential.client_id
            if credential.client_secret:
                form["client_secret"] = credential.client_secret
        return self.http.post_form(url, form, headers=headers, budget=budget)


def _oauth_error(body: str) -> str:
    """``": invalid_grant"`` from an RFC 6749 error body, or nothing."""
    try:
        doc = json.loads(body)
    except ValueError:
        return ""
    error = doc.get("error") if isinstance(doc, Mapping) else None
    return f": {error}" if isinstance(error, str) and re.fullmatch(r"[a-z_]{1,40}", error) else ""
