"""Delivery you can trust: duplicates, concurrency, failed uploads, oversized mail, fan-out.

Delivery is tested with a fake renderer (tests/fakes.py); only the tests that
need a real PDF's size or go through the Lambda functions start Chromium.
"""

from __future__ import annotations

import base64
import email
import json
import re
import threading
import time
from datetime import UTC, datetime
from email import policy
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from pulse import pipeline
from pulse.api import build_resolver
from pulse.exceptions import StorageError
from pulse.period import Month
from pulse.pipeline import Services, fetch_brand, read_report_file, run_reports
from pulse.pipeline.services import chromium_renderer
from pulse.settings import Settings
from pulse.share_routes import build_share_resolver
from pulse.storage import LocalStore
from tests.conftest import REPORT_MONTH, WINDOW, load_event, load_function, requires_browser
from tests.fakes import FakeRenderer, fake_renderer_factory
from tests.functional.conftest import BUCKET, REGION, Context, body, keys, seed_lake

FILES = ("report.html", "report.pdf", "kpis.json")


@pytest.fixture
def services(local_settings: Settings, brands) -> Services:  # type: ignore[no-untyped-def]
    svc = Services.from_settings(
        local_settings.model_copy(update={"state_dir": Path(local_settings.outbox).parent / "state"}),
        renderer_factory=fake_renderer_factory(),
    )
    for brand_id in ("maison-lumiere", "brightbank"):
        brand = brands.get(brand_id)
        fetch_brand(svc, brand, *WINDOW)
    return svc


def outbox(services: Services) -> list[Path]:
    return sorted(Path(services.settings.outbox).glob("*.eml"))


def test_a_duplicated_monthly_run_mails_once(services: Services, brands) -> None:  # type: ignore[no-untyped-def]
    brand = brands.get("maison-lumiere")
    first = run_reports(services, [brand], REPORT_MONTH, send=True)
    html = read_report_file(services.store, "maison-lumiere", REPORT_MONTH, "report.html")
    second = run_reports(services, [brand], REPORT_MONTH, send=True)
    assert first[0].ok and second[0].ok
    assert second[0].mail == first[0].mail, "the duplicate returns the first run's outcome"
    assert not first[0].repeated and second[0].repeated
    assert len(outbox(services)) == 1
    assert read_report_file(services.store, "maison-lumiere", REPORT_MONTH, "report.html") == html


def test_concurrent_requests_generate_once(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    renderer = FakeRenderer()
    real = pipeline.report.produce_report
    started = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        started.set()
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline.report, "produce_report", slow)
    app = build_resolver(lambda: services, lambda: renderer)
    body = json.dumps({"brand": "brightbank", "month": "2026-10", "force": True})
    event = load_event("api-create-report.json")
    event["body"] = body
    results: dict[str, Any] = {}

    # Playwright objects belong to the thread that made them: the first request runs here,
    # the second one comes from another thread while the first is rendering.
    def second() -> None:
        started.wait(10)
        results["second"] = app.resolve(dict(event), Context())

    worker = threading.Thread(target=second)
    worker.start()
    results["first"] = app.resolve(dict(event), Context())
    worker.join()
    assert results["first"]["statusCode"] == 201
    assert results["second"]["statusCode"] == 409
    assert results["second"]["headers"]["Retry-After"] == "30"
    assert (
        "already" in json.loads(results["second"]["body"])["message"]
        or "another request" in json.loads(results["second"]["body"])["message"]
    )
    # Later, a cached answer comes back quickly without rendering.
    event["body"] = json.dumps({"brand": "brightbank", "month": "2026-10"})
    cached = app.resolve(dict(event), Context())
    assert cached["statusCode"] == 200 and json.loads(cached["body"])["cached"] is True


class FlakyStore(LocalStore):
    """A store whose upload of the PDF fails (a network error half-way through)."""

    fail = False

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        if self.fail and key.endswith("report.pdf"):
            raise StorageError(f"simulated upload failure for {key}")
        super().put(key, data, content_type)


def test_a_failed_upload_keeps_the_finished_report_and_sends_nothing(services: Services, brands) -> None:  # type: ignore[no-untyped-def]
    brand = brands.get("brightbank")
    flaky = FlakyStore(services.store.root)  # type: ignore[attr-defined]
    services.store = flaky
    services.lake.store = flaky
    run_reports(services, [brand], REPORT_MONTH, send=False)
    before = {n: read_report_file(flaky, "brightbank", REPORT_MONTH, n) for n in FILES}
    flaky.fail = True
    outcome = run_reports(services, [brand], REPORT_MONTH, send=True)[0]
    assert not outcome.ok and "simulated upload failure" in (outcome.error or "")
    after = {n: read_report_file(flaky, "brightbank", REPORT_MONTH, n) for n in before}
    assert after == before, "the archived report is the previous one, whole"
    assert outbox(services) == []
    assert not list(flaky.list("staging/")), "no staging leftovers"
    flaky.fail = False
    retried = run_reports(services, [brand], REPORT_MONTH, send=True)[0]
    assert retried.ok and len(outbox(services)) == 1, "a failed run leaves no once-only record: a retry sends"


@pytest.fixture
def huge_pdf(services: Services) -> None:
    """Reports whose PDF weighs 4 MB (a PDF comment pads it; readers ignore it)."""
    services.renderer_factory = fake_renderer_factory(pad=4_000_000)


def test_too_large_to_attach_is_linked(services: Services, brands, huge_pdf: None) -> None:  # type: ignore[no-untyped-def]
    brand = brands.get("maison-lumiere")
    services.settings = services.settings.model_copy(
        update={"mail_max_bytes": 3_000_000, "public_base_url": "https://reports.agency.example"}
    )
    outcome = run_reports(services, [brand], REPORT_MONTH, send=True)[0]
    assert outcome.ok, outcome.error
    assert len(read_report_file(services.store, "maison-lumiere", REPORT_MONTH, "report.pdf")) > 4_000_000
    raw = Path(outbox(services)[0]).read_bytes()
    assert len(raw) <= 3_000_000
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert not [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    html = msg.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "trop volumineux" in html
    # The PDF is linked with a share link (it opens for the recipients, who have no credentials).
    (pdf_link,) = re.findall(
        r'href="(https://reports\.agency\.example/share/[^"]+/2026-10/report\.pdf)"', html
    )
    event = load_event("share-get-file.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = pdf_link.removeprefix(
        "https://reports.agency.example"
    )
    answer = build_share_resolver(lambda: services, lambda: datetime.now(UTC)).resolve(event, Context())
    assert answer["statusCode"] == 200 and base64.b64decode(answer["body"]).startswith(b"%PDF")


def test_too_large_without_share_links_links_the_api(services: Services, brands, huge_pdf: None) -> None:  # type: ignore[no-untyped-def]
    brand = brands.get("maison-lumiere")
    services.share_keys = None  # e.g. an S3 archive without PULSE_SHARE_KEY_SECRET
    services.settings = services.settings.model_copy(
        update={"mail_max_bytes": 3_000_000, "public_base_url": "https://reports.agency.example"}
    )
    outcome = run_reports(services, [brand], REPORT_MONTH, send=True)[0]
    assert outcome.ok, outcome.error
    msg = email.message_from_bytes(Path(outbox(services)[0]).read_bytes(), policy=policy.default)
    html = msg.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "https://reports.agency.example/reports/maison-lumiere/2026-10/report.pdf" in html


def test_too_large_without_a_link_is_an_error_and_sends_nothing(
    services: Services, brands, huge_pdf: None
) -> None:  # type: ignore[no-untyped-def]
    brand = brands.get("maison-lumiere")
    services.share_keys = None  # no share links either
    services.settings = services.settings.model_copy(update={"mail_max_bytes": 3_000_000})
    outcome = run_reports(services, [brand], REPORT_MONTH, send=True)[0]
    assert not outcome.ok and "PULSE_PUBLIC_BASE_URL" in (outcome.error or "")
    assert outbox(services) == []


@requires_browser
def test_email_size_is_reasonable(services: Services, brands) -> None:  # type: ignore[no-untyped-def]
    services.renderer_factory = chromium_renderer  # the size of a real PDF and real chart PNGs
    run_reports(services, [brands.get("brightbank")], REPORT_MONTH, send=True)
    size = outbox(services)[0].stat().st_size
    assert 100_000 < size < 5_000_000, size


# ---------------------------------------------------------------- fan-out over SQS


@pytest.fixture
def queue(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An SQS report queue; the functions' services render with the fake renderer (no browser)."""
    from pulse.pipeline import services
    from pulse.settings import get_settings

    monkeypatch.setattr(services, "chromium_renderer", fake_renderer_factory())
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="pulse-reports")["QueueUrl"]
    monkeypatch.setenv("PULSE_REPORT_QUEUE_URL", url)
    get_settings.cache_clear()
    pipeline.reset_shared_services()
    return sqs, url


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT_ID}:pulse-reports",
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


def test_monthly_fans_out_and_the_worker_reports_once(aws: Any, queue: Any) -> None:
    sqs, url = queue
    event = load_event("monthly.json")
    seed_lake(event["brands"])
    dispatched = load_function("monthly").lambda_handler(event, Context())
    assert [j["brand"] for j in dispatched["queued"]] == event["brands"]
    assert keys(aws, "reports/") == [], "the dispatcher renders nothing itself"
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 2
    worker = load_function("worker")
    bad = {
        **messages[0],
        "MessageId": "bad-1",
        "Body": '{"kind": "monthly", "brand": "../etc", "month": "x"}',
    }
    result = worker.lambda_handler(sqs_event([*messages, bad]), Context())
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad-1"}]}
    assert len(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages) == 2
    for brand in event["brands"]:
        assert f"reports/{brand}/2026-10/manifest.json" in keys(aws, f"reports/{brand}/")
    # SQS delivers at least once: the same messages again send nothing new.
    again = worker.lambda_handler(sqs_event(messages), Context())
    assert again == {"batchItemFailures": []}
    assert len(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages) == 2


def test_api_queues_long_work_and_the_job_can_be_polled(aws: Any, queue: Any) -> None:
    sqs, url = queue
    seed_lake(["maison-lumiere"])
    api = load_function("api")
    accepted = api.lambda_handler(load_event("api-create-report.json"), Context())
    assert accepted["statusCode"] == 202
    job = body(accepted)
    assert job["status"] == "queued" and accepted["headers"]["Location"] == f"/jobs/{job['job']}"
    poll = load_event("api-get-report.json")
    poll["rawPath"] = poll["requestContext"]["http"]["path"] = job["poll"]
    assert body(api.lambda_handler(poll, Context()))["status"] == "queued"
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    load_function("worker").lambda_handler(sqs_event(messages), Context())
    done = body(api.lambda_handler(poll, Context()))
    assert done["status"] == "done" and done["outcome"]["ok"]
    assert ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages == [], "on-demand reports are not mailed"
    cached = api.lambda_handler(load_event("api-create-report.json"), Context())
    assert cached["statusCode"] == 200 and body(cached)["cached"] is True
    assert BUCKET in json.dumps(body(api.lambda_handler(load_event("api-get-report.json"), Context())))


def test_no_report_and_no_mail_for_a_month_without_data(services: Services, brands) -> None:  # type: ignore[no-untyped-def]
    outcome = run_reports(services, [brands.get("maison-lumiere")], Month(2024, 1), send=True)[0]
    assert not outcome.ok
    assert "no posts, messages or follower counts for maison-lumiere in 2024-01" in (outcome.error or "")
    assert "pulse fetch --brand maison-lumiere --since 2024-01-01" in (outcome.error or "")
    assert outbox(services) == [] and not list(services.store.list("reports/maison-lumiere/2024-01/"))
