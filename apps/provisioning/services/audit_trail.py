"""A run's end in the audit trail."""

from __future__ import annotations

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome
from apps.audit.services import audit_record
from apps.provisioning.choices import RunStatus
from apps.provisioning.models import ProvisioningRun


def run_finished_audit(run: ProvisioningRun, *, status: RunStatus, error: str = "") -> None:
    """A run reached its end: recorded for whoever asked for it (or the system, for the trigger's runs)."""
    audit_record(
        action=AuditAction.RUN_FINISH,
        actor=run.requested_by,
        actor_kind=None if run.requested_by_id else ActorKind.SYSTEM,
        target=run,
        outcome=AuditOutcome.SUCCESS if status == RunStatus.SUCCEEDED else AuditOutcome.FAILURE,
        detail={"server_id": run.server_id, "kind": run.kind, "status": status, "phase": run.phase, "error": error},
    )
