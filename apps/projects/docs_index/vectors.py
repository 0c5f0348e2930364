"""Embeddings as stored in DocChunk.vector: float32, little-endian, nothing else."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

# Fixed byte order: a database copied between machines still reads back the same numbers.
STORED_DTYPE = np.dtype("<f4")


def to_bytes(vector: np.ndarray) -> bytes:
    """The vector's bytes as stored; a 1-D vector of any float dtype."""
    array = np.asarray(vector)
    if array.ndim != 1:
        raise ValueError(f"expected a 1-D vector, got shape {array.shape}")
    return array.astype(STORED_DTYPE, copy=False).tobytes()


def from_bytes(data: bytes | memoryview, dimensions: int) -> np.ndarray:
    """The stored vector as float32 (read-only: it shares the buffer it was read from)."""
    if len(data) != dimensions * STORED_DTYPE.itemsize:
        raise ValueError(f"expected {dimensions} float32 values, got {len(data)} bytes")
    return np.frombuffer(data, dtype=STORED_DTYPE).astype(np.float32, copy=False)


def matrix_from_rows(rows: Iterable[bytes | memoryview], dimensions: int) -> np.ndarray:
    """An (n x dimensions) float32 matrix of stored vectors.

    One join and one np.frombuffer over all the bytes: tens of thousands of small arrays
    would cost far more than the copy.
    """
    row_bytes = dimensions * STORED_DTYPE.itemsize
    parts = list(rows)
    for number, part in enumerate(parts):
        if len(part) != row_bytes:
            raise ValueError(f"row {number}: expected {dimensions} float32 values, got {len(part)} bytes")
    if not parts:
        return np.zeros((0, dimensions), dtype=np.float32)
    matrix = np.frombuffer(b"".join(parts), dtype=STORED_DTYPE).reshape(len(parts), dimensions)
    return matrix.astype(np.float32, copy=False)
