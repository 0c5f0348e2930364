"""Queuing notifications costs a fixed number of queries, however many events and channels there are."""

import pytest
from django.utils import timezone

from apps.monitoring.choices import IncidentEventKind, IncidentKind, Severity
from apps.monitoring.models import Incident, Notification, NotificationChannel
from apps.monitoring.services import notifications as notifications_module
from apps.monitoring.services import notifications_announce, notifications_queue
from apps.monitoring.services.incidents import IncidentEvent
from apps.servers.models import Server
from apps.servers.services.write import servers_write
from tests import factories
from tests.servers.factories import listing, provider_account

pytestmark = pytest.mark.django_db

# The enabled channels, the incidents with their servers, the notifications stored already, a
# savepoint around one insert of all the new ones (3), and the incidents' last_notified_at.
QUEUE_QUERIES = 7
# The same without the insert: everything was stored already.
REQUEUE_QUERIES = 4
# The enabled channels, those stored already, the savepoint around one insert (3).
ANNOUNCE_QUERIES = 5


def make_channels(count: int) -> list[NotificationChannel]:
    return [
        NotificationChannel.objects.create(
            name=f"hook {number}",
            kind="webhook",
            target=f"https://hooks.example.com/{number}",
            secret="s3cret",
            min_severity=Severity.WARNING,
        )
        for number in range(count)
    ]


def open_incidents(count: int) -> list[Incident]:
    servers_write(account=provider_account(), listing=listing(range(1, count + 1)), now=timezone.now())
    now = timezone.now()
    return [
        factories.incident(
            on=server,
            kind=IncidentKind.UNREACHABLE,
            severity=Severity.CRITICAL,
            message="connection refused",
            opened_at=now,
        )
        for server in Server.objects.all()
    ]


@pytest.mark.parametrize("count", [1, 30])
def test_queuing_events_costs_the_same_queries_for_one_event_as_for_thirty(count, django_assert_num_queries):
    make_channels(2)
    events = [IncidentEvent(incident.pk, IncidentEventKind.OPENED) for incident in open_incidents(count)]

    with django_assert_num_queries(QUEUE_QUERIES):
        queued = notifications_queue(events=events)

    assert queued == 2 * count
    assert Notification.objects.count() == 2 * count
    assert not Incident.objects.filter(last_notified_at__isnull=True).exists()


def test_queuing_events_again_costs_no_query_per_event_and_queues_nothing(django_assert_num_queries):
    make_channels(2)
    events = [IncidentEvent(incident.pk, IncidentEventKind.OPENED) for incident in open_incidents(30)]
    notifications_queue(events=events)

    with django_assert_num_queries(REQUEUE_QUERIES):
        queued = notifications_queue(events=events)

    assert queued == 0
    assert Notification.objects.count() == 60


def test_an_announcement_costs_the_same_queries_for_any_number_of_channels(django_assert_num_queries):
    make_channels(6)
    (incident,) = open_incidents(1)
    announce = {
        "server": incident.server,
        "key": "provisioning-run:1:succeeded",
        "subject": "[fleet] ready",
        "text": "ready",
        "payload": {"event": "provisioning_succeeded"},
        "severity": Severity.CRITICAL,
    }

    with django_assert_num_queries(ANNOUNCE_QUERIES):
        queued = notifications_announce(**announce)

    assert queued == 6


def test_a_notification_stored_by_a_concurrent_queuer_is_skipped_and_the_others_are_queued(monkeypatch):
    first, second = make_channels(2)
    (incident,) = open_incidents(1)
    Notification.objects.create(channel=first, incident=incident, event="opened", key="opened")
    # The other queuer stores its row after this one looked for stored rows.
    monkeypatch.setattr(notifications_module, "_stored", lambda notifications: set())

    queued = notifications_queue(events=[IncidentEvent(incident.pk, IncidentEventKind.OPENED)])

    assert queued == 1
    assert sorted(Notification.objects.values_list("channel_id", flat=True)) == [first.pk, second.pk]


def test_each_new_notification_is_sent_to_delivery_once_the_transaction_commits(
    monkeypatch, django_capture_on_commit_callbacks
):
    make_channels(2)
    events = [IncidentEvent(incident.pk, IncidentEventKind.OPENED) for incident in open_incidents(3)]
    sent = []
    monkeypatch.setattr(notifications_module.current_app, "send_task", lambda name, kwargs: sent.append((name, kwargs)))

    with django_capture_on_commit_callbacks(execute=True):
        notifications_queue(events=events)
        assert sent == []

    stored = sorted(Notification.objects.values_list("pk", flat=True))
    assert sorted(kwargs["notification_id"] for _, kwargs in sent) == stored
    assert {name for name, _ in sent} == {"monitoring.deliver_notification"}
