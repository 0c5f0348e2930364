"""A template's fields checked together, as the API and the admin save them."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from apps.core.exceptions import ValidationError
from apps.jobs.models import MAX_FORKS
from apps.jobs.services.sources import playbook_path_check, project_check, source_resolve
from apps.jobs.services.targets import target_check
from apps.jobs.services.variables import survey_check, vars_object_check


def template_check(values: dict[str, Any]) -> dict[str, Any]:
    """`values` (project, ref, playbook, target, extra_vars, survey, forks, timeout_seconds)
    normalized, or ValidationError with every field's errors at once. The playbook is looked up
    in the source (at the ref, for a project) so a template that cannot run is refused when saved."""
    errors: dict[str, list[str]] = {}
    checked = dict(values)

    def run(check, *names: str) -> None:
        try:
            check()
        except ValidationError as error:
            for name, messages in _field_errors(error, default=names[0]).items():
                errors.setdefault(name, []).extend(messages)

    def survey() -> None:
        checked["survey"] = survey_check(values.get("survey"))

    def extra_vars() -> None:
        checked["extra_vars"] = vars_object_check(values.get("extra_vars"))

    def target() -> None:
        checked["target"] = target_check(values.get("target"))

    def source() -> None:
        playbook_path_check(values.get("playbook"))
        project_check(values.get("project"))
        source_resolve(project=values.get("project"), ref=values.get("ref") or "", playbook=values["playbook"])

    run(survey, "survey")
    run(extra_vars, "extra_vars")
    run(target, "target")
    run(source, "playbook")
    forks = values.get("forks")
    if forks is not None and not (isinstance(forks, int) and 1 <= forks <= MAX_FORKS):
        errors.setdefault("forks", []).append(f"from 1 to {MAX_FORKS}")
    timeout = values.get("timeout_seconds")
    if timeout is not None and not (isinstance(timeout, int) and 1 <= timeout <= settings.JOBS_MAX_TIMEOUT_SECONDS):
        errors.setdefault("timeout_seconds", []).append(f"from 1 to {settings.JOBS_MAX_TIMEOUT_SECONDS} seconds")
    if errors:
        raise ValidationError(errors)
    return checked


def _field_errors(error: ValidationError, *, default: str) -> dict[str, list[str]]:
    if error.field_errors:
        return {str(name): [str(message) for message in messages] for name, messages in error.field_errors.items()}
    return {default: [str(error)]}
