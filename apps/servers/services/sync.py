"""server_sync: keep a Server row for every server each enabled provider account reports."""

from __future__ import annotations

from datetime import timedelta

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from apps.core.choices import FINISHED_SYNC_STATUSES, SyncKind, SyncStatus, Trigger
from apps.core.leases import sync_lease_claim, sync_lease_holder, sync_lease_release
from apps.core.models import SyncRun
from apps.core.sync_runs import (
    sync_run_create,
    sync_run_finish,
    sync_run_queue,
    sync_run_reload,
    sync_run_start,
    sync_runs_of,
)
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


def server_sync_queue(*, account: ProviderAccount, trigger: Trigger, user=None) -> SyncRun:
    """Record a queued sync of one account and hand it to a worker once the row is committed."""
    run = sync_run_create(kind=SyncKind.SERVER_SYNC, account=account, trigger=trigger, user=user)
    return sync_run_queue(run=run, task_name=task_names.SYNC_ACCOUNT, account_model=ProviderAccount)


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


def _fail(run: SyncRun, error: str) -> None:
    sync_run_finish(run=run, account_model=ProviderAccount, status=SyncStatus.FAILED, error=error)


def server_sync_run(*, sync_run_id: int) -> SyncRun | None:
    """Run one queued sync. Safe to call again for the same run (a redelivered task)."""
    run = SyncRun.objects.filter(pk=sync_run_id, kind=SyncKind.SERVER_SYNC).first()
    if run is None or run.status in FINISHED_SYNC_STATUSES:
        return run
    account = ProviderAccount.objects.filter(pk=run.account_id).first()
    if account is None or not account.enabled:
        _fail(run, "the account was deleted or disabled before the sync ran")
        return sync_run_reload(run)
    owner = f"sync-run:{run.pk}"
    if not sync_lease_claim(model=ProviderAccount, account_id=account.pk, owner=owner, ttl=sync_lease_ttl()):
        holder = sync_lease_holder(model=ProviderAccount, account_id=account.pk) or "another sync"
        _fail(run, f"another sync of this account is running ({holder})")
        return sync_run_reload(run)
    sync_run_start(run=run)
    bound = log.bind(sync_run_id=run.pk, provider_account_id=account.pk)
    try:
        with provider_client_for(account) as client:
            brief = client.list_servers()
            ids = [server.server_id for server in brief]
            if len(set(ids)) != len(ids):
                raise InvalidProviderData("the provider listed the same server twice")
            listing = client.get_servers(ids, max_workers=settings.SERVER_SYNC_DETAIL_CONCURRENCY)
        counts = servers_write(account=account, listing=listing, now=timezone.now())
    except (Time4VPSError, InvalidProviderData) as error:
        bound.warning("server_sync_failed", error=str(error))
        _fail(run, str(error))
    except SoftTimeLimitExceeded:
        bound.warning("server_sync_timed_out")
        _fail(run, "timed out: the sync ran longer than its time limit")
    except Exception as error:
        bound.exception("server_sync_crashed")
        _fail(run, f"internal error: {type(error).__name__}")
        raise
    else:
        bound.info("server_sync_succeeded", **counts.__dict__)
        sync_run_finish(run=run, account_model=ProviderAccount, status=SyncStatus.SUCCEEDED, counts=counts.__dict__)
    finally:
        sync_lease_release(model=ProviderAccount, account_id=account.pk, owner=owner)
    return sync_run_reload(run)
