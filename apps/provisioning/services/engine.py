"""Running one phase of a run: the rules every phase shares.

A phase task calls `phase_execute(run_id=..., phase=..., token=..., step=...)`, which

- does nothing for a stale task: another token (the run was resumed, retried or canceled since),
  a finished run, or a run that has moved to another phase (a redelivered message);
- marks the run and the phase running, counts a new attempt, and beats the run's heartbeat;
- calls `step(ctx)`. A step reads what its phase recorded before acting (so a redelivered or
  resumed task continues where the phase stood) and returns `Done()` or `Wait(seconds)`, or
  raises `PhaseError`;
- Done: records the phase succeeded and queues the next phase, or finishes the run;
- Wait: records the phase waiting and queues the same phase again after the wait (a poll is a
  re-scheduled task, never a task sleeping for minutes);
- PhaseError: retries with exponential backoff while attempts remain and trying again can help,
  else fails the run.

Every change of the run's state is fenced by its token (`Superseded` when it no longer matches);
facts about the world (a provider task id, a new host key) are recorded unfenced, because they
are true whoever learnt them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.db_connections import broken_connections_close, connection_lost
from apps.provisioning import task_names
from apps.provisioning.choices import ACTIVE_RUN_STATUSES, PHASES_BY_KIND, Phase, PhaseStatus, RunKind, RunStatus
from apps.provisioning.models import ProvisioningPhase, ProvisioningRun
from apps.servers.choices import Lifecycle
from apps.servers.models import Server

log = structlog.get_logger(__name__)
MAX_ERROR_LENGTH = 4000


@dataclass(frozen=True)
class Done:
    """The phase finished its work."""


@dataclass(frozen=True)
class Wait:
    """The phase is waiting for the world (a provider task, SSH): run it again after `seconds`."""

    seconds: float
    reason: str = ""


class PhaseError(Exception):
    """The phase failed; `retryable` says whether another attempt may succeed. The message is
    shown to operators: it must hold no secret."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Superseded(Exception):
    """The run moved on while this task worked (canceled, resumed elsewhere): stop quietly."""


class PhaseContext:
    """What a step works with: the run (with its server), its phase record and the task's token."""

    def __init__(self, run: ProvisioningRun, record: ProvisioningPhase, token: int) -> None:
        self.run, self.record, self.token = run, record, token
        self.server: Server = run.server
        self.log = log.bind(run_id=run.pk, server_id=run.server_id, phase=record.phase, token=token)

    def record_fact(self, **fields: Any) -> None:
        """Record what the phase learnt about the world (unfenced: it is true whoever learnt it)."""
        ProvisioningPhase.objects.filter(pk=self.record.pk).update(**fields)
        for name, value in fields.items():
            setattr(self.record, name, value)

    def beat(self) -> bool:
        """Record a heartbeat; False when the run is no longer this task's (canceled, superseded)."""
        now = timezone.now()
        return bool(
            ProvisioningRun.objects.filter(pk=self.run.pk, token=self.token, status=RunStatus.RUNNING).update(
                heartbeat_at=now, stalled_after=now + stall_bound()
            )
        )

    def next_poll_seconds(self) -> float:
        """The wait before the next poll: growing by half each time, up to the longest wait."""
        polls = self.record.polls
        self.record_fact(polls=polls + 1)
        first, longest = settings.PROVISIONING_POLL_FIRST_SECONDS, settings.PROVISIONING_POLL_MAX_SECONDS
        return min(first * (1.5**polls), longest)

    def deadline(self, seconds: float):
        """When this phase's waiting gives up: set at the first call of the attempt, then kept."""
        if self.record.deadline_at is None:
            self.record_fact(deadline_at=timezone.now() + timedelta(seconds=seconds))
        return self.record.deadline_at


Step = Callable[[PhaseContext], Done | Wait]


def stall_bound() -> timedelta:
    return timedelta(seconds=settings.PROVISIONING_STALL_SECONDS)


def phase_queue(*, run_id: int, phase: str, token: int, countdown: float | None = None) -> None:
    """Queue a phase task once the current transaction commits."""

    def send() -> None:
        current_app.send_task(
            task_names.PHASE_TASKS[phase], kwargs={"run_id": run_id, "token": token}, countdown=countdown
        )

    transaction.on_commit(send)


def _fenced(ctx: PhaseContext, **fields: Any) -> None:
    updated = ProvisioningRun.objects.filter(pk=ctx.run.pk, token=ctx.token, status=RunStatus.RUNNING).update(**fields)
    if not updated:
        raise Superseded


def _start(run: ProvisioningRun, record: ProvisioningPhase, token: int) -> bool:
    now = timezone.now()
    new_attempt = record.status != PhaseStatus.WAITING
    with transaction.atomic():
        claimed = ProvisioningRun.objects.filter(pk=run.pk, token=token, status__in=ACTIVE_RUN_STATUSES).update(
            status=RunStatus.RUNNING,
            started_at=Coalesce(F("started_at"), now),
            heartbeat_at=now,
            stalled_after=now + stall_bound(),
        )
        if not claimed:
            return False
        if run.kind == RunKind.PROVISION:
            Server.objects.filter(pk=run.server_id).exclude(lifecycle=Lifecycle.PROVISIONING).update(
                lifecycle=Lifecycle.PROVISIONING
            )
        record.status = PhaseStatus.RUNNING
        record.started_at = record.started_at or now
        if new_attempt:
            record.attempts += 1
            record.deadline_at = None  # each attempt waits afresh
            record.polls = 0
        record.save(update_fields=["status", "started_at", "attempts", "deadline_at", "polls"])
    return True


def phase_execute(*, run_id: int, phase: Phase, token: int, step: Step) -> str:
    """Run one phase task of a run; returns what happened (for the task's result and the logs)."""
    run = (
        ProvisioningRun.objects.select_related("server__provider_account", "server__ssh_key").filter(pk=run_id).first()
    )
    if run is None:
        return "missing"
    if run.token != token or run.status not in ACTIVE_RUN_STATUSES or run.phase != phase:
        log.info("provisioning_task_stale", run_id=run_id, phase=phase, token=token, run_token=run.token)
        return "stale"
    record = run.phases.get(phase=phase)
    if not _start(run, record, token):
        return "stale"
    ctx = PhaseContext(run, record, token)
    ctx.log.info("provisioning_phase_started", attempt=record.attempts)
    try:
        try:
            outcome = step(ctx)
        except PhaseError as error:
            return _failed(ctx, str(error), retryable=error.retryable)
        except SoftTimeLimitExceeded:
            return _failed(ctx, "timed out: the phase went past its time limit", retryable=True)
        except Superseded:
            raise
        except Exception as error:
            if connection_lost(error):
                # The database connection broke under the step: record the retry on a fresh one.
                ctx.log.warning("provisioning_phase_database_connection_lost", error=type(error).__name__)
                broken_connections_close()
                return _failed(ctx, "the database connection was lost", retryable=True)
            ctx.log.exception("provisioning_phase_crashed")
            return _failed(ctx, f"internal error ({type(error).__name__})", retryable=True)
        if isinstance(outcome, Wait):
            return _wait(ctx, outcome)
        return _done(ctx)
    except Superseded:
        ctx.log.info("provisioning_phase_superseded")
        return "superseded"


def _wait(ctx: PhaseContext, wait: Wait) -> str:
    now = timezone.now()
    with transaction.atomic():
        _fenced(ctx, heartbeat_at=now, stalled_after=now + timedelta(seconds=wait.seconds) + stall_bound())
        ctx.record_fact(status=PhaseStatus.WAITING)
        phase_queue(run_id=ctx.run.pk, phase=ctx.record.phase, token=ctx.token, countdown=wait.seconds)
    ctx.log.info("provisioning_phase_waiting", seconds=round(wait.seconds, 1), reason=wait.reason)
    return "waiting"


def _done(ctx: PhaseContext) -> str:
    from apps.provisioning.services.outcomes import run_succeed

    phases = PHASES_BY_KIND[ctx.run.kind]
    position = phases.index(ctx.record.phase)
    now = timezone.now()
    if position + 1 == len(phases):
        run_succeed(ctx)
        return "succeeded"
    following = phases[position + 1]
    with transaction.atomic():
        _fenced(ctx, phase=following, heartbeat_at=now, stalled_after=now + stall_bound())
        ctx.record_fact(status=PhaseStatus.SUCCEEDED, finished_at=now, error="")
        phase_queue(run_id=ctx.run.pk, phase=following, token=ctx.token)
    ctx.log.info("provisioning_phase_succeeded", next_phase=following)
    return "done"


def _failed(ctx: PhaseContext, message: str, *, retryable: bool) -> str:
    from apps.provisioning.services.outcomes import run_fail

    message = message[:MAX_ERROR_LENGTH]
    attempts = ctx.record.attempts
    if retryable and attempts < settings.PROVISIONING_PHASE_MAX_ATTEMPTS:
        delay = settings.PROVISIONING_RETRY_BACKOFF_SECONDS * (2 ** (attempts - 1))
        now = timezone.now()
        with transaction.atomic():
            _fenced(ctx, heartbeat_at=now, stalled_after=now + timedelta(seconds=delay) + stall_bound())
            ctx.record_fact(status=PhaseStatus.RETRYING, error=message)
            phase_queue(run_id=ctx.run.pk, phase=ctx.record.phase, token=ctx.token, countdown=delay)
        ctx.log.warning("provisioning_phase_retrying", error=message, attempt=attempts, in_seconds=delay)
        return "retrying"
    ctx.log.warning("provisioning_phase_failed", error=message, attempt=attempts)
    run_fail(run=ctx.run, token=ctx.token, message=f"{ctx.record.get_phase_display()}: {message}", phase_error=message)
    return "failed"
