"""Request-scoped log context: every log line of a request carries its id, method and path.

The request id is also handed to the Celery tasks the request queues (tasks/signals.py), so
one id follows the work from the web request into every task it causes.
"""

import re
import uuid
from collections.abc import Callable

import structlog
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

REQUEST_ID_MAX_LENGTH = 64
# An incoming X-Request-ID is kept only if it is made of these: it ends up in log lines and a
# response header, where control characters or quotes could forge entries or headers.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]+")


def request_id_from(header: str | None) -> str:
    """The caller's X-Request-ID (truncated to 64 characters) when it is safe, else a new id."""
    candidate = (header or "").strip()[:REQUEST_ID_MAX_LENGTH]
    if candidate and SAFE_REQUEST_ID.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The request id bound to this context (a web request or a task it queued), if any."""
    return structlog.contextvars.get_contextvars().get("request_id")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, method=request.method, path=request.path)
        # Not cleared on the way out: Django logs 4xx responses ("Not Found: ...") after the
        # middleware chain has returned, and that line must carry the id too. The context is
        # cleared when the response is finished (below) and again when the next request starts.
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


@receiver(request_finished, dispatch_uid="apps.core.logging.clear_request_context")
def _clear_request_context(**_: object) -> None:
    structlog.contextvars.clear_contextvars()
