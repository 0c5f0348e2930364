"""Every guarded change of a run's state, in one place.

A run belongs to one attempt at a time: the attempt whose `token` the run carries and, while a
phase's step runs, whose process holds the run's lease. Each change below is made only while that
is still true, checked in the same transaction as the change with the run's row locked
(`owned`), so an attempt that was superseded — canceled, resumed elsewhere after its worker died
or froze, taken over after its lease ran out — changes nothing and records nothing: it gets
`Superseded` and stops.

Effects outside the database (a provider request, a playbook's start) are announced with
`effect_begin` immediately before they happen: ownership is checked, the lease renewed and the
intent recorded in one transaction, so a resumed attempt that finds the intent looks at the world
before asking again. What remains is the instant between that commit and the request leaving the
process: a process frozen exactly there for longer than a lease (30 s by default) would still
send it when it wakes (docs/reliability.md, "A worker frozen").

The lease's times are the database's `now()`, so workers whose clocks drift still agree on when
a lease ran out.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import structlog
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from apps.core.exceptions import ServiceUnavailableError
from apps.core.queueing import send_on_commit
from apps.provisioning import task_names
from apps.provisioning.choices import ACTIVE_RUN_STATUSES, PhaseStatus, RunKind, RunStatus
from apps.provisioning.limits import lease_length, stall_bound
from apps.provisioning.models import ProvisioningPhase, ProvisioningRun
from apps.provisioning.services.audit_trail import run_finished_audit
from apps.provisioning.services.phase_results import Superseded
from apps.servers.choices import Lifecycle
from apps.servers.services import server_lifecycle_move

log = structlog.get_logger(__name__)

# Clears the lease: between two tasks of a run nobody holds it.
RELEASED = {"lease_holder": "", "lease_expires_at": None}


class PhaseNotSent(ServiceUnavailableError):
    """The broker refused a phase's task. A run that was only queued has been failed (nothing would
    ever run it); a running one is left to the stall detection, which sends it again."""


def phase_send(*, run_id: int, phase: str, token: int, countdown: float | None = None) -> None:
    """Queue the task of `phase` for the attempt `token` once the current transaction commits.

    The one way a phase task is sent. Raises PhaseNotSent (from the commit) when the broker
    cannot take it.
    """

    def refused(error: Exception) -> Exception:
        failed = run_not_queued(
            run_id=run_id,
            token=token,
            message=f"could not queue the run: broker unavailable ({type(error).__name__})",
        )
        log.error(
            "provisioning_phase_not_sent", run_id=run_id, phase=phase, run_failed=failed, error=type(error).__name__
        )
        return PhaseNotSent("could not queue the run: the task broker is unavailable")

    send_on_commit(
        task_names.PHASE_TASKS[phase],
        kwargs={"run_id": run_id, "token": token},
        countdown=countdown,
        on_refused=refused,
    )


def _lease_until() -> ExpressionWrapper:
    return ExpressionWrapper(Now() + lease_length(), output_field=DateTimeField())


def _owned(run_id: int, token: int) -> QuerySet[ProvisioningRun]:
    """The run, if it still belongs to the attempt with `token` and is running."""
    return ProvisioningRun.objects.filter(pk=run_id, token=token, status=RunStatus.RUNNING)


@contextmanager
def owned(run_id: int, token: int, *, holder: str | None = None) -> Iterator[None]:
    """A transaction in which the run is locked and still this attempt's (and, with `holder`, held
    by that process under a lease that has not run out); Superseded otherwise."""
    with transaction.atomic():
        mine = _owned(run_id, token)
        if holder is not None:
            mine = mine.filter(lease_holder=holder, lease_expires_at__gt=Now())
        if not list(mine.select_for_update().values_list("pk", flat=True)):
            raise Superseded
        yield


# --- An attempt of a phase ------------------------------------------------------------------


def run_claim(*, run: ProvisioningRun, record: ProvisioningPhase, token: int, holder: str, gone: str = "") -> bool:
    """Take the run for one attempt of its phase: running, held by `holder` under a fresh lease.

    Refused (False) when the token moved on, the run ended, or another live process holds it (a
    duplicate delivery of the same task). `gone` names a holder known dead, whose lease may be
    taken before it runs out.
    """
    now = timezone.now()
    free = Q(lease_holder="") | Q(lease_holder=holder) | Q(lease_expires_at__lt=Now())
    if gone:
        free |= Q(lease_holder=gone)
    new_attempt = record.status != PhaseStatus.WAITING
    with transaction.atomic():
        claimed = (
            ProvisioningRun.objects.filter(pk=run.pk, token=token, status__in=ACTIVE_RUN_STATUSES)
            .filter(free)
            .update(
                status=RunStatus.RUNNING,
                started_at=Coalesce(F("started_at"), now),
                heartbeat_at=now,
                lease_holder=holder,
                lease_expires_at=_lease_until(),
                stalled_after=now + stall_bound(run.phase),
            )
        )
        if not claimed:
            return False
        if run.kind == RunKind.PROVISION:
            server_lifecycle_move(server_id=run.server_id, to=Lifecycle.PROVISIONING, reason=None)
        record.status = PhaseStatus.RUNNING
        record.started_at = record.started_at or now
        if new_attempt:
            record.attempts += 1
            record.deadline_at = None  # each attempt waits afresh
            record.polls = 0
        record.save(update_fields=["status", "started_at", "attempts", "deadline_at", "polls"])
    return True


def lease_renew(*, run_id: int, token: int, holder: str) -> bool:
    """Extend the holder's lease; False once the run is no longer this attempt's."""
    return bool(
        _owned(run_id, token)
        .filter(lease_holder=holder)
        .update(lease_expires_at=_lease_until(), heartbeat_at=timezone.now())
    )


def phase_record_update(*, run_id: int, token: int, record_id: int, **fields: Any) -> None:
    """Record what this attempt learnt in its phase's record, if the run is still its own."""
    with owned(run_id, token):
        ProvisioningPhase.objects.filter(pk=record_id).update(**fields)


def effect_begin(*, run_id: int, token: int, holder: str, record_id: int, **intent: Any) -> None:
    """Immediately before an effect outside the database: check this attempt still holds the run
    under a live lease, renew the lease and record the intent, in one transaction."""
    with owned(run_id, token, holder=holder):
        ProvisioningRun.objects.filter(pk=run_id).update(lease_expires_at=_lease_until(), heartbeat_at=timezone.now())
        if intent:
            ProvisioningPhase.objects.filter(pk=record_id).update(**intent)


def phase_wait(*, run_id: int, token: int, record_id: int, phase: str, seconds: float) -> None:
    """The phase polls again in `seconds`: the run is released until then."""
    now = timezone.now()
    with owned(run_id, token):
        ProvisioningRun.objects.filter(pk=run_id).update(
            heartbeat_at=now, stalled_after=now + timedelta(seconds=seconds) + stall_bound(phase), **RELEASED
        )
        ProvisioningPhase.objects.filter(pk=record_id).update(status=PhaseStatus.WAITING)
        phase_send(run_id=run_id, phase=phase, token=token, countdown=seconds)


def phase_advance(*, run_id: int, token: int, record_id: int, following: str) -> None:
    """The phase succeeded: the run moves on to `following`, queued once this commits."""
    now = timezone.now()
    with owned(run_id, token):
        ProvisioningRun.objects.filter(pk=run_id).update(
            phase=following, heartbeat_at=now, stalled_after=now + stall_bound(following), **RELEASED
        )
        ProvisioningPhase.objects.filter(pk=record_id).update(status=PhaseStatus.SUCCEEDED, finished_at=now, error="")
        phase_send(run_id=run_id, phase=following, token=token)


def phase_retry(*, run_id: int, token: int, record_id: int, phase: str, delay: float, message: str) -> None:
    """The attempt failed in a way another can fix: the phase runs again after `delay`."""
    now = timezone.now()
    with owned(run_id, token):
        ProvisioningRun.objects.filter(pk=run_id).update(
            heartbeat_at=now, stalled_after=now + timedelta(seconds=delay) + stall_bound(phase), **RELEASED
        )
        ProvisioningPhase.objects.filter(pk=record_id).update(status=PhaseStatus.RETRYING, error=message)
        phase_send(run_id=run_id, phase=phase, token=token, countdown=delay)


def run_end(
    *, run_id: int, phase: str, status: RunStatus, phase_status: PhaseStatus, error: str = "", phase_error: str = ""
) -> None:
    """Within `owned(...)`: the run ends with `status` (and `error`), its current phase with
    `phase_status` (and `phase_error`, else the run's error)."""
    now = timezone.now()
    ProvisioningRun.objects.filter(pk=run_id).update(
        status=status, finished_at=now, stalled_after=None, error=error, **RELEASED
    )
    ProvisioningPhase.objects.filter(run_id=run_id, phase=phase).update(
        status=phase_status, finished_at=now, error=phase_error or error
    )


# --- Operators and the trigger ----------------------------------------------------------------


def run_resume_claim(*, run: ProvisioningRun, condition: Q) -> bool:
    """Give a run that nobody will finish (its holder is dead or frozen, or its task was lost) a new
    token and queue its recorded phase again; the old attempt's tasks then do nothing. Only the
    caller whose `condition` still holds on the row wins; False for everyone else."""
    with transaction.atomic():
        resumed = (
            ProvisioningRun.objects.filter(pk=run.pk, token=run.token, status__in=ACTIVE_RUN_STATUSES)
            .filter(condition)
            .update(token=F("token") + 1, stalled_after=timezone.now() + stall_bound(run.phase), **RELEASED)
        )
        if resumed:
            phase_send(run_id=run.pk, phase=run.phase, token=run.token + 1)
    return bool(resumed)


def run_cancel_claim(*, run: ProvisioningRun, user, message: str) -> bool:
    """Cancel an active run (False when it is no longer active); its attempt is superseded."""
    now = timezone.now()
    return bool(
        ProvisioningRun.objects.filter(pk=run.pk, status__in=ACTIVE_RUN_STATUSES).update(
            status=RunStatus.CANCELED,
            token=F("token") + 1,
            cancel_requested_at=now,
            canceled_by=user,
            finished_at=now,
            stalled_after=None,
            error=message,
            **RELEASED,
        )
    )


def run_retry_claim(*, run: ProvisioningRun) -> bool:
    """Queue a failed or canceled run again from the phase it stopped in, with a fresh attempt
    budget (False when it changed meanwhile). Sends the phase once the caller's transaction commits."""
    updated = ProvisioningRun.objects.filter(pk=run.pk, token=run.token, status=run.status).update(
        status=RunStatus.QUEUED,
        token=F("token") + 1,
        error="",
        finished_at=None,
        cancel_requested_at=None,
        canceled_by=None,
        stalled_after=timezone.now() + stall_bound(run.phase),
        **RELEASED,
    )
    if not updated:
        return False
    ProvisioningPhase.objects.filter(run=run, phase=run.phase).update(
        status=PhaseStatus.RETRYING, attempts=0, finished_at=None
    )
    phase_send(run_id=run.pk, phase=run.phase, token=run.token + 1)
    return True


def run_not_queued(*, run_id: int, token: int, message: str) -> bool:
    """A queued run whose task the broker refused ends failed (nothing would ever run it), and a
    server that was only pending setup gets back the lifecycle it had."""
    with transaction.atomic():
        updated = ProvisioningRun.objects.filter(pk=run_id, token=token, status=RunStatus.QUEUED).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), stalled_after=None, error=message, **RELEASED
        )
        if not updated:
            return False
        run = ProvisioningRun.objects.select_related("requested_by").get(pk=run_id)
        if run.kind == RunKind.PROVISION:
            server_lifecycle_move(
                server_id=run.server_id,
                to=run.lifecycle_before or Lifecycle.DISCOVERED,
                reason=None,
                only_from=[Lifecycle.PENDING_SETUP],
            )
        run_finished_audit(run, status=RunStatus.FAILED, error=message)
    return True
