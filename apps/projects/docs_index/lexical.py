"""BM25 over the chunks (bm25s), the headings weighted: the lexical ranking.

Two BM25 indexes over the same rows: the body's terms, and the "title" of each chunk (its
project's name, its file's path and its heading path). A chunk's score is body + TITLE_WEIGHT x
title, as in BM25F with per-field saturation: a term in a heading says more about what a
section is about than the same term once in its prose, and a query naming the project
("edge router certificates") prefers that project's documents.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from apps.projects.docs_index.terms import query_terms

# Lucene's BM25 with its usual parameters.
K1 = 1.2
B = 0.75
TITLE_WEIGHT = 2.0


class _Field:
    """One bm25s index, or nothing when no row has a term (bm25s cannot index an empty corpus)."""

    def __init__(self, rows: Sequence[list[str]]) -> None:
        self.size = len(rows)
        self._bm25: bm25s.BM25 | None = None
        if any(rows):
            self._bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
            self._bm25.index(list(rows), show_progress=False)

    def scores(self, terms: list[str]) -> np.ndarray:
        ids = self._bm25.get_tokens_ids(terms) if self._bm25 is not None else []
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)


@dataclass(frozen=True)
class LexicalMatch:
    scores: np.ndarray  # BM25 per row (0: no query term in it)
    # Per row, the share of the query's terms (weighted by their IDF) that the row contains, in
    # [0, 1]: how much of the question the row answers word for word. A term found nowhere
    # counts with the highest IDF, so a query of unknown words covers nothing.
    coverage: np.ndarray


class LexicalIndex:
    def __init__(self, body_terms: Sequence[list[str]], title_terms: Sequence[list[str]]) -> None:
        if len(body_terms) != len(title_terms):
            raise ValueError(f"{len(body_terms)} bodies for {len(title_terms)} titles")
        self._body = _Field(body_terms)
        self._title = _Field(title_terms)

    def __len__(self) -> int:
        return self._body.size

    def scores(self, query: str) -> np.ndarray:
        """One BM25 score per row (0: no query term in it)."""
        return self.scores_for_terms(query_terms(query))

    def scores_for_terms(self, terms: list[str]) -> np.ndarray:
        return self._body.scores(terms) + TITLE_WEIGHT * self._title.scores(terms)

    def match(self, query: str) -> LexicalMatch:
        terms = query_terms(query)
        rows = len(self)
        covered = np.zeros(rows, dtype=np.float32)
        total = 0.0
        for term in terms:
            present = self.scores_for_terms([term]) > 0
            frequency = int(np.count_nonzero(present))
            # BM25's (Lucene's) IDF, over the rows.
            weight = math.log(1 + (rows - frequency + 0.5) / (frequency + 0.5))
            total += weight
            covered += weight * present
        coverage = covered / total if total > 0 else covered
        return LexicalMatch(scores=self.scores_for_terms(terms), coverage=coverage)
