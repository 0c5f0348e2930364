"""The exception of the notification senders."""

from __future__ import annotations

from apps.integrations.common.errors import IntegrationError

RETRYABLE_STATUSES = frozenset({408, 425, 429})


def status_retryable(status: int) -> bool:
    """Whether an HTTP answer with this status can turn out differently when the call is made again."""
    return status in RETRYABLE_STATUSES or status >= 500


class NotifyError(IntegrationError):
    """A notification that was not delivered.

    `retryable` is True for connection errors, time-outs, 429 (and 408/425) and 5xx; False for
    other 4xx, redirects, invalid input or a refusal the API explains (Telegram's `ok: false` on a
    4xx). `retry_after` is the delay in seconds the service asked for, when it said one. The
    message never holds a token, a Slack webhook URL or an HMAC secret.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, method=method, path=path, status=status)
        self.retryable = retryable
        self.retry_after = retry_after
