"""A GitHub project as a job's source, against the sandbox GitHub: refs resolved to commits, the
playbooks at a commit, its tree written into a run directory, the collections it does not vendor."""

import re
import stat
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.choices import SyncStatus
from apps.core.exceptions import PlatformError, ServiceUnavailableError, ValidationError
from apps.projects.choices import ProjectState
from apps.projects.models import Project
from apps.projects.services import (
    ProjectSourceError,
    collections_missing,
    github_sync_now,
    project_playbooks,
    project_ref_resolve,
    project_tree_fetch,
)
from apps.sandbox.github import catalog
from apps.sandbox.github.selectors import sandbox_github_request_counts
from apps.sandbox.github.services import (
    sandbox_github_fault_add,
    sandbox_github_fault_rate_limited,
    sandbox_github_repo_push,
    sandbox_github_request_counts_reset,
)
from apps.sandbox.models import SandboxRepository
from tests.projects.conftest import ORG, TOKEN
from tests.roles import api_client_with_role

pytestmark = pytest.mark.django_db(transaction=True)

TREES = f"/repos/{ORG}/billing-engine/git/trees/*"


@pytest.fixture
def synced(sandbox_account):
    assert github_sync_now(account=sandbox_account).status == SyncStatus.SUCCEEDED
    return sandbox_account


@pytest.fixture
def billing(synced) -> Project:
    return Project.objects.get(name="billing-engine")  # repository 3: no requirements file


@pytest.fixture
def deploy(synced) -> Project:
    return Project.objects.get(name="deploy-pipeline")  # repository 1: names a collection it lacks


def head(name: str = "billing-engine") -> str:
    return SandboxRepository.objects.get(organization=ORG, name=name).head_sha


def requests_matching(part: str) -> int:
    return sum(count for key, count in sandbox_github_request_counts().items() if part in key)


def field_errors(caught) -> dict:
    return caught.value.field_errors


# --- Resolving a ref ------------------------------------------------------------------------


def test_a_branch_or_a_short_sha_resolves_to_the_full_commit(billing):
    assert project_ref_resolve(project=billing, ref="main") == head()
    assert project_ref_resolve(project=billing, ref=head()[:8]) == head()


def test_an_unknown_ref_is_a_field_error_naming_the_ref_and_the_repository(billing):
    with pytest.raises(ValidationError) as caught:
        project_ref_resolve(project=billing, ref="release-9")

    assert field_errors(caught) == {"source": [f"no branch, tag or commit 'release-9' in {ORG}/billing-engine"]}


def test_the_field_the_error_is_filed_under_can_be_chosen(billing):
    with pytest.raises(ValidationError) as caught:
        project_ref_resolve(project=billing, ref="", field="ref")

    assert field_errors(caught) == {"ref": [f"name a branch, tag or commit of {ORG}/billing-engine"]}


def test_a_ref_git_could_never_name_is_refused_without_asking_github(billing):
    sandbox_github_request_counts_reset()

    with pytest.raises(ValidationError):
        project_ref_resolve(project=billing, ref="main..other")

    assert sandbox_github_request_counts() == {}


def test_an_archived_project_is_no_source(billing):
    Project.objects.filter(pk=billing.pk).update(state=ProjectState.ARCHIVED)
    billing.refresh_from_db()

    with pytest.raises(ValidationError) as caught:
        project_ref_resolve(project=billing, ref="main")

    assert "archived" in field_errors(caught)["source"][0]


def test_a_spent_rate_limit_is_service_unavailable_until_the_reset(billing):
    sandbox_github_fault_rate_limited(reset_at=timezone.now() + timedelta(minutes=20), times=None)

    with pytest.raises(ServiceUnavailableError) as caught:
        project_ref_resolve(project=billing, ref="main")

    assert f"rate limit for {ORG} is spent until" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_github_failing_is_service_unavailable(billing):
    sandbox_github_fault_add(path="/repos/*", status=503, times=None)

    with pytest.raises(ServiceUnavailableError, match="GitHub cannot be reached"):
        project_ref_resolve(project=billing, ref="main")


def test_refused_credentials_are_service_unavailable_and_never_echo_the_token(billing, settings):
    settings.SANDBOX_GITHUB_TOKEN = "another-token"

    with pytest.raises(ServiceUnavailableError) as caught:
        project_ref_resolve(project=billing, ref="main")

    assert "refused the credentials" in str(caught.value)
    assert TOKEN not in str(caught.value)


# --- Listing playbooks ----------------------------------------------------------------------


def test_every_sandbox_repository_lists_its_two_playbooks(billing):
    assert project_playbooks(project=billing, ref="main") == ["playbooks/ping.yml", "playbooks/site.yml"]


def test_playbooks_are_yaml_at_the_top_and_under_playbooks_but_not_ansible_s_other_directories(billing):
    extra = {
        "site.yml": "- hosts: all\n",
        "deploy.yaml": "- hosts: all\n",
        "requirements.yml": "collections: []\n",
        "mkdocs.yml": "site_name: x\n",
        ".pre-commit-config.yaml": "repos: []\n",
        ".github/workflows/ci.yml": "on: push\n",
        "docs/example.yml": "- hosts: all\n",
        "roles/web/tasks/main.yml": "- ansible.builtin.ping:\n",
        "group_vars/all.yml": "a: 1\n",
        "host_vars/web1.yml": "a: 1\n",
        "collections/requirements.yml": "collections: []\n",
        "playbooks/db/backup.yml": "- hosts: all\n",
        "playbooks/group_vars/all.yml": "a: 1\n",
        "playbooks/roles/db/tasks/main.yml": "- ansible.builtin.ping:\n",
        "playbooks/inventory/hosts.yml": "all: {}\n",
        "playbooks/README.md": "# Playbooks\n",
    }
    sandbox_github_repo_push(name="billing-engine", files=extra)

    assert project_playbooks(project=billing, ref="main") == [
        "deploy.yaml",
        "playbooks/db/backup.yml",
        "playbooks/ping.yml",
        "playbooks/site.yml",
        "site.yml",
    ]


def test_playbooks_at_a_commit_cost_one_request_and_an_unknown_commit_is_a_field_error(billing):
    sandbox_github_request_counts_reset()

    assert project_playbooks(project=billing, ref=head()) == ["playbooks/ping.yml", "playbooks/site.yml"]
    assert sum(sandbox_github_request_counts().values()) == 1
    with pytest.raises(ValidationError) as caught:
        project_playbooks(project=billing, ref="f" * 40)
    assert "no branch, tag or commit" in field_errors(caught)["source"][0]


# --- Writing the tree -----------------------------------------------------------------------


def test_the_tree_is_written_byte_for_byte(billing, tmp_path):
    written = project_tree_fetch(project=billing, commit=head(), dest=tmp_path)

    files = catalog.repo_files(ORG, 3)
    assert written == len(files)
    on_disk = {str(path.relative_to(tmp_path)): path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert on_disk == files
    assert stat.S_IMODE((tmp_path / "playbooks" / "site.yml").stat().st_mode) == 0o644


def test_files_with_the_same_content_are_downloaded_once(billing, tmp_path):
    same = "- hosts: all\n  tasks: []\n"
    commit = sandbox_github_repo_push(name="billing-engine", files={"playbooks/a.yml": same, "playbooks/b.yml": same})
    sandbox_github_request_counts_reset()

    written = project_tree_fetch(project=billing, commit=commit, dest=tmp_path)

    assert written == len(catalog.repo_files(ORG, 3)) + 2
    assert requests_matching("/git/blobs/") == written - 1
    assert (tmp_path / "playbooks" / "a.yml").read_text() == (tmp_path / "playbooks" / "b.yml").read_text() == same


def test_a_path_that_leaves_the_run_directory_refuses_the_tree_and_writes_nothing(billing, tmp_path):
    dest = tmp_path / "run"
    dest.mkdir()
    commit = sandbox_github_repo_push(name="billing-engine", files={"../escaped.yml": "- hosts: all\n"})
    sandbox_github_request_counts_reset()

    with pytest.raises(ProjectSourceError, match=re.escape("path outside the run directory: '..'")):
        project_tree_fetch(project=billing, commit=commit, dest=dest)

    assert not (tmp_path / "escaped.yml").exists()
    assert list(dest.iterdir()) == []
    assert requests_matching("/git/blobs/") == 0


@pytest.mark.parametrize("path", ["/etc/cron.d/evil", "playbooks/../../evil", ".git/hooks/post-checkout", "a//b"])
def test_absolute_dot_dot_git_and_empty_components_are_refused(billing, tmp_path, path):
    entry = {"path": path, "mode": "100644", "type": "blob", "sha": "1" * 40, "size": 4}
    sandbox_github_fault_add(path=TREES, status=200, body={"sha": "2" * 40, "tree": [entry], "truncated": False})

    with pytest.raises(ProjectSourceError, match="outside the run directory"):
        project_tree_fetch(project=billing, commit=head(), dest=tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_symbolic_links_and_submodules_are_skipped_never_created(billing, tmp_path):
    site = catalog.repo_files(ORG, 3)["playbooks/site.yml"]
    tree = [
        {"path": "playbooks", "mode": "040000", "type": "tree", "sha": "5" * 40},
        {"path": "playbooks/passwd.yml", "mode": "120000", "type": "blob", "sha": "6" * 40, "size": 11},
        {"path": "playbooks/site.yml", "mode": "100755", "type": "blob", "sha": catalog.blob_sha(site)}
        | {"size": len(site)},
        {"path": "vendor", "mode": "160000", "type": "commit", "sha": "7" * 40},
    ]
    sandbox_github_fault_add(path=TREES, status=200, body={"sha": "2" * 40, "tree": tree, "truncated": False})

    written = project_tree_fetch(project=billing, commit=head(), dest=tmp_path)

    assert written == 1
    created = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*"))
    assert created == ["playbooks", "playbooks/site.yml"]
    assert (tmp_path / "playbooks" / "site.yml").read_bytes() == site
    assert stat.S_IMODE((tmp_path / "playbooks" / "site.yml").stat().st_mode) == 0o755


def test_a_tree_over_the_size_bound_is_refused_before_any_download(billing, tmp_path, settings):
    settings.JOBS_SOURCE_MAX_BYTES = 1000
    sandbox_github_request_counts_reset()

    with pytest.raises(ProjectSourceError, match=r"more than JOBS_SOURCE_MAX_BYTES \(1000\)"):
        project_tree_fetch(project=billing, commit=head(), dest=tmp_path)

    assert requests_matching("/git/blobs/") == 0
    assert list(tmp_path.iterdir()) == []


def test_the_bounds_can_be_given_per_call(billing, tmp_path):
    with pytest.raises(ProjectSourceError, match=r"more than JOBS_SOURCE_MAX_FILES \(3\)"):
        project_tree_fetch(project=billing, commit=head(), dest=tmp_path, max_files=3)
    with pytest.raises(ProjectSourceError, match="JOBS_SOURCE_MAX_BYTES"):
        project_tree_fetch(project=billing, commit=head(), dest=tmp_path, max_bytes=10)


def test_content_that_does_not_match_its_blob_id_is_refused(billing, tmp_path):
    site = catalog.repo_files(ORG, 3)["playbooks/site.yml"]
    sha = catalog.blob_sha(site)
    tampered = {"sha": sha, "size": 8, "content": "aG9zdHM6IFtd", "encoding": "base64"}  # "hosts: []"
    sandbox_github_fault_add(path=f"/repos/{ORG}/billing-engine/git/blobs/{sha}", status=200, body=tampered)

    with pytest.raises(ProjectSourceError, match=r"playbooks/site\.yml .* does not match its id"):
        project_tree_fetch(project=billing, commit=head(), dest=tmp_path)


def test_a_truncated_tree_is_refused(billing, tmp_path):
    sandbox_github_fault_add(path=TREES, status=200, body={"sha": "2" * 40, "tree": [], "truncated": True})

    with pytest.raises(ProjectSourceError, match="too large for GitHub to list"):
        project_tree_fetch(project=billing, commit=head(), dest=tmp_path)


def test_a_commit_gone_from_the_repository_is_a_source_error(billing, tmp_path):
    with pytest.raises(ProjectSourceError, match=f"commit {'e' * 40} is not in {ORG}/billing-engine"):
        project_tree_fetch(project=billing, commit="e" * 40, dest=tmp_path)


def test_the_destination_must_be_an_empty_directory(billing, tmp_path):
    (tmp_path / "left-over").write_text("x")

    with pytest.raises(ValueError, match="empty directory"):
        project_tree_fetch(project=billing, commit=head(), dest=tmp_path)


def test_every_source_error_is_a_platform_error():
    assert issubclass(ProjectSourceError, PlatformError)


# --- Collections ----------------------------------------------------------------------------


def test_a_collection_named_but_not_vendored_is_named_with_what_to_do(deploy, tmp_path):
    project_tree_fetch(project=deploy, commit=head("deploy-pipeline"), dest=tmp_path)

    message = collections_missing(tmp_path)

    assert f"{catalog.UNVENDORED_COLLECTION} (collections/requirements.yml)" in message
    assert "community.general" not in message  # shipped with the platform's Ansible
    assert "downloads nothing at run time" in message
    assert "collections/ansible_collections/<namespace>/<name>" in message


def test_a_vendored_collection_is_not_missing(deploy, tmp_path):
    vendored = "collections/ansible_collections/sandbox_internal/rollout"
    commit = sandbox_github_repo_push(
        name="deploy-pipeline", files={f"{vendored}/galaxy.yml": "namespace: sandbox_internal\nname: rollout\n"}
    )
    project_tree_fetch(project=deploy, commit=commit, dest=tmp_path)

    assert collections_missing(tmp_path) is None


def test_a_repository_without_requirements_needs_nothing(billing, tmp_path):
    project_tree_fetch(project=billing, commit=head(), dest=tmp_path)

    assert collections_missing(tmp_path) is None


def test_top_level_requirements_are_read_too_and_sources_that_cannot_be_checked_count_as_missing(tmp_path):
    (tmp_path / "requirements.yml").write_text(
        "roles:\n  - name: geerlingguy.docker\n"
        "collections:\n"
        "  - acme.tools\n"
        "  - name: ansible.builtin\n"
        "  - name: https://github.com/acme/tools.git\n    type: git\n"
    )

    message = collections_missing(tmp_path)

    assert "acme.tools (requirements.yml)" in message
    assert "https://github.com/acme/tools.git (git) (requirements.yml)" in message
    assert "ansible.builtin" not in message
    assert "geerlingguy" not in message  # roles are not collections


def test_an_unreadable_requirements_file_says_so(tmp_path):
    (tmp_path / "collections").mkdir()
    (tmp_path / "collections" / "requirements.yml").write_text("collections: [unclosed\n")

    assert "collections/requirements.yml cannot be read (" in collections_missing(tmp_path)


# --- The API --------------------------------------------------------------------------------


@pytest.fixture
def viewer() -> APIClient:
    return api_client_with_role("viewer", "source-viewer")


def test_a_viewer_lists_the_playbooks_at_the_default_branch(viewer, billing):
    response = viewer.get(f"/api/projects/{billing.pk}/playbooks/")

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "ref": "main",
        "commit": head(),
        "playbooks": ["playbooks/ping.yml", "playbooks/site.yml"],
    }


def test_the_playbooks_at_a_commit(viewer, billing):
    commit = sandbox_github_repo_push(name="billing-engine", files={"site.yml": "- hosts: all\n"})

    response = viewer.get(f"/api/projects/{billing.pk}/playbooks/", {"ref": commit[:7]})

    assert response.status_code == 200, response.json()
    assert response.json()["commit"] == commit
    assert "site.yml" in response.json()["playbooks"]


def test_an_unknown_ref_is_a_400_with_a_field_error(viewer, billing):
    response = viewer.get(f"/api/projects/{billing.pk}/playbooks/", {"ref": "nope"})

    assert response.status_code == 400
    assert response.json() == {"ref": [f"no branch, tag or commit 'nope' in {ORG}/billing-engine"]}


def test_an_unknown_parameter_is_a_400(viewer, billing):
    response = viewer.get(f"/api/projects/{billing.pk}/playbooks/", {"branch": "main"})

    assert response.status_code == 400
    assert "branch" in response.json()


def test_github_rate_limited_is_a_503_saying_until_when(viewer, billing):
    sandbox_github_fault_rate_limited(reset_at=timezone.now() + timedelta(minutes=5), times=None)

    response = viewer.get(f"/api/projects/{billing.pk}/playbooks/")

    assert response.status_code == 503
    assert response.json()["code"] == "serviceunavailable"
    assert "rate limit" in response.json()["detail"]


def test_signing_in_is_required(billing):
    assert APIClient().get(f"/api/projects/{billing.pk}/playbooks/").status_code == 401
