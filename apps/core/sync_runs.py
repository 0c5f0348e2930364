"""The life of a SyncRun, shared by every kind of sync: record, queue, finish.

A domain's sync service calls these with its own account model and task name, so the run
record, the queue-or-fail rule and the account's last-sync fields behave the same everywhere.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery import current_app
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from apps.core.choices import SyncKind, SyncStatus, Trigger
from apps.core.exceptions import ServiceUnavailableError
from apps.core.models import SyncRun

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


def sync_runs_of(*, kind: SyncKind, account: Model) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(
        kind=kind, account_type=ContentType.objects.get_for_model(type(account)), account_id=account.pk
    )


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
    (update(), not save(): an operator may be editing the account at the same moment)."""
    now = timezone.now()
    error = error[:MAX_ERROR_LENGTH]
    SyncRun.objects.filter(pk=run.pk).update(status=status, finished_at=now, error=error, **(counts or {}))
    if not on_account:
        return
    account_values: dict[str, Any] = {"last_sync_at": now, "last_sync_status": status, "last_sync_error": error}
    if status == SyncStatus.SUCCEEDED:
        account_values["last_successful_sync_at"] = now
    account_model.objects.filter(pk=run.account_id).update(**account_values)


def sync_run_queue(*, run: SyncRun, task_name: str, account_model: type[Model]) -> SyncRun:
    """Hand the run to a worker once its row is committed.

    A run the broker cannot take is marked failed at once (a queued run no worker will take would
    block the next request) and the caller gets ServiceUnavailableError (the API's 503).
    """

    def send() -> None:
        try:
            result = current_app.send_task(task_name, kwargs={"sync_run_id": run.pk})
        except Exception as error:
            sync_run_finish(
                run=run,
                account_model=account_model,
                status=SyncStatus.FAILED,
                error=f"could not queue the sync: broker unavailable ({type(error).__name__})",
            )
            raise ServiceUnavailableError("could not queue the sync: the task broker is unavailable") from error
        SyncRun.objects.filter(pk=run.pk).update(celery_task_id=result.id)

    transaction.on_commit(send)
    log.info("sync_queued", sync_run_id=run.pk, kind=run.kind, account_id=run.account_id, trigger=run.trigger)
    return run


def sync_run_start(*, run: SyncRun) -> None:
    SyncRun.objects.filter(pk=run.pk).update(status=SyncStatus.RUNNING, started_at=timezone.now())


def sync_run_reload(run: SyncRun) -> SyncRun:
    return SyncRun.objects.get(pk=run.pk)
