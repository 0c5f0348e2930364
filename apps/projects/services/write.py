"""The write phase of github_sync: a complete organization listing becomes Project rows.

Constant queries per batch: one read of the account's projects, one INSERT ... ON CONFLICT DO
UPDATE per batch of new or changed repositories, one UPDATE per batch of vanished or returning
ones. Keyed by GitHub's numeric id, so a renamed or transferred repository keeps its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from apps.core.batching import batches
from apps.integrations.github import Repository
from apps.projects.choices import ProjectState, Visibility
from apps.projects.models import GitHubAccount, Project
from apps.syncs.listings import WriteCounts, listing_diff

BATCH_SIZE = 500
GITHUB_FIELDS = (
    "full_name",
    "name",
    "description",
    "default_branch",
    "visibility",
    "topics",
    "topics_index",
    "fork",
    "archived_on_github",
    "pushed_at",
    "html_url",
)


def github_values(repository: Repository) -> dict[str, Any]:
    topics = sorted({topic.strip().lower() for topic in repository.topics if topic.strip()})
    visibility = repository.visibility if repository.visibility in Visibility.values else Visibility.PRIVATE
    return {
        "full_name": repository.full_name[:255],
        "name": repository.name[:255],
        "description": repository.description or "",
        "default_branch": (repository.default_branch or "")[:255],
        "visibility": visibility,
        "topics": topics,
        "topics_index": f",{','.join(topics)}," if topics else "",
        "fork": repository.fork,
        "archived_on_github": repository.archived,
        "pushed_at": repository.pushed_at,
        "html_url": repository.html_url[:500],
    }


def projects_write(*, account: GitHubAccount, repositories: Sequence[Repository], now: datetime) -> WriteCounts:
    """Make the account's projects match a complete, successful listing (never a partial one:
    the repositories missing from it would be archived)."""
    incoming = {repository.id: github_values(repository) for repository in repositories}
    with transaction.atomic():
        existing = Project.objects.filter(account=account).values_list("id", "github_id", "state", *GITHUB_FIELDS)
        diff = listing_diff(
            rows=(
                (pk, key, state == ProjectState.ARCHIVED, current)
                for pk, key, state, *current in existing.iterator(chunk_size=BATCH_SIZE)
            ),
            incoming=incoming,
            fields=GITHUB_FIELDS,
        )
        upserts = [Project(account=account, github_id=key, **incoming[key]) for key in diff.changed] + [
            Project(account=account, github_id=key, state=ProjectState.ACTIVE, **incoming[key]) for key in diff.new
        ]
        returning, vanished = diff.returning, diff.vanished
        for batch in batches(upserts, BATCH_SIZE):
            Project.objects.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["account", "github_id"],
                update_fields=[*GITHUB_FIELDS, "updated_at"],
            )
        for batch in batches(returning, BATCH_SIZE):
            Project.objects.filter(pk__in=batch).update(state=ProjectState.ACTIVE, archived_at=None, updated_at=now)
        for batch in batches(vanished, BATCH_SIZE):
            Project.objects.filter(pk__in=batch).update(state=ProjectState.ARCHIVED, archived_at=now, updated_at=now)
    return diff.counts
