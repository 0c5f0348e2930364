"""READMEs, docs and head commits with the real GitHub client, from the sandbox GitHub over HTTP."""

import pytest

from apps.integrations.github import DocFile
from apps.sandbox.github import catalog, services
from apps.sandbox.github.selectors import sandbox_github_request_count, sandbox_github_request_counts
from apps.sandbox.models import SandboxRepoFile
from tests.integrations.github.conftest import ORG

pytestmark = pytest.mark.django_db(transaction=True)

REPO = f"{ORG}/billing-engine"
LIMIT = 100_000


def blob_path(path: str, repo: str = "billing-engine") -> str:
    sha = SandboxRepoFile.objects.get(repository__name=repo, path=path).sha
    return f"/repos/{ORG}/{repo}/git/blobs/{sha}"


def test_head_commit_is_the_sha_of_the_branch_and_changes_with_a_push(client):
    before = client.head_commit(REPO, "main")

    pushed = services.sandbox_github_repo_push(name="billing-engine")

    assert len(before) == 40
    assert client.head_commit(REPO, "main") == pushed != before


def test_the_readme_is_returned_as_text(client):
    readme = client.readme(REPO, "main", max_bytes=LIMIT)

    assert readme.path == "README.md"
    assert readme.skipped is None
    assert readme.text.startswith("# billing-engine\n")
    assert readme.size == len(readme.text.encode())


def test_a_repository_without_readme_has_none(client):
    services.sandbox_github_repo_push(name="billing-engine", files={"README.md": None})

    assert client.readme(REPO, None, max_bytes=LIMIT) is None


def test_docs_are_every_markdown_file_under_docs_subdirectories_included(client):
    sha = client.head_commit(REPO, "main")

    docs = client.docs_files(REPO, sha, max_bytes=LIMIT, max_files=20)

    assert [doc.path for doc in docs] == [
        "docs/architecture.md",
        "docs/configuration.md",
        "docs/operations.md",
        "docs/guides/proration-explained.md",
    ]
    assert all(doc.skipped is None for doc in docs)
    assert "integer minor units" in docs[0].text


def test_files_that_are_not_markdown_are_left_out(client):
    docs = client.docs_files(f"{ORG}/auth-gateway", None, max_bytes=LIMIT, max_files=20)

    # Repository 4 (auth-gateway) also has docs/diagram.png.
    assert SandboxRepoFile.objects.filter(repository__name="auth-gateway", path="docs/diagram.png").exists()

    assert "docs/diagram.png" not in [doc.path for doc in docs]
    assert len(docs) == 4


def test_a_doc_larger_than_max_bytes_is_skipped_without_being_downloaded(client):
    services.sandbox_github_file_put(name="billing-engine", path="docs/huge.md", size=300_000)

    docs = {doc.path: doc for doc in client.docs_files(REPO, None, max_bytes=LIMIT, max_files=20)}

    huge = docs["docs/huge.md"]
    assert (huge.path, huge.size, huge.text, huge.skipped) == ("docs/huge.md", 300_000, None, "too_large")
    assert sandbox_github_request_count(blob_path("docs/huge.md")) == 0
    assert sandbox_github_request_count(f"/repos/{REPO}/contents/docs/huge.md") == 0
    assert docs["docs/operations.md"].text is not None


def test_a_readme_larger_than_max_bytes_is_skipped(client):
    services.sandbox_github_file_put(name="billing-engine", path="README.md", size=5_000)

    readme = client.readme(REPO, None, max_bytes=1_000)

    assert (readme.path, readme.size, readme.text, readme.skipped) == ("README.md", 5_000, None, "too_large")


def test_a_readme_over_one_megabyte_is_read_from_its_blob(client):
    # GitHub's contents API leaves such files out (encoding "none"); decoded_content would fail.
    services.sandbox_github_file_put(name="billing-engine", path="README.md", size=1_500_000)

    readme = client.readme(REPO, None, max_bytes=2_000_000)

    assert readme.skipped is None
    assert len(readme.text) == 1_500_000
    assert sandbox_github_request_count(blob_path("README.md")) == 1


def test_a_doc_that_is_not_utf8_is_skipped_as_not_utf8(client):
    services.sandbox_github_file_put(
        name="billing-engine", path="docs/latin1.md", content="Café crème".encode("latin-1")
    )

    docs = {doc.path: doc for doc in client.docs_files(REPO, None, max_bytes=LIMIT, max_files=20)}

    assert docs["docs/latin1.md"].skipped == "not_utf8"
    assert docs["docs/latin1.md"].text is None


def test_a_doc_with_nul_bytes_is_skipped_as_binary(client):
    services.sandbox_github_file_put(name="billing-engine", path="docs/blob.md", content=b"# title\x00\x01\x02")

    docs = {doc.path: doc for doc in client.docs_files(REPO, None, max_bytes=LIMIT, max_files=20)}

    assert docs["docs/blob.md"] == DocFile(
        path="docs/blob.md", size=10, text=None, skipped="binary", sha=catalog.blob_sha(b"# title\x00\x01\x02")
    )


def test_a_utf8_doc_keeps_its_accents_and_loses_its_bom(client):
    services.sandbox_github_file_put(name="billing-engine", path="docs/notes.md", content="\ufeff# Déploiement ✓")

    docs = {doc.path: doc for doc in client.docs_files(REPO, None, max_bytes=LIMIT, max_files=20)}

    assert docs["docs/notes.md"].text == "# Déploiement ✓"


def test_max_files_caps_the_docs_and_the_requests(client):
    docs = client.docs_files(REPO, None, max_bytes=LIMIT, max_files=2)

    assert [doc.path for doc in docs] == ["docs/architecture.md", "docs/configuration.md"]
    assert sandbox_github_request_count(f"/repos/{REPO}/contents/docs/guides") == 0


def test_a_repository_without_docs_has_none(client):
    files = {path: None for path in catalog.repo_files(ORG, 3) if path.startswith("docs/")}
    services.sandbox_github_repo_push(name="billing-engine", files=files)

    assert client.docs_files(REPO, None, max_bytes=LIMIT, max_files=20) == []


def test_another_docs_directory_can_be_read(client):
    services.sandbox_github_file_put(name="billing-engine", path="handbook/intro.md", content="# Handbook")

    docs = client.docs_files(REPO, None, directory="handbook", max_bytes=LIMIT, max_files=20)

    assert docs == [
        DocFile(path="handbook/intro.md", size=10, text="# Handbook", skipped=None, sha=catalog.blob_sha(b"# Handbook"))
    ]


def test_an_unknown_ref_means_no_readme(client):
    assert client.readme(REPO, "no-such-branch", max_bytes=LIMIT) is None


def test_a_renamed_repository_is_still_reached_under_its_old_name(client):
    before = client.head_commit(REPO, "main")
    services.sandbox_github_repo_rename(name="billing-engine", new_name="invoicing")

    assert client.head_commit(REPO, "main") == before
    repo_id = catalog.repo_github_id(ORG, 3)
    assert sandbox_github_request_count(f"/repositories/{repo_id}/branches/main") == 1


def test_reading_one_repository_costs_one_request_per_directory_and_per_file(client):
    sha = client.head_commit(REPO, "main")
    client.readme(REPO, sha, max_bytes=LIMIT)
    client.docs_files(REPO, sha, max_bytes=LIMIT, max_files=20)

    # branch + readme + 2 directory listings + 4 blobs
    assert sum(sandbox_github_request_counts().values()) == 8


def test_a_doc_whose_blob_is_known_is_listed_unchanged_and_not_downloaded(client):
    listed = {doc.path: doc for doc in client.docs_files(REPO, None, max_bytes=LIMIT, max_files=20)}
    services.sandbox_github_request_counts_reset()
    known = {"docs/operations.md": listed["docs/operations.md"].sha, "docs/architecture.md": "0" * 40}

    docs = {doc.path: doc for doc in client.docs_files(REPO, None, max_bytes=LIMIT, max_files=20, known_shas=known)}

    operations = docs["docs/operations.md"]
    assert (operations.unchanged, operations.text, operations.sha) == (True, None, listed["docs/operations.md"].sha)
    assert sandbox_github_request_count(blob_path("docs/operations.md")) == 0
    # A known path with another blob was changed: read again.
    assert docs["docs/architecture.md"].unchanged is False
    assert docs["docs/architecture.md"].text == listed["docs/architecture.md"].text
    assert sandbox_github_request_count(blob_path("docs/architecture.md")) == 1
