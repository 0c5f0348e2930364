"""The servers REST contract: accounts, servers, sync runs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.choices import SyncStatus
from apps.core.models import SyncRun
from apps.servers.choices import Lifecycle
from apps.servers.models import ProviderAccount, Server
from apps.servers.services.write import servers_write
from tests.roles import user_with_role
from tests.servers.factories import busy, details, listing, provider_account

pytestmark = pytest.mark.django_db

SERVER_FIELDS = {
    "id",
    "provider_account",
    "provider_id",
    "hostname",
    "label",
    "ip",
    "additional_ips",
    "provider_status",
    "os",
    "cpu_cores",
    "cpu_mhz",
    "ram_mb",
    "disk_mb",
    "lifecycle",
    "health_status",
    "busy",
    "last_seen_at",
}


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(user_with_role("admin", "ops"))
    return client


def account_payload(**overrides):
    payload = {
        "name": "main",
        "kind": "time4vps",
        "base_url": "http://127.0.0.1:9/api",
        "username": "ops@example.com",
        "password": "s3cret-provider-password",
    }
    payload.update(overrides)
    return payload


def test_creating_an_account_stores_the_password_encrypted_and_never_returns_it(api):
    response = api.post("/api/provider-accounts/", account_payload(), format="json")

    assert response.status_code == 201, response.json()
    assert "password" not in response.json()
    account = ProviderAccount.objects.get(name="main")
    assert account.password == "s3cret-provider-password"
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM servers_provideraccount WHERE id = %s", [account.pk])
        assert "s3cret" not in cursor.fetchone()[0]
    listed = api.get("/api/provider-accounts/").json()["results"][0]
    detail = api.get(f"/api/provider-accounts/{account.pk}/").json()
    assert "password" not in listed
    assert "password" not in detail
    assert "s3cret" not in str(listed) + str(detail)


def test_invalid_account_fields_get_a_400_with_field_errors_and_nothing_is_written(api):
    response = api.post(
        "/api/provider-accounts/",
        {"name": "", "kind": "aws", "base_url": "not a url", "username": "x"},
        format="json",
    )

    assert response.status_code == 400
    assert {"name", "kind", "base_url"} <= set(response.json())
    assert not ProviderAccount.objects.exists()


def test_each_kind_asks_for_its_own_credentials_and_refuses_the_others(api):
    time4vps = api.post("/api/provider-accounts/", {"name": "a", "kind": "time4vps", "username": "x"}, format="json")
    hetzner = api.post("/api/provider-accounts/", {"name": "b", "kind": "hetzner", "password": "p"}, format="json")

    assert time4vps.status_code == 400
    assert set(time4vps.json()) == {"password"}
    assert hetzner.status_code == 400
    assert set(hetzner.json()) == {"password"}
    assert "not used by hetzner accounts" in hetzner.json()["password"][0]
    assert not ProviderAccount.objects.exists()


def test_production_refuses_plain_http_and_internal_provider_urls(api, settings):
    settings.IS_PRODUCTION = True
    settings.PROVIDER_ALLOW_PRIVATE_ADDRESSES = False

    response = api.post("/api/provider-accounts/", account_payload(base_url="http://127.0.0.1/api"), format="json")

    assert response.status_code == 400
    problems = " ".join(response.json()["base_url"])
    assert "https" in problems
    assert "not globally routable" in problems
    assert not ProviderAccount.objects.exists()


def test_the_sandbox_kind_is_refused_where_there_is_no_sandbox(api, settings):
    settings.SANDBOX_ENABLED = False

    response = api.post("/api/provider-accounts/", account_payload(kind="sandbox"), format="json")

    assert response.status_code == 400
    assert "sandbox" in response.json()["base_url"][0]


def test_patching_an_account_keeps_the_password_unless_a_new_one_is_sent(api):
    account = provider_account(password="old-password")

    renamed = api.patch(f"/api/provider-accounts/{account.pk}/", {"name": "renamed"}, format="json")
    account.refresh_from_db()
    assert renamed.status_code == 200
    assert (account.name, account.password) == ("renamed", "old-password")

    api.patch(f"/api/provider-accounts/{account.pk}/", {"password": "new-password"}, format="json")
    account.refresh_from_db()
    assert account.password == "new-password"


def test_deleting_an_account_with_servers_is_a_409_and_deletes_nothing(api):
    account = provider_account()
    servers_write(account=account, listing=listing([1]), now=timezone.now())

    response = api.delete(f"/api/provider-accounts/{account.pk}/")

    assert response.status_code == 409
    assert "disable it" in response.json()["detail"]
    assert Server.objects.count() == 1


def test_sync_endpoint_answers_202_with_a_queued_run(api, django_capture_on_commit_callbacks):
    account = provider_account()

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/provider-accounts/{account.pk}/sync/")

    assert response.status_code == 202
    run = SyncRun.objects.get(pk=response.json()["run_id"])
    assert run.status == SyncStatus.QUEUED
    assert run.triggered_by.username == "ops"
    assert run.celery_task_id
    assert api.get(f"/api/sync-runs/{run.pk}/").json()["status"] == "queued"


def test_server_list_has_the_contract_fields_filters_and_search(api):
    account = provider_account()
    servers_write(
        account=account, listing=[details(1), details(2, domain="db.example.com"), details(3)], now=timezone.now()
    )
    Server.objects.filter(provider_id="3").update(lifecycle=Lifecycle.READY)

    everything = api.get("/api/servers/").json()
    ready = api.get("/api/servers/", {"lifecycle": "ready"}).json()
    found = api.get("/api/servers/", {"search": "db.example"}).json()
    by_account = api.get("/api/servers/", {"provider_account": account.pk, "ordering": "-hostname"}).json()

    assert everything["count"] == 3
    assert set(everything["results"][0]) >= SERVER_FIELDS
    assert [server["provider_id"] for server in ready["results"]] == ["3"]
    assert [server["hostname"] for server in found["results"]] == ["db.example.com"]
    assert by_account["results"][0]["hostname"] == "web3.example.com"


def test_a_server_shows_what_the_admin_shows_of_its_state(api):
    account = provider_account()
    servers_write(account=account, listing=[details(1), busy(2)], now=timezone.now())
    checked = timezone.now()
    Server.objects.filter(provider_id="1").update(
        lifecycle=Lifecycle.FAILED,
        lifecycle_reason="the playbook failed: disk full",
        host_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvF",
        host_key_fingerprint="SHA256:abcdefghijklmnop",
        last_checked_at=checked,
    )
    failed, working = (Server.objects.get(provider_id=n) for n in ("1", "2"))

    shown = api.get(f"/api/servers/{failed.pk}/").json()
    listed = {server["provider_id"]: server for server in api.get("/api/servers/").json()["results"]}

    assert shown["lifecycle_reason"] == "the playbook failed: disk full"
    assert shown["host_key_fingerprint"] == "SHA256:abcdefghijklmnop"
    assert shown["last_checked_at"] == checked.isoformat().replace("+00:00", "Z")
    assert (shown["busy"], shown["active_task"]) == (False, "")
    assert "host_key" not in shown  # the fingerprint says which key; the key itself is not the API's business
    assert (listed["2"]["busy"], listed["2"]["active_task"]) == (True, "server_reboot")
    assert (listed["2"]["lifecycle_reason"], listed["2"]["host_key_fingerprint"]) == ("", "")
    assert listed["2"]["last_checked_at"] is None
    assert api.get(f"/api/servers/{working.pk}/").json()["active_task"] == "server_reboot"


def test_an_unknown_filter_value_is_a_400_not_a_500(api):
    response = api.get("/api/servers/", {"lifecycle": "exploded"})

    assert response.status_code == 400
    assert "lifecycle" in response.json()


def test_patch_changes_only_operator_fields_and_names_read_only_ones(api):
    account = provider_account()
    servers_write(account=account, listing=listing([1]), now=timezone.now())
    server = Server.objects.get()

    ok = api.patch(f"/api/servers/{server.pk}/", {"ssh_port": 2222, "ssh_user": "deploy"}, format="json")
    refused = api.patch(f"/api/servers/{server.pk}/", {"hostname": "evil", "lifecycle": "ready"}, format="json")
    invalid = api.patch(f"/api/servers/{server.pk}/", {"ssh_port": 70000}, format="json")

    server.refresh_from_db()
    assert ok.status_code == 200
    assert (server.ssh_port, server.ssh_user) == (2222, "deploy")
    assert refused.status_code == 400
    assert set(refused.json()) == {"hostname", "lifecycle"}
    assert invalid.status_code == 400
    assert "ssh_port" in invalid.json()
    assert (server.hostname, server.lifecycle) == ("web1.example.com", Lifecycle.DISCOVERED)


def test_server_list_query_count_is_constant_in_the_number_of_servers(api):
    def queries_for(count: int) -> int:
        Server.objects.all().delete()
        account = provider_account()
        servers_write(account=account, listing=listing(range(1, count + 1)), now=timezone.now())
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/servers/").status_code == 200
        return len(captured)

    api.get("/api/servers/")  # loads the caller's permissions once (cached on the user)
    assert queries_for(3) == queries_for(40)
