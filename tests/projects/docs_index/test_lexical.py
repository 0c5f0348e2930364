"""BM25 with weighted headings, and how much of a query a chunk covers."""

import numpy as np
import pytest

from apps.projects.docs_index.lexical import LexicalIndex
from apps.projects.docs_index.terms import terms

BODIES = ["servers need maintenance", "the zeppelin needs maintenance", "servers need backups", "servers need upgrades"]


def index(titles: list[str] | None = None) -> LexicalIndex:
    return LexicalIndex([terms(text) for text in BODIES], [terms(text) for text in titles or [""] * len(BODIES)])


def test_a_rare_term_weighs_more_than_a_common_one() -> None:
    scores = index().scores("server zeppelin")

    assert int(np.argmax(scores)) == 1
    assert scores[1] > scores[0] > 0


def test_a_term_in_the_heading_weighs_more_than_in_the_body() -> None:
    scores = index(titles=["", "", "Backups", ""]).scores("backups")

    assert scores[2] > index().scores("backups")[2]


def test_coverage_is_the_idf_weighted_share_of_the_query_a_row_holds() -> None:
    match = index().match("zeppelin maintenance")

    assert match.coverage[1] == pytest.approx(1.0)
    assert 0 < match.coverage[0] < 0.5  # "maintenance" only, the commoner word
    assert match.coverage[2] == 0
    assert not index().match("qqqzzz").coverage.any()


def test_an_empty_corpus_matches_nothing() -> None:
    empty = LexicalIndex([[]], [[]])

    assert empty.scores("anything").tolist() == [0.0]
