"""Builders for projects tests: GitHub accounts and organization listings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count

from apps.integrations.github import Repository
from apps.projects.choices import GitHubAuthKind
from apps.projects.models import GitHubAccount

_numbers = count(1)
PUSHED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def github_account(**overrides) -> GitHubAccount:
    values = {
        "organization": f"org-{next(_numbers)}",
        "base_url": "http://127.0.0.1:9/api/v3",
        "auth_kind": GitHubAuthKind.TOKEN,
        "token": "ghp_test_token",
    }
    values.update(overrides)
    return GitHubAccount.objects.create(**values)


def repository(repo_id: int, **overrides) -> Repository:
    base = Repository(
        id=repo_id,
        name=f"repo-{repo_id}",
        full_name=f"acme/repo-{repo_id}",
        description=f"Service number {repo_id}",
        default_branch="main",
        visibility="private",
        topics=("python", "django"),
        fork=False,
        archived=False,
        pushed_at=PUSHED + timedelta(minutes=repo_id),
        html_url=f"https://github.example/acme/repo-{repo_id}",
    )
    return replace(base, **overrides)


def listing(ids) -> list[Repository]:
    return [repository(repo_id) for repo_id in ids]
