from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django_celery_beat.admin import PeriodicTaskAdmin as BeatPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from apps.access.admin_checks import permission_check
from apps.core.exceptions import PlatformError
from apps.scheduling import services


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
