"""Notifications: tell operators when an incident opens, escalates, resolves, or stays open.

Queuing is idempotent (one Notification per channel, incident and event key), delivery runs in
its own task with retries and backoff, and a failing channel is recorded on the channel and never
breaks checks or the other channels. A server in a maintenance window is silent: its checks and
incidents go on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import structlog
from celery import current_app
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.integrations.notify import NotifyError, send_slack, send_telegram, send_webhook
from apps.monitoring import task_names
from apps.monitoring.choices import (
    SEVERITY_RANK,
    ChannelKind,
    IncidentEventKind,
    IncidentStatus,
    NotificationStatus,
)
from apps.monitoring.models import Incident, Notification, NotificationChannel
from apps.monitoring.services.incidents import IncidentEvent

log = structlog.get_logger(__name__)


class DeliveryRetry(Exception):
    """A delivery failed in a way that trying again later can fix; the task retries with backoff."""


def _event_key(incident: Incident, event: str, now) -> str:
    if event == IncidentEventKind.ESCALATED:
        return f"escalated:{incident.severity}"
    if event == IncidentEventKind.REMINDER:
        bucket = int(now.timestamp() // (settings.INCIDENT_RENOTIFY_MINUTES * 60))
        return f"reminder:{bucket}"
    return event


def _silenced(incident: Incident, now) -> bool:
    until = incident.server.maintenance_until
    return until is not None and until > now


def notifications_queue(*, events: Iterable[IncidentEvent]) -> int:
    """Record and queue one notification per event and eligible channel; returns how many."""
    now = timezone.now()
    channels = list(NotificationChannel.objects.filter(enabled=True))
    queued = 0
    for event in events:
        incident = Incident.objects.select_related("server").filter(pk=event.incident_id).first()
        if incident is None or not channels:
            continue
        if _silenced(incident, now):
            log.info("notification_silenced", incident_id=incident.pk, server_id=incident.server_id)
            continue
        key = _event_key(incident, event.event, now)
        for channel in channels:
            if SEVERITY_RANK[incident.severity] < SEVERITY_RANK[channel.min_severity]:
                continue
            try:
                with transaction.atomic():
                    notification = Notification.objects.create(
                        channel=channel, incident=incident, event=event.event, key=key
                    )
            except IntegrityError:
                continue  # queued already (a redelivered check task)
            transaction.on_commit(
                lambda pk=notification.pk: current_app.send_task(
                    task_names.DELIVER_NOTIFICATION, kwargs={"notification_id": pk}
                )
            )
            queued += 1
        Incident.objects.filter(pk=incident.pk).update(last_notified_at=now)
    return queued


def notifications_announce(*, server, key: str, subject: str, text: str, payload: dict, severity: str) -> int:
    """Queue a message that is not about an incident (a server provisioned...) to every enabled
    channel that takes `severity`; `key` makes it once per channel. Returns how many were queued."""
    now = timezone.now()
    if server.maintenance_until is not None and server.maintenance_until > now:
        log.info("notification_silenced", server_id=server.pk, key=key)
        return 0
    queued = 0
    for channel in NotificationChannel.objects.filter(enabled=True):
        if SEVERITY_RANK[severity] < SEVERITY_RANK[channel.min_severity]:
            continue
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    channel=channel,
                    event=IncidentEventKind.ANNOUNCEMENT,
                    key=key[:100],
                    subject=subject[:200],
                    text=text,
                    payload=payload,
                )
        except IntegrityError:
            continue  # queued already
        transaction.on_commit(
            lambda pk=notification.pk: current_app.send_task(
                task_names.DELIVER_NOTIFICATION, kwargs={"notification_id": pk}
            )
        )
        queued += 1
    return queued


def notifications_remind() -> int:
    """Notify again incidents still open and unacknowledged after INCIDENT_RENOTIFY_MINUTES."""
    cutoff = timezone.now() - timedelta(minutes=settings.INCIDENT_RENOTIFY_MINUTES)
    due = Incident.objects.filter(status=IncidentStatus.OPEN, opened_at__lt=cutoff).filter(
        Q(last_notified_at__isnull=True) | Q(last_notified_at__lt=cutoff)
    )
    events = [
        IncidentEvent(incident_id, IncidentEventKind.REMINDER) for incident_id in due.values_list("pk", flat=True)
    ]
    return notifications_queue(events=events)


def _text(incident: Incident, event: str) -> str:
    verb = {
        IncidentEventKind.OPENED: "OPENED",
        IncidentEventKind.ESCALATED: "ESCALATED",
        IncidentEventKind.RESOLVED: "RESOLVED",
        IncidentEventKind.REMINDER: "STILL OPEN",
    }[event]
    return (
        f"[{incident.severity.upper()}] {verb}: {incident.get_kind_display()} on {incident.server} "
        f"(incident #{incident.pk}, seen {incident.occurrences}x): {incident.message}"
    )


def _payload(incident: Incident, event: str) -> dict:
    return {
        "event": event,
        "incident": {
            "id": incident.pk,
            "kind": incident.kind,
            "severity": incident.severity,
            "status": incident.status,
            "message": incident.message,
            "occurrences": incident.occurrences,
            "opened_at": incident.opened_at.isoformat(),
        },
        "server": {"id": incident.server_id, "name": str(incident.server), "ip": incident.server.ip},
    }


def channel_send(*, channel: NotificationChannel, text: str, payload: dict, subject: str) -> None:
    """Send one message through the channel's transport; raises NotifyError."""
    timeout = settings.NOTIFY_TIMEOUT_SECONDS
    outbound = {"timeout": timeout, "allow_private_addresses": settings.PROVIDER_ALLOW_PRIVATE_ADDRESSES}
    if channel.kind == ChannelKind.EMAIL:
        recipients = [address.strip() for address in channel.target.split(",") if address.strip()]
        try:
            send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
        except OSError as error:  # SMTP and socket errors: worth another try
            raise NotifyError(f"e-mail could not be sent: {type(error).__name__}", retryable=True) from None
    elif channel.kind == ChannelKind.SLACK:
        send_slack(webhook_url=channel.secret or "", text=text, **outbound)
    elif channel.kind == ChannelKind.WEBHOOK:
        send_webhook(url=channel.target, payload=payload, secret=channel.secret or "", **outbound)
    elif channel.kind == ChannelKind.TELEGRAM:
        send_telegram(
            bot_token=channel.secret or "",
            chat_id=channel.target,
            text=text,
            api_base=settings.TELEGRAM_API_BASE,
            **outbound,
        )


def _channel_failed(channel: NotificationChannel, error: str) -> None:
    NotificationChannel.objects.filter(pk=channel.pk).update(
        last_failure_at=timezone.now(), last_error=error[:2000], consecutive_failures=F("consecutive_failures") + 1
    )


def notification_deliver(*, notification_id: int) -> Notification | None:
    """Deliver one queued notification. Raises DeliveryRetry while a retry may still help."""
    notification = Notification.objects.select_related("channel", "incident__server").filter(pk=notification_id).first()
    if notification is None or notification.status != NotificationStatus.PENDING:
        return notification  # delivered or given up already: a redelivered task does nothing
    incident, channel = notification.incident, notification.channel
    notification.attempts += 1
    if incident is None:
        message = {"text": notification.text, "payload": notification.payload or {}, "subject": notification.subject}
    else:
        message = {
            "text": _text(incident, notification.event),
            "payload": _payload(incident, notification.event),
            "subject": f"[fleet] {incident.get_kind_display()} on {incident.server} ({notification.event})",
        }
    try:
        channel_send(channel=channel, **message)
    except NotifyError as error:
        message = str(error)
        _channel_failed(channel, message)
        retry = error.retryable and notification.attempts < settings.NOTIFY_MAX_ATTEMPTS
        notification.status = NotificationStatus.PENDING if retry else NotificationStatus.FAILED
        notification.error = message[:2000]
        notification.save(update_fields=["attempts", "status", "error"])
        log.warning("notification_failed", notification_id=notification.pk, channel_id=channel.pk, retry=retry)
        if retry:
            raise DeliveryRetry(message) from None
        return notification
    notification.status, notification.sent_at, notification.error = NotificationStatus.SENT, timezone.now(), ""
    notification.save(update_fields=["attempts", "status", "sent_at", "error"])
    NotificationChannel.objects.filter(pk=channel.pk).update(
        last_success_at=notification.sent_at, consecutive_failures=0
    )
    log.info(
        "notification_sent", notification_id=notification.pk, channel_id=channel.pk, incident_event=notification.event
    )
    return notification


def channel_send_test(*, channel: NotificationChannel) -> None:
    """Send a test message now (the admin's "send test"); records the outcome; raises NotifyError."""
    text = f"Test message from the fleet platform to {channel.name}."
    payload = {"event": "test", "channel": channel.name, "sent_at": timezone.now().isoformat()}
    try:
        channel_send(channel=channel, text=text, payload=payload, subject="[fleet] test message")
    except NotifyError as error:
        _channel_failed(channel, str(error))
        raise
    NotificationChannel.objects.filter(pk=channel.pk).update(last_success_at=timezone.now(), consecutive_failures=0)
