"""The HTTP side of the GitHub client: one organization's settings, credentials and requests.

`GitHubTransport` is the base of `GitHubClient` (client.py), which adds the API methods.
PyGithub does the HTTP: authentication (a token, or a GitHub App installation whose token it
fetches and renews), connection reuse, the pause between requests and the retry policy of
retry.py. The transport asks PyGithub's requester for JSON (`Github.requester.requestJsonAndCheck`)
and the client parses it itself (models.py), so no PyGithub object escapes. Every failure
becomes one of the exceptions of errors.py (the mapping is in responses.py); every request's
outcome is logged (no secrets).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from importlib.metadata import version
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import structlog
from django.conf import settings
from github import Auth, Github, GithubException
from github.GithubException import BadAttributeException
from github.Requester import Requester

from apps.integrations.common.outbound import OutboundAddressRefused, outbound_policy
from apps.integrations.common.parsing import parse_body

from . import connections  # noqa: F401 (PyGithub's connections go through the address guard)
from .errors import GitHubError, GitHubInvalidResponseError, GitHubUnavailableError
from .responses import http_error
from .retry import build_retry

# The client's log stream: its request events keep the logger name they always had.
log = structlog.get_logger("apps.integrations.github.client")

T = TypeVar("T")
USER_AGENT = f"fleet-platform/0.1 (GitHub client) PyGithub/{version('PyGithub')}"
DEFAULT_BACKOFF_SECONDS = 0.5
NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
# GitHub's token formats (classic, fine-grained, installation, OAuth...) and JWTs, should one be echoed.
_TOKEN_LIKE = re.compile(r"\b(?:gh[opsur]_[A-Za-z0-9_]{8,}|github_pat_[A-Za-z0-9_]{8,}|eyJ[\w-]+\.[\w-]+\.[\w-]*)")
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="([^"]+)"')


class GitHubTransport:
    """The connection to one organization, with a token or as a GitHub App installation.

    Timeout, retry attempts, page size and the pause between requests default to the GITHUB_*
    settings, read when it is built; keyword arguments override them. Connections go only to
    globally routable addresses, checked as each one opens, unless `allow_private_addresses`
    (default PROVIDER_ALLOW_PRIVATE_ADDRESSES).
    """

    def __init__(
        self,
        *,
        base_url: str,
        organization: str,
        token: str | None = None,
        app_id: int | None = None,
        app_private_key: str | None = None,
        installation_id: int | None = None,
        timeout: float | None = None,
        retry_attempts: int | None = None,
        per_page: int | None = None,
        seconds_between_requests: float | None = None,
        retry_backoff_seconds: float | None = None,
        allow_private_addresses: bool | None = None,
    ) -> None:
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be an http(s) URL such as https://api.github.com")
        if parts.username or parts.password or parts.query:
            raise ValueError("base_url must not contain credentials or a query")
        if not isinstance(organization, str) or not NAME.match(organization):
            raise ValueError("organization must be a GitHub login (letters, digits, '-', '_', '.')")
        self.base_url = base_url.rstrip("/")
        self.organization = organization
        self.allow_private_addresses = bool(
            settings.PROVIDER_ALLOW_PRIVATE_ADDRESSES if allow_private_addresses is None else allow_private_addresses
        )
        self._secrets: list[str] = []
        auth = self._auth(token, app_id, app_private_key, installation_id)
        # PyGithub insists on whole seconds (it asserts an int): round up.
        self.timeout = max(1, math.ceil(float(settings.GITHUB_TIMEOUT_SECONDS if timeout is None else timeout)))
        self.retry_attempts = max(1, int(settings.GITHUB_RETRY_ATTEMPTS if retry_attempts is None else retry_attempts))
        self.per_page = min(100, max(1, int(settings.GITHUB_PER_PAGE if per_page is None else per_page)))
        pause = (
            settings.GITHUB_SECONDS_BETWEEN_REQUESTS if seconds_between_requests is None else seconds_between_requests
        )
        backoff = DEFAULT_BACKOFF_SECONDS if retry_backoff_seconds is None else retry_backoff_seconds
        self._github = Github(
            auth=auth,
            base_url=self.base_url,
            retry=build_retry(attempts=self.retry_attempts, backoff_factor=float(backoff)),
            timeout=self.timeout,
            per_page=self.per_page,
            seconds_between_requests=float(pause),
            user_agent=USER_AGENT,
        )
        self._requester: Requester = self._github.requester

    def _auth(
        self, token: str | None, app_id: int | None, private_key: str | None, installation_id: int | None
    ) -> Auth.Auth:
        app_values = (app_id, private_key, installation_id)
        if token is not None:
            if any(value is not None for value in app_values):
                raise ValueError("pass either a token or app_id, app_private_key and installation_id, not both")
            if not isinstance(token, str) or not token.strip():
                raise ValueError("token must be a non-empty string")
            self._secrets.append(token)
            return Auth.Token(token)
        if any(value is None for value in app_values):
            raise ValueError("pass a token, or app_id, app_private_key and installation_id")
        for name, value in (("app_id", app_id), ("installation_id", installation_id)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer")
        if not isinstance(private_key, str) or not private_key.strip():
            raise ValueError("app_private_key must be the App's PEM private key")
        self._secrets.append(private_key)
        app_auth = Auth.AppAuth(app_id, private_key)
        try:
            app_auth.create_jwt()  # fail now, not on the first request, when the key is unusable
        except Exception:
            raise ValueError("app_private_key is not a usable RSA private key (PEM)") from None
        return app_auth.get_installation_auth(installation_id)  # type: ignore[arg-type]

    def close(self) -> None:
        self._github.close()

    def _get(self, url: str, params: dict[str, Any] | None = None) -> tuple[dict[str, Any], Any]:
        """One GET through PyGithub (retried on connection errors and 5xx), logged and translated."""
        path = path_of(url)
        started = time.monotonic()
        fields: dict[str, Any] = {"method": "GET", "path": path}
        try:
            with outbound_policy(allow_private=self.allow_private_addresses):
                headers, body = self._requester.requestJsonAndCheck("GET", url, parameters=params)
        except OutboundAddressRefused as error:
            failure = GitHubError(f"GitHub request GET {path} was not sent: {error}", method="GET", path=path)
            self._log_failure(fields, started, failure, error=type(error).__name__)
            raise failure from None
        except GithubException as error:
            failure = http_error(error, "GET", path, attempts=self.retry_attempts, scrub=self._scrub)
            self._log_failure(fields, started, failure, status=error.status)
            raise failure from None
        except requests.RequestException as error:
            failure = GitHubUnavailableError(
                self._scrub(
                    f"GitHub could not be reached for GET {path} after {self.retry_attempts} attempt(s): "
                    f"{type(error).__name__}"
                ),
                method="GET",
                path=path,
            )
            self._log_failure(fields, started, failure, error=type(error).__name__)
            raise failure from error
        except (ValueError, TypeError, KeyError, AssertionError, RuntimeError, BadAttributeException) as error:
            # PyGithub's own checks: a body that is not JSON, a redirect off the API, a bad link.
            failure = GitHubInvalidResponseError(
                f"GitHub answered GET {path} with something unusable ({type(error).__name__})",
                method="GET",
                path=path,
            )
            self._log_failure(fields, started, failure, error=type(error).__name__)
            raise failure from None
        log.info(
            "github.request",
            **fields,
            status=200,
            duration_ms=round((time.monotonic() - started) * 1000),
            rate_remaining=headers.get("x-ratelimit-remaining"),
        )
        return headers, body

    def _log_failure(self, fields: dict[str, Any], started: float, failure: GitHubError, **extra: Any) -> None:
        log.warning(
            "github.request_failed",
            **fields,
            **extra,
            outcome=type(failure).__name__,
            retryable=failure.retryable,
            duration_ms=round((time.monotonic() - started) * 1000),
        )

    def _parse(self, method: str, path: str, parser: Callable[[Any], T], body: Any) -> T:
        return parse_body(
            parser,
            body,
            service="GitHub",
            method=method,
            path=path,
            error=GitHubInvalidResponseError,
            scrub=self._scrub,
        )

    def _next_link(self, headers: Mapping[str, Any], current: str, seen: set[str]) -> str | None:
        links = {rel: url for url, rel in _LINK.findall(str(headers.get("link") or ""))}
        url = links.get("next")
        if not url:
            return None
        parts, base = urlsplit(url), urlsplit(self.base_url)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or not parts.path.startswith(base.path):
            raise GitHubInvalidResponseError(
                f"GitHub's next-page link for GET {path_of(current)} leaves the API", method="GET", path=current
            )
        if url in seen:
            raise GitHubInvalidResponseError(
                f"GitHub's next-page link for GET {path_of(current)} loops", method="GET", path=current
            )
        return url

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            if len(secret) >= 4:
                text = text.replace(secret, "[redacted]")
        return _TOKEN_LIKE.sub("[redacted]", text)


def path_of(url: str) -> str:
    """The API path of a relative path or of a full URL (no host, no query)."""
    return urlsplit(url).path or url
