"""The admin asks the same permissions as the API: viewers read, operators run, admins manage."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from apps.core.admin_secrets import SecretFieldsHiddenFromReadersMixin, encrypted_field_names
from apps.core.models import SyncRun
from apps.monitoring.choices import IncidentKind, IncidentStatus, Severity
from apps.monitoring.models import NotificationChannel
from apps.projects.models import GitHubAccount
from apps.servers.models import Server, SshKey
from tests import factories
from tests.roles import user_with_role
from tests.servers.factories import provider_account

pytestmark = pytest.mark.django_db

SECRETS = {
    "provider": "provider-password-never-shown",
    "github": "ghp_github-token-never-shown",
    "ssh": "-----BEGIN OPENSSH PRIVATE KEY-----never-shown",
    "channel": "channel-secret-never-shown",
    "root": "root-password-never-shown",
}


@pytest.fixture
def fleet():
    account = provider_account(password=SECRETS["provider"])
    server = Server.objects.create(
        provider_account=account, provider_id="1", hostname="web1", ip="192.0.2.10", root_password=SECRETS["root"]
    )
    key = SshKey.objects.create(name="k", private_key=SECRETS["ssh"], public_key="ssh-ed25519 AAAA", fingerprint="x")
    github = GitHubAccount.objects.create(organization="acme", token=SECRETS["github"])
    channel = NotificationChannel.objects.create(
        name="hook", kind="webhook", target="https://hooks.example.com/x", secret=SECRETS["channel"]
    )
    incident = factories.incident(on=server, kind=IncidentKind.UNREACHABLE, severity=Severity.CRITICAL)
    return {
        "account": account,
        "server": server,
        "key": key,
        "github": github,
        "channel": channel,
        "incident": incident,
    }


def signed_in(client, role):
    client.force_login(user_with_role(role))
    return client


def test_every_admin_action_names_the_permission_it_needs():
    unguarded = []
    for model, model_admin in admin.site._registry.items():
        for func, name, _ in model_admin._get_base_actions():
            if not getattr(func, "allowed_permissions", None):
                unguarded.append(f"{model._meta.label}: {name}")
    assert not unguarded, f"give these admin actions permissions=[...]: {unguarded}"


def test_every_admin_of_a_model_with_secrets_hides_them_from_readers():
    unguarded = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if encrypted_field_names(model) and not isinstance(model_admin, SecretFieldsHiddenFromReadersMixin)
    ]
    assert not unguarded, f"mix SecretFieldsHiddenFromReadersMixin into the admins of: {unguarded}"


def test_a_viewer_reads_every_page_but_is_offered_no_action_and_changes_nothing(client, fleet):
    signed_in(client, "viewer")
    changelist = reverse("admin:servers_provideraccount_changelist")

    page = client.get(changelist)
    posted = client.post(changelist, {"action": "sync_now", "_selected_action": [fleet["account"].pk]})

    assert page.status_code == 200
    assert b"Sync now" not in page.content
    assert posted.status_code in (200, 302)
    assert not SyncRun.objects.exists()
    for name in ("servers_server", "monitoring_incident", "projects_githubaccount", "monitoring_notificationchannel"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name


def test_an_operator_runs_the_fleet_but_cannot_manage_accounts(client, fleet):
    signed_in(client, "operator")
    incidents = reverse("admin:monitoring_incident_changelist")

    client.post(incidents, {"action": "acknowledge", "_selected_action": [fleet["incident"].pk]})
    add_account = client.get(reverse("admin:servers_provideraccount_add"))
    provision = client.get(reverse("admin:servers_server_provision", args=[fleet["server"].pk]))

    fleet["incident"].refresh_from_db()
    assert fleet["incident"].status == IncidentStatus.ACKNOWLEDGED
    assert add_account.status_code == 403
    assert provision.status_code != 403


def test_a_viewer_cannot_open_the_provisioning_pages(client, fleet):
    signed_in(client, "viewer")

    response = client.get(reverse("admin:servers_server_provision", args=[fleet["server"].pk]))

    assert response.status_code == 403


@pytest.mark.parametrize("role", ["viewer", "operator", "admin"])
def test_no_role_sees_a_stored_secret_on_any_admin_page(client, fleet, role):
    signed_in(client, role)
    pages = [
        reverse("admin:servers_provideraccount_change", args=[fleet["account"].pk]),
        reverse("admin:servers_server_change", args=[fleet["server"].pk]),
        reverse("admin:servers_sshkey_change", args=[fleet["key"].pk]),
        reverse("admin:projects_githubaccount_change", args=[fleet["github"].pk]),
        reverse("admin:monitoring_notificationchannel_change", args=[fleet["channel"].pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        leaked = [name for name, secret in SECRETS.items() if secret in body]
        assert not leaked, f"{url} as {role} shows {leaked}"
