"""The model clients' errors: one family, saying whether trying again can help."""

from __future__ import annotations

from apps.integrations.common.errors import IntegrationError


class LlmError(IntegrationError):
    """Base of the model clients' errors. The message never holds the API key."""


class LlmUnavailableError(LlmError):
    """No answer worth having: connection failed, timed out, 429 or 5xx. Retried, and counted by the circuit."""

    retryable = True


class LlmOutOfTimeError(LlmUnavailableError):
    """The caller's deadline leaves no time for another attempt (not the provider's failure)."""

    retryable = False


class LlmRequestError(LlmError):
    """The provider refused the request (a wrong key, an unknown model, a malformed request)."""


class LlmResponseError(LlmError):
    """The provider answered with something that is not a chat reply."""


class LlmCircuitOpenError(LlmError):
    """The provider failed too often in a row: calls fail at once until its circuit's reset time."""
