"""Every admin page an operator opens renders, and no secret is ever shown in one."""

import pytest
from django.contrib import admin
from django.utils import timezone

from apps.core.models import SyncRun
from apps.servers.models import ProviderAccount, Server
from apps.servers.services import server_sync_now
from apps.servers.services.write import servers_write
from tests.servers.factories import listing, provider_account

pytestmark = pytest.mark.django_db


def test_every_registered_model_has_a_changelist_that_renders(admin_client):
    account = provider_account(password="never-shown-secret")
    servers_write(account=account, listing=listing([1, 2]), now=timezone.now())

    for model in admin.site._registry:
        opts = model._meta
        response = admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
        assert response.status_code == 200, f"{opts.label}: {response.status_code}"
        assert b"never-shown-secret" not in response.content


def test_the_account_page_never_shows_the_stored_password(admin_client):
    account = provider_account(password="never-shown-secret")

    page = admin_client.get(f"/admin/servers/provideraccount/{account.pk}/change/")

    assert page.status_code == 200
    assert b"never-shown-secret" not in page.content
    assert b'type="password"' in page.content


def test_saving_the_account_form_with_a_blank_password_keeps_it(admin_client):
    account = provider_account(password="kept-secret")

    response = admin_client.post(
        f"/admin/servers/provideraccount/{account.pk}/change/",
        {
            "name": "renamed",
            "kind": account.kind,
            "base_url": account.base_url,
            "username": account.username,
            "password": "",
            "enabled": "on",
        },
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.password) == ("renamed", "kept-secret")


def test_a_server_page_shows_provider_fields_read_only(admin_client):
    servers_write(account=provider_account(), listing=listing([1]), now=timezone.now())
    server = Server.objects.get()

    page = admin_client.get(f"/admin/servers/server/{server.pk}/change/")

    assert page.status_code == 200
    assert b'name="ssh_port"' in page.content
    assert b'name="hostname"' not in page.content


def test_test_connection_reports_the_servers_or_the_providers_error(admin_client, fake_provider):
    good = provider_account(
        base_url=fake_provider.base_url, username=fake_provider.username, password=fake_provider.password
    )
    bad = provider_account(base_url=fake_provider.base_url, username=fake_provider.username, password="bad-pass-42")

    response = admin_client.post(
        "/admin/servers/provideraccount/",
        {"action": "test_connection", "_selected_action": [good.pk, bad.pk]},
        follow=True,
    )

    messages = [str(message) for message in response.context["messages"]]
    assert any(f"{good.name}: connected, 3 server(s) listed." == message for message in messages), messages
    assert any(message.startswith(f"{bad.name}:") and "wronglogin" in message for message in messages), messages
    assert not any("bad-pass-42" in message for message in messages)


def test_sync_now_queues_a_run_per_selected_account(admin_client, django_capture_on_commit_callbacks):
    account = provider_account()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/servers/provideraccount/", {"action": "sync_now", "_selected_action": [account.pk]}, follow=True
        )

    run = SyncRun.objects.get()
    assert run.account_id == account.pk
    assert run.trigger == "operator"
    assert any(f"#{run.pk}" in str(message) for message in response.context["messages"])


def test_a_sync_run_page_shows_the_outcome(admin_client, fake_provider):
    account = provider_account(
        base_url=fake_provider.base_url, username=fake_provider.username, password=fake_provider.password
    )
    run = server_sync_now(account=account)

    page = admin_client.get(f"/admin/core/syncrun/{run.pk}/change/")

    assert page.status_code == 200
    assert b"succeeded" in page.content
    assert ProviderAccount.objects.get().servers.count() == 3
