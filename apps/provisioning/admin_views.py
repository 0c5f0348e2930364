"""The server admin's provisioning pages: provision (reinstall and configure) and run a playbook.

Both pages are forms in front of one service call; the services decide everything, and their
errors come back as form errors (ValidationError) or as a message (anything else).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from apps.core.exceptions import ConflictError, PlatformError, ValidationError
from apps.provisioning.services import (
    playbook_default,
    playbook_run_request,
    playbooks_available,
    provision_request,
    server_os_templates,
)
from apps.servers.models import Server

RUN_CHANGE_URL = "admin:provisioning_provisioningrun_change"


class PlaybookForm(forms.Form):
    playbook = forms.ChoiceField()

    def __init__(self, *args, playbooks: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["playbook"].choices = [(name, name) for name in playbooks]


class ProvisionForm(PlaybookForm):
    # Named after the services' field errors ("os", "playbook", "confirm") so they land on the field.
    os = forms.ChoiceField(label="OS template")
    # The service decides whether the box was ticked; the browser asks for it first.
    confirm = forms.BooleanField(
        required=False,
        label="I understand the reinstall wipes this server",
        label_suffix="",
        widget=forms.CheckboxInput(attrs={"required": True}),
    )
    field_order = ["os", "playbook", "confirm"]

    def __init__(self, *args, os_templates: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["os"].choices = [("", "---------"), *os_templates]


def _add_service_errors(form: forms.Form, error: ValidationError) -> None:
    if not error.field_errors:
        form.add_error(None, str(error))
        return
    for field, problems in error.field_errors.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


def _conflict_message(error: PlatformError):
    active = isinstance(error, ConflictError) and error.extra.get("active_run_id")
    if not active:
        return str(error)
    return format_html('{} <a href="{}">Open run #{}</a>', str(error), reverse(RUN_CHANGE_URL, args=[active]), active)


def _submit(request: HttpRequest, form, ask) -> HttpResponse | None:
    """On a valid POST, ask the service for a run (`ask(cleaned_data)`): a redirect to the new run,
    or None with the service's refusal put on the form (field errors) or in a message."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        run = ask(form.cleaned_data)
    except ValidationError as error:
        _add_service_errors(form, error)
    except PlatformError as error:
        messages.error(request, _conflict_message(error))
    else:
        return _run_created(request, run)
    return None


def _run_created(request: HttpRequest, run) -> HttpResponseRedirect:
    messages.success(request, f"Queued run #{run.pk} ({run.get_kind_display().lower()}) for {run.server}.")
    return HttpResponseRedirect(reverse(RUN_CHANGE_URL, args=[run.pk]))


class ServerProvisioningViews:
    """Mixed into the server admin: the two pages and the context they render with."""

    def _server_for_change(self, request: HttpRequest, object_id: str) -> Server:
        server = self.get_object(request, object_id)
        if server is None:
            raise Http404(f"No server with id {object_id!r}.")
        if not self.has_provision_permission(request, server):
            raise PermissionDenied
        return server

    def _render_server_page(self, request: HttpRequest, server: Server, **context) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": server,
            "server": server,
            **context,
        }
        return TemplateResponse(request, "admin/provisioning/server_action.html", context)

    def provision_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        server = self._server_for_change(request, object_id)
        try:
            os_templates = server_os_templates(server)
        except PlatformError as error:
            # Without the provider's list there is nothing to choose from: say why instead.
            return self._render_server_page(
                request, server, title=f"Provision {server}", unavailable=str(error), form=None
            )
        form = ProvisionForm(
            request.POST if request.method == "POST" else None,
            os_templates=os_templates,
            playbooks=playbooks_available(),
            initial={"playbook": playbook_default(server)},
        )
        created = _submit(
            request,
            form,
            lambda data: provision_request(
                server=server,
                os_template=data["os"],
                playbook=data["playbook"],
                confirm=data["confirm"],
                user=request.user,
            ),
        )
        if created is not None:
            return created
        return self._render_server_page(
            request,
            server,
            title=f"Provision {server}",
            form=form,
            intro="Reinstalls the server with the chosen OS template, then configures it with the playbook. "
            "Everything on the server, its data and its backups, is wiped.",
            submit_label="Reinstall and configure",
        )

    def run_playbook_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        server = self._server_for_change(request, object_id)
        form = PlaybookForm(
            request.POST if request.method == "POST" else None,
            playbooks=playbooks_available(),
            initial={"playbook": playbook_default(server)},
        )
        created = _submit(
            request,
            form,
            lambda data: playbook_run_request(server=server, playbook=data["playbook"], user=request.user),
        )
        if created is not None:
            return created
        return self._render_server_page(
            request,
            server,
            title=f"Run a playbook on {server}",
            form=form,
            intro="Runs the playbook on the server as it is, without reinstalling it. Only a ready server can.",
            submit_label="Run the playbook",
        )
