"""Running one phase of a run: the rules every phase shares.

A phase task calls `phase_execute(run_id=..., phase=..., token=..., step=...)`, which

- does nothing for a stale task: another token (the run was resumed, retried or canceled since),
  a finished run, a run that has moved to another phase (a redelivered message), or a run another
  live process holds (a duplicate delivery);
- takes the run for this attempt (transitions.run_claim): running, held by this process under a
  lease that a thread renews while the step runs (services/lease.py);
- calls `step(ctx)`. A step reads what its phase recorded before acting (so a redelivered or
  resumed task continues where the phase stood), announces every effect outside the database
  with `ctx.effect_begin(...)` just before it, and returns `Done()` or `Wait(seconds)`, or raises
  `PhaseError`;
- Done: the phase succeeded and the next one is queued, or the run finishes;
- Wait: the phase is waiting and queued again after the wait (a poll is a re-scheduled task,
  never a task sleeping for minutes);
- PhaseError: retried with exponential backoff while attempts remain and trying again can help,
  else the run fails.

Every write goes through transitions.py, fenced by the token: an attempt that was superseded
meanwhile gets `Superseded` and stops without recording anything.
"""

from __future__ import annotations

import structlog
from django.conf import settings

from apps.core.db_connections import broken_connections_close
from apps.core.failures import FailureKind, failure_classify
from apps.provisioning.choices import ACTIVE_RUN_STATUSES, PHASES_BY_KIND, Phase
from apps.provisioning.models import ProvisioningRun
from apps.provisioning.services import transitions
from apps.provisioning.services.context import PhaseContext, Step
from apps.provisioning.services.lease import LeaseKeeper, holder_gone_here, this_process
from apps.provisioning.services.outcomes import run_fail, run_succeed
from apps.provisioning.services.phase_results import PhaseError, Superseded, Wait

log = structlog.get_logger(__name__)
MAX_ERROR_LENGTH = 4000


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
    holder = str(this_process())
    gone = run.lease_holder if run.lease_holder and holder_gone_here(run.lease_holder) else ""
    if not transitions.run_claim(run=run, record=record, token=token, holder=holder, gone=gone):
        log.info("provisioning_task_not_claimed", run_id=run_id, phase=phase, token=token, holder=run.lease_holder)
        return "stale"
    ctx = PhaseContext(run, record, token, holder)
    ctx.log.info("provisioning_phase_started", attempt=record.attempts)
    try:
        with LeaseKeeper(lambda: transitions.lease_renew(run_id=run_id, token=token, holder=holder)) as lease:
            ctx.lease = lease
            return _run_step(ctx, step)
    except Superseded:
        ctx.log.info("provisioning_phase_superseded")
        return "superseded"
    except transitions.PhaseNotSent:
        # What the phase recorded is committed; the stall detection sends the next task again.
        ctx.log.warning("provisioning_next_task_not_sent")
        return "not_sent"


def _run_step(ctx: PhaseContext, step: Step) -> str:
    try:
        outcome = step(ctx)
    except (Superseded, transitions.PhaseNotSent):
        raise
    except Exception as error:
        failure = failure_classify(error, expected=(PhaseError,))
        if failure.kind is FailureKind.EXPECTED:
            return _failed(ctx, failure.detail, retryable=error.retryable)
        if failure.kind is FailureKind.TIMED_OUT:
            return _failed(ctx, "timed out: the phase went past its time limit", retryable=True)
        if failure.kind is FailureKind.CONNECTION_LOST:
            # The database connection broke under the step: record the retry on a fresh one.
            ctx.log.warning("provisioning_phase_database_connection_lost", error=type(error).__name__)
            broken_connections_close()
            return _failed(ctx, "the database connection was lost", retryable=True)
        ctx.log.exception("provisioning_phase_crashed")
        return _failed(ctx, f"internal error ({failure.detail})", retryable=True)
    if isinstance(outcome, Wait):
        transitions.phase_wait(
            run_id=ctx.run.pk, token=ctx.token, record_id=ctx.record.pk, phase=ctx.record.phase, seconds=outcome.seconds
        )
        ctx.log.info("provisioning_phase_waiting", seconds=round(outcome.seconds, 1), reason=outcome.reason)
        return "waiting"
    return _done(ctx)


def _done(ctx: PhaseContext) -> str:
    phases = PHASES_BY_KIND[ctx.run.kind]
    position = phases.index(ctx.record.phase)
    if position + 1 == len(phases):
        run_succeed(ctx)
        return "succeeded"
    following = phases[position + 1]
    transitions.phase_advance(run_id=ctx.run.pk, token=ctx.token, record_id=ctx.record.pk, following=following)
    ctx.log.info("provisioning_phase_succeeded", next_phase=following)
    return "done"


def _failed(ctx: PhaseContext, message: str, *, retryable: bool) -> str:
    message = message[:MAX_ERROR_LENGTH]
    attempts = ctx.record.attempts
    if retryable and attempts < settings.PROVISIONING_PHASE_MAX_ATTEMPTS:
        delay = settings.PROVISIONING_RETRY_BACKOFF_SECONDS * (2 ** (attempts - 1))
        transitions.phase_retry(
            run_id=ctx.run.pk,
            token=ctx.token,
            record_id=ctx.record.pk,
            phase=ctx.record.phase,
            delay=delay,
            message=message,
        )
        ctx.log.warning("provisioning_phase_retrying", error=message, attempt=attempts, in_seconds=delay)
        return "retrying"
    ctx.log.warning("provisioning_phase_failed", error=message, attempt=attempts)
    run_fail(run=ctx.run, token=ctx.token, message=f"{ctx.record.get_phase_display()}: {message}", phase_error=message)
    return "failed"
