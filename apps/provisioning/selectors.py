"""Reads of the provisioning domain."""

from django.db.models import QuerySet

from apps.provisioning.choices import ACTIVE_RUN_STATUSES
from apps.provisioning.models import ProvisioningEvent, ProvisioningRun
from apps.servers.models import Server


def provisioning_run_list() -> QuerySet[ProvisioningRun]:
    return ProvisioningRun.objects.select_related("server", "requested_by", "canceled_by").prefetch_related("phases")


def provisioning_run_active(*, server: Server) -> ProvisioningRun | None:
    return ProvisioningRun.objects.filter(server=server, status__in=ACTIVE_RUN_STATUSES).first()


def provisioning_events_after(*, run: ProvisioningRun, after: int, limit: int) -> QuerySet[ProvisioningEvent]:
    return ProvisioningEvent.objects.filter(run=run, seq__gt=after).order_by("seq")[:limit]
