"""The Time4VPS client against the fake provider: the errors it raises and the calls it retries."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from apps.integrations.providers.time4vps import (
    AuthenticationError,
    InvalidResponseError,
    NotFoundError,
    ProviderRequestError,
    ProviderUnavailableError,
    Time4VPSClient,
)
from tests.fakes.time4vps_provider import FakeTime4VPS
from tests.integrations.time4vps_helpers import FAST, FIRST, SECOND

# --- errors --------------------------------------------------------------------------------------


def test_wrong_credentials_raise_an_authentication_error_that_does_not_show_the_password(make_client, fake_provider):
    client = make_client(password="Wrong-Pa55word-123")

    with pytest.raises(AuthenticationError) as caught:
        client.list_servers()

    message = str(caught.value)
    assert "rejected the account's credentials" in message
    assert "GET /server" in message
    assert "401" in message
    assert "Wrong-Pa55word-123" not in message
    assert caught.value.retryable is False
    assert len(fake_provider.requests) == 1  # never retried


def test_a_wronglogin_error_body_is_an_authentication_error_whatever_the_status(client, fake_provider):
    fake_provider.fail("/server", status=200, body={"error": ["wronglogin"]})

    with pytest.raises(AuthenticationError):
        client.list_servers()


def test_the_providers_error_message_surfaces_in_the_exception(client, fake_provider):
    fake_provider.fail("/server/*/oses", status=400, body={"error": ["Server is locked", "try later"]})

    with pytest.raises(ProviderRequestError) as caught:
        client.list_oses(FIRST)

    assert str(caught.value) == f"Time4VPS refused GET /server/{FIRST}/oses -> HTTP 400: Server is locked; try later"
    assert (caught.value.status, caught.value.retryable) == (400, False)


def test_an_error_list_whose_first_element_is_not_a_string_is_json_encoded(client, fake_provider):
    fake_provider.fail("/server/*", status=422, body={"error": [{"field": "os"}, "invalid"]})

    with pytest.raises(ProviderRequestError, match=r'\[\{"field": "os"\}, "invalid"\]'):
        client.get_server(FIRST)


def test_an_unknown_server_and_an_unknown_task_are_not_found(client):
    with pytest.raises(NotFoundError, match="404"):
        client.get_server(99999)
    with pytest.raises(NotFoundError, match="Invalid task ID"):
        client.get_task(FIRST, 123)


def test_a_body_that_is_not_json_raises_invalid_response(client, fake_provider):
    fake_provider.fail("/server", malformed=True)

    with pytest.raises(InvalidResponseError, match=r"GET /server -> HTTP 200 with a body that is not JSON"):
        client.list_servers()
    assert len(fake_provider.requests) == 1


def test_a_wrongly_typed_server_id_raises_invalid_response_naming_the_field(client, fake_provider):
    fake_provider.servers[SECOND]["server_id"] = "51002"

    with pytest.raises(InvalidResponseError, match=r"server list item 1: field 'server_id' must be an integer"):
        client.list_servers()


def test_a_list_where_an_object_was_expected_raises_invalid_response(client, fake_provider):
    fake_provider.fail("/server", body={"servers": []})
    fake_provider.fail("/server/*", body=["not", "details"])
    fake_provider.servers[FIRST]["additional_ip"] = "185.0.0.200"

    with pytest.raises(InvalidResponseError, match="the server list must be a JSON array, got dict"):
        client.list_servers()
    with pytest.raises(InvalidResponseError, match=f"server {FIRST} details must be a JSON object, got list"):
        client.get_server(FIRST)


def test_a_mistyped_quantity_raises_invalid_response(client, fake_provider):
    fake_provider.servers[FIRST]["ram_limit"] = "a lot"

    with pytest.raises(InvalidResponseError, match="'ram_limit' must be a whole number"):
        client.get_server(FIRST)


# --- retries -------------------------------------------------------------------------------------


def test_a_get_that_fails_twice_with_500_succeeds_on_the_third_attempt(client, fake_provider):
    fake_provider.fail("/server", status=500, times=2)

    servers = client.list_servers()

    assert len(servers) == 3
    assert len(fake_provider.requests_to("/server")) == 3


def test_a_get_that_always_fails_gives_up_after_exactly_retry_attempts(make_client, fake_provider):
    client = make_client(retry_attempts=4)
    fake_provider.fail("/server/*", status=503)

    with pytest.raises(ProviderUnavailableError) as caught:
        client.get_server(FIRST)

    assert len(fake_provider.requests) == 4
    assert caught.value.retryable is True
    assert "attempt 4 of 4" in str(caught.value)


def test_a_429_is_retried_like_a_5xx(client, fake_provider):
    fake_provider.fail("/server", status=429, times=1)

    assert len(client.list_servers()) == 3
    assert len(fake_provider.requests) == 2


def test_a_read_timeout_raises_unavailable_after_the_retries(make_client, fake_provider):
    client = make_client(read_timeout=0.2, retry_attempts=2)
    fake_provider.fail("/server", delay=1.0)

    started = time.monotonic()
    with pytest.raises(ProviderUnavailableError, match=r"no answer within 0.2s") as caught:
        client.list_servers()

    assert time.monotonic() - started < 1.5
    assert len(fake_provider.requests) == 2
    assert caught.value.retryable is True


def test_a_dropped_connection_on_a_get_is_retried(client, fake_provider):
    fake_provider.fail("/server", close=True, times=1)

    assert len(client.list_servers()) == 3
    assert len(fake_provider.requests) == 2


def test_a_post_that_gets_a_500_is_not_retried(client, fake_provider):
    fake_provider.fail("/server/*/reboot", status=500)

    with pytest.raises(ProviderUnavailableError) as caught:
        client.reboot(FIRST)

    assert len(fake_provider.requests) == 1
    # The provider may have acted on it: the error itself says not to repeat it blindly.
    assert (caught.value.request_sent, caught.value.retryable) == (True, False)


def test_a_reinstall_that_times_out_is_not_retried(make_client, fake_provider):
    client = make_client(read_timeout=0.2, retry_attempts=5)
    fake_provider.fail("/server/*/reinstall", delay=1.0)

    with pytest.raises(ProviderUnavailableError) as caught:
        client.reinstall(FIRST, os="debian-12-x86_64")

    assert len(fake_provider.requests) == 1
    assert caught.value.retryable is False


def test_a_post_that_could_not_connect_is_retried_and_reaches_the_provider_once(settings):
    with socket.socket() as probe:  # a free port, where nothing listens yet: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fake = FakeTime4VPS(port=port)
    starter = threading.Timer(0.3, fake.start)
    starter.start()
    try:
        client = Time4VPSClient(
            base_url=f"http://127.0.0.1:{port}/api",
            username=fake.username,
            password=fake.password,
            retry_attempts=200,
            retry_max_wait=0.02,
        )
        task_id = client.reboot(FIRST)
        client.close()
    finally:
        starter.join()
        fake.stop()

    assert task_id in fake.tasks
    assert len(fake.requests) == 1


def test_a_connection_refused_raises_unavailable_saying_nothing_was_sent(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = Time4VPSClient(
        base_url=f"http://127.0.0.1:{port}/api", username="u@example.com", password="Some-Pa55word", **FAST
    )

    with pytest.raises(ProviderUnavailableError, match="could not connect") as caught:
        client.reinstall(FIRST, os="debian-12-x86_64")

    assert (caught.value.request_sent, caught.value.retryable) == (False, True)
