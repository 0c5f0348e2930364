"""Periodic tasks of the jobs app (collected by apps.core.schedules)."""

from datetime import time, timedelta

from apps.core.schedules import PeriodicTaskSpec
from apps.jobs import task_names

PERIODIC_TASKS: tuple[PeriodicTaskSpec, ...] = (
    PeriodicTaskSpec(
        name="jobs_reclaim",
        task=task_names.RECLAIM,
        every=timedelta(seconds=10),
        expires=timedelta(seconds=8),
        description="Fails jobs whose worker died (their lease ran out) and sends again jobs the broker lost.",
    ),
    PeriodicTaskSpec(
        name="cleanup_jobs",
        task=task_names.CLEANUP,
        daily_at=time(4, 30),
        expires=timedelta(hours=12),
        description="Deletes finished jobs (their hosts and output) older than JOBS_RETENTION_DAYS.",
    ),
)
