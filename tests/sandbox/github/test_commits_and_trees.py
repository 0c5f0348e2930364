"""The sandbox GitHub's commits and git trees, over plain HTTP: GitHub's shapes and git's ids."""

import pytest

from apps.sandbox.github import catalog, services
from apps.sandbox.models import SandboxRepository
from tests.sandbox.github.conftest import ORG

pytestmark = pytest.mark.django_db(transaction=True)

BILLING = f"/repos/{ORG}/billing-engine"


@pytest.fixture(autouse=True)
def seeded(github_settings):
    """The organization seeded up front, so a test can read a head SHA before its first request."""
    services.sandbox_github_repos_ensure_configured()


def head() -> str:
    return SandboxRepository.objects.get(organization=ORG, name="billing-engine").head_sha


def test_the_commit_of_the_default_branch_names_its_sha_and_root_tree(gh):
    commit = gh.get(f"{BILLING}/commits/main").json()
    tree = gh.get(f"{BILLING}/git/trees/{commit['sha']}").json()

    assert commit["sha"] == head()
    assert commit["commit"]["tree"]["sha"] == tree["sha"]
    assert commit["parents"] == []


def test_an_unknown_ref_answers_github_s_422(gh):
    response = gh.get(f"{BILLING}/commits/nope")

    assert response.status_code == 422
    assert response.json()["message"] == "No commit found for SHA: nope"


def test_a_recursive_tree_lists_files_as_blobs_and_directories_as_trees_with_git_s_ids(gh):
    files = catalog.repo_files(ORG, 3)
    ids = catalog.tree_shas({path: catalog.blob_sha(content) for path, content in files.items()})

    tree = gh.get(f"{BILLING}/git/trees/{head()}", params={"recursive": "1"}).json()

    assert tree["truncated"] is False
    assert tree["sha"] == ids[""]
    by_path = {entry["path"]: entry for entry in tree["tree"]}
    assert by_path["playbooks/site.yml"] | {"url": ""} == {
        "path": "playbooks/site.yml",
        "mode": "100644",
        "type": "blob",
        "sha": catalog.blob_sha(files["playbooks/site.yml"]),
        "size": len(files["playbooks/site.yml"]),
        "url": "",
    }
    assert by_path["docs/guides"]["type"] == "tree"
    assert by_path["docs/guides"]["sha"] == ids["docs/guides"]
    assert "size" not in by_path["docs/guides"]
    assert set(by_path) == set(files) | {"docs", "docs/guides", "playbooks"}


def test_without_recursive_a_tree_lists_one_level_and_a_directory_answers_by_its_id(gh):
    top = gh.get(f"{BILLING}/git/trees/main").json()
    docs_id = next(entry["sha"] for entry in top["tree"] if entry["path"] == "docs")

    docs = gh.get(f"{BILLING}/git/trees/{docs_id}").json()

    assert [entry["path"] for entry in top["tree"]] == ["README.md", "docs", "playbooks"]
    assert docs["sha"] == docs_id
    assert [entry["path"] for entry in docs["tree"]] == [
        "architecture.md",
        "configuration.md",
        "guides",
        "operations.md",
    ]


def test_a_directory_has_the_same_id_in_the_contents_listing_and_the_tree(gh):
    top = gh.get(f"{BILLING}/git/trees/main").json()
    contents = gh.get(f"{BILLING}/contents/").json()

    tree_ids = {entry["path"]: entry["sha"] for entry in top["tree"] if entry["type"] == "tree"}
    content_ids = {entry["path"]: entry["sha"] for entry in contents if entry["type"] == "dir"}
    assert tree_ids == content_ids


def test_a_push_changes_the_tree_and_an_unknown_tree_is_404(gh):
    before = gh.get(f"{BILLING}/git/trees/main").json()["sha"]

    services.sandbox_github_repo_push(name="billing-engine", files={"playbooks/extra.yml": "- hosts: all\n"})

    after = gh.get(f"{BILLING}/git/trees/main", params={"recursive": "1"}).json()
    assert after["sha"] != before
    assert "playbooks/extra.yml" in {entry["path"] for entry in after["tree"]}
    assert gh.get(f"{BILLING}/git/trees/{before}").status_code == 404
