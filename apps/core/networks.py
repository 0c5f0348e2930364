"""Address allowlists such as METRICS_ALLOWED_NETWORKS, parsed once per process.

The production guard (config/environment.py), the system check and the /metrics view all read
the setting through `read_networks`, so they agree on what it admits and parse it once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def read_networks(entries: tuple[str, ...]) -> tuple[tuple[Network, ...], tuple[str, ...]]:
    """(the networks, the entries that are neither an address nor a network), in the given order.

    Each entry is a CIDR network or a single address; surrounding spaces are ignored.
    """
    networks, invalid = [], []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            invalid.append(entry)
    return tuple(networks), tuple(invalid)


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """The networks of an allowlist; raises ValueError naming the first bad entry."""
    networks, invalid = read_networks(tuple(entries))
    if invalid:
        raise ValueError(f"'{invalid[0]}' is not an address or a network")
    return networks
