"""Filters of the worker list."""

import django_filters

from apps.scheduling.choices import WorkerStatus
from apps.scheduling.models import Worker


class WorkerFilter(django_filters.FilterSet):
    # `status` is the selector's annotation (apps/scheduling/selectors.py), not a column.
    status = django_filters.ChoiceFilter(choices=WorkerStatus.choices, field_name="status")

    class Meta:
        model = Worker
        fields = ["status"]
