"""The one error family every provider adapter raises, whatever its provider's own errors are.

Callers (sync, provisioning, the admin, the API) catch `ProviderError` and decide by its class
and `retryable`; each adapter maps its client's exceptions into these at its boundary. Messages
name the request and the status, never a credential.
"""

from __future__ import annotations

from datetime import datetime

from apps.integrations.common.errors import IntegrationError


class ProviderError(IntegrationError):
    """Base of the family. `retryable`: the same call, made again later, can succeed."""

    retryable: bool = False


class ProviderAuthError(ProviderError):
    """The provider refused the account's credentials."""


class ProviderNotFound(ProviderError):
    """The server or action does not exist for this account."""


class ProviderRefused(ProviderError):
    """The provider rejected the request itself (invalid input, protected server, a bad answer)."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or did not answer usefully; trying again later can help.

    `request_sent` is False only when the request certainly never reached the provider.
    `retry_after` is the seconds the provider asked to wait, when it said so.
    """

    retryable = True

    def __init__(self, message: str, *, request_sent: bool = True, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.request_sent = request_sent
        self.retry_after = retry_after


class ProviderRateLimited(ProviderUnavailable):
    """The account's request budget is spent (or would be by this run); `reset_at` is when it refills."""

    def __init__(self, message: str, *, reset_at: datetime | None = None, **kwargs) -> None:
        super().__init__(message, request_sent=kwargs.pop("request_sent", False), **kwargs)
        self.reset_at = reset_at


class ProviderRequestMaybeSent(ProviderError):
    """A request that changes the server (reinstall, password reset) may have reached the provider
    without an answer coming back: repeating it could act twice, so it is never retried blindly."""
