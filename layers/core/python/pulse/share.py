"""Share links: URLs that open a brand's reports for people who hold no credentials.

A share link carries a token signed with HMAC-SHA256. The token says which brand,
which month (or every month), which file (or every file), when it was issued and
when it expires, and which key signed it::

    <key id>.<payload>.<signature>
    payload   = base64url(JSON {"b": brand, "m": "YYYY-MM" | "*", "f": file | "*", "iat": s, "exp": s})
    signature = base64url(HMAC-SHA256(keys[key id], "pulse-share-v1." + key id + "." + payload))

The signature covers the encoded text, so changing any character of the key id
or of the payload makes it wrong. Keys live in a JSON document
``{"current": "<id>", "<id>": "<secret>", ...}``: in AWS Secrets Manager on AWS,
in a file created ``0600`` outside the repository locally. New links are signed
with the current key; a link verifies while its key id is still in the document.
Revoking every link signed with a key is removing that key (after rotating, if it
was the current one); revoking one brand's links is its ``sharing.revoked_before``.

URLs (served without IAM by the public routes of :mod:`pulse.share_routes`)::

    <base>/share/<token>                    the brand's archive page (the months the token covers)
    <base>/share/<token>/<YYYY-MM>/<file>   one file of one month
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulse.config import Brand, validate_brand_id
from pulse.exceptions import (
    ConfigError,
    ExpiredShareLinkError,
    InvalidShareLinkError,
    RevokedShareLinkError,
    ShareNotAllowedError,
    ShareScopeError,
)
from pulse.period import Month

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

    from pulse.settings import Settings

#: Every month of the brand / every file of the month.
ANY = "*"
#: Files a share link may open (the archived report's files).
SHAREABLE_FILES = ("report.html", "report.pdf", "kpis.json")
#: Where `make serve` listens: the base of share links made locally without PULSE_PUBLIC_BASE_URL.
LOCAL_BASE_URL = "http://127.0.0.1:8080"

#: The path prefix of the public routes (no API key, no IAM: the token is the credential).
PUBLIC_PREFIX = "/share/"

_DOMAIN = b"pulse-share-v1."
_KEY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_TOKEN = re.compile(r"^([a-z0-9][a-z0-9-]{0,31})\.([A-Za-z0-9_-]{16,512})\.([A-Za-z0-9_-]{43})$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def is_public(path: str) -> bool:
    """Whether ``path`` is a public share route (no API key, no IAM)."""
    return path.startswith(PUBLIC_PREFIX)


# ---------------------------------------------------------------- keys


@dataclass(frozen=True)
class ShareKeys:
    """The signing keys: ``current`` signs new links, every key listed verifies."""

    current: str
    keys: Mapping[str, str]

    def __post_init__(self) -> None:
        for key_id, secret in self.keys.items():
            if not _KEY_ID.fullmatch(key_id) or key_id == "current":
                raise ConfigError(f"share key id {key_id!r}: use 1-32 lower-case letters, digits, hyphens")
            if len(secret) < 32:
                raise ConfigError(f"share key {key_id!r} is too short (32 characters at least)")
        if self.current not in self.keys:
            raise ConfigError(f"the current share key {self.current!r} is not in the key document")

    @classmethod
    def from_document(cls, doc: Any, source: str) -> ShareKeys:
        """Read ``{"current": "<id>", "<id>": "<secret>", ...}`` (the names, never the values, in errors)."""
        if not isinstance(doc, dict) or not isinstance(doc.get("current"), str):
            raise ConfigError(f'{source}: expected a JSON object with "current" and one field per key')
        keys = {k: v for k, v in doc.items() if k != "current"}
        if not all(isinstance(v, str) for v in keys.values()):
            raise ConfigError(f"{source}: every key must be a string")
        try:
            return cls(doc["current"], keys)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None

    def to_document(self) -> dict[str, str]:
        return {"current": self.current, **self.keys}

    @classmethod
    def generate(cls, key_id: str = "k1") -> ShareKeys:
        return cls(key_id, {key_id: secrets.token_urlsafe(48)})

    def rotated(self) -> ShareKeys:
        """A new current key; the older ones keep verifying until revoked."""
        numbers = [int(k[1:]) for k in self.keys if re.fullmatch(r"k\d+", k)]
        key_id = f"k{max(numbers, default=0) + 1}"
        return ShareKeys(key_id, {**self.keys, key_id: secrets.token_urlsafe(48)})

    def revoked(self, key_id: str) -> ShareKeys:
        """Without ``key_id``: every link it signed stops opening."""
        if key_id not in self.keys:
            raise ConfigError(f"no share key {key_id!r} (keys: {', '.join(self.keys)})")
        if key_id == self.current:
            raise ConfigError(f"{key_id!r} is the current key: rotate first, then revoke it")
        return ShareKeys(self.current, {k: v for k, v in self.keys.items() if k != key_id})


class KeySource(ABC):
    """Where the share keys are kept."""

    #: Human-readable location (a path or a secret's name), never the keys.
    location: str

    @abstractmethod
    def load(self) -> ShareKeys: ...

    @abstractmethod
    def save(self, keys: ShareKeys) -> None: ...


class KeyFile(KeySource):
    """A JSON key document in a local file, created with a fresh key (mode 0600) on first use."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)

    def load(self) -> ShareKeys:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            keys = ShareKeys.generate()
            self._write(keys, exclusive=True)
            return self.load()  # another process may have won the race: read what is there
        except OSError as exc:
            raise ConfigError(f"cannot read share keys {self.path}: {exc.strerror}") from exc
        try:
            doc = json.loads(text)
        except ValueError:
            raise ConfigError(f"share keys {self.path}: not valid JSON") from None
        return ShareKeys.from_document(doc, str(self.path))

    def save(self, keys: ShareKeys) -> None:
        self._write(keys, exclusive=False)

    def _write(self, keys: ShareKeys, *, exclusive: bool) -> None:
        data = json.dumps(keys.to_document(), indent=2).encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-share-")  # mkstemp: mode 0600
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                if exclusive:  # first use: readers see no file or a whole one; the first writer wins
                    with contextlib.suppress(FileExistsError):
                        os.link(tmp, self.path)
                else:
                    os.replace(tmp, self.path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        except OSError as exc:
            raise ConfigError(f"cannot write share keys {self.path}: {exc.strerror}") from exc


class SecretsManagerKeys(KeySource):
    """The key document in AWS Secrets Manager, cached ``max_age`` seconds per warm container.

    A revoked key therefore stops verifying within ``max_age`` seconds everywhere.
    """

    def __init__(
        self,
        secret_id: str,
        *,
        client: SecretsManagerClient | Any = None,
        max_age: float = 300,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.secret_id = secret_id
        self.location = f"secretsmanager:{secret_id}"
        self._client = client
        self.max_age = max_age
        self._clock = clock
        self._cached: tuple[float, ShareKeys] | None = None

    @property
    def client(self) -> SecretsManagerClient:
        if self._client is None:
            import boto3

            self._client = boto3.client("secretsmanager")
        client: SecretsManagerClient = self._client
        return client

    def load(self) -> ShareKeys:
        if self._cached and self._clock() - self._cached[0] < self.max_age:
            return self._cached[1]
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            text = self.client.get_secret_value(SecretId=self.secret_id)["SecretString"]
            doc = json.loads(text)
        except (ClientError, BotoCoreError, KeyError, ValueError) as exc:
            # The message names the secret, never its value.
            raise ConfigError(f"cannot read share keys {self.secret_id!r}: {type(exc).__name__}") from None
        keys = ShareKeys.from_document(doc, self.secret_id)
        self._cached = (self._clock(), keys)
        return keys

    def save(self, keys: ShareKeys) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_secret_value(SecretId=self.secret_id, SecretString=json.dumps(keys.to_document()))
        except (ClientError, BotoCoreError) as exc:
            raise ConfigError(f"cannot write share keys {self.secret_id!r}: {type(exc).__name__}") from None
        self._cached = None


def open_key_source(settings: Settings, *, secrets_client: Any = None) -> KeySource | None:
    """Secrets Manager when ``PULSE_SHARE_KEY_SECRET`` is set; a local key file for a local archive.

    None for an S3 archive without a secret: no share links then (a Lambda function
    has no persistent disk to keep a key file on).
    """
    if settings.share_key_secret:
        return SecretsManagerKeys(settings.share_key_secret, client=secrets_client)
    if settings.share_key_file is not None:
        return KeyFile(settings.share_key_file)
    if not settings.archive.startswith("s3://"):
        return KeyFile(settings.state_dir / "share-keys.json")
    return None


def share_base_url(settings: Settings) -> str | None:
    """Base of share links: the public URL, or `make serve`'s address for a local archive and keys."""
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    if not settings.archive.startswith("s3://") and not settings.share_key_secret:
        return LOCAL_BASE_URL
    return None


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class ShareGrant:
    """What a verified token lets its holder open."""

    brand: str
    month: str  # "YYYY-MM" or ANY
    file: str  # a name of SHAREABLE_FILES or ANY
    issued_at: datetime
    expires_at: datetime
    key_id: str

    def covers_month(self, month: str) -> bool:
        return self.month in (ANY, month)

    def check(self, brand: Brand, month: str | None = None, file: str | None = None) -> None:
        """Raise :class:`ShareScopeError` or :class:`RevokedShareLinkError` unless this grant opens it.

        ``brand`` is the configured brand of the grant (its ``sharing`` settings apply).
        """
        sharing = brand.sharing
        if brand.id != self.brand:
            raise ShareScopeError("this link does not open this brand's reports")
        if not sharing.enabled:
            raise RevokedShareLinkError(f"sharing is turned off for {brand.name}: this link no longer opens")
        if sharing.revoked_before is not None and self.issued_at < sharing.revoked_before:
            raise RevokedShareLinkError(
                f"links to {brand.name}'s reports issued before "
                f"{sharing.revoked_before.astimezone(UTC):%Y-%m-%d %H:%M} UTC "
                "were revoked: ask your community manager for a new one"
            )
        if month is not None and not self.covers_month(month):
            raise ShareScopeError(f"this link opens the {self.month} report only, not {month}")
        if file is not None and self.file not in (ANY, file):
            raise ShareScopeError(f"this link opens {self.file} only, not {file}")


class ShareSigner:
    """Mints and verifies tokens with the keys of ``source``."""

    def __init__(self, source: KeySource) -> None:
        self.source = source

    def mint(
        self,
        brand: Brand,
        month: Month | None,
        *,
        now: datetime,
        file: str = ANY,
        days: int | None = None,
    ) -> tuple[str, datetime]:
        """A token for ``brand`` (``month`` None: every month) and its expiry.

        ``days`` may shorten the brand's ``sharing.expiry_days``, never extend it.
        """
        sharing = brand.sharing
        if not sharing.enabled:
            raise ShareNotAllowedError(
                f"sharing is turned off for {brand.id} (sharing.enabled in the brands file)"
            )
        if file != ANY and file not in SHAREABLE_FILES:
            raise ShareNotAllowedError(f"unknown report file {file!r} (one of {', '.join(SHAREABLE_FILES)})")
        lifetime = sharing.expiry_days if days is None else days
        if not 1 <= lifetime <= sharing.expiry_days:
            raise ShareNotAllowedError(
                f"links to {brand.id} last 1 to {sharing.expiry_days} days (sharing.expiry_days), not {lifetime}"
            )
        issued = int(now.timestamp())
        expires = issued + lifetime * 86400
        payload = {"b": brand.id, "m": str(month) if month else ANY, "f": file, "iat": issued, "exp": expires}
        keys = self.source.load()
        body = _b64(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        token = f"{keys.current}.{body}.{_sign(keys.keys[keys.current], keys.current, body)}"
        return token, datetime.fromtimestamp(expires, UTC)

    def verify(self, token: str, *, now: datetime) -> ShareGrant:
        """The grant of a genuine, unexpired token signed by a key still in the document."""
        match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
        if not match:
            raise InvalidShareLinkError("this link is not valid: it is incomplete or was altered")
        key_id, body, signature = match.groups()
        keys = self.source.load()
        secret = keys.keys.get(key_id)
        if secret is None:
            # Unknown to us: revoked, or made up. Both answers are the same for the holder.
            raise RevokedShareLinkError(
                "this link has been revoked: ask your community manager for a new one"
            )
        if not hmac.compare_digest(_sign(secret, key_id, body), signature):
            raise InvalidShareLinkError("this link is not valid: it is incomplete or was altered")
        try:
            payload = json.loads(_unb64(body))
            grant = ShareGrant(
                brand=validate_brand_id(payload["b"]),
                month=_scope_month(payload["m"]),
                file=_scope_file(payload["f"]),
                issued_at=datetime.fromtimestamp(int(payload["iat"]), UTC),
                expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
                key_id=key_id,
            )
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            # Signed by us yet unreadable: a bug, not an attack; still no access.
            raise InvalidShareLinkError("this link is not valid: it cannot be read") from exc
        if now >= grant.expires_at:
            raise ExpiredShareLinkError(
                f"this link expired on {grant.expires_at:%Y-%m-%d}: ask your community manager for a new one"
            )
        return grant


def _sign(secret: str, key_id: str, body: str) -> str:
    message = _DOMAIN + key_id.encode("ascii") + b"." + body.encode("ascii")
    return _b64(hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest())


def _scope_month(value: Any) -> str:
    if value == ANY or (isinstance(value, str) and _MONTH.fullmatch(value)):
        return str(value)
    raise ValueError(f"bad month scope {value!r}")


def _scope_file(value: Any) -> str:
    if value == ANY or value in SHAREABLE_FILES:
        return str(value)
    raise ValueError(f"bad file scope {value!r}")


# ---------------------------------------------------------------- links


@dataclass(frozen=True)
class ShareLinks:
    """The URLs of one minted token."""

    token: str
    base_url: str
    expires_at: datetime

    @property
    def archive(self) -> str:
        """The archive page (every month the token covers)."""
        return f"{self.base_url}/share/{self.token}"

    def file(self, month: Month | str, name: str) -> str:
        return f"{self.base_url}/share/{self.token}/{month}/{name}"


def may_mint(brand: Brand, caller: str) -> bool:
    """Whether ``caller`` may mint links on demand for ``brand`` (``sharing.minters`` patterns)."""
    return any(fnmatchcase(caller, pattern) for pattern in brand.sharing.minters)


def mint_links(
    source: KeySource,
    base_url: str,
    brand: Brand,
    month: Month | None,
    *,
    now: datetime,
    caller: str | None = None,
    file: str = ANY,
    days: int | None = None,
) -> ShareLinks:
    """Mint a link; ``caller`` (on-demand minting) must match the brand's ``sharing.minters``."""
    if caller is not None and not may_mint(brand, caller):
        raise ShareNotAllowedError(
            f"{caller} may not mint links for {brand.id} (sharing.minters: {', '.join(brand.sharing.minters)})"
        )
    token, expires = ShareSigner(source).mint(brand, month, now=now, file=file, days=days)
    return ShareLinks(token, base_url.rstrip("/"), expires)


@dataclass(frozen=True)
class MailLinks:
    """The links a monthly mail carries."""

    report: str
    pdf: str
    archive: str
    expires_at: datetime


def mail_links(
    source: KeySource | None, base_url: str | None, brand: Brand, month: Month, *, now: datetime
) -> MailLinks | None:
    """Share links for the monthly mail, or None when the brand or the deployment does not share."""
    if source is None or base_url is None or not brand.sharing.enabled or not brand.sharing.in_mail:
        return None
    month_links = mint_links(source, base_url, brand, month, now=now)
    archive = mint_links(source, base_url, brand, None, now=now)
    return MailLinks(
        report=month_links.file(month, "report.html"),
        pdf=month_links.file(month, "report.pdf"),
        archive=archive.archive,
        expires_at=month_links.expires_at,
    )
