"""Celery signal handlers shared by every platform process (worker, beat, web).

- Celery leaves logging alone: Django's LOGGING (structlog) is the one configuration.
- Each task logs bound to its name, id and the ids of the objects it works on.
- The request id of the web request (or task) that queues a task travels in the message's
  headers, and the task's log lines carry it too; tasks it queues carry it on.
- Beat records when it sent the heartbeat; the heartbeat task itself records when it ran.
- A worker that starts queues provisioner_trigger, which resumes runs a dead worker left.
- A worker survives a lost broker connection while it holds unacknowledged tasks (a Celery 5.7 bug).
"""

from typing import Any

import structlog
from celery import signals

from apps.core import task_names
from apps.core.logging import current_request_id

# The kombu release whose Connection.maybe_close_channel the patch below was written against; a
# test (tests/core/test_kombu_internals_pinned.py) fails when the installed kombu is another one.
WRITTEN_FOR_KOMBU = "5.7.0"

# The message header that carries the request id (a Celery header, read back as task.request.request_id).
REQUEST_ID_HEADER = "request_id"


@signals.setup_logging.connect
def _keep_django_logging(**_: Any) -> None:
    """Connected so that Celery does not replace the logging configuration Django set up."""


def _object_ids(kwargs: dict[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in (kwargs or {}).items() if key.endswith("_id") or key.endswith("_ids")}


@signals.before_task_publish.connect
def _send_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@signals.task_prerun.connect
def _bind_task_context(task_id: str, task: Any, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    structlog.contextvars.clear_contextvars()
    request_id = getattr(task.request, REQUEST_ID_HEADER, None)
    context = {"request_id": request_id} if request_id else {}
    structlog.contextvars.bind_contextvars(task_name=task.name, task_id=task_id, **context, **_object_ids(kwargs))


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
    """A worker that starts resumes what a dead one left: runs pending or stalled, jobs whose
    worker died (idempotent)."""
    from apps.jobs import task_names as jobs_tasks
    from apps.provisioning import task_names as provisioning_tasks

    try:
        sender.app.send_task(provisioning_tasks.TRIGGER)
        sender.app.send_task(jobs_tasks.RECLAIM)
    except Exception:  # the broker is down: the periodic trigger will do it
        structlog.get_logger(__name__).warning("provisioner_trigger_not_queued", exc_info=True)


@signals.worker_init.connect
def _survive_broker_loss_with_unacked_tasks(**_: Any) -> None:
    """Keep the worker alive when the broker connection drops while it holds unacknowledged tasks.

    On a lost connection Celery 5.7's consumer first collects the connection (which clears its
    transport's client) and then closes it; closing the Redis channel tries to put the worker's
    unacknowledged tasks back and, without a client, raises AttributeError, which the consumer
    does not expect: the worker exits ("Unrecoverable error") instead of reconnecting
    (tests/faults/test_broker_outage.py). That restore cannot work without the broker anyway,
    so it is treated like the connection error it stands for: the tasks stay in Redis's unacked
    set and come back after the visibility timeout, as for a worker that died.
    """
    from kombu.connection import Connection

    if getattr(Connection.maybe_close_channel, "survives_missing_client", False):
        return
    close_channel = Connection.maybe_close_channel

    def maybe_close_channel(self: Connection, channel: Any) -> None:
        try:
            close_channel(self, channel)
        except AttributeError:
            structlog.get_logger(__name__).warning("broker_channel_closed_without_restore", exc_info=True)

    maybe_close_channel.survives_missing_client = True  # type: ignore[attr-defined]
    Connection.maybe_close_channel = maybe_close_channel  # type: ignore[method-assign]
