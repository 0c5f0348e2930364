"""How a job's end is told: the audit trail, and the operators' channels as the template's
`notify_on` asks (failure, success, always)."""

from __future__ import annotations

import structlog

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome
from apps.audit.services import audit_record
from apps.jobs.choices import JobStatus, NotifyOn
from apps.jobs.models import Job
from apps.monitoring.choices import Severity
from apps.monitoring.services import notifications_announce

log = structlog.get_logger(__name__)

NOTIFIED = {
    NotifyOn.ALWAYS: {JobStatus.SUCCEEDED, JobStatus.FAILED},
    NotifyOn.FAILURE: {JobStatus.FAILED},
    NotifyOn.SUCCESS: {JobStatus.SUCCEEDED},
    NotifyOn.NEVER: set(),
}


def job_ended(job_id: int) -> None:
    """Record and announce the end of a job (call once, after the end was committed)."""
    job = Job.objects.get(pk=job_id)
    counts = {status: job.hosts.filter(status=status).count() for status in ("ok", "changed", "failed", "unreachable")}
    audit_record(
        action=AuditAction.JOB_FINISH,
        actor_kind=ActorKind.SYSTEM,
        target=job,
        outcome=AuditOutcome.SUCCESS if job.status == JobStatus.SUCCEEDED else AuditOutcome.FAILURE,
        detail={"status": job.status, "error": job.error[:500], "hosts": counts},
    )
    log.info("job_finished", job_id=job.pk, status=job.status, **counts)
    if job.status not in NOTIFIED[NotifyOn(job.notify_on)]:
        return
    what = "succeeded" if job.status == JobStatus.SUCCEEDED else f"failed: {job.error}"
    notifications_announce(
        server=None,
        key=f"job:{job.pk}:{job.status}",
        subject=f"[fleet] job #{job.pk} {job.name} {job.status}",
        text=f"Job #{job.pk} ({job.name}, {job.playbook}) {what}",
        payload={
            "event": f"job_{job.status}",
            "job": {
                "id": job.pk,
                "template": job.name,
                "playbook": job.playbook,
                "commit": job.commit,
                "hosts": counts,
            },
        },
        severity=Severity.INFO if job.status == JobStatus.SUCCEEDED else Severity.WARNING,
    )
