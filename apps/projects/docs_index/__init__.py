"""The docs index engine: chunking, summaries, embeddings and search across projects.

The service that fetches files from GitHub lives elsewhere and calls these.
"""

from apps.projects.docs_index.backends import (
    EmbeddingBackend,
    HashedTfidfBackend,
    SentenceTransformerBackend,
    embedding_backend,
)
from apps.projects.docs_index.chunking import Chunk, markdown_chunks
from apps.projects.docs_index.search import (
    SearchHit,
    SearchMatrix,
    clear_search_matrix_cache,
    search_chunks,
    search_matrix,
)
from apps.projects.docs_index.services import docs_index_version_bump
from apps.projects.docs_index.summary import extractive_summary
from apps.projects.docs_index.vectors import from_bytes, matrix_from_rows, to_bytes

__all__ = [
    "Chunk",
    "EmbeddingBackend",
    "HashedTfidfBackend",
    "SearchHit",
    "SearchMatrix",
    "SentenceTransformerBackend",
    "clear_search_matrix_cache",
    "docs_index_version_bump",
    "embedding_backend",
    "extractive_summary",
    "from_bytes",
    "markdown_chunks",
    "matrix_from_rows",
    "search_chunks",
    "search_matrix",
    "to_bytes",
]
