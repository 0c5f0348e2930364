"""The retry policy handed to PyGithub (an urllib3 `Retry`): connection errors and 5xx only.

PyGithub's default `GithubRetry` also retries 403s and sleeps until the rate limit resets,
which inside a worker can be an hour. This policy never retries a 403 or a 429 and ignores
Retry-After, so a rate-limited answer reaches the client at once and becomes
`GitHubRateLimitedError`. 5xx and connection/read errors are retried with exponential backoff
(urllib3: no wait before the second attempt, then backoff_factor * 2**n, capped at BACKOFF_MAX).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import structlog
from urllib3.connectionpool import ConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

log = structlog.get_logger("apps.integrations.github.client")

RETRIED_STATUSES = frozenset(range(500, 600))
# POST is only used to create an installation token: asking for another one is harmless.
RETRIED_METHODS = frozenset({"GET", "HEAD", "POST"})
BACKOFF_MAX_SECONDS = 8.0
BACKOFF_JITTER_SECONDS = 0.1


class LoggedRetry(Retry):
    """urllib3's Retry, logging each failed attempt (method, path, status or error; no headers)."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Retry:
        log.warning(
            "github.request_attempt_failed",
            method=method,
            path=urlsplit(url or "").path,
            attempt=len(self.history) + 1,
            status=getattr(response, "status", None),
            error=type(error).__name__ if error else None,
        )
        return super().increment(method, url, response, error, _pool, _stacktrace)


def build_retry(*, attempts: int, backoff_factor: float) -> Retry:
    """At most `attempts` tries of one request (1 = no retry)."""
    retries = max(0, attempts - 1)
    options: dict[str, Any] = {
        "total": retries,
        "connect": retries,
        "read": retries,
        "status": retries,
        "other": 0,
        "redirect": 0,
        "allowed_methods": RETRIED_METHODS,
        "status_forcelist": RETRIED_STATUSES,
        "backoff_factor": backoff_factor,
        "backoff_max": BACKOFF_MAX_SECONDS,
        "backoff_jitter": BACKOFF_JITTER_SECONDS if backoff_factor else 0.0,
        # A 503's Retry-After could say an hour: never sleep on what the server asks.
        "respect_retry_after_header": False,
        # After the last 5xx, hand the response to PyGithub (its status, its message).
        "raise_on_status": False,
        "raise_on_redirect": False,
    }
    return LoggedRetry(**options)
