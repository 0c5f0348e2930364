"""What one HTTP exchange with Time4VPS means: the body of an answer, or the error it becomes.

Pure functions of a response (or of the `requests` exception raised instead of one), so the
mapping from statuses and error bodies to the exceptions of errors.py reads in one place.
`scrub` removes the account's secrets from a message; `attempt_note` says which attempt it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from .errors import (
    AuthenticationError,
    InvalidResponseError,
    NotFoundError,
    ProviderRequestError,
    ProviderUnavailableError,
    Time4VPSError,
)

MAX_PROVIDER_MESSAGE_CHARS = 500
NOT_FOUND_MESSAGE = re.compile(r"not found|invalid (task|server) id|does not exist|no such", re.IGNORECASE)
_NOT_JSON = object()


def provider_message(body: Any) -> str | None:
    """The message of an `{"error": [...]}` body, as the official library builds it."""
    if not isinstance(body, dict) or "error" not in body:
        return None
    errors = body["error"]
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list) and errors and isinstance(errors[0], str):
        return "; ".join(item if isinstance(item, str) else json.dumps(item) for item in errors)
    # The official library JSON-encodes the whole array when its first element is not a string.
    return json.dumps(errors, ensure_ascii=False)


def retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def never_reached_server(error: requests.RequestException) -> bool:
    """True only when the TCP connection could not be opened, so no byte of the request was sent."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.ConnectionError) and error.args:
        reason = getattr(error.args[0], "reason", None)  # urllib3's MaxRetryError
        return isinstance(reason, NewConnectionError)  # refused, unreachable, DNS failure
    return False


def transport_error(
    error: requests.RequestException,
    method: str,
    path: str,
    *,
    attempt_note: str,
    connect_timeout: float,
    read_timeout: float,
    scrub: Callable[[str], str],
) -> Time4VPSError:
    """The error a request that got no answer becomes."""
    where = f"{method} {path}{attempt_note}"
    if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
        return ProviderRequestError(f"Time4VPS request {where} is invalid: {type(error).__name__}")
    if never_reached_server(error):
        reason = (
            f"could not connect within {connect_timeout:g}s"
            if isinstance(error, requests.exceptions.ConnectTimeout)
            else "could not connect"
        )
        sent = False
    elif isinstance(error, requests.exceptions.ReadTimeout):
        reason, sent = f"no answer within {read_timeout:g}s", True
    else:
        reason, sent = f"connection failed ({type(error).__name__})", True
    unavailable = ProviderUnavailableError(
        scrub(f"Time4VPS is unavailable: {where}: {reason}"), request_sent=sent, method=method, path=path
    )
    if method != "GET" and sent:
        unavailable.retryable = False  # the provider may have acted on it: do not repeat blindly
    return unavailable


def answer_body(
    response: requests.Response, method: str, path: str, *, attempt_note: str, scrub: Callable[[str], str]
) -> Any:
    """The JSON body of a successful answer; any other answer raises the error it means."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = _NOT_JSON
    message = provider_message(body)
    if 200 <= status < 300 and message is None:
        if body is _NOT_JSON:
            content_type = response.headers.get("Content-Type") or "no content type"
            raise InvalidResponseError(
                f"Time4VPS answered {method} {path} -> HTTP {status} with a body that is not JSON "
                f"({content_type}, {len(response.content)} bytes)",
                method=method,
                path=path,
                status=status,
            )
        return body

    detail = message[:MAX_PROVIDER_MESSAGE_CHARS] if message else (response.reason or "no error message")
    where = f"{method} {path} -> HTTP {status}"
    context = {"method": method, "path": path, "status": status}
    if status in (401, 403) or (message and "wronglogin" in message.lower()):
        raise AuthenticationError(scrub(f"Time4VPS rejected the account's credentials: {where}: {detail}"), **context)
    if status == 404 or (message and NOT_FOUND_MESSAGE.search(message)):
        raise NotFoundError(scrub(f"Time4VPS found nothing at {where}: {detail}"), **context)
    if status == 429 or status >= 500:
        unavailable = ProviderUnavailableError(
            scrub(f"Time4VPS is unavailable: {where}{attempt_note}: {detail}"),
            retry_after=retry_after_seconds(response),
            **context,
        )
        if method != "GET":
            unavailable.retryable = False  # the provider may have acted on it: do not repeat blindly
        raise unavailable
    raise ProviderRequestError(scrub(f"Time4VPS refused {where}: {detail}"), **context)
