"""The OpenAPI schema's account of error answers, next to the success ones drf-spectacular writes.

Every refusal the API gives is documented on the operations that can give it, in the shapes
apps/core/api/exceptions.py produces: `{"detail": ..., "code": ...}`, or a 400's errors per
field. Clients (and the schemathesis run in tests/api_fuzz/) can then rely on the schema for
4xx answers too.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

from apps.core.api.fields import INT64_MAX, INT64_MIN

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# A 400's body: each field's problems (nested for nested input), or `detail` for a body
# that could not be parsed at all, or `non_field_errors`.
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": 'Errors per field, e.g. `{"name": ["This field is required."]}`, or `{"detail": ...}`.',
    "minProperties": 1,
    "additionalProperties": {},
}


def _bound_integer(schema: dict, *, low: int) -> None:
    # An id, a page number or an id filter ends in a bigint column (or in a lookup Django
    # answers as "no such row" past it): saying so lets clients and schemathesis know the edges.
    if schema.get("type") == "integer":
        schema.setdefault("minimum", low)
        schema.setdefault("maximum", INT64_MAX)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What was wrong, in words a person can act on.")
    code = serializers.CharField(required=False, help_text="A short machine-readable name of the error.")


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            _bound_integer(parameter.get("schema", {}), low=1 if parameter["in"] == "path" else INT64_MIN)
        responses = operation["responses"]
        for code, response in self._error_responses(operation).items():
            responses.setdefault(code, response)
        return operation

    def _error_responses(self, operation: dict) -> dict[str, dict]:
        has_body = "requestBody" in operation
        parameters = operation.get("parameters", [])
        in_path = any(parameter["in"] == "path" for parameter in parameters)
        in_query = any(parameter["in"] == "query" for parameter in parameters)
        paginated = any(parameter["name"] == "page" for parameter in parameters)
        signed_in = bool(self.view.get_authenticators())
        errors: dict[str, tuple[str, Any]] = {}
        if has_body or in_query or self.method in UNSAFE_METHODS:
            errors["400"] = ("The input is invalid: what is wrong with which field.", FIELD_ERRORS_SCHEMA)
        if signed_in:
            errors["401"] = ("No valid credentials were given.", ErrorSerializer)
            errors["403"] = ("The caller's role does not allow this action.", ErrorSerializer)
        if in_path or paginated:
            errors["404"] = ("No such object (or no such page).", ErrorSerializer)
        if self.method in UNSAFE_METHODS:
            errors["409"] = ("The request clashes with the object's current state.", ErrorSerializer)
        if has_body:
            errors["413"] = ("The request body is larger than the API accepts.", ErrorSerializer)
        if self.view.get_throttles():
            errors["429"] = ("Too many requests; retry after the number of seconds in Retry-After.", ErrorSerializer)
        return {
            code: self._get_response_for_code(serializer, code) | {"description": description}
            for code, (description, serializer) in errors.items()
        }
