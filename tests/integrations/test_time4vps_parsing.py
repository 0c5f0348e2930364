"""The Time4VPS client against the fake provider, over real HTTP on loopback: what it reads and sends."""

from __future__ import annotations

from datetime import UTC, date, datetime

from apps.integrations.providers.time4vps import ActiveTask, OsTemplate, Time4VPSClient
from tests.fakes.time4vps_provider import FakeTime4VPS
from tests.integrations.time4vps_helpers import FAST, FIRST, SECOND, THIRD

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
