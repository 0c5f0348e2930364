"""GET /server, /server/{id} and /server/{id}/oses match the published Time4VPS API, over real HTTP."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from apps.sandbox import catalog
from apps.sandbox.models import SandboxServer

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = catalog.server_id_for(1)

# The published API's examples (shared/reference/time4vps-api.md), verbatim: every key must be
# present in the sandbox's answers with the same JSON type.
REFERENCE_LIST_ENTRY = {
    "server_id": 51123,
    "domain": "web1.example.com",
    "ip": "185.xx.xx.10",
    "date_created": "2024-03-01",
    "synch_date": "2026-11-20 10:00:00",
    "label": "web 1",
    "type": "vps",
}
REFERENCE_DETAILS = {
    "synch_date": "2026-11-20 10:00:00",
    "package_id": 301,
    "domain": "web1.example.com",
    "label": "web 1",
    "status": "Active",
    "cpu_frequency": 2400,
    "cpu_cores": 2,
    "ram_limit": 4096,
    "ram_used": 812,
    "disk_limit": 81920,
    "disk_usage": 10240,
    "bw_limit": 8000000,
    "bw_in": 1200,
    "bw_out": 3400,
    "os": "ubuntu-22.04-x86_64",
    "ip": "185.xx.xx.10",
    "additional_ip": [],
    "dns_servers": ["1.1.1.1"],
    "components": [{"id": 1, "name": "Backups", "selected": True}],
    "active_task": None,
    "last_tasks": [],
}
REFERENCE_OS = {"os": "ubuntu-22.04-x86_64", "title": "Ubuntu 22.04"}

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SYNCH_DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def assert_matches_reference(actual: dict, reference: dict) -> None:
    missing = set(reference) - set(actual)
    assert not missing, f"keys missing: {sorted(missing)}"
    wrong = {
        key: (type(actual[key]).__name__, type(value).__name__)
        for key, value in reference.items()
        if type(actual[key]) is not type(value)
    }
    assert not wrong, f"(actual, reference) JSON types differ: {wrong}"


def test_the_server_list_has_every_reference_field_with_the_right_type(api):
    response = api.get("/server")

    assert response.status_code == 200
    servers = response.json()
    assert isinstance(servers, list)
    assert len(servers) == 5
    for entry in servers:
        assert_matches_reference(entry, REFERENCE_LIST_ENTRY)
        assert entry["type"] == "vps"
        assert DATE.match(entry["date_created"])
        assert SYNCH_DATE.match(entry["synch_date"])


def test_the_server_list_shows_the_seeded_fleet_in_order(api):
    servers = api.get("/server").json()

    assert [entry["server_id"] for entry in servers] == [catalog.server_id_for(n) for n in range(1, 6)]
    assert servers[0]["domain"] == "sandbox-01.fleet.test"
    assert servers[0]["ip"] == "192.0.2.1"
    assert servers[4]["domain"] == "sandbox-05.fleet.test"


def test_server_details_have_every_reference_field_with_the_right_type(api):
    response = api.get(f"/server/{FIRST}")

    assert response.status_code == 200
    details = response.json()
    assert_matches_reference(details, REFERENCE_DETAILS)
    assert_matches_reference(details["components"][0], REFERENCE_DETAILS["components"][0])
    assert SYNCH_DATE.match(details["synch_date"])
    assert details["status"] == "Active"
    assert details["active_task"] is None
    assert details["last_tasks"] == []
    assert all(isinstance(ip, str) for ip in details["additional_ip"] + details["dns_servers"])


def test_server_details_agree_with_the_list_and_use_mb_and_mhz(api):
    entry = api.get("/server").json()[0]
    details = api.get(f"/server/{entry['server_id']}").json()

    assert (details["domain"], details["ip"], details["label"]) == (entry["domain"], entry["ip"], entry["label"])
    assert details["ram_limit"] in {2048, 4096, 8192, 16384}
    assert 0 < details["ram_used"] < details["ram_limit"]
    assert details["disk_limit"] % 1024 == 0
    assert 0 < details["disk_usage"] < details["disk_limit"]
    assert details["cpu_frequency"] in {2400, 2600}
    assert details["os"] in catalog.OS_CODES


def test_every_fifth_server_has_an_additional_ip(api):
    assert api.get(f"/server/{catalog.server_id_for(4)}").json()["additional_ip"] == []
    assert api.get(f"/server/{catalog.server_id_for(5)}").json()["additional_ip"] == ["198.19.0.1"]


def test_the_os_list_matches_the_reference_and_offers_ubuntu_and_debian(api):
    response = api.get(f"/server/{FIRST}/oses")

    assert response.status_code == 200
    oses = response.json()
    for entry in oses:
        assert_matches_reference(entry, REFERENCE_OS)
        assert set(entry) == {"os", "title"}
    codes = {entry["os"] for entry in oses}
    assert {"ubuntu-22.04-x86_64", "debian-12-x86_64"} <= codes
    assert all(code.startswith(("ubuntu-", "debian-")) for code in codes)


def test_the_fleet_is_seeded_up_to_sandbox_server_count_on_first_use(api, settings):
    settings.SANDBOX_SERVER_COUNT = 12
    assert SandboxServer.objects.count() == 0

    assert len(api.get("/server").json()) == 12
    assert len(api.get("/server").json()) == 12
    assert SandboxServer.objects.count() == 12


def test_raising_the_count_adds_servers_and_lowering_it_deletes_none(api, settings):
    settings.SANDBOX_SERVER_COUNT = 3
    before = api.get("/server").json()
    settings.SANDBOX_SERVER_COUNT = 6
    raised = api.get("/server").json()
    settings.SANDBOX_SERVER_COUNT = 2
    lowered = api.get("/server").json()

    assert len(before) == 3
    assert raised[:3] == before
    assert len(raised) == 6
    assert lowered == raised


def test_concurrent_first_requests_seed_each_server_exactly_once(api, settings):
    settings.SANDBOX_SERVER_COUNT = 40

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: api.get("/server"), range(8)))

    assert [response.status_code for response in responses] == [200] * 8
    assert all(len(response.json()) == 40 for response in responses)
    assert SandboxServer.objects.count() == 40
    assert SandboxServer.objects.values("server_id").distinct().count() == 40
