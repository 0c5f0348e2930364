"""What a failed GitHub request means: the `GitHubError` a PyGithub exception becomes.

Pure functions of the exception (its status, headers and body), so the mapping from statuses,
rate-limit headers and GitHub's messages to the exceptions of errors.py reads in one place.
`scrub` removes the client's secrets from a message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from github import GithubException
from github.Requester import Requester

from .errors import (
    GitHubAuthenticationError,
    GitHubError,
    GitHubNotFoundError,
    GitHubRateLimitedError,
    GitHubUnavailableError,
)

# A secondary rate limit without Retry-After or reset header: GitHub asks to wait at least a minute.
SECONDARY_RATE_LIMIT_WAIT = timedelta(seconds=60)
MAX_MESSAGE_CHARS = 300


def http_error(
    error: GithubException, method: str, path: str, *, attempts: int, scrub: Callable[[str], str]
) -> GitHubError:
    """The error an answer GitHub refused (a 4xx, or a 5xx after `attempts` tries) becomes."""
    status = error.status
    headers = {str(key).lower(): str(value) for key, value in (error.headers or {}).items()}
    message = _github_message(error.data)
    said = f": {scrub(message)}" if message else ""
    where = {"method": method, "path": path, "status": status}
    if status == 401:
        return GitHubAuthenticationError(
            f"GitHub refused the credentials ({status}) for {method} {path}{said}", **where
        )
    if status in (403, 429) and _is_rate_limited(status, headers, message):
        reset_at = _reset_at(headers)
        return GitHubRateLimitedError(
            f"GitHub rate limit reached ({status}) for {method} {path} until {reset_at.isoformat()}{said}",
            reset_at=reset_at,
            **where,
        )
    if status == 403:
        return GitHubAuthenticationError(f"GitHub refused access ({status}) to {method} {path}{said}", **where)
    if status == 404:
        return GitHubNotFoundError(f"GitHub found nothing at {method} {path} (404){said}", **where)
    if status >= 500:
        return GitHubUnavailableError(
            f"GitHub failed ({status}) for {method} {path} after {attempts} attempt(s){said}", **where
        )
    return GitHubError(f"GitHub rejected {method} {path} ({status}){said}", **where)


def _github_message(data: Any) -> str | None:
    message = data.get("message") if isinstance(data, dict) else None
    return message[:MAX_MESSAGE_CHARS] if isinstance(message, str) and message else None


def _is_rate_limited(status: int, headers: Mapping[str, str], message: str | None) -> bool:
    return (
        status == 429
        or headers.get("x-ratelimit-remaining") == "0"
        or "retry-after" in headers
        or Requester.isRateLimitError(message or "")
    )


def _reset_at(headers: Mapping[str, str]) -> datetime:
    """When trying again makes sense, as GitHub documents it: after Retry-After (seconds or an
    HTTP date) if given; else at X-RateLimit-Reset if the primary budget is spent; else (a
    secondary limit) after a minute."""
    now = datetime.now(UTC)
    retry_after = headers.get("retry-after", "").strip()
    if retry_after:
        if retry_after.isdigit():
            return now + timedelta(seconds=int(retry_after))
        try:
            return parsedate_to_datetime(retry_after).astimezone(UTC)
        except (TypeError, ValueError):
            pass
    if headers.get("x-ratelimit-remaining") == "0":
        try:
            return datetime.fromtimestamp(int(float(headers.get("x-ratelimit-reset", ""))), UTC)
        except (ValueError, OverflowError, OSError):
            pass
    return now + SECONDARY_RATE_LIMIT_WAIT
