"""One contract for every provider adapter, run against each adapter's fake over real HTTP: the
Time4VPS fake, the sandbox (the platform's own stand-in, served by live_server) and the Hetzner
Cloud fake. An adapter that drifts from the interface fails here, whatever its provider."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from apps.integrations.providers import (
    AccountSettings,
    ActionKind,
    ActionStatus,
    ProviderAction,
    ProviderAdapter,
    ProviderAuthError,
    ProviderNotFound,
    ProviderServer,
    ServerState,
)
from apps.integrations.providers.registry import adapter_for

# The sandbox's rows live in the test database, which live_server's threads read.
pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Subject:
    kind: str
    base_url: str
    credentials: dict[str, str]
    wrong_credentials: dict[str, str]
    unknown_server: str

    def adapter(self, **credentials: str) -> ProviderAdapter:
        return adapter_for(
            self.kind, AccountSettings(base_url=self.base_url, credentials=credentials or self.credentials)
        )


@pytest.fixture
def time4vps_subject(fake_provider) -> Subject:
    return Subject(
        kind="time4vps",
        base_url=fake_provider.base_url,
        credentials={"username": fake_provider.username, "password": fake_provider.password},
        wrong_credentials={"username": fake_provider.username, "password": "wrong-password"},
        unknown_server="999999",
    )


@pytest.fixture
def hetzner_subject(fake_hetzner) -> Subject:
    return Subject(
        kind="hetzner",
        base_url=fake_hetzner.base_url,
        credentials={"api_token": fake_hetzner.token},
        wrong_credentials={"api_token": "not-the-token"},
        unknown_server="999999",
    )


@pytest.fixture
def sandbox_subject(settings, live_server) -> Subject:
    settings.SANDBOX_ENABLED = True
    settings.SANDBOX_SERVER_COUNT = 3
    settings.SANDBOX_TASK_SECONDS = 0.0
    return Subject(
        kind="sandbox",
        base_url=f"{live_server.url}/sandbox/api",
        credentials={"username": settings.SANDBOX_USERNAME, "password": settings.SANDBOX_PASSWORD},
        wrong_credentials={"username": settings.SANDBOX_USERNAME, "password": "wrong-password"},
        unknown_server="999999",
    )


@pytest.fixture(params=["time4vps", "sandbox", "hetzner"])
def subject(request, settings) -> Subject:
    settings.PROVIDER_RETRY_MAX_WAIT_SECONDS = 0.02
    return request.getfixturevalue(f"{request.param}_subject")


def _follow(adapter: ProviderAdapter, provider_id: str, started: ProviderAction) -> ProviderAction:
    assert started.action_id is not None
    deadline = time.monotonic() + 15
    action = adapter.get_action(provider_id, started.action_id)
    while not action.finished and time.monotonic() < deadline:
        time.sleep(0.1)
        action = adapter.get_action(provider_id, started.action_id)
    return action


def test_every_server_is_listed_with_its_details(subject):
    with subject.adapter() as adapter:
        servers = adapter.list_servers()
        one = adapter.get_server(servers[0].provider_id)

    assert len(servers) == 3
    assert len({server.provider_id for server in servers}) == 3
    for server in servers:
        assert isinstance(server, ProviderServer)
        assert server.hostname
        assert server.ip
        assert server.status == ServerState.ACTIVE, server.status_text
        assert server.cpu_cores
        assert server.disk_mb
        assert server.ram_mb >= 512  # megabytes, whatever unit the provider uses
        assert server.busy_with == ""
    assert one == servers[0]


def test_the_images_a_server_can_be_reinstalled_with_are_listed(subject):
    with subject.adapter() as adapter:
        provider_id = adapter.list_servers()[0].provider_id
        images = adapter.list_images(provider_id)

    assert images
    assert all(image.code and image.title for image in images)


def test_a_password_reset_is_followed_to_its_end_and_hands_out_a_password(subject):
    with subject.adapter() as adapter:
        provider_id = adapter.list_servers()[0].provider_id
        started = adapter.reset_password(provider_id)
        finished = _follow(adapter, provider_id, started)

    assert started.kind == ActionKind.RESET_PASSWORD
    assert finished.status == ActionStatus.SUCCEEDED
    assert started.root_password or finished.root_password
    assert finished.finished_at is not None


def test_a_reinstall_is_followed_to_its_end_and_found_again_since_its_start(subject):
    before = datetime.now(UTC) - timedelta(seconds=5)
    with subject.adapter() as adapter:
        provider_id = adapter.list_servers()[0].provider_id
        image = adapter.list_images(provider_id)[0].code
        started = adapter.reinstall(provider_id, image=image, public_key="ssh-ed25519 AAAAC3Nza test@example")
        finished = _follow(adapter, provider_id, started)
        found = adapter.find_action(provider_id, ActionKind.REINSTALL, since=before)
        not_yet = adapter.find_action(provider_id, ActionKind.REINSTALL, since=datetime.now(UTC) + timedelta(hours=1))
        server = adapter.get_server(provider_id)

    assert finished.status == ActionStatus.SUCCEEDED
    assert finished.kind == ActionKind.REINSTALL
    assert found is not None
    assert found.kind == ActionKind.REINSTALL
    assert found.status == ActionStatus.SUCCEEDED
    assert not_yet is None
    assert server.busy_with == ""


def test_wrong_credentials_are_an_authentication_error_without_the_secret(subject):
    with subject.adapter(**subject.wrong_credentials) as adapter, pytest.raises(ProviderAuthError) as caught:
        adapter.list_servers()

    for secret in subject.wrong_credentials.values():
        if secret.startswith(("wrong", "not-")):
            assert secret not in str(caught.value)
    assert caught.value.retryable is False


def test_an_unknown_server_is_not_found(subject):
    with subject.adapter() as adapter, pytest.raises(ProviderNotFound):
        adapter.get_server(subject.unknown_server)
