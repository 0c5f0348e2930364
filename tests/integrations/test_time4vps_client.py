"""The Time4VPS client against the fake provider, over real HTTP on loopback."""

from __future__ import annotations

import base64
import socket
import threading
import time
import uuid
from datetime import UTC, date, datetime

import pytest
import redis
from django.conf import settings as django_settings

from apps.integrations.time4vps import (
    ActiveTask,
    AuthenticationError,
    CircuitOpenError,
    InvalidResponseError,
    NotFoundError,
    OsTemplate,
    ProviderRequestError,
    ProviderUnavailableError,
    Time4VPSClient,
    Time4VPSError,
    build_circuit_breaker,
    circuit_reset,
    circuit_state,
)
from apps.integrations.time4vps.circuit import REDIS_NAMESPACE
from tests.fakes.time4vps_provider import FakeTime4VPS

FIRST, SECOND, THIRD = 51001, 51002, 51003
# Fast enough for a test run: tiny backoff, short timeouts.
FAST = {"connect_timeout": 1.0, "read_timeout": 2.0, "retry_attempts": 3, "retry_max_wait": 0.01}


@pytest.fixture
def make_client(fake_provider):
    clients = []

    def make(**overrides) -> Time4VPSClient:
        options = {
            "base_url": fake_provider.base_url,
            "username": fake_provider.username,
            "password": fake_provider.password,
            **FAST,
            **overrides,
        }
        client = Time4VPSClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client) -> Time4VPSClient:
    return make_client()


@pytest.fixture
def circuit_key():
    """A circuit of this test's own; its Redis keys (services pass) are removed afterwards."""
    key = f"test-{uuid.uuid4().hex}"
    yield key
    circuit_reset(key)
    if django_settings.PROVIDER_CIRCUIT_REDIS_URL:
        connection = redis.Redis.from_url(django_settings.PROVIDER_CIRCUIT_REDIS_URL)
        keys = list(connection.scan_iter(f"{REDIS_NAMESPACE}:{key}:*"))
        if keys:
            connection.delete(*keys)
        connection.close()


@pytest.fixture
def circuit_settings(settings):
    settings.PROVIDER_CIRCUIT_FAIL_MAX = 2
    settings.PROVIDER_CIRCUIT_RESET_SECONDS = 60
    return settings


def secrets_of(fake: FakeTime4VPS) -> list[str]:
    token = base64.b64encode(f"{fake.username}:{fake.password}".encode()).decode()
    return [fake.password, token]


def assert_no_secret(text: str, fake: FakeTime4VPS) -> None:
    for secret in secrets_of(fake):
        assert secret not in text


# --- parsing -------------------------------------------------------------------------------------


def test_list_servers_returns_every_server_with_its_fields(client, fake_provider):
    servers = client.list_servers()

    assert [server.server_id for server in servers] == [FIRST, SECOND, THIRD]
    first = servers[0]
    assert first.domain == "web1.example.com"
    assert first.ip == "185.0.0.11"
    assert first.label == "web 1"
    assert first.type == "vps"
    assert first.date_created == date(2024, 3, 1)
    assert first.synch_date == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_server_details_come_in_the_documented_units(client):
    details = client.get_server(FIRST)

    assert details.server_id == FIRST
    assert details.status == "Active"
    assert (details.cpu_mhz, details.cpu_cores) == (2400, 2)
    assert (details.ram_mb, details.ram_used_mb) == (4096, 812)
    assert (details.disk_mb, details.disk_used_mb) == (81920, 10240)
    assert details.bandwidth_mb == 8000000
    assert details.os == "ubuntu-22.04-x86_64"
    assert details.active_task is None
    assert details.additional_ips == ()


def test_a_null_ip_and_a_unicode_hostname_are_accepted(client, fake_provider):
    fake_provider.add_server(server_id=60001, domain="сервер.пример.рф", ip=None, label=None, os=None)

    brief = next(server for server in client.list_servers() if server.server_id == 60001)
    details = client.get_server(60001)

    assert (brief.domain, brief.ip, brief.label) == ("сервер.пример.рф", None, "")
    assert (details.domain, details.ip, details.os) == ("сервер.пример.рф", None, "")


def test_additional_ips_and_the_active_task_are_read_from_the_details(client, fake_provider):
    fake_provider.servers[SECOND].update(
        additional_ip=["185.0.0.200", "185.0.0.201"],
        active_task={"name": "server_reboot", "activated": "2026-11-22T12:00:00+02:00"},
    )

    details = client.get_server(SECOND)

    assert details.additional_ips == ("185.0.0.200", "185.0.0.201")
    assert details.active_task == ActiveTask(name="server_reboot", activated=datetime(2026, 11, 22, 10, 0, tzinfo=UTC))


def test_missing_optional_fields_are_none_rather_than_errors(client, fake_provider):
    for name in ("cpu_frequency", "ram_used", "additional_ip", "active_task", "last_tasks", "synch_date"):
        del fake_provider.servers[THIRD][name]

    details = client.get_server(THIRD)

    assert (details.cpu_mhz, details.ram_used_mb, details.synch_date) == (None, None, None)
    assert (details.additional_ips, details.active_task, details.last_tasks) == ((), None, ())


def test_os_templates_are_listed(client):
    assert client.list_oses(FIRST)[:2] == [
        OsTemplate(os="ubuntu-22.04-x86_64", title="Ubuntu 22.04"),
        OsTemplate(os="debian-12-x86_64", title="Debian 12"),
    ]


def test_every_request_carries_basic_auth_json_and_the_platform_user_agent(client, fake_provider):
    client.list_servers()
    client.reboot(FIRST)

    assert len(fake_provider.requests) == 2
    for request in fake_provider.requests:
        assert request.authorized
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"].startswith("fleet-platform/")


def test_credentials_outside_latin_1_are_sent_as_utf_8():
    with FakeTime4VPS(username="владелец@example.com", password="пароль-Ключ-2026") as fake:
        with Time4VPSClient(base_url=fake.base_url, username=fake.username, password=fake.password, **FAST) as client:
            assert len(client.list_servers()) == 3
        assert fake.requests[0].authorized


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


# --- get_servers -----------------------------------------------------------------------------------


def test_get_servers_returns_the_details_in_the_order_asked(client):
    details = client.get_servers([THIRD, FIRST, SECOND], max_workers=2)

    assert [item.server_id for item in details] == [THIRD, FIRST, SECOND]
    assert [item.domain for item in details] == ["web3.example.com", "web1.example.com", "web2.example.com"]


def test_get_servers_is_all_or_nothing_when_one_detail_call_fails(client, fake_provider):
    fake_provider.fail(f"/server/{SECOND}", status=500)

    with pytest.raises(ProviderUnavailableError, match=f"GET /server/{SECOND}"):
        client.get_servers([FIRST, SECOND, THIRD], max_workers=3)


def test_get_servers_stops_fetching_after_the_first_failure(client, fake_provider):
    fake_provider.set_server_count(10)
    fake_provider.fail(f"/server/{FIRST}", status=404)

    with pytest.raises(NotFoundError):
        client.get_servers(list(fake_provider.servers), max_workers=1)

    assert [request.path for request in fake_provider.requests] == [f"/server/{FIRST}"]


def test_get_servers_runs_concurrently_but_never_more_than_max_workers(make_client, fake_provider, circuit_key):
    client = make_client(circuit_key=circuit_key)  # the account's circuit breaker must not serialize the calls
    fake_provider.set_server_count(9)
    fake_provider.fail("/server/*", delay=0.2)

    started = time.monotonic()
    details = client.get_servers(list(fake_provider.servers), max_workers=3)
    elapsed = time.monotonic() - started

    assert len(details) == 9
    assert fake_provider.max_in_flight == 3
    assert elapsed < 9 * 0.2 * 0.6  # one at a time would take 1.8 s; three at a time about 0.6 s


def test_get_servers_of_nothing_makes_no_request(client, fake_provider):
    assert client.get_servers([], max_workers=4) == []
    assert fake_provider.requests == []


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


# --- actions and tasks -------------------------------------------------------------------------------


def test_reinstall_sends_the_os_and_only_the_options_given(client, fake_provider):
    first_task = client.reinstall(FIRST, os="debian-12-x86_64")
    second_task = client.reinstall(SECOND, os="debian-12-x86_64", ssh_key="ssh-ed25519 AAAA test", script=7)

    bodies = [request.body for request in fake_provider.requests_to("/server/*/reinstall", method="POST")]
    assert bodies == [
        {"os": "debian-12-x86_64"},
        {"os": "debian-12-x86_64", "ssh_key": "ssh-ed25519 AAAA test", "script": 7},
    ]
    assert first_task != second_task
    assert fake_provider.servers[FIRST]["os"] == "debian-12-x86_64"


def test_a_task_reports_progress_and_then_the_new_password(client, fake_provider):
    fake_provider.task_seconds = 0.3
    task_id = client.reset_password(FIRST)

    running = client.get_task(FIRST, task_id)
    assert (running.task_id, running.name, running.done) == (task_id, "server_reset_password", False)
    assert (running.completed, running.password()) == (None, None)
    assert client.get_server(FIRST).active_task.name == "server_reset_password"

    time.sleep(0.35)
    finished = client.get_task(FIRST, task_id)

    assert finished.done
    assert finished.completed is not None
    assert finished.password() == fake_provider.tasks[task_id].password
    assert client.get_server(FIRST).last_tasks[0].name == "server_reset_password"


def test_a_reboot_task_has_no_password(client, fake_provider):
    task_id = client.reboot(FIRST)

    task = client.get_task(FIRST, task_id)

    assert task.done
    assert task.password() is None


# --- secrets -------------------------------------------------------------------------------------


def test_no_password_or_authorization_value_appears_in_errors_or_returned_objects(make_client, fake_provider):
    client = make_client(retry_attempts=1)
    task_id = client.reinstall(FIRST, os="debian-12-x86_64")
    task = client.get_task(FIRST, task_id)
    new_password = fake_provider.tasks[task_id].password
    assert task.password() == new_password
    assert new_password not in repr(task)
    assert new_password not in str(task)
    assert_no_secret(repr(client), fake_provider)
    assert_no_secret(repr(client.get_server(FIRST)), fake_provider)

    errors: list[Time4VPSError] = []
    for failure in (
        {"status": 500},
        {"status": 400, "body": {"error": [f"Login {fake_provider.username}:{fake_provider.password} refused"]}},
        {"malformed": True},
        {"wrong_credentials": True},
    ):
        fake_provider.clear_failures()
        fake_provider.fail("/server", **failure)
        with pytest.raises(Time4VPSError) as caught:
            client.list_servers()
        errors.append(caught.value)

    assert [type(error) for error in errors] == [
        ProviderUnavailableError,
        ProviderRequestError,
        InvalidResponseError,
        AuthenticationError,
    ]
    assert "[redacted]" in str(errors[1])  # the provider echoed the password: it is cut out
    for error in errors:
        assert_no_secret(str(error), fake_provider)
        assert_no_secret(repr(error), fake_provider)


def test_log_lines_name_the_call_but_never_the_credentials(client, fake_provider, caplog):
    caplog.set_level("INFO", logger="apps.integrations.time4vps.client")
    fake_provider.fail("/server", status=500, times=1)

    client.list_servers()

    records = [record for record in caplog.records if record.name == "apps.integrations.time4vps.client"]
    events = [record.msg for record in records]
    assert [(event["path"], event["status"], event["attempt"]) for event in events] == [
        ("/server", 500, 1),
        ("/server", 200, 2),
    ]
    assert all(event["method"] == "GET" and "duration_ms" in event for event in events)
    assert_no_secret(caplog.text, fake_provider)
