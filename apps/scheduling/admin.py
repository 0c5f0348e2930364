from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django_celery_beat.admin import PeriodicTaskAdmin as BeatPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from apps.access.admin_checks import permission_check
from apps.core.admin import RecordedByThePlatformAdmin
from apps.core.exceptions import PlatformError
from apps.scheduling import selectors, services
from apps.scheduling.choices import WorkerStatus
from apps.scheduling.models import Worker


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


class WorkerStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return WorkerStatus.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Worker]) -> QuerySet[Worker]:
        return queryset.filter(status=self.value()) if self.value() in WorkerStatus.values else queryset


@admin.register(Worker)
class WorkerAdmin(RecordedByThePlatformAdmin):
    """The Celery workers seen, online ones first: where tasks can run. Each worker writes its
    own row (at start, every WORKER_HEARTBEAT_SECONDS, at a clean shutdown), so this page reads
    the database only and still shows a worker that went away, with its last heartbeat."""

    list_display = (
        "hostname",
        "status",
        "queue_list",
        "concurrency",
        "tasks_running",
        "started_at",
        "last_heartbeat_at",
        "stopped_at",
    )
    list_filter = (WorkerStatusFilter,)
    search_fields = ("hostname",)
    readonly_fields = (*list_display, "pid")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Worker]:
        return selectors.worker_list()

    @admin.display(description="status", ordering="online")
    def status(self, obj: Worker) -> str:
        return WorkerStatus(obj.status).label

    @admin.display(description="queues")
    def queue_list(self, obj: Worker) -> str:
        return ", ".join(obj.queues)
