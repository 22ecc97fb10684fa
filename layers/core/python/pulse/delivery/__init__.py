"""Delivery: the report email and the transports that send it."""

from __future__ import annotations

from pulse.delivery.mail import build_report_email
from pulse.delivery.senders import MailSender, OutboxSender, SesSender, SmtpSender, make_sender

__all__ = ["MailSender", "OutboxSender", "SesSender", "SmtpSender", "build_report_email", "make_sender"]
