"""Jobs in the admin: templates (checked by template_check, launched from their page), jobs
(read-only operational history: hosts, output, cancel and relaunch), schedules (written through
the scheduling services), and the server admin's part (ServerJobsAdmin, in admin_server.py).

Forms live in admin_forms.py, the pages beyond Django's own in admin_views.py, what the lists
and pages show in admin_display.py. Ansible's output is shown through the template's escaping.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import path
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.views.decorators.http import require_http_methods, require_POST
from unfold.admin import ModelAdmin

from apps.access.admin_checks import permission_check
from apps.core.admin import OperationalHistoryAdmin
from apps.core.admin_secrets import SecretColumnsDeferredMixin, SecretFieldsHiddenFromReadersMixin
from apps.core.exceptions import PlatformError
from apps.jobs.admin_display import (
    LAUNCH_PERMISSION,
    OUTPUT_LINES_SHOWN,
    SERVER_JOBS_LOOKUP,
    hosts_summary,
    job_link,
    job_output,
    target_summary,
)
from apps.jobs.admin_forms import JobScheduleForm, JobTemplateForm
from apps.jobs.admin_live import JobLiveOutputViews, job_hosts
from apps.jobs.admin_server import ServerJobsAdmin
from apps.jobs.admin_views import JobOperationViews, TemplateLaunchViews
from apps.jobs.choices import HOSTS_TO_RELAUNCH
from apps.jobs.models import Job, JobSchedule, JobTemplate
from apps.jobs.services import schedule_create, schedule_delete, schedule_next_run_at, schedule_timing, schedule_update

__all__ = ["JobAdmin", "JobScheduleAdmin", "JobTemplateAdmin", "ServerJobsAdmin"]


@admin.register(JobTemplate)
class JobTemplateAdmin(TemplateLaunchViews, ModelAdmin):
    form = JobTemplateForm
    list_display = ("name", "source", "playbook", "target_column", "forks", "notify_on", "last_job")
    list_filter = ("notify_on", "project")
    search_fields = ("name", "playbook", "description")
    list_select_related = ("project",)
    change_form_template = "admin/jobs/jobtemplate/change_form.html"
    readonly_fields = ("created_by", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "description")}),
        ("Source", {"fields": ("project", "ref", "playbook")}),
        ("Target and variables", {"fields": ("target", "extra_vars", "survey")}),
        ("Run", {"fields": ("forks", "timeout_seconds", "notify_on", "allow_concurrent")}),
        ("Record", {"fields": ("created_by", "created_at", "updated_at")}),
    )
    has_launch_permission = permission_check(LAUNCH_PERMISSION)

    def get_queryset(self, request: HttpRequest):
        last = Job.objects.filter(template=OuterRef("pk")).order_by("-created_at", "-id")
        return (
            super()
            .get_queryset(request)
            .annotate(last_job_id=Subquery(last.values("pk")[:1]), last_job_status=Subquery(last.values("status")[:1]))
        )

    def get_urls(self):
        opts = self.model._meta
        view = self.admin_site.admin_view(require_http_methods(["GET", "POST"])(self.launch_view))
        return [
            path("<path:object_id>/launch/", view, name=f"{opts.app_label}_{opts.model_name}_launch"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        extra_context = {**(extra_context or {}), "can_launch": self.has_launch_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: JobTemplate, form, change: bool) -> None:
        # The form's clean() ran template_check; its normalized values are on `obj`.
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def delete_model(self, request: HttpRequest, obj: JobTemplate) -> None:
        # A template's schedules go with it, their beat rows too (schedule_delete).
        for schedule in obj.schedules.all():
            schedule_delete(schedule=schedule)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[JobTemplate]) -> None:
        for schedule in JobSchedule.objects.filter(template__in=queryset):
            schedule_delete(schedule=schedule)
        super().delete_queryset(request, queryset)

    @admin.display(description="source")
    def source(self, template: JobTemplate) -> str:
        if template.project is None:
            return "platform"
        return f"{template.project.full_name}@{template.ref or template.project.default_branch}"

    @admin.display(description="target")
    def target_column(self, template: JobTemplate) -> str:
        return target_summary(template.target)

    @admin.display(description="last job")
    def last_job(self, template: JobTemplate):
        return job_link(getattr(template, "last_job_id", None), getattr(template, "last_job_status", ""))


@admin.register(Job)
class JobAdmin(
    OperationalHistoryAdmin, JobOperationViews, JobLiveOutputViews, SecretFieldsHiddenFromReadersMixin, ModelAdmin
):
    list_display = ("id", "name", "status", "launched", "hosts_column", "short_commit", "created_at", "finished_at")
    list_display_links = ("id", "name")
    list_filter = ("status", "launched_by", "template")
    search_fields = ("name",)
    list_select_related = ("template", "project", "launched_by_user", "schedule__periodic_task")
    change_form_template = "admin/jobs/job/change_form.html"
    fieldsets = (
        (
            "Job",
            {"fields": ("name", "template", "status", "error", "source", "commit", "playbook", "extra_vars_shown")},
        ),
        ("Run", {"fields": ("forks", "timeout_seconds", "notify_on")}),
        (
            "Who and when",
            {
                "fields": (
                    "launched",
                    "relaunch_of",
                    "canceled_by",
                    "cancel_requested_at",
                    "created_at",
                    "started_at",
                    "heartbeat_at",
                    "finished_at",
                )
            },
        ),
    )
    readonly_fields = tuple(name for _, options in fieldsets for name in options["fields"])

    # Operational history: written by the services only, and not deletable from the admin.
    # Canceling and relaunching take the launch permission.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    has_launch_permission = permission_check(LAUNCH_PERMISSION)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("hosts")

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The server admin links to a server's jobs with this lookup.
        return lookup == SERVER_JOBS_LOOKUP or super().lookup_allowed(lookup, value, request)

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        cancel = require_http_methods(["GET", "POST"])(self.cancel_view)
        return [
            path("<path:object_id>/cancel/", self.admin_site.admin_view(cancel), name=f"{name}_cancel"),
            path(
                "<path:object_id>/relaunch/",
                self.admin_site.admin_view(require_POST(self.relaunch_view)),
                name=f"{name}_relaunch",
            ),
            *self.live_urls(),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        job = self.get_object(request, unquote(object_id))
        if job is not None:
            launch = self.has_launch_permission(request, job)
            hosts = job_hosts(job)
            output, truncated, after = job_output(job)
            extra_context = {
                **(extra_context or {}),
                **self.live_page_context(job, hosts=hosts, after=after),
                "output": output,
                "output_truncated": truncated,
                "output_lines_shown": OUTPUT_LINES_SHOWN,
                "can_cancel": launch and job.is_active,
                "can_relaunch": launch and job.template_id is not None,
                "can_relaunch_failed": launch
                and job.template_id is not None
                and not job.is_active
                and any(host.server_id and host.status in HOSTS_TO_RELAUNCH for host in hosts),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="launched by")
    def launched(self, job: Job) -> str:
        who = job.get_launched_by_display().lower()
        if job.schedule is not None:
            return f"{who} ({job.schedule.periodic_task.name})"
        if job.launched_by_user is not None:
            return f"{who} ({job.launched_by_user.username})"
        return who

    @admin.display(description="hosts")
    def hosts_column(self, job: Job) -> str:
        return hosts_summary(job.hosts.all())

    @admin.display(description="commit", ordering="commit")
    def short_commit(self, job: Job) -> str:
        return job.commit[:12] or "-"

    @admin.display(description="source")
    def source(self, job: Job) -> str:
        if job.project is None:
            return "platform"
        return f"{job.project.full_name}@{job.ref}" if job.ref else job.project.full_name

    @admin.display(description="extra vars")
    def extra_vars_shown(self, job: Job):
        return format_html("<pre style='margin: 0'>{}</pre>", json.dumps(job.extra_vars, indent=2, ensure_ascii=False))


@admin.register(JobSchedule)
class JobScheduleAdmin(SecretColumnsDeferredMixin, ModelAdmin):
    form = JobScheduleForm
    list_display = (
        "name",
        "template",
        "timing",
        "enabled",
        "next_run",
        "last_job_column",
        "last_skip_reason",
    )
    list_filter = ("template", "periodic_task__enabled")
    search_fields = ("periodic_task__name", "template__name")
    list_select_related = ("template", "periodic_task__interval", "periodic_task__crontab", "last_job")
    readonly_fields = (
        "next_run",
        "last_job_column",
        "last_fired_at",
        "last_skipped_at",
        "last_skip_reason",
        "created_by",
    )
    fieldsets = (
        (None, {"fields": ("name", "template", "enabled")}),
        ("When", {"fields": ("interval_seconds", "crontab", "timezone")}),
        ("Variables", {"fields": ("extra_vars",)}),
        (
            "Last runs",
            {
                "fields": (
                    "next_run",
                    "last_job_column",
                    "last_fired_at",
                    "last_skipped_at",
                    "last_skip_reason",
                    "created_by",
                )
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # A schedule belongs to its template: a schedule of another template is a new schedule.
        return (*self.readonly_fields, "template") if obj is not None else self.readonly_fields

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_job_schedule_refusal", None)
        if refusal is not None:
            form = type(form.__name__, (form,), {"service_refusal": refusal})
        return form

    def changeform_view(self, request: HttpRequest, object_id=None, form_url: str = "", extra_context=None):
        """The services decide when the form is saved (save_model); a refusal rolls the save back
        and the page is shown again, the services' errors on their fields."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _ScheduleRefused as refused:
            request._job_schedule_refusal = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: JobSchedule, form: JobScheduleForm, change: bool) -> None:
        values = form.service_values()
        try:
            if change:
                schedule_update(schedule=obj, **values)
            else:
                created = schedule_create(template=form.cleaned_data["template"], user=request.user, **values)
                obj.pk, obj.periodic_task = created.pk, created.periodic_task
        except PlatformError as error:
            raise _ScheduleRefused(error) from error

    def delete_model(self, request: HttpRequest, obj: JobSchedule) -> None:
        schedule_delete(schedule=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[JobSchedule]) -> None:
        for schedule in queryset.select_related("periodic_task"):
            schedule_delete(schedule=schedule)

    # The beat row's fields, for the list and for the page of a reader (who gets no form).
    @admin.display(description="name", ordering="periodic_task__name")
    def name(self, schedule: JobSchedule) -> str:
        return schedule.periodic_task.name

    @admin.display(description="enabled", boolean=True, ordering="periodic_task__enabled")
    def enabled(self, schedule: JobSchedule) -> bool:
        return schedule.periodic_task.enabled

    @admin.display(description="timing")
    def timing(self, schedule: JobSchedule) -> str:
        when = schedule_timing(schedule)
        if when["interval_seconds"] is not None:
            return f"every {when['interval_seconds']} s"
        return f"{when['crontab']} {when['timezone_name']}" if when["crontab"] else "-"

    @admin.display(description="every (seconds)")
    def interval_seconds(self, schedule: JobSchedule):
        return schedule_timing(schedule)["interval_seconds"] or "-"

    @admin.display(description="crontab")
    def crontab(self, schedule: JobSchedule) -> str:
        return schedule_timing(schedule)["crontab"] or "-"

    @admin.display(description="time zone")
    def timezone(self, schedule: JobSchedule) -> str:
        return schedule_timing(schedule)["timezone_name"] or "-"

    @admin.display(description="next run")
    def next_run(self, schedule: JobSchedule) -> str:
        if schedule.pk is None:
            return "-"
        when = schedule_next_run_at(schedule)
        return date_format(localtime(when), "DATETIME_FORMAT") if when else "- (disabled)"

    @admin.display(description="last job")
    def last_job_column(self, schedule: JobSchedule):
        job = schedule.last_job
        return job_link(job.pk, job.status) if job else "-"


class _ScheduleRefused(Exception):
    def __init__(self, error: PlatformError) -> None:
        super().__init__(str(error))
        self.error = error
