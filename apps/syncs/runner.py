"""Running one recorded sync: the steps every kind of sync shares, written once.

A kind of sync subclasses `SyncRunner`, names its kind, account model and the errors its work
may raise, and implements `work`; `execute` loads the run, takes the account's lease, calls
`work`, records the outcome and releases the lease.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import structlog
from celery import current_task
from django.db.models import Model
from django.utils import timezone

from apps.core.choices import FINISHED_SYNC_STATUSES, SyncKind, SyncStatus, Trigger
from apps.core.db_connections import broken_connections_close, connection_lost
from apps.core.failures import FailureKind, failure_classify
from apps.core.models import SyncRun
from apps.syncs.leases import SYNC_LEASE, sync_lease_claim, sync_lease_holder, sync_lease_release
from apps.syncs.runs import sync_run_finish, sync_run_reload, sync_run_start

log = structlog.get_logger(__name__)


class SyncRunPaused(Exception):
    """Raised by a run's work when it must not run now (e.g. GitHub's rate limit pause)."""


class SyncRunner:
    """One kind of sync. `execute(sync_run_id)` runs one recorded run of it.

    Safe to call again for the same run (a redelivered task): a finished run is left alone, and a
    second run of the same account fails at once instead of working beside the first. `work`
    fills `counts` (created/updated/removed/unchanged) as it goes, so a run that fails half-way
    still records what it finished. An expected error (or SyncRunPaused) fails the run with its
    message, or the one `failure_message` gives (which may act on the account first); a time-out
    too; a lost database connection leaves the run running and is raised for the task to retry
    the run; any other error fails it and is raised so that the worker logs it.
    """

    kind: ClassVar[SyncKind]
    account_model: ClassVar[type[Model]]
    expected_errors: ClassVar[tuple[type[Exception], ...]] = ()
    lease: ClassVar[str] = SYNC_LEASE  # the account's pair of lease fields (apps/syncs/leases.py)
    on_account: ClassVar[bool] = True  # record the outcome as the account's last sync

    run: SyncRun  # the run being executed, set by execute() before work() is called

    def lease_ttl(self) -> timedelta:
        """How long the lease lasts: longer than the task may live, so a running sync never loses it."""
        raise NotImplementedError

    def work(self, account: Any, counts: dict[str, int]) -> None:
        raise NotImplementedError

    def failure_message(self, account: Any, error: Exception) -> str | None:
        """The message of a run failed by an expected error, or None for the error's own."""
        return None

    def schedule_waits_for_pause(self, account: Any, *, paused_by: str) -> None:
        """Raise SyncRunPaused for a scheduled run while the account's rate-limit pause
        (`not_before`) lasts; an operator's request tries anyway."""
        if self.run.trigger == Trigger.SCHEDULE and account.not_before and account.not_before > timezone.now():
            raise SyncRunPaused(f"paused by {paused_by} until {account.not_before.isoformat()}")

    def execute(self, sync_run_id: int) -> SyncRun | None:
        run = SyncRun.objects.filter(pk=sync_run_id, kind=self.kind).first()
        if run is None or run.status in FINISHED_SYNC_STATUSES:
            return run
        self.run = run
        account = self.account_model.objects.filter(pk=run.account_id).first()
        if account is None or not account.enabled:
            self._finish(SyncStatus.FAILED, "the account was deleted or disabled before the run")
            return sync_run_reload(run)
        lease = {"model": self.account_model, "account_id": account.pk, "lease": self.lease}
        owner = f"{self.kind}-run:{run.pk}"
        if not sync_lease_claim(**lease, owner=owner, ttl=self.lease_ttl()):
            holder = sync_lease_holder(**lease) or "another run"
            self._finish(SyncStatus.FAILED, f"another sync of this account is running ({holder})")
            return sync_run_reload(run)
        sync_run_start(run=run)
        bound = log.bind(sync_run_id=run.pk, kind=self.kind, account_id=account.pk)
        try:
            self._work_and_finish(account, bound)
        except Exception as error:
            if connection_lost(error):
                # The database connection broke (a killed backend, a restarted server): the
                # transaction under way is lost whole, and the run cannot be recorded on this
                # connection. Drop it so the lease is released on a fresh one; the task retries
                # the run (a sync is idempotent).
                bound.warning("sync_run_database_connection_lost", error=type(error).__name__)
                broken_connections_close()
            raise
        finally:
            sync_lease_release(**lease, owner=owner)
        return sync_run_reload(run)

    def _work_and_finish(self, account: Any, bound: Any) -> None:
        counts: dict[str, int] = {}
        try:
            self.work(account, counts)
        except Exception as error:
            failure = failure_classify(error, expected=(*self.expected_errors, SyncRunPaused))
            if failure.kind is FailureKind.CONNECTION_LOST:
                raise  # execute(): the run stays running for the task's retry
            if failure.kind is FailureKind.EXPECTED:
                message = self.failure_message(account, error) or failure.detail
                bound.warning("sync_run_failed", error=message)
            elif failure.kind is FailureKind.TIMED_OUT:
                bound.warning("sync_run_timed_out")
                message = f"timed out: {_time_limit_text()} (finished work is kept)"
            else:
                bound.exception("sync_run_crashed")
                message = f"internal error: {failure.detail}"
            self._finish(SyncStatus.FAILED, message, counts)
            if failure.kind is FailureKind.CRASHED:
                raise
        else:
            bound.info("sync_run_succeeded", **counts)
            self._finish(SyncStatus.SUCCEEDED, counts=counts)

    def _finish(self, status: SyncStatus, error: str = "", counts: dict[str, int] | None = None) -> None:
        sync_run_finish(
            run=self.run,
            account_model=self.account_model,
            status=status,
            error=error,
            counts=counts,
            on_account=self.on_account,
        )


def _time_limit_text() -> str:
    """'the run took longer than its time limit of 540s' (the limit of the task running it)."""
    task = current_task
    limits = getattr(getattr(task, "request", None), "timelimit", None) or (None, None)
    soft = limits[1] or getattr(task, "soft_time_limit", None)
    return f"the run took longer than its time limit of {soft:g}s" if soft else "the run went past its time limit"
