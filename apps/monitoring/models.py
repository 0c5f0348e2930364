from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.monitoring.choices import ACTIVE_INCIDENT_STATUSES, CheckOutcome, IncidentKind, IncidentStatus, Severity
from apps.servers.models import Server


class HealthCheck(models.Model):
    """One health check of one server: outcome, figures (disk, load, memory, Docker), error."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="health_checks")
    checked_at = models.DateTimeField(db_index=True)
    duration_ms = models.PositiveIntegerField()
    outcome = models.CharField(max_length=24, choices=CheckOutcome.choices)
    figures = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["server", "-checked_at"], name="monitoring_check_server_idx")]

    def __str__(self) -> str:
        return f"{self.server} {self.outcome} at {self.checked_at:%Y-%m-%d %H:%M}"


class Incident(models.Model):
    """Something wrong with a server, from when it was first seen to when it was resolved.

    At most one open or acknowledged incident per server and kind (a database constraint): a
    problem seen again adds an occurrence; a disk warning that turns critical escalates the same
    incident.
    """

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="incidents")
    kind = models.CharField(max_length=32, choices=IncidentKind.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    message = models.TextField(blank=True)
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    occurrences = models.PositiveIntegerField(default=1)
    # Consecutive checks without the problem; it resolves itself at INCIDENT_RESOLVE_AFTER_CHECKS.
    healthy_streak = models.PositiveIntegerField(default=0)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["server", "kind"],
                condition=Q(status__in=ACTIVE_INCIDENT_STATUSES),
                name="monitoring_one_active_incident_per_kind",
            ),
            models.CheckConstraint(condition=Q(status__in=IncidentStatus.values), name="monitoring_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "severity"], name="monitoring_incident_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.server} ({self.status})"
