import pytest

from apps.projects.docs_index import clear_search_index_cache

ORG = "acme"
TOKEN = "projects-tests-github-token"


@pytest.fixture
def sandbox_github(settings, live_server):
    """The sandbox GitHub served over real HTTP, with a small organization; returns its API root."""
    settings.SANDBOX_ENABLED = True
    settings.SANDBOX_GITHUB_ORGANIZATION = ORG
    settings.SANDBOX_GITHUB_REPO_COUNT = 5
    settings.SANDBOX_GITHUB_TOKEN = TOKEN
    settings.SANDBOX_GITHUB_RATE_LIMIT = 5000
    settings.GITHUB_RETRY_ATTEMPTS = 2
    settings.GITHUB_RATE_LIMIT_RESERVE = 10
    from apps.sandbox.github.services import (
        sandbox_github_faults_clear,
        sandbox_github_rate_reset,
        sandbox_github_repos_ensure,
    )

    sandbox_github_faults_clear()
    sandbox_github_rate_reset()
    sandbox_github_repos_ensure(count=5, organization=ORG)
    return f"{live_server.url}/sandbox/github/api/v3"


@pytest.fixture
def sandbox_account(sandbox_github):
    from tests.projects.factories import github_account

    return github_account(organization=ORG, base_url=sandbox_github, token=TOKEN)


@pytest.fixture(autouse=True)
def fresh_search_cache():
    clear_search_index_cache()
    yield
    clear_search_index_cache()
