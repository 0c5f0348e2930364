"""Celery signal handlers shared by every platform process (worker, beat, web).

- Celery leaves logging alone: Django's LOGGING (structlog) is the one configuration.
- Each task logs bound to its name, id and the ids of the objects it works on.
- Beat records when it sent the heartbeat; the heartbeat task itself records when it ran.
- A worker that starts queues provisioner_trigger, which resumes runs a dead worker left.
"""

from typing import Any

import structlog
from celery import signals

from apps.core import task_names


@signals.setup_logging.connect
def _keep_django_logging(**_: Any) -> None:
    """Connected so that Celery does not replace the logging configuration Django set up."""


def _object_ids(kwargs: dict[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in (kwargs or {}).items() if key.endswith("_id") or key.endswith("_ids")}


@signals.task_prerun.connect
def _bind_task_context(task_id: str, task: Any, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task_name=task.name, task_id=task_id, **_object_ids(kwargs))


@signals.task_postrun.connect
def _clear_task_context(**_: Any) -> None:
    structlog.contextvars.clear_contextvars()


def _record_heartbeat_sent(sender: str | None = None, **_: Any) -> None:
    if sender != task_names.HEARTBEAT:
        return
    from apps.core.services import heartbeat_record_sent

    heartbeat_record_sent()


@signals.beat_init.connect
def _watch_beat_publishing(**_: Any) -> None:
    # Only the beat process records "sent": a manual "run now" from the admin or API is not
    # evidence that the scheduler is alive.
    signals.after_task_publish.connect(_record_heartbeat_sent, weak=False)


@signals.worker_ready.connect
def _trigger_provisioning(sender: Any = None, **_: Any) -> None:
    """A worker that starts resumes what a dead one left: runs pending or stalled (idempotent)."""
    from apps.provisioning import task_names as provisioning_tasks

    try:
        sender.app.send_task(provisioning_tasks.TRIGGER)
    except Exception:  # the broker is down: the periodic trigger will do it
        structlog.get_logger(__name__).warning("provisioner_trigger_not_queued", exc_info=True)
