"""Writes of the schedule: a periodic task run now (operators ask for it), and the workers'
records of themselves (tasks/worker_presence.py writes them, the daily cleanup removes old ones)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import structlog
from celery import current_app
from django.conf import settings
from django.db.models.functions import Now
from django_celery_beat.models import PeriodicTask
from kombu.exceptions import OperationalError

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.exceptions import NotFoundError, ServiceUnavailableError
from apps.scheduling.models import Worker

log = structlog.get_logger(__name__)


def periodic_task_run_now(*, periodic_task_id: int) -> str:
    """Queue one run of a periodic task now, as beat would send it; returns the Celery task id.

    Raises ServiceUnavailableError (the API's 503) when the broker cannot take it.
    """
    periodic_task = PeriodicTask.objects.filter(id=periodic_task_id).first()
    if periodic_task is None:
        raise NotFoundError(f"periodic task {periodic_task_id} does not exist")
    try:
        result = current_app.send_task(
            periodic_task.task,
            args=json.loads(periodic_task.args or "[]"),
            kwargs=json.loads(periodic_task.kwargs or "{}"),
            queue=periodic_task.queue or None,
            headers={"periodic_task_name": periodic_task.name},
        )
    except OperationalError as error:  # kombu's error once its bounded publish retries are spent
        log.error("periodic_task_not_queued", periodic_task=periodic_task.name, error=type(error).__name__)
        raise ServiceUnavailableError("could not queue the task: the task broker is unavailable") from error
    # The actor is the signed-in user of the admin or API request that asked.
    audit_record(
        action=AuditAction.PERIODIC_TASK_RUN,
        target=periodic_task,
        detail={"task": periodic_task.task, "celery_task_id": result.id},
    )
    log.info("periodic_task_run_now", periodic_task=periodic_task.name, celery_task_id=result.id)
    return result.id


def worker_record_heartbeat(
    *, hostname: str, pid: int, started_at: datetime, queues: list[str], concurrency: int, tasks_running: int
) -> None:
    """Record that the worker process (`hostname`, `pid`, `started_at`) is alive now, with the
    queues it consumes, its concurrency and how many tasks it is running.

    Idempotent, and the only write a worker makes while it runs, so a heartbeat also repairs a
    row the worker could not write at its start (the database was unavailable) or that the
    cleanup removed. A process's first heartbeat takes the row over from an earlier process of
    the same name, which may have died without a word (even one with the same pid, as the main
    process of a container often has).
    """
    values = {
        "queues": sorted(queues),
        "concurrency": concurrency,
        "tasks_running": tasks_running,
        "last_heartbeat_at": Now(),
    }
    this_process = Worker.objects.filter(hostname=hostname, pid=pid, started_at=started_at)
    if this_process.filter(stopped_at__isnull=True).update(**values):
        return
    if this_process.exists():
        return  # a heartbeat that crossed its own process's shutdown: stopped stays stopped
    _, created = Worker.objects.update_or_create(
        hostname=hostname, defaults={**values, "pid": pid, "started_at": started_at, "stopped_at": None}
    )
    log.info("worker_recorded", hostname=hostname, pid=pid, queues=values["queues"], new=created)


def worker_record_stopped(*, hostname: str, pid: int, started_at: datetime) -> None:
    """Record that the worker process shut down cleanly: it is offline from now on, running nothing.

    Only that process's row: a newer process of the same name keeps its own.
    """
    Worker.objects.filter(hostname=hostname, pid=pid, started_at=started_at).update(stopped_at=Now(), tasks_running=0)
    log.info("worker_stopped", hostname=hostname, pid=pid)


def workers_cleanup(*, older_than: timedelta | None = None) -> int:
    """Delete the workers last heard from more than WORKER_RETENTION_DAYS ago; returns how many."""
    cutoff = Now() - (older_than or timedelta(days=settings.WORKER_RETENTION_DAYS))
    deleted, _ = Worker.objects.filter(last_heartbeat_at__lt=cutoff).delete()
    log.info("workers_cleaned", deleted=deleted)
    return deleted
