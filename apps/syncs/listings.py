"""Comparing a complete listing from an external system with the rows it was stored in.

Shared by every sync that mirrors a listing (servers, projects): what is new, what changed,
what vanished (to be marked gone, never deleted) and what came back. Pure: the caller reads
the rows and writes the result.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


@dataclass
class ListingDiff:
    new: list[Hashable] = field(default_factory=list)  # listed keys with no row yet
    changed: list[Hashable] = field(default_factory=list)  # listed keys whose row differs
    returning: list[int] = field(default_factory=list)  # pks of gone rows listed again
    vanished: list[int] = field(default_factory=list)  # pks of present rows no longer listed
    counts: WriteCounts = field(default_factory=WriteCounts)


def listing_diff(
    *,
    rows: Iterable[tuple[int, Hashable, bool, Sequence[Any]]],
    incoming: Mapping[Hashable, Mapping[str, Any]],
    fields: Sequence[str],
) -> ListingDiff:
    """`rows` are the stored (pk, key, gone, values of `fields`); `incoming` the listing, by key.

    A returning row counts as updated even when its values did not change (its state does).
    """
    diff = ListingDiff()
    seen: set[Hashable] = set()
    for pk, key, gone, current in rows:
        values = incoming.get(key)
        if values is None:
            if not gone:
                diff.vanished.append(pk)
            continue
        seen.add(key)
        if gone:
            diff.returning.append(pk)
        if [values[name] for name in fields] != list(current):
            diff.changed.append(key)
            diff.counts.updated += 1
        elif gone:
            diff.counts.updated += 1
        else:
            diff.counts.unchanged += 1
    diff.new = [key for key in incoming if key not in seen]
    diff.counts.created = len(diff.new)
    diff.counts.removed = len(diff.vanished)
    return diff
