"""Reads of the audit trail."""

from django.db.models import QuerySet

from apps.audit.models import AuditEvent


def audit_event_list() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.select_related("actor").order_by("-occurred_at", "-id")
