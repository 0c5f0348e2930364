"""Builders for docs index tests: projects, and chunks stored the way the indexing service stores them."""

from __future__ import annotations

from itertools import count

from apps.integrations.github import DocFile
from apps.projects.choices import GitHubAuthKind
from apps.projects.docs_index import docs_index_version_bump, semantic_backend
from apps.projects.models import DocChunk, GitHubAccount, Project
from apps.projects.services.indexing import doc_chunks_build

_numbers = count(1)


def make_project(name: str, **values) -> Project:
    number = next(_numbers)
    account = GitHubAccount.objects.create(
        organization=f"org-{number}", auth_kind=GitHubAuthKind.TOKEN, token="test-token"
    )
    return Project.objects.create(account=account, github_id=number, full_name=f"{account}/{name}", name=name, **values)


def index_chunks(project: Project, texts: list[str], *, path: str | None = None) -> list[DocChunk]:
    """Each text (Markdown) as a file of its own (docs/<n>.md unless `path` is given), stored as
    the indexing service stores them: terms, and vectors with the configured semantic backend."""
    files = [
        DocFile(path=path or f"docs/{n}.md", size=len(text), text=text, skipped=None, sha=f"{n:040x}")
        for n, text in enumerate(texts)
    ]
    chunks = DocChunk.objects.bulk_create(doc_chunks_build(project, files, semantic_backend()))
    docs_index_version_bump()
    return chunks  # with their ids: both databases return them from a bulk insert
