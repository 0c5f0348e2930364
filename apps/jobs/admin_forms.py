"""The jobs admin's forms: each stands in front of one service call, and the service's field
errors come back onto the form's fields (`service_errors_add`).

JSON fields (a template's target, extra vars and survey; launch-time vars) are text areas of
indented JSON, so an operator edits a readable object rather than one long line.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.forms.fields import InvalidJSONInput

from apps.core.exceptions import PlatformError, ValidationError
from apps.jobs.models import JobSchedule, JobTemplate
from apps.jobs.services import schedule_timing, template_check
from apps.servers.models import Server

# The service's name for a field -> the form's (a template's source is chosen by its project).
TEMPLATE_FIELD_ALIASES = {"source": "project", "ref": "project"}
TEMPLATE_CHECKED_FIELDS = ("project", "ref", "playbook", "target", "extra_vars", "survey", "forks", "timeout_seconds")
SCHEDULE_FIELD_ALIASES = {"timezone_name": "timezone"}


class PrettyJSONField(forms.JSONField):
    """A JSON value in a monospace text area, indented."""

    def __init__(self, *, rows: int = 8, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.Textarea(attrs={"rows": rows, "cols": 80, "class": "vLargeTextField", "spellcheck": "false"}),
        )
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("style", "font-family: monospace")

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, InvalidJSONInput):
            return value  # what the operator typed, shown again with the error
        if value is None and not self.required:
            return ""
        return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, cls=self.encoder)


def service_errors_add(
    form: forms.Form, error: PlatformError, *, aliases: dict[str, str] | None = None, skip: set[str] = frozenset()
) -> None:
    """Put a service's refusal on `form`: each field error under its field (through `aliases`),
    the rest (and any refusal that names no field) above the form, saying which part it is about.
    Fields in `skip` already carry the form's own error and get no second one."""
    field_errors = error.field_errors if isinstance(error, ValidationError) else None
    if not field_errors:
        form.add_error(None, str(error))
        return
    for name, problems in field_errors.items():
        field = (aliases or {}).get(name, name)
        if field in skip:
            continue
        for problem in problems:
            if field in form.fields:
                form.add_error(field, str(problem))
            else:
                form.add_error(None, f"{name}: {problem}")


class JobTemplateForm(forms.ModelForm):
    target = PrettyJSONField(
        rows=5,
        help_text='{"servers": [ids]}, or a selector: {"labels": {"role": "web"}, "lifecycle": ["ready"], '
        '"provider_account": id} (resolved at each launch).',
    )
    extra_vars = PrettyJSONField(required=False, initial=dict, help_text="A JSON object; a launch can override them.")
    survey = PrettyJSONField(
        required=False,
        help_text='Optional JSON Schema of the extra vars, checked at each launch; "writeOnly": true marks a secret.',
    )

    class Meta:
        model = JobTemplate
        fields = [
            "name",
            "description",
            "project",
            "ref",
            "playbook",
            "target",
            "extra_vars",
            "survey",
            "forks",
            "timeout_seconds",
            "notify_on",
            "allow_concurrent",
        ]
        help_texts = {
            "project": "Blank: the platform's playbook directory. Else a synced GitHub project.",
            "ref": "For a project: a branch, tag or commit (blank: its default branch).",
        }

    def clean(self) -> dict[str, Any]:
        """The fields checked together by template_check (the ref resolves, the playbook exists in
        the source, the target and survey are valid), its normalized values kept."""
        cleaned = super().clean()
        values = {name: cleaned.get(name) for name in TEMPLATE_CHECKED_FIELDS}
        values["ref"] = values["ref"] or ""
        try:
            checked = template_check(values)
        except PlatformError as error:
            service_errors_add(self, error, aliases=TEMPLATE_FIELD_ALIASES, skip=set(self.errors))
        else:
            cleaned.update({name: checked[name] for name in TEMPLATE_CHECKED_FIELDS if name in cleaned})
            if cleaned.get("extra_vars") is None:
                cleaned["extra_vars"] = {}
        return cleaned


def server_choice_label(server: Server) -> str:
    address = server.effective_ssh_host or server.ip or "no address"
    return f"{server} ({address}, {server.get_lifecycle_display().lower()})"


class LaunchForm(forms.Form):
    extra_vars = PrettyJSONField(
        required=False,
        initial=dict,
        help_text="A JSON object, over the template's own extra vars (checked against its survey).",
    )
    limit = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Run on these servers of the target only. None ticked: every server the target names.",
    )

    def __init__(self, *args: Any, servers: list[Server], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["limit"].choices = [(server.pk, server_choice_label(server)) for server in servers]


class RunJobForm(forms.Form):
    """The server admin's "run a job here": a template, launched on this one server."""

    template = forms.ModelChoiceField(queryset=JobTemplate.objects.order_by("name"), empty_label=None)
    extra_vars = PrettyJSONField(
        required=False, initial=dict, help_text="A JSON object, over the template's own extra vars."
    )


class JobScheduleForm(forms.ModelForm):
    """A schedule's fields as the services take them: the name, timing and enabled flag live on
    its django-celery-beat row, so they are form fields the admin hands to schedule_create /
    schedule_update (JobScheduleAdmin.save_model)."""

    name = forms.CharField(max_length=200)
    interval_seconds = forms.IntegerField(
        required=False, label="Every (seconds)", help_text="Either an interval in seconds..."
    )
    crontab = forms.CharField(
        required=False,
        max_length=200,
        help_text='...or a crontab: "minute hour day-of-month month day-of-week", e.g. "30 4 * * 1-5".',
    )
    timezone = forms.CharField(
        required=False, max_length=63, help_text="The crontab's time zone (IANA, e.g. Europe/Vilnius); blank: UTC."
    )
    enabled = forms.BooleanField(required=False, initial=True)
    extra_vars = PrettyJSONField(required=False, initial=dict, help_text="A JSON object, over the template's.")

    # Errors a service raised when the admin saved this form (set by JobScheduleAdmin): shown
    # on the fields when the page is rendered again.
    service_refusal: PlatformError | None = None

    class Meta:
        model = JobSchedule
        fields = ["template", "extra_vars"]

    field_order = ["name", "template", "interval_seconds", "crontab", "timezone", "enabled", "extra_vars"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schedule = self.instance
        if schedule.pk:
            timing = schedule_timing(schedule)
            self.initial.update(
                {
                    "name": schedule.periodic_task.name,
                    "enabled": schedule.periodic_task.enabled,
                    "interval_seconds": timing["interval_seconds"],
                    "crontab": timing["crontab"] or "",
                    "timezone": timing["timezone_name"] or "",
                }
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.service_refusal is not None:
            service_errors_add(self, self.service_refusal, aliases=SCHEDULE_FIELD_ALIASES)
        return cleaned

    def service_values(self) -> dict[str, Any]:
        """The cleaned fields under the services' names."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "interval_seconds": data.get("interval_seconds"),
            "crontab": data.get("crontab") or None,
            "timezone_name": data.get("timezone") or None,
            "enabled": bool(data.get("enabled")),
            "extra_vars": data.get("extra_vars") or {},
        }
