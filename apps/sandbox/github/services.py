"""Writes of the sandbox GitHub: seeding, the world-changing helpers tests use, faults, counters.

Tests change the world through these functions (rename, remove, push, put a file) and then
watch the platform's GitHub client see the change over HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.exceptions import ConflictError, NotFoundError, ValidationError
from apps.sandbox.github import catalog
from apps.sandbox.models import (
    SandboxGitHubFault,
    SandboxGitHubRateWindow,
    SandboxGitHubRequestCount,
    SandboxRepoFile,
    SandboxRepository,
)

log = structlog.get_logger(__name__)

SEED_BATCH_SIZE = 500
RATE_WINDOW_SECONDS = 3600
MAX_COUNTED_PATH = 1000
FILLER = b"Sandbox filler text for size tests. "


# --- Seeding ------------------------------------------------------------------------------
def _organization(organization: str | None) -> str:
    return organization or settings.SANDBOX_GITHUB_ORGANIZATION


def _file_row(repository_id: int, path: str, content: bytes) -> SandboxRepoFile:
    return SandboxRepoFile(
        repository_id=repository_id, path=path, content=content, size=len(content), sha=catalog.blob_sha(content)
    )


def sandbox_github_repos_ensure(*, count: int, organization: str | None = None) -> int:
    """Make sure the organization has seeded repositories 1..count (with their files); return
    how many this call inserted.

    Idempotent and safe when several requests seed at once (every row derives from the
    organization and n alone; unique constraints and ignore_conflicts settle races). Removed
    or renamed repositories stay as they are, and repositories beyond `count` are kept.
    """
    org = _organization(organization)
    if count <= 0:
        return 0
    if count > catalog.MAX_REPOS:
        raise ValueError(f"the sandbox GitHub seeds at most {catalog.MAX_REPOS} repositories, not {count}")
    seeded = SandboxRepository.objects.filter(organization=org, seed_number__lte=count)
    if seeded.count() >= count:
        return 0
    existing = set(seeded.values_list("seed_number", flat=True))
    missing = [n for n in range(1, count + 1) if n not in existing]
    with transaction.atomic():
        SandboxRepository.objects.bulk_create(
            [SandboxRepository(**catalog.repo_values(org, n)) for n in missing],
            batch_size=SEED_BATCH_SIZE,
            ignore_conflicts=True,
        )
        wanted = set(missing)
        ids = {n: pk for n, pk in seeded.values_list("seed_number", "pk") if n in wanted}
        files = [
            _file_row(ids[n], path, content)
            for n in missing
            if n in ids
            for path, content in catalog.repo_files(org, n).items()
        ]
        SandboxRepoFile.objects.bulk_create(files, batch_size=SEED_BATCH_SIZE, ignore_conflicts=True)
    log.info("sandbox.github_repos_seeded", organization=org, added=len(missing), count=count)
    return len(missing)


def sandbox_github_repos_ensure_configured() -> int:
    """Seed SANDBOX_GITHUB_ORGANIZATION up to SANDBOX_GITHUB_REPO_COUNT: what every request does first."""
    return sandbox_github_repos_ensure(count=settings.SANDBOX_GITHUB_REPO_COUNT)


# --- Changing the world (tests, development) ------------------------------------------------
def _live_repo(name: str, organization: str | None) -> SandboxRepository:
    """The live repository, after seeding the configured organization (as a request would)."""
    sandbox_github_repos_ensure_configured()
    repo = SandboxRepository.objects.filter(
        organization=_organization(organization), name__iexact=name, removed_at__isnull=True
    ).first()
    if repo is None:
        raise NotFoundError(f"No sandbox repository {_organization(organization)}/{name}")
    return repo


@transaction.atomic
def sandbox_github_repo_rename(*, name: str, new_name: str, organization: str | None = None) -> SandboxRepository:
    """Rename a repository: same id, new name; the old name answers 301 to /repositories/{id}."""
    if not new_name or "/" in new_name:
        raise ValidationError("new_name must be a repository name")
    repo = _live_repo(name, organization)
    taken = SandboxRepository.objects.filter(
        organization=repo.organization, name__iexact=new_name, removed_at__isnull=True
    ).exclude(pk=repo.pk)
    if taken.exists():
        raise ConflictError(f"{repo.organization}/{new_name} already exists")
    repo.former_names = [*repo.former_names, repo.name]
    repo.name = new_name
    repo.save(update_fields=["name", "former_names"])
    log.info("sandbox.github_repo_renamed", github_id=repo.github_id, name=new_name)
    return repo


def sandbox_github_repo_remove(*, name: str, organization: str | None = None) -> None:
    """Delete a repository as GitHub would (it disappears from the listing; its paths answer 404).
    Seeding never brings it back."""
    repo = _live_repo(name, organization)
    SandboxRepository.objects.filter(pk=repo.pk).update(removed_at=timezone.now())
    log.info("sandbox.github_repo_removed", github_id=repo.github_id)


def sandbox_github_repo_update(*, name: str, organization: str | None = None, **fields: object) -> SandboxRepository:
    """Change listing fields (description, topics, visibility, fork, archived, default_branch)."""
    allowed = {"description", "topics", "visibility", "fork", "archived", "default_branch"}
    if set(fields) - allowed:
        raise ValidationError(f"only {sorted(allowed)} can be changed")
    repo = _live_repo(name, organization)
    for field, value in fields.items():
        setattr(repo, field, value)
    repo.save(update_fields=list(fields))
    return repo


@transaction.atomic
def sandbox_github_repo_push(
    *,
    name: str,
    files: Mapping[str, bytes | str | None] | None = None,
    organization: str | None = None,
    at: datetime | None = None,
) -> str:
    """A new commit on the default branch: new head SHA, pushed_at (now, or `at`), and the
    files given written (None deletes one). Without files, a line is appended to README.md.
    Returns the new head SHA."""
    repo = _live_repo(name, organization)
    if files is None:
        readme = SandboxRepoFile.objects.filter(repository=repo, path="README.md").first()
        old = bytes(readme.content) if readme else b""
        files = {"README.md": old + f"\nUpdated by push after {repo.head_sha[:7]}.\n".encode()}
    for path, content in files.items():
        path = path.strip("/")
        SandboxRepoFile.objects.filter(repository=repo, path=path).delete()
        if content is not None:
            data = content.encode() if isinstance(content, str) else bytes(content)
            _file_row(repo.pk, path, data).save()
    repo.head_sha = catalog.commit_sha(repo.organization.lower(), repo.github_id, repo.head_sha)
    repo.pushed_at = at or timezone.now()
    repo.save(update_fields=["head_sha", "pushed_at"])
    log.info("sandbox.github_repo_pushed", github_id=repo.github_id, files=len(files))
    return repo.head_sha


def sandbox_github_file_put(
    *,
    name: str,
    path: str,
    content: bytes | str | None = None,
    size: int | None = None,
    organization: str | None = None,
) -> str:
    """Push one file: `content` as given, or `size` bytes of ASCII filler text. Returns the new head SHA."""
    if (content is None) == (size is None):
        raise ValidationError("pass either content or size")
    if content is None:
        data = (FILLER * (size // len(FILLER) + 1))[:size]  # type: ignore[operator]
    else:
        data = content.encode() if isinstance(content, str) else content
    return sandbox_github_repo_push(name=name, files={path: data}, organization=organization)


# --- Faults ---------------------------------------------------------------------------------
def sandbox_github_fault_add(
    *,
    path: str,
    status: int,
    method: str = "GET",
    body: object = None,
    headers: Mapping[str, str] | None = None,
    times: int | None = 1,
    rate_limit_reset: datetime | None = None,
) -> SandboxGitHubFault:
    """Answer the next `times` requests (None: all, until cleared) whose API path matches the
    glob `path` (e.g. "/orgs/*/repos", "*") and method ("" = any) with `status` and `body`
    (default: GitHub's message for the status)."""
    if times is not None and times < 1:
        raise ValidationError("times must be at least 1, or None for every request")
    return SandboxGitHubFault.objects.create(
        method=method.upper(),
        path_glob=path,
        status=status,
        body=body,
        headers=dict(headers or {}),
        times=times,
        rate_limit_reset=rate_limit_reset,
    )


def sandbox_github_fault_rate_limited(
    *, path: str = "*", reset_at: datetime, times: int | None = 1, secondary: bool = False
) -> SandboxGitHubFault:
    """A primary rate limit (403, X-RateLimit-Remaining 0, X-RateLimit-Reset `reset_at`), or a
    secondary one (403 with Retry-After counting down to `reset_at`)."""
    if secondary:
        seconds = max(1, round((reset_at - timezone.now()).total_seconds()))
        body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}
        return sandbox_github_fault_add(
            path=path, status=403, method="", body=body, headers={"Retry-After": str(seconds)}, times=times
        )
    body = {"message": "API rate limit exceeded for installation. (Sandbox fault.)"}
    return sandbox_github_fault_add(path=path, status=403, method="", body=body, times=times, rate_limit_reset=reset_at)


def sandbox_github_faults_clear() -> int:
    deleted, _ = SandboxGitHubFault.objects.all().delete()
    return deleted


def sandbox_github_fault_take(*, method: str, path: str) -> SandboxGitHubFault | None:
    """The first fault matching this request, one of its `times` used up; None when none applies."""
    for fault in SandboxGitHubFault.objects.all():
        if fault.method and fault.method != method:
            continue
        if not fnmatchcase(path, fault.path_glob):
            continue
        if fault.times is None:
            return fault
        # Conditional update: two concurrent requests never both take the last use.
        if SandboxGitHubFault.objects.filter(pk=fault.pk, times__gt=0).update(times=F("times") - 1):
            SandboxGitHubFault.objects.filter(pk=fault.pk, times=0).delete()
            return fault
    return None


# --- Rate limit -----------------------------------------------------------------------------
@dataclass(frozen=True)
class RateState:
    limit: int
    used: int
    reset: int  # epoch seconds
    exhausted: bool = False

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


def _window(now: float | None) -> int:
    now = time.time() if now is None else now
    return int(now) // RATE_WINDOW_SECONDS * RATE_WINDOW_SECONDS


def sandbox_github_rate_state(*, now: float | None = None) -> RateState:
    """The current hour's budget, without using any of it."""
    window = _window(now)
    used = SandboxGitHubRateWindow.objects.filter(window_start=window).values_list("used", flat=True).first()
    return RateState(limit=settings.SANDBOX_GITHUB_RATE_LIMIT, used=used or 0, reset=window + RATE_WINDOW_SECONDS)


def sandbox_github_rate_consume(*, now: float | None = None) -> RateState:
    """Count one request against the hour's budget; `exhausted` when none was left (not counted).

    One conditional UPDATE in the database, so every web process shares the same counter.
    """
    window, limit = _window(now), settings.SANDBOX_GITHUB_RATE_LIMIT
    rows = SandboxGitHubRateWindow.objects.filter(window_start=window, used__lt=limit)
    taken = rows.update(used=F("used") + 1)
    if not taken and not SandboxGitHubRateWindow.objects.filter(window_start=window).exists():
        SandboxGitHubRateWindow.objects.bulk_create(
            [SandboxGitHubRateWindow(window_start=window, used=0)], ignore_conflicts=True
        )
        SandboxGitHubRateWindow.objects.filter(window_start__lt=window).delete()
        taken = rows.update(used=F("used") + 1)
    state = sandbox_github_rate_state(now=now)
    return RateState(limit=state.limit, used=state.used, reset=state.reset, exhausted=not taken)


def sandbox_github_rate_reset() -> None:
    SandboxGitHubRateWindow.objects.all().delete()


# --- Request counts -------------------------------------------------------------------------
def sandbox_github_request_record(*, method: str, path: str) -> None:
    path = path[:MAX_COUNTED_PATH]
    rows = SandboxGitHubRequestCount.objects.filter(method=method, path=path)
    if not rows.update(count=F("count") + 1):
        SandboxGitHubRequestCount.objects.bulk_create(
            [SandboxGitHubRequestCount(method=method, path=path, count=0)], ignore_conflicts=True
        )
        rows.update(count=F("count") + 1)


def sandbox_github_request_counts_reset() -> None:
    SandboxGitHubRequestCount.objects.all().delete()
