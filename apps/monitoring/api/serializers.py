import django_filters
from rest_framework import serializers

from apps.monitoring.choices import IncidentKind, IncidentStatus, Severity
from apps.monitoring.models import HealthCheck, Incident


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=IncidentKind.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    server = django_filters.NumberFilter(field_name="server_id")

    class Meta:
        model = Incident
        fields = ["status", "kind", "severity", "server"]


class IncidentOutputSerializer(serializers.ModelSerializer):
    server_name = serializers.CharField(source="server.__str__", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "server",
            "server_name",
            "kind",
            "severity",
            "status",
            "message",
            "opened_at",
            "last_seen_at",
            "occurrences",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
        ]
        read_only_fields = fields


class HealthCheckOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = HealthCheck
        fields = ["id", "server", "checked_at", "duration_ms", "outcome", "figures", "error"]
        read_only_fields = fields


class ChecksQueuedOutputSerializer(serializers.Serializer):
    batches = serializers.IntegerField()


class HostKeyOutputSerializer(serializers.Serializer):
    host_key_fingerprint = serializers.CharField()
