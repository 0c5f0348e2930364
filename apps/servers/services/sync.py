"""server_sync: keep a Server row for every server each enabled provider account reports."""

from __future__ import annotations

from datetime import timedelta

import structlog
from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from apps.core.choices import FINISHED_SYNC_STATUSES, SyncKind, SyncStatus, Trigger
from apps.core.exceptions import ServiceUnavailableError
from apps.core.models import SyncRun
from apps.integrations.time4vps import Time4VPSError
from apps.servers import task_names
from apps.servers.models import ProviderAccount
from apps.servers.provider import provider_client_for
from apps.servers.services.lease import sync_lease_claim, sync_lease_holder, sync_lease_release
from apps.servers.services.write import InvalidProviderData, WriteCounts, servers_write

log = structlog.get_logger(__name__)


def sync_lease_ttl() -> timedelta:
    # Longer than the sync task may live, so a running sync never loses its lease; a crashed
    # worker's lease is gone by the next scheduled run but one.
    return timedelta(seconds=settings.SERVER_SYNC_TIME_LIMIT + 60)


def _account_runs(account: ProviderAccount):
    return SyncRun.objects.filter(
        kind=SyncKind.SERVER_SYNC,
        account_type=ContentType.objects.get_for_model(ProviderAccount),
        account_id=account.pk,
    )


def _send(run: SyncRun) -> None:
    try:
        result = current_app.send_task(task_names.SYNC_ACCOUNT, kwargs={"sync_run_id": run.pk})
    except Exception as error:
        # Never leave a queued run that no worker will take: it would block the next request.
        _finish(run, status=SyncStatus.FAILED, error=f"could not queue the sync: broker unavailable ({error})")
        raise ServiceUnavailableError("could not queue the sync: the task broker is unavailable") from error
    SyncRun.objects.filter(pk=run.pk).update(celery_task_id=result.id)


def _run_create(*, account: ProviderAccount, trigger: Trigger, user=None) -> SyncRun:
    return SyncRun.objects.create(
        kind=SyncKind.SERVER_SYNC,
        trigger=trigger,
        triggered_by=user if user is not None and user.is_authenticated else None,
        account_type=ContentType.objects.get_for_model(ProviderAccount),
        account_id=account.pk,
        account_name=account.name,
    )


def server_sync_queue(*, account: ProviderAccount, trigger: Trigger, user=None) -> SyncRun:
    """Record a queued sync of one account and hand it to a worker once the row is committed."""
    run = _run_create(account=account, trigger=trigger, user=user)
    transaction.on_commit(lambda: _send(run))
    log.info("server_sync_queued", sync_run_id=run.pk, provider_account_id=account.pk, trigger=trigger)
    return run


def server_sync_all(*, trigger: Trigger = Trigger.SCHEDULE) -> list[int]:
    """Queue one sync per enabled account, skipping accounts whose previous sync is unfinished."""
    queued = []
    recent = timezone.now() - sync_lease_ttl()
    for account in ProviderAccount.objects.filter(enabled=True):
        if _account_runs(account).exclude(status__in=FINISHED_SYNC_STATUSES).filter(created_at__gte=recent).exists():
            log.info("server_sync_skipped_unfinished", provider_account_id=account.pk)
            continue
        queued.append(server_sync_queue(account=account, trigger=trigger).pk)
    return queued


def server_sync_now(*, account: ProviderAccount, trigger: Trigger = Trigger.OPERATOR) -> SyncRun:
    """Sync one account in this process, without a worker (`manage.py sync_servers`, benchmarks)."""
    run = _run_create(account=account, trigger=trigger)
    return server_sync_run(sync_run_id=run.pk)


def _finish(run: SyncRun, *, status: SyncStatus, error: str = "", counts: WriteCounts | None = None) -> None:
    now = timezone.now()
    values = {"status": status, "finished_at": now, "error": error[:4000]}
    if counts is not None:
        values.update(
            created=counts.created, updated=counts.updated, removed=counts.removed, unchanged=counts.unchanged
        )
    SyncRun.objects.filter(pk=run.pk).update(**values)
    account_values = {"last_sync_at": now, "last_sync_status": status, "last_sync_error": error[:4000]}
    if status == SyncStatus.SUCCEEDED:
        account_values["last_successful_sync_at"] = now
    # update(), not save(): an operator may be editing the account at the same moment.
    ProviderAccount.objects.filter(pk=run.account_id).update(**account_values)


def server_sync_run(*, sync_run_id: int) -> SyncRun | None:
    """Run one queued sync. Safe to call again for the same run (a redelivered task)."""
    run = SyncRun.objects.filter(pk=sync_run_id, kind=SyncKind.SERVER_SYNC).first()
    if run is None or run.status in FINISHED_SYNC_STATUSES:
        return run
    account = ProviderAccount.objects.filter(pk=run.account_id).first()
    if account is None or not account.enabled:
        _finish(run, status=SyncStatus.FAILED, error="the account was deleted or disabled before the sync ran")
        return SyncRun.objects.get(pk=run.pk)
    owner = f"sync-run:{run.pk}"
    if not sync_lease_claim(account_id=account.pk, owner=owner, ttl=sync_lease_ttl()):
        holder = sync_lease_holder(account_id=account.pk) or "another sync"
        _finish(run, status=SyncStatus.FAILED, error=f"another sync of this account is running ({holder})")
        return SyncRun.objects.get(pk=run.pk)
    SyncRun.objects.filter(pk=run.pk).update(status=SyncStatus.RUNNING, started_at=timezone.now())
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
        _finish(run, status=SyncStatus.FAILED, error=str(error))
    except SoftTimeLimitExceeded:
        bound.warning("server_sync_timed_out")
        _finish(run, status=SyncStatus.FAILED, error="timed out: the sync ran longer than its time limit")
    except Exception as error:
        bound.exception("server_sync_crashed")
        _finish(run, status=SyncStatus.FAILED, error=f"internal error: {type(error).__name__}")
        raise
    else:
        bound.info("server_sync_succeeded", **counts.__dict__)
        _finish(run, status=SyncStatus.SUCCEEDED, counts=counts)
    finally:
        sync_lease_release(account_id=account.pk, owner=owner)
    return SyncRun.objects.get(pk=run.pk)
