import sys

import numpy as np
import pytest

from apps.core.exceptions import ConfigurationError
from apps.projects.docs_index import (
    EmbeddingBackend,
    HashedTfidfBackend,
    SentenceTransformerBackend,
    embedding_backend,
)

TEXTS = [
    "Deploy containers to servers with one manifest.",
    "The backup job copies databases to object storage every night.",
    "Kubernetes clusters run the deployment controller.",
]


def test_the_hashed_backend_is_the_default_and_names_its_dimensions(settings) -> None:
    backend = embedding_backend()

    assert isinstance(backend, HashedTfidfBackend)
    assert isinstance(backend, EmbeddingBackend)
    assert backend.name == f"hashed-tfidf-{settings.DOCS_EMBEDDING_DIMENSIONS}"
    assert backend.dimensions == settings.DOCS_EMBEDDING_DIMENSIONS == 1024
    assert backend.uses_idf is True


def test_the_backend_is_built_once_per_process_and_again_when_the_setting_changes(settings) -> None:
    assert embedding_backend() is embedding_backend()

    settings.DOCS_EMBEDDING_DIMENSIONS = 64

    assert embedding_backend().name == "hashed-tfidf-64"


def test_the_hashed_backend_is_deterministic() -> None:
    first = HashedTfidfBackend(dimensions=512).embed_documents(TEXTS)
    second = HashedTfidfBackend(dimensions=512).embed_documents(TEXTS)

    assert first.dtype == np.float32
    assert first.shape == (3, 512)
    np.testing.assert_array_equal(first, second)


def test_a_stored_vector_does_not_depend_on_the_other_documents() -> None:
    backend = HashedTfidfBackend(dimensions=512)

    alone = backend.embed_documents([TEXTS[0]])[0]
    with_others = backend.embed_documents([TEXTS[2], TEXTS[1], TEXTS[0]])[2]

    np.testing.assert_array_equal(alone, with_others)
    np.testing.assert_array_equal(backend.embed_query(TEXTS[0]), alone)


def test_the_hashed_backend_stores_sublinear_term_frequencies_without_normalising() -> None:
    backend = HashedTfidfBackend(dimensions=512)

    once, thrice = backend.embed_documents(["zeppelin", "zeppelin zeppelin zeppelin"])

    assert sorted(once[once > 0].tolist()) == [1.0]
    # The word three times, the bigram "zeppelin zeppelin" twice: 1 + log(tf), nothing scaled.
    np.testing.assert_allclose(sorted(thrice[thrice > 0]), [1 + np.log(2), 1 + np.log(3)], rtol=1e-6)


def test_stop_words_alone_embed_to_a_zero_vector() -> None:
    assert not HashedTfidfBackend(dimensions=512).embed_query("the and of to").any()


def test_the_sentence_transformer_backend_without_its_package_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # makes the import fail

    with pytest.raises(ConfigurationError, match="pip install sentence-transformers"):
        SentenceTransformerBackend()


def test_configuring_the_sentence_transformer_backend_without_its_package_fails_clearly(settings, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    settings.DOCS_EMBEDDING_BACKEND = "apps.projects.docs_index.backends.SentenceTransformerBackend"

    with pytest.raises(ConfigurationError, match="sentence-transformers"):
        embedding_backend()


@pytest.mark.parametrize(
    "path",
    ["apps.projects.docs_index.backends.NoSuchBackend", "no_such_module.Backend", "not-a-dotted-path"],
)
def test_an_unknown_backend_path_is_a_configuration_error(settings, path: str) -> None:
    settings.DOCS_EMBEDDING_BACKEND = path

    with pytest.raises(ConfigurationError, match="DOCS_EMBEDDING_BACKEND"):
        embedding_backend()


def test_a_path_to_something_else_than_a_backend_is_a_configuration_error(settings) -> None:
    settings.DOCS_EMBEDDING_BACKEND = "apps.projects.docs_index.backends.SENTENCE_TRANSFORMERS_HINT"

    with pytest.raises(ConfigurationError, match="not an embedding backend"):
        embedding_backend()
