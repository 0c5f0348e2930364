"""server_sync through the broker and a real worker process, against the fake provider."""

import pytest

from apps.core.choices import SyncStatus
from apps.core.models import SyncRun
from apps.servers import task_names
from apps.servers.models import ProviderAccount, Server
from tasks import app as celery_app
from tests.conftest import purge_queues, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER_ARGS = ("--queues", "default,sync", "--concurrency", "1", "--without-mingle", "--without-gossip")


def finished_runs():
    return list(SyncRun.objects.filter(status__in=[SyncStatus.SUCCEEDED, SyncStatus.FAILED]).order_by("id"))


def test_the_scheduled_sync_queues_a_run_per_enabled_account_and_the_worker_syncs_it(
    fake_provider, account_on, celery_worker_process
):
    account = account_on()
    account_on(enabled=False)

    celery_app.send_task(task_names.SERVER_SYNC)

    runs = wait_for(finished_runs, timeout=90, what="the sync run to finish")
    assert [run.account_id for run in runs] == [account.pk]
    assert runs[0].status == SyncStatus.SUCCEEDED, runs[0].error
    assert runs[0].trigger == "schedule"
    assert Server.objects.filter(provider_account=account).count() == len(fake_provider.servers)


def test_a_provider_slower_than_the_soft_time_limit_fails_the_run_as_timed_out_and_frees_the_account(
    fake_provider, account_on, start_celery, monkeypatch
):
    from apps.core.choices import Trigger
    from apps.servers.services import server_sync_queue

    # send_task copies the limits of a task registered in the sending process into the message,
    # so this process must agree with the worker's shortened limits.
    celery_app.loader.import_default_modules()
    sync_task = celery_app.tasks[task_names.SYNC_ACCOUNT]
    monkeypatch.setattr(sync_task, "soft_time_limit", 2)
    monkeypatch.setattr(sync_task, "time_limit", 6)
    purge_queues()
    worker = start_celery("worker", *WORKER_ARGS, SERVER_SYNC_SOFT_TIME_LIMIT="2", SERVER_SYNC_TIME_LIMIT="6")
    wait_for(lambda: "ready." in worker.output(), timeout=60, what="worker")
    account = account_on()
    fake_provider.fail("/server", method="GET", delay=4.0, times=1)

    slow = server_sync_queue(account=account, trigger=Trigger.API)
    timed_out = wait_for(
        lambda: SyncRun.objects.filter(pk=slow.pk, status=SyncStatus.FAILED).first(),
        timeout=60,
        what=lambda: f"the slow run to fail; worker said:\n{worker.output()[-3000:]}",
    )
    assert "timed out" in timed_out.error
    assert ProviderAccount.objects.get(pk=account.pk).sync_lease_owner == ""

    retry = server_sync_queue(account=account, trigger=Trigger.API)
    done = wait_for(
        lambda: SyncRun.objects.filter(pk=retry.pk, status=SyncStatus.SUCCEEDED).first(),
        timeout=60,
        what="the next run to succeed",
    )
    assert done.created == len(fake_provider.servers)
