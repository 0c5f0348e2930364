"""One collection for every kind of sync run: the run id any sync request answers can be followed."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.choices import SyncKind, SyncStatus, Trigger
from apps.core.models import SyncRun
from apps.projects.models import GitHubAccount
from apps.servers.models import ProviderAccount
from tests.projects.factories import github_account
from tests.roles import api_client_as, user_with_role
from tests.servers.factories import provider_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return api_client_as(user_with_role("operator", "ops"))


def run_of(kind: SyncKind, model, account_id: int, **values) -> SyncRun:
    return SyncRun.objects.create(
        kind=kind,
        status=values.pop("status", SyncStatus.SUCCEEDED),
        trigger=Trigger.SCHEDULE,
        account_type=ContentType.objects.get_for_model(model),
        account_id=account_id,
        account_name=values.pop("account_name", f"{kind} of {account_id}"),
        **values,
    )


def test_the_run_of_a_github_sync_request_is_found_at_its_id(api, django_capture_on_commit_callbacks):
    account = github_account()

    with django_capture_on_commit_callbacks(execute=True):
        queued = api.post(f"/api/github-accounts/{account.pk}/sync/")
    response = api.get(f"/api/sync-runs/{queued.json()['run_id']}/")

    assert queued.status_code == 202
    assert response.status_code == 200, response.content
    run = response.json()
    assert (run["kind"], run["status"], run["trigger"]) == ("github_sync", "queued", "api")
    assert (run["account_type"], run["account"], run["account_name"]) == (
        "projects.githubaccount",
        account.pk,
        account.organization,
    )
    assert run["provider_account"] is None
    assert run["triggered_by"] == "ops"


def test_the_run_of_a_server_sync_request_still_names_its_provider_account(api, django_capture_on_commit_callbacks):
    account = provider_account()

    with django_capture_on_commit_callbacks(execute=True):
        queued = api.post(f"/api/provider-accounts/{account.pk}/sync/")
    run = api.get(f"/api/sync-runs/{queued.json()['run_id']}/").json()

    assert (run["kind"], run["account_type"], run["account"]) == ("server_sync", "servers.provideraccount", account.pk)
    assert run["provider_account"] == account.pk


def test_runs_of_every_kind_are_listed_and_filtered_by_kind_and_account(api):
    # Two accounts of different types with the same id: the filters must tell them apart.
    server_sync = run_of(SyncKind.SERVER_SYNC, ProviderAccount, 7)
    github_sync = run_of(SyncKind.GITHUB_SYNC, GitHubAccount, 7)
    docs_index = run_of(SyncKind.DOCS_INDEX, GitHubAccount, 7, status=SyncStatus.FAILED)
    other = run_of(SyncKind.GITHUB_SYNC, GitHubAccount, 8)

    def ids(**query) -> set[int]:
        response = api.get("/api/sync-runs/", query)
        assert response.status_code == 200, (query, response.content)
        return {run["id"] for run in response.json()["results"]}

    assert ids() == {server_sync.pk, github_sync.pk, docs_index.pk, other.pk}
    assert ids(kind="github_sync") == {github_sync.pk, other.pk}
    assert ids(kind=["github_sync", "docs_index"], account=7) == {github_sync.pk, docs_index.pk}
    assert ids(kind="server_sync", account=7) == {server_sync.pk}
    assert ids(account_type="projects.githubaccount", account=7) == {github_sync.pk, docs_index.pk}
    assert ids(account_type="servers.provideraccount") == {server_sync.pk}
    assert ids(provider_account=7) == {server_sync.pk}
    assert ids(status="failed") == {docs_index.pk}


@pytest.mark.parametrize("query", [{"account": 7}, {"account": 7, "kind": ["server_sync", "github_sync"]}])
def test_an_account_id_without_its_type_is_a_400_saying_how_to_name_it(api, query):
    run_of(SyncKind.SERVER_SYNC, ProviderAccount, 7)

    response = api.get("/api/sync-runs/", query)

    assert response.status_code == 400
    assert "account_type=servers.provideraccount or projects.githubaccount" in response.json()["account"][0]


def test_an_unknown_kind_or_account_type_is_a_400(api):
    assert "kind" in api.get("/api/sync-runs/", {"kind": "backup"}).json()
    assert "account_type" in api.get("/api/sync-runs/", {"account_type": "auth.user"}).json()


def test_the_list_query_count_is_constant_in_the_number_of_runs(api):
    def queries_for(count: int) -> int:
        SyncRun.objects.all().delete()
        for n in range(count):
            run_of(
                SyncKind.SERVER_SYNC if n % 2 else SyncKind.GITHUB_SYNC, ProviderAccount if n % 2 else GitHubAccount, n
            )
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/sync-runs/").status_code == 200
        return len(captured)

    api.get("/api/sync-runs/")  # loads the caller's permissions once (cached on the user)
    assert queries_for(3) == queries_for(30)
