"""What the tools share: enum arguments, the API's own filters, paging, and finding one row.

A listing tool filters exactly as its API endpoint does: the endpoint's filter backends
(its FilterSet, search and ordering) run over the same selector, with the tool's arguments as
the query string. An unknown value is a field error, as it is in the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

import pydantic
from django.db.models import Model, QuerySet, TextChoices
from django.http import HttpRequest, QueryDict
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request

from apps.core.exceptions import NotFoundError, ValidationError
from apps.mcp_server.registry import ToolInput

MAX_PAGE = 100


def choice_of(choices: type[TextChoices]) -> Any:
    """A Literal of the enum's values: the schema lists them, so a client knows what to send."""
    return Literal[tuple(choices.values)]


class Page(ToolInput):
    limit: int = pydantic.Field(default=20, ge=1, le=MAX_PAGE, description=f"At most this many (1-{MAX_PAGE}).")
    offset: int = pydantic.Field(default=0, ge=0, description="Skip this many first (to page through).")


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _api_request(params: dict[str, Any]) -> Request:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        query.setlist(key, [_query_value(item) for item in values])
    http_request = HttpRequest()
    http_request.method = "GET"
    http_request.GET = query
    return Request(http_request)


def api_filtered(view_class: type, queryset: QuerySet, params: dict[str, Any]) -> QuerySet:
    """`queryset` filtered by `view_class`'s own filter backends, as GET ?<params> would be."""
    request = _api_request(params)
    view = view_class(request=request, args=(), kwargs={}, format_kwarg=None, action="list")
    try:
        for backend in view.filter_backends:
            queryset = backend().filter_queryset(request, queryset, view)
    except ApiValidationError as error:
        detail = error.detail if isinstance(error.detail, dict) else {"arguments": error.detail}
        fields = {field: [str(problem) for problem in problems] for field, problems in detail.items()}
        raise ValidationError(fields) from None
    return queryset


def paged(queryset: QuerySet, page: Page, *, key: str, represent: Callable[[Any], dict]) -> dict[str, Any]:
    """One page of `queryset` as `{"count": <all matches>, "offset": ..., key: [...]}`."""
    rows = queryset[page.offset : page.offset + page.limit]
    return {"count": queryset.count(), "offset": page.offset, key: [represent(row) for row in rows]}


def only(data: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of an API representation: the concise form for listings."""
    return {field: data[field] for field in fields}


def one(queryset: QuerySet, pk: int, what: str) -> Model:
    """The row with this id, or NotFoundError naming what was looked for."""
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise NotFoundError(f"there is no {what} with id {pk}")
    return row
