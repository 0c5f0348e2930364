"""server_sync: keep a Server row for every server each enabled provider account reports."""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.conf import settings
from django.utils import timezone

from apps.core.choices import SyncKind, Trigger
from apps.core.models import SyncRun
from apps.integrations.providers import ProviderError, ProviderRateLimited
from apps.servers import task_names
from apps.servers.models import ProviderAccount
from apps.servers.provider import provider_for
from apps.servers.services.write import InvalidProviderData, servers_write
from apps.syncs.runner import SyncRunner
from apps.syncs.runs import sync_run_create, sync_run_queue, sync_run_unfinished

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
    for account in ProviderAccount.objects.filter(enabled=True):
        if sync_run_unfinished(kind=SyncKind.SERVER_SYNC, account=account, within=sync_lease_ttl()):
            log.info("server_sync_skipped_unfinished", provider_account_id=account.pk)
            continue
        queued.append(server_sync_queue(account=account, trigger=trigger).pk)
    return queued


def server_sync_now(*, account: ProviderAccount, trigger: Trigger = Trigger.OPERATOR) -> SyncRun:
    """Sync one account in this process, without a worker (`manage.py sync_servers`, benchmarks)."""
    run = sync_run_create(kind=SyncKind.SERVER_SYNC, account=account, trigger=trigger)
    return server_sync_run(sync_run_id=run.pk)


class ServerSyncRunner(SyncRunner):
    """A sync of one provider account: its listing of servers, written as Server rows."""

    kind = SyncKind.SERVER_SYNC
    account_model = ProviderAccount
    expected_errors = (ProviderError, InvalidProviderData)

    def lease_ttl(self) -> timedelta:
        return sync_lease_ttl()

    def work(self, account: ProviderAccount, counts: dict[str, int]) -> None:
        self.schedule_waits_for_pause(account, paused_by="the provider's rate limit")
        with provider_for(account) as provider:
            listing = provider.list_servers()
        if len({server.provider_id for server in listing}) != len(listing):
            raise InvalidProviderData("the provider listed the same server twice")
        counts.update(servers_write(account=account, listing=listing, now=timezone.now()).__dict__)
        if account.not_before is not None:
            ProviderAccount.objects.filter(pk=account.pk).update(not_before=None)

    def failure_message(self, account: ProviderAccount, error: Exception) -> str | None:
        """A rate-limited run pauses the account's schedule until the reset."""
        if not isinstance(error, ProviderRateLimited) or error.reset_at is None:
            return None
        ProviderAccount.objects.filter(pk=account.pk).update(not_before=error.reset_at)
        return f"{error}; stopped, next scheduled run after {error.reset_at.isoformat()}"


def server_sync_run(*, sync_run_id: int) -> SyncRun | None:
    """Run one queued sync. Safe to call again for the same run (a redelivered task)."""
    return ServerSyncRunner().execute(sync_run_id)
