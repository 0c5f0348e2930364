"""Notifications: tell operators when an incident opens, escalates, resolves, or stays open.

Queuing is idempotent (one Notification per channel, incident and event key), delivery runs in
its own task with retries and backoff, and a failing channel is recorded on the channel and never
breaks checks or the other channels. A server in a maintenance window is silent: its checks and
incidents go on. Queuing costs the same few queries however many events and channels there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import structlog
from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.integrations.notify import NotifyError
from apps.monitoring import task_names
from apps.monitoring.choices import SEVERITY_RANK, IncidentEventKind, IncidentStatus, NotificationStatus
from apps.monitoring.models import Incident, Notification, NotificationChannel
from apps.monitoring.services.channels import channel_failure_record, channel_send, channel_success_record
from apps.monitoring.services.incidents import IncidentEvent
from apps.servers.models import Server

log = structlog.get_logger(__name__)


class DeliveryRetry(Exception):
    """A delivery failed in a way that trying again later can fix; the task retries with backoff."""


def in_maintenance_window(server: Server, *, now: datetime) -> bool:
    """Whether the server's notifications are silenced at `now` (its checks and incidents go on)."""
    until = server.maintenance_until
    return until is not None and until > now


def _takes(channel: NotificationChannel, severity: str) -> bool:
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[channel.min_severity]


def _event_key(incident: Incident, event: str, now: datetime) -> str:
    if event == IncidentEventKind.ESCALATED:
        return f"escalated:{incident.severity}"
    if event == IncidentEventKind.REMINDER:
        bucket = int(now.timestamp() // (settings.INCIDENT_RENOTIFY_MINUTES * 60))
        return f"reminder:{bucket}"
    return event


def _stored(notifications: list[Notification]) -> set[tuple[int, int | None, str]]:
    """The (channel, incident, key) of those already stored, in one query."""
    incident_ids = {notification.incident_id for notification in notifications}
    about = Q(incident_id__in=incident_ids - {None})
    if None in incident_ids:
        about |= Q(incident__isnull=True)
    return set(
        Notification.objects.filter(
            about,
            channel_id__in={notification.channel_id for notification in notifications},
            key__in={notification.key for notification in notifications},
        ).values_list("channel_id", "incident_id", "key")
    )


def _create_one(notification: Notification) -> bool:
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:
        return False  # queued already
    return True


def notifications_create_and_queue(*, notifications: list[Notification]) -> list[Notification]:
    """Store the unsaved `notifications` that are not stored yet (by channel, incident and key) and
    queue the delivery of each new one when the transaction commits; returns the new ones.

    One query finds those stored already and one insert stores the rest. A concurrent queuer (a
    redelivered check task) may store one in between: then the rows go in one by one and the
    database's unique constraints skip the duplicates.
    """
    seen = _stored(notifications) if notifications else set()
    fresh = []
    for notification in notifications:
        identity = (notification.channel_id, notification.incident_id, notification.key)
        if identity not in seen:
            seen.add(identity)
            fresh.append(notification)
    if not fresh:
        return []
    try:
        with transaction.atomic():
            created = Notification.objects.bulk_create(fresh)
    except IntegrityError:
        created = [notification for notification in fresh if _create_one(notification)]
    for notification in created:
        transaction.on_commit(
            lambda pk=notification.pk: current_app.send_task(
                task_names.DELIVER_NOTIFICATION, kwargs={"notification_id": pk}
            )
        )
    return created


def notifications_queue(*, events: Iterable[IncidentEvent]) -> int:
    """Record and queue one notification per event and eligible channel; returns how many."""
    now = timezone.now()
    events = list(events)
    channels = list(NotificationChannel.objects.filter(enabled=True))
    if not events or not channels:
        return 0
    incidents = Incident.objects.select_related("server").in_bulk({event.incident_id for event in events})
    pending: list[Notification] = []
    notified: set[int] = set()
    for event in events:
        incident = incidents.get(event.incident_id)
        if incident is None:
            continue
        if in_maintenance_window(incident.server, now=now):
            log.info("notification_silenced", incident_id=incident.pk, server_id=incident.server_id)
            continue
        key = _event_key(incident, event.event, now)
        pending += [
            Notification(channel=channel, incident=incident, event=event.event, key=key)
            for channel in channels
            if _takes(channel, incident.severity)
        ]
        notified.add(incident.pk)
    created = notifications_create_and_queue(notifications=pending)
    if notified:
        Incident.objects.filter(pk__in=notified).update(last_notified_at=now)
    return len(created)


def notifications_announce(*, server, key: str, subject: str, text: str, payload: dict, severity: str) -> int:
    """Queue a message that is not about an incident (a server provisioned, a job ended...) to
    every enabled channel that takes `severity`; `key` makes it once per channel. `server` (None
    for news about several servers) silences it during its maintenance window. Returns how many
    were queued."""
    if server is not None and in_maintenance_window(server, now=timezone.now()):
        log.info("notification_silenced", server_id=server.pk, key=key)
        return 0
    pending = [
        Notification(
            channel=channel,
            event=IncidentEventKind.ANNOUNCEMENT,
            key=key[:100],
            subject=subject[:200],
            text=text,
            payload=payload,
        )
        for channel in NotificationChannel.objects.filter(enabled=True)
        if _takes(channel, severity)
    ]
    return len(notifications_create_and_queue(notifications=pending))


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
        channel_failure_record(channel=channel, error=message)
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
    channel_success_record(channel=channel, at=notification.sent_at)
    log.info(
        "notification_sent", notification_id=notification.pk, channel_id=channel.pk, incident_event=notification.event
    )
    return notification
