"""Seeding the sandbox GitHub and the services tests use to change its world."""

import time

import pytest

from apps.core.exceptions import ConflictError, NotFoundError, ValidationError
from apps.sandbox.github import catalog, services
from apps.sandbox.github.themes import THEMES
from apps.sandbox.models import SandboxRepoFile, SandboxRepository
from tests.sandbox.github.conftest import ORG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def organization(github_settings):
    github_settings.SANDBOX_GITHUB_REPO_COUNT = 12
    return ORG


def test_ensure_creates_the_missing_repositories_and_reports_how_many():
    assert services.sandbox_github_repos_ensure(count=12) == 12
    assert services.sandbox_github_repos_ensure(count=12) == 0
    assert services.sandbox_github_repos_ensure(count=15) == 3
    assert services.sandbox_github_repos_ensure(count=4) == 0
    assert SandboxRepository.objects.count() == 15


def test_every_seeded_repository_has_a_readme_and_docs_about_its_own_topic():
    services.sandbox_github_repos_ensure(count=len(THEMES))

    for repo in SandboxRepository.objects.all():
        paths = set(repo.files.values_list("path", flat=True))
        assert {"README.md", "docs/architecture.md", "docs/operations.md", "docs/configuration.md"} <= paths
    topics = {tuple(topics) for topics in SandboxRepository.objects.values_list("topics", flat=True)}
    assert len(topics) == len(THEMES)


def test_a_removed_repository_is_not_seeded_again():
    services.sandbox_github_repos_ensure(count=12)
    services.sandbox_github_repo_remove(name="cache-layer")

    assert services.sandbox_github_repos_ensure(count=12) == 0
    live = SandboxRepository.objects.filter(removed_at__isnull=True)
    assert not live.filter(name="cache-layer").exists()
    assert live.count() == 11


def test_seeded_values_depend_on_the_organization_and_number_alone():
    assert catalog.repo_values(ORG, 7) == catalog.repo_values(ORG, 7)
    assert catalog.repo_files(ORG, 7) == catalog.repo_files(ORG, 7)
    assert catalog.repo_name(1) == "deploy-pipeline"
    assert catalog.repo_name(len(THEMES) + 1) == "deploy-pipeline-2"
    assert catalog.repo_github_id(ORG, 1) != catalog.repo_github_id("other-org", 1)


def test_two_organizations_can_be_seeded_side_by_side():
    services.sandbox_github_repos_ensure(count=3)
    services.sandbox_github_repos_ensure(count=3, organization="other-org")

    assert SandboxRepository.objects.filter(organization="other-org").count() == 3
    assert SandboxRepository.objects.values("github_id").distinct().count() == 6


def test_two_thousand_repositories_seed_quickly_for_the_benchmark():
    started = time.monotonic()

    assert services.sandbox_github_repos_ensure(count=2000) == 2000

    assert time.monotonic() - started < 10
    assert SandboxRepository.objects.values("name").distinct().count() == 2000
    assert SandboxRepoFile.objects.count() >= 2000 * 5


def test_ensure_refuses_more_repositories_than_ids_allow():
    with pytest.raises(ValueError, match="at most"):
        services.sandbox_github_repos_ensure(count=catalog.MAX_REPOS + 1)


def test_a_push_moves_the_head_and_writes_the_files_given():
    services.sandbox_github_repos_ensure(count=12)
    before = SandboxRepository.objects.get(name="billing-engine")

    head = services.sandbox_github_repo_push(
        name="billing-engine", files={"docs/new.md": "# New", "docs/operations.md": None}
    )

    after = SandboxRepository.objects.get(name="billing-engine")
    assert after.head_sha == head != before.head_sha
    assert after.pushed_at > before.pushed_at
    paths = set(after.files.values_list("path", flat=True))
    assert "docs/new.md" in paths
    assert "docs/operations.md" not in paths


def test_a_file_of_a_given_size_can_be_put():
    services.sandbox_github_file_put(name="billing-engine", path="docs/big.md", size=12_345)

    file = SandboxRepoFile.objects.get(repository__name="billing-engine", path="docs/big.md")
    assert file.size == len(bytes(file.content)) == 12_345
    assert file.sha == catalog.blob_sha(bytes(file.content))


def test_renaming_onto_a_taken_name_is_a_conflict():
    with pytest.raises(ConflictError):
        services.sandbox_github_repo_rename(name="billing-engine", new_name="cache-layer")


def test_changing_an_unknown_repository_is_not_found():
    with pytest.raises(NotFoundError):
        services.sandbox_github_repo_remove(name="no-such-repository")


def test_a_file_put_needs_content_or_a_size_not_both():
    with pytest.raises(ValidationError):
        services.sandbox_github_file_put(name="billing-engine", path="x.md", content=b"x", size=1)
