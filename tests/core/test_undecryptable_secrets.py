"""A FIELD_ENCRYPTION_KEYS that cannot decrypt what is stored is found at start and by readiness,
and never breaks a list or a detail that does not show a secret."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from apps.servers.models import Server
from tests.projects.factories import github_account
from tests.roles import api_client_with_role, user_with_role
from tests.servers.factories import provider_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_secrets():
    account = provider_account(password="provider-password")
    server = Server.objects.create(
        provider_account=account, provider_id="7", hostname="web7.example.com", root_password="root-secret"
    )
    github = github_account(token="ghp-secret")
    github.projects.create(
        github_id=1, name="billing", full_name="acme/billing", html_url="https://github.com/acme/billing"
    )
    return server


@pytest.fixture
def wrong_keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]


def test_lists_and_details_answer_though_the_keys_cannot_decrypt_stored_secrets(stored_secrets, wrong_keys):
    api = api_client_with_role("admin")
    server_id, account_id = stored_secrets.pk, stored_secrets.provider_account_id

    for url in (
        "/api/servers/",
        f"/api/servers/{server_id}/",
        "/api/projects/",
        "/api/provider-accounts/",
        f"/api/provider-accounts/{account_id}/",
        "/api/github-accounts/",
        "/api/provisioning-runs/",
        "/api/incidents/",
    ):
        answer = api.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
    assert api.get("/api/servers/").json()["results"][0]["hostname"] == "web7.example.com"


def test_admin_lists_and_change_pages_answer_though_the_keys_cannot_decrypt(stored_secrets, wrong_keys):
    browser = Client()
    browser.force_login(user_with_role("admin", "ada"))
    server_id, account_id = stored_secrets.pk, stored_secrets.provider_account_id

    for url in (
        "/admin/servers/server/",
        f"/admin/servers/server/{server_id}/change/",
        "/admin/servers/provideraccount/",
        f"/admin/servers/provideraccount/{account_id}/change/",
        "/admin/projects/project/",
        "/admin/projects/githubaccount/",
        "/admin/monitoring/incident/",
        "/admin/provisioning/provisioningrun/",
    ):
        answer = browser.get(url)
        assert answer.status_code == 200, (url, answer.status_code)


def test_readiness_names_the_variable_and_the_columns_it_cannot_decrypt(client, stored_secrets, wrong_keys):
    answer = client.get("/health/ready")

    assert answer.status_code == 503
    encryption = answer.json()["checks"]["encryption"]
    assert not encryption["ok"]
    assert "FIELD_ENCRYPTION_KEYS cannot decrypt" in encryption["detail"]
    assert "servers.Server.root_password" in encryption["detail"]
    assert "projects.GitHubAccount.token" in encryption["detail"]
    assert "root-secret" not in answer.content.decode()


@pytest.mark.parametrize(
    ("command", "options"),
    [(("check", "--database", "default"), {}), (("migrate", "--noinput"), {"skip_checks": False})],
)
def test_start_fails_naming_the_variable(stored_secrets, wrong_keys, command, options):
    with pytest.raises(SystemCheckError) as failure:
        call_command(*command, **options)

    assert "core.E003" in str(failure.value)
    assert "FIELD_ENCRYPTION_KEYS cannot decrypt the stored values of" in str(failure.value)
    assert "servers.ProviderAccount.password" in str(failure.value)


def test_a_key_removed_before_rotation_is_found_on_the_oldest_value(settings, stored_secrets):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    Server.objects.create(
        provider_account=stored_secrets.provider_account, provider_id="8", hostname="web8", root_password="new"
    )
    settings.FIELD_ENCRYPTION_KEYS = [new_key]

    answer = Client().get("/health/ready")

    assert answer.status_code == 503
    assert "servers.Server.root_password" in answer.json()["checks"]["encryption"]["detail"]


def test_with_the_right_keys_check_and_readiness_are_clean(client, stored_secrets):
    call_command("check", "--database", "default")

    answer = client.get("/health/ready")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["checks"]["encryption"] == {"ok": True, "detail": "stored secrets decrypt"}
