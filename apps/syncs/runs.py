"""The record of a SyncRun, shared by every kind of sync: create, queue, start, finish, and the
"no second run beside an unfinished one" rule.

A domain's sync service calls these with its own account model and task name, so the run
record, the queue-or-fail rule and the account's last-sync fields behave the same everywhere.
Running a recorded run is apps/syncs/runner.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome
from apps.audit.services import audit_record
from apps.core.choices import FINISHED_SYNC_STATUSES, SyncKind, SyncStatus, Trigger
from apps.core.exceptions import ServiceUnavailableError
from apps.core.models import SyncRun
from apps.core.queueing import send_on_commit

log = structlog.get_logger(__name__)
MAX_ERROR_LENGTH = 4000


def sync_run_create(*, kind: SyncKind, account: Model, trigger: Trigger, user=None) -> SyncRun:
    return SyncRun.objects.create(
        kind=kind,
        trigger=trigger,
        triggered_by=user if user is not None and user.is_authenticated else None,
        account_type=ContentType.objects.get_for_model(type(account)),
        account_id=account.pk,
        account_name=str(account),
    )


def _audit_sync(run: SyncRun, *, action: AuditAction, outcome: AuditOutcome, **detail: Any) -> None:
    """Record a sync's queueing or end: beat's runs as the schedule's, the others as their user's."""
    scheduled = run.trigger == Trigger.SCHEDULE
    account_type = ContentType.objects.get_for_id(run.account_type_id)  # cached
    audit_record(
        action=action,
        actor=None if scheduled else run.triggered_by,
        actor_kind=ActorKind.SCHEDULE if scheduled else (None if run.triggered_by_id else ActorKind.SYSTEM),
        target_type=f"{account_type.app_label}.{account_type.model}",
        target_id=run.account_id,
        target_repr=run.account_name,
        outcome=outcome,
        detail={"sync_run_id": run.pk, "kind": run.kind, "trigger": run.trigger, **detail},
    )


def sync_runs_of(*, kind: SyncKind, account: Model) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(
        kind=kind, account_type=ContentType.objects.get_for_model(type(account)), account_id=account.pk
    )


def sync_run_unfinished(*, kind: SyncKind, account: Model, within: timedelta) -> bool:
    """Whether a run of this kind for this account, created within `within`, has not finished.
    The schedule queues no second run beside it; a run a crashed worker left stops counting once
    `within` (the lease's lifetime) has passed."""
    since = timezone.now() - within
    unfinished = sync_runs_of(kind=kind, account=account).exclude(status__in=FINISHED_SYNC_STATUSES)
    return unfinished.filter(created_at__gte=since).exists()


def sync_run_finish(
    *,
    run: SyncRun,
    account_model: type[Model],
    status: SyncStatus,
    error: str = "",
    counts: dict[str, int] | None = None,
    on_account: bool = True,
) -> None:
    """Record a run's outcome on the run and, with `on_account`, as the account's last sync
    (update(), not save(): an operator may be editing the account at the same moment). One
    transaction: whoever sees the run finished sees the account's record of it too."""
    with transaction.atomic():
        _finish(run=run, account_model=account_model, status=status, error=error, counts=counts, on_account=on_account)


def _finish(*, run, account_model, status, error, counts, on_account) -> None:
    now = timezone.now()
    error = error[:MAX_ERROR_LENGTH]
    SyncRun.objects.filter(pk=run.pk).update(status=status, finished_at=now, error=error, **(counts or {}))
    outcome = AuditOutcome.SUCCESS if status == SyncStatus.SUCCEEDED else AuditOutcome.FAILURE
    _audit_sync(run, action=AuditAction.SYNC_RUN, outcome=outcome, status=status, error=error, **(counts or {}))
    if not on_account:
        return
    account_values: dict[str, Any] = {"last_sync_at": now, "last_sync_status": status, "last_sync_error": error}
    if status == SyncStatus.SUCCEEDED:
        account_values["last_successful_sync_at"] = now
    account_model.objects.filter(pk=run.account_id).update(**account_values)


def sync_run_queue(
    *, run: SyncRun, task_name: str, account_model: type[Model], countdown: int | None = None
) -> SyncRun:
    """Hand the run to a worker once its row is committed.

    A run the broker cannot take is marked failed at once (a queued run no worker will take would
    block the next request) and the caller gets ServiceUnavailableError (the API's 503).
    """

    def refused(error: Exception) -> Exception:
        sync_run_finish(
            run=run,
            account_model=account_model,
            status=SyncStatus.FAILED,
            error=f"could not queue the sync: broker unavailable ({type(error).__name__})",
        )
        return ServiceUnavailableError("could not queue the sync: the task broker is unavailable")

    def sent(task_id: str) -> None:
        SyncRun.objects.filter(pk=run.pk).update(celery_task_id=task_id)

    if run.trigger != Trigger.SCHEDULE:
        # Beat's queueing is not recorded (every few minutes per account): its run's end is.
        _audit_sync(run, action=AuditAction.SYNC_QUEUE, outcome=AuditOutcome.SUCCESS)
    send_on_commit(task_name, kwargs={"sync_run_id": run.pk}, countdown=countdown, on_refused=refused, on_sent=sent)
    log.info("sync_queued", sync_run_id=run.pk, kind=run.kind, account_id=run.account_id, trigger=run.trigger)
    return run


def sync_run_start(*, run: SyncRun) -> None:
    SyncRun.objects.filter(pk=run.pk).update(status=SyncStatus.RUNNING, started_at=timezone.now())


def sync_run_reload(run: SyncRun) -> SyncRun:
    return SyncRun.objects.get(pk=run.pk)
