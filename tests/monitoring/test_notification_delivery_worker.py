"""Notification delivery through a real worker: a failing webhook is retried with backoff until it answers."""

import pytest
from django.utils import timezone

from apps.integrations.notify import webhook_signature_valid
from apps.monitoring.choices import IncidentKind, NotificationStatus, Severity
from apps.monitoring.models import Notification, NotificationChannel
from apps.monitoring.services import incidents_apply, notifications_queue
from apps.monitoring.services.incidents import Problem
from apps.servers.models import Server
from apps.servers.services.write import servers_write
from tests.conftest import purge_queues, wait_for
from tests.servers.factories import listing, provider_account

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_webhook_that_fails_twice_is_retried_by_the_worker_and_delivered_once(webhook_receiver, start_celery):
    purge_queues()
    worker = start_celery("worker", "--queues", "health", "--concurrency", "1", "--without-mingle", "--without-gossip")
    wait_for(lambda: "ready." in worker.output(), timeout=60, what="worker")
    servers_write(account=provider_account(), listing=listing([1]), now=timezone.now())
    server = Server.objects.get()
    NotificationChannel.objects.create(
        name="hook", kind="webhook", target=f"{webhook_receiver.url}/hooks", secret="s3cret", min_severity="warning"
    )
    webhook_receiver.fail_with(503, times=2)

    events = incidents_apply(
        server=server,
        problems=[Problem(IncidentKind.UNREACHABLE, Severity.CRITICAL, "refused")],
        evaluated=tuple(IncidentKind),
    )
    notifications_queue(events=events)

    sent = wait_for(
        lambda: Notification.objects.filter(status=NotificationStatus.SENT).first(),
        timeout=90,
        what=lambda: f"the notification to be delivered; worker said:\n{worker.output()[-3000:]}",
    )
    assert sent.attempts == 3
    assert [request.path for request in webhook_receiver.requests] == ["/hooks"] * 3
    last = webhook_receiver.requests[-1]
    assert webhook_signature_valid(last.body, "s3cret", last.header("X-Fleet-Signature"))
    assert NotificationChannel.objects.get().consecutive_failures == 0
