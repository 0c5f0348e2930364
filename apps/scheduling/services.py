"""Writes of the schedule that operators ask for: run a periodic task now."""

from __future__ import annotations

import json

import structlog
from celery import current_app
from django_celery_beat.models import PeriodicTask
from kombu.exceptions import OperationalError

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.exceptions import NotFoundError, ServiceUnavailableError

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
