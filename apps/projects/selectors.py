"""Reads of the projects domain, docs search included."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.db.models import Q, QuerySet

from apps.core.exceptions import ValidationError
from apps.core.fields import without_secrets
from apps.projects.choices import ProjectState, SearchRanking
from apps.projects.docs_index import search_chunks, snippet_for
from apps.projects.models import DocChunk, GitHubAccount, Project

MAX_SEARCH_LIMIT = 50


def github_account_list() -> QuerySet[GitHubAccount]:
    return without_secrets(GitHubAccount.objects.order_by("organization"))


def project_list() -> QuerySet[Project]:
    return without_secrets(Project.objects.select_related("account").order_by("full_name", "id"))


@dataclass(frozen=True)
class SearchResult:
    project_id: int
    project: str  # full name
    project_html_url: str
    path: str
    heading: str  # the heading path, plain text
    anchor: str
    url: str  # the file (and section) on GitHub at the indexed commit; "" when GitHub gave no page
    snippet: str  # plain text
    highlights: list[tuple[int, int]]  # [start, end) of the matched terms in `snippet`
    score: float
    lexical_score: float | None
    semantic_score: float | None


@dataclass(frozen=True)
class DocsSearch:
    ranking: SearchRanking
    results: list[SearchResult]


def docs_file_url(*, html_url: str, commit: str, path: str, anchor: str = "") -> str:
    """GitHub's page of the file at that commit (`{html_url}/blob/{commit}/{path}#{anchor}`)."""
    if not html_url or not commit:
        return ""
    url = f"{html_url.rstrip('/')}/blob/{quote(commit, safe='')}/{quote(path, safe='/')}"
    return f"{url}#{quote(anchor, safe='-_')}" if anchor else url


def docs_search_project_ids(*, project: str | None = None, topic: str | None = None) -> set[int] | None:
    """The active projects the filters allow (None: no filter). ValidationError for an unknown value."""
    if not project and not topic:
        return None
    active = Project.objects.filter(state=ProjectState.ACTIVE)
    problems: dict[str, list[str]] = {}
    if project:
        value = project.strip()
        by_name = Q(full_name__iexact=value)
        active = active.filter(Q(pk=int(value)) | by_name if value.isdigit() else by_name)
        if not active.exists():
            problems["project"] = [f"No active project {value!r}: give its full name (owner/name) or id."]
    if topic:
        value = topic.strip().lower()
        if not Project.objects.filter(state=ProjectState.ACTIVE, topics_index__contains=f",{value},").exists():
            problems["topic"] = [f"No active project has the topic {value!r}."]
        active = active.filter(topics_index__contains=f",{value},")
    if problems:
        raise ValidationError(problems)
    return set(active.values_list("pk", flat=True))


def docs_search(
    *,
    query: str,
    limit: int = 10,
    ranking: SearchRanking | None = None,
    project: str | None = None,
    topic: str | None = None,
) -> DocsSearch:
    """Documents of active projects that answer `query`, best first, each shown by its best chunk."""
    limit = max(1, min(limit, MAX_SEARCH_LIMIT))
    project_ids = docs_search_project_ids(project=project, topic=topic)
    # Ask for more than needed: hits of projects archived since the last indexing are dropped below.
    answer = search_chunks(query=query, limit=limit * 2, ranking=ranking, project_ids=project_ids)
    chunks = DocChunk.objects.filter(
        pk__in=[hit.chunk_id for hit in answer.hits], project__state=ProjectState.ACTIVE
    ).select_related("project")
    by_id = {chunk.pk: chunk for chunk in chunks}
    results = []
    for hit in answer.hits:
        chunk = by_id.get(hit.chunk_id)
        if chunk is None:
            continue
        snippet = snippet_for(chunk.text, answer.terms)
        results.append(
            SearchResult(
                project_id=chunk.project_id,
                project=chunk.project.full_name,
                project_html_url=chunk.project.html_url,
                path=chunk.path,
                heading=chunk.heading,
                anchor=chunk.anchor,
                url=docs_file_url(
                    html_url=chunk.project.html_url,
                    commit=chunk.project.docs_commit,
                    path=chunk.path,
                    anchor=chunk.anchor,
                ),
                snippet=snippet.text,
                highlights=snippet.highlights,
                score=round(hit.score, 6),
                lexical_score=_rounded(hit.lexical_score),
                semantic_score=_rounded(hit.semantic_score),
            )
        )
    return DocsSearch(ranking=answer.ranking, results=results[:limit])


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
