from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin

from apps.access.admin_checks import permission_check
from apps.core.admin import OperationalHistoryAdmin
from apps.core.admin_composition import AdminAdditions, ServerTool, with_tool
from apps.core.admin_secrets import SecretColumnsDeferredMixin, SecretFieldsHiddenFromReadersMixin
from apps.core.exceptions import ConflictError, PlatformError
from apps.integrations.notify import NotifyError
from apps.monitoring import selectors, services
from apps.monitoring.choices import IncidentStatus
from apps.monitoring.health_history import server_health_history
from apps.monitoring.models import HealthCheck, Incident, Notification, NotificationChannel
from apps.monitoring.services.incidents import INCIDENT_COMMENT_MAX_LENGTH
from apps.servers.models import Server


class IncidentHandlingForm(forms.Form):
    comment = forms.CharField(
        required=False,
        max_length=INCIDENT_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Optional: what was found or done. Kept in the audit trail with the acknowledgement or resolution.",
    )


@admin.register(Incident)
class IncidentAdmin(OperationalHistoryAdmin, SecretColumnsDeferredMixin, ModelAdmin):
    """Incidents are written by the health checks and the services: the page is read-only, and
    its Acknowledge and Resolve buttons (with an optional comment) call the services."""

    list_display = ("__str__", "server", "kind", "severity", "status", "occurrences", "opened_at", "last_seen_at")
    list_filter = ("status", "severity", "kind")
    search_fields = ("server__hostname", "server__ip", "message")
    list_select_related = ("server",)
    actions = ["acknowledge", "resolve"]
    change_form_template = "admin/monitoring/incident/change_form.html"
    has_handle_permission = permission_check("monitoring.handle_incident")

    def get_readonly_fields(self, request, obj=None):
        return [*(field.name for field in Incident._meta.fields), "checks", "handling"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # nothing on the page is edited: no Save buttons

    @admin.display(description="Health checks")
    def checks(self, incident: Incident) -> str:
        found = selectors.incident_checks(incident=incident) if incident.pk else {}
        if found.get("last_seen") == found.get("opened"):
            found.pop("last_seen", None)  # seen once: one check
        links = format_html_join(
            ", ",
            '<a href="{}" id="incident-check-{}">{} ({})</a>',
            (
                (
                    reverse("admin:monitoring_healthcheck_change", args=[check.pk]),
                    name.replace("_", "-"),
                    "the check that opened it" if name == "opened" else "the last check that saw it",
                    date_format(timezone.localtime(check.checked_at), "DATETIME_FORMAT"),
                )
                for name, check in found.items()
            ),
        )
        return links or "No health check: the platform opened it, or retention removed its check."

    @admin.display(description="Acknowledged and resolved")
    def handling(self, incident: Incident) -> str:
        events = selectors.incident_handling_events(incident=incident) if incident.pk else []
        items = format_html_join(
            "",
            "<li>{} by {}, {}{}</li>",
            (
                (
                    event.get_action_display(),
                    event.actor_name or "the platform",
                    date_format(timezone.localtime(event.occurred_at), "DATETIME_FORMAT"),
                    format_html(": “{}”", event.detail["comment"]) if event.detail.get("comment") else "",
                )
                for event in events
            ),
        )
        return format_html('<ul style="margin-left: 0">{}</ul>', items) if items else "-"

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        urls = [
            path(
                "<path:object_id>/acknowledge/",
                self._handle_view(services.incident_acknowledge, "acknowledged"),
                name=f"{name}_acknowledge",
            ),
            path(
                "<path:object_id>/resolve/",
                self._handle_view(services.incident_resolve, "resolved"),
                name=f"{name}_resolve",
            ),
        ]
        return [*urls, *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        incident = self.get_object(request, unquote(object_id))
        if incident is not None and self.has_handle_permission(request, incident):
            extra_context = {
                **(extra_context or {}),
                "handling_form": IncidentHandlingForm(),
                "can_acknowledge": incident.status == IncidentStatus.OPEN,
                "can_resolve": incident.status != IncidentStatus.RESOLVED,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _handle_view(self, service, done: str):
        def view(request: HttpRequest, object_id: str) -> HttpResponse:
            incident = self.get_object(request, unquote(object_id))
            if incident is None:
                raise Http404(f"No incident with id {object_id!r}.")
            if not self.has_handle_permission(request, incident):
                raise PermissionDenied
            form = IncidentHandlingForm(request.POST)
            if not form.is_valid():
                messages.error(request, " ".join(form.errors.get("comment", ["The comment is not valid."])))
            else:
                try:
                    service(incident=incident, user=request.user, comment=form.cleaned_data["comment"])
                except PlatformError as error:
                    messages.error(request, str(error))
                else:
                    messages.success(request, f"Incident #{incident.pk} {done}.")
            return HttpResponseRedirect(reverse("admin:monitoring_incident_change", args=[incident.pk]))

        return self.admin_site.admin_view(require_POST(view))

    @admin.action(description="Acknowledge", permissions=["handle"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        done = 0
        for incident in queryset.filter(status=IncidentStatus.OPEN):
            services.incident_acknowledge(incident=incident, user=request.user)
            done += 1
        self.message_user(request, f"Acknowledged {done} incident(s).", messages.SUCCESS)

    @admin.action(description="Resolve", permissions=["handle"])
    def resolve(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        done = 0
        for incident in queryset.exclude(status=IncidentStatus.RESOLVED):
            services.incident_resolve(incident=incident, user=request.user)
            done += 1
        self.message_user(request, f"Resolved {done} incident(s).", messages.SUCCESS)


@admin.register(HealthCheck)
class HealthCheckAdmin(OperationalHistoryAdmin, SecretColumnsDeferredMixin, ModelAdmin):
    """Health history: filter by server to see one server's checks."""

    list_display = ("server", "checked_at", "outcome", "duration_ms", "error")
    list_filter = ("outcome", "server")
    date_hierarchy = "checked_at"
    list_select_related = ("server",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in HealthCheck._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class NotificationChannelForm(forms.ModelForm):
    class Meta:
        model = NotificationChannel
        fields = ["name", "kind", "target", "secret", "min_severity", "enabled"]
        help_texts = {
            "target": "E-mail: addresses, comma-separated. Webhook: its URL. Telegram: the chat id. Slack: blank.",
            "secret": "Webhook: the HMAC secret. Slack: the incoming-webhook URL. Telegram: the bot token.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "secret" in self.fields:
            self.fields["secret"].required = False

    def clean(self):
        cleaned = super().clean()
        secret = cleaned.get("secret")
        if not secret and self.instance.pk:
            secret = None  # blank keeps the stored secret (EncryptedTextField.save_form_data): checked when saved
        problems = services.channel_problems(
            kind=cleaned.get("kind") or "", target=cleaned.get("target") or "", secret=secret
        )
        for field, messages_ in problems.items():
            for message in messages_:
                self.add_error(field, message)
        return cleaned


@admin.register(NotificationChannel)
class NotificationChannelAdmin(SecretFieldsHiddenFromReadersMixin, ModelAdmin):
    form = NotificationChannelForm
    list_display = (
        "name",
        "kind",
        "min_severity",
        "enabled",
        "last_success_at",
        "last_failure_at",
        "consecutive_failures",
    )
    list_filter = ("kind", "enabled")
    readonly_fields = ("last_success_at", "last_failure_at", "last_error", "consecutive_failures")
    actions = ["send_test"]

    @admin.action(description="Send a test message", permissions=["change"])
    def send_test(self, request: HttpRequest, queryset: QuerySet[NotificationChannel]) -> None:
        for channel in queryset:
            try:
                services.channel_send_test(channel=channel)
            except NotifyError as error:
                self.message_user(request, f"{channel.name}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{channel.name}: test message sent.", messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(OperationalHistoryAdmin, SecretColumnsDeferredMixin, ModelAdmin):
    list_display = ("incident", "channel", "event", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "event", "channel")
    list_select_related = ("incident__server", "channel")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ServerHealthAdmin:
    """Monitoring's part of the Server admin: health history, "Check health now", host key pinning."""

    adds = AdminAdditions(
        list_display=("last_checked_at",),
        readonly_fields=("health_history", "host_key_fingerprint", "offered_host_key_fingerprint", "last_checked_at"),
        fieldsets=(
            ("Health history", {"fields": ("health_history",)}),
            (
                "Health (operator-managed)",
                {"fields": ("ssh_key", "expects_docker", "disk_mounts", "maintenance_until")},
            ),
            ("Host key", {"fields": ("host_key_fingerprint", "offered_host_key_fingerprint", "last_checked_at")}),
        ),
        actions=("check_now", "accept_host_key"),
    )
    has_check_permission = permission_check("monitoring.run_health_check")
    has_accept_host_key_permission = permission_check("servers.accept_host_key")

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        if self.has_check_permission(request):
            opts = self.model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_check_health", args=[unquote(object_id)])
            extra_context = with_tool(extra_context, ServerTool("Check health now", url, "check-health-now", post=True))
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        opts = self.model._meta
        view = self.admin_site.admin_view(require_POST(self.check_health_view))
        name = f"{opts.app_label}_{opts.model_name}_check_health"
        return [path("<path:object_id>/check-health/", view, name=name), *super().get_urls()]

    def check_health_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        server = self.get_object(request, unquote(object_id))
        if server is None:
            raise Http404(f"No server with id {object_id!r}.")
        if not self.has_check_permission(request):
            raise PermissionDenied
        try:
            services.health_check_queue(server_ids=[server.pk])
        except PlatformError as error:  # the broker is down: say so instead of a 500 page
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request, f"{server}: health check queued; its result appears below when it ends.", messages.SUCCESS
            )
        opts = self.model._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[server.pk]))

    @admin.display(description="Latest checks")
    def health_history(self, server: Server) -> str:
        if server.pk is None:
            return "-"
        history = server_health_history(server=server)
        return render_to_string("admin/monitoring/server/health_history.html", {"history": history, "server": server})

    @admin.action(description="Check health now", permissions=["check"])
    def check_now(self, request: HttpRequest, queryset: QuerySet[Server]) -> None:
        try:
            batches = services.health_check_queue(server_ids=list(queryset.values_list("pk", flat=True)))
        except PlatformError as error:  # the broker is down: say so instead of a 500 page
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(request, f"Queued {batches} health check batch(es).", messages.SUCCESS)

    @admin.action(description="Accept the offered host key", permissions=["accept_host_key"])
    def accept_host_key(self, request: HttpRequest, queryset: QuerySet[Server]) -> None:
        for server in queryset:
            try:
                services.server_host_key_accept(server=server, user=request.user)
            except ConflictError as error:
                self.message_user(request, f"{server}: {error}", messages.WARNING)
            else:
                self.message_user(request, f"{server}: now pinned to {server.host_key_fingerprint}.", messages.SUCCESS)
