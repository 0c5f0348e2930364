"""A job's extra vars: the template's, overridden by the launch's, checked against the survey.

The survey is a JSON Schema (draft 2020-12) of the whole extra vars object. Properties marked
`"writeOnly": true` are secret: they are stored encrypted on the job, never shown by the API,
logged or written into the audit trail. Names starting with `platform_` are the platform's own
(the run id, the work directory...) and cannot be set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from apps.core.exceptions import ValidationError

RESERVED_PREFIX = "platform_"
MAX_VARS_BYTES = 256_000


@dataclass
class JobVars:
    public: dict[str, Any] = field(default_factory=dict)
    secret: dict[str, Any] = field(default_factory=dict)

    @property
    def secret_json(self) -> str | None:
        return json.dumps(self.secret) if self.secret else None

    def merged(self) -> dict[str, Any]:
        return {**self.public, **self.secret}


def vars_object_check(value: Any, *, field_name: str = "extra_vars") -> dict[str, Any]:
    """`value` as extra vars: a JSON object of names Ansible accepts, none reserved, not huge."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError({field_name: ["a JSON object of variable names to values"]})
    problems = [
        f"{name!r}: names starting with {RESERVED_PREFIX!r} are set by the platform"
        for name in value
        if str(name).startswith(RESERVED_PREFIX)
    ]
    problems += [f"{name!r} is not a valid variable name" for name in value if not str(name).isidentifier()]
    if problems:
        raise ValidationError({field_name: problems})
    if len(json.dumps(value)) > MAX_VARS_BYTES:
        raise ValidationError({field_name: [f"at most {MAX_VARS_BYTES} bytes of JSON"]})
    return value


def survey_check(survey: Any) -> dict[str, Any] | None:
    """A survey as stored: None, or a valid JSON Schema describing an object."""
    if survey in (None, {}):
        return None
    if not isinstance(survey, dict):
        raise ValidationError({"survey": ["a JSON Schema object (or null for no survey)"]})
    try:
        Draft202012Validator.check_schema(survey)
    except SchemaError as error:
        raise ValidationError({"survey": [f"not a valid JSON Schema: {error.message}"]}) from None
    if survey.get("type", "object") != "object":
        raise ValidationError({"survey": ['the survey describes the extra vars object: "type": "object"']})
    return survey


def secret_names(survey: dict[str, Any] | None) -> set[str]:
    properties = (survey or {}).get("properties") or {}
    return {name for name, schema in properties.items() if isinstance(schema, dict) and schema.get("writeOnly")}


def job_vars(*, defaults: dict[str, Any], launch: Any, survey: dict[str, Any] | None) -> JobVars:
    """The vars of a launch: `defaults` (the template's) overridden by `launch`, validated by the
    survey (field errors under `extra_vars`, naming the variable, never echoing a secret value)."""
    merged = {**defaults, **vars_object_check(launch)}
    if survey:
        errors = sorted(Draft202012Validator(survey).iter_errors(merged), key=lambda error: list(error.path))
        if errors:
            raise ValidationError({"extra_vars": [_describe(error, secret_names(survey)) for error in errors]})
    secrets = secret_names(survey)
    return JobVars(
        public={name: value for name, value in merged.items() if name not in secrets},
        secret={name: value for name, value in merged.items() if name in secrets},
    )


def _describe(error, secrets: set[str]) -> str:
    where = ".".join(str(part) for part in error.path) or "(the extra vars)"
    top = str(error.path[0]) if error.path else ""
    if top in secrets:
        # jsonschema's message quotes the value: a secret's is never echoed.
        return f"{where}: does not satisfy the survey ({error.validator})"
    return f"{where}: {error.message}"
