"""github_sync against the sandbox GitHub, over HTTP, through the real PyGithub client."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.choices import SyncStatus, Trigger
from apps.projects.choices import ProjectState
from apps.projects.models import GitHubAccount, Project
from apps.projects.services import github_sync_all, github_sync_now
from apps.sandbox.github.services import (
    sandbox_github_fault_add,
    sandbox_github_fault_rate_limited,
    sandbox_github_repo_remove,
    sandbox_github_repo_rename,
)
from tests.projects.conftest import ORG

pytestmark = pytest.mark.django_db(transaction=True)


def rows():
    return list(Project.objects.order_by("id").values())


def test_a_sync_creates_a_project_for_each_repository(sandbox_account):
    run = github_sync_now(account=sandbox_account)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert run.created == 5
    assert Project.objects.filter(state=ProjectState.ACTIVE).count() == 5
    sandbox_account.refresh_from_db()
    assert sandbox_account.last_sync_status == SyncStatus.SUCCEEDED


def test_a_second_sync_changes_nothing(sandbox_account):
    github_sync_now(account=sandbox_account)
    before = rows()

    run = github_sync_now(account=sandbox_account)

    assert (run.created, run.updated, run.removed, run.unchanged) == (0, 0, 0, 5)
    assert rows() == before


def test_a_renamed_repository_keeps_its_row_with_the_new_name(sandbox_account):
    github_sync_now(account=sandbox_account)
    first = Project.objects.order_by("github_id").first()

    sandbox_github_repo_rename(name=first.name, new_name="renamed-service", organization=ORG)
    run = github_sync_now(account=sandbox_account)

    first.refresh_from_db()
    assert run.updated == 1
    assert first.full_name == f"{ORG}/renamed-service"
    assert Project.objects.count() == 5


def test_a_repository_removed_from_the_organization_is_archived(sandbox_account):
    github_sync_now(account=sandbox_account)
    gone = Project.objects.order_by("github_id").last()

    sandbox_github_repo_remove(name=gone.name, organization=ORG)
    run = github_sync_now(account=sandbox_account)

    gone.refresh_from_db()
    assert run.removed == 1
    assert gone.state == ProjectState.ARCHIVED
    assert Project.objects.count() == 5


def test_a_bad_token_fails_the_run_with_a_clear_error_and_changes_nothing(sandbox_account):
    github_sync_now(account=sandbox_account)
    before = rows()
    GitHubAccount.objects.filter(pk=sandbox_account.pk).update(token="ghp_wrong_token_value")
    sandbox_account.refresh_from_db()

    run = github_sync_now(account=sandbox_account)

    assert run.status == SyncStatus.FAILED
    assert "credentials" in run.error.lower()
    assert "ghp_wrong_token_value" not in run.error
    assert rows() == before


def test_a_server_error_then_success_is_retried(sandbox_account):
    sandbox_github_fault_add(path="/orgs/*/repos", status=500, times=1)

    run = github_sync_now(account=sandbox_account)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert Project.objects.count() == 5


def test_a_rate_limit_with_reset_in_the_future_stops_the_run_writes_nothing_and_pauses_the_account(sandbox_account):
    github_sync_now(account=sandbox_account)
    before = rows()
    reset_at = timezone.now() + timedelta(minutes=20)
    sandbox_github_fault_rate_limited(path="/orgs/*/repos", reset_at=reset_at, times=None)

    started = timezone.now()
    run = github_sync_now(account=sandbox_account)

    assert (timezone.now() - started).total_seconds() < 5, "the worker must not sleep until the reset"
    assert run.status == SyncStatus.FAILED
    assert "rate limit" in run.error.lower()
    assert rows() == before
    sandbox_account.refresh_from_db()
    assert abs((sandbox_account.not_before - reset_at).total_seconds()) < 2
    # The scheduled runs respect the pause: nothing is queued for this account until then.
    assert github_sync_all(trigger=Trigger.SCHEDULE) == []


def test_a_budget_too_small_for_the_listing_stops_before_any_request_for_repositories(sandbox_account, settings):
    settings.GITHUB_RATE_LIMIT_RESERVE = 4999

    run = github_sync_now(account=sandbox_account)

    assert run.status == SyncStatus.FAILED
    assert "rate limit" in run.error.lower()
    assert not Project.objects.exists()
    sandbox_account.refresh_from_db()
    assert sandbox_account.not_before is not None


def test_an_empty_organization_succeeds_with_no_projects(sandbox_github, settings):
    from tests.projects.factories import github_account

    settings.SANDBOX_GITHUB_ORGANIZATION = "empty-org"
    settings.SANDBOX_GITHUB_REPO_COUNT = 0
    empty = github_account(organization="empty-org", base_url=sandbox_github, token="projects-tests-github-token")

    run = github_sync_now(account=empty)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert (run.created, run.removed) == (0, 0)


def test_a_sync_that_adds_or_changes_projects_queues_their_docs_indexing_and_an_unchanged_one_does_not(
    sandbox_account,
):
    from apps.core.models import SyncRun

    def indexing_runs() -> int:
        return SyncRun.objects.filter(kind="docs_index", account_id=sandbox_account.pk).count()

    github_sync_now(account=sandbox_account)
    assert indexing_runs() == 1

    github_sync_now(account=sandbox_account)
    assert indexing_runs() == 1
