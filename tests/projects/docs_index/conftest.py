from collections.abc import Iterator

import pytest

from apps.projects.docs_index import clear_search_index_cache


@pytest.fixture(autouse=True)
def _fresh_search_index_cache() -> Iterator[None]:
    # Each test's database starts again at version 0: an index cached by an earlier test
    # would look current.
    clear_search_index_cache()
    yield
    clear_search_index_cache()


@pytest.fixture
def word_vectors(settings):
    """The semantic ranking on the tests' small word-vector backend instead of the model."""
    from tests.projects.docs_index.fakes import WORD_VECTOR_BACKEND

    settings.DOCS_EMBEDDING_BACKEND = WORD_VECTOR_BACKEND
    settings.DOCS_SEMANTIC_MIN_SIMILARITY = 0.5
    return settings


@pytest.fixture
def lexical_only(settings):
    """No semantic backend: what a machine without the semantic extra runs."""
    settings.DOCS_EMBEDDING_BACKEND = ""
    return settings
