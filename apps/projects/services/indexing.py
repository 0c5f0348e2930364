"""Docs indexing: keep every active project's documentation chunked, embedded and searchable.

Cheap when nothing changed: the head commit is asked for only where the listing's `pushed_at`
moved since the last check; docs are listed again only where the head commit (or the index
format: terms version, semantic model) changed, and of those only the files whose blob changed
are downloaded, chunked and embedded again. Each project is re-indexed in one transaction, so
a run that stops half-way (rate limit, time limit) leaves every project either as it was or done.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.choices import SyncKind, Trigger
from apps.core.models import SyncRun
from apps.integrations.github import DocFile, GitHubError, GitHubNotFoundError, GitHubRateLimitedError
from apps.projects.choices import ProjectState
from apps.projects.docs_index import (
    EmbeddingBackend,
    docs_index_version_bump,
    extractive_summary,
    index_format,
    markdown_chunks,
    plain_text,
    semantic_backend,
    terms,
)
from apps.projects.docs_index.semantic import semantic_texts
from apps.projects.docs_index.vectors import STORED_DTYPE
from apps.projects.github import github_client_for
from apps.projects.models import DocChunk, GitHubAccount, Project
from apps.projects.services.sync import docs_index_queue, pause_for_rate_limit, schedulable_accounts
from apps.syncs.runner import SyncRunner
from apps.syncs.runs import sync_run_create

log = structlog.get_logger(__name__)
DOCS_LEASE = "docs_lease"
# Requests one re-indexed project may cost: head, readme, docs listing, files.
REQUESTS_PER_PROJECT_ESTIMATE = 4


@dataclass
class IndexCounts:
    indexed: int = 0
    unchanged: int = 0
    cleared: int = 0
    files_skipped: int = 0
    files_read: int = 0  # downloaded, chunked and embedded again
    files_kept: int = 0  # blob unchanged: the stored chunks kept as they were
    errors: list[str] = field(default_factory=list)


class BudgetExhausted(Exception):
    def __init__(self, reset_at: datetime) -> None:
        super().__init__("GitHub rate limit reached (finished projects are kept)")
        self.reset_at = reset_at


def docs_index_all(*, trigger: Trigger = Trigger.SCHEDULE) -> list[int]:
    return [docs_index_queue(account=account, trigger=trigger).pk for account in schedulable_accounts()]


def docs_index_now(*, account: GitHubAccount, trigger: Trigger = Trigger.OPERATOR) -> SyncRun:
    run = sync_run_create(kind=SyncKind.DOCS_INDEX, account=account, trigger=trigger)
    return docs_index_run(sync_run_id=run.pk)


def _documents(client, project: Project, head: str, known: dict[str, str]) -> tuple[DocFile | None, list[DocFile]]:
    readme = client.readme(project.full_name, head, max_bytes=settings.DOCS_MAX_FILE_BYTES)
    docs = client.docs_files(
        project.full_name,
        head,
        max_bytes=settings.DOCS_MAX_FILE_BYTES,
        max_files=settings.DOCS_MAX_FILES_PER_PROJECT,
        known_shas=known,
    )
    return readme, docs


def doc_chunks_build(project: Project, files: list[DocFile], backend: EmbeddingBackend | None) -> list[DocChunk]:
    """The chunks of these files, with their terms and (with a semantic backend) their vectors."""
    pieces = [
        (item, chunk)
        for item in files
        for chunk in markdown_chunks(path=item.path, text=item.text, max_chars=settings.DOCS_CHUNK_MAX_CHARS)
    ]
    plain = [plain_text(chunk.text) for _, chunk in pieces]
    vectors: list[bytes] = [b""] * len(pieces)
    if backend is not None and pieces:
        units = [
            semantic_texts(project_name=project.name, heading=chunk.heading, plain=text)
            for (_, chunk), text in zip(pieces, plain, strict=True)
        ]
        # One batch for the whole project; each chunk keeps its rows, in order, as one value.
        embedded = backend.embed_documents([text for texts in units for text in texts])
        bounds = np.cumsum([0, *(len(texts) for texts in units)])
        vectors = [embedded[start:end].astype(STORED_DTYPE).tobytes() for start, end in itertools.pairwise(bounds)]
    return [
        DocChunk(
            project=project,
            path=item.path[:500],
            file_sha=item.sha[:64],
            heading=chunk.heading[:500],
            anchor=chunk.anchor[:500],
            position=chunk.position,
            text=chunk.text,
            terms=" ".join(terms(text)),
            vector=vector,
            backend=backend.name if backend is not None else "",
        )
        for (item, chunk), text, vector in zip(pieces, plain, vectors, strict=True)
    ]


def _index_project(client, project: Project, backend: EmbeddingBackend | None, counts: IndexCounts) -> None:
    format_name = index_format(backend)
    try:
        head = client.head_commit(project.full_name, project.default_branch)
    except GitHubNotFoundError:
        head = ""  # an empty repository has no branch yet: nothing to index
    if head and head == project.docs_commit and project.docs_backend == format_name:
        Project.objects.filter(pk=project.pk).update(docs_checked_pushed_at=project.pushed_at)
        counts.unchanged += 1
        return
    # The blobs already indexed in this format: those files are neither downloaded nor embedded again.
    known: dict[str, str] = {}
    if project.docs_backend == format_name:
        known = dict(
            DocChunk.objects.filter(project=project)
            .exclude(file_sha="")
            .order_by()
            .values_list("path", "file_sha")
            .distinct()
        )
    readme, docs = _documents(client, project, head, known) if head else (None, [])
    files = ([readme] if readme else []) + docs
    kept = {item.path for item in files if item.unchanged or (item.sha and known.get(item.path) == item.sha)}
    fresh = [item for item in files if item.text is not None and item.path not in kept]
    skipped = sum(1 for item in files if item.skipped)
    chunks = doc_chunks_build(project, fresh, backend)
    summary = extractive_summary(
        text=readme.text if readme and readme.text else "", sentences=settings.DOCS_SUMMARY_SENTENCES
    )
    with transaction.atomic():
        DocChunk.objects.filter(project=project).exclude(path__in=kept).delete()
        DocChunk.objects.bulk_create(chunks, batch_size=500)
        Project.objects.filter(pk=project.pk).update(
            docs_commit=head,
            docs_checked_pushed_at=project.pushed_at,
            docs_indexed_at=timezone.now(),
            docs_backend=format_name,
            docs_files_indexed=len(fresh) + len(kept),
            docs_files_skipped=skipped,
            summary=summary,
        )
        docs_index_version_bump()
    counts.indexed += 1
    counts.files_skipped += skipped
    counts.files_read += len(fresh)
    counts.files_kept += len(kept)


def _needs_check(project: Project, format_name: str) -> bool:
    return (
        not project.docs_indexed_at
        or project.docs_backend != format_name
        or project.pushed_at != project.docs_checked_pushed_at
    )


def _clear_archived(account: GitHubAccount, counts: IndexCounts) -> None:
    archived_with_chunks = Project.objects.filter(
        account=account, state=ProjectState.ARCHIVED, doc_chunks__isnull=False
    )
    with transaction.atomic():
        projects = set(archived_with_chunks.values_list("pk", flat=True))
        if projects:
            DocChunk.objects.filter(project__in=projects).delete()
            docs_index_version_bump()
    counts.cleared = len(projects)


def _index_account(account: GitHubAccount, counts: IndexCounts) -> None:
    backend = semantic_backend()
    _clear_archived(account, counts)
    active = Project.objects.filter(account=account, state=ProjectState.ACTIVE).order_by("id")
    candidates = [project for project in active if _needs_check(project, index_format(backend))]
    counts.unchanged += active.count() - len(candidates)
    if not candidates:
        return
    with github_client_for(account) as client:
        budget = client.rate_budget()
        for project in candidates:
            if budget.remaining - settings.GITHUB_RATE_LIMIT_RESERVE < REQUESTS_PER_PROJECT_ESTIMATE:
                budget = client.rate_budget()
                if budget.remaining - settings.GITHUB_RATE_LIMIT_RESERVE < REQUESTS_PER_PROJECT_ESTIMATE:
                    raise BudgetExhausted(budget.reset_at)
            try:
                _index_project(client, project, backend, counts)
            except GitHubRateLimitedError:
                raise
            except GitHubError as error:
                # One unreadable repository must not stop the others.
                counts.errors.append(f"{project.full_name}: {error}")
            budget = replace(budget, remaining=budget.remaining - REQUESTS_PER_PROJECT_ESTIMATE)


class SomeProjectsFailed(Exception):
    """The run finished, but some repositories could not be read (each named in the message)."""


class DocsIndexRunner(SyncRunner):
    """An indexing of one GitHub account's docs, under the account's docs lease (beside its sync)."""

    kind = SyncKind.DOCS_INDEX
    account_model = GitHubAccount
    expected_errors = (GitHubError, BudgetExhausted, SomeProjectsFailed)
    lease = DOCS_LEASE
    # The account's "last sync" is github_sync's; the run itself says how indexing went.
    on_account = False

    def lease_ttl(self) -> timedelta:
        return timedelta(seconds=settings.DOCS_INDEX_TIME_LIMIT + 60)

    def work(self, account: GitHubAccount, counts: dict[str, int]) -> None:
        progress = IndexCounts()
        try:
            _index_account(account, progress)
        finally:
            counts.update(updated=progress.indexed, unchanged=progress.unchanged, removed=progress.cleared)
            log.info(
                "docs_index_progress",
                github_account_id=account.pk,
                files_read=progress.files_read,
                files_kept=progress.files_kept,
                files_skipped=progress.files_skipped,
            )
        if progress.errors:
            raise SomeProjectsFailed("; ".join(progress.errors))

    def failure_message(self, account: GitHubAccount, error: Exception) -> str | None:
        return pause_for_rate_limit(account, error)


def docs_index_run(*, sync_run_id: int) -> SyncRun | None:
    return DocsIndexRunner().execute(sync_run_id)
