"""Periodic tasks of the provisioning app (collected by apps.core.schedules)."""

from datetime import time, timedelta

from apps.core.schedules import PeriodicTaskSpec
from apps.provisioning import task_names

PERIODIC_TASKS: tuple[PeriodicTaskSpec, ...] = (
    PeriodicTaskSpec(
        name="provisioner_trigger",
        task=task_names.TRIGGER,
        every=timedelta(minutes=5),
        expires=timedelta(minutes=4),
        description="Starts runs for servers pending setup, re-queues lost runs and resumes stalled ones.",
    ),
    PeriodicTaskSpec(
        name="provisioning_lease_reclaim",
        task=task_names.RECLAIM,
        every=timedelta(seconds=10),
        expires=timedelta(seconds=8),
        description="Resumes runs whose worker died or froze (their lease ran out) from their recorded phase.",
    ),
    PeriodicTaskSpec(
        name="cleanup_provisioning_runs",
        task=task_names.CLEANUP,
        daily_at=time(4, 15),
        expires=timedelta(hours=12),
        description="Deletes finished provisioning runs (and their output) older than PROVISIONING_RUN_RETENTION_DAYS.",
    ),
)
