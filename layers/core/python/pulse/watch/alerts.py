"""Incident alerts: what they say (a view model in the brand's language), the chat payloads,
and the channels that carry them (email through the mail transports, chat webhooks, SNS).

The view and the payloads are pure functions; channels are small adapters behind one
interface, each taking its client in the constructor.
"""

from __future__ import annotations

import json
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Literal
from zoneinfo import ZoneInfo

import boto3
import pandas as pd
import urllib3
from babel.dates import format_date
from botocore.exceptions import BotoCoreError, ClientError

from pulse.config import AlertWebhook, Brand, QuietHours
from pulse.delivery.senders import MailSender
from pulse.exceptions import DeliveryError
from pulse.render import formatters as fmt
from pulse.render.charts import PLATFORM_NAMES
from pulse.render.i18n import gettext, locale_of
from pulse.watch.detect import Incident, Pulse

AlertKind = Literal["opened", "resolved"]


@dataclass(frozen=True)
class AlertView:
    """Everything an alert shows, already formatted in the brand's language.

    Example messages are plain text here: each channel escapes them for its own format.
    """

    brand_id: str
    brand_name: str
    lang: str
    kind: AlertKind
    incident_id: str
    severe: bool
    subject: str
    headline: str
    lines: tuple[str, ...]
    examples_title: str
    examples: tuple[str, ...]


def _t(lang: str, text: str, **values: object) -> str:
    return gettext(lang, text) % values if values else gettext(lang, text)


def _when(moment: pd.Timestamp, tz: ZoneInfo, lang: str) -> str:
    local = moment.tz_convert(tz).to_pydatetime()
    day = format_date(local, "EEEE d MMMM", locale=locale_of(lang))
    return _t(lang, "%(day)s at %(time)s", day=day, time=local.strftime("%H:%M"))


def build_alert_view(
    brand: Brand, incident: Incident, kind: AlertKind, now: pd.Timestamp, latest: Pulse | None = None
) -> AlertView:
    """The alert of ``incident`` for ``brand``: opened (what is happening) or resolved (what happened)."""
    lang, tz = brand.language, brand.tz
    n = fmt.number
    usual = n(round(incident.usual_negative), lang)
    since = _when(incident.began_at, tz, lang)
    platforms = ", ".join(f"{PLATFORM_NAMES.get(p, p)} ({n(c, lang)})" for p, c in incident.platforms)
    if kind == "opened":
        subject = _t(
            lang,
            "[%(brand)s] Incident: %(count)s negative messages in 24 h (usually %(usual)s)",
            brand=brand.name,
            count=n(incident.peak_negative, lang),
            usual=usual,
        )
        headline = _t(lang, "Complaints are spiking since %(since)s.", since=since)
    else:
        assert incident.resolved_at is not None
        subject = _t(
            lang,
            "[%(brand)s] Resolved: the incident that began %(since)s is over",
            brand=brand.name,
            since=since,
        )
        headline = _t(
            lang,
            "Back to normal since %(when)s, after %(duration)s.",
            when=_when(incident.resolved_at, tz, lang),
            duration=fmt.duration(incident.duration(now).total_seconds() / 60, lang),
        )
    lines = [
        _t(
            lang,
            "%(count)s negative messages since %(since)s; usually %(usual)s a day.",
            count=n(incident.negative_messages, lang),
            since=since,
            usual=usual,
        ),
        _t(
            lang,
            "Peak: %(peak)s negative messages in 24 h, %(when)s.",
            peak=n(incident.peak_negative, lang),
            when=_when(incident.peak_at, tz, lang),
        ),
    ]
    if platforms:
        lines.append(_t(lang, "Most of them on: %(platforms)s.", platforms=platforms))
    lines.append(
        _t(
            lang,
            "Unanswered: %(count)s of these negative messages have had no answer.",
            count=n(incident.unanswered_messages, lang),
        )
    )
    if latest is not None and kind == "opened":
        if latest.backlog:
            lines.append(
                _t(
                    lang,
                    "Waiting for an answer now: %(count)s messages (usually %(usual)s); the oldest since %(wait)s.",
                    count=n(latest.backlog, lang),
                    usual=n(round(latest.readings["backlog"].usual), lang),
                    wait=fmt.duration(latest.oldest_wait_minutes, lang),
                )
            )
        if latest.wait_median_minutes is not None:
            lines.append(
                _t(
                    lang,
                    "Median wait for an answer over the last 24 h: %(wait)s (usually %(usual)s).",
                    wait=fmt.duration(latest.wait_median_minutes, lang),
                    usual=fmt.duration(latest.readings["wait"].usual, lang),
                )
            )
    return AlertView(
        brand_id=brand.id,
        brand_name=brand.name,
        lang=lang,
        kind=kind,
        incident_id=incident.id,
        severe=incident.severe,
        subject=subject,
        headline=headline,
        lines=tuple(lines),
        examples_title=_t(lang, "What people write:"),
        examples=tuple(_shorten(e) for e in incident.examples[:3]),
    )


def _shorten(text: str, limit: int = 280) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_text(view: AlertView) -> str:
    """The alert as plain text (email text part, SNS message)."""
    quotes = [f"  « {e} »" if view.lang == "fr" else f'  "{e}"' for e in view.examples]
    parts = [view.headline, "", *[f"- {line}" for line in view.lines]]
    if quotes:
        parts += ["", view.examples_title, *quotes]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------
# Chat payloads (each platform's incoming-webhook shape)
# ---------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack treats ``&``, ``<`` and ``>`` as markup (``<!channel>`` pings everyone)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inert(text: str) -> str:
    """For Teams and Google Chat: no markup, mention or link syntax from people's messages
    (our own lines carry none; the example messages are the only user-supplied text)."""
    return (
        text.replace("<", "‹")
        .replace(">", "›")
        .replace("[", "(")
        .replace("]", ")")
        .replace("*", "∗")
        .replace("_", " ")
        .replace("`", "'")
    )


def slack_payload(view: AlertView) -> dict[str, Any]:
    """Slack incoming webhook: ``text`` (the notification) and Block Kit ``blocks``."""
    body = "\n".join(f"• {slack_escape(line)}" for line in view.lines)
    quotes = "\n".join(f"> {slack_escape(e)}" for e in view.examples)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": view.subject[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{slack_escape(view.headline)}*\n{body}"}},
    ]
    if quotes:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"{slack_escape(view.examples_title)}\n{quotes}"},
            }
        )
    return {"text": slack_escape(view.subject), "blocks": blocks}


def teams_payload(view: AlertView) -> dict[str, Any]:
    """Microsoft Teams (Workflows incoming webhook): a message with one Adaptive Card."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": view.subject,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {"type": "TextBlock", "text": view.headline, "wrap": True},
        *[{"type": "TextBlock", "text": "- " + line, "wrap": True, "spacing": "None"} for line in view.lines],
    ]
    if view.examples:
        body.append({"type": "TextBlock", "text": view.examples_title, "weight": "Bolder", "wrap": True})
        body += [
            {"type": "TextBlock", "text": _inert(e), "isSubtle": True, "wrap": True} for e in view.examples
        ]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def google_chat_payload(view: AlertView) -> dict[str, Any]:
    """Google Chat incoming webhook: a text message (``*bold*``, one line per fact)."""
    lines = [
        f"*{view.subject}*",
        view.headline,
        *[f"• {line}" for line in view.lines],
    ]
    if view.examples:
        lines += [view.examples_title, *[f"   “{_inert(e)}”" for e in view.examples]]
    return {"text": "\n".join(lines)}


PAYLOADS = {"slack": slack_payload, "teams": teams_payload, "google_chat": google_chat_payload}


# ---------------------------------------------------------------------------
# Quiet hours
# ---------------------------------------------------------------------------


def in_quiet_hours(now: datetime | pd.Timestamp, tz: ZoneInfo, quiet: QuietHours | None) -> bool:
    """Whether ``now`` falls in the brand's quiet hours (local time; ``start > end`` spans midnight)."""
    if quiet is None or quiet.start == quiet.end:
        return False
    local: time = pd.Timestamp(now).tz_convert(tz).time()
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end


# ---------------------------------------------------------------------------
# Channels
# ---------------------------------------------------------------------------


class AlertChannel(ABC):
    """Carries one alert somewhere; ``name`` identifies it in once-only records and reports."""

    name: str

    @abstractmethod
    def send(self, view: AlertView, now: datetime) -> str:
        """Deliver ``view``; return an id (a file, a message id, an HTTP status)."""


class EmailChannel(AlertChannel):
    def __init__(self, sender: MailSender, mail_from: str, recipients: list[str]) -> None:
        self.name = "email"
        self.sender, self.mail_from, self.recipients = sender, mail_from, recipients

    def send(self, view: AlertView, now: datetime) -> str:
        return self.sender.send(build_alert_email(view, self.mail_from, self.recipients, now))


def build_alert_email(view: AlertView, sender: str, recipients: list[str], now: datetime) -> EmailMessage:
    """Text and HTML parts (the HTML from an autoescaping template: people's words are escaped)."""
    from pulse.render.html import environment

    msg = EmailMessage()
    msg["Subject"] = view.subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Message-ID"] = make_msgid(domain="community-pulse.local")
    msg["Date"] = format_datetime(now)
    msg["X-Pulse-Brand"] = view.brand_id
    msg["X-Pulse-Month"] = f"incident-{view.kind}"  # names the outbox file
    msg["X-Pulse-Incident"] = f"{view.incident_id} {view.kind}"
    if view.severe and view.kind == "opened":
        msg["Importance"] = "high"
    msg.set_content(plain_text(view), subtype="plain", charset="utf-8")
    html = environment(view.lang).get_template("alert.html.j2").render(a=view)
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


class WebhookChannel(AlertChannel):
    """A chat incoming webhook: one JSON POST in the platform's payload shape."""

    def __init__(
        self, hook: AlertWebhook, http: urllib3.PoolManager | None = None, timeout: float = 10.0
    ) -> None:
        self.name = f"webhook:{hook.kind}:{_fingerprint(hook.url)}"
        self.hook, self.timeout = hook, timeout
        self.http = http or urllib3.PoolManager(retries=urllib3.Retry(total=2, backoff_factor=0.5))

    def send(self, view: AlertView, now: datetime) -> str:
        body = json.dumps(PAYLOADS[self.hook.kind](view), ensure_ascii=False).encode("utf-8")
        try:
            response = self.http.request(
                "POST",
                self.hook.url,
                body=body,
                headers={"Content-Type": "application/json; charset=UTF-8"},
                timeout=self.timeout,
                redirect=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise DeliveryError(f"{self.hook.kind} webhook unreachable: {type(exc).__name__}") from exc
        if not 200 <= response.status < 300:
            raise DeliveryError(f"{self.hook.kind} webhook answered HTTP {response.status}")
        return f"{self.hook.kind} {response.status}"


def _fingerprint(url: str) -> str:
    import hashlib

    return hashlib.sha256(url.encode()).hexdigest()[:10]


class SnsChannel(AlertChannel):
    """An SNS topic (for on-call tools, SMS, or any subscriber): subject + plain text."""

    def __init__(self, topic_arn: str, client: Any = None) -> None:
        self.name = "sns"
        self.topic_arn = topic_arn
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("sns")
        return self._client

    def send(self, view: AlertView, now: datetime) -> str:
        try:
            response = self.client.publish(
                TopicArn=self.topic_arn,
                Subject=sns_subject(view.subject),
                Message=plain_text(view),
                MessageAttributes={
                    "brand": {"DataType": "String", "StringValue": view.brand_id},
                    "kind": {"DataType": "String", "StringValue": view.kind},
                    "severe": {"DataType": "String", "StringValue": str(view.severe).lower()},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise DeliveryError(f"SNS rejected the alert: {exc}") from exc
        return str(response["MessageId"])


def sns_subject(subject: str) -> str:
    """SNS subjects are ASCII, one line, under 100 characters: accents folded, the rest dropped."""
    folded = unicodedata.normalize("NFKD", subject)
    ascii_only = "".join(c for c in folded if 32 <= ord(c) < 127)
    return ascii_only[:99].strip() or "Community Pulse alert"
