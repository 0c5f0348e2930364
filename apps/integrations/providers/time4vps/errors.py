"""The client's exceptions: one hierarchy, each saying whether trying again can help.

Messages name the HTTP method, the API path and the status; they never contain the account's
password, the Authorization header or the base URL's user info.
"""

from __future__ import annotations

from datetime import datetime

from apps.integrations.common.errors import IntegrationError


class Time4VPSError(IntegrationError):
    """Base of every error the Time4VPS client raises (`message`, `method`, `path` and `status`
    come from `IntegrationError`).

    `retryable` says whether the same call, made again later, can succeed. It is a class
    attribute, overridden on an instance only when a non-idempotent request (reinstall,
    resetpassword, reboot) may have reached the provider: repeating it could act twice.
    """

    retryable: bool = False


class AuthenticationError(Time4VPSError):
    """The provider refused the credentials (HTTP 401/403 or the `wronglogin` error)."""

    retryable = False


class NotFoundError(Time4VPSError):
    """The server or task does not exist for this account (HTTP 404, `Invalid task ID`)."""

    retryable = False


class ProviderRequestError(Time4VPSError):
    """The provider rejected the request itself (any other 4xx or error body)."""

    retryable = False


class InvalidResponseError(Time4VPSError):
    """The provider answered with a body the client cannot use (not JSON, a field missing or mistyped)."""

    retryable = False


class ProviderUnavailableError(Time4VPSError):
    """The provider could not be reached or did not answer usefully: connection errors,
    timeouts, 5xx (after the client's own retries) and 429.

    `request_sent` is False only when the request certainly never reached the provider (the
    connection could not be opened). For a non-idempotent POST with `request_sent` True the
    provider may have acted on it, so the instance's `retryable` is False.
    """

    retryable = True

    def __init__(self, message: str, *, request_sent: bool = True, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.request_sent = request_sent
        #: Seconds the provider asked to wait (a 429's or 503's Retry-After), if it said so.
        self.retry_after = retry_after


class CircuitOpenError(ProviderUnavailableError):
    """The account's circuit is open: the call failed at once, without touching the network."""

    def __init__(self, message: str, *, until: datetime | None = None, **kwargs) -> None:
        super().__init__(message, request_sent=False, **kwargs)
        self.until = until
