"""From per-chunk scores to ranked documents.

A result is a document (a file of a project), shown by its best chunk: three sections of one file
matching a query are one answer, and the next documents are not pushed out of the first page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RankedDocument:
    document: int  # the row's document code (one per project and path)
    row: int  # the row of its best chunk in this ranking
    score: float


def ranked_documents(
    scores: np.ndarray, eligible: np.ndarray, documents: np.ndarray, ids: np.ndarray, *, depth: int
) -> list[RankedDocument]:
    """The best `depth` documents among the eligible rows, best first, each by its best chunk.

    Ties go to the smaller chunk id, so an answer never depends on the order rows were loaded in.
    """
    candidates = np.flatnonzero(eligible)
    if not len(candidates) or depth < 1:
        return []
    # Enough rows for `depth` documents even when every document matches with several chunks.
    rows_wanted = depth * 8
    if len(candidates) > rows_wanted:
        keep = np.argpartition(-scores[candidates], rows_wanted - 1)[:rows_wanted]
        threshold = scores[candidates[keep]].min()
        candidates = candidates[scores[candidates] >= threshold]
    order = candidates[np.lexsort((ids[candidates], -scores[candidates]))]
    seen: set[int] = set()
    ranked: list[RankedDocument] = []
    for row in order:
        document = int(documents[row])
        if document in seen:
            continue
        seen.add(document)
        ranked.append(RankedDocument(document=document, row=int(row), score=float(scores[row])))
        if len(ranked) == depth:
            break
    return ranked
