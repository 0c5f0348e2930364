"""github_sync: keep a Project for every repository of each enabled GitHub organization.

GitHub's rate limit is respected without sleeping in a worker: a run checks its budget before
it starts, and when the budget cannot finish the listing — or GitHub answers "rate limited" —
the run stops before writing anything and the account gets a not-before time that the
scheduled runs respect.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.core.choices import SyncKind, Trigger
from apps.core.models import SyncRun
from apps.integrations.github import GitHubError, GitHubRateLimitedError
from apps.projects import task_names
from apps.projects.github import github_client_for
from apps.projects.models import GitHubAccount, Project
from apps.projects.services.write import projects_write
from apps.syncs.runner import SyncRunner
from apps.syncs.runs import sync_run_create, sync_run_queue, sync_run_unfinished

log = structlog.get_logger(__name__)


class RateBudgetExhausted(Exception):
    def __init__(self, message: str, *, reset_at: datetime) -> None:
        super().__init__(message)
        self.reset_at = reset_at


def sync_lease_ttl() -> timedelta:
    return timedelta(seconds=settings.GITHUB_SYNC_TIME_LIMIT + 60)


def schedulable_accounts():
    """Enabled accounts whose rate-limit pause, if any, is over."""
    now = timezone.now()
    return GitHubAccount.objects.filter(enabled=True).filter(Q(not_before__isnull=True) | Q(not_before__lte=now))


def github_sync_queue(*, account: GitHubAccount, trigger: Trigger, user=None, countdown: int | None = None) -> SyncRun:
    run = sync_run_create(kind=SyncKind.GITHUB_SYNC, account=account, trigger=trigger, user=user)
    return sync_run_queue(run=run, task_name=task_names.SYNC_ACCOUNT, account_model=GitHubAccount, countdown=countdown)


def docs_index_queue(*, account: GitHubAccount, trigger: Trigger, user=None) -> SyncRun:
    """Record a queued docs indexing of one account (defined here: a finished sync queues one)."""
    run = sync_run_create(kind=SyncKind.DOCS_INDEX, account=account, trigger=trigger, user=user)
    return sync_run_queue(run=run, task_name=task_names.DOCS_INDEX_ACCOUNT, account_model=GitHubAccount)


def github_sync_all(*, trigger: Trigger = Trigger.SCHEDULE) -> list[int]:
    """Queue one sync per enabled account not paused by the rate limit and not still syncing."""
    queued = []
    for account in schedulable_accounts():
        if sync_run_unfinished(kind=SyncKind.GITHUB_SYNC, account=account, within=sync_lease_ttl()):
            continue
        queued.append(github_sync_queue(account=account, trigger=trigger).pk)
    return queued


def github_sync_now(*, account: GitHubAccount, trigger: Trigger = Trigger.OPERATOR) -> SyncRun:
    """Sync one account in this process (`manage.py sync_projects`, benchmarks)."""
    run = sync_run_create(kind=SyncKind.GITHUB_SYNC, account=account, trigger=trigger)
    return github_sync_run(sync_run_id=run.pk)


def pause_for_rate_limit(account: GitHubAccount, error: Exception) -> str | None:
    """The failure message of GitHub runs (sync, docs indexing): a rate-limited run pauses the
    account until GitHub's reset."""
    reset_at = getattr(error, "reset_at", None)
    if not isinstance(error, RateBudgetExhausted | GitHubRateLimitedError) or reset_at is None:
        return None
    GitHubAccount.objects.filter(pk=account.pk).update(not_before=reset_at)
    return f"{error}; stopped, next run after {reset_at.isoformat()}"


def _check_budget(client, account: GitHubAccount) -> None:
    budget = client.rate_budget()
    known = Project.objects.filter(account=account).count()
    pages = math.ceil(max(known, 1) / settings.GITHUB_PER_PAGE) + 1
    if budget.remaining - settings.GITHUB_RATE_LIMIT_RESERVE < pages:
        raise RateBudgetExhausted(
            f"GitHub rate limit: {budget.remaining} requests left, about {pages} needed plus a reserve of "
            f"{settings.GITHUB_RATE_LIMIT_RESERVE}; nothing was written",
            reset_at=budget.reset_at,
        )


class GitHubSyncRunner(SyncRunner):
    """A sync of one GitHub account: its repositories, written as Project rows."""

    kind = SyncKind.GITHUB_SYNC
    account_model = GitHubAccount
    expected_errors = (GitHubError, RateBudgetExhausted)

    def lease_ttl(self) -> timedelta:
        return sync_lease_ttl()

    def work(self, account: GitHubAccount, counts: dict[str, int]) -> None:
        self.schedule_waits_for_pause(account, paused_by="GitHub's rate limit")
        with github_client_for(account) as client:
            _check_budget(client, account)
            repositories = [repository for page in client.repository_pages() for repository in page]
        if len({repository.id for repository in repositories}) != len(repositories):
            raise GitHubError("GitHub listed the same repository twice; nothing was written")
        written = projects_write(account=account, repositories=repositories, now=timezone.now())
        counts.update(written.__dict__)
        GitHubAccount.objects.filter(pk=account.pk).update(not_before=None)
        if written.created or written.updated:
            # New or pushed repositories get their docs indexed now, not at the next 10-minute run.
            docs_index_queue(account=account, trigger=self.run.trigger)

    def failure_message(self, account: GitHubAccount, error: Exception) -> str | None:
        return pause_for_rate_limit(account, error)


def github_sync_run(*, sync_run_id: int) -> SyncRun | None:
    """Run one queued sync. Safe to call again for the same run (a redelivered task)."""
    return GitHubSyncRunner().execute(sync_run_id)
