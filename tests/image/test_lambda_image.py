"""Every function of the Lambda image, run in it, end to end, against moto on loopback.

One scenario, in order (each test builds on the previous one, as the functions do in AWS):
the fetch fills the lake; the dispatcher queues the brands' reports; the API queues an
on-demand report; the worker consumes exactly the queued messages, archives each report and
mails it once (a redelivered message sends nothing more; an unknown brand is the only batch
item failure); the API then serves the job's status and a presigned link that downloads the
PDF from moto. The worker printing a PDF inside the image is what failed before libatomic1
was installed (Playwright's Node driver could not start).
"""

from __future__ import annotations

import base64
import copy
import email
import json
import os
import re
import subprocess
import sys
import urllib.parse
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulse.config import ARCHIVE_CONFIG_KEY, BrandRegistry, parse_brands
from pulse.period import previous_month
from pulse.pipeline import due_brands
from tests.conftest import load_event
from tests.image.conftest import BUCKET, CREDENTIALS, REGION
from tests.image.lambda_harness import ROOT, LambdaContainer, http, load_template

DEMO_BRANDS = ROOT / "layers" / "core" / "python" / "pulse" / "demo" / "brands.yaml"
UNKNOWN_BRAND = "no-such-brand"
SHARE_LINK = re.compile(r"https?://\S+/share/[A-Za-z0-9._-]+(?:/\d{4}-\d{2}/[a-z.]+)?")

#: What the scenario passes from one step to the next.
state: dict[str, Any] = {}


def scheduled_input(resource: str, event: str) -> dict[str, Any]:
    """The fixed JSON a schedule of template.yaml sends its function."""
    props = load_template()["Resources"][resource]["Properties"]["Events"][event]["Properties"]
    payload: dict[str, Any] = json.loads(props["Input"])
    return payload


def sqs_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """An SQS message as Lambda's event source mapping hands it to the function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def receive_all(aws: dict[str, Any]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while True:
        batch = (
            aws["sqs"]
            .receive_message(
                QueueUrl=aws["queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
            )
            .get("Messages", [])
        )
        if not batch:
            return messages
        messages.extend(batch)


def api_event(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    event = copy.deepcopy(load_event("api-create-report.json"))
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["body"] = json.dumps(body) if body is not None else None
    return event


def sent_mails(aws: dict[str, Any]) -> list[EmailMessage]:
    """Every mail moto's SES recorded (SES v2 raw sends land in the SES backend)."""
    status, _, body = http(f"{aws['endpoint']}/moto-api/data.json")
    assert status == 200
    raw = json.loads(body).get("ses", {}).get("RawMessage", [])
    return [email.message_from_string(m["raw_data"], policy=policy.default) for m in raw]  # type: ignore[misc]


def pdf_attachments(mail: EmailMessage) -> list[bytes]:
    return [
        part.get_content() for part in mail.iter_attachments() if part.get_content_type() == "application/pdf"
    ]


def invoke(fn: LambdaContainer, event: Any) -> Any:
    try:
        return fn.invoke(event)
    except Exception:
        print(fn.logs()[-20000:], file=sys.stderr)
        raise


def failure(fn: LambdaContainer, answer: Any) -> str:
    """The answer, and the errors the function logged (e.g. a shared library the image lacks)."""
    errors = [line for line in fn.logs().splitlines() if "rror" in line or "cannot open" in line]
    return f"{answer}\n--- {fn.spec.name} logged:\n" + "\n".join(errors[-15:])


@pytest.fixture(scope="module")
def brands(aws: dict[str, Any]) -> BrandRegistry:
    """The demo brands, pushed to the bucket with `pulse brands push` (BrandsSource=archive).

    Each brand's report is scheduled at 00:00 local on today's day of the month (the 28th at
    the latest), so the hourly dispatcher finds brands due whenever the day allows it.
    """
    data = yaml.safe_load(DEMO_BRANDS.read_text(encoding="utf-8"))
    today = datetime.now(UTC)
    for brand in data["brands"]:
        brand["schedule"] = {"day": min(today.day, 28), "hour": 0}
    path = ROOT / "out" / "image-test" / "brands.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULSE_", "AWS_"))}
    env.update(CREDENTIALS, AWS_ENDPOINT_URL=aws["endpoint"])
    push = subprocess.run(
        [
            str(Path(sys.executable).with_name("pulse")),
            "brands",
            "push",
            str(path),
            "--to",
            f"s3://{BUCKET}/{ARCHIVE_CONFIG_KEY}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert push.returncode == 0, push.stderr
    return parse_brands(path.read_text(encoding="utf-8"), str(path))


def test_fetch_fills_the_lake_in_s3(
    lambdas: dict[str, LambdaContainer], aws: dict[str, Any], brands: BrandRegistry
) -> None:
    month = previous_month(datetime.now(UTC), brands.get(brands.ids[0]).tz)
    summary = invoke(lambdas["fetch"], {"job": "fetch", "days": 70})
    assert summary["failures"] == [], summary
    assert [b["brand"] for b in summary["brands"]] == brands.ids
    assert all(sum(b["fetched"].values()) > 0 for b in summary["brands"]), summary
    keys = {o["Key"] for o in aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="lake/").get("Contents", [])}
    for brand in brands.ids:
        for table in ("posts", "messages", "followers"):
            assert f"lake/{table}/brand={brand}/month={month}/data.parquet" in keys, (brand, table)
    # The daily schedule's own event, warm: re-fetching merges by key.
    daily = invoke(lambdas["fetch"], scheduled_input("FetchFunction", "Daily"))
    assert daily["failures"] == [], daily
    state["month"] = str(month)


def test_dispatcher_queues_the_due_brands(
    lambdas: dict[str, LambdaContainer], aws: dict[str, Any], brands: BrandRegistry
) -> None:
    before = {b.id for b, _ in due_brands(brands, datetime.now(UTC))}
    hourly = invoke(lambdas["monthly"], scheduled_input("MonthlyFunction", "Monthly"))
    after = {b.id for b, _ in due_brands(brands, datetime.now(UTC))}
    queued = {j["brand"] for j in hourly["queued"]}
    assert queued in (before, after), (queued, before, after)
    # A by-hand run for the last month (docs/deploy.md): every brand, warm.
    by_hand = invoke(lambdas["monthly"], {"job": "monthly", "month": state["month"]})
    assert sorted(j["brand"] for j in by_hand["queued"]) == sorted(brands.ids)
    messages = receive_all(aws)
    bodies = [json.loads(m["Body"]) for m in messages]
    assert sorted((b["brand"], b["month"]) for b in bodies) == sorted(
        (j["brand"], j["month"]) for j in [*hourly["queued"], *by_hand["queued"]]
    )
    assert {(b["kind"], b["send"]) for b in bodies} == {("monthly", True)}
    state["monthly_messages"] = messages


def test_api_queues_an_on_demand_report(
    lambdas: dict[str, LambdaContainer], aws: dict[str, Any], brands: BrandRegistry
) -> None:
    brand = brands.ids[0]
    created = invoke(lambdas["api"], api_event("POST", "/reports", {"brand": brand, "month": state["month"]}))
    assert created["statusCode"] == 202, created
    job = json.loads(created["body"])
    assert job["status"] == "queued" and created["headers"]["Location"] == f"/jobs/{job['job']}"
    polled = invoke(lambdas["api"], api_event("GET", f"/jobs/{job['job']}"))
    assert polled["statusCode"] == 200 and json.loads(polled["body"])["status"] == "queued"
    (message,) = receive_all(aws)
    assert json.loads(message["Body"])["job_id"] == job["job"]
    state["api_job"], state["api_message"] = job["job"], message


def test_worker_archives_and_mails_each_queued_report_once(
    lambdas: dict[str, LambdaContainer], aws: dict[str, Any], brands: BrandRegistry
) -> None:
    arn = aws["queue_arn"]
    first, *others = state["monthly_messages"]
    unknown = copy.deepcopy(first)
    unknown["MessageId"] = "00000000-0000-4000-8000-000000000000"
    unknown["Body"] = json.dumps({**json.loads(first["Body"]), "brand": UNKNOWN_BRAND})
    # Cold start: a batch of two, one of them for a brand nobody configured.
    answer = invoke(lambdas["worker"], sqs_event([sqs_record(first, arn), sqs_record(unknown, arn)]))
    assert answer == {"batchItemFailures": [{"itemIdentifier": unknown["MessageId"]}]}, failure(
        lambdas["worker"], answer
    )
    # Then one message per invocation, as the event source mapping (BatchSize 1) delivers them.
    for message in [*others, state["api_message"]]:
        answer = invoke(lambdas["worker"], sqs_event([sqs_record(message, arn)]))
        assert answer == {"batchItemFailures": []}, failure(lambdas["worker"], answer)

    # Each report is published whole: its files under a version, then the manifest pointing at them.
    month = state["month"]
    for brand in brands.ids:
        manifest = json.loads(
            aws["s3"].get_object(Bucket=BUCKET, Key=f"reports/{brand}/{month}/manifest.json")["Body"].read()
        )
        keys = {name: manifest["files"][name]["key"] for name in ("report.html", "report.pdf", "kpis.json")}
        for name, key in keys.items():
            assert key.startswith(f"reports/{brand}/{month}/"), (brand, key)
            assert aws["s3"].head_object(Bucket=BUCKET, Key=key)["ContentLength"] > 0, (brand, name)
        pdf = aws["s3"].get_object(Bucket=BUCKET, Key=keys["report.pdf"])["Body"].read()
        assert pdf.startswith(b"%PDF-"), brand

    mails = sent_mails(aws)
    by_brand: dict[str, list[EmailMessage]] = {}
    for mail in mails:
        to = {address for _, address in getaddresses([str(v) for v in mail.get_all("To", [])])}
        (brand,) = [b for b in brands if to & set(b.recipients)]
        by_brand.setdefault(brand.id, []).append(mail)
    # One mail per brand-month, however many messages asked for it (the hourly and the by-hand
    # runs may both have queued the same brand-month).
    brand_months = {
        (b["brand"], b["month"]) for b in (json.loads(m["Body"]) for m in state["monthly_messages"])
    }
    assert sorted(by_brand) == sorted(brands.ids), "every brand mailed"
    for brand_id, brand_mails in by_brand.items():
        months = sum(1 for b, _ in brand_months if b == brand_id)
        assert len(brand_mails) == months, f"{brand_id}: {len(brand_mails)} mails for {months} brand-month(s)"
        (attachment,) = pdf_attachments(brand_mails[0])
        assert attachment.startswith(b"%PDF-"), brand_id
    state["mails"] = len(mails)


def test_the_same_message_delivered_twice_sends_nothing_more(
    lambdas: dict[str, LambdaContainer], aws: dict[str, Any]
) -> None:
    again = state["monthly_messages"][0]
    answer = invoke(lambdas["worker"], sqs_event([sqs_record(again, aws["queue_arn"])]))
    assert answer == {"batchItemFailures": []}, failure(lambdas["worker"], answer)
    assert len(sent_mails(aws)) == state["mails"]


def test_api_serves_the_job_and_a_presigned_link_to_the_pdf(
    lambdas: dict[str, LambdaContainer], brands: BrandRegistry
) -> None:
    brand, month = brands.ids[0], state["month"]
    job = invoke(lambdas["api"], api_event("GET", f"/jobs/{state['api_job']}"))
    assert job["statusCode"] == 200 and json.loads(job["body"])["status"] == "done", job
    archived = invoke(lambdas["api"], api_event("POST", "/reports", {"brand": brand, "month": month}))
    assert archived["statusCode"] == 200, archived
    links = invoke(lambdas["api"], api_event("GET", f"/reports/{brand}/{month}"))
    assert links["statusCode"] == 200, links
    redirect = invoke(lambdas["api"], api_event("GET", f"/reports/{brand}/{month}/report.pdf"))
    assert redirect["statusCode"] == 302, redirect
    location = redirect["headers"]["Location"]
    path = location.split("?")[0]
    assert (
        "X-Amz-Signature=" in location
        and f"/reports/{brand}/{month}/" in path
        and path.endswith("/report.pdf")
    )
    status, headers, body = http(location)
    assert status == 200 and body.startswith(b"%PDF-"), (status, headers)
    unknown = invoke(lambdas["api"], api_event("GET", f"/reports/{UNKNOWN_BRAND}/{month}"))
    assert unknown["statusCode"] == 404


def share_event(url: str) -> dict[str, Any]:
    """API Gateway's event for a share link's path (the public route, no credentials)."""
    event = copy.deepcopy(load_event("share-get-file.json"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = urllib.parse.urlsplit(url).path
    return event


def share_payload(url: str) -> dict[str, Any]:
    """The signed payload a share link carries (brand ``b``, month, file, expiry)."""
    body = url.split("/share/")[1].split("/")[0].split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return payload


def forged_for(url: str, brand: str) -> str:
    """The same link with its payload rewritten to another brand, signature kept."""
    token = url.split("/share/")[1].split("/")[0]
    key_id, _, sig = token.split(".")
    payload = {**share_payload(url), "b": brand}
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return url.replace(token, f"{key_id}.{forged}.{sig}")


def test_the_share_link_in_the_mail_opens_without_credentials(
    lambdas: dict[str, LambdaContainer], aws: dict[str, Any], brands: BrandRegistry
) -> None:
    """Issue #17: the link SES recorded opens the HTML and the PDF with a plain client; forgeries get 403."""
    mail = sent_mails(aws)[0]
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    links = SHARE_LINK.findall(body.get_content())  # type: ignore[attr-defined]
    html_link = next(u for u in links if u.endswith("/report.html"))
    pdf_link = html_link.removesuffix("report.html") + "report.pdf"
    for url, magic in ((html_link, b"<!DOCTYPE html>"), (pdf_link, b"%PDF-")):
        answer = invoke(lambdas["share"], share_event(url))
        assert answer["statusCode"] == 302, failure(lambdas["share"], answer)
        status, headers, content = http(answer["headers"]["Location"])
        assert status == 200 and content.startswith(magic), (url, status, headers)
    month = html_link.rsplit("/", 2)[1]
    token = html_link.split("/share/")[1].split("/")[0]
    other = next(b for b in brands.ids if b != share_payload(html_link)["b"])
    for bad in (
        html_link.replace(token, token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")),
        forged_for(html_link, other),
        html_link.replace(f"/{month}/", "/2001-01/"),
    ):
        refused = invoke(lambdas["share"], share_event(bad))
        assert refused["statusCode"] == 403, (bad, refused)
