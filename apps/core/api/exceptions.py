"""One place that turns errors into API answers.

DRF's own errors keep DRF's shape (field errors for a 400). The platform's domain errors
become `{"detail": message, "code": ...}` with the status the error class names.
"""

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.exceptions import PlatformError, ValidationError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ValidationError) and exc.field_errors:
        # The same shape as a serializer's 400: {"field": ["problem", ...]}.
        return Response(exc.field_errors, status=exc.status_code)
    if isinstance(exc, PlatformError):
        code = type(exc).__name__.removesuffix("Error").lower() or "error"
        return Response({"detail": str(exc), "code": code, **getattr(exc, "extra", {})}, status=exc.status_code)
    return drf_exception_handler(exc, context)
