"""The brands file: one YAML document describing every brand.

Validated with pydantic; every error names the file, the brand and the field.
The file is a local path (in the image: ``/opt/pulse/config/brands.yaml``) or an
S3 object (``s3://bucket/config/brands.yaml``, written by ``pulse brands push``),
which a warm Lambda container re-reads after a short TTL: brands change without
a rebuild.
"""

from __future__ import annotations

import os
import re
import time as clock
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from pulse.exceptions import ConfigError, InvalidBrandIdError, StorageError, UnknownBrandError

Language = Literal["fr", "en"]
Platform = Literal["x", "facebook", "instagram", "linkedin", "youtube", "mastodon", "bluesky", "tiktok"]
PLATFORMS: tuple[str, ...] = Platform.__args__  # type: ignore[attr-defined]

BRAND_ID_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_COLOR = r"^#[0-9a-fA-F]{6}$"


def validate_brand_id(brand_id: str) -> str:
    """Return ``brand_id`` if it is safe as an S3 key segment and a path component.

    Lower-case letters, digits and inner hyphens, 1 to 64 characters: no dots,
    slashes or anything else that could escape a prefix.
    """
    if not isinstance(brand_id, str) or not BRAND_ID_PATTERN.fullmatch(brand_id):
        raise InvalidBrandIdError(
            f"invalid brand id {brand_id!r}: use 1-64 lower-case letters, digits and inner hyphens"
        )
    return brand_id


#: Invisible characters that change how text reads: bidi embeddings, overrides and isolates.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _plain_text(value: str) -> str:
    """Refuse control characters (CR, LF, NUL, tab...), line separators and bidi overrides.

    Names end up in mail headers and on the page: a CRLF would break every mail.
    """
    for char in value:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS:
            raise ValueError(f"contains the control character U+{ord(char):04X}: use plain text")
    return value


#: One line of printable text (brand and account names, ids, paths).
PlainText = Annotated[str, AfterValidator(_plain_text)]


def _brand_id_field(value: str) -> str:
    try:
        return validate_brand_id(value)
    except InvalidBrandIdError as exc:
        raise ValueError(str(exc)) from exc


#: A validated brand id, for pydantic models (brands file, job events, queued jobs).
BrandId = Annotated[str, AfterValidator(_brand_id_field)]


class Account(BaseModel):
    """One account of the brand on one platform."""

    model_config = ConfigDict(extra="forbid")

    platform: Platform
    id: PlainText = Field(min_length=1, description="The platform's account id or handle")
    name: PlainText | None = None


class Colors(BaseModel):
    model_config = ConfigDict(extra="forbid")

    primary: str = Field(default="#1f4e79", pattern=_COLOR)
    accent: str = Field(default="#e07b39", pattern=_COLOR)


class OpeningHours(BaseModel):
    """Hours during which the team answers, in the brand's time zone."""

    model_config = ConfigDict(extra="forbid")

    days: list[int] = Field(default=[0, 1, 2, 3, 4], description="0 = Monday")
    start: time = time(9, 0)
    end: time = time(18, 0)


class ReportSchedule(BaseModel):
    """When the monthly report goes out, in the brand's time zone (default: the 2nd at 08:00,
    since platforms' data lags by a day)."""

    model_config = ConfigDict(extra="forbid")

    day: int = Field(default=2, ge=1, le=28)
    hour: int = Field(default=8, ge=0, le=23)


class QuietHours(BaseModel):
    """Local hours during which only severe incident alerts go out (the others wait for ``end``)."""

    model_config = ConfigDict(extra="forbid")

    start: time = time(21, 0)
    end: time = time(8, 0)


WebhookKind = Literal["slack", "teams", "google_chat"]


class AlertWebhook(BaseModel):
    """A chat incoming webhook that receives the brand's incident alerts.

    The URL is a credential: on AWS prefer the webhooks secret (``PULSE_ALERT_WEBHOOKS_SECRET``).
    """

    model_config = ConfigDict(extra="forbid")

    kind: WebhookKind
    url: str = Field(pattern=r"^(https://\S+|http://(127\.0\.0\.1|localhost)(:\d+)?/\S*)$")


class AlertRules(BaseModel):
    """When a day's complaints become an incident (docs/alerts.md), and who hears about it."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    min_negative: int = Field(
        default=10, ge=1, description="Negative messages in 24 h below this: never a storm"
    )
    min_backlog: int = Field(default=15, ge=1, description="Unanswered messages below this: never a storm")
    min_responses: int = Field(default=10, ge=1, description="Messages in 24 h needed to judge response time")
    min_wait_minutes: float = Field(default=240, gt=0, description="A median wait below this is fine")
    z: float = Field(default=5.0, gt=0, description="Robust z-score (median/MAD) above the usual")
    ratio: float = Field(default=2.0, ge=1, description="... and at least this many times the usual")
    severe_ratio: float = Field(default=4.0, ge=1, description="This many times the usual: severe")
    resolve_after_hours: int = Field(default=6, ge=1, le=72, description="Calm hours before resolved")
    quiet_hours: QuietHours | None = Field(
        default=None, description="None: alerts go out whenever the watch runs"
    )
    recipients: list[EmailStr] | None = Field(default=None, description="Default: the report's recipients")
    webhooks: list[AlertWebhook] = Field(default_factory=list)

    @field_validator("severe_ratio")
    @classmethod
    def _severe_above_ratio(cls, value: float, info: ValidationInfo) -> float:
        ratio = info.data.get("ratio")
        if ratio is not None and value < ratio:
            raise ValueError(f"severe_ratio ({value}) must be at least ratio ({ratio})")
        return value


class Sharing(BaseModel):
    """Share links to the brand's reports (``pulse/share.py``, trust model in docs/deploy.md)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        default=True, description="false: no link is minted, and existing ones stop opening"
    )
    expiry_days: int = Field(
        default=180, ge=1, le=730, description="How long a link opens (the longest allowed)"
    )
    in_mail: bool = Field(
        default=True, description="The monthly mail carries share links (month and archive)"
    )
    minters: list[str] = Field(
        default_factory=lambda: ["*"],
        description=(
            "Who may mint links on demand, as patterns: IAM ARNs of callers of the API's "
            "POST /brands/{brand}/share, 'user:<login>' for `pulse share`"
        ),
    )
    revoked_before: datetime | None = Field(
        default=None, description="Links issued before this instant (UTC if no offset) stop opening"
    )

    @field_validator("revoked_before")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Brand(BaseModel):
    """A brand the agency reports on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: BrandId
    name: PlainText = Field(min_length=1, max_length=200)
    language: Language = "en"
    timezone: str = "UTC"
    accounts: list[Account] = Field(min_length=1)
    recipients: list[EmailStr] = Field(default_factory=list)
    logo: PlainText | None = Field(
        default=None,
        description="https URL, data: URI, or path of an image file in the brands file's directory",
    )
    colors: Colors = Field(default_factory=Colors)
    opening_hours: OpeningHours = Field(default_factory=OpeningHours)
    schedule: ReportSchedule = Field(default_factory=ReportSchedule)
    alerts: AlertRules = Field(default_factory=AlertRules)
    sharing: Sharing = Field(default_factory=Sharing)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Europe/Paris)") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def platforms(self) -> list[str]:
        return sorted({a.platform for a in self.accounts})


class BrandsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    brands: list[Brand] = Field(min_length=1)


class BrandRegistry:
    """The configured brands, looked up by id."""

    def __init__(self, brands: list[Brand], source: str = "<memory>") -> None:
        self.source = source
        self._brands: dict[str, Brand] = {}
        for brand in brands:
            if brand.id in self._brands:
                raise ConfigError(f"{source}: brand id {brand.id!r} is defined twice")
            self._brands[brand.id] = brand

    def __iter__(self) -> Iterator[Brand]:
        return iter(self._brands.values())

    def __len__(self) -> int:
        return len(self._brands)

    @property
    def ids(self) -> list[str]:
        return list(self._brands)

    def get(self, brand_id: str) -> Brand:
        validate_brand_id(brand_id)
        try:
            return self._brands[brand_id]
        except KeyError:
            raise UnknownBrandError(
                f"no brand {brand_id!r} in {self.source} (known: {', '.join(self._brands)})", brand_id
            ) from None


def _describe(exc: ValidationError, data: object, source: str) -> str:
    lines = [f"{source}: invalid brands configuration"]
    brands = data.get("brands") if isinstance(data, dict) else None
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "brands" and isinstance(loc[1], int) and isinstance(brands, list):
            index = loc[1]
            brand = brands[index] if index < len(brands) else None
            brand_id = brand.get("id") if isinstance(brand, dict) else None
            field = ".".join(str(p) for p in loc[2:]) or "(brand)"
            where = f"brand {brand_id!r} (#{index + 1}), field {field}"
        lines.append(f"  - {where}: {err['msg']}")
    return "\n".join(lines)


def _local_logo(logo: str, base: Path | None, where: str) -> str:
    """The real path of a local logo, if it is a regular file under ``base`` reached without symlinks."""
    if base is None:
        raise ValueError(f"{where}: a local logo path needs a brands file on disk; use an https URL")
    base_abs = Path(os.path.abspath(base))
    joined = Path(os.path.abspath(base_abs / Path(logo.removeprefix("file://")).expanduser()))
    root = Path(os.path.realpath(base_abs))
    real = Path(os.path.realpath(joined))
    if not joined.is_relative_to(base_abs) or real != root / joined.relative_to(base_abs):
        raise ValueError(
            f"{where}: the logo must be a file in the brands file's directory {root.name}/ "
            "(reached without a symlink)"
        )
    if real.exists() and not real.is_file():  # a missing file only means no logo on the report
        raise ValueError(f"{where}: the logo {logo!r} is not a regular file")
    return str(real)


def _check_logos(registry: BrandRegistry, base: Path | None, source: str) -> BrandRegistry:
    brands = []
    for brand in registry:
        if brand.logo and not brand.logo.startswith(("https://", "data:image/")):
            try:
                brand = brand.model_copy(
                    update={"logo": _local_logo(brand.logo, base, f"brand {brand.id!r}, field logo")}
                )
            except ValueError as exc:
                raise ConfigError(f"{source}: invalid brands configuration\n  - {exc}") from None
        brands.append(brand)
    return BrandRegistry(brands, source)


def parse_brands(text: str, source: str = "<string>", logo_dir: Path | None = None) -> BrandRegistry:
    """Parse and validate a brands YAML document.

    ``logo_dir``: where local logo paths are looked up (the brands file's directory);
    without it, a logo must be an https URL or a data: URI.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from exc
    try:
        parsed = BrandsFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data, source)) from exc
    return _check_logos(BrandRegistry(parsed.brands, source), logo_dir, source)


DEMO_CONFIG = "demo/brands.yaml"


#: Where ``pulse brands push`` puts the brands file, below the archive.
ARCHIVE_CONFIG_KEY = "config/brands.yaml"


def split_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``; a URL without a key is a :class:`ConfigError`."""
    bucket, _, key = url.removeprefix("s3://").partition("/")
    if not url.startswith("s3://") or not bucket or not key or key.endswith("/"):
        raise ConfigError(f"not an S3 object URL {url!r}: use s3://bucket/path/brands.yaml")
    return bucket, key


def read_brands_text(location: Path | str | None, *, s3_client: Any = None) -> tuple[str, str, Path | None]:
    """The brands YAML at ``location``, its name for error messages, and where its local logos are.

    ``location`` is None (the built-in demo brands), a local path, or an
    ``s3://bucket/key`` URL (whose logos must be https URLs or data: URIs: there is no
    directory beside it). A file that cannot be read is a :class:`ConfigError` naming it.
    """
    if location is None:
        text = resources.files("pulse").joinpath(DEMO_CONFIG).read_text(encoding="utf-8")
        return text, f"<built-in {DEMO_CONFIG}>", None
    if isinstance(location, str) and location.startswith("s3://"):
        from pulse.storage import S3Store  # here: botocore is imported only for a file in S3

        bucket, key = split_s3_url(location)
        try:
            data = S3Store(bucket, client=s3_client).get(key)
        except StorageError as exc:
            raise ConfigError(f"cannot read brands file {location}: {exc}") from exc
        try:
            return data.decode("utf-8"), location, None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{location}: not UTF-8 text: {exc}") from exc
    p = Path(location)
    try:
        return p.read_text(encoding="utf-8"), str(p), p.parent
    except OSError as exc:
        raise ConfigError(f"cannot read brands file {p}: {exc.strerror}") from exc


def load_brands(path: Path | str | None = None, *, s3_client: Any = None) -> BrandRegistry:
    """Load the brands file at ``path`` (a local path or ``s3://bucket/key``), or the
    built-in demo brands when ``path`` is None."""
    text, source, logo_dir = read_brands_text(path, s3_client=s3_client)
    return parse_brands(text, source=source, logo_dir=logo_dir)


class ReloadingBrandRegistry(BrandRegistry):
    """A :class:`BrandRegistry` that re-reads its file when its copy is older than ``ttl_seconds``.

    One per process, so per warm Lambda container: a brand pushed to the bucket is
    seen within ``ttl_seconds`` without a deploy, and most invocations read
    nothing. The first load happens here (a bad file fails the cold start); a
    changed file is validated as a new one would be, and an invalid one raises the
    same :class:`ConfigError` (naming the file, the brand and the field) rather
    than silently serving stale brands.
    """

    def __init__(
        self,
        read: Callable[[], tuple[str, str, Path | None]],
        ttl_seconds: float,
        *,
        now: Callable[[], float] = clock.monotonic,
    ) -> None:
        self._read = read
        self._ttl = ttl_seconds
        self._now = now
        text, source, logo_dir = read()
        super().__init__(list(parse_brands(text, source, logo_dir)), source)
        self._text, self._checked_at = text, now()

    def _fresh(self) -> None:
        if self._now() - self._checked_at < self._ttl:
            return
        text, source, logo_dir = self._read()
        if text != self._text:
            registry = parse_brands(text, source, logo_dir)
            self._brands, self.source, self._text = registry._brands, source, text
        self._checked_at = self._now()

    def __iter__(self) -> Iterator[Brand]:
        self._fresh()
        return super().__iter__()

    def __len__(self) -> int:
        self._fresh()
        return super().__len__()

    @property
    def ids(self) -> list[str]:
        self._fresh()
        return list(self._brands)

    def get(self, brand_id: str) -> Brand:
        self._fresh()
        return super().get(brand_id)


def open_brands(
    location: Path | str | None, *, ttl_seconds: float = 60, s3_client: Any = None
) -> BrandRegistry:
    """The brands of a long-running process (a Lambda container, ``pulse serve``).

    The built-in demo brands and a file baked into the image are read once; an
    ``s3://`` file is re-read after ``ttl_seconds`` (``PULSE_CONFIG_TTL_SECONDS``).
    """
    if isinstance(location, str) and location.startswith("s3://"):
        return ReloadingBrandRegistry(lambda: read_brands_text(location, s3_client=s3_client), ttl_seconds)
    return load_brands(location)
