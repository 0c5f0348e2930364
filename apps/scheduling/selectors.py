"""Reads of the periodic tasks and of the workers, as operators see them."""

from datetime import timedelta

from django.conf import settings
from django.db.models import BooleanField, Case, CharField, ExpressionWrapper, Q, QuerySet, Value, When
from django.db.models.functions import Now
from django_celery_beat.models import PeriodicTask

from apps.scheduling.choices import WorkerStatus
from apps.scheduling.models import Worker


def periodic_task_list() -> QuerySet[PeriodicTask]:
    return PeriodicTask.objects.select_related("interval", "crontab").order_by("name")


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
