"""The Hetzner Cloud adapter against the fake Hetzner Cloud API over real HTTP: what it reads,
how it fails, what it retries (reads only), and how it keeps to the project's rate limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.integrations.common.outbound import GuardedHTTPAdapter
from apps.integrations.providers import (
    AccountSettings,
    ActionKind,
    ProviderRateLimited,
    ProviderRefused,
    ProviderRequestMaybeSent,
    ProviderUnavailable,
)
from apps.integrations.providers.hetzner import HetznerAdapter


@pytest.fixture(autouse=True)
def fast_calls(settings):
    settings.PROVIDER_CONNECT_TIMEOUT_SECONDS = 1.0
    settings.PROVIDER_READ_TIMEOUT_SECONDS = 0.5
    settings.PROVIDER_RETRY_ATTEMPTS = 3
    settings.PROVIDER_RETRY_MAX_WAIT_SECONDS = 0.02
    settings.PROVIDER_RATE_LIMIT_RESERVE = 2


@pytest.fixture
def adapter(fake_hetzner):
    with HetznerAdapter(AccountSettings(fake_hetzner.base_url, {"api_token": fake_hetzner.token})) as adapter:
        yield adapter


def test_the_librarys_own_retries_are_off_and_every_connection_is_address_checked(adapter):
    # hcloud would retry a rebuild on a time-out and sleep up to a minute: the adapter retries reads only.
    transport = adapter.client._client
    assert transport._retry_max_retries == 0
    assert isinstance(transport._session.get_adapter("https://api.hetzner.cloud/v1"), GuardedHTTPAdapter)


def test_servers_are_read_in_the_platforms_units(adapter, fake_hetzner):
    fake_hetzner.servers[4201002]["image"] = None  # after a custom install
    servers = {server.provider_id: server for server in adapter.list_servers()}

    first, second = servers["4201001"], servers["4201002"]
    assert first.hostname == "node1.example.com"
    assert first.ip == fake_hetzner.servers[4201001]["public_net"]["ipv4"]["ip"]
    network = fake_hetzner.servers[4201001]["public_net"]["ipv6"]["ip"]
    assert first.additional_ips == (network.split("/")[0] + "1",)
    assert (first.cpu_cores, first.ram_mb, first.disk_mb) == (2, 4096, 40960)
    assert first.os == "Debian 12"
    assert first.location == "fsn1"
    assert first.labels == {"role": "web"}
    assert second.labels == {"role": "db", "env": "prod"}
    assert second.os == ""


def test_every_page_is_read(adapter, fake_hetzner):
    fake_hetzner.set_server_count(120)

    servers = adapter.list_servers()

    assert len({server.provider_id for server in servers}) == 120
    pages = sorted(int(request.query["page"][0]) for request in fake_hetzner.requests_to("/servers", "GET"))
    assert pages == [1, 2, 3]
    assert all(request.query["per_page"] == ["50"] for request in fake_hetzner.requests_to("/servers", "GET"))


def test_a_listing_that_would_spend_the_budget_stops_before_its_second_page(adapter, fake_hetzner):
    fake_hetzner.set_server_count(120)
    fake_hetzner.rate_remaining = 3
    fake_hetzner.rate_reset_at = 1_900_000_000

    with pytest.raises(ProviderRateLimited) as caught:
        adapter.list_servers()

    assert len(fake_hetzner.requests_to("/servers", "GET")) == 1
    assert caught.value.reset_at == datetime.fromtimestamp(1_900_000_000, UTC)
    assert "nothing was written" in str(caught.value)


def test_a_429_is_rate_limited_until_the_reset_and_not_retried(adapter, fake_hetzner):
    fake_hetzner.rate_reset_at = 1_900_000_000
    fake_hetzner.fail("/servers", status=429, headers={"RateLimit-Reset": "1900000000", "RateLimit-Remaining": "0"})

    with pytest.raises(ProviderRateLimited) as caught:
        adapter.list_servers()

    assert caught.value.reset_at == datetime.fromtimestamp(1_900_000_000, UTC)
    assert len(fake_hetzner.requests_to("/servers", "GET")) == 1


def test_reads_are_retried_through_server_errors(adapter, fake_hetzner):
    rule = fake_hetzner.fail("/servers", method="GET", status=503, times=2)

    assert len(adapter.list_servers()) == 3
    assert rule.hits == 2


def test_a_read_that_keeps_failing_is_unavailable_after_the_bounded_attempts(adapter, fake_hetzner):
    fake_hetzner.fail("/servers/*", method="GET", delay=2.0)

    with pytest.raises(ProviderUnavailable) as caught:
        adapter.get_server("4201001")

    assert caught.value.retryable
    assert len(fake_hetzner.requests_to("/servers/*", "GET")) == 3


def test_a_rebuild_is_never_repeated_when_its_answer_is_an_error(adapter, fake_hetzner):
    fake_hetzner.fail("/servers/*/actions/rebuild", method="POST", status=500)

    with pytest.raises(ProviderRequestMaybeSent) as caught:
        adapter.reinstall("4201001", image="debian-12", public_key=None)

    assert not caught.value.retryable
    assert len(fake_hetzner.requests_to("/servers/*/actions/rebuild", "POST")) == 1


def test_a_rebuild_whose_answer_never_comes_may_have_been_sent(adapter, fake_hetzner):
    fake_hetzner.fail("/servers/*/actions/rebuild", method="POST", delay=2.0)

    with pytest.raises(ProviderRequestMaybeSent):
        adapter.reinstall("4201001", image="debian-12", public_key=None)

    assert len(fake_hetzner.requests_to("/servers/*/actions/rebuild", "POST")) == 1


def test_a_busy_server_refuses_a_rebuild_as_retryable_and_nothing_is_done(adapter, fake_hetzner):
    fake_hetzner.servers[4201001]["locked"] = True

    with pytest.raises(ProviderUnavailable) as caught:
        adapter.reinstall("4201001", image="debian-12", public_key=None)

    assert caught.value.retryable
    assert fake_hetzner.rebuild_calls(4201001) == 0


def test_a_protected_server_or_an_unknown_image_is_refused(adapter, fake_hetzner):
    with pytest.raises(ProviderRefused):
        adapter.reinstall("4201001", image="no-such-image", public_key=None)
    fake_hetzner.servers[4201001]["protection"]["rebuild"] = True
    with pytest.raises(ProviderRefused):
        adapter.reinstall("4201001", image="debian-12", public_key=None)
    assert fake_hetzner.rebuild_calls(4201001) == 0


def test_the_platform_key_goes_in_as_cloud_init_user_data(adapter, fake_hetzner):
    adapter.reinstall("4201001", image="ubuntu-24.04", public_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 platform")

    user_data = fake_hetzner.last_user_data[4201001]
    assert user_data.startswith("#cloud-config\n")
    assert "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 platform" in user_data


def test_a_failed_action_reports_the_providers_reason(adapter, fake_hetzner):
    fake_hetzner.action_seconds = None
    started = adapter.reset_password("4201001")
    fake_hetzner.complete_action(started.action_id, status="error", error="qemu guest agent not running")

    action = adapter.get_action("4201001", started.action_id)
    found = adapter.find_action("4201001", ActionKind.RESET_PASSWORD, since=datetime(2020, 1, 1, tzinfo=UTC))

    assert action.status == "failed"
    assert "qemu guest agent not running" in action.error
    assert found is not None
    assert found.action_id == started.action_id


def test_the_token_never_appears_in_an_error(adapter, fake_hetzner):
    fake_hetzner.fail("/servers", status=400, code="invalid_input", message=f"bad token {fake_hetzner.token}")

    with pytest.raises(ProviderRefused) as caught:
        adapter.list_servers()

    assert fake_hetzner.token not in str(caught.value)


def test_in_production_a_loopback_address_is_refused_before_any_request(fake_hetzner, settings):
    settings.PROVIDER_ALLOW_PRIVATE_ADDRESSES = False
    settings.PROVIDER_RETRY_ATTEMPTS = 1
    settings_ = AccountSettings(fake_hetzner.base_url, {"api_token": fake_hetzner.token})
    with HetznerAdapter(settings_) as adapter, pytest.raises(ProviderRefused):
        adapter.list_servers()

    assert fake_hetzner.requests == []


def test_a_body_the_library_cannot_read_is_refused_not_a_crash(adapter, fake_hetzner):
    fake_hetzner.fail("/servers", malformed=True)

    with pytest.raises(ProviderRefused):
        adapter.list_servers()
