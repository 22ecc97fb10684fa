"""X OAuth 2.0 refresh tokens: exchanged at a loopback fake of ``POST /2/oauth2/token`` that, like X,
kills a refresh token once used; the new one is written back (file, Secrets Manager) before use."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pulse.config import Account, Brand
from pulse.connectors import FileTokens, SecretsManagerTokens
from pulse.connectors.tokens import RefreshCredential
from pulse.storage import LocalStore
from tests.functional.platform_fakes import NOW, FakeX, make_source

START = NOW - timedelta(days=10)
BRAND = Brand(id="maison-lumiere", name="Maison Lumière", timezone="Europe/Paris",
              accounts=[Account(platform="x", id="maisonlumiere")])  # fmt: skip
REGION = "eu-west-3"
SECRET = "community-pulse/tokens"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "archive")


@pytest.fixture
def api() -> Iterator[FakeX]:
    with FakeX(token="x-no-access-token-yet") as fake:
        yield fake


def urls(api: FakeX) -> dict[str, str]:
    return {"x": api.url, "x_oauth": f"{api.url}/2/oauth2/token"}


def secrets_in(store: LocalStore) -> list[str]:
    """Every stored file's text (archives are gzipped)."""
    out = []
    for path in Path(store.location).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            out.append((gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace"))
    return out


class OrderedFileTokens(FileTokens):
    """A tokens file that notes, when the rotated token is saved, whether the API already saw its access token."""

    def __init__(self, path: Path, api: FakeX) -> None:
        super().__init__(path)
        self.api = api
        self.used_before_save: list[int] = []

    def save(self, platform: str, account_id: str, credential: RefreshCredential) -> None:
        bearer = f"Bearer {self.api.token}"
        self.used_before_save.append(sum(r.headers.get("authorization") == bearer for r in self.api.requests))
        super().save(platform, account_id, credential)


def test_x_refresh_token_is_rotated_written_back_before_use_and_works_next_run(
    store: LocalStore, api: FakeX, tmp_path: Path
) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(
        json.dumps({"x": {"maisonlumiere": api.credential()}, "tiktok": "other"}), encoding="utf-8"
    )
    path.chmod(0o600)
    first_refresh = api.refresh_token
    tokens = OrderedFileTokens(path, api)
    src = make_source(store, tokens, urls(api))
    tables = src.fetch(BRAND, START, NOW)
    src.commit()
    assert src.last_report.ok, src.last_report.lines()
    assert len(tables.posts) == 7
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["x"]["maisonlumiere"]["refresh_token"] == api.refresh_token != first_refresh
    assert saved["tiktok"] == "other" and path.stat().st_mode & 0o777 == 0o600
    assert tokens.used_before_save == [0]  # stored before the first call with the new access token
    (exchange,) = api.paths("/2/oauth2/token")
    # a confidential client: HTTP Basic client_id:client_secret, no secret in the body
    basic = base64.b64encode(f"{api.client_id}:{api.client_secret}".encode()).decode()
    assert exchange.headers["authorization"] == f"Basic {basic}"
    assert exchange.form["grant_type"] == ["refresh_token"] and "client_secret" not in exchange.form

    # three hours later (the access token has expired), a new process: the stored token works
    later = make_source(store, FileTokens(path), urls(api), now=NOW + timedelta(hours=3))
    later.fetch(BRAND, START, NOW + timedelta(hours=3))
    assert later.last_report.ok, later.last_report.lines()
    assert json.loads(path.read_text())["x"]["maisonlumiere"]["refresh_token"] == api.refresh_token
    assert api.token_calls == 2
    text = "\n".join(secrets_in(store)) + json.dumps(src.report()) + repr(src.http.log)
    for secret in (first_refresh, api.refresh_token, api.token, api.client_secret, basic):
        assert secret not in text
    assert not list(tmp_path.glob(".tokens.json*.tmp"))


def test_x_public_client_sends_its_client_id_in_the_body(store: LocalStore, api: FakeX) -> None:
    api.confidential = False
    from pulse.connectors import StaticTokens

    tokens = StaticTokens({"x": api.credential()})  # no client_secret: a PKCE public client
    src = make_source(store, tokens, urls(api))
    src.fetch(BRAND, START, NOW)
    assert src.last_report.ok, src.last_report.lines()
    (exchange,) = api.paths("/2/oauth2/token")
    assert exchange.form["client_id"] == [api.client_id] and "authorization" not in exchange.headers
    stored = tokens.token("x", "maisonlumiere")
    assert isinstance(stored, RefreshCredential) and stored.refresh_token == api.refresh_token


def test_a_used_x_refresh_token_says_to_authorise_again_and_fetches_nothing(
    store: LocalStore, api: FakeX
) -> None:
    from pulse.connectors import StaticTokens

    used = {**api.credential(), "refresh_token": "x-refresh-used-long-ago-abcdef"}
    src = make_source(store, StaticTokens({"x": used}), urls(api))
    tables = src.fetch(BRAND, START, NOW)
    assert tables.posts.empty and api.paths("/2/users/.*") == []
    (problem,) = src.problems()
    assert "x account 'maisonlumiere'" in problem and "HTTP 400: invalid_request" in problem
    assert "authorise the account again" in problem and "'Refresh credentials', X" in problem
    assert "x-refresh-used-long-ago-abcdef" not in problem + json.dumps(src.report())


def current(secrets: Any) -> str:
    """The secret's AWSCURRENT version. (Moto answers a GetSecretValue without ``VersionStage`` with
    the last version *put*, not the one ``UpdateSecretVersionStage`` made current; AWS answers
    AWSCURRENT, and the code always asks for it by name.)"""
    return str(secrets.get_secret_value(SecretId=SECRET, VersionStage="AWSCURRENT")["SecretString"])


@pytest.fixture
def secrets(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def test_x_rotation_in_secrets_manager_survives_a_second_fetch_holding_a_stale_copy(
    secrets: Any, store: LocalStore, api: FakeX
) -> None:
    """Two fetches read the secret (Powertools caches it 5 minutes); the first rotates the refresh
    token. The second one's copy is then dead at X: it reads the secret again and uses the new one,
    instead of telling the user to authorise the account again."""
    secrets.create_secret(Name=SECRET, SecretString=json.dumps(
        {"x": {"maisonlumiere": api.credential()}, "facebook": {"1": "EAAB-other"}}))  # fmt: skip
    first = SecretsManagerTokens(SECRET, boto3_client=secrets)
    second = SecretsManagerTokens(SECRET, boto3_client=secrets)
    stale = second.token("x", "maisonlumiere")  # cached now, before the first fetch rotates it
    assert isinstance(stale, RefreshCredential)

    one = make_source(store, first, urls(api))
    one.fetch(BRAND, START, NOW)
    assert one.last_report.ok, one.last_report.lines()
    after_one = json.loads(current(secrets))
    assert after_one["x"]["maisonlumiere"]["refresh_token"] == api.refresh_token != stale.refresh_token
    assert after_one["facebook"] == {"1": "EAAB-other"}

    two = make_source(store, second, urls(api), now=NOW + timedelta(hours=3))
    two.fetch(BRAND, START, NOW + timedelta(hours=3))
    assert two.last_report.ok, two.last_report.lines()
    assert api.token_calls == 3  # the stale token refused once, then the stored one
    final = json.loads(current(secrets))
    assert final["x"]["maisonlumiere"]["refresh_token"] == api.refresh_token
    versions = secrets.list_secret_version_ids(SecretId=SECRET)["Versions"]
    assert len(versions) >= 3  # the original and one version per rotation


def save_rotations(path: str, account: int) -> str:
    """One fetch rotating one account's refresh token again and again in the shared tokens file."""
    tokens = FileTokens(path)
    last = ""
    for n in range(15):
        last = f"x-refresh-{account}-{n}"
        tokens.save("x", f"brand{account}", RefreshCredential(last, "client", "secret"))
    return last


@pytest.mark.parametrize("kind", ["threads", "processes"])
def test_concurrent_rotations_of_different_accounts_keep_every_token_in_the_file(
    tmp_path: Path, kind: str
) -> None:
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
    from multiprocessing import get_context

    path = tmp_path / "tokens.json"
    path.write_text(
        json.dumps(
            {
                "x": {
                    f"brand{a}": {"refresh_token": "r0", "client_id": "client", "client_secret": "secret"}
                    for a in range(4)
                }
            }
        )
    )
    pool = (
        ThreadPoolExecutor(4)
        if kind == "threads"
        else ProcessPoolExecutor(4, mp_context=get_context("spawn"))
    )
    with pool:
        last = list(pool.map(save_rotations, [str(path)] * 4, range(4)))
    saved = json.loads(path.read_text())["x"]
    assert [saved[f"brand{a}"]["refresh_token"] for a in range(4)] == last
    assert not list(tmp_path.glob("*.tmp"))


def test_a_secrets_manager_save_that_loses_the_race_keeps_the_rivals_rotation(secrets: Any) -> None:
    """Another fetch rotates another account's token between this save's read and its write: the
    stage move fails, the save starts again from the rival's version, both tokens stay."""
    doc = {"x": {a: {"refresh_token": "r0", "client_id": "c"} for a in ("brand1", "brand2")}}
    secrets.create_secret(Name=SECRET, SecretString=json.dumps(doc))
    real_put = secrets.put_secret_value
    raced: list[bool] = []

    def put_after_a_rival(**kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            SecretsManagerTokens(SECRET, boto3_client=secrets).save(
                "x", "brand2", RefreshCredential("r-brand2-new", "c", "")
            )
        return real_put(**kwargs)

    client = type("Racing", (), {})()
    for name in ("get_secret_value", "update_secret_version_stage", "describe_secret"):
        setattr(client, name, getattr(secrets, name))
    client.put_secret_value = put_after_a_rival
    SecretsManagerTokens(SECRET, boto3_client=client).save(
        "x", "brand1", RefreshCredential("r-brand1-new", "c", "")
    )
    assert raced
    stored = json.loads(current(secrets))["x"]
    assert (stored["brand1"]["refresh_token"], stored["brand2"]["refresh_token"]) == (
        "r-brand1-new",
        "r-brand2-new",
    )


def test_concurrent_secrets_manager_saves_of_different_accounts_keep_every_token(
    secrets: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four threads rotate four accounts' tokens in one secret, 10 times each: none is lost."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from moto.secretsmanager.models import SecretsManagerBackend

    # AWS applies a PutSecretValue or a stage move in one step; moto's backend methods read then
    # write. Serialising them gives moto AWS's atomicity, so the test measures the save's retries.
    serial = threading.Lock()
    for name in ("put_secret_value", "update_secret_version_stage", "get_secret_value"):
        method = getattr(SecretsManagerBackend, name)

        def atomic(self: Any, *args: Any, __method: Any = method, **kwargs: Any) -> Any:
            with serial:
                return __method(self, *args, **kwargs)

        monkeypatch.setattr(SecretsManagerBackend, name, atomic)
    accounts = [f"brand{a}" for a in range(4)]
    doc = {"x": {a: {"refresh_token": "r0", "client_id": "c"} for a in accounts}}
    secrets.create_secret(Name=SECRET, SecretString=json.dumps(doc))

    def rotate(account: str) -> str:
        tokens = SecretsManagerTokens(SECRET, boto3_client=secrets)
        last = ""
        for n in range(10):
            last = f"r-{account}-{n}"
            tokens.save("x", account, RefreshCredential(last, "c", ""))
        return last

    with ThreadPoolExecutor(4) as pool:
        last = list(pool.map(rotate, accounts))
    stored = json.loads(current(secrets))["x"]
    assert [stored[a]["refresh_token"] for a in accounts] == last
