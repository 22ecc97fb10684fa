"""Share links end to end: the link in the mail opens the report for a reader with no credentials.

On "AWS": moto in server mode on loopback (S3, SES v2, DynamoDB, Secrets Manager over
real HTTP), the worker function mails the report, the public share function answers
the link with a redirect to a presigned URL, and a plain HTTP client opens it.
Locally: `pulse report --send` writes the mail, `pulse serve` answers its links.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.server import ThreadedMotoServer
from moto.ses.models import ses_backends

from pulse.lake import Lake
from pulse.pipeline import reset_shared_services
from pulse.settings import get_settings
from pulse.sources import DemoSource
from pulse.storage import LocalStore
from tests.conftest import WINDOW, load_event, load_function, requires_browser, wait_until_listening
from tests.functional.conftest import BUCKET, REGION, TABLE, Context, create_stack_resources, seed_lake

pytestmark = [requires_browser]

SECRET = "pulse-share-keys/test"
PUBLIC = "https://reports.agency.example"
LINK = re.compile(r"https?://\S+/share/[A-Za-z0-9._-]+(?:/\d{4}-\d{2}/[a-z.]+)?")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plain_get(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET with no credentials, no cookies, no signature: what a mail reader's browser sends."""
    req = urllib.request.Request(url, headers={"User-Agent": "Mozilla/5.0"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def mail_text(raw: str | bytes) -> str:
    msg = email.message_from_bytes(
        raw if isinstance(raw, bytes) else raw.encode(), policy=email.policy.default
    )
    assert isinstance(msg, EmailMessage)
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    text: str = part.get_content()  # type: ignore[attr-defined]
    return text


def links_in(text: str) -> dict[str, str]:
    found = LINK.findall(text)
    by_kind = {}
    for url in found:
        tail = url.rsplit("/", 1)[-1]
        by_kind[tail if tail in ("report.html", "report.pdf") else "archive"] = url
    return by_kind


def tampered(url: str) -> str:
    token = url.split("/share/")[1].split("/")[0]
    key_id, body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged = (
        base64.urlsafe_b64encode(json.dumps({**payload, "b": "brightbank"}).encode()).rstrip(b"=").decode()
    )
    return url.replace(token, f"{key_id}.{forged}.{sig}")


# ------------------------------------------------------------------ AWS (moto server)


@pytest.fixture
def moto_server(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for key, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "PULSE_ARCHIVE": f"s3://{BUCKET}",
        "PULSE_MAIL_TRANSPORT": "ses",
        "PULSE_MAIL_FROM": "Community Pulse <reports@agency.example>",
        "PULSE_PUBLIC_BASE_URL": PUBLIC,
        "PULSE_IDEMPOTENCY_TABLE": TABLE,
        "PULSE_SHARE_KEY_SECRET": SECRET,
        "POWERTOOLS_SERVICE_NAME": "community-pulse-test",
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    reset_shared_services()
    create_stack_resources()
    # What the stack's ShareKeySecret holds (GenerateSecretString: {"current": "k1", "k1": <64 chars>}).
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=SECRET, SecretString=json.dumps({"current": "k1", "k1": secrets.token_urlsafe(48)})
    )
    try:
        yield endpoint
    finally:
        # moto's backends are process-wide: leave nothing for the next test.
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
        server.stop()
        get_settings.cache_clear()
        reset_shared_services()


def share_call(app: Any, url: str) -> dict[str, Any]:
    """The public function with API Gateway's event for ``url`` (its path: the custom domain maps to the API)."""
    event = load_event("share-get-file.json")
    path = urllib.parse.urlsplit(url).path
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    response: dict[str, Any] = app.lambda_handler(event, Context())
    return response


def test_the_link_in_the_mail_opens_the_pdf_and_the_html_without_credentials(moto_server: str) -> None:
    seed_lake(["maison-lumiere"])
    worker = load_function("worker")
    assert worker.lambda_handler(load_event("worker-sqs.json"), Context()) == {"batchItemFailures": []}
    (sent,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    text = mail_text(sent.raw_data)
    links = links_in(text)
    assert set(links) == {"report.html", "archive"}, text  # the PDF is attached, not linked
    assert all(u.startswith(f"{PUBLIC}/share/") for u in links.values())
    assert "/reports/" not in text, "no IAM-only API link left in the mail"
    assert "Tous les rapports de Maison Lumière" in text and "jusqu'au" in text

    share = load_function("share")
    html_link = links["report.html"]
    pdf_link = html_link.removesuffix("report.html") + "report.pdf"
    for url, check in (
        (html_link, lambda b: b.startswith(b"<!DOCTYPE html>") and "Maison Lumière".encode() in b),
        (pdf_link, lambda b: b.startswith(b"%PDF")),
    ):
        answer = share_call(share, url)
        assert answer["statusCode"] == 302, answer
        location = answer["headers"]["Location"]
        assert location.startswith(moto_server) and "X-Amz-Expires=300" in location
        assert answer["headers"]["Referrer-Policy"] == "no-referrer"
        status, _, body = plain_get(location)
        assert status == 200 and check(body), url

    # The archive page: the brand's months, in French, each with its three files.
    page = share_call(share, links["archive"])
    assert page["statusCode"] == 200 and page["headers"]["Content-Type"].startswith("text/html")
    html = page["body"] if not page.get("isBase64Encoded") else base64.b64decode(page["body"]).decode()
    assert "Archives des rapports" in html and "Octobre 2026" in html
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert [h.rsplit("/", 2)[1:] for h in hrefs] == [
        ["2026-10", "report.html"], ["2026-10", "report.pdf"], ["2026-10", "kpis.json"]
    ]  # fmt: skip
    numbers = share_call(share, urllib.parse.urljoin(links["archive"], hrefs[2]))
    status, _, body = plain_get(numbers["headers"]["Location"])
    assert status == 200 and json.loads(body)["month"] == "2026-10"

    # The authenticated API function answers the same links (one code path).
    api = load_function("api")
    assert share_call(api, pdf_link)["statusCode"] == 302

    # Refused: an altered token, a token for another brand, an expired one, a month it does not cover.
    for bad, why in (
        (html_link.replace("/share/k1.", "/share/k1.x"), "not valid"),
        (tampered(html_link), "not valid"),
        (html_link.replace("/2026-10/", "/2026-09/"), "2026-10 report only"),
    ):
        refused = share_call(share, bad)
        assert refused["statusCode"] == 403, (bad, refused)
        assert why in json.loads(refused["body"])["message"]
    from pulse.share_routes import create_share_handler

    later = create_share_handler(now=lambda: datetime.now(UTC) + timedelta(days=181))
    expired = share_call(type("App", (), {"lambda_handler": staticmethod(later)}), pdf_link)
    assert expired["statusCode"] == 403 and "expired on" in json.loads(expired["body"])["message"]


def test_rotating_then_revoking_the_key_in_secrets_manager_revokes_the_links(moto_server: str) -> None:
    from pulse.config import load_brands
    from pulse.period import Month
    from pulse.pipeline import Services
    from pulse.share import mint_links
    from pulse.share_routes import create_share_handler

    services = Services.from_settings()
    assert services.share_keys is not None
    brand = load_brands().get("brightbank")
    links = mint_links(services.share_keys, PUBLIC, brand, Month(2026, 10), now=datetime.now(UTC))
    handler = create_share_handler()
    app = type("App", (), {"lambda_handler": staticmethod(handler)})
    # Not archived yet, but the token is accepted: 404, not 403.
    assert share_call(app, links.file("2026-10", "report.pdf"))["statusCode"] == 404

    source = services.share_keys
    source.save(source.load().rotated())
    source.save(source.load().revoked("k1"))
    warm = share_call(app, links.file("2026-10", "report.pdf"))
    assert warm["statusCode"] == 404, "a warm container keeps the keys it read for up to 5 minutes"
    reset_shared_services()  # a new container; warm ones see it after their cache's max_age (5 minutes)
    fresh = create_share_handler()
    answer = share_call(type("App", (), {"lambda_handler": staticmethod(fresh)}), links.archive)
    assert answer["statusCode"] == 403 and "revoked" in json.loads(answer["body"])["message"]


# ------------------------------------------------------------------ locally: pulse report + pulse serve


@pytest.fixture(scope="module")
def local(
    tmp_path_factory: pytest.TempPathFactory, brands: Any
) -> Iterator[tuple[str, Path, dict[str, str]]]:
    out = tmp_path_factory.mktemp("share")
    lake = Lake(LocalStore(out / "archive"))
    brand = brands.get("brightbank")
    lake.write(brand.id, brand.tz, DemoSource().fetch(brand, *WINDOW))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULSE_", "AWS_"))}
    env |= {"PULSE_PUBLIC_BASE_URL": base, "PULSE_API_KEY": "local-automation-key"}
    pulse = str(Path(sys.executable).with_name("pulse"))
    proc = subprocess.Popen(
        [pulse, "serve", "--port", str(port), "--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    wait_until_listening(proc, port)
    try:
        yield base, out, env | {"PULSE_CLI": pulse}
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0].decode()
        assert "/share/<token>" in output and "/share/k" not in output, "tokens are not logged"


def pulse_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([env["PULSE_CLI"], *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_locally_the_mailed_links_open_through_pulse_serve(local: tuple[str, Path, dict[str, str]]) -> None:
    base, out, env = local
    pulse_cli(env, "report", "--brand", "brightbank", "--month", "2026-10", "--send", "--out", str(out))
    (eml,) = (out / "outbox").glob("brightbank-2026-10-*.eml")
    links = links_in(mail_text(eml.read_bytes()))
    assert set(links) == {"report.html", "archive"} and all(u.startswith(base) for u in links.values())
    keyfile = out / "state" / "share-keys.json"
    assert keyfile.stat().st_mode & 0o077 == 0, "the local key file is private"

    status, headers, html = plain_get(links["report.html"])
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"BrightBank" in html
    status, headers, pdf = plain_get(links["report.html"].removesuffix("report.html") + "report.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf" and pdf.startswith(b"%PDF")
    status, _, page = plain_get(links["archive"])
    assert status == 200 and b"Report archive" in page and b"October 2026" in page

    # The automation API still wants its key; the share routes never do.
    assert plain_get(f"{base}/brands/brightbank/reports")[0] == 401

    for bad in (tampered(links["report.html"]), links["report.html"].replace("/2026-10/", "/2026-09/")):
        status, _, body = plain_get(bad)
        assert status == 403, bad
        assert json.loads(body)["message"]

    # `pulse share` mints a link for a CM to paste; a link for another brand does not open this one.
    other = pulse_cli(
        env, "share", "--brand", "maison-lumiere", "--month", "2026-10", "--out", str(out)
    ).strip()
    assert other.startswith(f"{base}/share/") and plain_get(other)[0] == 404  # its own (absent) report only
    pasted = pulse_cli(env, "share", "--brand", "brightbank", "--out", str(out)).strip()
    assert plain_get(pasted)[0] == 200

    # Revoke: rotate, then remove the old key. Every link it signed stops opening at once.
    pulse_cli(env, "share-keys", "rotate", "--out", str(out))
    assert plain_get(pasted)[0] == 200, "rotating alone keeps older links"
    pulse_cli(env, "share-keys", "revoke", "k1", "--out", str(out))
    status, _, body = plain_get(pasted)
    assert status == 403 and "revoked" in json.loads(body)["message"]
    listed = pulse_cli(env, "share-keys", "list", "--out", str(out))
    assert "k2" in listed and "k1" not in listed.replace(str(out), "")
    assert all(secret not in listed for secret in json.loads(keyfile.read_text()).values() if len(secret) > 8)
