"""The platform's periodic tasks, declared once.

`manage.py register_periodic_tasks` writes them to django-celery-beat's tables: it creates what
is missing and leaves every existing row as it is, so an interval or enabled flag an operator
changed in the admin survives. Later domains add their entries to PERIODIC_TASKS.
"""

from dataclasses import dataclass
from datetime import timedelta

from apps.core import task_names
from apps.monitoring import task_names as monitoring_task_names
from apps.projects import task_names as projects_task_names
from apps.servers import task_names as servers_task_names


@dataclass(frozen=True)
class PeriodicTaskSpec:
    name: str  # the row's unique name, shown in the admin
    task: str  # the Celery task's stable name
    every: timedelta
    # A run still queued after this long is dropped, so a backlog after an outage does not
    # pile up runs: always shorter than the interval.
    expires: timedelta
    description: str


PERIODIC_TASKS: tuple[PeriodicTaskSpec, ...] = (
    PeriodicTaskSpec(
        name="heartbeat",
        task=task_names.HEARTBEAT,
        every=timedelta(seconds=30),
        expires=timedelta(seconds=25),
        description="Proves that beat sends and a worker runs: shown in /health/ready and the admin.",
    ),
    PeriodicTaskSpec(
        name="cleanup_task_results",
        task=task_names.CLEANUP_TASK_RESULTS,
        every=timedelta(days=1),
        expires=timedelta(hours=12),
        description="Deletes stored task results older than TASK_RESULT_RETENTION_DAYS.",
    ),
    PeriodicTaskSpec(
        name="server_sync",
        task=servers_task_names.SERVER_SYNC,
        every=timedelta(minutes=5),
        expires=timedelta(minutes=4),
        description="Queues a sync of every enabled provider account: provider -> servers.",
    ),
    PeriodicTaskSpec(
        name="github_sync",
        task=projects_task_names.GITHUB_SYNC,
        every=timedelta(minutes=5),
        expires=timedelta(minutes=4),
        description="Queues a sync of every enabled GitHub organization: repositories -> projects.",
    ),
    PeriodicTaskSpec(
        name="docs_index",
        task=projects_task_names.DOCS_INDEX,
        every=timedelta(minutes=10),
        expires=timedelta(minutes=8),
        description="Re-indexes the docs of projects whose default branch moved: summaries and search.",
    ),
    PeriodicTaskSpec(
        name="health_checker",
        task=monitoring_task_names.HEALTH_CHECKER,
        every=timedelta(minutes=2),
        expires=timedelta(seconds=100),
        description="Checks every server that should be up over SSH: health status and incidents.",
    ),
    PeriodicTaskSpec(
        name="cleanup_health_checks",
        task=monitoring_task_names.CLEANUP_HEALTH_CHECKS,
        every=timedelta(days=1),
        expires=timedelta(hours=12),
        description="Deletes health check results older than HEALTH_CHECK_RETENTION_DAYS.",
    ),
    PeriodicTaskSpec(
        name="incident_reminders",
        task=monitoring_task_names.RENOTIFY,
        every=timedelta(minutes=5),
        expires=timedelta(minutes=4),
        description="Notifies again incidents still open and unacknowledged after INCIDENT_RENOTIFY_MINUTES.",
    ),
)
