"""Reads behind the metrics and the admin dashboard: aggregates and short lists, a fixed number of queries.

Every function runs one or two queries whatever the number of rows (GROUP BY, correlated
subqueries, slices), so a scrape or the admin index costs the same on a fleet of any size.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, DateTimeField, DurationField, ExpressionWrapper, F, Max, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from apps.core.choices import SyncStatus
from apps.core.models import Heartbeat, SyncRun
from apps.monitoring.choices import ACTIVE_INCIDENT_STATUSES
from apps.monitoring.models import Incident
from apps.provisioning.choices import RunStatus
from apps.provisioning.models import ProvisioningRun
from apps.servers.models import Server

TASK_FAILURE_STATES = ("FAILURE",)
RECENT_INCIDENTS_SHOWN = 10
FAILED_RUNS_SHOWN = 20


# --- Counts by label (metrics and dashboard) -------------------------------------------------------
def server_counts() -> dict[tuple[str, str], int]:
    """Servers by (lifecycle, health_status)."""
    rows = Server.objects.values_list("lifecycle", "health_status").annotate(n=Count("id")).order_by()
    return {(lifecycle, health): n for lifecycle, health, n in rows}


def active_incident_counts() -> dict[tuple[str, str, str], int]:
    """Open and acknowledged incidents by (severity, kind, status)."""
    rows = (
        Incident.objects.filter(status__in=ACTIVE_INCIDENT_STATUSES)
        .values_list("severity", "kind", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(severity, kind, status): n for severity, kind, status, n in rows}


def sync_run_counts() -> dict[tuple[str, str], int]:
    """Retained sync runs by (kind, status)."""
    rows = SyncRun.objects.values_list("kind", "status").annotate(n=Count("id")).order_by()
    return {(kind, status): n for kind, status, n in rows}


def provisioning_run_counts() -> dict[tuple[str, str], int]:
    """Retained provisioning runs by (kind, status)."""
    rows = ProvisioningRun.objects.values_list("kind", "status").annotate(n=Count("id")).order_by()
    return {(kind, status): n for kind, status, n in rows}


def heartbeat_times() -> tuple[datetime | None, datetime | None]:
    """(beat_sent_at, worker_ran_at), None where never recorded."""
    row = Heartbeat.objects.filter(id=Heartbeat.SINGLETON_ID).values_list("beat_sent_at", "worker_ran_at").first()
    return row or (None, None)


# --- Task results over a recent window ---------------------------------------------------------------
@dataclass(frozen=True)
class TaskDurations:
    finished: int
    total_seconds: float
    max_seconds: float


def task_result_counts(*, since: datetime) -> dict[tuple[str, str], int]:
    """Task results created since `since` by (task name, state)."""
    rows = (
        TaskResult.objects.filter(date_created__gte=since)
        .values_list("task_name", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(task_name or "unknown", status): n for task_name, status, n in rows}


def task_durations(*, since: datetime) -> dict[str, TaskDurations]:
    """Per task name: finished results since `since`, their total and longest run time.

    A result's run time is date_done - date_started; date_created stands in for a missing
    date_started (the row is created when the task starts, as CELERY_TASK_TRACK_STARTED is on).
    """
    duration = ExpressionWrapper(
        F("date_done") - Coalesce("date_started", "date_created", output_field=DateTimeField()),
        output_field=DurationField(),
    )
    rows = (
        TaskResult.objects.filter(date_done__gte=since, status__in=("SUCCESS", "FAILURE"))
        .values("task_name")
        .annotate(finished=Count("id"), total=Sum(duration), longest=Max(duration))
        .order_by()
    )
    return {
        row["task_name"] or "unknown": TaskDurations(
            finished=row["finished"],
            total_seconds=_seconds(row["total"]),
            max_seconds=_seconds(row["longest"]),
        )
        for row in rows
    }


def _seconds(value: timedelta | int | None) -> float:
    if value is None:
        return 0.0
    # Some backends hand aggregated durations back as microseconds.
    return value.total_seconds() if isinstance(value, timedelta) else value / 1_000_000


# --- Admin dashboard --------------------------------------------------------------------------------
def server_totals() -> tuple[dict[str, int], dict[str, int]]:
    """Servers by lifecycle and by health status, from one query."""
    by_lifecycle: Counter[str] = Counter()
    by_health: Counter[str] = Counter()
    for (lifecycle, health), n in server_counts().items():
        by_lifecycle[lifecycle] += n
        by_health[health] += n
    return dict(by_lifecycle), dict(by_health)


def active_incidents_by_severity() -> dict[str, int]:
    rows = (
        Incident.objects.filter(status__in=ACTIVE_INCIDENT_STATUSES)
        .values_list("severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(rows)


def recent_active_incidents(*, limit: int = RECENT_INCIDENTS_SHOWN) -> list[Incident]:
    return list(
        Incident.objects.filter(status__in=ACTIVE_INCIDENT_STATUSES)
        .select_related("server")
        .order_by("-opened_at", "-id")[:limit]
    )


def periodic_tasks_with_last_result() -> list[PeriodicTask]:
    """Every periodic task, annotated with the state, time and id of its last task result.

    Results are matched by periodic_task_name: beat and "run now" both send that header.
    """
    last = TaskResult.objects.filter(periodic_task_name=OuterRef("name")).order_by("-date_created", "-id")
    return list(
        PeriodicTask.objects.select_related("interval", "crontab", "solar", "clocked")
        .annotate(
            last_result_status=Subquery(last.values("status")[:1]),
            last_result_at=Subquery(last.values("date_done")[:1]),
            last_result_created_at=Subquery(last.values("date_created")[:1]),
            last_result_pk=Subquery(last.values("id")[:1]),
        )
        .order_by("name")
    )


def failed_sync_runs(*, since: datetime, limit: int = FAILED_RUNS_SHOWN) -> tuple[int, list[SyncRun]]:
    failed = SyncRun.objects.filter(status=SyncStatus.FAILED, finished_at__gte=since)
    return failed.count(), list(failed.order_by("-finished_at", "-id")[:limit])


def failed_provisioning_runs(*, since: datetime, limit: int = FAILED_RUNS_SHOWN) -> tuple[int, list[ProvisioningRun]]:
    failed = ProvisioningRun.objects.filter(status=RunStatus.FAILED, finished_at__gte=since)
    return failed.count(), list(failed.select_related("server").order_by("-finished_at", "-id")[:limit])


def failed_task_results(*, since: datetime, limit: int = FAILED_RUNS_SHOWN) -> tuple[int, list[TaskResult]]:
    failed = TaskResult.objects.filter(status__in=TASK_FAILURE_STATES, date_done__gte=since)
    return failed.count(), list(
        failed.only("id", "task_id", "task_name", "periodic_task_name", "date_done").order_by("-date_done", "-id")[
            :limit
        ]
    )


def last_day(*, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(hours=24)
