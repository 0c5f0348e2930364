"""Provisioning in the admin: runs (phases, Ansible stats, live output; retry and cancel), and the
server admin's provision and run-a-playbook pages.

Run rows are written by the services only: the run admin is read-only, and its buttons and
actions call run_retry / run_cancel, after a page that says what retrying or canceling would do
(a cancel after the reinstall leaves a wiped server). Ansible's output is shown through the
template's escaping.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_http_methods
from unfold.admin import ModelAdmin

from apps.access.admin_checks import permission_check
from apps.core.admin import OperationalHistoryAdmin
from apps.core.admin_composition import AdminAdditions, ServerTool, with_tool
from apps.core.admin_secrets import SecretColumnsDeferredMixin
from apps.core.exceptions import PlatformError
from apps.core.live_output import plain_text
from apps.provisioning.admin_live import RunLiveOutputViews
from apps.provisioning.admin_views import RUN_CHANGE_URL, ServerProvisioningViews
from apps.provisioning.choices import ACTIVE_RUN_STATUSES, RunStatus
from apps.provisioning.models import ProvisioningRun
from apps.provisioning.selectors import run_cancel_consequences, run_retry_consequences
from apps.provisioning.services import run_cancel, run_retry
from apps.servers.models import Server

OUTPUT_EVENTS_SHOWN = 2000
RECENT_RUNS_SHOWN = 5
RETRYABLE = (RunStatus.FAILED, RunStatus.CANCELED)
# operation: (the service, what the success message says, what the confirmation page says it would do)
OPERATIONS = {
    "retry": (run_retry, "queued again", run_retry_consequences),
    "cancel": (run_cancel, "canceled", run_cancel_consequences),
}


def run_output(run: ProvisioningRun) -> tuple[str, int]:
    """The run's last OUTPUT_EVENTS_SHOWN events' stdout in order (a marker where an attempt
    starts again), and how many events the run has in all: the page's output before its script
    takes over (and without scripts)."""
    total = run.events.count()
    latest = run.events.order_by("-seq").values_list("attempt", "stdout")[:OUTPUT_EVENTS_SHOWN]
    lines, attempt = [], None
    for event_attempt, stdout in reversed(latest):
        if attempt is not None and event_attempt != attempt:
            lines.append(f"--- attempt {event_attempt} ---")
        attempt = event_attempt
        if stdout:
            lines.append(plain_text(stdout))
    return "\n".join(lines), total


@admin.register(ProvisioningRun)
class ProvisioningRunAdmin(OperationalHistoryAdmin, RunLiveOutputViews, SecretColumnsDeferredMixin, ModelAdmin):
    list_display = (
        "id",
        "server",
        "kind",
        "status",
        "phase",
        "playbook",
        "requested_by",
        "created_at",
        "finished_at",
    )
    list_display_links = ("id", "server")
    list_filter = ("status", "kind", "phase")
    search_fields = ("server__hostname", "server__ip")
    list_select_related = ("server", "requested_by")
    actions = ["retry_selected", "cancel_selected"]
    change_form_template = "admin/provisioning/provisioningrun/change_form.html"
    fieldsets = (
        ("Run", {"fields": ("server", "kind", "status", "phase", "os_template", "playbook", "error", "root_password")}),
        (
            "Who and when",
            {
                "fields": (
                    "requested_by",
                    "created_at",
                    "started_at",
                    "heartbeat_at",
                    "finished_at",
                    "canceled_by",
                    "cancel_requested_at",
                    "lifecycle_before",
                )
            },
        ),
    )
    readonly_fields = tuple(name for _, options in fieldsets for name in options["fields"])

    # Read-only for everyone: the services write runs. Retrying and canceling ("operate") take
    # the model's change permission.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    has_operate_permission = permission_check("provisioning.run_provisioning")

    @admin.display(description="Root password")
    def root_password(self, run: ProvisioningRun) -> str:
        return run.root_password_outcome.label

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        urls = [
            path("<path:object_id>/retry/", self._confirmed_view(self.retry_view), name=f"{name}_retry"),
            path("<path:object_id>/cancel/", self._confirmed_view(self.cancel_view), name=f"{name}_cancel"),
        ]
        return [*urls, *self.live_urls(), *super().get_urls()]

    def _confirmed_view(self, view):
        """GET shows what the operation would do and asks; only POST acts."""
        return self.admin_site.admin_view(require_http_methods(["GET", "POST"])(view))

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        run = self.get_object(request, unquote(object_id))
        if run is not None:
            output, total = run_output(run)
            operate = self.has_operate_permission(request, run)
            extra_context = {
                **(extra_context or {}),
                **self.live_page_context(run, shown=OUTPUT_EVENTS_SHOWN),
                "output": output,
                "events_total": total,
                "events_shown": min(total, OUTPUT_EVENTS_SHOWN),
                "output_truncated": total > OUTPUT_EVENTS_SHOWN,
                "can_retry": operate and run.status in RETRYABLE,
                "can_cancel": operate and run.status in ACTIVE_RUN_STATUSES,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _operate(self, request: HttpRequest, object_id: str, operation: str) -> HttpResponse:
        service, done, _ = OPERATIONS[operation]
        run = self.get_object(request, unquote(object_id))
        if run is None:
            raise Http404(f"No provisioning run with id {object_id!r}.")
        if not self.has_operate_permission(request, run):
            raise PermissionDenied
        if request.method != "POST":
            return self._confirmation(request, operation, [run])
        try:
            service(run=run, user=request.user)
        except PlatformError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Run #{run.pk} {done}.")
        return HttpResponseRedirect(reverse(RUN_CHANGE_URL, args=[run.pk]))

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._operate(request, object_id, "retry")

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._operate(request, object_id, "cancel")

    def _confirmation(self, request: HttpRequest, operation: str, runs, *, action: str = "") -> TemplateResponse:
        """The page that says, run by run, what `operation` would do, with the button that does it
        (for a run's page: a POST to the same address; for a list action: the action again)."""
        _, _, consequences = OPERATIONS[operation]
        verb = "Cancel" if operation == "cancel" else "Retry"
        label = f"Yes, {verb.lower()} {len(runs)} run(s)" if action else f"Yes, {verb.lower()} run #{runs[0].pk}"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{verb} run #{runs[0].pk}?" if len(runs) == 1 and not action else f"{verb} {len(runs)} run(s)?",
            "operation": operation,
            "verb": verb,
            "confirm_label": label,
            "runs": [(run, consequences(run=run)) for run in runs],
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/provisioning/provisioningrun/confirm.html", context)

    def _operate_selected(self, request: HttpRequest, queryset: QuerySet, operation: str, action: str):
        runs = list(queryset.select_related("server").order_by("created_at", "id"))
        if request.POST.get("confirmed") != "yes":
            return self._confirmation(request, operation, runs, action=action)
        service, _, _ = OPERATIONS[operation]
        done = "Queued again" if operation == "retry" else "Canceled"
        succeeded = []
        for run in runs:
            try:
                service(run=run, user=request.user)
            except PlatformError as error:
                self.message_user(request, f"Run #{run.pk}: {error}", messages.ERROR)
            else:
                succeeded.append(f"#{run.pk}")
        if succeeded:
            self.message_user(request, f"{done} {len(succeeded)} run(s): {', '.join(succeeded)}.", messages.SUCCESS)
        return None

    @admin.action(description="Retry selected…", permissions=["operate"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[ProvisioningRun]):
        return self._operate_selected(request, queryset, "retry", "retry_selected")

    @admin.action(description="Cancel selected…", permissions=["operate"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[ProvisioningRun]):
        return self._operate_selected(request, queryset, "cancel", "cancel_selected")


class ServerProvisioningAdmin(ServerProvisioningViews):
    """Provisioning's part of the Server admin: provision, run a playbook, the latest runs."""

    adds = AdminAdditions(
        readonly_fields=("lifecycle_reason", "provisioning_runs"),
        fieldsets=(("Provisioning", {"fields": ("lifecycle_reason", "provisioning_runs")}),),
        actions=("provision", "run_playbook"),
    )
    has_provision_permission = permission_check("provisioning.run_provisioning")

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        if self.has_provision_permission(request):
            for label, page, element_id in (
                ("Provision…", "provision", "server-provision"),
                ("Run a playbook…", "run_playbook", "server-run-playbook"),
            ):
                opts = self.model._meta
                url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{page}", args=[unquote(object_id)])
                extra_context = with_tool(extra_context, ServerTool(label, url, element_id))
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        urls = [
            path(
                "<path:object_id>/provision/",
                self.admin_site.admin_view(self.provision_view),
                name=f"{name}_provision",
            ),
            path(
                "<path:object_id>/run-playbook/",
                self.admin_site.admin_view(self.run_playbook_view),
                name=f"{name}_run_playbook",
            ),
        ]
        return [*urls, *super().get_urls()]

    def _page_url(self, server: Server, page: str) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{page}", args=[server.pk])

    def _one_server(self, request: HttpRequest, queryset: QuerySet[Server], page: str):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one server for this action.", messages.WARNING)
            return None
        return HttpResponseRedirect(self._page_url(queryset.get(), page))

    @admin.action(description="Provision (reinstall and configure)…", permissions=["provision"])
    def provision(self, request: HttpRequest, queryset: QuerySet[Server]):
        return self._one_server(request, queryset, "provision")

    @admin.action(description="Run a playbook…", permissions=["provision"])
    def run_playbook(self, request: HttpRequest, queryset: QuerySet[Server]):
        return self._one_server(request, queryset, "run_playbook")

    @admin.display(description="Latest runs")
    def provisioning_runs(self, server: Server) -> str:
        if server.pk is None:
            return "-"
        runs = server.provisioning_runs.order_by("-created_at", "-id")[:RECENT_RUNS_SHOWN]
        items = format_html_join(
            "",
            '<li><a href="{}">#{}</a> {}, {}, {} ({})</li>',
            (
                (
                    reverse(RUN_CHANGE_URL, args=[run.pk]),
                    run.pk,
                    run.get_kind_display(),
                    run.get_status_display().lower(),
                    run.playbook,
                    date_format(run.created_at, "DATETIME_FORMAT"),
                )
                for run in runs
            ),
        )
        if not items:
            return "No provisioning runs yet."
        every_run = reverse("admin:provisioning_provisioningrun_changelist") + f"?server__id__exact={server.pk}"
        return format_html(
            '<ul style="margin-left: 0">{}</ul><a href="{}">Every run of this server</a>', items, every_run
        )
