"""The retry policy of a Time4VPS call (tenacity): what is retried, how often, how long apart.

A GET is retried on any `ProviderUnavailableError`. reinstall/resetpassword/reboot are POSTs and
not idempotent (a repeated reinstall wipes the server twice), so a POST is retried only when the
request certainly never reached the provider. The wait between attempts is a full-jitter
exponential backoff, stretched to the provider's Retry-After, capped by the client's max wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import tenacity

from .errors import ProviderUnavailableError

# First wait window of the exponential backoff; each retry doubles it, up to retry_max_wait.
BACKOFF_MULTIPLIER_SECONDS = 0.5


def jitter(max_wait: float) -> tenacity.wait_random_exponential:
    return tenacity.wait_random_exponential(multiplier=BACKOFF_MULTIPLIER_SECONDS, max=max_wait)


def worth_retrying(method: str) -> Callable[[BaseException], bool]:
    idempotent = method == "GET"

    def predicate(error: BaseException) -> bool:
        if not isinstance(error, ProviderUnavailableError):
            return False
        # reinstall/resetpassword/reboot are not idempotent: a repeated reinstall wipes the
        # server twice. A POST is retried only when the request certainly never reached the
        # provider (the connection could not be opened) — never after a read timeout, a
        # dropped connection or a 5xx, when the provider may already have acted on it.
        return idempotent or not error.request_sent

    return predicate


def backoff_seconds(
    retry_state: tenacity.RetryCallState, *, jitter: tenacity.wait_random_exponential, max_wait: float
) -> float:
    """Full-jitter exponential backoff, stretched to a Retry-After, capped by max_wait."""
    seconds = jitter(retry_state)
    error = retry_state.outcome.exception() if retry_state.outcome else None
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        seconds = max(seconds, retry_after)
    return min(seconds, max_wait)


def retrying(
    method: str,
    *,
    attempts: int,
    wait: Callable[[tenacity.RetryCallState], float],
    cancel: threading.Event | None,
) -> tenacity.Retrying:
    """At most `attempts` tries of one request, fewer if `cancel` is set; the last error is re-raised."""
    stop = tenacity.stop_after_attempt(attempts)
    if cancel is not None:
        stop = stop | tenacity.stop_when_event_set(cancel)
    return tenacity.Retrying(
        stop=stop, wait=wait, retry=tenacity.retry_if_exception(worth_retrying(method)), reraise=True
    )
