"""Periodic tasks of the servers app (collected by apps.core.schedules)."""

from datetime import timedelta

from apps.core.schedules import PeriodicTaskSpec
from apps.servers import task_names

PERIODIC_TASKS: tuple[PeriodicTaskSpec, ...] = (
    PeriodicTaskSpec(
        name="server_sync",
        task=task_names.SERVER_SYNC,
        every=timedelta(minutes=5),
        expires=timedelta(minutes=4),
        description="Queues a sync of every enabled provider account: provider -> servers.",
    ),
)
