"""A provider that answers slowly, through a real worker: the sync ends with a clear time-out in its
run record, writes nothing, releases the account's lease, and the next run (provider fast again)
succeeds. Both orders: the task's soft time limit first, and the client's read time-out first."""

from __future__ import annotations

import time

import pytest

from apps.core.choices import FINISHED_SYNC_STATUSES, SyncStatus, Trigger
from apps.core.models import SyncRun
from apps.integrations.providers.time4vps import circuit_reset
from apps.servers import task_names
from apps.servers.models import ProviderAccount, Server
from apps.servers.services import server_sync_queue
from apps.syncs.leases import sync_lease_holder
from tasks import app as celery_app
from tests.conftest import start_worker, wait_for
from tests.faults.db_helpers import record_figures
from tests.servers.factories import provider_account

pytestmark = [pytest.mark.faults, pytest.mark.services, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account(fake_provider):
    account = provider_account(
        base_url=fake_provider.base_url, username=fake_provider.username, password=fake_provider.password
    )
    yield account
    circuit_reset(account.circuit_key)  # shared through Redis: never carried into another test


def sync_worker(start_celery, monkeypatch, *, soft: int, hard: int, read_timeout: float):
    """A worker on the sync queue with the given limits. send_task copies the limits of a task
    registered in this process into the message, so this process must agree with the worker."""
    celery_app.loader.import_default_modules()
    task = celery_app.tasks[task_names.SYNC_ACCOUNT]
    monkeypatch.setattr(task, "soft_time_limit", soft)
    monkeypatch.setattr(task, "time_limit", hard)
    return start_worker(
        start_celery,
        queues="sync",
        SERVER_SYNC_SOFT_TIME_LIMIT=str(soft),
        SERVER_SYNC_TIME_LIMIT=str(hard),
        PROVIDER_READ_TIMEOUT_SECONDS=str(read_timeout),
        PROVIDER_RETRY_ATTEMPTS="2",
        PROVIDER_RETRY_MAX_WAIT_SECONDS="0.05",
    )


def finished(run_id: int, worker, *, timeout: float = 60) -> SyncRun:
    return wait_for(
        lambda: SyncRun.objects.filter(pk=run_id, status__in=FINISHED_SYNC_STATUSES).first(),
        timeout=timeout,
        what=lambda: f"sync run {run_id} to finish; worker said:\n{worker.output()[-4000:]}",
    )


def assert_account_free(account: ProviderAccount) -> None:
    account.refresh_from_db()
    assert sync_lease_holder(model=ProviderAccount, account_id=account.pk) is None
    assert account.sync_lease_owner == ""
    assert account.sync_lease_expires_at is None


def next_run_succeeds(account, fake_provider, worker) -> tuple[SyncRun, float]:
    fake_provider.clear_failures()
    started = time.monotonic()
    run = finished(server_sync_queue(account=account, trigger=Trigger.API).pk, worker)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert run.created == len(fake_provider.servers)
    assert Server.objects.filter(provider_account=account).count() == len(fake_provider.servers)
    return run, time.monotonic() - started


def test_a_details_call_slower_than_the_soft_time_limit_fails_the_run_as_timed_out_and_writes_nothing(
    account, fake_provider, start_celery, monkeypatch
):
    # The read time-out (5 s) outlasts the soft limit (3 s) but ends before the hard one (10 s):
    # the soft limit fires first, and the fetches still under way end in time to record the run.
    worker = sync_worker(start_celery, monkeypatch, soft=3, hard=10, read_timeout=5)
    slow_server = sorted(fake_provider.servers)[1]
    slow = fake_provider.fail(f"/server/{slow_server}", method="GET", delay=30.0)

    started = time.monotonic()
    run = finished(server_sync_queue(account=account, trigger=Trigger.API).pk, worker)
    failed_after = time.monotonic() - started

    assert run.status == SyncStatus.FAILED
    assert run.error == "timed out: the run took longer than its time limit of 3s (finished work is kept)"
    assert slow.hits >= 1
    # The other servers' details arrived, yet the write phase never ran: nothing half-synced.
    assert len(fake_provider.requests_to("/server/*", method="GET")) == len(fake_provider.servers)
    assert not Server.objects.filter(provider_account=account).exists()
    account.refresh_from_db()
    assert account.last_sync_status == SyncStatus.FAILED
    assert account.last_sync_error == run.error
    assert_account_free(account)
    assert "sync_run_timed_out" in worker.output()

    _, recovery_seconds = next_run_succeeds(account, fake_provider, worker)
    record_figures(
        "slow_provider_soft_limit",
        {
            "soft_time_limit_s": 3,
            "read_timeout_s": 5,
            "failed_after_s": round(failed_after, 1),
            "next_run_succeeded_in_s": round(recovery_seconds, 1),
            "servers_written_by_the_timed_out_run": 0,
        },
    )


def test_a_listing_slower_than_the_read_timeout_fails_the_run_with_the_providers_time_out(
    account, fake_provider, start_celery, monkeypatch
):
    # The other order: the client's read time-out (1 s, two tries) ends long before the soft limit.
    worker = sync_worker(start_celery, monkeypatch, soft=20, hard=30, read_timeout=1)
    slow = fake_provider.fail("/server", method="GET", delay=5.0)

    started = time.monotonic()
    run = finished(server_sync_queue(account=account, trigger=Trigger.API).pk, worker)
    failed_after = time.monotonic() - started

    assert run.status == SyncStatus.FAILED
    assert "Time4VPS is unavailable: GET /server" in run.error
    assert "no answer within 1s" in run.error
    assert slow.hits == 2  # the GET was tried twice, as configured
    assert not Server.objects.filter(provider_account=account).exists()
    assert_account_free(account)

    _, recovery_seconds = next_run_succeeds(account, fake_provider, worker)
    record_figures(
        "slow_provider_read_timeout",
        {
            "soft_time_limit_s": 20,
            "read_timeout_s": 1,
            "provider_attempts": slow.hits,
            "failed_after_s": round(failed_after, 1),
            "next_run_succeeded_in_s": round(recovery_seconds, 1),
        },
    )
