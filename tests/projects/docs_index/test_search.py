"""Search through the database: each ranking, no answer for nonsense, filters, the index cache."""

import pytest

from apps.core.exceptions import ValidationError
from apps.projects.choices import SearchRanking
from apps.projects.docs_index import docs_index_version_bump, search, search_chunks, search_index
from apps.projects.models import DocChunk
from tests.projects.docs_index.helpers import index_chunks, make_project

pytestmark = pytest.mark.django_db

EDGE = [
    "# Operating\n\nCertificates renew thirty days before expiry.",
    "# Configuring\n\n| variable | meaning |\n|---|---|\n| `EDGE_ACME_EMAIL` | contact address |\n",
]
CACHE = ["# Cache\n\nKeys expire with random jitter.", "# Warmer\n\nThe warmer precomputes hot keys after a deploy."]
LEDGER = ["# Ledger\n\nThe ledger database is replicated with raft consensus across three nodes."]


def paths(answer) -> list[str]:
    by_id = dict(DocChunk.objects.values_list("id", "path"))
    return [by_id[hit.chunk_id] for hit in answer.hits]


@pytest.fixture
def corpus(word_vectors):
    edge, cache, ledger = make_project("edge"), make_project("cache"), make_project("ledger")
    return {
        "edge": index_chunks(edge, EDGE),
        "cache": index_chunks(cache, CACHE),
        "ledger": index_chunks(ledger, LEDGER),
    }


def test_an_exact_identifier_finds_its_chunk_first_in_every_ranking_that_reads_words(corpus) -> None:
    for ranking in (SearchRanking.LEXICAL, SearchRanking.HYBRID):
        answer = search_chunks(query="EDGE_ACME_EMAIL", limit=5, ranking=ranking)

        assert answer.ranking == ranking
        assert answer.hits[0].chunk_id == corpus["edge"][1].id
        assert answer.hits[0].lexical_score > 0


def test_a_paraphrase_is_found_by_meaning_not_by_words(corpus) -> None:
    # "refreshed" and "certs" share no term with the chunk; the test backend knows them as synonyms.
    assert search_chunks(query="certs refreshed", limit=5, ranking=SearchRanking.LEXICAL).hits == []

    for ranking in (SearchRanking.SEMANTIC, SearchRanking.HYBRID):
        answer = search_chunks(query="certs refreshed", limit=5, ranking=ranking)

        assert answer.hits[0].chunk_id == corpus["edge"][0].id
        assert answer.hits[0].semantic_score >= 0.5


def test_a_query_with_no_meaningful_match_answers_nothing(corpus) -> None:
    for ranking in SearchRanking:
        assert search_chunks(query="zzzqqqxxx", limit=5, ranking=ranking).hits == []
    assert search_chunks(query="   ", limit=5).hits == []
    assert search_chunks(query="raft", limit=0).hits == []


def test_results_are_documents_best_first_and_never_more_than_the_limit(corpus) -> None:
    answer = search_chunks(query="keys", limit=1, ranking=SearchRanking.LEXICAL)

    assert len(answer.hits) == 1
    both = search_chunks(query="keys", limit=5, ranking=SearchRanking.LEXICAL)
    assert paths(both) == ["docs/1.md", "docs/0.md"] or paths(both) == ["docs/0.md", "docs/1.md"]
    assert both.hits[0].score >= both.hits[1].score


def test_a_project_filter_limits_the_results_to_its_chunks(corpus) -> None:
    cache_project = corpus["cache"][0].project_id

    answer = search_chunks(
        query="deploy expiry keys", limit=5, ranking=SearchRanking.HYBRID, project_ids={cache_project}
    )

    assert answer.hits
    assert {DocChunk.objects.get(pk=hit.chunk_id).project_id for hit in answer.hits} == {cache_project}


def test_without_a_semantic_backend_search_is_lexical_and_asking_for_more_is_refused(lexical_only) -> None:
    chunks = index_chunks(make_project("ledger"), LEDGER)

    answer = search_chunks(query="raft consensus", limit=5)

    assert answer.ranking == SearchRanking.LEXICAL
    assert [hit.chunk_id for hit in answer.hits] == [chunks[0].id]
    assert DocChunk.objects.get().vector == b""
    with pytest.raises(ValidationError, match="not installed"):
        search_chunks(query="raft", limit=5, ranking=SearchRanking.HYBRID)


def test_the_index_is_rebuilt_after_a_version_bump_and_not_otherwise(
    word_vectors, monkeypatch, django_assert_num_queries
) -> None:
    builds: list[int] = []
    real_load = search.load_rows

    def counting_load(backend_name: str):
        builds.append(1)
        return real_load(backend_name)

    monkeypatch.setattr(search, "load_rows", counting_load)
    index_chunks(make_project("edge"), EDGE)

    first = search_index()
    with django_assert_num_queries(1):  # only the version number
        assert search_index() is first
    search_chunks(query="certificates", limit=3)
    assert len(builds) == 1

    docs_index_version_bump()
    assert search_index() is not first
    index_chunks(make_project("cache"), CACHE)  # writes chunks and bumps
    assert len(search_index()) == len(EDGE) + len(CACHE)
    assert len(builds) == 3


def test_vectors_of_another_backend_are_not_compared_but_the_words_still_are(corpus) -> None:
    DocChunk.objects.update(backend="st-some-other-model-384")
    docs_index_version_bump()

    assert search_chunks(query="certs refreshed", limit=5, ranking=SearchRanking.SEMANTIC).hits == []
    assert search_chunks(query="raft consensus", limit=5, ranking=SearchRanking.HYBRID).hits
