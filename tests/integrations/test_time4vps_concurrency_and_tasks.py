"""The Time4VPS client against the fake provider: get_servers() concurrency, actions and tasks."""

from __future__ import annotations

import time

import pytest

from apps.integrations.providers.time4vps import NotFoundError, ProviderUnavailableError
from tests.integrations.time4vps_helpers import FIRST, SECOND, THIRD

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
