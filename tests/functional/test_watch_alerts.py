"""Incident alerts end to end: once-only, quiet hours, chat webhooks (a fake server on loopback), SNS (moto)."""

from __future__ import annotations

import email
import json
import threading
from collections.abc import Iterator
from datetime import datetime
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pulse.config import AlertWebhook, Brand, parse_brands
from pulse.pipeline import Services
from pulse.settings import Settings
from pulse.tables import Tables, normalize
from pulse.watch.alerts import (
    SnsChannel,
    WebhookChannel,
    build_alert_view,
    google_chat_payload,
    in_quiet_hours,
    slack_payload,
    sns_subject,
    teams_payload,
)
from pulse.watch.job import alert_channels, watch_brand

EVIL = "<!channel> <script>alert(1)</script> & *gras* [lien](http://x) `code`"

BRANDS = """
brands:
  - id: acme
    name: Acmé
    language: fr
    timezone: Europe/Paris
    accounts: [{platform: x, id: acme}, {platform: instagram, id: acme.ig}]
    recipients: [cm@acme.example]
    alerts: {ALERTS}
"""


class FakeChat:
    """A loopback HTTP server that records each POST; ``status`` sets its answer."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        chat = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                chat.requests.append(
                    {
                        "path": self.path,
                        "content_type": self.headers["Content-Type"],
                        "json": json.loads(self.rfile.read(length).decode("utf-8")),
                    }
                )
                self.send_response(chat.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def chat() -> Iterator[FakeChat]:
    server = FakeChat()
    yield server
    server.close()


def _brand(alerts: str = "{}") -> Brand:
    return parse_brands(BRANDS.replace("{ALERTS}", alerts)).get("acme")


def _services(tmp_path: Path, brand: Brand) -> Services:
    from pulse.config import BrandRegistry

    settings = Settings(
        archive=str(tmp_path / "archive"),
        outbox=tmp_path / "outbox",
        state_dir=tmp_path / "state",
        mail_transport="outbox",
    )
    services = Services.from_settings(settings)
    services.brands = BrandRegistry([brand])
    return services


def _store_storm(
    services: Services,
    brand: Brand,
    storm_at: str,
    complaints: int = 90,
    start: pd.Timestamp | None = None,
) -> None:
    """Calm days of 20 messages (answered within the hour) from ``start``, then ``complaints``
    unanswered ones from ``storm_at``."""
    rng = np.random.default_rng(3)
    rows: list[dict[str, Any]] = []
    first = start if start is not None else pd.Timestamp("2026-09-01T00:00Z")
    days = int((pd.Timestamp(storm_at) - first) / pd.Timedelta(days=1)) + 10
    for d in range(days):
        for k in range(20):
            at = first + pd.Timedelta(days=d, hours=float(rng.uniform(0, 24)))
            platform = "x" if k % 2 else "instagram"
            negative = rng.random() < 0.3
            rows.append(
                _row(platform, f"m{d}-{k}", at, False, None, "merci", "negative" if negative else "positive")
            )
            rows.append(
                _row(platform, f"r{d}-{k}", at + pd.Timedelta(minutes=40), True, f"m{d}-{k}", "ok", None)
            )
    storm = pd.Timestamp(storm_at)
    for k in range(complaints):
        text = EVIL if k == 0 else f"Toujours pas reçu ma commande n°{k}, colis bloqué 😡"
        rows.append(_row("x", f"s{k}", storm + pd.Timedelta(minutes=20 * k), False, None, text, "negative"))
    frame = normalize("messages", pd.DataFrame(rows))
    services.lake.write(brand.id, brand.tz, Tables(messages=frame))


def _row(
    platform: str,
    mid: str,
    at: pd.Timestamp,
    from_brand: bool,
    to: str | None,
    text: str,
    sentiment: str | None,
) -> dict[str, Any]:
    return {
        "platform": platform, "account": "a", "message_id": mid, "created_at": at.isoformat(),
        "from_brand": from_brand, "in_reply_to": to, "text": text, "sentiment": sentiment,
        "author": "someone",
    }  # fmt: skip


def _outbox(tmp_path: Path) -> list[EmailMessage]:
    files = sorted((tmp_path / "outbox").glob("*.eml")) if (tmp_path / "outbox").exists() else []
    return [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]  # type: ignore[misc]


def _at(text: str) -> datetime:
    return pd.Timestamp(text).to_pydatetime()


# ---------------------------------------------------------------- once-only


def test_one_opened_and_one_resolved_alert_whatever_the_number_of_runs(tmp_path: Path) -> None:
    brand = _brand()
    services = _services(tmp_path, brand)
    _store_storm(services, brand, "2026-10-05T08:00Z")

    first = watch_brand(services, brand, _at("2026-10-05T20:00Z"))
    incident = first.incidents[0]["id"]
    assert incident.startswith("acme-20261005T")
    assert [s.split(":")[0] for s in first.sent] == [f"opened {incident} email"]
    for hour in ("2026-10-05T21:00Z", "2026-10-06T09:00Z", "2026-10-06T09:00Z"):
        again = watch_brand(services, brand, _at(hour))
        assert again.sent == [] and again.repeated and again.ok
    later = watch_brand(services, brand, _at("2026-10-10T09:00Z"))
    assert [s.split(":")[0] for s in later.sent] == [f"resolved {incident} email"]
    assert watch_brand(services, brand, _at("2026-10-10T10:00Z")).sent == []

    mails = _outbox(tmp_path)
    assert [m["X-Pulse-Incident"] for m in mails] == [f"{incident} opened", f"{incident} resolved"]
    opened = mails[0]
    assert opened["To"] == "cm@acme.example"
    assert opened["Subject"].startswith("[Acmé] Incident : ")
    text = opened.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = opened.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "messages négatifs" in text and "habituellement" in text and "Sans réponse" in text
    assert "X (" in text  # top platforms
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html  # people's words escaped
    assert html.count("<blockquote") == 3


def test_a_failed_channel_is_retried_without_repeating_the_others(tmp_path: Path, chat: FakeChat) -> None:
    brand = _brand(f'{{webhooks: [{{kind: slack, url: "{chat.url}/hook"}}]}}')
    services = _services(tmp_path, brand)
    _store_storm(services, brand, "2026-10-05T08:00Z")
    chat.status = 500
    first = watch_brand(services, brand, _at("2026-10-05T20:00Z"))
    assert not first.ok and "HTTP 500" in first.errors[0]
    assert len(first.sent) == 1 and first.sent[0].startswith(f"opened {first.incidents[0]['id']} email")
    chat.status = 200
    second = watch_brand(services, brand, _at("2026-10-05T21:00Z"))
    assert second.ok and [s.split(" ")[2].split(":")[0] for s in second.sent] == ["webhook"]
    assert len(_outbox(tmp_path)) == 1 and len(chat.requests) == 2


# ---------------------------------------------------------------- quiet hours


def test_quiet_hours_in_the_brands_time_zone() -> None:
    from pulse.config import QuietHours

    quiet = QuietHours.model_validate({"start": "21:00", "end": "08:00"})
    paris = _brand().tz
    assert in_quiet_hours(_at("2026-10-05T20:30Z"), paris, quiet)  # 22:30 in Paris
    assert in_quiet_hours(_at("2026-10-06T05:30Z"), paris, quiet)  # 07:30
    assert not in_quiet_hours(_at("2026-10-06T06:30Z"), paris, quiet)  # 08:30
    assert not in_quiet_hours(_at("2026-10-05T18:30Z"), paris, quiet)  # 20:30
    assert not in_quiet_hours(_at("2026-10-05T22:00Z"), paris, None)
    day = QuietHours.model_validate({"start": "12:00", "end": "14:00"})
    assert in_quiet_hours(_at("2026-10-05T11:00Z"), paris, day)


def test_quiet_hours_hold_an_alert_until_morning_unless_it_is_severe(tmp_path: Path) -> None:
    quiet = '{quiet_hours: {start: "21:00", end: "08:00"}, severe_ratio: 1000}'
    brand = _brand(quiet)
    services = _services(tmp_path, brand)
    _store_storm(services, brand, "2026-10-05T08:00Z")
    night = watch_brand(services, brand, _at("2026-10-05T22:00Z"))  # midnight in Paris
    incident = night.incidents[0]["id"]
    assert night.sent == [] and night.held == [f"opened {incident} (quiet hours)"]
    morning = watch_brand(services, brand, _at("2026-10-06T07:00Z"))  # 09:00 in Paris
    assert [s.split(":")[0] for s in morning.sent] == [f"opened {incident} email"]

    severe_brand = _brand('{quiet_hours: {start: "21:00", end: "08:00"}}')
    tmp_severe = tmp_path / "severe"
    services = _services(tmp_severe, severe_brand)
    _store_storm(services, severe_brand, "2026-10-05T08:00Z")
    night = watch_brand(services, severe_brand, _at("2026-10-05T22:00Z"))
    assert night.held == [] and len(night.sent) == 1  # severe: sent at night


# ---------------------------------------------------------------- chat payloads


def _view() -> Any:
    from pulse.watch.detect import Incident

    brand = _brand()
    incident = Incident(
        brand="acme", began_at=pd.Timestamp("2026-10-05T06:00Z"), detected_at=pd.Timestamp("2026-10-05T09:00Z"),
        last_abnormal_at=pd.Timestamp("2026-10-06T09:00Z"), resolved_at=None, severe=True, metrics=("negative",),
        peak_at=pd.Timestamp("2026-10-06T09:00Z"), peak_negative=129, usual_negative=11.2, peak_backlog=200,
        usual_backlog=20.0, peak_wait_minutes=600.0, negative_messages=332, unanswered_messages=215,
        platforms=(("x", 127), ("instagram", 103)), examples=(EVIL, "Colis bloqué 😡", "Où est ma commande ?"),
    )  # fmt: skip
    return build_alert_view(brand, incident, "opened", pd.Timestamp("2026-10-06T10:00Z"))


def test_alert_text_in_the_brands_language() -> None:
    view = _view()
    assert view.subject == "[Acmé] Incident : 129 messages négatifs en 24 h (habituellement 11)"
    assert view.headline == "Les plaintes s’envolent depuis lundi 5 octobre à 08:00."
    assert "332 messages négatifs depuis lundi 5 octobre à 08:00" in view.lines[0]
    assert "X (127), Instagram (103)" in view.lines[2]
    assert "215" in view.lines[3]


def test_webhook_payloads_reach_a_fake_server_in_each_platforms_shape(chat: FakeChat) -> None:
    view = _view()
    for kind in ("slack", "teams", "google_chat"):
        hook = AlertWebhook(kind=kind, url=f"{chat.url}/{kind}")  # type: ignore[arg-type]
        assert WebhookChannel(hook).send(view, datetime.now()).endswith("200")
    slack, teams, google = (r["json"] for r in chat.requests)
    assert [r["path"] for r in chat.requests] == ["/slack", "/teams", "/google_chat"]
    assert all(r["content_type"] == "application/json; charset=UTF-8" for r in chat.requests)

    # Slack: text + Block Kit; &, < and > escaped so <!channel> cannot ping anyone.
    assert slack["text"].startswith("[Acmé] Incident")
    assert [b["type"] for b in slack["blocks"]] == ["header", "section", "section"]
    quotes = slack["blocks"][2]["text"]["text"]
    assert "&lt;!channel&gt;" in quotes and "<!channel>" not in json.dumps(slack)
    assert "&amp;" in quotes
    # Teams (Workflows webhook): a message carrying one Adaptive Card.
    assert teams["type"] == "message"
    attachment = teams["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert all(block["type"] == "TextBlock" for block in card["body"])
    assert "<script>" not in json.dumps(teams) and "[lien](" not in json.dumps(teams)
    # Google Chat: {"text": ...}; no <users/all>-style markup survives.
    assert set(google) == {"text"} and google["text"].startswith("*[Acmé] Incident")
    assert "<" not in google["text"] and "‹!channel›" in google["text"]


def test_slack_payload_is_pure_and_identical_twice() -> None:
    assert slack_payload(_view()) == slack_payload(_view())
    assert teams_payload(_view()) == teams_payload(_view())
    assert google_chat_payload(_view()) == google_chat_payload(_view())


def test_sns_alert_with_moto(aws_env: None) -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        sns = boto3.client("sns", region_name="eu-west-3")
        sqs = boto3.client("sqs", region_name="eu-west-3")
        topic = sns.create_topic(Name="pulse-alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="oncall")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        message_id = SnsChannel(topic, sns).send(_view(), datetime.now())
        assert message_id
        body = json.loads(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])
        assert body["Subject"] == "[Acme] Incident : 129 messages negatifs en 24 h (habituellement 11)"
        assert "215" in body["Message"] and "Colis bloqué" in body["Message"]
        assert body["MessageAttributes"]["brand"]["Value"] == "acme"


def test_sns_subject_is_ascii_and_short() -> None:
    assert sns_subject("Café Boréal – alerte " + "x" * 200).startswith("Cafe Boreal  alerte")
    assert len(sns_subject("é" * 300)) <= 99


def test_channels_follow_the_brand_and_the_settings(tmp_path: Path) -> None:
    brand = _brand(
        '{recipients: [oncall@acme.example], webhooks: [{kind: teams, url: "https://example.com/h"}]}'
    )
    services = _services(tmp_path, brand)
    services.settings = services.settings.model_copy(update={"alert_topic_arn": "arn:aws:sns:eu-west-3:1:t"})
    channels = alert_channels(services, brand)
    assert [c.name.split(":")[0] for c in channels] == ["email", "webhook", "sns"]
    assert channels[0].recipients == ["oncall@acme.example"]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- on AWS, after the daily fetch


def test_the_daily_fetch_mails_the_alert_once_with_ses(
    aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pulse.pipeline import reset_shared_services
    from pulse.settings import get_settings
    from tests.conftest import load_event, load_function
    from tests.functional.conftest import Context

    config = tmp_path / "brands.yaml"
    config.write_text(BRANDS.replace("{ALERTS}", "{}"), encoding="utf-8")
    monkeypatch.setenv("PULSE_CONFIG", str(config))
    get_settings.cache_clear()
    reset_shared_services()
    services = Services.from_settings()
    brand = services.brands.get("acme")
    now = pd.Timestamp.now(tz="UTC").floor("h")
    _store_storm(
        services, brand, (now - pd.Timedelta(hours=30)).isoformat(), start=now - pd.Timedelta(days=45)
    )

    app = load_function("fetch")
    first = app.lambda_handler(load_event("fetch.json"), Context())
    (watched,) = first["watch"]
    assert watched["brand"] == "acme" and first["failures"] == []
    assert len(watched["sent"]) == 1 and watched["sent"][0].startswith("opened acme-")
    assert " email: " in watched["sent"][0]  # the SES message id
    again = app.lambda_handler(load_event("fetch.json"), Context())
    assert again["watch"][0]["sent"] == [] and len(again["watch"][0]["repeated"]) == 1


# ---------------------------------------------------------------- the command line


def test_pulse_watch_catches_up_and_alerts_each_incident_once(tmp_path: Path) -> None:
    from tests.functional.test_cli import run

    fetched = run("fetch", "--brand", "maison-lumiere", "--since", "2026-09-01", "--out", str(tmp_path))
    assert fetched.returncode == 0, fetched.stderr
    first = run("watch", "--brand", "maison-lumiere", "--since", "2026-10-01", "--out", str(tmp_path))
    assert first.returncode == 0, first.stderr
    runs = [json.loads(line) for line in first.stdout.splitlines()]
    assert len(runs) >= 30 and all(r["brand"] == "maison-lumiere" for r in runs)
    sent = [s.split(":")[0] for r in runs for s in r["sent"]]
    october = [s for s in sent if " maison-lumiere-202610" in s]
    assert october == [f"opened {october[0].split()[1]} email", f"resolved {october[0].split()[1]} email"]
    assert len(sent) == len(set(sent))  # each (incident, kind) once
    assert set(runs[-1]["pulse"]) >= {"all", "x", "instagram", "facebook", "linkedin"}
    mails = _outbox(tmp_path)
    assert len(mails) == len(sent)
    assert all(m["X-Pulse-Brand"] == "maison-lumiere" for m in mails)

    again = run("watch", "--brand", "maison-lumiere", "--since", "2026-10-01", "--out", str(tmp_path))
    assert again.returncode == 0 and all(json.loads(line)["sent"] == [] for line in again.stdout.splitlines())
    assert len(_outbox(tmp_path)) == len(sent)
    calm = run("watch", "--brand", "brightbank", "--out", str(tmp_path))
    assert calm.returncode == 0 and json.loads(calm.stdout)["sent"] == []
