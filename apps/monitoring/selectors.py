from django.db.models import QuerySet

from apps.audit.choices import AuditAction, AuditOutcome
from apps.audit.models import AuditEvent
from apps.core.fields import without_secrets
from apps.monitoring.models import HealthCheck, Incident
from apps.servers.models import Server


def incident_list() -> QuerySet[Incident]:
    return without_secrets(
        Incident.objects.select_related("server__provider_account", "acknowledged_by", "resolved_by")
    )


def health_checks_of(*, server: Server) -> QuerySet[HealthCheck]:
    return HealthCheck.objects.filter(server=server).order_by("-checked_at", "-id")


def incident_checks(*, incident: Incident) -> dict[str, HealthCheck]:
    """The health checks behind an incident: the one that opened it and the last that saw it
    ("opened", "last_seen"). A sweep stamps its checks and the incidents they open or touch with
    one time, so the check is the server's at that time; an incident the platform opened itself
    (a failed provisioning) or whose check retention removed has none."""
    times = {"opened": incident.opened_at, "last_seen": incident.last_seen_at}
    found = {
        check.checked_at: check
        for check in HealthCheck.objects.filter(server_id=incident.server_id, checked_at__in=set(times.values()))
    }
    return {name: found[at] for name, at in times.items() if at in found}


def incident_handling_events(*, incident: Incident) -> QuerySet[AuditEvent]:
    """Who acknowledged or resolved the incident, when, and with which comment (oldest first)."""
    return AuditEvent.objects.filter(
        target_type=Incident._meta.label_lower,
        target_id=str(incident.pk),
        action__in=(AuditAction.INCIDENT_ACKNOWLEDGE, AuditAction.INCIDENT_RESOLVE),
        outcome=AuditOutcome.SUCCESS,
    ).order_by("occurred_at", "id")
