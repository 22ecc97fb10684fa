from __future__ import annotations

from pathlib import Path

import pytest

from pulse.config import load_brands, parse_brands, validate_brand_id
from pulse.exceptions import ConfigError, InvalidBrandIdError, UnknownBrandError

VALID = """
brands:
  - id: acme
    name: ACME
    language: fr
    timezone: Europe/Paris
    accounts: [{platform: x, id: acme}]
"""


def test_demo_config_has_french_and_english_brands() -> None:
    registry = load_brands()
    assert len(registry) >= 3
    assert {b.language for b in registry} == {"fr", "en"}
    for brand in registry:
        assert brand.recipients, brand.id
        assert len(brand.platforms) >= 3


def test_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "brands.yaml"
    path.write_text(VALID)
    brand = load_brands(path).get("acme")
    assert brand.tz.key == "Europe/Paris"
    assert brand.colors.primary.startswith("#")


def test_error_names_file_brand_and_field(tmp_path: Path) -> None:
    path = tmp_path / "brands.yaml"
    path.write_text(VALID.replace("Europe/Paris", "Mars/Olympus") + "    recipients: [not-an-email]\n")
    with pytest.raises(ConfigError) as err:
        load_brands(path)
    message = str(err.value)
    assert str(path) in message
    assert "brand 'acme'" in message
    assert "field timezone" in message and "Mars/Olympus" in message
    assert "field recipients.0" in message


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("brands: [", "not valid YAML"),
        ("brands: []", "brands"),
        (VALID.replace("language: fr", "language: de"), "field language"),
        (VALID.replace("id: acme\n", "id: ../acme\n"), "invalid brand id"),
        (VALID + "    colour: red\n", "field colour"),
        (VALID.replace("platform: x", "platform: myspace"), "field accounts.0.platform"),
    ],
)
def test_invalid_configs(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=None) as err:
        parse_brands(text, "brands.yaml")
    assert fragment in str(err.value)
    assert str(err.value).startswith("brands.yaml")


def test_duplicate_brand_ids() -> None:
    doubled = VALID + VALID.split("brands:\n", 1)[1]
    with pytest.raises(ConfigError, match="defined twice"):
        parse_brands(doubled)


def test_missing_file_says_which(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml"):
        load_brands(tmp_path / "nope.yaml")


@pytest.mark.parametrize("bad", ["", "ACME", "a/b", "..", "a..b", "-a", "a-", "a b", "é", "a" * 65, "a.b"])
def test_brand_ids_that_could_escape_a_prefix_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidBrandIdError):
        validate_brand_id(bad)


def test_unknown_brand_lists_known_ones() -> None:
    with pytest.raises(UnknownBrandError, match="maison-lumiere"):
        load_brands().get("nobody")


@pytest.mark.parametrize("name", ["ACME\r\nBcc: everyone@example.com", "ACME\x00", "A\u2028B", "ACME\u202e"])
def test_control_characters_in_names_are_refused(tmp_path: Path, name: str) -> None:
    """A CRLF in a brand name would pass into every mail's headers and break them."""
    path = tmp_path / "brands.yaml"
    path.write_text(VALID.replace("name: ACME", f"name: {name!r}".replace("'", '"')), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"brand 'acme' \(#1\), field name: .*control character U\+"):
        load_brands(path)
    accounts = VALID.replace("{platform: x, id: acme}", '{platform: x, id: "acme", name: "a\\nb"}')
    path.write_text(accounts, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"accounts\.0\.name: .*control character U\+000A"):
        load_brands(path)


def test_a_local_logo_must_be_a_regular_file_beside_the_brands_file(tmp_path: Path) -> None:
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "acme.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    secret = tmp_path.parent / f"{tmp_path.name}-secret.png"
    secret.write_bytes(b"private key material")
    (tmp_path / "logos" / "link.png").symlink_to(secret)
    (tmp_path / "linked-dir").symlink_to(tmp_path.parent)
    path = tmp_path / "brands.yaml"

    def load(logo: str):  # type: ignore[no-untyped-def]
        path.write_text(VALID + f"    logo: {logo!r}\n", encoding="utf-8")
        return load_brands(path).get("acme")

    assert load("logos/acme.png").logo == str((tmp_path / "logos" / "acme.png").resolve())
    assert load("https://cdn.example/acme.svg").logo == "https://cdn.example/acme.svg"
    assert load("logos/missing.png").logo == str((tmp_path / "logos" / "missing.png").resolve())
    for hostile in (
        "logos/link.png",
        str(secret),
        "../" + secret.name,
        f"linked-dir/{secret.name}",
        "/etc/passwd",
    ):
        with pytest.raises(ConfigError, match="logo must be a file in the brands file's directory"):
            load(hostile)
    with pytest.raises(ConfigError, match="not a regular file"):
        load("logos")
    with pytest.raises(ConfigError, match="needs a brands file on disk"):
        parse_brands(VALID + "    logo: logos/acme.png\n")
