"""Search across projects through the database: ranking, comparability over time, the matrix cache."""

import numpy as np
import pytest

from apps.projects.docs_index import (
    SearchHit,
    SearchMatrix,
    docs_index_version_bump,
    embedding_backend,
    search,
    search_chunks,
    search_matrix,
)
from apps.projects.models import DocChunk, DocsIndexVersion
from tests.projects.docs_index.helpers import index_chunks, make_project

pytestmark = pytest.mark.django_db

FLEET = [
    "Fleet deploys containers to servers from one manifest.",
    "Install Fleet with pip and configure the servers list.",
    "Rollbacks restore the previous containers on every server.",
]
LEDGER = [
    "Ledger records payments and invoices for customers.",
    "The ledger database is replicated with raft consensus across three nodes.",
    "Export invoices to CSV for the accountants.",
]
WIKI = [
    "The wiki explains how to onboard new engineers.",
    "Servers are named after planets; ask the ops team for access.",
    "Meeting notes live in the shared drive.",
]


def test_a_distinctive_term_ranks_the_right_chunk_first_across_projects() -> None:
    index_chunks(make_project("fleet"), FLEET)
    ledger = index_chunks(make_project("ledger"), LEDGER)
    index_chunks(make_project("wiki"), WIKI)

    hits = search_chunks(query="raft consensus", limit=5)

    assert hits[0] == SearchHit(chunk_id=ledger[1].id, score=pytest.approx(hits[0].score))
    assert hits[0].score > 0
    assert all(hit.score < hits[0].score for hit in hits[1:])


def test_results_are_best_first_and_never_more_than_the_limit() -> None:
    index_chunks(make_project("fleet"), FLEET)
    index_chunks(make_project("wiki"), WIKI)

    hits = search_chunks(query="servers containers", limit=2)

    assert len(hits) == 2
    assert hits[0].score >= hits[1].score
    assert search_chunks(query="servers containers", limit=0) == []
    assert search_chunks(query="   ", limit=5) == []


def test_a_project_indexed_later_leaves_earlier_scores_as_if_all_were_indexed_at_once() -> None:
    fleet = index_chunks(make_project("fleet"), FLEET)
    fleet_vectors = [bytes(chunk.vector) for chunk in fleet]

    # Later: two more projects are indexed, with words that change the corpus' statistics.
    index_chunks(make_project("ledger"), LEDGER)
    index_chunks(make_project("wiki"), WIKI)
    query = "containers on servers"
    hits = search_chunks(query=query, limit=9)

    # What everything indexed in one go, at the time of the query, would give.
    backend = embedding_backend()
    chunks = list(DocChunk.objects.order_by("id"))
    at_once = SearchMatrix(
        np.array([chunk.id for chunk in chunks]),
        backend.embed_documents([chunk.text for chunk in chunks]),
        uses_idf=backend.uses_idf,
    ).query(backend.embed_query(query), limit=9)

    assert [(hit.chunk_id, hit.score) for hit in hits] == [
        (chunk_id, pytest.approx(score, rel=1e-5)) for chunk_id, score in at_once
    ]
    fleet_ids = {chunk.id for chunk in fleet}
    assert [hit.chunk_id for hit in hits if hit.chunk_id in fleet_ids] == [
        chunk_id for chunk_id, _ in at_once if chunk_id in fleet_ids
    ]
    # Fleet's stored vectors were not touched by the later indexing.
    assert [
        bytes(vector)
        for vector in DocChunk.objects.filter(id__in=fleet_ids).order_by("id").values_list("vector", flat=True)
    ] == fleet_vectors


def test_the_matrix_is_rebuilt_after_a_version_bump_and_not_otherwise(monkeypatch, django_assert_num_queries) -> None:
    builds: list[str] = []
    real_load = search.load_search_matrix

    def counting_load(backend_name: str, **kwargs) -> SearchMatrix:
        builds.append(backend_name)
        return real_load(backend_name, **kwargs)

    monkeypatch.setattr(search, "load_search_matrix", counting_load)
    fleet = make_project("fleet")
    index_chunks(fleet, FLEET)

    first = search_matrix()
    with django_assert_num_queries(1):  # only the version number
        assert search_matrix() is first
    search_chunks(query="servers", limit=3)
    assert len(builds) == 1

    docs_index_version_bump()
    second = search_matrix()
    assert second is not first
    assert len(builds) == 2

    index_chunks(make_project("wiki"), WIKI)  # writes chunks and bumps
    assert len(search_matrix()) == len(FLEET) + len(WIKI)
    assert len(builds) == 3


def test_chunks_of_another_backend_are_not_searched() -> None:
    index_chunks(make_project("fleet"), FLEET)
    DocChunk.objects.update(backend="st-some-model-384")
    docs_index_version_bump()

    assert len(search_matrix()) == 0
    assert search_chunks(query="containers", limit=5) == []


def test_the_version_bump_creates_the_row_when_missing_then_increments_it() -> None:
    DocsIndexVersion.objects.all().delete()

    docs_index_version_bump()
    assert DocsIndexVersion.objects.get().version == 1

    docs_index_version_bump()
    docs_index_version_bump()
    assert DocsIndexVersion.objects.get().version == 3
