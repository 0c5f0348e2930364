"""The audit trail: one row per action that changed the world. Rows are written once, never edited."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The username at the time: the trail still says who acted after the user is deleted.
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, choices=AuditAction.choices)
    target_type = models.CharField(max_length=100, blank=True)  # "servers.server"
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=16, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS)
    detail = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "audit event"
        indexes = [
            models.Index(fields=["action", "-occurred_at"], name="audit_action_idx"),
            models.Index(fields=["actor_name", "-occurred_at"], name="audit_actor_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        who = self.actor_name or self.get_actor_kind_display().lower()
        return f"{self.get_action_display()} by {who} ({self.outcome})"
