"""Periodic tasks of the audit app (collected by apps.core.schedules)."""

from datetime import time, timedelta

from apps.audit import task_names
from apps.core.schedules import PeriodicTaskSpec

PERIODIC_TASKS: tuple[PeriodicTaskSpec, ...] = (
    PeriodicTaskSpec(
        name="cleanup_audit_events",
        task=task_names.CLEANUP,
        daily_at=time(3, 30),
        expires=timedelta(hours=12),
        description="Deletes audit events older than AUDIT_RETENTION_DAYS.",
    ),
)
