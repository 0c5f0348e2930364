from django.db.models import QuerySet

from apps.monitoring.models import HealthCheck, Incident
from apps.servers.models import Server


def incident_list() -> QuerySet[Incident]:
    return Incident.objects.select_related("server__provider_account", "acknowledged_by", "resolved_by")


def health_checks_of(*, server: Server) -> QuerySet[HealthCheck]:
    return HealthCheck.objects.filter(server=server).order_by("-checked_at", "-id")
