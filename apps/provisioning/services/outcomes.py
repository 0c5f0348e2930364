"""How a run ends: the run's record, the server's lifecycle, incidents and notifications.

The end of a run that a phase reaches (succeeded, failed) is one fenced transaction
(transitions.owned): a superseded attempt neither ends the run nor notifies anyone.
"""

from __future__ import annotations

import structlog
from django.utils import timezone

from apps.monitoring.choices import IncidentKind, Severity
from apps.monitoring.services import (
    Problem,
    incidents_apply,
    incidents_close,
    notifications_announce,
    notifications_queue,
)
from apps.provisioning.choices import PhaseStatus, RunKind, RunStatus
from apps.provisioning.models import ProvisioningPhase, ProvisioningRun
from apps.provisioning.selectors import run_reinstall_requested
from apps.provisioning.services import transitions
from apps.provisioning.services.audit_trail import run_finished_audit
from apps.servers.choices import Lifecycle
from apps.servers.models import Server
from apps.servers.services import server_lifecycle_move, server_lifecycle_reason_set

log = structlog.get_logger(__name__)
UNFINISHED_PHASE_STATUSES = (PhaseStatus.PENDING, PhaseStatus.RUNNING, PhaseStatus.WAITING, PhaseStatus.RETRYING)


def run_succeed(ctx) -> None:
    """The last phase of `ctx`'s run succeeded: the run succeeds, a provisioned server is ready."""
    run, now = ctx.run, timezone.now()
    with transitions.owned(run.pk, ctx.token):
        transitions.run_end(
            run_id=run.pk, phase=ctx.record.phase, status=RunStatus.SUCCEEDED, phase_status=PhaseStatus.SUCCEEDED
        )
        if run.kind == RunKind.PROVISION:
            server_lifecycle_move(server_id=run.server_id, to=Lifecycle.READY)
        else:
            server_lifecycle_reason_set(server_id=run.server_id, reason="")
        events = incidents_close(server=ctx.server, kind=IncidentKind.PROVISIONING_FAILED, now=now)
        notifications_queue(events=events)
        run_finished_audit(run, status=RunStatus.SUCCEEDED)
        what = "provisioned and ready" if run.kind == RunKind.PROVISION else f"configured with {run.playbook}"
        notifications_announce(
            server=ctx.server,
            key=f"provisioning-run:{run.pk}:succeeded",
            subject=f"[fleet] {ctx.server} {what}",
            text=f"{ctx.server} is {what} (provisioning run #{run.pk}).",
            payload={
                "event": "provisioning_succeeded",
                "run": {"id": run.pk, "kind": run.kind, "playbook": run.playbook, "os": run.os_template},
                "server": {"id": ctx.server.pk, "name": str(ctx.server), "ip": ctx.server.ip},
            },
            severity=Severity.INFO,
        )
    ctx.log.info("provisioning_run_succeeded")


def run_fail(*, run: ProvisioningRun, token: int, message: str, phase_error: str = "") -> None:
    """Fail an active run (fenced by `token`): the server is failed (a playbook-only run leaves its
    lifecycle), a provisioning_failed incident opens and operators are notified."""
    now = timezone.now()
    with transitions.owned(run.pk, token):
        transitions.run_end(
            run_id=run.pk,
            phase=run.phase,
            status=RunStatus.FAILED,
            phase_status=PhaseStatus.FAILED,
            error=message,
            phase_error=phase_error,
        )
        server = Server.objects.get(pk=run.server_id)
        reason = f"provisioning run #{run.pk} failed: {message}"
        if run.kind == RunKind.PROVISION:
            server_lifecycle_move(server_id=server.pk, to=Lifecycle.FAILED, reason=reason)
        else:
            server_lifecycle_reason_set(server_id=server.pk, reason=reason)
        events = incidents_apply(
            server=server,
            problems=[Problem(IncidentKind.PROVISIONING_FAILED, Severity.CRITICAL, reason)],
            evaluated=(),
            now=now,
        )
        notifications_queue(events=events)
        run_finished_audit(run, status=RunStatus.FAILED, error=message)
    log.warning("provisioning_run_failed", run_id=run.pk, server_id=run.server_id, error=message)


def run_canceled(*, run: ProvisioningRun, user) -> None:
    """Record the end of a run an operator canceled (its status is already canceled)."""
    now = timezone.now()
    run_finished_audit(run, status=RunStatus.CANCELED, error=run.error)
    ProvisioningPhase.objects.filter(run=run, status__in=UNFINISHED_PHASE_STATUSES).exclude(
        status=PhaseStatus.PENDING
    ).update(status=PhaseStatus.CANCELED, finished_at=now)
    if run.kind != RunKind.PROVISION:
        return
    if run_reinstall_requested(run=run):
        reason = (
            f"provisioning run #{run.pk} was canceled after the reinstall was requested: "
            "the server may be wiped and is not configured"
        )
        server_lifecycle_move(server_id=run.server_id, to=Lifecycle.FAILED, reason=reason)
    else:
        server_lifecycle_move(server_id=run.server_id, to=run.lifecycle_before or Lifecycle.DISCOVERED)
