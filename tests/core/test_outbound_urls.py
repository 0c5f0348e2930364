"""Outbound targets are checked when they are saved, through the API and the admin: in production
(private addresses not allowed) nothing that is not globally routable is accepted, the CGNAT
range included; and a test message to loopback is refused without connecting."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.monitoring.models import NotificationChannel
from apps.projects.models import GitHubAccount
from apps.servers.models import ProviderAccount
from tests.roles import api_client_as, user_with_role

pytestmark = pytest.mark.django_db

CGNAT = "100.64.0.1"  # 100.64.0.0/10: carrier-grade NAT, where cloud metadata services live


@pytest.fixture
def production(settings):
    settings.IS_PRODUCTION = True
    settings.PROVIDER_ALLOW_PRIVATE_ADDRESSES = False


@pytest.fixture
def admin_browser():
    client = Client()
    client.force_login(user_with_role("admin", "boss"))
    return client


def test_a_provider_base_url_in_the_cgnat_range_is_refused(production):
    api = api_client_as(user_with_role("admin", "boss"))

    response = api.post(
        "/api/provider-accounts/",
        {"name": "p", "base_url": f"https://{CGNAT}/api", "username": "u@example.com", "password": "pw"},
        format="json",
    )

    assert response.status_code == 400
    assert f"not globally routable ({CGNAT})" in " ".join(response.json()["base_url"])
    assert not ProviderAccount.objects.exists()


def test_a_github_base_url_in_the_cgnat_range_is_refused(production):
    api = api_client_as(user_with_role("admin", "boss"))

    response = api.post(
        "/api/github-accounts/",
        {"organization": "acme", "base_url": f"https://{CGNAT}/api/v3", "token": "ghp_token"},
        format="json",
    )

    assert response.status_code == 400
    assert f"not globally routable ({CGNAT})" in " ".join(response.json()["base_url"])
    assert not GitHubAccount.objects.exists()


def test_the_provider_admin_refuses_a_cgnat_base_url(production, admin_browser):
    response = admin_browser.post(
        "/admin/servers/provideraccount/add/",
        {
            "name": "p",
            "kind": "time4vps",
            "base_url": f"https://{CGNAT}/api",
            "username": "u@example.com",
            "password": "pw",
            "enabled": "on",
        },
    )

    assert response.status_code == 200
    assert "not globally routable" in str(response.context["adminform"].form.errors["base_url"])
    assert not ProviderAccount.objects.exists()


@pytest.mark.parametrize(
    ("kind", "target", "secret", "field"),
    [
        ("webhook", f"https://{CGNAT}/hook", "hmac-secret", "target"),
        ("webhook", "https://127.0.0.1/hook", "hmac-secret", "target"),
        ("webhook", "https://169.254.169.254/latest/meta-data/", "hmac-secret", "target"),
        ("slack", "", f"https://{CGNAT}/services/T1/B2/slacksecretpart", "secret"),
        ("slack", "", "https://localhost/services/T1/B2/slacksecretpart", "secret"),
    ],
)
def test_a_notification_target_that_is_not_globally_routable_is_refused(
    production, admin_browser, kind, target, secret, field
):
    response = admin_browser.post(
        "/admin/monitoring/notificationchannel/add/",
        {"name": "ops", "kind": kind, "target": target, "secret": secret, "min_severity": "warning", "enabled": "on"},
    )

    assert response.status_code == 200
    errors = str(response.context["adminform"].form.errors[field])
    assert "not globally routable" in errors
    assert "slacksecretpart" not in errors
    assert not NotificationChannel.objects.exists()


def test_a_webhook_on_a_public_address_is_saved(settings, admin_browser):
    settings.PROVIDER_ALLOW_PRIVATE_ADDRESSES = False

    response = admin_browser.post(
        "/admin/monitoring/notificationchannel/add/",
        {
            "name": "ops",
            "kind": "webhook",
            "target": "http://93.184.216.34/hook",
            "secret": "hmac-secret",
            "min_severity": "warning",
            "enabled": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert NotificationChannel.objects.get().target == "http://93.184.216.34/hook"


def test_send_a_test_message_to_loopback_in_production_is_refused_without_connecting(
    production, admin_browser, webhook_receiver
):
    # Stored before the rule (or around it): the send itself must refuse it.
    channel = NotificationChannel.objects.create(
        name="old", kind="webhook", target=f"{webhook_receiver.url}/hook", secret="hmac-secret"
    )

    response = admin_browser.post(
        "/admin/monitoring/notificationchannel/",
        {"action": "send_test", "_selected_action": [channel.pk]},
        follow=True,
    )

    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert any("not sent: 127.0.0.1 is not a globally routable address" in message for message in shown), shown
    assert webhook_receiver.requests == []
    channel.refresh_from_db()
    assert channel.last_failure_at is not None
    assert channel.last_success_at is None
