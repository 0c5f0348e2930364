"""SearchMatrix on its own: weighting, ranking and ties, without the database."""

import numpy as np
import pytest

from apps.projects.docs_index import HashedTfidfBackend, SearchMatrix


@pytest.fixture
def backend() -> HashedTfidfBackend:
    return HashedTfidfBackend(dimensions=512)


def test_a_word_found_in_most_chunks_weighs_less_than_a_rare_one(backend: HashedTfidfBackend) -> None:
    texts = [
        "server maintenance",  # 0: the common word only
        "zeppelin maintenance",  # 1: the rare word only
        "server backups",
        "server monitoring",
        "server upgrades",
    ]
    ids = np.arange(1, len(texts) + 1)
    query = backend.embed_query("server zeppelin")

    with_idf = SearchMatrix(ids, backend.embed_documents(texts), uses_idf=True).query(query, limit=5)
    without_idf = SearchMatrix(ids, backend.embed_documents(texts), uses_idf=False).query(query, limit=5)

    assert with_idf[0][0] == 2  # the "zeppelin" chunk
    assert dict(with_idf)[2] > dict(with_idf)[1]
    # Without the IDF the two would tie: the difference comes from the corpus, not the texts.
    assert dict(without_idf)[1] == pytest.approx(dict(without_idf)[2])


def test_the_idf_is_smoothed_like_scikit_learn() -> None:
    matrix = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 0]], dtype=np.float32)

    search = SearchMatrix(np.array([1, 2, 3]), matrix, uses_idf=True)

    np.testing.assert_allclose(search.idf, [np.log(4 / 4) + 1, np.log(4 / 2) + 1, np.log(4 / 1) + 1], rtol=1e-6)


def test_scores_are_cosine_similarities_of_unit_rows() -> None:
    matrix = np.array([[3, 4], [0, 2], [0, 0]], dtype=np.float32)
    search = SearchMatrix(np.array([10, 20, 30]), matrix, uses_idf=False)

    np.testing.assert_allclose(np.linalg.norm(search.weighted, axis=1), [1, 1, 0], rtol=1e-6)
    assert search.query(np.array([0, 5], dtype=np.float32), limit=3) == [
        (20, pytest.approx(1.0)),
        (10, pytest.approx(0.8)),
    ]  # the zero row scores 0 and is dropped


def test_the_best_rows_come_first_up_to_the_limit_and_ties_go_to_the_smaller_id() -> None:
    matrix = np.array([[1, 0], [1, 0], [0, 1], [1, 1], [1, 0]], dtype=np.float32)
    search = SearchMatrix(np.array([50, 40, 30, 20, 10]), matrix, uses_idf=False)

    hits = search.query(np.array([1, 0], dtype=np.float32), limit=2)

    assert [chunk_id for chunk_id, _ in hits] == [10, 40]  # three rows tie at 1.0: the two smallest ids
    assert [chunk_id for chunk_id, _ in search.query(np.array([1, 0], dtype=np.float32), limit=10)] == [
        10,
        40,
        50,
        20,
    ]


def test_a_query_with_no_known_word_finds_nothing(backend: HashedTfidfBackend) -> None:
    search = SearchMatrix(np.array([1]), backend.embed_documents(["deploy containers"]), uses_idf=True)

    assert search.query(backend.embed_query("the of and"), limit=5) == []
    assert search.query(backend.embed_query("deploy"), limit=0) == []


def test_an_empty_matrix_finds_nothing(backend: HashedTfidfBackend) -> None:
    search = SearchMatrix(np.array([], dtype=np.int64), np.zeros((0, 512), dtype=np.float32), uses_idf=True)

    assert search.query(backend.embed_query("deploy"), limit=5) == []


def test_a_query_of_another_width_is_refused() -> None:
    search = SearchMatrix(np.array([1]), np.ones((1, 4), dtype=np.float32), uses_idf=False)

    with pytest.raises(ValueError, match="expected a query of 4 values"):
        search.query(np.ones(3, dtype=np.float32), limit=1)
