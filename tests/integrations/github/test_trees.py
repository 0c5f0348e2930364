"""Commits, trees and blobs with the real GitHub client, from the sandbox GitHub over HTTP."""

import pytest

from apps.integrations.github import (
    GitHubError,
    GitHubInvalidResponseError,
    GitHubNotFoundError,
    GitHubTreeTruncatedError,
    TreeEntry,
)
from apps.sandbox.github import catalog, services
from apps.sandbox.models import SandboxRepository
from tests.integrations.github.conftest import ORG

pytestmark = pytest.mark.django_db(transaction=True)

REPO = f"{ORG}/billing-engine"  # repository 3
TREES = f"/repos/{ORG}/billing-engine/git/trees/*"


@pytest.fixture(autouse=True)
def seeded(github_settings):
    """The organization seeded up front, so a test can read a head SHA before its first request."""
    services.sandbox_github_repos_ensure_configured()


def head() -> str:
    return SandboxRepository.objects.get(organization=ORG, name="billing-engine").head_sha


def test_a_branch_a_short_sha_and_a_full_sha_all_resolve_to_the_head_commit(client):
    sha = client.commit_sha(REPO, "main")

    assert sha == head()
    assert client.commit_sha(REPO, sha[:7]) == sha
    assert client.commit_sha(REPO, sha.upper()) == sha
    assert client.commit_sha(REPO, "refs/heads/main") == sha


def test_a_push_moves_what_the_branch_resolves_to(client):
    before = client.commit_sha(REPO, "main")

    pushed = services.sandbox_github_repo_push(name="billing-engine")

    assert client.commit_sha(REPO, "main") == pushed != before


def test_an_unknown_ref_is_not_found_with_github_s_message(client):
    with pytest.raises(GitHubNotFoundError) as caught:
        client.commit_sha(REPO, "no-such-branch")

    assert caught.value.status == 422
    assert "No commit found for SHA: no-such-branch" in str(caught.value)
    assert not caught.value.retryable


def test_an_unknown_repository_is_not_found_either(client):
    with pytest.raises(GitHubNotFoundError) as caught:
        client.commit_sha(f"{ORG}/no-such-repository", "main")

    assert caught.value.status == 404


def test_an_empty_ref_is_refused_before_any_request(client):
    with pytest.raises(ValueError, match="ref"):
        client.commit_sha(REPO, " ")


def test_the_tree_lists_every_file_with_its_size_and_blob_id_and_every_directory(client):
    files = catalog.repo_files(ORG, 3)

    entries = client.tree(REPO, client.commit_sha(REPO, "main"))

    blobs = {entry.path: entry for entry in entries if entry.type == "blob"}
    assert set(blobs) == set(files)
    for path, content in files.items():
        expected = (len(content), catalog.blob_sha(content), "100644")
        assert (blobs[path].size, blobs[path].sha, blobs[path].mode) == expected
    trees = {entry.path: entry for entry in entries if entry.type == "tree"}
    assert set(trees) == {"docs", "docs/guides", "playbooks"}
    assert all(entry.size == 0 and entry.mode == "040000" for entry in trees.values())
    assert [entry.path for entry in entries] == sorted(entry.path for entry in entries)
    assert all(isinstance(entry, TreeEntry) for entry in entries)


def test_every_repository_carries_harmless_playbooks_and_only_deploy_pipeline_a_requirements_file(client):
    deploy = {entry.path for entry in client.tree(f"{ORG}/deploy-pipeline", "main")}
    billing = {entry.path for entry in client.tree(REPO, "main")}

    assert {"playbooks/ping.yml", "playbooks/site.yml", "collections/requirements.yml"} <= deploy
    assert {"playbooks/ping.yml", "playbooks/site.yml"} <= billing
    assert "collections/requirements.yml" not in billing


def test_a_blob_comes_back_as_the_bytes_of_the_file(client):
    site = next(entry for entry in client.tree(REPO, head()) if entry.path == "playbooks/site.yml")

    data = client.blob(REPO, site.sha)

    assert data == catalog.repo_files(ORG, 3)["playbooks/site.yml"]
    assert b"ansible.builtin.ping" in data


def test_an_unknown_tree_is_not_found(client):
    with pytest.raises(GitHubNotFoundError):
        client.tree(REPO, "0" * 40)


def test_a_truncated_listing_is_an_error_not_half_a_tree(client):
    body = {"sha": "1" * 40, "tree": [{"path": "a.yml", "mode": "100644", "type": "blob", "sha": "2" * 40, "size": 1}]}
    services.sandbox_github_fault_add(path=TREES, status=200, body=body | {"truncated": True})

    with pytest.raises(GitHubTreeTruncatedError) as caught:
        client.tree(REPO, head())

    assert isinstance(caught.value, GitHubError)
    assert not caught.value.retryable
    assert "too large to be read in one listing" in str(caught.value)


def test_a_tree_entry_of_an_unknown_type_is_an_invalid_answer(client):
    body = {"sha": "1" * 40, "truncated": False, "tree": [{"path": "x", "mode": "1", "type": "weird", "sha": "2" * 40}]}
    services.sandbox_github_fault_add(path=TREES, status=200, body=body)

    with pytest.raises(GitHubInvalidResponseError, match="tree entry 0: field 'type'"):
        client.tree(REPO, head())


def test_symlinks_and_submodules_are_listed_as_github_gives_them(client):
    body = {
        "sha": "1" * 40,
        "truncated": False,
        "tree": [
            {"path": "link.yml", "mode": "120000", "type": "blob", "sha": "3" * 40, "size": 9},
            {"path": "vendor/lib", "mode": "160000", "type": "commit", "sha": "4" * 40},
        ],
    }
    services.sandbox_github_fault_add(path=TREES, status=200, body=body)

    entries = client.tree(REPO, head())

    assert entries == [
        TreeEntry(path="link.yml", sha="3" * 40, size=9, type="blob", mode="120000"),
        TreeEntry(path="vendor/lib", sha="4" * 40, size=0, type="commit", mode="160000"),
    ]
