"""Brands without rebuilding the image: the brands file in the archive bucket (moto S3).

`pulse brands push` validates then uploads; the functions read `s3://<bucket>/config/brands.yaml`
with the same errors as a local file, and a warm container re-reads it after a short TTL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pulse.cli import app
from pulse.config import (
    ARCHIVE_CONFIG_KEY,
    ReloadingBrandRegistry,
    load_brands,
    open_brands,
    read_brands_text,
)
from pulse.exceptions import ConfigError, UnknownBrandError
from pulse.pipeline import Services
from pulse.settings import get_settings
from tests.functional.conftest import BUCKET

URL = f"s3://{BUCKET}/{ARCHIVE_CONFIG_KEY}"

ACME = """
brands:
  - id: acme
    name: ACME
    language: fr
    timezone: Europe/Paris
    accounts: [{platform: x, id: acme}]
    recipients: [team@acme.example]
"""
WITH_GLOBEX = (
    ACME
    + """
  - id: globex
    name: Globex
    accounts: [{platform: bluesky, id: globex.example}]
"""
)


def put(s3: Any, text: str) -> None:
    s3.put_object(Bucket=BUCKET, Key=ARCHIVE_CONFIG_KEY, Body=text.encode())


def test_brands_are_read_from_the_archive_bucket(aws: Any) -> None:
    put(aws, ACME)
    registry = load_brands(URL)
    assert registry.ids == ["acme"]
    assert registry.get("acme").tz.key == "Europe/Paris"


def test_errors_name_the_object_the_brand_and_the_field(aws: Any) -> None:
    put(aws, ACME.replace("Europe/Paris", "Mars/Olympus"))
    with pytest.raises(ConfigError) as err:
        load_brands(URL)
    message = str(err.value)
    assert URL in message and "brand 'acme'" in message
    assert "field timezone" in message and "Mars/Olympus" in message


def test_a_missing_object_or_a_url_without_key_is_a_config_error(aws: Any) -> None:
    with pytest.raises(ConfigError, match=f"cannot read brands file {URL}"):
        load_brands(URL)
    with pytest.raises(ConfigError, match="not an S3 object URL"):
        load_brands(f"s3://{BUCKET}/")


def test_a_warm_container_sees_a_pushed_change_after_the_ttl(aws: Any) -> None:
    put(aws, ACME)
    now = [1000.0]
    reads: list[str] = []

    def read() -> tuple[str, str]:
        reads.append("s3")
        return read_brands_text(URL)

    registry = ReloadingBrandRegistry(read, ttl_seconds=60, now=lambda: now[0])
    put(aws, WITH_GLOBEX)
    now[0] += 59
    assert registry.ids == ["acme"], "within the TTL the container keeps its copy"
    with pytest.raises(UnknownBrandError):
        registry.get("globex")
    assert len(reads) == 1, "and reads nothing"
    now[0] += 2
    assert registry.get("globex").name == "Globex"
    assert [b.id for b in registry] == ["acme", "globex"]
    assert len(reads) == 2

    # An invalid file pushed by hand fails loudly with the usual message, once the TTL is over.
    put(aws, WITH_GLOBEX.replace("platform: bluesky", "platform: myspace"))
    now[0] += 61
    with pytest.raises(ConfigError, match=r"brand 'globex' \(#2\), field accounts\.0\.platform"):
        registry.get("acme")


def test_services_read_the_brands_configured_as_an_s3_url(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    put(aws, WITH_GLOBEX)
    monkeypatch.setenv("PULSE_CONFIG", URL)
    get_settings.cache_clear()
    services = Services.from_settings()
    assert isinstance(services.brands, ReloadingBrandRegistry)
    assert services.brands.ids == ["acme", "globex"]


def test_a_file_in_the_image_is_read_once(tmp_path: Path) -> None:
    path = tmp_path / "brands.yaml"
    path.write_text(ACME)
    registry = open_brands(str(path), ttl_seconds=0)
    assert not isinstance(registry, ReloadingBrandRegistry)
    assert registry.ids == ["acme"]


def test_push_validates_then_uploads_to_the_archive(aws: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    broken = tmp_path / "broken.yaml"
    broken.write_text(ACME.replace("language: fr", "language: de"))
    refused = runner.invoke(app, ["brands", "push", str(broken)])
    assert refused.exit_code == 2
    assert "brand 'acme'" in refused.output and "field language" in refused.output
    assert "Contents" not in aws.list_objects_v2(Bucket=BUCKET, Prefix="config/")

    good = tmp_path / "brands.yaml"
    good.write_text(WITH_GLOBEX)
    pushed = runner.invoke(app, ["brands", "push", str(good)])
    assert pushed.exit_code == 0, pushed.output
    assert URL in pushed.output and "acme, globex" in pushed.output
    assert load_brands(URL).ids == ["acme", "globex"]
    body = aws.get_object(Bucket=BUCKET, Key=ARCHIVE_CONFIG_KEY)
    assert body["Body"].read().decode() == WITH_GLOBEX
    assert body["ContentType"] == "application/yaml"


def test_push_to_an_explicit_url_or_path(aws: Any, tmp_path: Path) -> None:
    good = tmp_path / "brands.yaml"
    good.write_text(ACME)
    runner = CliRunner()
    other = f"s3://{BUCKET}/deploy/prod-brands.yaml"
    assert runner.invoke(app, ["brands", "push", str(good), "--to", other]).exit_code == 0
    assert load_brands(other).ids == ["acme"]
    local = tmp_path / "out" / "brands.yaml"
    assert runner.invoke(app, ["brands", "push", str(good), "--to", str(local)]).exit_code == 0
    assert load_brands(local).ids == ["acme"]
    # `pulse brands` still lists (and validates) a file.
    listed = runner.invoke(app, ["brands", "--config", str(local)])
    assert listed.exit_code == 0 and "acme" in listed.output


def test_push_refuses_a_local_logo_the_functions_could_not_read(aws: Any, tmp_path: Path) -> None:
    (tmp_path / "acme.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    local_logo = tmp_path / "brands.yaml"
    local_logo.write_text(ACME + "    logo: acme.png\n")
    refused = CliRunner().invoke(app, ["brands", "push", str(local_logo)])
    assert refused.exit_code == 2
    assert "brand 'acme'" in refused.output and "https URL" in refused.output
    assert "Contents" not in aws.list_objects_v2(Bucket=BUCKET, Prefix="config/")
