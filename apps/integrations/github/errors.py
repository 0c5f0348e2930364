"""The GitHub client's exceptions: one hierarchy, each saying whether trying again can help.

Messages name the operation (method and API path) and the status; they never contain the
token, the App's private key, an installation token or an Authorization header.
"""

from __future__ import annotations

from datetime import datetime

from apps.integrations.common.errors import IntegrationError


class GitHubError(IntegrationError):
    """Base of every error the GitHub client raises (`message`, `method`, `path` and `status`
    come from `IntegrationError`).

    `retryable` says whether the same call, made again soon, can succeed. Raised as itself for
    a request GitHub rejected for another reason (a 4xx other than 401/403/404/429).
    """

    retryable: bool = False


class GitHubAuthenticationError(GitHubError):
    """GitHub refused the credentials (401 "Bad credentials", an App JWT it does not accept) or
    refused this identity access (a 403 that is not a rate limit)."""

    retryable = False


class GitHubNotFoundError(GitHubError):
    """The organization, repository or branch does not exist, or is not visible to these credentials (404)."""

    retryable = False


class GitHubRateLimitedError(GitHubError):
    """The rate limit is spent (403/429 with X-RateLimit-Remaining 0, a Retry-After, or a
    secondary-limit message). Not worth retrying before `reset_at` (aware, UTC): reschedule."""

    retryable = False

    def __init__(self, message: str, *, reset_at: datetime, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.reset_at = reset_at


class GitHubUnavailableError(GitHubError):
    """GitHub could not be reached or failed (connection errors, time-outs, 5xx), after the
    client's own retries. Trying again later can help."""

    retryable = True


class GitHubInvalidResponseError(GitHubError):
    """GitHub answered with something the client cannot use (not JSON, a field missing or mistyped)."""

    retryable = False


class GitHubTreeTruncatedError(GitHubError):
    """GitHub's recursive tree listing was cut short (`truncated: true`: over 100,000 entries or
    7 MB). The tree cannot be read in one answer; asking again gives the same answer."""

    retryable = False
