"""Periodic tasks of the projects app (collected by apps.core.schedules)."""

from datetime import timedelta

from apps.core.schedules import PeriodicTaskSpec
from apps.projects import task_names

PERIODIC_TASKS: tuple[PeriodicTaskSpec, ...] = (
    PeriodicTaskSpec(
        name="github_sync",
        task=task_names.GITHUB_SYNC,
        every=timedelta(minutes=5),
        expires=timedelta(minutes=4),
        description="Queues a sync of every enabled GitHub organization: repositories -> projects.",
    ),
    PeriodicTaskSpec(
        name="docs_index",
        task=task_names.DOCS_INDEX,
        every=timedelta(minutes=10),
        expires=timedelta(minutes=8),
        description="Re-indexes the docs of projects whose default branch moved: summaries and search.",
    ),
)
