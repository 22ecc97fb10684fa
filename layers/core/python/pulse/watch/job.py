"""The watch job: after a brand's fetch, read its recent messages, detect incidents, and send
each incident's "opened" and "resolved" alerts once, on every configured channel.

Once-only: every (brand, incident, kind, channel) goes through the same idempotency records as
the monthly mail (:func:`pulse.delivery.idempotency.run_once`: DynamoDB on AWS, a directory
locally), so a re-run, a retried Lambda or a replay sends nothing twice, and a channel that
failed is retried by the next run without repeating the others. An incident's id is the hour it
was detected, which stays the same from run to run while it lasts.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from pulse.config import AlertWebhook, Brand
from pulse.delivery.idempotency import run_once
from pulse.exceptions import ConfigError, PulseError
from pulse.period import Month
from pulse.tables import empty
from pulse.watch.alerts import (
    AlertChannel,
    AlertKind,
    AlertView,
    EmailChannel,
    SnsChannel,
    WebhookChannel,
    build_alert_view,
    in_quiet_hours,
)
from pulse.watch.detect import ALL, BASELINE_DAYS, Incident, watch

if TYPE_CHECKING:
    from pulse.pipeline import Services

logger = logging.getLogger(__name__)

#: Range evaluated by each run: incidents that started in it keep their id from run to run.
WATCH_DAYS = 14
#: A resolved incident's alert goes out if it ended within this many hours before the run.
RESOLVED_WITHIN_HOURS = 72
#: Once-only records of alerts outlive any incident.
ALERT_MEMORY_SECONDS = 45 * 24 * 3600


@dataclass
class WatchOutcome:
    """What one watch run saw and did for one brand."""

    brand: str
    at: str
    pulse: dict[str, dict[str, Any]] = field(default_factory=dict)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "at": self.at,
            "pulse": self.pulse,
            "incidents": self.incidents,
            "sent": self.sent,
            "repeated": self.repeated,
            "held": self.held,
            "errors": self.errors,
        }


def due_alerts(incidents: list[Incident], now: pd.Timestamp) -> list[tuple[Incident, AlertKind]]:
    """The alerts a run at ``now`` should (once) send: "opened" for an incident that lasts,
    "resolved" for one that ended in the last :data:`RESOLVED_WITHIN_HOURS` (it tells what
    happened, so an incident that came and went between two runs still gets one message)."""
    due: list[tuple[Incident, AlertKind]] = []
    for incident in incidents:
        if incident.resolved_at is None:
            due.append((incident, "opened"))
        elif incident.resolved_at > now - pd.Timedelta(hours=RESOLVED_WITHIN_HOURS):
            due.append((incident, "resolved"))
    return due


def recent_messages(services: Services, brand: Brand, start: datetime, end: datetime) -> pd.DataFrame:
    """The lake's messages of the local months spanning ``[start, end]``."""
    first = Month.of(start.astimezone(brand.tz).date())
    last = Month.of(end.astimezone(brand.tz).date())
    months = [m for m in services.lake.months("messages", brand.id) if first <= m <= last]
    return services.lake.read("messages", brand.id, months) if months else empty("messages")


def alert_channels(
    services: Services,
    brand: Brand,
    *,
    webhooks: list[AlertWebhook] | None = None,
    http: Any = None,
    sns_client: Any = None,
) -> list[AlertChannel]:
    """Email to the alert (or report) recipients, the brand's chat webhooks, the SNS topic."""
    channels: list[AlertChannel] = []
    recipients = [str(r) for r in (brand.alerts.recipients or brand.recipients)]
    if recipients:
        channels.append(EmailChannel(services.sender, services.settings.mail_from, recipients))
    for hook in [*brand.alerts.webhooks, *(webhooks or [])]:
        channels.append(WebhookChannel(hook, http))
    if services.settings.alert_topic_arn:
        channels.append(SnsChannel(services.settings.alert_topic_arn, sns_client))
    return channels


def secret_webhooks(secret: str | None, client: Any = None) -> dict[str, list[AlertWebhook]]:
    """Chat webhooks per brand id from a Secrets Manager secret ``{"brand": [{"kind", "url"}]}``."""
    if not secret:
        return {}
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
    from pydantic import TypeAdapter, ValidationError

    try:
        value = (client or boto3.client("secretsmanager")).get_secret_value(SecretId=secret)["SecretString"]
        parsed = TypeAdapter(dict[str, list[AlertWebhook]]).validate_python(json.loads(value))
    except (ClientError, BotoCoreError) as exc:
        raise ConfigError(f"cannot read the alert webhooks secret {secret!r}: {exc}") from exc
    except (ValueError, ValidationError):  # never echo the secret's content
        raise ConfigError(
            f"the alert webhooks secret {secret!r} is not {{brand: [{{kind, url}}]}} JSON"
        ) from None
    return parsed


def watch_brand(
    services: Services,
    brand: Brand,
    now: datetime | None = None,
    *,
    channels: list[AlertChannel] | None = None,
    lambda_context: Any = None,
) -> WatchOutcome:
    """Detect the brand's incidents up to ``now`` and send what is due, each alert once per channel.

    Outside quiet hours every due alert goes out; inside them only a severe incident's, the
    others wait for the first run after quiet hours (they are not recorded until sent).
    """
    now = now or datetime.now(UTC)
    at = pd.Timestamp(now).tz_convert("UTC")
    outcome = WatchOutcome(brand.id, at.isoformat())
    rules = brand.alerts
    if not rules.enabled:
        return outcome
    start = now - timedelta(days=WATCH_DAYS)
    messages = recent_messages(services, brand, start - timedelta(days=BASELINE_DAYS + 2), now)
    result = watch(brand.id, messages, pd.Timestamp(start), at, rules)
    outcome.pulse = {
        scope: {
            "inbound": p.inbound,
            "negative": p.negative,
            "negative_usual": round(p.readings["negative"].usual, 1),
            "backlog": p.backlog,
            "oldest_wait_minutes": None if p.oldest_wait_minutes is None else round(p.oldest_wait_minutes),
            "wait_median_minutes": None if p.wait_median_minutes is None else round(p.wait_median_minutes),
            "abnormal": [m for m, r in p.readings.items() if r.abnormal],
        }
        for scope, p in result.latest.items()
    }
    outcome.incidents = [
        {
            "id": i.id,
            "began_at": i.began_at.isoformat(),
            "resolved_at": None if i.resolved_at is None else i.resolved_at.isoformat(),
            "severe": i.severe,
            "peak_negative": i.peak_negative,
        }
        for i in result.incidents
    ]
    due = due_alerts(result.incidents, at)
    if not due:
        return outcome
    channels = channels if channels is not None else alert_channels(services, brand)
    quiet = in_quiet_hours(at, brand.tz, rules.quiet_hours)
    assert services.persistence is not None
    for incident, kind in due:
        label = f"{kind} {incident.id}"
        if quiet and not incident.severe:
            outcome.held.append(f"{label} (quiet hours)")
            continue
        view = build_alert_view(brand, incident, kind, at, result.latest.get(ALL))
        for channel in channels:
            key = {
                "job": "alert",
                "brand": brand.id,
                "incident": incident.id,
                "kind": kind,
                "channel": channel.name,
            }
            sent: list[str] = []

            def work(
                channel: AlertChannel = channel, sent: list[str] = sent, view: AlertView = view
            ) -> dict[str, Any]:
                sent.append(channel.send(view, now))
                return {"id": sent[-1]}

            try:
                record = run_once(
                    services.persistence,
                    key,
                    work,
                    expires_after_seconds=ALERT_MEMORY_SECONDS,
                    lock_seconds=120,
                    lambda_context=lambda_context,
                )
            except IdempotencyAlreadyInProgressError:
                outcome.held.append(f"{label} {channel.name} (another run is sending it)")
                continue
            except PulseError as exc:
                logger.error(
                    "alert failed",
                    extra={"brand": brand.id, "incident": incident.id, "channel": channel.name},
                )
                outcome.errors.append(f"{label} {channel.name}: {exc}")
                continue
            (outcome.sent if sent else outcome.repeated).append(f"{label} {channel.name}: {record.get('id')}")
    return outcome


def watch_brands(
    services: Services, brands: list[Brand], now: datetime, *, lambda_context: Any = None
) -> list[WatchOutcome]:
    """:func:`watch_brand` for each brand (after the daily fetch); one brand's failure is reported,
    the others still run. Chat webhooks kept in the secret are read once for all brands."""
    try:
        extra = secret_webhooks(services.settings.alert_webhooks_secret)
    except ConfigError as exc:
        return [WatchOutcome(b.id, now.isoformat(), errors=[str(exc)]) for b in brands]
    outcomes = []
    for brand in brands:
        try:
            channels = alert_channels(services, brand, webhooks=extra.get(brand.id))
            outcomes.append(
                watch_brand(services, brand, now, channels=channels, lambda_context=lambda_context)
            )
        except Exception as exc:  # reported; the other brands still run
            logger.exception("watch failed", extra={"brand": brand.id})
            outcomes.append(WatchOutcome(brand.id, now.isoformat(), errors=[str(exc)]))
    return outcomes


def replay_times(since: datetime, until: datetime, tz: Any, hour: int = 9) -> list[datetime]:
    """One simulated daily run at ``hour`` local time from ``since`` to ``until`` (catch-up, demo)."""
    day = since.astimezone(tz).date()
    times: list[datetime] = []
    while True:
        moment = datetime.combine(day, time(hour), tz)
        if moment > until:
            return times
        if moment >= since:
            times.append(moment)
        day += timedelta(days=1)
