"""Reads of the periodic tasks and of the workers, as operators see them."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import BooleanField, Case, CharField, ExpressionWrapper, Q, QuerySet, Value, When
from django.db.models.functions import Now
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.scheduling.choices import WorkerStatus
from apps.scheduling.models import Worker


def periodic_task_list() -> QuerySet[PeriodicTask]:
    return PeriodicTask.objects.select_related("interval", "crontab", "solar", "clocked").order_by("name")


def periodic_task_due_after(
    periodic_task: PeriodicTask, previous: datetime, *, now: datetime | None = None
) -> datetime:
    """The first time the task is due after `previous` (a send time), as beat reckons it.

    Needs the task's interval, crontab, solar and clocked rows loaded.
    """
    if periodic_task.clocked_id is not None:
        return periodic_task.clocked.clocked_time
    if periodic_task.interval_id is not None:
        return previous + periodic_task.interval.schedule.run_every
    return (now or timezone.now()) + periodic_task.schedule.remaining_estimate(previous)


def periodic_task_next_run_at(periodic_task: PeriodicTask, *, now: datetime | None = None) -> datetime | None:
    """When beat next sends the task: None while it is disabled or once a one-off was sent.

    Counted from its last send (or its last change, for a task never sent); overdue is due now.
    """
    if not periodic_task.enabled or (periodic_task.one_off and periodic_task.last_run_at):
        return None
    if periodic_task.clocked_id is not None and periodic_task.last_run_at:
        return None
    now = now or timezone.now()
    previous = periodic_task.last_run_at or periodic_task.date_changed or now
    return max(periodic_task_due_after(periodic_task, previous, now=now), now)


def worker_online_q() -> Q:
    """A worker is online while it has not shut down and its last heartbeat is recent enough.

    Compared with the database's clock, the clock the workers write with.
    """
    cutoff = Now() - timedelta(seconds=settings.WORKER_OFFLINE_AFTER_SECONDS)
    return Q(stopped_at__isnull=True, last_heartbeat_at__gte=cutoff)


def worker_list() -> QuerySet[Worker]:
    """Every worker seen, online ones first, each with `online` and `status` (a WorkerStatus)."""
    online = worker_online_q()
    return Worker.objects.annotate(
        online=ExpressionWrapper(online, output_field=BooleanField()),
        status=Case(
            When(online, then=Value(WorkerStatus.ONLINE.value)),
            default=Value(WorkerStatus.OFFLINE.value),
            output_field=CharField(),
        ),
    ).order_by("-online", "hostname")
