"""Embedding backends: text -> float32 vectors that search compares.

The backend's `name` is stored with every chunk, so a change of backend (or of its
dimensions) never mixes vectors of different spaces: search reads only its own backend's rows.
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

import numpy as np
import structlog
from django.conf import settings
from django.utils.module_loading import import_string

from apps.core.exceptions import ConfigurationError

log = structlog.get_logger(__name__)

SENTENCE_TRANSFORMERS_HINT = (
    "The sentence-transformers docs embedding backend needs the sentence-transformers package: "
    "install it with `pip install sentence-transformers`, or set DOCS_EMBEDDING_BACKEND to "
    "apps.projects.docs_index.backends.HashedTfidfBackend (no extra package, no model download)."
)


@runtime_checkable
class EmbeddingBackend(Protocol):
    name: str  # stored in DocChunk.backend; includes the dimensions
    dimensions: int
    # True: vectors are raw term frequencies and search weights them with the corpus' IDF at
    # query time; False: vectors are used as they are (cosine similarity).
    uses_idf: bool

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """float32, len(texts) x dimensions."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """float32, dimensions."""
        ...


class HashedTfidfBackend:
    """Hashed words and bigrams with sublinear term frequencies (1 + log tf), nothing more.

    No IDF and no normalisation here: a stored vector depends only on its own text, never on
    the corpus at the time it was stored. Search applies the IDF of the whole corpus at query
    time, so chunks indexed months apart are scored on the same scale.
    """

    uses_idf = True

    def __init__(self, dimensions: int | None = None) -> None:
        # Imported here so that importing the package does not load scikit-learn in every process.
        from sklearn.feature_extraction.text import HashingVectorizer

        self.dimensions = dimensions if dimensions is not None else settings.DOCS_EMBEDDING_DIMENSIONS
        if self.dimensions < 1:
            raise ConfigurationError("DOCS_EMBEDDING_DIMENSIONS must be a positive number.")
        self.name = f"hashed-tfidf-{self.dimensions}"
        self._vectorizer = HashingVectorizer(
            n_features=self.dimensions,
            alternate_sign=False,
            norm=None,
            stop_words="english",
            ngram_range=(1, 2),
            dtype=np.float32,
        )

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        counts = self._vectorizer.transform(texts)
        # Only the non-zero entries of the sparse matrix: log(0) never happens.
        counts.data = 1.0 + np.log(counts.data)
        return counts.toarray().astype(np.float32, copy=False)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


class SentenceTransformerBackend:
    """A sentence-transformers model (DOCS_SENTENCE_TRANSFORMER_MODEL); normalised embeddings.

    Optional: the package (and its model download) is not part of the default install.
    """

    uses_idf = False

    def __init__(self, model_name: str | None = None) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise ConfigurationError(SENTENCE_TRANSFORMERS_HINT) from error
        model_name = model_name or settings.DOCS_SENTENCE_TRANSFORMER_MODEL
        self._model = SentenceTransformer(model_name)
        self.dimensions = int(self._model.get_sentence_embedding_dimension())
        self.name = f"st-{model_name}-{self.dimensions}"

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


_backends: dict[tuple[str, int, str], EmbeddingBackend] = {}
_backends_lock = threading.Lock()


def embedding_backend() -> EmbeddingBackend:
    """The configured backend, built once per process for each value of the settings."""
    key = (
        settings.DOCS_EMBEDDING_BACKEND,
        settings.DOCS_EMBEDDING_DIMENSIONS,
        settings.DOCS_SENTENCE_TRANSFORMER_MODEL,
    )
    backend = _backends.get(key)
    if backend is None:
        # A lock, so that concurrent first searches load a sentence-transformers model only once.
        with _backends_lock:
            backend = _backends.get(key)
            if backend is None:
                backend = _backends[key] = _build_backend(key[0])
                log.info("docs_index.backend_loaded", backend=backend.name, path=key[0])
    return backend


def _build_backend(path: str) -> EmbeddingBackend:
    try:
        backend_class = import_string(path)
    except ImportError as error:
        raise ConfigurationError(
            f"DOCS_EMBEDDING_BACKEND {path!r} cannot be imported; expected a dotted path such as "
            "apps.projects.docs_index.backends.HashedTfidfBackend."
        ) from error
    if not callable(backend_class):
        raise ConfigurationError(f"DOCS_EMBEDDING_BACKEND {path!r} is not an embedding backend class.")
    backend = backend_class()
    if not isinstance(backend, EmbeddingBackend):
        raise ConfigurationError(f"DOCS_EMBEDDING_BACKEND {path!r} is not an embedding backend.")
    return backend
