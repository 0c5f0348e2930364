"""sandbox_servers_ensure and the deterministic catalogue it seeds from."""

import ipaddress

import pytest

from apps.sandbox import catalog
from apps.sandbox.models import SandboxServer
from apps.sandbox.services import sandbox_servers_ensure

DOCUMENTATION_AND_BENCHMARK_NETWORKS = [
    ipaddress.ip_network(net) for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15")
]


@pytest.mark.django_db
def test_ensure_creates_the_missing_servers_and_reports_how_many():
    assert sandbox_servers_ensure(count=12) == 12
    assert sandbox_servers_ensure(count=12) == 0
    assert sandbox_servers_ensure(count=15) == 3
    assert sandbox_servers_ensure(count=4) == 0
    assert SandboxServer.objects.count() == 15


@pytest.mark.django_db
def test_ensure_recreates_a_server_deleted_from_the_middle():
    sandbox_servers_ensure(count=6)
    SandboxServer.objects.filter(server_id=catalog.server_id_for(3)).delete()

    assert sandbox_servers_ensure(count=6) == 1
    assert SandboxServer.objects.filter(server_id=catalog.server_id_for(3)).exists()


@pytest.mark.django_db
def test_ensure_can_seed_a_thousand_servers_for_the_benchmark():
    assert sandbox_servers_ensure(count=1000) == 1000
    assert SandboxServer.objects.count() == 1000
    assert SandboxServer.objects.values("ip").distinct().count() == 1000


@pytest.mark.django_db
def test_ensure_with_zero_seeds_nothing():
    assert sandbox_servers_ensure(count=0) == 0
    assert not SandboxServer.objects.exists()


def test_ensure_refuses_more_servers_than_the_catalogue_has_addresses_for():
    with pytest.raises(ValueError, match="at most"):
        sandbox_servers_ensure(count=catalog.MAX_SERVERS + 1)


def test_seeded_values_depend_on_the_server_number_alone():
    assert catalog.server_values(7) == catalog.server_values(7)
    assert catalog.server_values(1)["domain"] == "sandbox-01.fleet.test"
    assert catalog.server_values(123)["domain"] == "sandbox-123.fleet.test"


@pytest.mark.parametrize(
    ("n", "ip"),
    [
        (1, "192.0.2.1"),
        (254, "192.0.2.254"),
        (255, "198.51.100.1"),
        (508, "198.51.100.254"),
        (509, "203.0.113.1"),
        (762, "203.0.113.254"),
        (763, "198.18.0.1"),
        (1016, "198.18.0.254"),
        (1017, "198.18.1.1"),
    ],
)
def test_main_addresses_fill_test_net_1_then_the_other_documentation_networks_then_198_18(n, ip):
    assert catalog.main_ip(n) == ip


def test_every_address_is_unique_and_reserved_for_documentation_or_benchmarks():
    count = 5000
    addresses = [catalog.main_ip(n) for n in range(1, count + 1)]
    addresses += [ip for n in range(1, count + 1) for ip in catalog.additional_ips(n)]

    assert len(addresses) == len(set(addresses)) == count + count // catalog.ADDITIONAL_IP_EVERY
    for address in map(ipaddress.ip_address, addresses):
        assert any(address in network for network in DOCUMENTATION_AND_BENCHMARK_NETWORKS)
        assert str(address).rsplit(".", 1)[1] not in {"0", "255"}


def test_the_last_server_the_catalogue_allows_still_gets_a_valid_address():
    ipaddress.IPv4Address(catalog.main_ip(catalog.MAX_SERVERS))
    with pytest.raises(ValueError, match="seeds servers"):
        catalog.server_values(catalog.MAX_SERVERS + 1)


def test_seeded_servers_run_ubuntu_or_debian_templates_the_os_list_offers():
    oses = {catalog.server_values(n)["os"] for n in range(1, 50)}

    assert oses <= catalog.OS_CODES
    assert all(code.startswith(("ubuntu-", "debian-")) for code in oses)
