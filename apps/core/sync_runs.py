"""The life of a SyncRun, shared by every kind of sync: record, queue, run, finish.

A domain's sync service calls these with its own account model and task name, so the run
record, the queue-or-fail rule and the account's last-sync fields behave the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import structlog
from celery import current_app, current_task
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome
from apps.audit.services import audit_record
from apps.core.choices import FINISHED_SYNC_STATUSES, SyncKind, SyncStatus, Trigger
from apps.core.db_connections import CONNECTION_ERRORS, broken_connections_close
from apps.core.exceptions import ServiceUnavailableError
from apps.core.leases import SYNC_LEASE, sync_lease_claim, sync_lease_holder, sync_lease_release
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
    (update(), not save(): an operator may be editing the account at the same moment)."""
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

    def send() -> None:
        try:
            result = current_app.send_task(task_name, kwargs={"sync_run_id": run.pk}, countdown=countdown)
        except Exception as error:
            sync_run_finish(
                run=run,
                account_model=account_model,
                status=SyncStatus.FAILED,
                error=f"could not queue the sync: broker unavailable ({type(error).__name__})",
            )
            raise ServiceUnavailableError("could not queue the sync: the task broker is unavailable") from error
        SyncRun.objects.filter(pk=run.pk).update(celery_task_id=result.id)

    if run.trigger != Trigger.SCHEDULE:
        # Beat's queueing is not recorded (every few minutes per account): its run's end is.
        _audit_sync(run, action=AuditAction.SYNC_QUEUE, outcome=AuditOutcome.SUCCESS)
    transaction.on_commit(send)
    log.info("sync_queued", sync_run_id=run.pk, kind=run.kind, account_id=run.account_id, trigger=run.trigger)
    return run


def sync_run_start(*, run: SyncRun) -> None:
    SyncRun.objects.filter(pk=run.pk).update(status=SyncStatus.RUNNING, started_at=timezone.now())


def sync_run_reload(run: SyncRun) -> SyncRun:
    return SyncRun.objects.get(pk=run.pk)


class SyncRunPaused(Exception):
    """Raised by a run's work when it must not run now (e.g. GitHub's rate limit pause)."""


def sync_run_execute(
    *,
    sync_run_id: int,
    kind: SyncKind,
    account_model: type[Model],
    lease_ttl: timedelta,
    work: Callable[[Model, dict[str, int]], None],
    expected_errors: tuple[type[Exception], ...],
    on_failure: Callable[[Model, Exception], str | None] | None = None,
    lease: str = SYNC_LEASE,
    on_account: bool = True,
) -> SyncRun | None:
    """Run one recorded sync: load it, take the account's lease, do `work`, record the outcome.

    Safe to call again for the same run (a redelivered task): a finished run is left alone, and a
    second run of the same account fails at once instead of working beside the first. `work`
    fills `counts` (created/updated/removed/unchanged) as it goes, so a run that fails half-way
    still records what it finished. An expected error fails the run with its message (after
    `on_failure`, which may act on the account and return a better message); a time-out too; a
    lost database connection leaves the run running and is raised for the task to retry the run;
    any other error fails it and is raised so that the worker logs it.
    """
    run = SyncRun.objects.filter(pk=sync_run_id, kind=kind).first()
    if run is None or run.status in FINISHED_SYNC_STATUSES:
        return run

    def finish(status: SyncStatus, error: str = "", counts: dict[str, int] | None = None) -> None:
        sync_run_finish(
            run=run, account_model=account_model, status=status, error=error, counts=counts, on_account=on_account
        )

    account = account_model.objects.filter(pk=run.account_id).first()
    if account is None or not account.enabled:
        finish(SyncStatus.FAILED, "the account was deleted or disabled before the run")
        return sync_run_reload(run)
    owner = f"{kind}-run:{run.pk}"
    if not sync_lease_claim(model=account_model, account_id=account.pk, owner=owner, ttl=lease_ttl, lease=lease):
        holder = sync_lease_holder(model=account_model, account_id=account.pk, lease=lease) or "another run"
        finish(SyncStatus.FAILED, f"another sync of this account is running ({holder})")
        return sync_run_reload(run)
    sync_run_start(run=run)
    bound = log.bind(sync_run_id=run.pk, kind=kind, account_id=account.pk)
    counts: dict[str, int] = {}
    try:
        try:
            work(account, counts)
        except (*expected_errors, SyncRunPaused) as error:
            message = (on_failure(account, error) if on_failure else None) or str(error)
            bound.warning("sync_run_failed", error=message)
            finish(SyncStatus.FAILED, message, counts)
        except SoftTimeLimitExceeded:
            bound.warning("sync_run_timed_out")
            finish(SyncStatus.FAILED, f"timed out: {_time_limit_text()} (finished work is kept)", counts)
        except CONNECTION_ERRORS:
            raise  # below: the run stays running for the task's retry
        except Exception as error:
            bound.exception("sync_run_crashed")
            finish(SyncStatus.FAILED, f"internal error: {type(error).__name__}", counts)
            raise
        else:
            bound.info("sync_run_succeeded", **counts)
            finish(SyncStatus.SUCCEEDED, counts=counts)
    except CONNECTION_ERRORS as error:
        # The database connection broke (a killed backend, a restarted server): the transaction
        # under way is lost whole, and the run cannot be recorded on this connection. Drop it so
        # the lease is released on a fresh one; the task retries the run (a sync is idempotent).
        bound.warning("sync_run_database_connection_lost", error=type(error).__name__)
        broken_connections_close()
        raise
    finally:
        sync_lease_release(model=account_model, account_id=account.pk, owner=owner, lease=lease)
    return sync_run_reload(run)


def _time_limit_text() -> str:
    """'the run took longer than its time limit of 540s' (the limit of the task running it)."""
    task = current_task
    limits = getattr(getattr(task, "request", None), "timelimit", None) or (None, None)
    soft = limits[1] or getattr(task, "soft_time_limit", None)
    return f"the run took longer than its time limit of {soft:g}s" if soft else "the run went past its time limit"
