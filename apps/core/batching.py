from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items (itertools.batched arrives with Python 3.12)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def delete_in_batches(queryset, *, batch_size: int = 1000) -> int:
    """Delete the rows of `queryset` a batch at a time; returns how many rows were deleted.

    A large backlog (retention cleanups) never holds one long transaction or lock this way.
    """
    deleted = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += queryset.model.objects.filter(pk__in=ids).delete()[0]
