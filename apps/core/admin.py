from django.contrib import admin
from django.utils import timezone

from apps.core import selectors
from apps.core.models import Heartbeat


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    """Read-only: when beat last sent the heartbeat and when a worker last ran it."""

    list_display = ("__str__", "beat_sent_at", "beat_state", "worker_ran_at", "worker_state", "worker_hostname")
    readonly_fields = list_display

    @admin.display(description="beat")
    def beat_state(self, obj: Heartbeat) -> str:
        return "stale" if selectors.heartbeat_status(now=timezone.now()).beat_stale else "ok"

    @admin.display(description="worker")
    def worker_state(self, obj: Heartbeat) -> str:
        return "stale" if selectors.heartbeat_status(now=timezone.now()).worker_stale else "ok"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
