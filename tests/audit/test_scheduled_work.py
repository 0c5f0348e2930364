"""Work beat starts is recorded as the schedule's: sync runs and the health checker's sweep."""

from __future__ import annotations

import pytest

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome
from apps.core.choices import Trigger
from apps.monitoring.services import health_checker_run
from apps.servers.choices import Lifecycle
from apps.servers.services import server_sync_now
from tests import factories
from tests.audit.helpers import events
from tests.conftest import purge_queues
from tests.servers.factories import provider_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(fake_provider):
    return provider_account(
        name="fleet", base_url=fake_provider.base_url, username=fake_provider.username, password=fake_provider.password
    )


def test_a_scheduled_sync_run_is_recorded_as_the_schedules_with_its_result(account):
    run = server_sync_now(account=account, trigger=Trigger.SCHEDULE)

    [event] = events(AuditAction.SYNC_RUN)
    assert (event.actor_kind, event.actor_id, event.outcome) == (ActorKind.SCHEDULE, None, AuditOutcome.SUCCESS)
    assert (event.target_type, event.target_repr) == ("servers.provideraccount", "fleet")
    assert event.detail["sync_run_id"] == run.pk
    assert event.detail["created"] == 3
    assert not events(AuditAction.SYNC_QUEUE)  # beat's queueing is not recorded, its run's end is


def test_a_failed_sync_run_is_recorded_as_a_failure_with_its_error(fake_provider):
    account = provider_account(
        base_url=fake_provider.base_url, username=fake_provider.username, password="Pw-not-in-trail-42"
    )

    server_sync_now(account=account, trigger=Trigger.SCHEDULE)

    [event] = events(AuditAction.SYNC_RUN)
    assert event.outcome == AuditOutcome.FAILURE
    assert event.detail["error"]
    assert "Pw-not-in-trail-42" not in str(event.detail)


def test_the_health_checker_sweep_is_one_event_with_counts_not_one_per_server():
    for number in range(3):
        factories.server(hostname=f"web{number}", ip="192.0.2.1", lifecycle=Lifecycle.READY)
    purge_queues()
    try:
        counts = health_checker_run()
    finally:
        purge_queues()

    [event] = events(AuditAction.HEALTH_CHECK_RUN)
    assert event.actor_kind == ActorKind.SCHEDULE
    assert event.detail["servers"] == counts["servers"]
    assert event.detail["batches"] == counts["batches"]
    assert not events(AuditAction.HEALTH_CHECK_QUEUE)
