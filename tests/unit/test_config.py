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
