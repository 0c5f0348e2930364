"""The projects admin: docs search page, test connection, topic filter; secrets never shown."""

import pytest

from apps.projects.models import Project
from apps.projects.services import docs_index_now, github_sync_now
from tests.projects.factories import github_account

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_docs_search_page_shows_ranked_results_linking_to_the_project(admin_client, sandbox_account):
    github_sync_now(account=sandbox_account)
    docs_index_now(account=sandbox_account)
    project = Project.objects.get(name="deploy-pipeline")

    page = admin_client.get("/admin/projects/project/search/", {"q": "blue-green rollout"})

    assert page.status_code == 200
    html = page.content.decode()
    assert project.full_name in html
    assert f"/admin/projects/project/{project.pk}/change/" in html
    assert "<mark>blue-green</mark>" in html
    assert f"{project.html_url}/blob/{project.docs_commit}/" in html
    nothing = admin_client.get("/admin/projects/project/search/", {"q": "zzzqqqxxx"}).content.decode()
    assert 'No documentation matches "zzzqqqxxx".' in nothing
    assert admin_client.get("/admin/projects/project/").content.decode().count("Search docs") >= 1


def test_test_connection_reports_the_organization_or_the_error(admin_client, sandbox_account, sandbox_github):
    bad = github_account(organization="acme-bad", base_url=sandbox_github, token="ghp_not_valid_here")

    response = admin_client.post(
        "/admin/projects/githubaccount/",
        {"action": "test_connection", "_selected_action": [sandbox_account.pk, bad.pk]},
        follow=True,
    )

    messages = [str(message) for message in response.context["messages"]]
    assert any(message.startswith("acme: connected, 5 repositories") for message in messages), messages
    assert any(message.startswith("acme-bad:") and "credentials" in message.lower() for message in messages)
    assert not any("ghp_not_valid_here" in message for message in messages)


def test_the_account_page_never_shows_the_token_and_the_topic_filter_works(admin_client, sandbox_account):
    github_sync_now(account=sandbox_account)

    account_page = admin_client.get(f"/admin/projects/githubaccount/{sandbox_account.pk}/change/")
    topic = Project.objects.exclude(topics=[]).first().topics[0]
    filtered = admin_client.get("/admin/projects/project/", {"topic": topic})

    assert account_page.status_code == 200
    assert sandbox_account.token not in account_page.content.decode()
    assert filtered.status_code == 200
    expected = Project.objects.filter(topics_index__contains=f",{topic},").count()
    assert filtered.context["cl"].result_count == expected
