"""PostgreSQL connections killed (pg_terminate_backend, the test database's backends only) while a
real worker syncs or provisions: the task retries on a fresh connection and finishes, a killed
write phase leaves nothing half-written (one transaction), and a provisioning run is not
reinstalled twice."""

from __future__ import annotations

import time
from contextlib import closing

import pytest

from apps.core.choices import FINISHED_SYNC_STATUSES, SyncStatus, Trigger
from apps.core.models import SyncRun
from apps.integrations.providers.time4vps import circuit_reset
from apps.provisioning.choices import Phase, RunStatus
from apps.provisioning.models import ProvisioningRun
from apps.provisioning.services import provision_request
from apps.servers import task_names as server_task_names
from apps.servers.choices import Lifecycle
from apps.servers.models import ProviderAccount, Server
from apps.servers.services import server_sync_now, server_sync_queue
from apps.syncs.leases import sync_lease_holder
from tests.conftest import start_worker, wait_for
from tests.faults.db_helpers import (
    backends_waiting_on_a_lock,
    other_backends,
    record_figures,
    require_postgresql,
    retries_logged,
    separate_connection,
    terminate_backends,
)

# The provisioning fixtures (a sandbox account over HTTP, a server on the test sshd, fast settings),
# imported so pytest finds them here; the tests' arguments then shadow the imported names.
# ruff: noqa: F811
from tests.provisioning.conftest import fast_provisioning, sandbox_account, ssh_server  # noqa: F401
from tests.provisioning.helpers import OS, reinstall_calls, run_output, start_provisioning_worker, wait_finished
from tests.servers.factories import provider_account

pytestmark = [pytest.mark.faults, pytest.mark.services, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FAST_PROVIDER = {"PROVIDER_RETRY_MAX_WAIT_SECONDS": "0.05"}


@pytest.fixture
def account(fake_provider):
    require_postgresql()
    account = provider_account(
        base_url=fake_provider.base_url, username=fake_provider.username, password=fake_provider.password
    )
    yield account
    circuit_reset(account.circuit_key)


def finished(run_id: int, worker, *, timeout: float = 90) -> SyncRun:
    return wait_for(
        lambda: SyncRun.objects.filter(pk=run_id, status__in=FINISHED_SYNC_STATUSES).first(),
        timeout=timeout,
        what=lambda: f"sync run {run_id} to finish; worker said:\n{worker.output()[-4000:]}",
    )


def rows(account: ProviderAccount) -> dict[str, tuple[str, str]]:
    """provider id -> (label, lifecycle) of the account's servers."""
    values = Server.objects.filter(provider_account=account).values_list("provider_id", "label", "lifecycle")
    return {key: (label, lifecycle) for key, label, lifecycle in values}


def listed(fake_provider) -> dict[str, tuple[str, str]]:
    servers = fake_provider.servers.items()
    return {str(server_id): (record["label"], Lifecycle.DISCOVERED) for server_id, record in servers}


def test_connections_killed_while_the_provider_answers_are_retried_and_the_run_succeeds(
    account, fake_provider, start_celery
):
    worker = start_worker(start_celery, queues="sync", **FAST_PROVIDER)
    # Each details call takes 2 s: the run is mid-flight, its database connection idle.
    fake_provider.fail("/server/*", method="GET", delay=2.0, times=len(fake_provider.servers))

    run = server_sync_queue(account=account, trigger=Trigger.API)
    wait_for(
        lambda: fake_provider.requests_to("/server/*", method="GET"),
        timeout=60,
        what=lambda: f"the details calls; worker said:\n{worker.output()[-3000:]}",
    )
    assert SyncRun.objects.get(pk=run.pk).status == SyncStatus.RUNNING
    killed = terminate_backends()
    killed_at = time.monotonic()

    run = finished(run.pk, worker)
    recovered_after = time.monotonic() - killed_at

    assert killed >= 1  # the worker's connection, at least
    assert run.status == SyncStatus.SUCCEEDED, f"{run.error}\n{worker.output()[-4000:]}"
    assert run.created == len(fake_provider.servers)
    assert rows(account) == listed(fake_provider)
    assert sync_lease_holder(model=ProviderAccount, account_id=account.pk) is None
    output = worker.output()
    assert "sync_run_database_connection_lost" in output
    retries = retries_logged(output, server_task_names.SYNC_ACCOUNT)
    assert retries >= 1
    assert SyncRun.objects.filter(account_id=account.pk).count() == 1  # the same run, retried
    record_figures(
        "database_kill_during_sync_listing",
        {"backends_killed": killed, "task_retries": retries, "recovered_after_s": round(recovered_after, 1)},
    )


def test_a_connection_killed_inside_the_write_transaction_leaves_nothing_half_written(
    account, fake_provider, start_celery
):
    assert server_sync_now(account=account).status == SyncStatus.SUCCEEDED
    before = rows(account)
    _, second, third = sorted(fake_provider.servers)
    # The next listing: one server changed, one gone, two new. The write phase upserts the
    # changed and new rows first, then marks the vanished one removed: the test holds that row's
    # lock, so the transaction stops half-way, with its upserts done and uncommitted.
    fake_provider.servers[second]["label"] = "renamed"
    del fake_provider.servers[third]
    fake_provider.add_server(server_id=third + 10)
    fake_provider.add_server(server_id=third + 11)
    vanished = Server.objects.get(provider_account=account, provider_id=str(third))
    worker = start_worker(start_celery, queues="sync", **FAST_PROVIDER)

    with closing(separate_connection()) as locker:
        locker.execute("SELECT id FROM servers_server WHERE id = %s FOR UPDATE", [vanished.pk])
        locker_pid = locker.info.backend_pid
        run = server_sync_queue(account=account, trigger=Trigger.API)
        blocked = wait_for(
            lambda: backends_waiting_on_a_lock(excluding=locker_pid),
            timeout=60,
            what=lambda: f"the write phase to block on the locked row; worker said:\n{worker.output()[-3000:]}",
        )
        assert "UPDATE" in blocked[0][1]  # marking the vanished server removed: the upserts are done
        # The retry's listing is held back, so what the killed attempt left can be seen alone.
        fake_provider.fail("/server", method="GET", delay=3.0, times=1)
        # Only the blocked worker's backend: were the lock holder killed first, the worker could
        # take the lock and commit before its own end reached it.
        killed = terminate_backends([pid for pid, _ in blocked])
        killed_at = time.monotonic()
        wait_for(lambda: not backends_waiting_on_a_lock(excluding=locker_pid), timeout=30, what="the killed backend")
        assert rows(account) == before  # nothing of the killed attempt was committed
        assert SyncRun.objects.get(pk=run.pk).status == SyncStatus.RUNNING  # ...and the run goes on
        locker.rollback()

    run = finished(run.pk, worker)
    recovered_after = time.monotonic() - killed_at

    assert run.status == SyncStatus.SUCCEEDED, f"{run.error}\n{worker.output()[-4000:]}"
    assert (run.created, run.updated, run.removed) == (2, 1, 1)
    expected = {**listed(fake_provider), str(third): (before[str(third)][0], Lifecycle.REMOVED)}
    assert rows(account) == expected
    retries = retries_logged(worker.output(), server_task_names.SYNC_ACCOUNT)
    assert retries >= 1
    record_figures(
        "database_kill_inside_sync_write",
        {
            "backends_killed": killed,
            "rows_written_by_the_killed_attempt": 0,
            "task_retries": retries,
            "recovered_after_s": round(recovered_after, 1),
        },
    )


def test_connections_killed_during_the_ansible_phase_are_retried_and_the_run_finishes_without_a_second_reinstall(
    ssh_server,
    sshd,
    start_celery,
    fast_provisioning,
):
    require_postgresql()
    worker = start_provisioning_worker(start_celery, {**fast_provisioning, "PROVISIONING_TEST_SLOW_SECONDS": "4"})
    run = provision_request(server=ssh_server, os_template=OS, playbook="slow.yml", confirm=True)
    started = sshd.home / "provisioning-test" / f"slow-started-{run.pk}"
    wait_for(started.exists, timeout=120, what=lambda: f"the playbook to start:\n{worker.output()[-3000:]}")
    assert ProvisioningRun.objects.get(pk=run.pk).phase == Phase.ANSIBLE
    backends = other_backends()
    killed = terminate_backends()
    killed_at = time.monotonic()

    run = wait_finished(run.pk, worker, timeout=180)
    recovered_after = time.monotonic() - killed_at

    assert backends
    assert killed >= 1
    assert run.status == RunStatus.SUCCEEDED, run_output(run)
    assert reinstall_calls(ssh_server) == 1
    ansible = run.phases.get(phase=Phase.ANSIBLE)
    assert ansible.attempts == 2  # the killed attempt, then the retry
    assert [phase.attempts for phase in run.phases.exclude(phase=Phase.ANSIBLE)] == [1, 1, 1, 1]
    assert "provisioning_phase_database_connection_lost" in worker.output()
    assert run.events.filter(attempt=2).exists()
    assert (sshd.home / "provisioning-test" / f"slow-done-{run.pk}").exists()
    ssh_server.refresh_from_db()
    assert ssh_server.lifecycle == Lifecycle.READY
    record_figures(
        "database_kill_during_provisioning",
        {
            "backends_killed": killed,
            "ansible_attempts": ansible.attempts,
            "reinstalls": reinstall_calls(ssh_server),
            "recovered_after_s": round(recovered_after, 1),
        },
    )
