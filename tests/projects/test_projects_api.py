"""The projects REST contract: GitHub accounts, projects, docs search."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.choices import SyncStatus
from apps.core.models import SyncRun
from apps.projects.choices import ProjectState
from apps.projects.docs_index import clear_search_index_cache
from apps.projects.models import GitHubAccount, Project
from apps.projects.services.write import projects_write
from tests.projects.docs_index.helpers import index_chunks
from tests.projects.factories import github_account, listing, repository
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(user_with_role("admin", "ops"))
    return client


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_creating_a_token_account_never_returns_the_token(api):
    response = api.post(
        "/api/github-accounts/",
        {"organization": "acme", "base_url": "http://127.0.0.1:9/api/v3", "token": "ghp_secret_value"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert "ghp_secret_value" not in str(response.json())
    assert GitHubAccount.objects.get().token == "ghp_secret_value"
    assert "token" not in api.get("/api/github-accounts/").json()["results"][0]


def test_an_app_account_needs_app_id_installation_and_a_pem_key(api):
    missing = api.post("/api/github-accounts/", {"organization": "acme", "auth_kind": "app"}, format="json")
    bad_key = api.post(
        "/api/github-accounts/",
        {"organization": "acme", "auth_kind": "app", "app_id": 1, "installation_id": 2, "app_private_key": "nope"},
        format="json",
    )
    good = api.post(
        "/api/github-accounts/",
        {
            "organization": "acme",
            "base_url": "http://127.0.0.1:9/api/v3",
            "auth_kind": "app",
            "app_id": 1,
            "installation_id": 2,
            "app_private_key": private_key_pem(),
        },
        format="json",
    )

    assert missing.status_code == 400
    assert {"app_id", "app_private_key", "installation_id"} <= set(missing.json())
    assert bad_key.status_code == 400
    assert bad_key.json()["app_private_key"] == ["not a PEM private key"]
    assert good.status_code == 201, good.json()
    assert "PRIVATE KEY" not in str(good.json())


def test_invalid_organization_names_and_duplicates_get_field_errors(api):
    github_account(organization="acme", base_url="https://api.github.com")

    bad = api.post("/api/github-accounts/", {"organization": "-bad name", "token": "x"}, format="json")
    duplicate = api.post("/api/github-accounts/", {"organization": "acme", "token": "x"}, format="json")

    assert bad.status_code == 400
    assert "organization" in bad.json()
    assert duplicate.status_code == 400
    assert "already connected" in duplicate.json()["organization"][0]
    assert GitHubAccount.objects.count() == 1


def test_sync_endpoint_answers_202_with_a_queued_run(api, django_capture_on_commit_callbacks):
    account = github_account()

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/github-accounts/{account.pk}/sync/")

    assert response.status_code == 202
    run = SyncRun.objects.get(pk=response.json()["run_id"])
    assert (run.kind, run.status, run.account_id) == ("github_sync", SyncStatus.QUEUED, account.pk)


def test_projects_list_filters_by_state_archived_and_topic(api):
    account = github_account()
    projects_write(
        account=account,
        repositories=[
            repository(1, topics=("billing",)),
            repository(2, archived=True),
            repository(3, topics=("billing", "ops")),
        ],
        now=timezone.now(),
    )
    Project.objects.filter(github_id=3).update(state=ProjectState.ARCHIVED)

    def ids(**params):
        return sorted(item["github_id"] for item in api.get("/api/projects/", params).json()["results"])

    assert ids() == [1, 2, 3]
    assert ids(state="archived") == [3]
    assert ids(archived="true") == [2]
    assert ids(topic="billing") == [1, 3]
    assert ids(topic="bill") == []
    assert ids(search="repo-2") == [2]


def test_a_project_detail_carries_its_summary(api):
    account = github_account()
    projects_write(account=account, repositories=listing([1]), now=timezone.now())
    project = Project.objects.get()
    Project.objects.filter(pk=project.pk).update(summary="Handles invoices.")

    body = api.get(f"/api/projects/{project.pk}/").json()

    assert body["summary"] == "Handles invoices."
    assert body["full_name"] == "acme/repo-1"


def test_search_returns_documents_with_project_path_heading_url_snippet_and_the_ranking(api):
    clear_search_index_cache()
    account = github_account()
    projects_write(account=account, repositories=listing([1, 2]), now=timezone.now())
    billing, other = Project.objects.order_by("github_id")
    Project.objects.filter(pk=billing.pk).update(docs_commit="a" * 40)
    index_chunks(
        billing,
        ["# Invoices\n\n| job | when |\n|---|---|\n| **billing** | generates invoices nightly |\n"],
        path="docs/invoices.md",
    )
    index_chunks(other, ["Deploy with compose and watch the health endpoint."])

    response = api.get("/api/projects/search/", {"q": "billing invoices", "limit": 5})

    assert response.status_code == 200
    results = response.json()
    assert response["X-Search-Ranking"] in ("lexical", "semantic", "hybrid")
    first = results[0]
    assert set(first) == {
        "project",
        "path",
        "heading",
        "url",
        "snippet",
        "highlights",
        "score",
        "lexical_score",
        "semantic_score",
        "ranking",
    }
    assert first["ranking"] == response["X-Search-Ranking"]
    assert first["project"]["full_name"] == "acme/repo-1"
    assert (first["path"], first["heading"]) == ("docs/invoices.md", "Invoices")
    assert first["url"] == f"{billing.html_url}/blob/{'a' * 40}/docs/invoices.md#invoices"
    assert first["snippet"] == "job: when. billing: generates invoices nightly."  # no table, no markup
    assert [first["snippet"][start:end] for start, end in first["highlights"]] == ["billing", "invoices"]
    assert first["score"] > 0
    assert first["lexical_score"] > 0
    assert all(result["project"]["full_name"] != "acme/repo-2" for result in results)


def test_search_with_no_match_answers_an_empty_list_and_says_which_ranking_answered(api):
    clear_search_index_cache()
    account = github_account()
    projects_write(account=account, repositories=listing([1]), now=timezone.now())
    index_chunks(Project.objects.get(), ["Invoices are generated nightly by the billing job."])

    response = api.get("/api/projects/search/", {"q": "zzzqqqxxx", "ranking": "lexical"})

    assert (response.json(), response["X-Search-Ranking"]) == ([], "lexical")


def test_search_filters_by_project_and_topic_and_refuses_unknown_values(api):
    clear_search_index_cache()
    account = github_account()
    projects_write(account=account, repositories=listing([1, 2]), now=timezone.now())
    first, second = Project.objects.order_by("github_id")
    Project.objects.filter(pk=second.pk).update(topics=["payments"], topics_index=",payments,")
    index_chunks(first, ["Invoices are generated nightly."])
    index_chunks(second, ["Invoices are paid by card."])

    def projects(**params) -> list[str]:
        response = api.get("/api/projects/search/", {"q": "invoices", **params})
        assert response.status_code == 200, response.content
        return [result["project"]["full_name"] for result in response.json()]

    assert sorted(projects()) == ["acme/repo-1", "acme/repo-2"]
    assert projects(project="acme/repo-1") == ["acme/repo-1"]
    assert projects(project=str(second.pk)) == ["acme/repo-2"]
    assert projects(topic="payments") == ["acme/repo-2"]
    unknown = api.get("/api/projects/search/", {"q": "invoices", "project": "acme/nope", "topic": "nope"})
    assert unknown.status_code == 400
    assert set(unknown.json()) == {"project", "topic"}
    assert api.get("/api/projects/search/", {"q": "invoices", "ranking": "fancy"}).status_code == 400


def test_search_without_a_query_is_a_400(api):
    response = api.get("/api/projects/search/")

    assert response.status_code == 400
    assert "q" in response.json()
