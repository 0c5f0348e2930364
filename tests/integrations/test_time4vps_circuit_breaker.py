"""The Time4VPS client against the fake provider: the account's circuit breaker."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime

import pytest
import redis
from django.conf import settings as django_settings

from apps.integrations.providers.time4vps import (
    AuthenticationError,
    CircuitOpenError,
    InvalidResponseError,
    NotFoundError,
    ProviderUnavailableError,
    build_circuit_breaker,
    circuit_reset,
    circuit_state,
)
from apps.integrations.providers.time4vps.circuit import REDIS_NAMESPACE
from tests.integrations.time4vps_helpers import FIRST

# --- circuit breaker ---------------------------------------------------------------------------------


def test_the_circuit_opens_after_fail_max_unavailable_calls_and_then_fails_fast(
    make_client, fake_provider, circuit_key, circuit_settings
):
    client = make_client(circuit_key=circuit_key, retry_attempts=2)
    fake_provider.fail("/server", status=500)

    for _ in range(2):
        with pytest.raises(ProviderUnavailableError) as caught:
            client.list_servers()
        assert not isinstance(caught.value, CircuitOpenError)
    assert len(fake_provider.requests) == 4  # each logical call retried once
    assert circuit_state(circuit_key) == "open"

    fake_provider.clear_failures()
    started = time.monotonic()
    with pytest.raises(CircuitOpenError, match=r"is open until \d{4}-\d\d-\d\dT") as caught:
        client.list_servers()

    assert time.monotonic() - started < 0.1
    assert len(fake_provider.requests) == 4  # nothing reached the provider
    assert caught.value.retryable is True
    assert caught.value.until > datetime.now(UTC)


def test_every_client_of_the_account_shares_its_circuit(make_client, fake_provider, circuit_key, circuit_settings):
    fake_provider.fail("/server", status=500)
    first = make_client(circuit_key=circuit_key, retry_attempts=1)
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError):
            first.list_servers()

    second = make_client(circuit_key=circuit_key)
    with pytest.raises(CircuitOpenError):
        second.get_server(FIRST)
    assert len(fake_provider.requests) == 2


def test_authentication_errors_never_open_the_circuit(make_client, fake_provider, circuit_key, circuit_settings):
    client = make_client(circuit_key=circuit_key, password="Wrong-Pa55word-123")

    for _ in range(5):
        with pytest.raises(AuthenticationError):
            client.list_servers()

    assert circuit_state(circuit_key) == "closed"
    assert len(fake_provider.requests) == 5


def test_not_found_and_invalid_responses_never_open_the_circuit(
    client, make_client, fake_provider, circuit_key, circuit_settings
):
    client = make_client(circuit_key=circuit_key)
    fake_provider.fail("/server", malformed=True)

    for _ in range(3):
        with pytest.raises(NotFoundError):
            client.get_server(99999)
        with pytest.raises(InvalidResponseError):
            client.list_servers()

    assert circuit_state(circuit_key) == "closed"


def test_after_the_reset_timeout_one_trial_call_closes_the_circuit(
    make_client, fake_provider, circuit_key, circuit_settings
):
    circuit_settings.PROVIDER_CIRCUIT_RESET_SECONDS = 1
    client = make_client(circuit_key=circuit_key, retry_attempts=1)
    fake_provider.fail("/server", status=500)
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError):
            client.list_servers()
    fake_provider.clear_failures()
    with pytest.raises(CircuitOpenError):
        client.list_servers()

    time.sleep(1.1)
    fake_provider.reset_requests()
    assert len(client.list_servers()) == 3

    assert len(fake_provider.requests) == 1
    assert circuit_state(circuit_key) == "closed"


def test_a_failed_trial_call_opens_the_circuit_again(make_client, fake_provider, circuit_key, circuit_settings):
    circuit_settings.PROVIDER_CIRCUIT_RESET_SECONDS = 1
    client = make_client(circuit_key=circuit_key, retry_attempts=1)
    fake_provider.fail("/server", status=500)
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError):
            client.list_servers()

    time.sleep(1.1)
    with pytest.raises(ProviderUnavailableError):
        client.list_servers()  # the trial, which fails

    assert circuit_state(circuit_key) == "open"
    with pytest.raises(CircuitOpenError):
        client.list_servers()
    assert len(fake_provider.requests) == 3


def test_circuit_reset_closes_an_open_circuit(make_client, fake_provider, circuit_key, circuit_settings):
    client = make_client(circuit_key=circuit_key, retry_attempts=1)
    fake_provider.fail("/server", status=500, times=2)
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError):
            client.list_servers()
    assert circuit_state(circuit_key) == "open"

    circuit_reset(circuit_key)

    assert circuit_state(circuit_key) == "closed"
    assert len(client.list_servers()) == 3


def test_an_unreachable_redis_leaves_the_circuit_working_in_memory(make_client, fake_provider, circuit_key, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.PROVIDER_CIRCUIT_REDIS_URL = f"redis://127.0.0.1:{port}/0"
    settings.PROVIDER_CIRCUIT_FAIL_MAX = 1
    client = make_client(circuit_key=circuit_key, retry_attempts=1)
    fake_provider.fail("/server", status=500, times=1)

    with pytest.raises(ProviderUnavailableError):
        client.list_servers()
    with pytest.raises(CircuitOpenError):
        client.list_servers()
    assert len(fake_provider.requests) == 1


@pytest.mark.services
def test_the_circuit_state_lives_in_redis_so_every_worker_sees_it(
    make_client, fake_provider, circuit_key, circuit_settings
):
    assert django_settings.PROVIDER_CIRCUIT_REDIS_URL, "the services pass must share circuits through Redis"
    client = make_client(circuit_key=circuit_key, retry_attempts=1)
    other_worker = build_circuit_breaker(circuit_key)  # its own breaker object, as in another process
    fake_provider.fail("/server", status=500)
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError):
            client.list_servers()

    assert other_worker.current_state == "open"
    connection = redis.Redis.from_url(django_settings.PROVIDER_CIRCUIT_REDIS_URL)
    assert connection.get(f"{REDIS_NAMESPACE}:{circuit_key}:pybreaker:state") == b"open"
    connection.close()
