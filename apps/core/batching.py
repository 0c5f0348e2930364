from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items (itertools.batched arrives with Python 3.12)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
