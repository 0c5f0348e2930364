"""Search over every project's chunks: one dense matrix per process, rebuilt when the index changes.

For the hashed backend the stored vectors are raw sublinear term frequencies; the IDF is
computed here, over the whole corpus at query time, and applied to the matrix and the query
alike. A chunk's score therefore does not depend on when its project was indexed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import structlog

from apps.projects.docs_index.backends import embedding_backend
from apps.projects.docs_index.vectors import matrix_from_rows
from apps.projects.models import DocChunk, DocsIndexVersion

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SearchHit:
    chunk_id: int
    score: float  # cosine similarity of the weighted vectors, in (0, 1] for the hashed backend


class SearchMatrix:
    """Chunk ids and their vectors, weighted and L2-normalised once, ready for one product per query."""

    def __init__(self, ids: np.ndarray, matrix: np.ndarray, uses_idf: bool) -> None:
        matrix = np.asarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or len(ids) != matrix.shape[0]:
            raise ValueError(f"{len(ids)} ids for a matrix of shape {matrix.shape}")
        self.ids = np.asarray(ids, dtype=np.int64)
        self.dimensions = matrix.shape[1]
        self.idf: np.ndarray | None = None
        if uses_idf:
            documents = matrix.shape[0]
            frequency = np.count_nonzero(matrix, axis=0)
            # Smoothed like scikit-learn's TfidfTransformer: never zero, never a division by zero.
            self.idf = (np.log((1 + documents) / (1 + frequency)) + 1).astype(np.float32)
            matrix = matrix * self.idf  # a new array: the loaded one may be a read-only buffer
        else:
            matrix = matrix.copy()
        norms = np.linalg.norm(matrix, axis=1)
        nonzero = norms > 0
        matrix[nonzero] /= norms[nonzero, None]  # zero rows stay zero (and never match)
        self.weighted = matrix

    def __len__(self) -> int:
        return len(self.ids)

    def query(self, vector: np.ndarray, *, limit: int) -> list[tuple[int, float]]:
        """(chunk id, score) of the best `limit` chunks, best first, without zero scores."""
        query = self._weigh(vector)
        if query is None or limit < 1 or not len(self):
            return []
        scores = self.weighted @ query
        if limit < len(scores):
            # The limit-th best score, then every row at least as good: ties at the cut all stay
            # in, so which of them are returned is decided by id below, not by argpartition.
            threshold = scores[np.argpartition(-scores, limit - 1)[limit - 1]]
            candidates = np.flatnonzero(scores >= threshold)
        else:
            candidates = np.arange(len(scores))
        candidates = candidates[scores[candidates] > 0]
        # lexsort: the last key is the primary one; ties broken by the smaller id.
        order = candidates[np.lexsort((self.ids[candidates], -scores[candidates]))][:limit]
        return [(int(self.ids[row]), float(scores[row])) for row in order]

    def _weigh(self, vector: np.ndarray) -> np.ndarray | None:
        query = np.asarray(vector, dtype=np.float32)
        if query.shape != (self.dimensions,):
            raise ValueError(f"expected a query of {self.dimensions} values, got shape {query.shape}")
        if self.idf is not None:
            query = query * self.idf
        norm = float(np.linalg.norm(query))
        return query / norm if norm > 0 else None


_cache_lock = threading.Lock()
_cached: tuple[tuple[str, int], SearchMatrix] | None = None


def search_matrix() -> SearchMatrix:
    """The matrix of the configured backend's chunks, as of the current DocsIndexVersion.

    Costs one query (the version number) when nothing changed; rebuilds otherwise. Do not
    search from inside a transaction that wrote chunks: its uncommitted rows would be cached
    under a version number that a rollback lets another writer reuse.
    """
    global _cached
    backend = embedding_backend()
    # The version is read before the chunks: a bump committed in between costs one more
    # rebuild on the next call, never a stale matrix under a newer number.
    key = (backend.name, current_version())
    cached = _cached
    if cached is not None and cached[0] == key:
        return cached[1]
    with _cache_lock:
        # Another thread may have rebuilt it while this one waited for the lock.
        if _cached is not None and _cached[0] == key:
            return _cached[1]
        matrix = load_search_matrix(backend.name, dimensions=backend.dimensions, uses_idf=backend.uses_idf)
        _cached = (key, matrix)
        log.info("docs_index.search_matrix_built", backend=backend.name, version=key[1], chunks=len(matrix))
        return matrix


def clear_search_matrix_cache() -> None:
    """Forget the cached matrix (tests: each test's database starts again from version 0)."""
    global _cached
    with _cache_lock:
        _cached = None


def current_version() -> int:
    version = DocsIndexVersion.objects.filter(pk=DocsIndexVersion.SINGLETON_ID).values_list("version", flat=True)
    return version.first() or 0


def load_search_matrix(backend_name: str, *, dimensions: int, uses_idf: bool) -> SearchMatrix:
    """Every chunk of the backend, read in id order."""
    rows = DocChunk.objects.filter(backend=backend_name).order_by("id").values_list("id", "vector")
    ids: list[int] = []
    vectors: list[bytes] = []
    for chunk_id, vector in rows.iterator(chunk_size=2000):
        ids.append(chunk_id)
        vectors.append(vector)
    return SearchMatrix(np.array(ids, dtype=np.int64), matrix_from_rows(vectors, dimensions), uses_idf)


def search_chunks(*, query: str, limit: int) -> list[SearchHit]:
    """The chunks that best match the query, best first, across every project."""
    if not query.strip() or limit < 1:
        return []
    vector = embedding_backend().embed_query(query)
    return [SearchHit(chunk_id=chunk_id, score=score) for chunk_id, score in search_matrix().query(vector, limit=limit)]
