"""The docs index engine: chunking, plain text and terms, summaries, embeddings and search.

The service that fetches files from GitHub lives elsewhere and calls these.
"""

from apps.projects.docs_index.backends import (
    EmbeddingBackend,
    SentenceTransformerBackend,
    embedding_backend,
    semantic_installed,
)
from apps.projects.docs_index.chunking import Chunk, markdown_chunks
from apps.projects.docs_index.plaintext import plain_text
from apps.projects.docs_index.search import (
    SearchAnswer,
    SearchHit,
    SearchIndex,
    clear_search_index_cache,
    default_ranking,
    index_format,
    search_chunks,
    search_index,
    semantic_backend,
)
from apps.projects.docs_index.services import docs_index_version_bump
from apps.projects.docs_index.snippets import Snippet, snippet_for
from apps.projects.docs_index.summary import extractive_summary
from apps.projects.docs_index.terms import terms
from apps.projects.docs_index.vectors import from_bytes, matrix_from_rows, to_bytes

__all__ = [
    "Chunk",
    "EmbeddingBackend",
    "SearchAnswer",
    "SearchHit",
    "SearchIndex",
    "SentenceTransformerBackend",
    "Snippet",
    "clear_search_index_cache",
    "default_ranking",
    "docs_index_version_bump",
    "embedding_backend",
    "extractive_summary",
    "from_bytes",
    "index_format",
    "markdown_chunks",
    "matrix_from_rows",
    "plain_text",
    "search_chunks",
    "search_index",
    "semantic_backend",
    "semantic_installed",
    "snippet_for",
    "terms",
    "to_bytes",
]
