"""The senders: a signed JSON webhook, a Slack incoming webhook and the Telegram Bot API.

Each sender makes exactly one HTTP request with a time-out and never retries: the caller (a
Celery task) retries with backoff when `NotifyError.retryable` says it can help. Redirects are
not followed. The underlying `requests` exception is not chained (`from None`): its text holds
the URL, which for Slack and Telegram is a secret. Connections go only to globally routable
addresses, checked as each one opens (apps/integrations/common/outbound.py), unless the caller
passes `allow_private_addresses=True`: a refused target is a NotifyError that no retry helps.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from apps.integrations.common.outbound import OutboundAddressRefused, outbound_session

from .errors import NotifyError, status_retryable

USER_AGENT = "fleet-platform"
SIGNATURE_HEADER = "X-Fleet-Signature"
TIMESTAMP_HEADER = "X-Fleet-Timestamp"
SIGNATURE_PREFIX = "sha256="
DEFAULT_TIMEOUT = 10.0
TELEGRAM_API_BASE = "https://api.telegram.org"
SNIPPET_CHARS = 200
REDACTED = "***"


def webhook_body(payload: dict) -> bytes:
    """The exact bytes `send_webhook` posts: compact JSON, sorted keys, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def webhook_signature(body: bytes, secret: str) -> str:
    """The `X-Fleet-Signature` value of `body`: "sha256=" + hex HMAC-SHA256 of the body bytes with `secret`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def webhook_signature_valid(body: bytes, secret: str, header: str) -> bool:
    """Whether `header` (an `X-Fleet-Signature` value) signs exactly `body` with `secret`; constant-time."""
    if not header:
        return False
    expected = webhook_signature(body, secret).encode("ascii")
    return hmac.compare_digest(expected, header.strip().encode("utf-8", errors="replace"))


def _redact(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def _snippet(response: requests.Response, *secrets: str) -> str:
    text = response.text.strip()[:SNIPPET_CHARS]
    return _redact(text, *secrets)


def _post(
    url: str,
    *,
    data: bytes,
    headers: dict[str, str],
    timeout: float,
    what: str,
    path: str | None,
    secrets: tuple[str, ...],
    allow_private_addresses: bool,
) -> requests.Response:
    """One POST; a transport failure becomes a NotifyError naming `what` (never the URL)."""
    try:
        with outbound_session(allow_private=allow_private_addresses) as session:
            return session.post(url, data=data, headers=headers, timeout=timeout, allow_redirects=False)
    except OutboundAddressRefused as error:
        message = f"{what}: not sent: {error}"
        raise NotifyError(_redact(message, *secrets), retryable=False, method="POST", path=path) from None
    except (requests.ConnectionError, requests.Timeout) as error:
        kind = "timed out" if isinstance(error, requests.Timeout) else "connection failed"
        message = f"{what}: {kind} ({type(error).__name__})"
        raise NotifyError(_redact(message, *secrets), retryable=True, method="POST", path=path) from None
    except requests.RequestException as error:
        message = f"{what}: request failed ({type(error).__name__})"
        raise NotifyError(_redact(message, *secrets), retryable=False, method="POST", path=path) from None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _http_error(what: str, response: requests.Response, path: str | None, detail: str = "") -> NotifyError:
    status = response.status_code
    message = f"{what}: HTTP {status}" + (f": {detail}" if detail else "")
    return NotifyError(
        message,
        retryable=status_retryable(status),
        method="POST",
        path=path,
        status=status,
        retry_after=_retry_after(response),
    )


def send_webhook(
    *, url: str, payload: dict, secret: str, timeout: float = DEFAULT_TIMEOUT, allow_private_addresses: bool = False
) -> None:
    """POST `payload` as JSON to `url`, signed with `secret`; any 2xx is delivered.

    The body is compact JSON with sorted keys in UTF-8 (`webhook_body`). Headers:
    `Content-Type: application/json`, `X-Fleet-Signature: sha256=<hex HMAC-SHA256 of the body>`,
    `X-Fleet-Timestamp: <unix seconds>` and `User-Agent: fleet-platform`. Only the body bytes are
    signed, not the timestamp: a receiver checks the signature with `webhook_signature_valid` and
    may reject old timestamps, but the timestamp itself is not authenticated.

    Raises NotifyError (retryable on connection errors, time-outs, 429 and 5xx). The message names
    the host and the URL path, never the query string or the secret; a delivery that timed out may
    still have arrived, so receivers should tolerate duplicates.
    """
    parts = urlsplit(url)
    what = f"webhook to {parts.hostname or '?'}"
    path = parts.path or "/"
    try:
        body = webhook_body(payload)
    except (TypeError, ValueError) as error:
        raise NotifyError(f"{what}: payload is not JSON-serializable ({error})", retryable=False) from None
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: webhook_signature(body, secret),
        TIMESTAMP_HEADER: str(int(time.time())),
        "User-Agent": USER_AGENT,
    }
    secrets = (secret, parts.query)
    response = _post(
        url,
        data=body,
        headers=headers,
        timeout=timeout,
        what=what,
        path=path,
        secrets=secrets,
        allow_private_addresses=allow_private_addresses,
    )
    if not 200 <= response.status_code < 300:
        raise _http_error(what, response, path)


def send_slack(
    *, webhook_url: str, text: str, timeout: float = DEFAULT_TIMEOUT, allow_private_addresses: bool = False
) -> None:
    """POST {"text": text} to a Slack incoming webhook; any 2xx is delivered (even a body other than "ok").

    The webhook URL is a secret: no error message holds it or its path. A 4xx carries Slack's
    short reason (e.g. "no_service", "invalid_payload") in the message.
    """
    what = "Slack webhook"
    parts = urlsplit(webhook_url)
    secrets = (webhook_url, parts.path.rstrip("/") if parts.path not in ("", "/") else "")
    body = json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
    response = _post(
        webhook_url,
        data=body,
        headers=headers,
        timeout=timeout,
        what=what,
        path=None,
        secrets=secrets,
        allow_private_addresses=allow_private_addresses,
    )
    if not 200 <= response.status_code < 300:
        raise _http_error(what, response, None, _snippet(response, *secrets))


def send_telegram(
    *,
    bot_token: str,
    chat_id: str,
    text: str,
    api_base: str = TELEGRAM_API_BASE,
    timeout: float = DEFAULT_TIMEOUT,
    allow_private_addresses: bool = False,
) -> None:
    """Send `text` to `chat_id` through the Telegram Bot API (POST {api_base}/bot{token}/sendMessage).

    Telegram answers {"ok": true, ...} or {"ok": false, "description": ...}; the latter (or any
    non-2xx) raises NotifyError with the description, the token redacted. Retryable on 429 (with
    `retry_after` from Telegram's `parameters.retry_after`) and 5xx.
    """
    what = "Telegram sendMessage"
    path = f"/bot{REDACTED}/sendMessage"
    secrets = (bot_token,)
    url = f"{api_base.rstrip('/')}/bot{bot_token}/sendMessage"
    body = json.dumps({"chat_id": chat_id, "text": text}, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
    response = _post(
        url,
        data=body,
        headers=headers,
        timeout=timeout,
        what=what,
        path=path,
        secrets=secrets,
        allow_private_addresses=allow_private_addresses,
    )
    status = response.status_code
    try:
        answer: Any = response.json()
    except ValueError:
        answer = None
    if 200 <= status < 300 and isinstance(answer, dict) and answer.get("ok") is True:
        return
    if isinstance(answer, dict):
        description = str(answer.get("description") or "no description")
        parameters = answer.get("parameters")
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
    else:
        description = "answer is not Telegram JSON"
        retry_after = None
    error = _http_error(what, response, path, _redact(description, *secrets)[:SNIPPET_CHARS])
    if isinstance(retry_after, int | float):
        error.retry_after = float(retry_after)
    raise error
