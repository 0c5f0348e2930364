"""Reads of the projects domain, docs search included."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import QuerySet

from apps.core.choices import SyncKind
from apps.core.models import SyncRun
from apps.projects.choices import ProjectState
from apps.projects.docs_index import search_chunks
from apps.projects.models import DocChunk, GitHubAccount, Project

SNIPPET_CHARS = 240
MAX_SEARCH_LIMIT = 50


def github_account_list() -> QuerySet[GitHubAccount]:
    return GitHubAccount.objects.order_by("organization")


def project_list() -> QuerySet[Project]:
    return Project.objects.select_related("account").order_by("full_name", "id")


def project_runs(*, kinds=(SyncKind.GITHUB_SYNC, SyncKind.DOCS_INDEX)) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(kind__in=kinds).select_related("triggered_by")


@dataclass(frozen=True)
class SearchResult:
    project_id: int
    project: str
    html_url: str
    path: str
    heading: str
    snippet: str
    score: float


def snippet_for(text: str, query: str, *, length: int = SNIPPET_CHARS) -> str:
    """The part of a chunk around the first query word it contains, on one line."""
    flat = re.sub(r"\s+", " ", text).strip()
    words = [word for word in re.findall(r"\w+", query.lower()) if len(word) > 2]
    lowered = flat.lower()
    positions = [lowered.find(word) for word in words if word in lowered]
    start = max(0, min(positions) - length // 4) if positions else 0
    piece = flat[start : start + length]
    return ("…" if start else "") + piece + ("…" if start + length < len(flat) else "")


def docs_search(*, query: str, limit: int = 10) -> list[SearchResult]:
    """Chunks of active projects' docs ranked by similarity to `query`."""
    limit = max(1, min(limit, MAX_SEARCH_LIMIT))
    # Ask for more than needed: hits of projects archived since the last indexing are dropped below.
    hits = search_chunks(query=query, limit=limit * 2)
    chunks = DocChunk.objects.filter(pk__in=[hit.chunk_id for hit in hits], project__state=ProjectState.ACTIVE)
    by_id = {chunk.pk: chunk for chunk in chunks.select_related("project")}
    results = []
    for hit in hits:
        chunk = by_id.get(hit.chunk_id)
        if chunk is None:
            continue
        results.append(
            SearchResult(
                project_id=chunk.project_id,
                project=chunk.project.full_name,
                html_url=chunk.project.html_url,
                path=chunk.path,
                heading=chunk.heading,
                snippet=snippet_for(chunk.text, query),
                score=round(float(hit.score), 6),
            )
        )
    return results[:limit]
