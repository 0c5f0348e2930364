"""Hetzner Cloud accounts through the API, synced against the fake Hetzner Cloud API over HTTP:
the same rules as every provider (a failed, partial or rate-limited listing changes nothing;
vanished servers are removed; renames keep the row) and the token kept write-only and encrypted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.choices import SyncKind, SyncStatus, Trigger
from apps.core.models import SyncRun
from apps.servers.choices import Connection, Lifecycle, ProviderStatus
from apps.servers.models import ProviderAccount, Server
from apps.servers.services import server_sync_now, server_sync_run
from apps.syncs.runs import sync_run_create
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(user_with_role("admin", "ops"))
    return client


@pytest.fixture
def hetzner_account(api, fake_hetzner) -> ProviderAccount:
    response = api.post(
        "/api/provider-accounts/",
        {"name": "hetzner", "kind": "hetzner", "api_token": fake_hetzner.token, "base_url": fake_hetzner.base_url},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return ProviderAccount.objects.get(pk=response.json()["id"])


def servers_of(api, account) -> dict[str, dict]:
    """Every server of the account as the API lists it, all pages."""
    servers, page = {}, api.get("/api/servers/", {"provider_account": account.pk}).json()
    while True:
        servers.update({server["provider_id"]: server for server in page["results"]})
        if not page["next"]:
            return servers
        page = api.get(page["next"]).json()


def test_an_account_is_created_with_a_write_only_token_kept_encrypted(api, hetzner_account, fake_hetzner):
    shown = api.get(f"/api/provider-accounts/{hetzner_account.pk}/").json()
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_token FROM servers_provideraccount WHERE id = %s", [hetzner_account.pk])
        (stored,) = cursor.fetchone()

    assert shown["kind"] == "hetzner"
    assert "api_token" not in shown
    assert fake_hetzner.token not in str(shown)
    assert fake_hetzner.token not in stored
    assert hetzner_account.api_token == fake_hetzner.token


def test_without_a_base_url_the_public_api_is_used(api):
    response = api.post(
        "/api/provider-accounts/", {"name": "h", "kind": "hetzner", "api_token": "tok-123456"}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["base_url"] == "https://api.hetzner.cloud/v1"


def test_an_account_without_its_token_or_with_an_internal_address_in_production_is_a_400(api, settings):
    missing = api.post("/api/provider-accounts/", {"name": "h", "kind": "hetzner"}, format="json")
    settings.IS_PRODUCTION = True
    settings.PROVIDER_ALLOW_PRIVATE_ADDRESSES = False
    internal = api.post(
        "/api/provider-accounts/",
        {"name": "h", "kind": "hetzner", "api_token": "tok-123456", "base_url": "http://127.0.0.1:9/v1"},
        format="json",
    )

    assert missing.status_code == 400
    assert set(missing.json()) == {"api_token"}
    assert internal.status_code == 400
    assert "base_url" in internal.json()
    assert not ProviderAccount.objects.exists()


def test_a_sync_stores_every_server_with_its_details_and_labels(api, hetzner_account, fake_hetzner):
    fake_hetzner.set_server_count(120)

    run = server_sync_now(account=hetzner_account)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    servers = servers_of(api, hetzner_account)
    assert len(servers) == 120
    first = servers["4201001"]
    record = fake_hetzner.servers[4201001]
    assert first["hostname"] == "node1.example.com"
    assert first["ip"] == record["public_net"]["ipv4"]["ip"]
    assert first["additional_ips"] == [record["public_net"]["ipv6"]["ip"].split("/")[0] + "1"]
    assert (first["cpu_cores"], first["ram_mb"], first["disk_mb"]) == (2, 4096, 40960)
    assert first["os"] == "Debian 12"
    assert first["provider_status"] == ProviderStatus.ACTIVE
    assert first["location"] == "fsn1"
    assert first["provider_labels"] == {"role": "web"}
    assert servers["4201002"]["provider_labels"] == {"env": "prod", "role": "db"}
    assert first["lifecycle"] == Lifecycle.DISCOVERED
    assert first["connection"] == Connection.SSH


def test_a_failed_page_changes_nothing(hetzner_account, fake_hetzner, settings):
    settings.PROVIDER_RETRY_MAX_WAIT_SECONDS = 0.01
    fake_hetzner.set_server_count(60)
    assert server_sync_now(account=hetzner_account).status == SyncStatus.SUCCEEDED
    before = list(Server.objects.order_by("provider_id").values_list("provider_id", "hostname", "lifecycle"))
    fake_hetzner.servers[4201001]["name"] = "renamed.example.com"
    fake_hetzner.fail("/servers", method="GET", status=500)

    run = server_sync_now(account=hetzner_account)

    assert run.status == SyncStatus.FAILED
    assert "server_error" in run.error
    assert list(Server.objects.order_by("provider_id").values_list("provider_id", "hostname", "lifecycle")) == before


def test_a_wrong_token_fails_the_run_and_changes_nothing(hetzner_account, fake_hetzner):
    hetzner_account.api_token = "wrong-token"
    hetzner_account.save(update_fields=["api_token"])

    run = server_sync_now(account=hetzner_account)

    assert run.status == SyncStatus.FAILED
    assert "unauthorized" in run.error
    assert "wrong-token" not in run.error
    assert not Server.objects.exists()


def test_vanished_servers_are_removed_and_a_rename_keeps_the_row(hetzner_account, fake_hetzner):
    server_sync_now(account=hetzner_account)
    kept = Server.objects.get(provider_id="4201001")
    fake_hetzner.servers[4201001]["name"] = "renamed.example.com"
    del fake_hetzner.servers[4201003]

    assert server_sync_now(account=hetzner_account).status == SyncStatus.SUCCEEDED

    renamed = Server.objects.get(provider_id="4201001")
    assert renamed.pk == kept.pk
    assert renamed.hostname == "renamed.example.com"
    assert Server.objects.get(provider_id="4201003").lifecycle == Lifecycle.REMOVED


def test_a_rate_limited_sync_writes_nothing_and_the_schedule_waits_for_the_reset(api, hetzner_account, fake_hetzner):
    fake_hetzner.set_server_count(120)
    reset = int((timezone.now() + timedelta(minutes=30)).timestamp())
    fake_hetzner.rate_remaining = 4
    fake_hetzner.rate_reset_at = reset

    run = server_sync_now(account=hetzner_account, trigger=Trigger.SCHEDULE)

    assert run.status == SyncStatus.FAILED
    assert "rate limit" in run.error
    assert not Server.objects.exists()
    shown = api.get(f"/api/provider-accounts/{hetzner_account.pk}/").json()
    assert shown["rate_limited_until"] == datetime.fromtimestamp(reset, UTC).isoformat().replace("+00:00", "Z")

    fake_hetzner.refill()
    fake_hetzner.reset_requests()
    scheduled = sync_run_create(kind=SyncKind.SERVER_SYNC, account=hetzner_account, trigger=Trigger.SCHEDULE)
    paused = server_sync_run(sync_run_id=scheduled.pk)
    assert paused.status == SyncStatus.FAILED
    assert "paused" in paused.error
    assert fake_hetzner.requests == []

    # An operator's sync tries anyway, and a success ends the pause.
    assert server_sync_now(account=hetzner_account).status == SyncStatus.SUCCEEDED
    assert Server.objects.count() == 120
    assert ProviderAccount.objects.get(pk=hetzner_account.pk).not_before is None
    assert SyncRun.objects.filter(kind=SyncKind.SERVER_SYNC).count() == 3


def test_changing_an_account_to_hetzner_asks_for_its_token_and_takes_its_address(api):
    created = api.post(
        "/api/provider-accounts/",
        {"name": "a", "kind": "time4vps", "base_url": "http://127.0.0.1:9/api", "username": "u", "password": "p"},
        format="json",
    ).json()

    without_token = api.patch(f"/api/provider-accounts/{created['id']}/", {"kind": "hetzner"}, format="json")
    changed = api.patch(
        f"/api/provider-accounts/{created['id']}/", {"kind": "hetzner", "api_token": "tok-123456"}, format="json"
    )
    renamed = api.patch(f"/api/provider-accounts/{created['id']}/", {"enabled": False}, format="json")

    assert without_token.status_code == 400
    assert set(without_token.json()) == {"api_token"}
    assert changed.status_code == 200, changed.json()
    assert changed.json()["base_url"] == "https://api.hetzner.cloud/v1"
    assert renamed.status_code == 200
    assert ProviderAccount.objects.get(pk=created["id"]).api_token == "tok-123456"
