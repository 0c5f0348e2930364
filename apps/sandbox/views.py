"""The sandbox's Time4VPS API over HTTP: plain JSON views, thin over services and selectors.

Every request: 404 unless SANDBOX_ENABLED; HTTP Basic against SANDBOX_USERNAME/PASSWORD
(401 "wronglogin"); then the method (405); then the fleet is seeded up to SANDBOX_SERVER_COUNT.
Every error is `{"error": ["message"]}`, as the provider answers.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

import structlog
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from apps.core.exceptions import PlatformError, ValidationError
from apps.sandbox import devserver, selectors, services

log = structlog.get_logger(__name__)

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def error_response(message: str, *, status: int, headers: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse({"error": [message]}, status=status, headers=headers)


def _credentials_valid(request: HttpRequest) -> bool:
    """Constant-time comparison with the configured pair; no password hasher, no database."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    username, separator, password = decoded.partition(b":")
    if not separator:
        return False
    username_ok = hmac.compare_digest(username, settings.SANDBOX_USERNAME.encode())
    password_ok = hmac.compare_digest(password, settings.SANDBOX_PASSWORD.encode())
    return username_ok and password_ok


def sandbox_endpoint(*methods: str) -> Callable[[Callable[..., Any]], Callable[..., HttpResponseBase]]:
    """Guard, authenticate, check the method, seed, and turn domain errors into error bodies."""

    def decorator(view: Callable[..., Any]) -> Callable[..., HttpResponseBase]:
        def respond(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            if not settings.SANDBOX_ENABLED:
                return error_response("Not found", status=404)
            if not _credentials_valid(request):
                log.warning("sandbox.login_refused")
                return error_response("wronglogin", status=401, headers={"WWW-Authenticate": 'Basic realm="sandbox"'})
            if methods and request.method not in methods:
                allow = ", ".join(methods)
                return error_response(f"Method {request.method} not allowed", status=405, headers={"Allow": allow})
            try:
                services.sandbox_servers_ensure_configured()
                body = view(request, *args, **kwargs)
            except PlatformError as error:
                return error_response(str(error), status=error.status_code)
            return body if isinstance(body, JsonResponse) else JsonResponse(body, safe=False)

        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            return devserver.fit_for_server(request, respond(request, *args, **kwargs))

        return csrf_exempt(never_cache(wrapper))

    return decorator


def _request_data(request: HttpRequest) -> dict[str, Any]:
    """The POST parameters: a JSON object (as the official library sends), or a urlencoded form."""
    if request.content_type == FORM_CONTENT_TYPE:
        return request.POST.dict()
    if not request.body.strip():
        return {}
    try:
        data = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        raise ValidationError("Malformed JSON body") from None
    if not isinstance(data, dict):
        raise ValidationError("The JSON body must be an object")
    return data


@sandbox_endpoint("GET")
def server_list(request: HttpRequest) -> list[dict[str, Any]]:
    return selectors.sandbox_server_list()


@sandbox_endpoint("GET")
def server_details(request: HttpRequest, server_id: str) -> dict[str, Any]:
    server = services.sandbox_server_settle(server_id=int(server_id))
    return selectors.sandbox_server_details(server)


@sandbox_endpoint("GET")
def server_oses(request: HttpRequest, server_id: str) -> list[dict[str, str]]:
    selectors.sandbox_server_get(server_id=int(server_id))
    return selectors.sandbox_os_list()


@sandbox_endpoint("POST")
def server_reinstall(request: HttpRequest, server_id: str) -> dict[str, int]:
    data = _request_data(request)
    task = services.sandbox_server_reinstall(
        server_id=int(server_id), os=data.get("os"), ssh_key=data.get("ssh_key"), script=data.get("script")
    )
    return {"task_id": task.task_id}


@sandbox_endpoint("POST")
def server_reset_password(request: HttpRequest, server_id: str) -> dict[str, int]:
    _request_data(request)
    return {"task_id": services.sandbox_server_reset_password(server_id=int(server_id)).task_id}


@sandbox_endpoint("POST")
def server_reboot(request: HttpRequest, server_id: str) -> dict[str, int]:
    _request_data(request)
    return {"task_id": services.sandbox_server_reboot(server_id=int(server_id)).task_id}


@sandbox_endpoint("GET")
def server_task(request: HttpRequest, server_id: str, task_ref: str) -> dict[str, Any]:
    server = services.sandbox_server_settle(server_id=int(server_id))
    return selectors.sandbox_task_as_dict(selectors.sandbox_task_get(server=server, task_ref=task_ref))


@sandbox_endpoint()
def unknown_endpoint(request: HttpRequest, path: str) -> JsonResponse:
    return error_response("Unknown API endpoint", status=404)
