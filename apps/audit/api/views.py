from rest_framework import mixins, viewsets

from apps.audit import selectors
from apps.audit.api.serializers import AuditEventFilter, AuditEventOutputSerializer
from apps.audit.models import AuditEvent


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The audit trail, newest first: who did what to which object, and how it ended. Read-only."""

    queryset = AuditEvent.objects.none()  # for the schema and the model permission; requests use the selector
    serializer_class = AuditEventOutputSerializer
    filterset_class = AuditEventFilter
    ordering_fields = ["occurred_at"]

    def get_queryset(self):
        return selectors.audit_event_list()
