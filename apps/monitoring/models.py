from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.fields import EncryptedTextField, SecretsDeferredManager
from apps.monitoring.choices import (
    ACTIVE_INCIDENT_STATUSES,
    ChannelKind,
    CheckOutcome,
    IncidentEventKind,
    IncidentKind,
    IncidentStatus,
    NotificationStatus,
    Severity,
)
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
        permissions = [("run_health_check", "Can queue health checks")]
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
        permissions = [("handle_incident", "Can acknowledge and resolve incidents")]
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


class NotificationChannel(models.Model):
    """Where operators hear about incidents. `target` is the non-secret part (e-mail addresses,
    webhook URL, Telegram chat id); `secret` the secret one (HMAC secret, Slack webhook URL,
    Telegram bot token), encrypted and never shown again."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    target = models.CharField(max_length=500, blank=True)
    secret = EncryptedTextField(null=True, blank=True)
    min_severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.WARNING)
    enabled = models.BooleanField(default=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SecretsDeferredManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Notification(models.Model):
    """One message to one channel about an incident event, or an announcement (no incident: a
    server provisioned, say) whose text is stored with it; its key makes queuing idempotent."""

    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE, related_name="notifications")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(max_length=200, blank=True, help_text="Announcements only.")
    text = models.TextField(blank=True, help_text="Announcements only.")
    payload = models.JSONField(null=True, blank=True, help_text="Announcements only.")
    event = models.CharField(max_length=16, choices=IncidentEventKind.choices)
    key = models.CharField(max_length=100, help_text="e.g. opened, escalated:critical, reminder:<time>")
    status = models.CharField(max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "incident", "key"], name="monitoring_notification_once"),
            models.UniqueConstraint(
                fields=["channel", "key"], condition=Q(incident__isnull=True), name="monitoring_announcement_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} of incident {self.incident_id} to {self.channel} ({self.status})"
