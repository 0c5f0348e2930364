"""Reads of the periodic tasks, as operators see them."""

from django.db.models import QuerySet
from django_celery_beat.models import PeriodicTask


def periodic_task_list() -> QuerySet[PeriodicTask]:
    return PeriodicTask.objects.select_related("interval", "crontab").order_by("name")
