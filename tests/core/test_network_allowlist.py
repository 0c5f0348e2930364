"""METRICS_ALLOWED_NETWORKS is read by one parser: the production guard, the system check and
/metrics admit and refuse the same entries."""

import ipaddress

import pytest

from apps.core.networks import parse_networks, read_networks
from config import environment


def test_entries_with_spaces_are_networks_for_the_guard_and_the_check_alike():
    entries = ["10.0.0.0/8", " 192.0.2.7"]

    assert environment.metrics_access_problems(token="", allowed_networks=entries) == []
    assert parse_networks(entries) == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("192.0.2.7/32"))


def test_a_bad_entry_is_named_by_the_guard_and_the_check_alike():
    entries = ["10.0.0.0/8", "not-a-network"]

    assert environment.metrics_access_problems(token="", allowed_networks=entries) == [
        "METRICS_ALLOWED_NETWORKS entry 'not-a-network' is not an address or a network"
    ]
    with pytest.raises(ValueError, match="'not-a-network'"):
        parse_networks(entries)


def test_an_allowlist_is_parsed_once_per_process():
    entries = ("198.51.100.0/24", "2001:db8::/48")

    assert read_networks(entries) is read_networks(tuple(entries))
