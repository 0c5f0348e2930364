"""Fixtures of the GitHub client tests: the real client against the sandbox GitHub over HTTP.

live_server runs in this process, so `settings` overrides made in a test apply to the sandbox.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from apps.integrations.github import GitHubClient
from tests.fakes.sandbox_github import sandbox_github_configure, sandbox_github_url

ORG = "sandbox-org"
TOKEN = "sandbox-tests-github-token"
APP_ID = 4242
INSTALLATION_ID = 777
# Retries without real waiting: the tests measure behaviour, not backoff.
FAST = {"retry_attempts": 3, "retry_backoff_seconds": 0.01, "timeout": 5, "seconds_between_requests": 0}


@pytest.fixture(scope="session")
def app_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def github_settings(settings):
    """A known organization, token, App and a dozen repositories, whatever the environment says."""
    return sandbox_github_configure(settings, organization=ORG, token=TOKEN, app_id=APP_ID)


@pytest.fixture
def github_url(live_server, github_settings) -> str:
    return sandbox_github_url(live_server)


@pytest.fixture
def make_client(github_url):
    clients = []

    def make(**overrides) -> GitHubClient:
        options = {"base_url": github_url, "organization": ORG, **FAST, **overrides}
        if not {"token", "app_id"} & set(overrides):
            options["token"] = TOKEN
        client = GitHubClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client) -> GitHubClient:
    return make_client()
