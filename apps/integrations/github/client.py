"""The GitHub client: the only code that talks to GitHub (github.com or GitHub Enterprise Server).

PyGithub does the HTTP: authentication (a token, or a GitHub App installation whose token it
fetches and renews), connection reuse, the pause between requests and the retry policy of
retry.py. The client asks PyGithub's requester for JSON (`Github.requester.requestJsonAndCheck`)
and parses it itself (models.py), so no PyGithub object escapes, no lazy PyGithub object can
cost a hidden request per repository, and `ContentFile.decoded_content`'s base64-only assertion
(files over 1 MB come with encoding "none") never applies. Every failure becomes one of the
exceptions of errors.py; every request's outcome is logged (no secrets).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from importlib.metadata import version
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
import structlog
from django.conf import settings
from github import Auth, Github, GithubException
from github.GithubException import BadAttributeException
from github.Requester import Requester

from . import models
from .errors import (
    GitHubAuthenticationError,
    GitHubError,
    GitHubInvalidResponseError,
    GitHubNotFoundError,
    GitHubRateLimitedError,
    GitHubUnavailableError,
)
from .models import DocFile, RateBudget, Repository
from .retry import build_retry

log = structlog.get_logger(__name__)

T = TypeVar("T")
USER_AGENT = f"fleet-platform/0.1 (GitHub client) PyGithub/{version('PyGithub')}"
DEFAULT_BACKOFF_SECONDS = 0.5
# A secondary rate limit without Retry-After or reset header: GitHub asks to wait at least a minute.
SECONDARY_RATE_LIMIT_WAIT = timedelta(seconds=60)
MAX_MESSAGE_CHARS = 300
MAX_DOCS_DIRECTORIES = 100
MARKDOWN_SUFFIXES = (".md", ".markdown")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
# GitHub's token formats (classic, fine-grained, installation, OAuth...) and JWTs, should one be echoed.
_TOKEN_LIKE = re.compile(r"\b(?:gh[opsur]_[A-Za-z0-9_]{8,}|github_pat_[A-Za-z0-9_]{8,}|eyJ[\w-]+\.[\w-]+\.[\w-]*)")
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="([^"]+)"')


class GitHubClient:
    """A client for one organization, with a token or as a GitHub App installation.

    Timeout, retry attempts, page size and the pause between requests default to the GITHUB_*
    settings, read when the client is built; keyword arguments override them. Use it as a
    context manager, or call close(). One client is meant for one thread.
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
    ) -> None:
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be an http(s) URL such as https://api.github.com")
        if parts.username or parts.password or parts.query:
            raise ValueError("base_url must not contain credentials or a query")
        if not isinstance(organization, str) or not _NAME.match(organization):
            raise ValueError("organization must be a GitHub login (letters, digits, '-', '_', '.')")
        self.base_url = base_url.rstrip("/")
        self.organization = organization
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

    def __repr__(self) -> str:
        return f"GitHubClient(base_url={self.base_url!r}, organization={self.organization!r})"

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._github.close()

    # --- the API ------------------------------------------------------------------------------

    def rate_budget(self) -> RateBudget:
        """The core REST budget (`GET /rate_limit`, which costs none of it)."""
        return self._parse("GET", "/rate_limit", models.parse_rate_budget, self._get("/rate_limit")[1])

    def last_rate_budget(self) -> RateBudget | None:
        """The budget the last answer's X-RateLimit-* headers reported, without a request; None before any."""
        remaining, limit = self._requester.rate_limiting
        reset = self._requester.rate_limiting_resettime
        if remaining < 0 or limit < 0 or not reset:
            return None
        return RateBudget(remaining=remaining, limit=limit, reset_at=datetime.fromtimestamp(reset, UTC))

    def organization_summary(self) -> dict[str, Any]:
        """`GET /orgs/{org}`: {login, name, public_repos, private_repos (None unless a member asks),
        repo_count} — what "test connection" shows."""
        path = f"/orgs/{quote(self.organization, safe='')}"
        return self._parse("GET", path, models.parse_organization_summary, self._get(path)[1])

    def repository_pages(self) -> Iterator[list[Repository]]:
        """The organization's repositories (all types), one page of `per_page` at a time.

        Follows the Link header's rel="next"; each page is one request, parsed from the listing
        alone. An empty organization yields nothing; an unknown one raises GitHubNotFoundError
        (from the first next()).
        """
        url: str | None = f"/orgs/{quote(self.organization, safe='')}/repos"
        params: dict[str, Any] | None = {"type": "all", "per_page": self.per_page}
        seen: set[str] = set()
        while url is not None:
            seen.add(url)
            headers, body = self._get(url, params)
            page = self._parse("GET", _path_of(url), models.parse_repository_page, body)
            url, params = self._next_link(headers, url, seen), None
            if page:
                yield page

    def head_commit(self, full_name: str, branch: str) -> str:
        """The SHA of the branch's head commit (`GET /repos/{owner}/{repo}/branches/{branch}`)."""
        if not isinstance(branch, str) or not branch.strip():
            raise ValueError("branch must be a non-empty string")
        path = f"{_repo_path(full_name)}/branches/{quote(branch, safe='/')}"
        return self._parse("GET", path, models.parse_head_sha, self._get(path)[1])

    def readme(self, full_name: str, ref: str | None, *, max_bytes: int) -> DocFile | None:
        """The repository's README at `ref` (None: the default branch); None when it has none.

        One request; a README over 1 MB (encoding "none") takes a second one, for its blob.
        A README larger than max_bytes comes back with skipped='too_large'.
        """
        _check_positive(max_bytes, "max_bytes")
        path = f"{_repo_path(full_name)}/readme"
        try:
            _, body = self._get(path, _ref_params(ref))
        except GitHubNotFoundError:
            return None
        entry = self._parse("GET", path, _file_entry, body)
        if entry["size"] > max_bytes:
            return DocFile(path=entry["path"], size=entry["size"], text=None, skipped=models.TOO_LARGE)
        if entry["encoding"] == "base64" and (entry["content"] or entry["size"] == 0):
            data = self._parse("GET", path, _decode_base64, entry["content"])
        else:  # GitHub leaves files over 1 MB out of the JSON (encoding "none"): fetch the blob
            data = self._blob(full_name, entry["sha"])
        return _doc_file(entry["path"], entry["size"], data, max_bytes)

    def docs_files(
        self, full_name: str, ref: str | None, *, directory: str = "docs", max_bytes: int, max_files: int
    ) -> list[DocFile]:
        """Every *.md / *.markdown under `directory` at `ref`, recursively, at most `max_files`.

        One request per directory listed (shallower directories first, entries in path order)
        and one per file read, by its blob SHA. A file larger than max_bytes is not downloaded:
        its size comes from the listing and it is returned with skipped='too_large'. No such
        directory (or an empty repository) gives [].
        """
        _check_positive(max_bytes, "max_bytes")
        _check_positive(max_files, "max_files")
        repo_path = _repo_path(full_name)
        pending = [directory.strip("/")]
        listed = 0
        files: list[DocFile] = []
        while pending and len(files) < max_files and listed < MAX_DOCS_DIRECTORIES:
            current = pending.pop(0)
            listed += 1
            path = f"{repo_path}/contents/{quote(current, safe='/')}"
            try:
                _, body = self._get(path, _ref_params(ref))
            except GitHubNotFoundError:
                continue
            if not isinstance(body, list):  # a file, not a directory
                continue
            entries = self._parse("GET", path, _directory_entries, body)
            for entry in entries:
                if entry["type"] == "dir":
                    pending.append(entry["path"])
                elif entry["type"] == "file" and entry["path"].lower().endswith(MARKDOWN_SUFFIXES):
                    if len(files) >= max_files:
                        break
                    files.append(self._doc_from_listing(full_name, entry, max_bytes))
        return files

    # --- plumbing -----------------------------------------------------------------------------

    def _doc_from_listing(self, full_name: str, entry: Mapping[str, Any], max_bytes: int) -> DocFile:
        if entry["size"] > max_bytes:
            return DocFile(path=entry["path"], size=entry["size"], text=None, skipped=models.TOO_LARGE)
        return _doc_file(entry["path"], entry["size"], self._blob(full_name, entry["sha"]), max_bytes)

    def _blob(self, full_name: str, sha: str) -> bytes:
        path = f"{_repo_path(full_name)}/git/blobs/{quote(sha, safe='')}"
        return self._parse("GET", path, _blob_bytes, self._get(path)[1])

    def _get(self, url: str, params: dict[str, Any] | None = None) -> tuple[dict[str, Any], Any]:
        """One GET through PyGithub (retried on connection errors and 5xx), logged and translated."""
        path = _path_of(url)
        started = time.monotonic()
        fields: dict[str, Any] = {"method": "GET", "path": path}
        try:
            headers, body = self._requester.requestJsonAndCheck("GET", url, parameters=params)
        except GithubException as error:
            failure = self._http_error(error, "GET", path)
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

    def _http_error(self, error: GithubException, method: str, path: str) -> GitHubError:
        status = error.status
        headers = {str(key).lower(): str(value) for key, value in (error.headers or {}).items()}
        message = _github_message(error.data)
        said = f": {self._scrub(message)}" if message else ""
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
                f"GitHub failed ({status}) for {method} {path} after {self.retry_attempts} attempt(s){said}", **where
            )
        return GitHubError(f"GitHub rejected {method} {path} ({status}){said}", **where)

    def _parse(self, method: str, path: str, parser: Callable[[Any], T], body: Any) -> T:
        try:
            return parser(body)
        except models.ResponseShapeError as error:
            raise GitHubInvalidResponseError(
                self._scrub(f"GitHub answered {method} {path} with an unexpected body: {error}"),
                method=method,
                path=path,
                status=200,
            ) from None

    def _next_link(self, headers: Mapping[str, Any], current: str, seen: set[str]) -> str | None:
        links = {rel: url for url, rel in _LINK.findall(str(headers.get("link") or ""))}
        url = links.get("next")
        if not url:
            return None
        parts, base = urlsplit(url), urlsplit(self.base_url)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or not parts.path.startswith(base.path):
            raise GitHubInvalidResponseError(
                f"GitHub's next-page link for GET {_path_of(current)} leaves the API", method="GET", path=current
            )
        if url in seen:
            raise GitHubInvalidResponseError(
                f"GitHub's next-page link for GET {_path_of(current)} loops", method="GET", path=current
            )
        return url

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            if len(secret) >= 4:
                text = text.replace(secret, "[redacted]")
        return _TOKEN_LIKE.sub("[redacted]", text)


# --- helpers ----------------------------------------------------------------------------------


def _path_of(url: str) -> str:
    """The API path of a relative path or of a full URL (no host, no query)."""
    return urlsplit(url).path or url


def _repo_path(full_name: str) -> str:
    owner, separator, name = (full_name or "").partition("/")
    if not separator or not _NAME.match(owner) or not _NAME.match(name):
        raise ValueError("full_name must be 'owner/repository'")
    return f"/repos/{owner}/{name}"


def _ref_params(ref: str | None) -> dict[str, str] | None:
    if ref is None:
        return None
    if not isinstance(ref, str) or not ref.strip():
        raise ValueError("ref must be a branch, tag or commit SHA, or None")
    return {"ref": ref}


def _check_positive(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer")


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


def _file_entry(body: Any) -> dict[str, Any]:
    data = models.expect_object(body, "the file")
    return {
        "path": models.required_str(data, "path", "the file"),
        "size": models.required_int(data, "size", "the file"),
        "sha": models.required_str(data, "sha", "the file"),
        "encoding": models.optional_str(data, "encoding", "the file"),
        "content": models.optional_str(data, "content", "the file"),
    }


def _directory_entries(body: Any) -> list[dict[str, Any]]:
    entries = []
    for index, item in enumerate(models.expect_list(body, "the directory listing")):
        where = f"directory entry {index}"
        data = models.expect_object(item, where)
        entries.append(
            {
                "type": models.required_str(data, "type", where),
                "path": models.required_str(data, "path", where),
                "size": models.required_int(data, "size", where),
                "sha": models.required_str(data, "sha", where),
            }
        )
    return sorted(entries, key=lambda entry: entry["path"])


def _decode_base64(content: str) -> bytes:
    try:
        return base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError):
        raise models.ResponseShapeError("field 'content' is not valid base64") from None


def _blob_bytes(body: Any) -> bytes:
    data = models.expect_object(body, "the blob")
    encoding = models.optional_str(data, "encoding", "the blob")
    content = models.optional_str(data, "content", "the blob")
    if encoding == "base64":
        return _decode_base64(content)
    if encoding in ("utf-8", "utf8"):
        return content.encode()
    raise models.ResponseShapeError(f"the blob: unsupported encoding {encoding[:20]!r}")


def _doc_file(path: str, size: int, data: bytes, max_bytes: int) -> DocFile:
    if len(data) > max_bytes:  # the listing under-reported it
        return DocFile(path=path, size=len(data), text=None, skipped=models.TOO_LARGE)
    text, skipped = models.classify_content(data)
    return DocFile(path=path, size=size, text=text, skipped=skipped)
