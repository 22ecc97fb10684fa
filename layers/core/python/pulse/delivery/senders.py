"""Mail transports: an outbox directory (local default), SMTP, and Amazon SES v2."""

from __future__ import annotations

import os
import re
import smtplib
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from pulse.exceptions import DeliveryError

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

    from pulse.settings import Settings


class MailSender(ABC):
    """Sends one MIME message; returns an id (a file path, an SMTP or SES message id)."""

    @abstractmethod
    def send(self, message: EmailMessage) -> str: ...


class OutboxSender(MailSender):
    """Writes each message as an ``.eml`` file, readable by any mail client."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def send(self, message: EmailMessage) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        brand = message.get("X-Pulse-Brand", "report")
        month = message.get("X-Pulse-Month", "")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{brand}-{month}-{stamp}.eml")
        path = self.directory / name
        # Private like the archive: a report mail holds the brand's numbers and its recipients.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(message.as_bytes())
        return str(path.resolve())


class SmtpSender(MailSender):
    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.starttls = host, port, starttls
        self.username, self.password, self.timeout = username, password, timeout

    def send(self, message: EmailMessage) -> str:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP delivery to {self.host}:{self.port} failed: {exc}") from exc
        return str(message["Message-ID"])


class SesSender(MailSender):
    """Amazon SES v2 ``SendEmail`` with the raw MIME message (attachments and inline images)."""

    def __init__(self, client: SESV2Client | Any = None, configuration_set: str | None = None) -> None:
        self._client = client
        self.configuration_set = configuration_set

    @property
    def client(self) -> SESV2Client:
        if self._client is None:
            self._client = boto3.client("sesv2")
        client: SESV2Client = self._client
        return client

    def send(self, message: EmailMessage) -> str:
        kwargs: dict[str, Any] = {"Content": {"Raw": {"Data": message.as_bytes()}}}
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        try:
            response = self.client.send_email(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise DeliveryError(f"SES rejected the report email: {exc}") from exc
        return str(response["MessageId"])


def make_sender(settings: Settings, *, ses_client: Any = None) -> MailSender:
    if settings.mail_transport == "ses":
        return SesSender(ses_client, settings.ses_configuration_set)
    if settings.mail_transport == "smtp":
        return SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        )
    return OutboxSender(settings.outbox)
