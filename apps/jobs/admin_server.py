"""Jobs' part of the Server admin (composed in config/admin.py): the server's latest jobs, and
"run a job here" (a page that launches a template on this server only)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_http_methods

from apps.access.admin_checks import permission_check
from apps.core.admin_composition import AdminAdditions, ServerTool, with_tool
from apps.core.fields import without_secrets
from apps.jobs.admin_display import LAUNCH_PERMISSION, SERVER_JOBS_LOOKUP
from apps.jobs.admin_views import ServerJobsViews, job_url
from apps.servers.models import Server

RECENT_JOBS_SHOWN = 5


class ServerJobsAdmin(ServerJobsViews):
    """Jobs' part of the Server admin: the server's latest jobs and "run a job here"."""

    adds = AdminAdditions(
        readonly_fields=("recent_jobs",),
        fieldsets=(("Jobs", {"fields": ("recent_jobs",)}),),
        actions=("run_job",),
    )
    has_launch_job_permission = permission_check(LAUNCH_PERMISSION)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        if self.has_launch_job_permission(request):
            tool = ServerTool("Run a job here…", self._run_job_url(unquote(object_id)), "server-run-job")
            extra_context = with_tool(extra_context, tool)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        opts = self.model._meta
        view = self.admin_site.admin_view(require_http_methods(["GET", "POST"])(self.run_job_view))
        return [
            path("<path:object_id>/run-job/", view, name=f"{opts.app_label}_{opts.model_name}_run_job"),
            *super().get_urls(),
        ]

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        # recent_jobs offers "run a job here" to those who may; a display sees no request.
        server = super().get_object(request, object_id, from_field)
        if server is not None:
            server.jobs_can_launch = self.has_launch_job_permission(request, server)
        return server

    def _run_job_url(self, server_id: int | str) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_run_job", args=[server_id])

    @admin.action(description="Run a job here…", permissions=["launch_job"])
    def run_job(self, request: HttpRequest, queryset: QuerySet[Server]):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one server to run a job on.", messages.WARNING)
            return None
        return HttpResponseRedirect(self._run_job_url(queryset.get().pk))

    @admin.display(description="Latest jobs")
    def recent_jobs(self, server: Server):
        if server.pk is None:
            return "-"
        rows = without_secrets(server.job_hosts.select_related("job")).order_by("-job__created_at", "-job_id")
        rows = rows[:RECENT_JOBS_SHOWN]
        items = format_html_join(
            "",
            '<li><a href="{}">#{}</a> {}: {} here, job {} ({})</li>',
            (
                (
                    job_url(row.job_id),
                    row.job_id,
                    row.job.name,
                    row.status,
                    row.job.status,
                    date_format(timezone.localtime(row.job.created_at), "DATETIME_FORMAT"),
                )
                for row in rows
            ),
        )
        every_job = reverse("admin:jobs_job_changelist") + f"?{SERVER_JOBS_LOOKUP}={server.pk}"
        parts = [format_html('<ul style="margin-left: 0">{}</ul>', items) if items else "No jobs ran here yet. "]
        if items:
            parts.append(format_html('<a href="{}">Every job of this server</a> ', every_job))
        if getattr(server, "jobs_can_launch", False):
            parts.append(
                format_html('<a href="{}" id="run-job-here">Run a job here…</a>', self._run_job_url(server.pk))
            )
        return format_html_join("", "{}", ((part,) for part in parts))
