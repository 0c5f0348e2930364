"""Periodic tasks of the scheduling app (collected by apps.core.schedules)."""

from datetime import time, timedelta

from apps.core.schedules import PeriodicTaskSpec
from apps.scheduling import task_names

PERIODIC_TASKS: tuple[PeriodicTaskSpec, ...] = (
    PeriodicTaskSpec(
        name="cleanup_workers",
        task=task_names.CLEANUP_WORKERS,
        daily_at=time(3, 45),
        expires=timedelta(hours=12),
        description="Deletes the workers last heard from more than WORKER_RETENTION_DAYS ago.",
    ),
)
