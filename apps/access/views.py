"""The admin's login view, behind the same failed-login limit as POST /api/auth/token/."""

from __future__ import annotations

import math

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from apps.access.throttles import login_throttles, login_throttles_refusing


def admin_login(request: HttpRequest, **kwargs) -> HttpResponse:
    """admin.site.login, refusing with 429 once an IP or a username has too many failed attempts."""
    if request.method != "POST":
        return admin.site.login(request, **kwargs)
    throttles = login_throttles()
    blocked = login_throttles_refusing(request, throttles)
    if blocked:
        return _too_many_attempts(request, wait=max(throttle.wait() or 0 for throttle in blocked))
    response = admin.site.login(request, **kwargs)
    # The admin redirects after a successful login and shows the form again after a failed one.
    if 300 <= response.status_code < 400:
        for throttle in throttles:
            throttle.release()
    return response


def _too_many_attempts(request: HttpRequest, *, wait: float) -> HttpResponse:
    retry_after = max(1, math.ceil(wait))
    response = TemplateResponse(
        request,
        "admin/login_throttled.html",
        {**admin.site.each_context(request), "title": "Too many login attempts", "retry_after": retry_after},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response
