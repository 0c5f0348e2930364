"""Listing the organization's repositories with the real client over HTTP, from the sandbox GitHub."""

from datetime import UTC, datetime

import pytest

from apps.integrations.github import GitHubNotFoundError, Repository
from apps.sandbox.github import catalog, services
from apps.sandbox.github.selectors import sandbox_github_request_counts
from tests.integrations.github.conftest import ORG

pytestmark = pytest.mark.django_db(transaction=True)


def all_repositories(client) -> list[Repository]:
    return [repo for page in client.repository_pages() for repo in page]


def test_250_repositories_come_in_three_pages_of_at_most_100_with_one_request_each(make_client, github_settings):
    github_settings.SANDBOX_GITHUB_REPO_COUNT = 250
    client = make_client(per_page=100)

    pages = list(client.repository_pages())

    assert [len(page) for page in pages] == [100, 100, 50]
    assert len({repo.id for page in pages for repo in page}) == 250
    counts = sandbox_github_request_counts()
    assert counts == {f"GET /orgs/{ORG}/repos": 3}  # no request per repository


def test_pages_are_fetched_one_at_a_time_as_the_caller_asks(make_client, github_settings):
    github_settings.SANDBOX_GITHUB_REPO_COUNT = 30
    pages = make_client(per_page=10).repository_pages()

    first = next(pages)

    assert len(first) == 10
    assert sandbox_github_request_counts() == {f"GET /orgs/{ORG}/repos": 1}


def test_a_repository_is_described_from_the_listing(client):
    repos = {repo.name: repo for repo in all_repositories(client)}

    billing = repos["billing-engine"]
    assert billing == Repository(
        id=catalog.repo_github_id(ORG, 3),
        name="billing-engine",
        full_name=f"{ORG}/billing-engine",
        description="Computes usage-based invoices with proration, VAT and multi-currency support.",
        default_branch="main",
        visibility="public",
        topics=("billing", "invoicing", "payments"),
        fork=False,
        archived=False,
        pushed_at=billing.pushed_at,
        html_url=billing.html_url,
    )
    assert billing.pushed_at is not None
    assert billing.pushed_at.tzinfo == UTC
    assert billing.html_url.endswith(f"/{ORG}/billing-engine")


def test_visibility_fork_archived_and_default_branch_vary_as_seeded(make_client, github_settings):
    github_settings.SANDBOX_GITHUB_REPO_COUNT = 13
    repos = {repo.id: repo for repo in all_repositories(make_client())}

    def seeded(n: int) -> Repository:
        return repos[catalog.repo_github_id(ORG, n)]

    assert seeded(5).visibility == "private"
    assert seeded(13).visibility == "internal"
    assert seeded(6).default_branch == "master"
    assert seeded(7).fork is True
    assert seeded(11).archived is True
    assert seeded(1).visibility == "public"


def test_a_renamed_repository_keeps_its_id_under_its_new_name(client):
    before = {repo.name: repo.id for repo in all_repositories(client)}
    services.sandbox_github_repo_rename(name="cache-layer", new_name="redis-cache")

    after = {repo.name: repo.id for repo in all_repositories(client)}

    assert "cache-layer" not in after
    assert after["redis-cache"] == before["cache-layer"]


def test_a_removed_repository_is_no_longer_listed(client):
    services.sandbox_github_repo_remove(name="auth-gateway")

    names = {repo.name for repo in all_repositories(client)}

    assert "auth-gateway" not in names
    assert len(names) == 11


def test_a_listing_change_is_seen_on_the_next_listing(client):
    services.sandbox_github_repo_update(name="log-shipper", archived=True, topics=["logging"], description="")

    repo = next(repo for repo in all_repositories(client) if repo.name == "log-shipper")

    assert (repo.archived, repo.topics, repo.description) == (True, ("logging",), "")


def test_an_empty_organization_yields_no_pages(make_client, github_settings):
    github_settings.SANDBOX_GITHUB_REPO_COUNT = 0

    assert list(make_client().repository_pages()) == []


def test_an_unknown_organization_raises_not_found(make_client):
    pages = make_client(organization="no-such-org").repository_pages()

    with pytest.raises(GitHubNotFoundError) as caught:
        next(pages)

    assert caught.value.status == 404
    assert caught.value.retryable is False


def test_the_organization_summary_counts_public_and_private_repositories(client):
    summary = client.organization_summary()

    assert summary["login"] == ORG
    assert summary["public_repos"] + summary["private_repos"] == summary["repo_count"] == 12
    assert summary["private_repos"] == 2  # repositories 5 and 10


def test_pushed_at_follows_a_push(client):
    pushed = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    services.sandbox_github_repo_push(name="message-bus", at=pushed)

    repo = next(repo for repo in all_repositories(client) if repo.name == "message-bus")

    assert repo.pushed_at == pushed
