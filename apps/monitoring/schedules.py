"""Periodic tasks of the monitoring app (collected by apps.core.schedules)."""

from datetime import time, timedelta

from apps.core.schedules import PeriodicTaskSpec
from apps.monitoring import task_names

PERIODIC_TASKS: tuple[PeriodicTaskSpec, ...] = (
    PeriodicTaskSpec(
        name="health_checker",
        task=task_names.HEALTH_CHECKER,
        every=timedelta(minutes=2),
        expires=timedelta(seconds=100),
        description="Checks every server that should be up over SSH: health status and incidents.",
    ),
    PeriodicTaskSpec(
        name="cleanup_health_checks",
        task=task_names.CLEANUP_HEALTH_CHECKS,
        daily_at=time(3, 45),
        expires=timedelta(hours=12),
        description="Deletes health check results older than HEALTH_CHECK_RETENTION_DAYS.",
    ),
    PeriodicTaskSpec(
        name="incident_reminders",
        task=task_names.RENOTIFY,
        every=timedelta(minutes=5),
        expires=timedelta(minutes=4),
        description="Notifies again incidents still open and unacknowledged after INCIDENT_RENOTIFY_MINUTES.",
    ),
)
