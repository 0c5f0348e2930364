"""Builders for docs index tests: projects, and chunks stored the way the indexing service stores them."""

from __future__ import annotations

from itertools import count

from apps.projects.choices import GitHubAuthKind
from apps.projects.docs_index import docs_index_version_bump, embedding_backend, to_bytes
from apps.projects.models import DocChunk, GitHubAccount, Project

_numbers = count(1)


def make_project(name: str) -> Project:
    number = next(_numbers)
    account = GitHubAccount.objects.create(
        organization=f"org-{number}", auth_kind=GitHubAuthKind.TOKEN, token="test-token"
    )
    return Project.objects.create(account=account, github_id=number, full_name=f"{account}/{name}", name=name)


def index_chunks(project: Project, texts: list[str], *, path: str = "README.md") -> list[DocChunk]:
    """Embed and store the texts as the project's chunks, then bump the index version."""
    backend = embedding_backend()
    vectors = backend.embed_documents(texts)
    chunks = DocChunk.objects.bulk_create(
        [
            DocChunk(
                project=project,
                path=path,
                heading="",
                position=position,
                text=text,
                vector=to_bytes(vector),
                backend=backend.name,
            )
            for position, (text, vector) in enumerate(zip(texts, vectors, strict=True))
        ]
    )
    docs_index_version_bump()
    return chunks  # with their ids: both databases return them from a bulk insert
