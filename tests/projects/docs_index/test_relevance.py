"""The docs search measured on the relevance set, through the API, over the sandbox organization.

A quality assertion, not a timed one: the sandbox GitHub's 14 themes are indexed for real (sync,
docs indexing over HTTP), and every question of relevance/questions.json is asked of
GET /api/projects/search/. The figures are printed by `make bench` and kept in docs/benchmarks.md.
"""

import pytest
from rest_framework.test import APIClient

from apps.core.choices import SyncStatus
from apps.projects.choices import SearchRanking
from apps.projects.services import docs_index_now, github_sync_now
from tests.projects.conftest import TOKEN
from tests.projects.docs_index.relevance import (
    SANDBOX_REPOSITORIES,
    Measures,
    document_of,
    measure,
    nonsense_queries,
    questions,
)
from tests.projects.factories import github_account
from tests.roles import user_with_role

RELEVANCE_ORG = "sandbox-org"
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.semantic]


@pytest.fixture
def indexed(sandbox_github, settings):
    from apps.sandbox.github.services import sandbox_github_repos_ensure

    # Not the tests' "acme": its name is in every README, and "ACME" is one of the questions.
    sandbox_github_repos_ensure(count=SANDBOX_REPOSITORIES, organization=RELEVANCE_ORG)
    account = github_account(organization=RELEVANCE_ORG, base_url=sandbox_github, token=TOKEN)
    assert github_sync_now(account=account).status == SyncStatus.SUCCEEDED
    run = docs_index_now(account=account)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert run.updated == SANDBOX_REPOSITORIES
    client = APIClient()
    client.force_authenticate(user_with_role("viewer"))
    return client


def ask(client: APIClient, query: str, ranking: str | None = None) -> dict:
    params = {"q": query, "limit": 10} | ({"ranking": ranking} if ranking else {})
    response = client.get("/api/projects/search/", params)
    assert response.status_code == 200, response.content
    return {"ranking": response["X-Search-Ranking"], "results": response.json()}


def measured(client: APIClient, ranking: str | None, kind: str | None = None) -> Measures:
    items = [item for item in questions() if kind is None or item.kind == kind]
    return measure(lambda query: [document_of(result) for result in ask(client, query, ranking)["results"]], items)


def test_the_default_ranking_finds_the_answers_and_nothing_for_nonsense(indexed):
    assert ask(indexed, "ACME")["ranking"] == SearchRanking.HYBRID

    overall = measured(indexed, None)
    exact = measured(indexed, None, "exact")

    # Measured 0.80 overall (exact terms 1.0, paraphrases 0.59): docs/benchmarks.md.
    assert overall.ndcg10 >= 0.79, overall
    assert exact.ndcg10 >= 0.95, exact
    for query in nonsense_queries():
        answer = ask(indexed, query)
        assert answer["results"] == [], (query, answer)


def test_the_hybrid_ranking_is_at_least_as_good_as_either_ranking_on_both_halves(indexed):
    for kind in ("exact", "paraphrase"):
        hybrid = measured(indexed, SearchRanking.HYBRID, kind)
        for single in (SearchRanking.LEXICAL, SearchRanking.SEMANTIC):
            alone = measured(indexed, single, kind)
            assert hybrid.ndcg10 >= alone.ndcg10 - 0.005, (kind, single, hybrid, alone)
            assert hybrid.recall10 >= alone.recall10, (kind, single, hybrid, alone)
    for query in nonsense_queries():
        for ranking in SearchRanking:
            assert ask(indexed, query, ranking)["results"] == [], (query, ranking)
