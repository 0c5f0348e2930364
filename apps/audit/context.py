"""Who is acting right now: the current web request, read when an event is recorded.

The middleware stores the request itself, not its user: an API request authenticates inside
the DRF view (token or session), after the middleware ran, and DRF then sets the user on this
same HttpRequest. Reading `request.user` when the event is recorded sees that user. Outside a
request (workers, beat, management commands) there is no request and the actor is the system
or the schedule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_current_request", default=None)


def current_request() -> HttpRequest | None:
    return _current_request.get()


@contextmanager
def acting_request(request: HttpRequest) -> Iterator[None]:
    """Make `request` the current one outside Django's request cycle (the MCP server's tool calls
    carry their caller in a stand-in request), so the events recorded meanwhile name its user."""
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def authenticated_user(request: HttpRequest | None):
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)
