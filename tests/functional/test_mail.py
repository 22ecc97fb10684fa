"""The report email: built, parsed back, and sent over real transports (SMTP on loopback, moto SES v2)."""

from __future__ import annotations

import email
import re
import socket
import time
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import boto3
import pytest
from aiosmtpd.controller import Controller
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from pulse.delivery import OutboxSender, SesSender, SmtpSender, build_report_email
from pulse.exceptions import DeliveryError
from pulse.kpis import build_report_data
from pulse.render.viewmodel import build_report_view
from tests.conftest import REPORT_MONTH

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%fake but binary \xe2\xe3\xcf\xd3\n%%EOF\n"


@pytest.fixture(scope="module")
def message(french_brand, demo_tables) -> EmailMessage:  # type: ignore[no-untyped-def]
    tables = demo_tables[french_brand.id]
    data = build_report_data(
        tables,
        REPORT_MONTH.period(french_brand.tz),
        platforms=french_brand.platforms,
        opening_hours=french_brand.opening_hours,
    )
    view = build_report_view(french_brand, data, datetime(2026, 11, 2, tzinfo=UTC))
    charts = {c.id: PNG + c.id.encode() for c in view.charts}
    return build_report_email(
        view,
        sender="Rapports <reports@agency.example>",
        recipients=["claire@maison-lumiere.example"],
        pdf=PDF,
        charts_png=charts,
        link="https://api.example/reports/maison-lumiere/2026-10/report.html",
    )


def parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def check_report_mail(msg: EmailMessage) -> None:
    """What a recipient's mail client relies on."""
    assert msg.get_content_type() == "multipart/mixed"
    assert "Maison Lumière" in msg["Subject"] and "octobre 2026" in msg["Subject"]
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert "Taux de réponse" in plain.get_content()
    html_text = html.get_content()
    cids = set(re.findall(r'src="cid:([^"]+)"', html_text))
    assert len(cids) >= 5
    inline = {
        part["Content-ID"].strip("<>"): part for part in msg.walk() if part.get_content_type() == "image/png"
    }
    assert cids == set(inline), "every cid: in the HTML has its inline image and vice versa"
    for part in inline.values():
        assert part.get_content_disposition() == "inline"
        assert part.get_content().startswith(b"\x89PNG")
    attachments = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(attachments) == 1
    assert attachments[0].get_filename() == "maison-lumiere-2026-10.pdf"
    assert attachments[0].get_content() == PDF
    assert "https://api.example/reports/maison-lumiere/2026-10/report.html" in html_text


def test_message_structure(message: EmailMessage) -> None:
    check_report_mail(parse(message.as_bytes()))


def test_outbox_writes_an_eml(message: EmailMessage, tmp_path: Path) -> None:
    path = Path(OutboxSender(tmp_path / "outbox").send(message))
    assert path.suffix == ".eml" and path.parent == (tmp_path / "outbox").resolve()
    check_report_mail(parse(path.read_bytes()))


class _Collector:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_smtp_delivery_to_a_real_server(message: EmailMessage) -> None:
    collector = _Collector()
    port = _free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        SmtpSender("127.0.0.1", port).send(message)
        deadline = time.monotonic() + 5
        while not collector.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        controller.stop()
    assert len(collector.messages) == 1
    mail_from, rcpt, raw = collector.messages[0]
    assert mail_from == "reports@agency.example"
    assert rcpt == ["claire@maison-lumiere.example"]
    check_report_mail(parse(raw))


def test_smtp_failure_is_a_delivery_error(message: EmailMessage) -> None:
    with pytest.raises(DeliveryError, match=r"127\.0\.0\.1"):
        SmtpSender("127.0.0.1", _free_port(), timeout=2).send(message)


@mock_aws
def test_ses_v2_sends_the_raw_message(message: EmailMessage, aws_env: None) -> None:
    client = boto3.client("sesv2", region_name="eu-west-3")
    client.create_email_identity(EmailIdentity="agency.example")
    message_id = SesSender(client).send(message)
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].sent_messages
    assert len(sent) == 1 and sent[0].id == message_id
    check_report_mail(parse(sent[0].raw_data.encode("utf-8")))


@mock_aws
def test_ses_rejection_is_a_delivery_error(message: EmailMessage, aws_env: None) -> None:
    client = boto3.client("sesv2", region_name="eu-west-3")  # sender identity never verified
    with pytest.raises(DeliveryError, match="SES rejected"):
        SesSender(client).send(message)
