"""Tokens from AWS Secrets Manager and SSM Parameter Store (moto), and the HTTP client's retries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pulse.connectors import HttpClient, HttpError, RetryPolicy, SecretsManagerTokens, SsmTokens
from pulse.connectors.http import Budget, BudgetExhaustedError
from pulse.connectors.tokens import default_token_provider
from pulse.exceptions import SourceError
from tests.functional.platform_fakes import FakeApi, FakeClock, json_answer

REGION = "eu-west-3"


@pytest.fixture
def aws(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


def test_tokens_from_secrets_manager(aws: None) -> None:
    client = boto3.client("secretsmanager", region_name=REGION)
    client.create_secret(
        Name="pulse/tokens", SecretString=json.dumps({"x": "x-tok", "facebook": {"123": "fb-tok"}})
    )
    tokens = SecretsManagerTokens("pulse/tokens", boto3_client=client)
    assert tokens.token("x", "maisonlumiere") == "x-tok"
    assert tokens.token("facebook", "123") == "fb-tok"
    assert tokens.token("facebook", "456") is None
    with pytest.raises(SourceError, match="pulse/missing") as info:
        SecretsManagerTokens("pulse/missing", boto3_client=client).token("x", "a")
    assert "x-tok" not in str(info.value)


def test_tokens_from_ssm_and_the_default_chain(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name="/pulse/tokens/linkedin", Value="li-tok", Type="SecureString")
    ssm.put_parameter(Name="/pulse/tokens/youtube", Value=json.dumps({"UC1": "yt-tok"}), Type="SecureString")
    tokens = SsmTokens("/pulse/tokens", boto3_client=ssm)
    assert tokens.token("linkedin", "urn:li:organization:1") == "li-tok"
    assert tokens.token("youtube", "UC1") == "yt-tok"
    assert tokens.token("bluesky", "a.bsky.social") is None
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.create_secret(Name="pulse/tokens", SecretString=json.dumps({"x": "from-secret"}))
    env = {"PULSE_TOKENS_SECRET": "pulse/tokens", "PULSE_TOKENS_PARAMETER_PREFIX": "/pulse/tokens",
           "PULSE_TOKEN_MASTODON": "from-env"}  # fmt: skip
    chain = default_token_provider(env, secrets_client=secrets, ssm_client=ssm)
    assert chain.token("x", "a") == "from-secret"
    assert chain.token("linkedin", "a") == "li-tok"
    assert chain.token("mastodon", "a@b") == "from-env"


def client(clock: FakeClock, attempts: int = 5) -> HttpClient:
    return HttpClient(timeout=0.3, retry=RetryPolicy(attempts=attempts, jitter=lambda: 1.0), sleep=clock.sleep,
                      clock=clock, wall_clock=lambda: 1_000_000.0)  # fmt: skip


def test_http_retries_give_up_and_report_without_secrets() -> None:
    with FakeApi() as api:
        api.route("/ok", lambda r: json_answer({"ok": True}))
        api.fail("/ok", 502, times=5)
        clock = FakeClock()
        with pytest.raises(HttpError) as info:
            client(clock).get(f"{api.url}/ok", params={"access_token": "s3cr3t-value"})
        assert info.value.status == 502 and "s3cr3t-value" not in str(info.value)
        assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]
        api.fail("/ok", 404, "nope")
        with pytest.raises(HttpError):
            client(clock).get(f"{api.url}/ok")  # 4xx are not retried
        assert len(api.requests) == 6


def test_http_rate_limit_longer_than_the_budget_stops_cleanly() -> None:
    with FakeApi() as api:
        api.route("/ok", lambda r: json_answer({"ok": True}))
        api.fail("/ok", 429, headers={"Retry-After": "120"})
        clock = FakeClock()
        with pytest.raises(BudgetExhaustedError):
            client(clock).get(f"{api.url}/ok", budget=Budget(60, clock))
        assert clock.sleeps == []
        api.fail("/ok", 429, headers={"Retry-After": formatdate(1_000_010, usegmt=True)})  # wall clock + 10 s
        response = client(clock).get(f"{api.url}/ok", budget=Budget(60, clock))
        assert response.json() == {"ok": True} and clock.sleeps == [10.0]


def test_http_timeout_is_retried() -> None:
    import time

    with FakeApi() as api:
        calls: list[Any] = []

        def slow(request: Any) -> Any:
            calls.append(1)
            if len(calls) == 1:
                time.sleep(0.5)
            return json_answer({"ok": True})

        api.route("/slow", slow)
        clock = FakeClock()
        assert client(clock).get(f"{api.url}/slow").json() == {"ok": True}
        assert clock.sleeps == [1.0]


def test_rotated_refresh_tokens_are_stored_back_in_secrets_manager_and_ssm(aws: None) -> None:
    from pulse.connectors.tokens import RefreshCredential

    rotated = RefreshCredential("rft.new-refresh", "awclientkey", "client-secret")
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.create_secret(Name="pulse/tokens", SecretString=json.dumps(
        {"x": "AAAA", "tiktok": {"northwind": {"refresh_token": "rft.old", "client_key": "awclientkey", "client_secret": "client-secret"}}}))  # fmt: skip
    tokens = SecretsManagerTokens("pulse/tokens", boto3_client=secrets)
    tokens.save("tiktok", "northwind", rotated)
    stored = json.loads(
        secrets.get_secret_value(SecretId="pulse/tokens", VersionStage="AWSCURRENT")["SecretString"]
    )
    assert stored["tiktok"]["northwind"]["refresh_token"] == "rft.new-refresh" and stored["x"] == "AAAA"
    assert tokens.token("tiktok", "northwind") == rotated  # not Powertools' 5-minute-old copy

    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name="/pulse/tokens/tiktok", Type="SecureString", Value=json.dumps(
        {"northwind": {"refresh_token": "rft.old", "client_key": "awclientkey", "client_secret": "client-secret"}}))  # fmt: skip
    from_ssm = SsmTokens("/pulse/tokens", boto3_client=ssm)
    from_ssm.save("tiktok", "northwind", rotated)
    value = json.loads(
        ssm.get_parameter(Name="/pulse/tokens/tiktok", WithDecryption=True)["Parameter"]["Value"]
    )
    assert value["northwind"]["refresh_token"] == "rft.new-refresh"
    assert from_ssm.token("tiktok", "northwind") == rotated
