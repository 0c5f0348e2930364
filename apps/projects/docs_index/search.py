"""Search across every project's docs: lexical (BM25), semantic (embeddings), or both fused.

Each process holds one SearchIndex, built from the stored chunks (their terms and vectors were
computed at indexing time), and rebuilds it only when DocsIndexVersion moved: a search costs
one cheap query when nothing changed. Scores depend on the whole corpus as it is now (BM25's
IDF and lengths are computed over it at build time), so a chunk indexed months ago is scored
on the same scale as one indexed today.

A query with no meaningful match answers nothing: lexically, no query term occurs in any chunk;
semantically, no chunk is at least DOCS_SEMANTIC_MIN_SIMILARITY similar to the query (when one
is, chunks down to SEMANTIC_FLOOR are ranked too). The hybrid ranking scores a chunk by its
semantic similarity plus LEXICAL_WEIGHT x coverage³, coverage being the IDF-weighted share of
the query's terms the chunk contains: a chunk holding the exact identifier or phrase asked for
comes first, and a stray common word in an unrelated chunk adds almost nothing (docs/adr/0002).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import structlog
from django.conf import settings

from apps.core.exceptions import ConfigurationError, ValidationError
from apps.projects.choices import SearchRanking
from apps.projects.docs_index.backends import SEMANTIC_HINT, EmbeddingBackend, embedding_backend, semantic_installed
from apps.projects.docs_index.fusion import ranked_documents
from apps.projects.docs_index.lexical import LexicalIndex
from apps.projects.docs_index.semantic import SemanticMatrix
from apps.projects.docs_index.terms import TERMS_VERSION, query_terms, terms
from apps.projects.models import DocChunk, DocsIndexVersion

log = structlog.get_logger(__name__)

# Below this similarity a chunk is never a semantic match, even for a query that has one.
SEMANTIC_FLOOR = 0.2
# The hybrid's weight of a chunk that holds every query term (coverage 1): above any similarity
# difference between two chunks, so exact terms win; coverage is cubed so that partial matches
# of a paraphrase's common words barely count. Calibrated on the relevance set (docs/adr/0002).
LEXICAL_WEIGHT = 0.5
COVERAGE_POWER = 3
# Orders chunks that tie otherwise (a lexical match without semantic similarity) by BM25.
BM25_TIE_BREAK = 0.001


@dataclass(frozen=True)
class SearchHit:
    chunk_id: int
    score: float  # BM25 (lexical), cosine similarity (semantic) or the fused RRF score (hybrid)
    lexical_score: float | None  # None: the lexical ranking did not find the document
    semantic_score: float | None  # None: not ranked semantically, or below the threshold


@dataclass(frozen=True)
class SearchAnswer:
    ranking: SearchRanking
    hits: list[SearchHit]
    terms: list[str]  # the query's lexical terms, for marking them in snippets


@dataclass(frozen=True)
class IndexRow:
    chunk_id: int
    project_id: int
    project_name: str
    path: str
    heading: str
    terms: str  # the body's terms, space-separated, as stored
    vector: bytes | memoryview | None  # None: no vector of the current semantic backend


def index_format(backend: EmbeddingBackend | None) -> str:
    """What a project's stored chunks were made with (Project.docs_backend): a change re-indexes."""
    lexical = f"bm25-t{TERMS_VERSION}"
    return f"{lexical}+{backend.name}" if backend is not None else lexical


class SearchIndex:
    def __init__(self, rows: Iterable[IndexRow], *, semantic_dimensions: int | None) -> None:
        rows = list(rows)
        self.ids = np.array([row.chunk_id for row in rows], dtype=np.int64)
        self.project_ids = np.array([row.project_id for row in rows], dtype=np.int64)
        codes: dict[tuple[int, str], int] = {}
        self.documents = np.array(
            [codes.setdefault((row.project_id, row.path), len(codes)) for row in rows], dtype=np.int64
        )
        self.lexical = LexicalIndex(
            [row.terms.split() for row in rows],
            [_title_terms(row.project_name, row.path, row.heading) for row in rows],
        )
        self.semantic: SemanticMatrix | None = None
        if semantic_dimensions is not None:
            self.semantic = SemanticMatrix([row.vector for row in rows], semantic_dimensions)

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self,
        *,
        query: str,
        ranking: SearchRanking,
        limit: int,
        query_vector: np.ndarray | None = None,
        project_ids: Collection[int] | None = None,
        min_similarity: float = 0.0,
    ) -> list[SearchHit]:
        if limit < 1 or not len(self):
            return []
        eligible = np.ones(len(self), dtype=bool)
        if project_ids is not None:
            eligible = np.isin(self.project_ids, np.fromiter(project_ids, dtype=np.int64))
        lexical = semantic = None
        if ranking in (SearchRanking.LEXICAL, SearchRanking.HYBRID):
            lexical = self.lexical.match(query)
        if ranking in (SearchRanking.SEMANTIC, SearchRanking.HYBRID):
            if self.semantic is None or query_vector is None:
                raise ConfigurationError(SEMANTIC_HINT)
            semantic = self.semantic.similarities(query_vector)
            gate = float(semantic[eligible].max(initial=0.0))
            floor = max(min(SEMANTIC_FLOOR, min_similarity), 1e-6) if gate >= min_similarity else np.inf
            semantic = np.where(semantic >= floor, semantic, 0.0).astype(np.float32)
        if ranking == SearchRanking.LEXICAL:
            scores, matches = lexical.scores, lexical.scores > 0
        elif ranking == SearchRanking.SEMANTIC:
            scores, matches = semantic, semantic > 0
        else:
            best_bm25 = float(lexical.scores.max(initial=0.0)) or 1.0
            scores = (
                semantic
                + LEXICAL_WEIGHT * lexical.coverage**COVERAGE_POWER
                + BM25_TIE_BREAK * lexical.scores / best_bm25
            )
            matches = (semantic > 0) | (lexical.scores > 0)
        ranked = ranked_documents(scores, eligible & matches, self.documents, self.ids, depth=limit)
        return [
            SearchHit(
                chunk_id=int(self.ids[item.row]),
                score=item.score,
                lexical_score=float(lexical.scores[item.row]) or None if lexical is not None else None,
                semantic_score=float(semantic[item.row]) or None if semantic is not None else None,
            )
            for item in ranked
        ]


@lru_cache(maxsize=50_000)
def _cached_terms(text: str) -> tuple[str, ...]:
    # Project names, paths and headings repeat across thousands of chunks.
    return tuple(terms(text))


def _title_terms(project_name: str, path: str, heading: str) -> list[str]:
    return [*_cached_terms(project_name), *_cached_terms(path), *_cached_terms(heading)]


# --- The configured ranking -------------------------------------------------------------------


def default_ranking() -> SearchRanking:
    """DOCS_SEARCH_RANKING, or hybrid where the semantic extra is installed and lexical where not."""
    if settings.DOCS_SEARCH_RANKING:
        return SearchRanking(settings.DOCS_SEARCH_RANKING)
    return SearchRanking.HYBRID if semantic_installed() else SearchRanking.LEXICAL


def semantic_backend() -> EmbeddingBackend | None:
    """The semantic backend when one is configured and installed; None: lexical only."""
    return embedding_backend() if semantic_installed() else None


# --- The per-process cache --------------------------------------------------------------------

_cache_lock = threading.Lock()
_cached: tuple[tuple[str, int], SearchIndex] | None = None


def search_index() -> SearchIndex:
    """The index of every stored chunk, as of the current DocsIndexVersion.

    Costs one query (the version number) when nothing changed; rebuilds otherwise. Do not
    search from inside a transaction that wrote chunks: its uncommitted rows would be cached
    under a version number that a rollback lets another writer reuse.
    """
    global _cached
    backend = semantic_backend()
    backend_name = backend.name if backend is not None else ""
    # The version is read before the chunks: a bump committed in between costs one more
    # rebuild on the next call, never a stale index under a newer number.
    key = (index_format(backend), current_version())
    cached = _cached
    if cached is not None and cached[0] == key:
        return cached[1]
    with _cache_lock:
        # Another thread may have rebuilt it while this one waited for the lock.
        if _cached is not None and _cached[0] == key:
            return _cached[1]
        index = SearchIndex(
            load_rows(backend_name), semantic_dimensions=backend.dimensions if backend is not None else None
        )
        _cached = (key, index)
        log.info("docs_index.search_index_built", format=key[0], version=key[1], chunks=len(index))
        return index


def clear_search_index_cache() -> None:
    """Forget the cached index (tests: each test's database starts again from version 0)."""
    global _cached
    with _cache_lock:
        _cached = None


def current_version() -> int:
    version = DocsIndexVersion.objects.filter(pk=DocsIndexVersion.SINGLETON_ID).values_list("version", flat=True)
    return version.first() or 0


def load_rows(backend_name: str) -> list[IndexRow]:
    """Every stored chunk in id order; vectors only of the given semantic backend."""
    rows = DocChunk.objects.order_by("id").values_list(
        "id", "project_id", "project__name", "path", "heading", "terms", "backend", "vector"
    )
    return [
        IndexRow(
            chunk_id=chunk_id,
            project_id=project_id,
            project_name=project_name,
            path=path,
            heading=heading,
            terms=chunk_terms,
            vector=vector if backend_name and backend == backend_name else None,
        )
        for chunk_id, project_id, project_name, path, heading, chunk_terms, backend, vector in rows.iterator(
            chunk_size=2000
        )
    ]


def search_chunks(
    *,
    query: str,
    limit: int,
    ranking: SearchRanking | None = None,
    project_ids: Collection[int] | None = None,
) -> SearchAnswer:
    """The documents that best match the query (each by its best chunk), best first."""
    ranking = ranking or default_ranking()
    backend = semantic_backend()
    if ranking != SearchRanking.LEXICAL and backend is None:
        raise ValidationError({"ranking": [f"The {ranking.value} ranking is not installed here. {SEMANTIC_HINT}"]})
    found_terms = query_terms(query)
    if not query.strip() or limit < 1:
        return SearchAnswer(ranking=ranking, hits=[], terms=found_terms)
    index = search_index()
    vector = backend.embed_query(query) if ranking != SearchRanking.LEXICAL else None
    hits = index.search(
        query=query,
        ranking=ranking,
        limit=limit,
        query_vector=vector,
        project_ids=project_ids,
        min_similarity=settings.DOCS_SEMANTIC_MIN_SIMILARITY,
    )
    return SearchAnswer(ranking=ranking, hits=hits, terms=found_terms)
