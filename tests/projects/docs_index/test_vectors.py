import numpy as np
import pytest

from apps.projects.docs_index import from_bytes, matrix_from_rows, to_bytes


def test_a_vector_round_trips_through_its_stored_bytes() -> None:
    vector = np.array([0.0, 1.5, -2.25, 3.0e-7], dtype=np.float32)

    data = to_bytes(vector)

    assert len(data) == 16
    assert data[4:8] == np.float32(1.5).astype("<f4").tobytes()  # little-endian, whatever the machine
    np.testing.assert_array_equal(from_bytes(data, 4), vector)
    assert from_bytes(data, 4).dtype == np.float32


def test_a_float64_vector_is_stored_as_float32() -> None:
    assert len(to_bytes(np.ones(3, dtype=np.float64))) == 12


def test_bytes_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(ValueError, match="expected 4 float32 values"):
        from_bytes(b"\x00" * 12, 4)


def test_rows_of_stored_bytes_make_an_n_by_d_matrix() -> None:
    vectors = np.arange(15, dtype=np.float32).reshape(5, 3)

    matrix = matrix_from_rows((to_bytes(row) for row in vectors), 3)

    assert matrix.shape == (5, 3)
    assert matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix, vectors)


def test_rows_read_back_as_memoryviews_make_the_same_matrix() -> None:
    # PostgreSQL's driver returns bytea as memoryview.
    vectors = np.eye(3, dtype=np.float32)

    matrix = matrix_from_rows([memoryview(to_bytes(row)) for row in vectors], 3)

    np.testing.assert_array_equal(matrix, vectors)


def test_no_rows_make_an_empty_matrix_of_the_right_width() -> None:
    assert matrix_from_rows([], 512).shape == (0, 512)


def test_a_row_of_another_width_is_refused() -> None:
    with pytest.raises(ValueError, match="row 1"):
        matrix_from_rows([to_bytes(np.zeros(3)), to_bytes(np.zeros(4))], 3)
