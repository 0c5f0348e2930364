from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from rest_framework import serializers

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome
from apps.audit.models import AuditEvent


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, turned into UTC: ISO allows offsets up to ±23:59, PostgreSQL only ±15:59."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is before the first UTC instant Python knows
            raise forms.ValidationError("This date and time is out of range.", code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_name", help_text="The acting user's username.")
    actor_kind = django_filters.MultipleChoiceFilter(choices=ActorKind.choices)
    action = django_filters.MultipleChoiceFilter(choices=AuditAction.choices)
    outcome = django_filters.MultipleChoiceFilter(choices=AuditOutcome.choices)
    target_type = django_filters.CharFilter(help_text='The target\'s model, e.g. "servers.server".')
    target_id = django_filters.CharFilter()
    occurred_after = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["actor", "actor_kind", "action", "outcome", "target_type", "target_id"]


class AuditEventOutputSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)
    actor_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor_kind",
            "actor",
            "actor_id",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "outcome",
            "detail",
            "request_id",
            "ip_address",
        ]
        read_only_fields = fields
