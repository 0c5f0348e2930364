"""Query parameters are part of the contract: one the list does not know, or a value it cannot
read, is a 400 naming what it does take, never a silently unfiltered list.

A script with `?bussy=true` or `?busy=maybe` would otherwise get the whole fleet and act on
every server. DRF and django-filter ignore all three kinds of mistake (an unknown parameter, a
boolean they cannot read, an ordering field that does not exist), so the backends here are the
API's default filter backends (REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]):

- `QueryParameterCheck` refuses parameters that no backend of the view, its paginator or DRF's
  format suffix reads (list requests only: a detail route has no filters to mistype);
- `FilterBackend` (django-filter) refuses a value its filter read as "no value";
- `SearchFilter` takes `search` only on lists that search something (and documents it there only);
- `OrderingFilter` refuses orderings it does not offer.

Views that read their query with a serializer call `query_input`, which refuses unknown
parameters the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django_filters import BooleanFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, serializers
from rest_framework.filters import BaseFilterBackend
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.settings import api_settings

EMPTY = (None, "", [], ())


def _names(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def query_parameters_check(request: Request, allowed: Iterable[str]) -> None:
    """ValidationError naming each parameter of the request that is not in `allowed`."""
    allowed = {*allowed, api_settings.URL_FORMAT_OVERRIDE}
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        problem = f"not a parameter of this operation; it takes: {_names(allowed)}"
        raise serializers.ValidationError({name: [problem] for name in unknown})


def query_input(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    """The request's query read by `serializer_class`: unknown parameters and bad values are a 400."""
    query_parameters_check(request, serializer_class().fields)
    data = serializer_class(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _is_list_request(request: Request, view: Any) -> bool:
    action = getattr(view, "action", None)
    if action is not None:  # a viewset: its list, not its detail routes or extra actions
        return action == "list"
    return isinstance(view, ListModelMixin) and request.method in ("GET", "HEAD")


class QueryParameterCheck(BaseFilterBackend):
    """Refuses a list request with a parameter that nothing reads. Put it first."""

    def filter_queryset(self, request: Request, queryset, view):
        if _is_list_request(request, view):
            query_parameters_check(request, self.allowed(view))
        return queryset

    @staticmethod
    def allowed(view: Any) -> set[str]:
        names: set[str] = set()
        for backend in view.filter_backends:
            reads = getattr(backend(), "query_parameters", None)
            if reads is not None:
                names.update(reads(view))
        paginator = getattr(view, "paginator", None)
        for attribute in ("page_query_param", "page_size_query_param", "limit_query_param", "offset_query_param"):
            name = getattr(paginator, attribute, None)
            if name:
                names.add(name)
        return names


class FilterBackend(DjangoFilterBackend):
    """django-filter, refusing a value that a filter could not read instead of dropping the filter."""

    def query_parameters(self, view: Any) -> set[str]:
        filterset_class = getattr(view, "filterset_class", None)
        return set(filterset_class.base_filters) if filterset_class is not None else set()

    def filter_queryset(self, request: Request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is not None and filterset.is_valid():
            self._refuse_unread_values(request, filterset)
        return super().filter_queryset(request, queryset, view)

    @staticmethod
    def _refuse_unread_values(request: Request, filterset) -> None:
        # django-filter's boolean widget reads "maybe" as no value at all, and the filter is then
        # skipped: a non-blank value that cleaned to nothing was not understood.
        errors = {}
        for name, filter_ in filterset.filters.items():
            given = [value for value in request.query_params.getlist(name) if value.strip()]
            if given and filterset.form.cleaned_data.get(name) in EMPTY:
                hint = "true or false" if isinstance(filter_, BooleanFilter) else "a value this filter takes"
                errors[name] = [f"{given[-1]!r} is not a valid value: use {hint}"]
        if errors:
            raise serializers.ValidationError(errors)


class SearchFilter(filters.SearchFilter):
    """`search` where the view names fields to search, and nowhere else."""

    def query_parameters(self, view: Any) -> set[str]:
        return {self.search_param} if getattr(view, "search_fields", None) else set()

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        return super().get_schema_operation_parameters(view) if self.query_parameters(view) else []


class OrderingFilter(filters.OrderingFilter):
    """DRF's ordering, refusing a field it does not offer instead of ignoring it."""

    def query_parameters(self, view: Any) -> set[str]:
        return {self.ordering_param}

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        invalid = [term for term in fields if term.removeprefix("-") not in valid]
        if invalid:
            terms = ", ".join(repr(term) for term in invalid)
            raise serializers.ValidationError(
                {
                    self.ordering_param: [
                        f"{terms}: not an ordering of this list; order by {_names(valid)} "
                        "(a leading '-' for descending, several separated by commas)"
                    ]
                }
            )
        return fields

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        queryset = view.queryset if getattr(view, "queryset", None) is not None else view.get_queryset()
        valid = [name for name, _ in self.get_valid_fields(queryset, view, {"request": None})]
        for parameter in parameters:
            parameter["description"] = (
                f"Order by {_names(valid)}; a leading '-' for descending, several separated by commas."
            )
        return parameters
