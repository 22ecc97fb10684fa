"""The Lambda handlers with the sample events of events/, against moto S3 and SES v2."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from pulse.config import load_brands
from pulse.pipeline import reset_shared_services
from pulse.settings import get_settings
from tests.conftest import load_event, load_function, requires_browser
from tests.functional.conftest import BUCKET, REGION, Context, api_call, body, keys, published_keys, seed_lake


def test_fetch_handler_fills_the_lake(aws: Any) -> None:
    app = load_function("fetch")
    result = app.lambda_handler(load_event("fetch.json"), Context())
    assert result["failures"] == []
    brands = {b.id for b in load_brands()}
    assert {r["brand"] for r in result["brands"]} == brands
    lake = keys(aws, "lake/")
    for brand in brands:
        for table in ("posts", "messages", "followers"):
            assert any(k.startswith(f"lake/{table}/brand={brand}/month=") for k in lake), (brand, table)
    again = app.lambda_handler(load_event("fetch.json"), Context())
    assert all(sum(r["new"].values()) == 0 for r in again["brands"]), "re-running a day adds no rows"


def test_fetch_handler_rejects_a_malformed_event(aws: Any) -> None:
    from pulse.jobs import JobError

    app = load_function("fetch")
    with pytest.raises(JobError, match="days"):
        app.lambda_handler({"job": "fetch", "days": "lots"}, Context())
    assert keys(aws, "lake/") == []


@requires_browser
def test_monthly_handler_archives_and_mails(aws: Any) -> None:
    event = load_event("monthly.json")
    seed_lake(event["brands"])
    app = load_function("monthly")
    result = app.lambda_handler(event, Context())
    assert [r["ok"] for r in result["reports"]] == [True, True]
    for brand in event["brands"]:
        stored = set(keys(aws, f"reports/{brand}/2026-10/"))
        published = published_keys(aws, brand, "2026-10")
        assert set(published) == {"report.html", "report.pdf", "kpis.json"}
        assert stored == {*published.values(), f"reports/{brand}/2026-10/manifest.json"}
        pdf = aws.get_object(Bucket=BUCKET, Key=published["report.pdf"])
        assert pdf["ContentType"] == "application/pdf" and pdf["Body"].read().startswith(b"%PDF")
        kpis = json.loads(aws.get_object(Bucket=BUCKET, Key=published["kpis.json"])["Body"].read())
        assert kpis["month"] == "2026-10" and kpis["kpis"]["posts"] > 0
    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert len(sent) == 2
    assert any("claire.dupont@maison-lumiere.example" in m.destinations[0] for m in sent)
    assert all("https://api.agency.example/reports/" in m.raw_data for m in sent)


@requires_browser
def test_monthly_handler_never_sends_a_half_made_report(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from pulse.jobs import JobError
    from pulse.render import browser

    def broken(self: Any, html: str, **kwargs: Any) -> Any:
        raise browser.RenderError("simulated browser crash")

    seed_lake(load_event("monthly.json")["brands"])
    monkeypatch.setattr(browser.ChromiumRenderer, "render", broken)
    app = load_function("monthly")
    with pytest.raises(JobError, match="simulated browser crash"):
        app.lambda_handler(load_event("monthly.json"), Context())
    assert keys(aws, "reports/") == []
    assert ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages == []


@requires_browser
def test_api_create_then_fetch_report(aws: Any) -> None:
    seed_lake(["maison-lumiere"])
    app = load_function("api")
    created = api_call(app, "api-create-report.json")
    assert created["statusCode"] == 201, created
    payload = body(created)
    assert payload["ok"] and payload["links"]["report.pdf"] == "/reports/maison-lumiere/2026-10/report.pdf"
    published = published_keys(aws, "maison-lumiere", "2026-10")
    assert set(published) == {"report.html", "report.pdf", "kpis.json"}
    assert set(keys(aws, "reports/maison-lumiere/2026-10/")) == {
        *published.values(),
        "reports/maison-lumiere/2026-10/manifest.json",
    }

    got = api_call(app, "api-get-report.json")
    assert got["statusCode"] == 200
    files = body(got)["files"]
    assert files["report.pdf"].startswith(f"https://{BUCKET}.s3")
    assert "X-Amz-Signature=" in files["report.pdf"] or "Signature=" in files["report.pdf"]

    redirect = api_call(app, "api-get-report-file.json")
    assert redirect["statusCode"] == 302
    assert "report.pdf" in redirect["headers"]["Location"]

    listed = api_call(app, "api-list-reports.json")
    assert listed["statusCode"] == 200
    assert [r["month"] for r in body(listed)["reports"]] == ["2026-10"]


def test_api_errors_are_json_with_the_right_status(aws: Any) -> None:
    app = load_function("api")
    bad = api_call(app, "api-create-report-bad-brand.json")
    assert bad["statusCode"] == 400 and "invalid brand id" in body(bad)["message"]
    unknown = api_call(
        app, "api-create-report.json", body=json.dumps({"brand": "nobody", "month": "2026-10"})
    )
    assert unknown["statusCode"] == 404 and "nobody" in body(unknown)["message"]
    not_json = api_call(app, "api-create-report.json", body="{brand:")
    assert not_json["statusCode"] == 400 and "JSON" in body(not_json)["message"]
    bad_month = api_call(
        app, "api-create-report.json", body=json.dumps({"brand": "brightbank", "month": "10/2026"})
    )
    assert bad_month["statusCode"] == 400 and "YYYY-MM" in body(bad_month)["message"]
    missing = api_call(app, "api-get-report.json", path="/reports/brightbank/2026-10")
    assert missing["statusCode"] == 404 and "POST /reports" in body(missing)["message"]
    no_file = api_call(app, "api-get-report.json", path="/reports/brightbank/2026-10/secrets.txt")
    assert no_file["statusCode"] == 404
    traversal = api_call(app, "api-get-report.json", path="/reports/..%2F..%2Fetc/2026-10")
    assert traversal["statusCode"] in (400, 404)
    no_route = api_call(app, "api-get-report.json", path="/nothing/here")
    assert no_route["statusCode"] == 404
    assert keys(aws, "reports/") == []


def test_handlers_do_not_log_secrets(
    aws: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULSE_SMTP_PASSWORD", "hunter2-super-secret")
    get_settings.cache_clear()
    reset_shared_services()
    app = load_function("fetch")
    app.lambda_handler(load_event("fetch.json"), Context())
    out = capsys.readouterr()
    assert "hunter2" not in out.out + out.err
    assert "hunter2" not in repr(get_settings())


@requires_browser
def test_worker_handler_with_the_sample_event(aws: Any) -> None:
    seed_lake(["maison-lumiere"])
    app = load_function("worker")
    result = app.lambda_handler(load_event("worker-sqs.json"), Context())
    assert result == {"batchItemFailures": []}
    assert published_keys(aws, "maison-lumiere", "2026-10")["report.pdf"] in keys(
        aws, "reports/maison-lumiere/"
    )
    (sent,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert "claire.dupont@maison-lumiere.example" in sent.destinations[0]
