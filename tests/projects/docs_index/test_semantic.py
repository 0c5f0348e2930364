"""The semantic matrix: several unit vectors per chunk; a chunk is as similar as its closest one."""

import numpy as np
import pytest

from apps.projects.docs_index.semantic import SemanticMatrix, semantic_texts
from apps.projects.docs_index.vectors import to_bytes


def stored(*rows: list[float]) -> bytes:
    return b"".join(to_bytes(np.array(row, dtype=np.float32)) for row in rows)


def test_a_chunk_scores_the_similarity_of_its_closest_vector() -> None:
    matrix = SemanticMatrix([stored([1, 0, 0], [0, 3, 0]), stored([0, 0, 1]), None], dimensions=3)

    similarities = matrix.similarities(np.array([0, 1, 0], dtype=np.float32))

    np.testing.assert_allclose(similarities, [1.0, 0.0, 0.0], atol=1e-6)
    assert len(matrix) == 3


def test_a_query_of_another_width_is_refused() -> None:
    with pytest.raises(ValueError, match="expected a query of 3 values"):
        SemanticMatrix([stored([1, 0, 0])], dimensions=3).similarities(np.ones(2, dtype=np.float32))


def test_a_chunk_is_embedded_whole_and_sentence_by_sentence() -> None:
    texts = semantic_texts(
        project_name="edge-router", heading="Operating", plain="Reload, never restart it. It fires alerts early.\nShort"
    )

    assert texts == [
        "edge-router: Operating\nReload, never restart it. It fires alerts early.\nShort",
        "Operating: Reload, never restart it.",
        "Operating: It fires alerts early.",
    ]
