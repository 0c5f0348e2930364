"""Notifications: signed webhooks, severity floors, retries, failing channels, reminders, maintenance."""

import contextlib
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from apps.integrations.notify import webhook_signature_valid
from apps.monitoring.choices import IncidentKind, NotificationStatus, Severity
from apps.monitoring.models import Incident, Notification, NotificationChannel
from apps.monitoring.services import (
    DeliveryRetry,
    channel_send_test,
    incident_acknowledge,
    incidents_apply,
    notification_deliver,
    notifications_queue,
    notifications_remind,
)
from apps.monitoring.services.incidents import Problem
from apps.servers.models import Server
from apps.servers.services.write import servers_write
from tests.servers.factories import listing, provider_account

pytestmark = pytest.mark.django_db
SECRET = "hmac-test-secret"
UNREACHABLE = Problem(IncidentKind.UNREACHABLE, Severity.CRITICAL, "connection refused")
DISK_WARNING = Problem(IncidentKind.DISK_WARNING, Severity.WARNING, "/ is 85% full")


@pytest.fixture
def server():
    servers_write(account=provider_account(), listing=listing([1]), now=timezone.now())
    return Server.objects.get()


@pytest.fixture
def webhook(webhook_receiver):
    return NotificationChannel.objects.create(
        name="ops webhook",
        kind="webhook",
        target=f"{webhook_receiver.url}/hooks/fleet",
        secret=SECRET,
        min_severity=Severity.WARNING,
    )


def open_incident(server, problem=UNREACHABLE):
    events = incidents_apply(server=server, problems=[problem], evaluated=tuple(IncidentKind))
    notifications_queue(events=events)
    return Incident.objects.get(server=server, kind=problem.kind)


def deliver_all():
    for notification in Notification.objects.filter(status=NotificationStatus.PENDING).order_by("id"):
        with contextlib.suppress(DeliveryRetry):
            notification_deliver(notification_id=notification.pk)


def test_an_opened_incident_reaches_the_webhook_signed_with_hmac_sha256(server, webhook, webhook_receiver):
    incident = open_incident(server)

    deliver_all()

    request = webhook_receiver.requests[-1]
    assert webhook_signature_valid(request.body, SECRET, request.header("X-Fleet-Signature"))
    assert not webhook_signature_valid(request.body + b" ", SECRET, request.header("X-Fleet-Signature"))
    body = request.json()
    assert (body["event"], body["incident"]["id"], body["incident"]["kind"]) == ("opened", incident.pk, "unreachable")
    assert Notification.objects.get().status == NotificationStatus.SENT
    assert NotificationChannel.objects.get().last_success_at is not None


def test_queuing_the_same_event_twice_sends_it_once(server, webhook, webhook_receiver):
    incident = open_incident(server)
    from apps.monitoring.services.incidents import IncidentEvent

    notifications_queue(events=[IncidentEvent(incident.pk, "opened")])
    deliver_all()

    assert len(webhook_receiver.requests) == 1


def test_a_channel_only_hears_about_incidents_at_or_above_its_severity(server, webhook, webhook_receiver):
    NotificationChannel.objects.filter(pk=webhook.pk).update(min_severity=Severity.CRITICAL)

    open_incident(server, DISK_WARNING)
    deliver_all()

    assert webhook_receiver.requests == []


def test_a_failing_channel_is_retried_recorded_and_never_stops_the_others(server, webhook, webhook_receiver, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFY_MAX_ATTEMPTS = 2
    NotificationChannel.objects.create(name="mail", kind="email", target="ops@example.com")
    webhook_receiver.fail_with(500, times=5)

    open_incident(server)
    failing = Notification.objects.get(channel=webhook)
    with pytest.raises(DeliveryRetry):
        notification_deliver(notification_id=failing.pk)
    deliver_all()  # the e-mail, and the webhook's last attempt

    failing.refresh_from_db()
    webhook.refresh_from_db()
    assert (failing.status, failing.attempts) == (NotificationStatus.FAILED, 2)
    assert webhook.consecutive_failures == 2
    assert "500" in webhook.last_error
    assert SECRET not in webhook.last_error
    assert len(mail.outbox) == 1
    assert "Unreachable" in mail.outbox[0].subject


def test_a_refusal_that_retrying_cannot_fix_fails_at_once(server, webhook, webhook_receiver):
    webhook_receiver.fail_with(400)

    open_incident(server)
    deliver_all()

    assert Notification.objects.get().status == NotificationStatus.FAILED
    assert Notification.objects.get().attempts == 1


def test_a_server_in_maintenance_is_silent_but_its_incidents_go_on(server, webhook, webhook_receiver):
    Server.objects.filter(pk=server.pk).update(maintenance_until=timezone.now() + timedelta(hours=1))
    server.refresh_from_db()

    incident = open_incident(server)

    assert incident.status == "open"
    assert not Notification.objects.exists()


def test_an_incident_left_open_and_unacknowledged_is_notified_again_once_per_interval(server, webhook, settings):
    settings.INCIDENT_RENOTIFY_MINUTES = 30
    incident = open_incident(server)
    long_ago = timezone.now() - timedelta(hours=2)
    Incident.objects.filter(pk=incident.pk).update(opened_at=long_ago, last_notified_at=long_ago)

    first = notifications_remind()
    Incident.objects.filter(pk=incident.pk).update(last_notified_at=long_ago)
    again = notifications_remind()

    assert (first, again) == (1, 0)  # the same interval's reminder is queued once
    assert Notification.objects.filter(event="reminder").count() == 1

    Incident.objects.filter(pk=incident.pk).update(last_notified_at=long_ago)
    operator = get_user_model().objects.create_user(username="ops")
    incident_acknowledge(incident=Incident.objects.get(pk=incident.pk), user=operator)
    assert notifications_remind() == 0


def test_the_resolution_is_notified_too(server, webhook, webhook_receiver, settings):
    settings.INCIDENT_RESOLVE_AFTER_CHECKS = 1
    open_incident(server)
    events = incidents_apply(server=server, problems=[], evaluated=tuple(IncidentKind))

    notifications_queue(events=events)
    deliver_all()

    assert [request.json()["event"] for request in webhook_receiver.requests] == ["opened", "resolved"]


def test_telegram_and_slack_channels_and_the_send_test_action(webhook_receiver, settings):
    settings.TELEGRAM_API_BASE = webhook_receiver.url
    telegram = NotificationChannel.objects.create(name="tg", kind="telegram", target="4242", secret="123:bot-token")
    slack = NotificationChannel.objects.create(name="slack", kind="slack", secret=f"{webhook_receiver.url}/slack/T0/B0")

    channel_send_test(channel=telegram)
    channel_send_test(channel=slack)

    paths = [request.path for request in webhook_receiver.requests]
    assert paths == ["/bot123:bot-token/sendMessage", "/slack/T0/B0"]
    assert webhook_receiver.requests[0].json()["chat_id"] == "4242"
    assert "Test message" in webhook_receiver.requests[1].json()["text"]


def test_an_announcement_reaches_channels_that_take_its_severity_once(server, webhook, webhook_receiver):
    """Messages not about an incident (a server provisioned): stored text, once per key."""
    from apps.monitoring.services import notifications_announce

    info_channel = NotificationChannel.objects.create(
        name="all news",
        kind="webhook",
        target=f"{webhook_receiver.url}/hooks/all",
        secret=SECRET,
        min_severity=Severity.INFO,
    )
    announce = {
        "server": server,
        "key": "provisioning-run:7:succeeded",
        "subject": "[fleet] ready",
        "text": f"{server} is provisioned and ready",
        "payload": {"event": "provisioning_succeeded", "run": {"id": 7}},
        "severity": Severity.INFO,
    }

    assert notifications_announce(**announce) == 1  # the warning-level webhook does not take info
    assert notifications_announce(**announce) == 0  # once per key
    deliver_all()

    (request,) = webhook_receiver.requests
    assert request.path == "/hooks/all"
    assert request.json() == {"event": "provisioning_succeeded", "run": {"id": 7}}
    assert Notification.objects.get(channel=info_channel).status == NotificationStatus.SENT
