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
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.core.choices import FINISHED_SYNC_STATUSES, SyncKind, SyncStatus, Trigger
from apps.core.leases import sync_lease_claim, sync_lease_holder, sync_lease_release
from apps.core.models import SyncRun
from apps.core.sync_runs import (
    sync_run_create,
    sync_run_finish,
    sync_run_queue,
    sync_run_reload,
    sync_run_start,
    sync_runs_of,
)
from apps.integrations.github import GitHubError, GitHubRateLimitedError
from apps.projects import task_names
from apps.projects.github import github_client_for
from apps.projects.models import GitHubAccount, Project
from apps.projects.services.write import projects_write

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


def github_sync_queue(*, account: GitHubAccount, trigger: Trigger, user=None) -> SyncRun:
    run = sync_run_create(kind=SyncKind.GITHUB_SYNC, account=account, trigger=trigger, user=user)
    return sync_run_queue(run=run, task_name=task_names.SYNC_ACCOUNT, account_model=GitHubAccount)


def github_sync_all(*, trigger: Trigger = Trigger.SCHEDULE) -> list[int]:
    """Queue one sync per enabled account not paused by the rate limit and not still syncing."""
    queued = []
    recent = timezone.now() - sync_lease_ttl()
    for account in schedulable_accounts():
        unfinished = sync_runs_of(kind=SyncKind.GITHUB_SYNC, account=account).exclude(status__in=FINISHED_SYNC_STATUSES)
        if unfinished.filter(created_at__gte=recent).exists():
            continue
        queued.append(github_sync_queue(account=account, trigger=trigger).pk)
    return queued


def github_sync_now(*, account: GitHubAccount, trigger: Trigger = Trigger.OPERATOR) -> SyncRun:
    """Sync one account in this process (`manage.py sync_projects`, benchmarks)."""
    run = sync_run_create(kind=SyncKind.GITHUB_SYNC, account=account, trigger=trigger)
    return github_sync_run(sync_run_id=run.pk)


def _pause(account: GitHubAccount, reset_at: datetime) -> None:
    GitHubAccount.objects.filter(pk=account.pk).update(not_before=reset_at)


def _fail(run: SyncRun, error: str) -> None:
    sync_run_finish(run=run, account_model=GitHubAccount, status=SyncStatus.FAILED, error=error)


def _check_budget(client, account: GitHubAccount) -> None:
    budget = client.rate_budget()
    known = Project.objects.filter(account=account).count()
    pages = math.ceil(max(known, 1) / settings.GITHUB_PER_PAGE) + 1
    if budget.remaining - settings.GITHUB_RATE_LIMIT_RESERVE < pages:
        raise RateBudgetExhausted(
            f"GitHub rate limit: {budget.remaining} requests left, about {pages} needed plus a reserve of "
            f"{settings.GITHUB_RATE_LIMIT_RESERVE}",
            reset_at=budget.reset_at,
        )


def github_sync_run(*, sync_run_id: int) -> SyncRun | None:
    """Run one queued sync. Safe to call again for the same run (a redelivered task)."""
    run = SyncRun.objects.filter(pk=sync_run_id, kind=SyncKind.GITHUB_SYNC).first()
    if run is None or run.status in FINISHED_SYNC_STATUSES:
        return run
    account = GitHubAccount.objects.filter(pk=run.account_id).first()
    if account is None or not account.enabled:
        _fail(run, "the account was deleted or disabled before the sync ran")
        return sync_run_reload(run)
    if account.not_before and account.not_before > timezone.now() and run.trigger == Trigger.SCHEDULE:
        _fail(run, f"paused by GitHub's rate limit until {account.not_before.isoformat()}")
        return sync_run_reload(run)
    owner = f"sync-run:{run.pk}"
    if not sync_lease_claim(model=GitHubAccount, account_id=account.pk, owner=owner, ttl=sync_lease_ttl()):
        holder = sync_lease_holder(model=GitHubAccount, account_id=account.pk) or "another sync"
        _fail(run, f"another sync of this account is running ({holder})")
        return sync_run_reload(run)
    sync_run_start(run=run)
    bound = log.bind(sync_run_id=run.pk, github_account_id=account.pk)
    try:
        with github_client_for(account) as client:
            _check_budget(client, account)
            repositories = [repository for page in client.repository_pages() for repository in page]
        if len({repository.id for repository in repositories}) != len(repositories):
            raise GitHubError("GitHub listed the same repository twice; nothing was written")
        counts = projects_write(account=account, repositories=repositories, now=timezone.now())
    except (RateBudgetExhausted, GitHubRateLimitedError) as error:
        _pause(account, error.reset_at)
        bound.warning("github_sync_rate_limited", reset_at=error.reset_at.isoformat())
        _fail(run, f"{error}; stopped before writing anything, next run after {error.reset_at.isoformat()}")
    except GitHubError as error:
        bound.warning("github_sync_failed", error=str(error))
        _fail(run, str(error))
    except SoftTimeLimitExceeded:
        _fail(run, "timed out: the sync ran longer than its time limit")
    except Exception as error:
        bound.exception("github_sync_crashed")
        _fail(run, f"internal error: {type(error).__name__}")
        raise
    else:
        GitHubAccount.objects.filter(pk=account.pk).update(not_before=None)
        bound.info("github_sync_succeeded", **counts.__dict__)
        sync_run_finish(run=run, account_model=GitHubAccount, status=SyncStatus.SUCCEEDED, counts=counts.__dict__)
    finally:
        sync_lease_release(model=GitHubAccount, account_id=account.pk, owner=owner)
    return sync_run_reload(run)
