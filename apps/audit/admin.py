"""The audit trail in the admin: read-only for everyone, superusers included."""

import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from apps.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ModelAdmin):
    list_display = ("occurred_at", "action", "outcome", "actor_kind", "actor_name", "target_type", "target_repr")
    list_filter = ("action", "outcome", "actor_kind", "target_type")
    search_fields = ("actor_name", "target_repr", "target_id")
    date_hierarchy = "occurred_at"
    fields = (
        "occurred_at",
        "action",
        "outcome",
        "actor_kind",
        "actor_name",
        "actor",
        "target_type",
        "target_id",
        "target_repr",
        "detail_pretty",
        "request_id",
        "ip_address",
    )
    readonly_fields = fields
    list_select_related = ("actor",)

    @admin.display(description="detail")
    def detail_pretty(self, event: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.detail, indent=2, sort_keys=True, ensure_ascii=False))

    # Rows are written by the platform and never edited or removed by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
