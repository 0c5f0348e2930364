"""Fixtures for the API's bad-input tests: a seeded world and an operator signed in with a real token."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests

from tests.access.test_route_permissions import world
from tests.fakes.sandbox_github import sandbox_github_configure, sandbox_github_url
from tests.roles import user_with_role

OPERATOR_PASSWORD = "fuzz-operator-password"
TIMEOUT = 10
# High enough that no fuzzed request meets a 429 that would hide the real answer.
UNTHROTTLED = "1000000/min"


@dataclass(frozen=True)
class SignedIn:
    base_url: str
    headers: dict[str, str]
    ids: dict[str, int]


GITHUB_ORG = "fuzz-org"
GITHUB_TOKEN = "fuzz-sandbox-github-token"


@pytest.fixture
def unthrottled(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, UNTHROTTLED),
    }


@pytest.fixture
def operator_over_http(live_server, unthrottled, settings) -> SignedIn:
    """An operator holding a token from POST /api/auth/token/, and one object of every kind.

    The provider account is the sandbox provider this live server serves, and the GitHub account
    its sandbox GitHub, so the operations that ask them (a server's OS templates, a provision
    request, a project's playbooks at a ref) get their real answers.
    """
    ids = world()
    _served_by_the_sandbox(ids, live_server.url)
    _github_by_the_sandbox(ids, live_server, settings)
    user = user_with_role("operator", "fuzz-operator")
    user.set_password(OPERATOR_PASSWORD)
    user.save()
    # A second token of the operator's own, for the /api/auth/tokens/{id}/ routes to act on:
    # revoking the token the requests carry would sign the rest of the run out.
    from apps.access.services import token_create

    ids["auth"] = token_create(user=user, name="fuzz-target", expires_in_days=1)[0].pk
    from apps.audit.models import AuditEvent

    ids["audit-events"] = AuditEvent.objects.latest("pk").pk  # token_create wrote one
    response = requests.post(
        f"{live_server.url}/api/auth/token/",
        json={"username": user.username, "password": OPERATOR_PASSWORD},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Token {response.json()['token']}"}
    return SignedIn(base_url=live_server.url, headers=headers, ids=ids)


def _github_by_the_sandbox(ids: dict[str, int], live_server, settings) -> None:
    from apps.projects.models import GitHubAccount, Project
    from apps.sandbox.github import catalog

    sandbox_github_configure(settings, organization=GITHUB_ORG, token=GITHUB_TOKEN, app_id=1)
    GitHubAccount.objects.filter(pk=ids["github-accounts"]).update(
        organization=GITHUB_ORG, token=GITHUB_TOKEN, base_url=sandbox_github_url(live_server)
    )
    name = catalog.repo_name(1)
    Project.objects.filter(pk=ids["projects"]).update(
        name=name, full_name=f"{GITHUB_ORG}/{name}", github_id=catalog.repo_github_id(GITHUB_ORG, 1)
    )


def _served_by_the_sandbox(ids: dict[str, int], base_url: str) -> None:
    from django.conf import settings

    from apps.integrations.providers.time4vps import circuit_reset
    from apps.sandbox import catalog
    from apps.sandbox.services import sandbox_servers_ensure
    from apps.servers.choices import ProviderKind
    from apps.servers.models import ProviderAccount, Server

    sandbox_servers_ensure(count=1)
    account = ProviderAccount.objects.get(pk=ids["provider-accounts"])
    account.kind, account.base_url = ProviderKind.SANDBOX, f"{base_url}/sandbox/api"
    account.username, account.password = settings.SANDBOX_USERNAME, settings.SANDBOX_PASSWORD
    account.save()
    circuit_reset(account.circuit_key)
    Server.objects.filter(pk=ids["servers"]).update(provider_id=str(catalog.server_id_for(1)))
