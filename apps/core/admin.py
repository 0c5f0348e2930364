from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django_celery_beat.admin import PeriodicTaskAdmin as BeatPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from apps.access.admin_checks import permission_check
from apps.core import selectors, services
from apps.core.exceptions import PlatformError
from apps.core.models import BeatLease, Heartbeat, SyncRun


class RecordedByThePlatformAdmin(admin.ModelAdmin):
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
class SyncRunAdmin(admin.ModelAdmin):
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


class PeriodicTaskAdmin(BeatPeriodicTaskAdmin):
    """django-celery-beat's admin, with each action bound to a permission.

    Its own actions name none, which would let a viewer enable, disable or run schedules;
    "run" goes through the platform's service, as the API's run-now does.
    """

    has_run_permission = permission_check("core.run_periodic_task")

    @admin.action(description="Enable selected tasks", permissions=["change"])
    def enable_tasks(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> None:
        super().enable_tasks(request, queryset)

    @admin.action(description="Disable selected tasks", permissions=["change"])
    def disable_tasks(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> None:
        super().disable_tasks(request, queryset)

    @admin.action(description="Toggle activity of selected tasks", permissions=["change"])
    def toggle_tasks(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> None:
        super().toggle_tasks(request, queryset)

    @admin.action(description="Run selected tasks", permissions=["run"])
    def run_tasks(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> None:
        try:
            for periodic_task in queryset:
                services.periodic_task_run_now(periodic_task_id=periodic_task.pk)
        except PlatformError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        names = ", ".join(periodic_task.name for periodic_task in queryset)
        self.message_user(request, f"{queryset.count()} task(s) successfully run: {names}.", messages.SUCCESS)


admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, PeriodicTaskAdmin)
