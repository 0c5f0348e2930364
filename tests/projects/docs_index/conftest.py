from collections.abc import Iterator

import pytest

from apps.projects.docs_index import clear_search_matrix_cache


@pytest.fixture(autouse=True)
def _fresh_search_matrix_cache() -> Iterator[None]:
    # Each test's database starts again at version 0: a matrix cached by an earlier test
    # would look current.
    clear_search_matrix_cache()
    yield
    clear_search_matrix_cache()
