"""The base of every integration client's exceptions.

Each client (a provider's, GitHub's) subclasses `IntegrationError` once as its own base and
catches only its own hierarchy, so callers keep telling the services apart; the provider
adapters map their clients' errors into one family (apps/integrations/providers/errors.py).
"""

from __future__ import annotations


class IntegrationError(Exception):
    """An error an integration client raises, with what the call was and whether to try again.

    `retryable` says whether the same call, made again, can succeed; `method`, `path` and
    `status` name the request and its HTTP status, when known. `message` is the text the
    exception was raised with: it never holds a credential.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.status = status
