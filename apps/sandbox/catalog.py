"""The sandbox's fixed catalogue: OS templates, packages and the deterministic fleet it seeds.

Server n (1, 2, 3, ...) always gets the same id, name, addresses and specs, so any number of
processes seeding at once write identical rows and a unique constraint settles the race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

SERVER_ID_BASE = 51000
DOMAIN_SUFFIX = "fleet.test"

# (os, title) as GET /server/{id}/oses answers them.
OS_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("ubuntu-24.04-x86_64", "Ubuntu 24.04"),
    ("ubuntu-22.04-x86_64", "Ubuntu 22.04"),
    ("ubuntu-20.04-x86_64", "Ubuntu 20.04"),
    ("debian-12-x86_64", "Debian 12"),
    ("debian-11-x86_64", "Debian 11"),
)
OS_CODES = frozenset(code for code, _ in OS_TEMPLATES)
# Templates the seeded servers run, in turn.
SEED_OSES = (
    "ubuntu-22.04-x86_64",
    "ubuntu-24.04-x86_64",
    "debian-12-x86_64",
    "ubuntu-22.04-x86_64",
    "debian-11-x86_64",
)
DNS_SERVERS = ("1.1.1.1", "8.8.8.8")
COMPONENTS = ({"id": 1, "name": "Backups", "selected": True},)
# Disk a freshly installed template uses (MB): a reinstall wipes the data.
FRESH_INSTALL_DISK_USAGE = 1536


@dataclass(frozen=True)
class Package:
    package_id: int
    cpu_cores: int
    cpu_frequency: int  # MHz per core
    ram_limit: int  # MB
    disk_limit: int  # MB
    bw_limit: int  # MB per month


PACKAGES = (
    Package(package_id=302, cpu_cores=2, cpu_frequency=2400, ram_limit=4096, disk_limit=81920, bw_limit=8_000_000),
    Package(package_id=301, cpu_cores=1, cpu_frequency=2400, ram_limit=2048, disk_limit=40960, bw_limit=4_000_000),
    Package(package_id=303, cpu_cores=4, cpu_frequency=2600, ram_limit=8192, disk_limit=163840, bw_limit=16_000_000),
    Package(package_id=302, cpu_cores=2, cpu_frequency=2400, ram_limit=4096, disk_limit=81920, bw_limit=8_000_000),
    Package(package_id=304, cpu_cores=8, cpu_frequency=2600, ram_limit=16384, disk_limit=327680, bw_limit=32_000_000),
)

# Main addresses: the three documentation networks (RFC 5737), then 198.18.0.0/16 (RFC 2544's
# benchmarking range). Additional addresses come from 198.19.0.0/16, so none collides with a main one.
_HOSTS_PER_24 = 254
_DOCUMENTATION_NETWORKS = ("192.0.2", "198.51.100", "203.0.113")
_MAIN_OVERFLOW_PREFIX = "198.18"
_ADDITIONAL_PREFIX = "198.19"
ADDITIONAL_IP_EVERY = 5  # every fifth server has one additional IPv4 address
MAX_SERVERS = len(_DOCUMENTATION_NETWORKS) * _HOSTS_PER_24 + 256 * _HOSTS_PER_24


def _host_in_16(prefix: str, index: int) -> str:
    """The index-th (0-based) usable address of a /16, skipping each /24's .0 and .255."""
    third, fourth = divmod(index, _HOSTS_PER_24)
    return f"{prefix}.{third}.{fourth + 1}"


def main_ip(n: int) -> str:
    index = n - 1
    networks, host = divmod(index, _HOSTS_PER_24)
    if networks < len(_DOCUMENTATION_NETWORKS):
        return f"{_DOCUMENTATION_NETWORKS[networks]}.{host + 1}"
    return _host_in_16(_MAIN_OVERFLOW_PREFIX, index - len(_DOCUMENTATION_NETWORKS) * _HOSTS_PER_24)


def additional_ips(n: int) -> list[str]:
    if n % ADDITIONAL_IP_EVERY:
        return []
    return [_host_in_16(_ADDITIONAL_PREFIX, n // ADDITIONAL_IP_EVERY - 1)]


def server_id_for(n: int) -> int:
    return SERVER_ID_BASE + n


def server_values(n: int) -> dict[str, object]:
    """Every field of seeded server n (1-based) except synch_date, all derived from n alone."""
    if not 1 <= n <= MAX_SERVERS:
        raise ValueError(f"the sandbox seeds servers 1 to {MAX_SERVERS}, not {n}")
    package = PACKAGES[(n - 1) % len(PACKAGES)]
    return {
        "server_id": server_id_for(n),
        "package_id": package.package_id,
        "domain": f"sandbox-{n:02d}.{DOMAIN_SUFFIX}",
        "label": f"sandbox {n:02d}",
        "ip": main_ip(n),
        "additional_ips": additional_ips(n),
        "os": SEED_OSES[(n - 1) % len(SEED_OSES)],
        "cpu_frequency": package.cpu_frequency,
        "cpu_cores": package.cpu_cores,
        "ram_limit": package.ram_limit,
        "ram_used": package.ram_limit * (15 + (n * 37) % 60) // 100,
        "disk_limit": package.disk_limit,
        "disk_usage": package.disk_limit * (5 + (n * 53) % 70) // 100,
        "bw_limit": package.bw_limit,
        "bw_in": 500 + (n * 7919) % 60_000,
        "bw_out": 800 + (n * 104_729) % 150_000,
        "date_created": date(2023, 1, 16) + timedelta(days=(n * 97) % 1000),
    }
