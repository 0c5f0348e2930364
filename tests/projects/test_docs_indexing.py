"""Docs indexing against the sandbox GitHub: only what moved is read again; search across projects."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.choices import SyncStatus
from apps.projects.choices import ProjectState
from apps.projects.models import DocChunk, Project
from apps.projects.selectors import docs_search
from apps.projects.services import docs_index_now, github_sync_now
from apps.sandbox.github.selectors import sandbox_github_request_counts
from apps.sandbox.github.services import (
    sandbox_github_fault_rate_limited,
    sandbox_github_file_put,
    sandbox_github_repo_push,
    sandbox_github_repo_remove,
    sandbox_github_request_counts_reset,
)
from tests.projects.conftest import ORG

pytestmark = pytest.mark.django_db(transaction=True)


def branch_requests() -> int:
    return sum(count for key, count in sandbox_github_request_counts().items() if "/branches/" in key)


@pytest.fixture
def synced(sandbox_account):
    assert github_sync_now(account=sandbox_account).status == SyncStatus.SUCCEEDED
    return sandbox_account


def test_indexing_stores_chunks_summaries_and_counts_for_every_project(synced):
    run = docs_index_now(account=synced)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert run.updated == 5
    for project in Project.objects.all():
        assert project.docs_commit
        assert project.summary
        assert project.docs_files_indexed >= 2  # README and docs/
        assert DocChunk.objects.filter(project=project, path="README.md").exists()
        assert DocChunk.objects.filter(project=project, path__startswith="docs/").exists()


def test_a_second_run_asks_github_nothing_when_nothing_was_pushed(synced):
    docs_index_now(account=synced)
    chunk_ids = set(DocChunk.objects.values_list("id", flat=True))
    sandbox_github_request_counts_reset()

    run = docs_index_now(account=synced)

    assert (run.updated, run.unchanged) == (0, 5)
    assert sandbox_github_request_counts() == {}
    assert set(DocChunk.objects.values_list("id", flat=True)) == chunk_ids


def test_only_the_project_that_was_pushed_is_read_and_embedded_again(synced):
    docs_index_now(account=synced)
    pushed = Project.objects.order_by("github_id").first()
    untouched = list(DocChunk.objects.exclude(project=pushed).values_list("id", flat=True))
    sandbox_github_repo_push(
        name=pushed.name,
        organization=ORG,
        files={
            "docs/new-runbook.md": "# Runbook\n\nPage the on-call engineer when the quarterly reconciliation drifts."
        },
    )
    github_sync_now(account=synced)
    sandbox_github_request_counts_reset()

    run = docs_index_now(account=synced)

    assert (run.updated, run.unchanged) == (1, 4)
    assert branch_requests() == 1
    assert sorted(DocChunk.objects.exclude(project=pushed).values_list("id", flat=True)) == sorted(untouched)
    assert DocChunk.objects.filter(project=pushed, path="docs/new-runbook.md").exists()


def test_of_a_pushed_project_only_the_files_whose_blob_changed_are_downloaded_and_embedded(synced):
    docs_index_now(account=synced)
    pushed = Project.objects.order_by("github_id").first()
    kept = set(DocChunk.objects.filter(project=pushed).exclude(path="docs/operations.md").values_list("id", flat=True))
    sandbox_github_repo_push(
        name=pushed.name,
        organization=ORG,
        files={"docs/operations.md": "# Operating\n\nPage the on-call engineer when the reconciliation drifts."},
    )
    github_sync_now(account=synced)
    sandbox_github_request_counts_reset()

    run = docs_index_now(account=synced)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    blobs = [key for key in sandbox_github_request_counts() if "/git/blobs/" in key]
    assert len(blobs) == 1  # the changed file alone; the other docs are known by their blob SHA
    assert (
        set(DocChunk.objects.filter(project=pushed).exclude(path="docs/operations.md").values_list("id", flat=True))
        == kept
    )
    operations = DocChunk.objects.get(project=pushed, path="docs/operations.md")
    assert "reconcili" in operations.terms.split()  # stemmed
    pushed.refresh_from_db()
    assert pushed.docs_files_indexed == DocChunk.objects.filter(project=pushed).values("path").distinct().count()
    results = docs_search(query="reconciliation drifts", limit=3, project=pushed.full_name).results
    assert results[0].path == "docs/operations.md"
    assert results[0].url == f"{pushed.html_url}/blob/{pushed.docs_commit}/docs/operations.md#operating"


def test_an_oversized_readme_and_a_file_that_is_not_utf8_are_skipped_and_counted(synced, settings):
    settings.DOCS_MAX_FILE_BYTES = 200_000
    big, broken = Project.objects.order_by("github_id")[:2]
    sandbox_github_file_put(name=big.name, organization=ORG, path="README.md", size=1_100_000)
    sandbox_github_file_put(
        name=broken.name, organization=ORG, path="docs/latin1.md", content=b"caf\xe9 \xff\xfe notes"
    )
    github_sync_now(account=synced)

    run = docs_index_now(account=synced)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    big.refresh_from_db()
    broken.refresh_from_db()
    assert big.docs_files_skipped == 1
    assert not DocChunk.objects.filter(project=big, path="README.md").exists()
    assert DocChunk.objects.filter(project=big, path__startswith="docs/").exists()
    assert broken.docs_files_skipped == 1
    assert not DocChunk.objects.filter(project=broken, path="docs/latin1.md").exists()


def test_search_finds_the_project_whose_docs_answer_the_question(synced):
    docs_index_now(account=synced)
    project = Project.objects.get(name="deploy-pipeline")

    results = docs_search(query="roll back a stalled blue-green rollout", limit=5).results

    assert results, "no result"
    assert results[0].project == project.full_name
    assert results[0].score >= results[-1].score


def test_an_archived_projects_chunks_are_cleared_and_it_leaves_the_results(synced):
    docs_index_now(account=synced)
    project = Project.objects.get(name="deploy-pipeline")
    sandbox_github_repo_remove(name=project.name, organization=ORG)
    github_sync_now(account=synced)
    assert Project.objects.get(pk=project.pk).state == ProjectState.ARCHIVED

    run = docs_index_now(account=synced)

    assert run.removed == 1
    assert not DocChunk.objects.filter(project=project).exists()
    assert all(
        result.project != project.full_name for result in docs_search(query="blue-green rollout", limit=10).results
    )


def test_a_rate_limit_mid_run_stops_cleanly_keeps_what_was_done_and_pauses_the_account(synced):
    reset_at = timezone.now() + timedelta(minutes=30)
    sandbox_github_fault_rate_limited(path="/repos/*/*/branches/*", reset_at=reset_at, times=None)

    run = docs_index_now(account=synced)

    assert run.status == SyncStatus.FAILED
    assert "rate limit" in run.error
    synced.refresh_from_db()
    assert synced.not_before is not None
    assert not DocChunk.objects.exists()
