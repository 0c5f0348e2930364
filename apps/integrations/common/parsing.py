"""Checked readers of JSON fields, shared by the integration clients' models.

They raise `ResponseShapeError` naming the field that was wrong (never its value); each client
turns it into its own invalid-response error, with the method, path and status added
(`parse_body`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from .errors import IntegrationError

T = TypeVar("T")

_MISSING = object()


class ResponseShapeError(ValueError):
    """A body did not have the shape the service documents; the message names the field."""


def type_name(value: Any) -> str:
    """The JSON-ish name of a value's type, for messages ("null" for None)."""
    return "null" if value is None else type(value).__name__


def expect_object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ResponseShapeError(f"{where} must be a JSON object, got {type_name(value)}")
    return value


def expect_list(value: Any, where: str, *, optional: bool = False) -> list[Any]:
    """A JSON array; with `optional`, null reads as []."""
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise ResponseShapeError(f"{where} must be a JSON array, got {type_name(value)}")
    return value


def required_int(data: Mapping[str, Any], name: str, where: str) -> int:
    """A required JSON integer and nothing else (not a bool, a float or a string of digits)."""
    return _field(data, name, where, _is_int, "an integer", required=True)


def required_str(data: Mapping[str, Any], name: str, where: str) -> str:
    return _field(data, name, where, _is_str, "a string", required=True)


def optional_str(data: Mapping[str, Any], name: str, where: str, *, default: str = "") -> str:
    """A string field; null or missing is `default`."""
    return _field(data, name, where, _is_str, "a string", default=default)


def optional_bool(data: Mapping[str, Any], name: str, where: str) -> bool:
    """A boolean field; null or missing is False."""
    return _field(data, name, where, _is_bool, "a boolean", default=False)


def _field(
    data: Mapping[str, Any],
    name: str,
    where: str,
    accepts: Callable[[Any], bool],
    kind: str,
    *,
    required: bool = False,
    default: Any = None,
) -> Any:
    """data[name] if `accepts` it; null or missing is `default`, or an error when `required`."""
    value = data.get(name, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise ResponseShapeError(f"{where}: required field '{name}' is missing")
        return default
    if not accepts(value):
        raise ResponseShapeError(f"{where}: field '{name}' must be {kind}, got {type_name(value)}")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def parse_datetime(
    value: Any,
    name: str,
    where: str,
    *,
    prepare: Callable[[str], str | None] = str.strip,
    expected: str = "a date-time",
) -> datetime | None:
    """A field's raw value as an aware UTC datetime (one without an offset is read as UTC).

    Null and "" are None; any other non-string is wrong. `prepare` turns the string into the
    text `datetime.fromisoformat` reads, or None for a value that means "no date"; text it
    cannot read raises ResponseShapeError saying the field "is not {expected}".
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ResponseShapeError(f"{where}: field '{name}' must be a date-time string, got {type_name(value)}")
    text = prepare(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ResponseShapeError(f"{where}: field '{name}' is not {expected}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_body(
    parser: Callable[[Any], T],
    body: Any,
    *,
    service: str,
    method: str,
    path: str,
    error: type[IntegrationError],
    scrub: Callable[[str], str],
) -> T:
    """`parser(body)`; a ResponseShapeError becomes `error` (the client's invalid-response
    error), naming the call, with status 200 and the message passed through `scrub`."""
    try:
        return parser(body)
    except ResponseShapeError as shape_error:
        raise error(
            scrub(f"{service} answered {method} {path} with an unexpected body: {shape_error}"),
            method=method,
            path=path,
            status=200,
        ) from None
