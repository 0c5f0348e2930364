from django.contrib import admin
from django.utils import timezone
from unfold.admin import ModelAdmin

from apps.core import selectors
from apps.core.models import BeatLease, Heartbeat, SyncRun


class OperationalHistoryAdmin:
    """A record of what happened (a server with its runs and checks, an incident, a run, a sync
    run): never deleted from the admin. Retention tasks clean old rows; a server leaving its
    provider is marked removed. Without the delete permission the admin offers no Delete button
    and no "delete selected" action either."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RecordedByThePlatformAdmin(ModelAdmin):
    """A row the platform keeps up to date itself: shown, never added, edited or deleted here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(RecordedByThePlatformAdmin):
    """Read-only: when beat last sent the heartbeat and when a worker last ran it."""

    list_display = ("__str__", "beat_sent_at", "beat_state", "worker_ran_at", "worker_state", "worker_hostname")
    readonly_fields = list_display

    @admin.display(description="beat")
    def beat_state(self, obj: Heartbeat) -> str:
        return "stale" if selectors.heartbeat_status(now=timezone.now()).beat_stale else "ok"

    @admin.display(description="worker")
    def worker_state(self, obj: Heartbeat) -> str:
        return "stale" if selectors.heartbeat_status(now=timezone.now()).worker_stale else "ok"


@admin.register(BeatLease)
class BeatLeaseAdmin(RecordedByThePlatformAdmin):
    """Read-only: which beat process sends periodic tasks now (the others are standbys)."""

    list_display = ("__str__", "acquired_at", "renewed_at", "expires_at")
    readonly_fields = ("holder", "acquired_at", "renewed_at", "expires_at")


@admin.register(SyncRun)
class SyncRunAdmin(OperationalHistoryAdmin, ModelAdmin):
    """Read-only run records of every kind of sync."""

    list_display = ("id", "kind", "account_name", "status", "trigger", "created_at", "finished_at", "counts")
    list_filter = ("kind", "status", "trigger")
    search_fields = ("account_name", "error")
    date_hierarchy = "created_at"

    @admin.display(description="created / updated / removed / unchanged")
    def counts(self, obj: SyncRun) -> str:
        return f"{obj.created} / {obj.updated} / {obj.removed} / {obj.unchanged}"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in SyncRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
