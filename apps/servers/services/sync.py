"""server_sync: keep a Server row for every server each enabled provider account reports."""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.conf import settings
from django.utils import timezone

from apps.core.choices import FINISHED_SYNC_STATUSES, SyncKind, Trigger
from apps.core.models import SyncRun
from apps.core.sync_runs import sync_run_create, sync_run_execute, sync_run_queue, sync_runs_of
from apps.integrations.time4vps import Time4VPSError
from apps.servers import task_names
from apps.servers.models import ProviderAccount
from apps.servers.provider import provider_client_for
from apps.servers.services.write import InvalidProviderData, servers_write

log = structlog.get_logger(__name__)


def sync_lease_ttl() -> timedelta:
    # Longer than the sync task may live, so a running sync never loses its lease; a crashed
    # worker's lease is gone by the next scheduled run but one.
    return timedelta(seconds=settings.SERVER_SYNC_TIME_LIMIT + 60)


def server_sync_queue(
    *, account: ProviderAccount, trigger: Trigger, user=None, countdown: int | None = None
) -> SyncRun:
    """Record a queued sync of one account and hand it to a worker once the row is committed."""
    run = sync_run_create(kind=SyncKind.SERVER_SYNC, account=account, trigger=trigger, user=user)
    return sync_run_queue(
        run=run, task_name=task_names.SYNC_ACCOUNT, account_model=ProviderAccount, countdown=countdown
    )


def server_sync_all(*, trigger: Trigger = Trigger.SCHEDULE) -> list[int]:
    """Queue one sync per enabled account, skipping accounts whose previous sync is unfinished."""
    queued = []
    recent = timezone.now() - sync_lease_ttl()
    for account in ProviderAccount.objects.filter(enabled=True):
        unfinished = sync_runs_of(kind=SyncKind.SERVER_SYNC, account=account).exclude(status__in=FINISHED_SYNC_STATUSES)
        if unfinished.filter(created_at__gte=recent).exists():
            log.info("server_sync_skipped_unfinished", provider_account_id=account.pk)
            continue
        queued.append(server_sync_queue(account=account, trigger=trigger).pk)
    return queued


def server_sync_now(*, account: ProviderAccount, trigger: Trigger = Trigger.OPERATOR) -> SyncRun:
    """Sync one account in this process, without a worker (`manage.py sync_servers`, benchmarks)."""
    run = sync_run_create(kind=SyncKind.SERVER_SYNC, account=account, trigger=trigger)
    return server_sync_run(sync_run_id=run.pk)


def _sync(account: ProviderAccount, counts: dict[str, int]) -> None:
    with provider_client_for(account) as client:
        brief = client.list_servers()
        ids = [server.server_id for server in brief]
        if len(set(ids)) != len(ids):
            raise InvalidProviderData("the provider listed the same server twice")
        listing = client.get_servers(ids, max_workers=settings.SERVER_SYNC_DETAIL_CONCURRENCY)
    counts.update(servers_write(account=account, listing=listing, now=timezone.now()).__dict__)


def server_sync_run(*, sync_run_id: int) -> SyncRun | None:
    """Run one queued sync. Safe to call again for the same run (a redelivered task)."""
    return sync_run_execute(
        sync_run_id=sync_run_id,
        kind=SyncKind.SERVER_SYNC,
        account_model=ProviderAccount,
        lease_ttl=sync_lease_ttl(),
        work=_sync,
        expected_errors=(Time4VPSError, InvalidProviderData),
    )
