"""One place that turns errors into API answers.

DRF's own errors keep DRF's shape (field errors for a 400). The platform's domain errors
become `{"detail": message, "code": ...}` with the status the error class names.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.exceptions import PlatformError, ValidationError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        # Django would answer a bare 400 page; the caller needs to know the body was too large.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"detail": f"The request body is larger than the limit of {limit} bytes.", "code": "too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFieldsSent):
        # A form body of more fields than Django parses (DATA_UPLOAD_MAX_NUMBER_FIELDS): its bare
        # 400 page says nothing; the caller needs to know which limit it met.
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return Response(
            {"detail": f"The request body has more than {limit} form fields.", "code": "too_many_fields"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, ValidationError) and exc.field_errors:
        # The same shape as a serializer's 400: {"field": ["problem", ...]}.
        return Response(exc.field_errors, status=exc.status_code)
    if isinstance(exc, PlatformError):
        code = type(exc).__name__.removesuffix("Error").lower() or "error"
        return Response({"detail": str(exc), "code": code, **getattr(exc, "extra", {})}, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError) and isinstance(response.data, list):
        # A ValidationError that names no field (e.g. a NUL in ?search=) would be a bare list;
        # every 400 is an object, so clients find the problems where they always are.
        response.data = {api_settings.NON_FIELD_ERRORS_KEY: response.data}
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 for a URL that no route matches (handler404): JSON under /api/, as every API answer."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return page_not_found(request, exception)
