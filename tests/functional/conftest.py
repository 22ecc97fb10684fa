"""Fixtures and helpers for the AWS-facing tests: moto S3, SES v2, DynamoDB, and Lambda-like calls."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from pulse.config import load_brands
from pulse.pipeline import Services, fetch_brand, reset_shared_services
from pulse.settings import get_settings
from tests.conftest import WINDOW, load_event

BUCKET = "pulse-archive-test"
TABLE = "pulse-idempotency-test"
REGION = "eu-west-3"


class Context:
    function_name = "test"
    memory_limit_in_mb = 2048
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:test"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 600_000


@pytest.fixture
def aws(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("PULSE_ARCHIVE", f"s3://{BUCKET}")
    monkeypatch.setenv("PULSE_MAIL_TRANSPORT", "ses")
    monkeypatch.setenv("PULSE_MAIL_FROM", "Community Pulse <reports@agency.example>")
    monkeypatch.setenv("PULSE_PUBLIC_BASE_URL", "https://api.agency.example")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "community-pulse-test")
    monkeypatch.setenv("PULSE_IDEMPOTENCY_TABLE", TABLE)
    get_settings.cache_clear()
    reset_shared_services()
    with mock_aws():
        yield create_stack_resources()
    get_settings.cache_clear()
    reset_shared_services()


def keys(s3: Any, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def published_keys(s3: Any, brand: str, month: str) -> dict[str, str]:
    """The archive keys of a brand-month's published report (through its manifest)."""
    manifest = json.loads(
        s3.get_object(Bucket=BUCKET, Key=f"reports/{brand}/{month}/manifest.json")["Body"].read()
    )
    return {name: f["key"] for name, f in manifest["files"].items()}


def seed_lake(brand_ids: list[str]) -> None:
    services = Services.from_settings()
    for brand in load_brands():
        if brand.id in brand_ids:
            fetch_brand(services, brand, *WINDOW)


def api_call(app: Any, name: str, **changes: Any) -> dict[str, Any]:
    event = load_event(name)
    if "path" in changes:
        event["rawPath"] = event["requestContext"]["http"]["path"] = changes["path"]
    if "body" in changes:
        event["body"] = changes["body"]
    response: dict[str, Any] = app.lambda_handler(event, Context())
    return response


def body(response: dict[str, Any]) -> Any:
    raw = response["body"]
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw)


def create_stack_resources() -> Any:
    """The stack's archive bucket, once-only table and SES identity (in moto); returns the S3 client."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="agency.example")
    return s3
