"""`make image-test`: the functions of the built image, end to end, under Lambda's constraints.

These tests need Docker and a built image, so the default `make test` run leaves them out:
they are collected only when ``PULSE_IMAGE_UNDER_TEST`` names the image (the Makefile sets it,
with ``PULSE_RIE`` pointing at the emulator binary of the aws-sam-cli wheel).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.image.lambda_harness import (
    ROOT,
    LambdaContainer,
    TemplateValues,
    free_port,
    function_spec,
    load_template,
)

IMAGE = os.environ.get("PULSE_IMAGE_UNDER_TEST", "")
collect_ignore_glob = [] if IMAGE else ["test_*.py"]

REGION = "eu-west-3"
BUCKET = "pulse-archive-image-test"
TABLE = "pulse-idempotency-image-test"
QUEUE = "pulse-reports-image-test"
SES_IDENTITY = "agency.example"
FIGURES = ROOT / "out" / "image-test" / "figures.json"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


def rie_binary() -> Path:
    given = os.environ.get("PULSE_RIE")
    if given:
        return Path(given)
    found = sorted(ROOT.glob(".venv-sam/lib/python3*/site-packages/samcli/local/rapid/aws-lambda-rie-x86_64"))
    assert found, "no aws-lambda-rie: run `make sam` (aws-sam-cli ships it) or set PULSE_RIE"
    return found[0]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on loopback: S3, SQS, DynamoDB, SES v2, Secrets Manager, SSM."""
    port = free_port()
    server = Path(sys.executable).with_name("moto_server")
    log = (ROOT / "out" / "image-test").resolve()
    log.mkdir(parents=True, exist_ok=True)
    with open(log / "moto_server.log", "w") as out:
        process = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **_keys()).list_buckets()
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)


def _keys() -> dict[str, str]:
    return {
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "aws_session_token": "testing",
    }


@pytest.fixture(scope="session")
def aws(moto_endpoint: str) -> dict[str, Any]:
    """The stack's resources, created in moto: what `sam deploy` would have created."""

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=moto_endpoint, region_name=REGION, **_keys())

    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName=QUEUE, Attributes={"VisibilityTimeout": "1800"})["QueueUrl"]
    client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client("sesv2").create_email_identity(EmailIdentity=SES_IDENTITY)
    secrets = client("secretsmanager")
    secrets.create_secret(Name="community-pulse/tokens", SecretString="{}")
    share_keys = secrets.create_secret(
        Name="community-pulse-share-keys/image-test",
        SecretString=json.dumps({"current": "k1", "k1": "x" * 64}),
    )["ARN"]
    client("ssm").put_parameter(Name="/community-pulse/image-test", Value="ok", Type="String")
    return {
        "endpoint": moto_endpoint,
        "s3": s3,
        "sqs": sqs,
        "queue_url": queue_url,
        "queue_arn": f"arn:aws:sqs:{REGION}:123456789012:{QUEUE}",
        "client": client,
        "share_key_secret": share_keys,
    }


@pytest.fixture(scope="session")
def template_values(aws: dict[str, Any]) -> TemplateValues:
    """template.yaml resolved for this stack; brands from the bucket (BrandsSource=archive)."""
    return TemplateValues(
        load_template(),
        {
            "ArchiveBucket": BUCKET,
            "ReportQueue": aws["queue_url"],
            "IdempotencyTable": TABLE,
            "ShareKeySecret": aws["share_key_secret"],
            "MailFrom": f"Community Pulse <reports@{SES_IDENTITY}>",
            "SesIdentity": SES_IDENTITY,
            "BrandsSource": "archive",
            "AWS::Region": REGION,
            "AWS::StackName": "image-test",
            "AWS::URLSuffix": "amazonaws.com",
            "HttpApi": "abc123",
        },
    )


@pytest.fixture(scope="session")
def lambdas(aws: dict[str, Any], template_values: TemplateValues) -> Iterator[dict[str, LambdaContainer]]:
    """One container per function, started on first invocation, measured, removed at the end."""
    env = {**CREDENTIALS, "AWS_ENDPOINT_URL": aws["endpoint"]}
    rie = rie_binary()
    containers = {
        name: LambdaContainer(IMAGE, function_spec(template_values, name), rie, env)
        for name in ("fetch", "monthly", "worker", "api", "share")
    }
    try:
        yield containers
    finally:
        figures = {
            "image": IMAGE,
            "image_size_bytes": int(
                subprocess.run(
                    ["docker", "image", "inspect", "-f", "{{.Size}}", IMAGE],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            ),
            "functions": [c.figures() for c in containers.values() if c.invocations],
        }
        FIGURES.parent.mkdir(parents=True, exist_ok=True)
        FIGURES.write_text(json.dumps(figures, indent=2) + "\n")
        for container in containers.values():
            if container.container_id:
                (FIGURES.parent / f"{container.spec.name}.log").write_text(container.logs())
            container.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not IMAGE or not FIGURES.exists():
        return
    figures = json.loads(FIGURES.read_text())
    write = terminalreporter.write_line
    write(f"image {figures['image']}: {figures['image_size_bytes'] / 1e9:.2f} GB ({FIGURES})")
    write("function  memory  timeout  cold start  first call  peak MB  with cache  /tmp MB  warm calls (s)")
    for f in figures["functions"]:
        write(
            f"{f['function']:<9} {f['memory_size_mb']:>6}  {f['timeout_s']:>7}  {f['cold_start_s']:>9.2f}s"
            f"  {f['first_invocation_s']:>9.2f}s  {f['peak_memory_mb']:>7}  {f['peak_memory_with_page_cache_mb']:>10}"
            f"  {f['peak_tmp_mb']:>7}  {f['warm_s']}"
        )
