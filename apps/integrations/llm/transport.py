"""One JSON POST to a model provider: a time-out, bounded retries, and a circuit breaker per provider.

A call is retried (exponential backoff with jitter) on what trying again can fix: connection
errors, time-outs, 429 and 5xx; never past the caller's deadline. The whole retried call is one
success or failure of the provider's circuit (pybreaker, in this process's memory): after
`fail_max` failed calls in a row calls fail at once for `reset_timeout` seconds, then one trial
call decides. Redirects are not followed (the key would go along), and no message carries the key.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import pybreaker
import requests
import structlog
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from apps.integrations.common.outbound import OutboundAddressRefused, outbound_session

from .errors import (
    LlmCircuitOpenError,
    LlmError,
    LlmOutOfTimeError,
    LlmRequestError,
    LlmResponseError,
    LlmUnavailableError,
)

log = structlog.get_logger(__name__)

CONNECT_TIMEOUT_SECONDS = 5.0
SNIPPET_CHARS = 300
REDACTED = "***"
# Below this much time left an attempt is not worth starting.
MIN_ATTEMPT_SECONDS = 1.0
RETRY_STATUSES = {408, 409, 429}


@dataclass(frozen=True)
class CallPolicy:
    timeout: float
    attempts: int
    fail_max: int
    reset_timeout: float
    # time.monotonic() after which no attempt starts; None: only the attempts bound the call.
    deadline: float | None = None
    allow_private_addresses: bool = False


def _worth_retrying(error: BaseException) -> bool:
    return isinstance(error, LlmUnavailableError) and not isinstance(error, LlmOutOfTimeError)


def _not_a_failure(error: BaseException) -> bool:
    return not _worth_retrying(error)


_breakers: dict[str, pybreaker.CircuitBreaker] = {}
_lock = threading.Lock()


def circuit_breaker_for(key: str, *, fail_max: int, reset_timeout: float) -> pybreaker.CircuitBreaker:
    """This process's breaker for one provider (created on first use; limits refreshed each time)."""
    with _lock:
        breaker = _breakers.get(key)
        if breaker is None:
            breaker = pybreaker.CircuitBreaker(
                fail_max=fail_max,
                reset_timeout=reset_timeout,
                exclude=[_not_a_failure],
                name=key,
                throw_new_error_on_trip=False,
            )
            _breakers[key] = breaker
    breaker.fail_max = fail_max
    breaker.reset_timeout = reset_timeout
    return breaker


def circuit_reset(key: str) -> None:
    """Close the provider's circuit (tests, and after fixing a provider)."""
    with _lock:
        breaker = _breakers.get(key)
    if breaker is not None:
        breaker.close()


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def _error_text(response: requests.Response, secrets: tuple[str, ...]) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    message = ""
    if isinstance(body, dict):
        error = body.get("error")
        message = error.get("message", "") if isinstance(error, dict) else str(error or body.get("message") or "")
    message = message or response.text
    return _redact(" ".join(message.split())[:SNIPPET_CHARS], secrets)


def _attempt(
    url: str, *, headers: dict[str, str], body: dict[str, Any], timeout: float, what: str, secrets, allow_private: bool
):
    try:
        with outbound_session(allow_private=allow_private) as session:
            response = session.post(
                url,
                json=body,
                headers=headers,
                timeout=(min(CONNECT_TIMEOUT_SECONDS, timeout), timeout),
                allow_redirects=False,
            )
    except OutboundAddressRefused as error:
        raise LlmRequestError(f"{what}: {error}", method="POST") from None
    except requests.Timeout:
        raise LlmUnavailableError(f"{what}: timed out after {timeout:.0f} s", method="POST") from None
    except requests.RequestException as error:
        raise LlmUnavailableError(f"{what}: connection failed ({type(error).__name__})", method="POST") from None
    status = response.status_code
    if status in RETRY_STATUSES or status >= 500:
        text = _error_text(response, secrets)
        raise LlmUnavailableError(f"{what}: HTTP {status} {text}".strip(), method="POST", status=status)
    if status != 200:
        text = _error_text(response, secrets)
        raise LlmRequestError(f"{what}: HTTP {status} {text}".strip(), method="POST", status=status)
    try:
        data = response.json()
    except ValueError:
        raise LlmResponseError(f"{what}: the answer is not JSON", method="POST", status=status) from None
    if not isinstance(data, dict):
        raise LlmResponseError(f"{what}: the answer is not a JSON object", method="POST", status=status)
    return data


def _attempt_timeout(policy: CallPolicy, what: str) -> float:
    if policy.deadline is None:
        return policy.timeout
    left = policy.deadline - time.monotonic()
    if left < MIN_ATTEMPT_SECONDS:
        raise LlmOutOfTimeError(f"{what}: no time left for another attempt")
    return min(policy.timeout, left)


def post_json(
    url: str,
    *,
    headers: dict[str, str],
    body: dict[str, Any],
    policy: CallPolicy,
    circuit: str,
    what: str,
    secrets: tuple[str, ...] = (),
) -> dict[str, Any]:
    """POST `body` as JSON and return the JSON object answered; raises an LlmError."""

    def retried() -> dict[str, Any]:
        for attempt in Retrying(
            stop=stop_after_attempt(max(1, policy.attempts)),
            wait=wait_exponential_jitter(multiplier=0.5, max=4.0, jitter=0.5),
            retry=retry_if_exception(_worth_retrying),
            reraise=True,
        ):
            with attempt:
                timeout = _attempt_timeout(policy, what)
                return _attempt(
                    url,
                    headers=headers,
                    body=body,
                    timeout=timeout,
                    what=what,
                    secrets=secrets,
                    allow_private=policy.allow_private_addresses,
                )
        raise AssertionError("unreachable: tenacity re-raises the last error")

    breaker = circuit_breaker_for(circuit, fail_max=policy.fail_max, reset_timeout=policy.reset_timeout)
    try:
        return breaker.call(retried)
    except pybreaker.CircuitBreakerError:
        log.warning("llm_circuit_open", circuit=circuit)
        raise LlmCircuitOpenError(
            f"{what}: the provider failed {policy.fail_max} times in a row; calls pause for "
            f"{policy.reset_timeout:.0f} s"
        ) from None
    except LlmError as error:
        log.warning("llm_call_failed", circuit=circuit, error=str(error), status=error.status)
        raise
