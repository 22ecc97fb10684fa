"""Share-link tokens: what a token opens, and everything that makes it stop opening."""

from __future__ import annotations

import base64
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pulse.config import Brand, BrandRegistry
from pulse.exceptions import (
    ConfigError,
    ExpiredShareLinkError,
    InvalidShareLinkError,
    RevokedShareLinkError,
    ShareNotAllowedError,
    ShareScopeError,
)
from pulse.period import Month
from pulse.share import (
    KeyFile,
    KeySource,
    SecretsManagerKeys,
    ShareKeys,
    ShareSigner,
    mail_links,
    mint_links,
)

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
OCTOBER = Month(2026, 10)


class MemoryKeys(KeySource):
    """An in-memory key document (behaves like the file and the secret)."""

    location = "<memory>"

    def __init__(self, keys: ShareKeys | None = None) -> None:
        self.keys = keys or ShareKeys.generate()

    def load(self) -> ShareKeys:
        return self.keys

    def save(self, keys: ShareKeys) -> None:
        self.keys = keys


def with_sharing(brand: Brand, **sharing: object) -> Brand:
    return brand.model_copy(update={"sharing": brand.sharing.model_copy(update=sharing)})


@pytest.fixture
def keys() -> MemoryKeys:
    return MemoryKeys()


@pytest.fixture
def brand(english_brand: Brand) -> Brand:
    return english_brand


def test_a_month_token_opens_that_month_of_that_brand_until_it_expires(
    keys: MemoryKeys, brand: Brand
) -> None:
    signer = ShareSigner(keys)
    token, expires = signer.mint(brand, OCTOBER, now=NOW)
    assert expires == NOW + timedelta(days=180), "default lifetime: 180 days"
    grant = signer.verify(token, now=NOW + timedelta(days=179))
    assert (grant.brand, grant.month, grant.file) == (brand.id, "2026-10", "*")
    for name in ("report.html", "report.pdf", "kpis.json"):
        grant.check(brand, "2026-10", name)
    with pytest.raises(ShareScopeError, match="2026-10 report only"):
        grant.check(brand, "2026-09", "report.pdf")
    with pytest.raises(ExpiredShareLinkError, match="expired on 2027-05-01"):
        signer.verify(token, now=expires)


def test_an_archive_token_opens_every_month_of_its_brand_only(
    keys: MemoryKeys, brand: Brand, french_brand: Brand
) -> None:
    signer = ShareSigner(keys)
    token, _ = signer.mint(brand, None, now=NOW)
    grant = signer.verify(token, now=NOW)
    grant.check(brand, "2026-10", "report.pdf")
    grant.check(brand, "2024-01", "report.html")
    with pytest.raises(ShareScopeError, match="brand"):
        grant.check(french_brand, "2026-10", "report.pdf")


def test_a_file_token_opens_that_file_only(keys: MemoryKeys, brand: Brand) -> None:
    signer = ShareSigner(keys)
    token, _ = signer.mint(brand, OCTOBER, now=NOW, file="report.pdf")
    grant = signer.verify(token, now=NOW)
    grant.check(brand, "2026-10", "report.pdf")
    with pytest.raises(ShareScopeError, match=r"report\.pdf only"):
        grant.check(brand, "2026-10", "report.html")


def _tampered(token: str) -> list[str]:
    key_id, body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged = {**payload, "b": "maison-lumiere"}
    forged_body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    later = {**payload, "exp": payload["exp"] + 10**8}
    later_body = base64.urlsafe_b64encode(json.dumps(later).encode()).rstrip(b"=").decode()
    flip = "A" if sig[0] != "A" else "B"
    return [
        f"{key_id}.{forged_body}.{sig}",  # another brand, old signature
        f"{key_id}.{later_body}.{sig}",  # a later expiry, old signature
        f"{key_id}.{body}.{flip}{sig[1:]}",  # one character of the signature
        f"{key_id}.{body[:-1]}{'A' if body[-1] != 'A' else 'B'}.{sig}",  # one character of the payload
        f"{key_id}.{body}.{sig[:-2]}",  # truncated
        f"{key_id}.{body}",  # no signature
        f"{key_id}.{body}.{sig}x",
        "",
        "../../etc/passwd",
    ]


def test_any_change_to_a_token_is_refused(keys: MemoryKeys, brand: Brand) -> None:
    signer = ShareSigner(keys)
    token, _ = signer.mint(brand, OCTOBER, now=NOW)
    for bad in _tampered(token):
        with pytest.raises(InvalidShareLinkError, match="not valid"):
            signer.verify(bad, now=NOW)


def test_a_token_signed_with_another_key_is_refused(brand: Brand) -> None:
    token, _ = ShareSigner(MemoryKeys()).mint(brand, OCTOBER, now=NOW)
    with pytest.raises(InvalidShareLinkError):
        ShareSigner(MemoryKeys()).verify(token, now=NOW)  # same key id "k1", different secret


def test_rotation_keeps_older_links_until_their_key_is_revoked(keys: MemoryKeys, brand: Brand) -> None:
    signer = ShareSigner(keys)
    old, _ = signer.mint(brand, OCTOBER, now=NOW)
    keys.save(keys.load().rotated())
    new, _ = signer.mint(brand, OCTOBER, now=NOW)
    assert old.startswith("k1.") and new.startswith("k2.")
    signer.verify(old, now=NOW)
    with pytest.raises(ConfigError, match="rotate first"):
        keys.load().revoked("k2")
    keys.save(keys.load().revoked("k1"))
    with pytest.raises(RevokedShareLinkError, match="revoked"):
        signer.verify(old, now=NOW)
    assert signer.verify(new, now=NOW).key_id == "k2"


def test_a_brand_revokes_its_older_links_or_turns_sharing_off(keys: MemoryKeys, brand: Brand) -> None:
    signer = ShareSigner(keys)
    token, _ = signer.mint(brand, OCTOBER, now=NOW)
    grant = signer.verify(token, now=NOW)
    with pytest.raises(RevokedShareLinkError, match="issued before"):
        grant.check(with_sharing(brand, revoked_before=NOW + timedelta(seconds=1)), "2026-10", "report.pdf")
    grant.check(with_sharing(brand, revoked_before=NOW - timedelta(days=1)), "2026-10", "report.pdf")
    with pytest.raises(RevokedShareLinkError, match="turned off"):
        grant.check(with_sharing(brand, enabled=False), "2026-10", "report.pdf")
    with pytest.raises(ShareNotAllowedError, match="turned off"):
        signer.mint(with_sharing(brand, enabled=False), OCTOBER, now=NOW)


def test_expiry_and_minters_come_from_the_brand(keys: MemoryKeys, brand: Brand) -> None:
    short = with_sharing(brand, expiry_days=7, minters=["user:claire", "arn:aws:iam::*:role/cm-*"])
    links = mint_links(keys, "https://r.example/", short, OCTOBER, now=NOW, caller="user:claire")
    assert links.expires_at == NOW + timedelta(days=7)
    assert links.file(OCTOBER, "report.pdf").startswith("https://r.example/share/k1.")
    mint_links(keys, "https://r.example", short, None, now=NOW, caller="arn:aws:iam::1:role/cm-paris")
    with pytest.raises(ShareNotAllowedError, match="user:mallory may not mint"):
        mint_links(keys, "https://r.example", short, OCTOBER, now=NOW, caller="user:mallory")
    with pytest.raises(ShareNotAllowedError, match="1 to 7 days"):
        mint_links(keys, "https://r.example", short, OCTOBER, now=NOW, caller="user:claire", days=30)
    assert mint_links(
        keys, "https://r.example", short, OCTOBER, now=NOW, days=2
    ).expires_at == NOW + timedelta(days=2)


def test_the_brands_file_validates_sharing() -> None:
    from pulse.config import parse_brands

    base = "brands:\n  - {id: b, name: B, accounts: [{platform: x, id: b}], sharing: %s}\n"
    registry: BrandRegistry = parse_brands(base % "{expiry_days: 30, revoked_before: 2026-11-01T00:00:00}")
    sharing = registry.get("b").sharing
    assert sharing.expiry_days == 30 and sharing.revoked_before == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_brands(base % "{}").get("b").sharing.minters == ["*"]
    with pytest.raises(ConfigError, match=r"sharing\.expiry_days"):
        parse_brands(base % "{expiry_days: 5000}")


def test_mail_links_cover_the_month_and_the_archive(keys: MemoryKeys, brand: Brand) -> None:
    links = mail_links(keys, "http://127.0.0.1:8080", brand, OCTOBER, now=NOW)
    assert links is not None
    signer = ShareSigner(keys)
    month_token = links.report.split("/share/")[1].split("/")[0]
    assert links.report.endswith("/2026-10/report.html") and links.pdf.endswith("/2026-10/report.pdf")
    assert signer.verify(month_token, now=NOW).month == "2026-10"
    assert signer.verify(links.archive.split("/share/")[1], now=NOW).month == "*"
    assert mail_links(keys, "http://x", with_sharing(brand, in_mail=False), OCTOBER, now=NOW) is None
    assert mail_links(None, "http://x", brand, OCTOBER, now=NOW) is None


def test_the_key_file_is_created_private_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "state" / "share-keys.json"
    source = KeyFile(path)
    first = source.load()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert KeyFile(path).load() == first, "the same key on every later use"
    source.save(first.rotated())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(KeyFile(path).load().keys) == {"k1", "k2"}


def test_a_broken_key_document_names_the_file_never_the_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"current": "k2", "k1": "s3cr3t-" * 8}))
    with pytest.raises(ConfigError, match="current share key 'k2'") as info:
        KeyFile(path).load()
    assert "s3cr3t" not in str(info.value) and str(path) in str(info.value)


def test_secrets_manager_keys_are_cached_per_warm_container() -> None:
    calls: list[str] = []
    doc = json.dumps({"current": "k1", "k1": "x" * 64})

    class FakeSecrets:
        def get_secret_value(self, SecretId: str) -> dict[str, str]:
            calls.append(SecretId)
            return {"SecretString": doc}

    clock = [0.0]
    source = SecretsManagerKeys("pulse-share/test", client=FakeSecrets(), max_age=300, clock=lambda: clock[0])
    source.load()
    clock[0] = 299
    source.load()
    assert len(calls) == 1
    clock[0] = 301
    source.load()
    assert len(calls) == 2, "a revocation reaches warm containers within max_age"


def test_the_local_server_logs_the_route_not_the_token() -> None:
    from pulse.server import redact_share_tokens

    line = "GET /share/k1.eyJiIjoi.abcDEF_-123/2026-10/report.pdf HTTP/1.1"
    assert redact_share_tokens(line) == "GET /share/<token>/2026-10/report.pdf HTTP/1.1"
    assert redact_share_tokens("GET /share/k1.eyJ.sig HTTP/1.1") == "GET /share/<token> HTTP/1.1"


def test_where_keys_and_links_come_from(tmp_path: Path) -> None:
    from pulse.settings import Settings
    from pulse.share import LOCAL_BASE_URL, KeyFile, SecretsManagerKeys, open_key_source, share_base_url

    local = Settings(archive=str(tmp_path / "archive"), state_dir=tmp_path / "state")
    source = open_key_source(local)
    assert isinstance(source, KeyFile) and source.path == tmp_path / "state" / "share-keys.json"
    assert share_base_url(local) == LOCAL_BASE_URL, "make serve's address"
    aws = Settings(archive="s3://bucket", share_key_secret="community-pulse-share-keys/prod")
    assert isinstance(open_key_source(aws), SecretsManagerKeys)
    assert share_base_url(aws) is None, "never a loopback link in a mail sent from AWS"
    assert (
        share_base_url(aws.model_copy(update={"public_base_url": "https://r.example/"}))
        == "https://r.example"
    )
    assert open_key_source(Settings(archive="s3://bucket")) is None, "no key file inside Lambda"
