"""Builders for servers tests: provider accounts and provider listings (Time4VPS details, as the
Time4VPS adapter hands them to the write phase)."""

from __future__ import annotations

from dataclasses import replace
from itertools import count

from apps.integrations.providers import ProviderServer
from apps.integrations.providers.time4vps import ActiveTask, ServerDetails
from apps.integrations.providers.time4vps.adapter import provider_server
from apps.servers.choices import ProviderKind
from apps.servers.models import ProviderAccount

_names = count(1)


def provider_account(**overrides) -> ProviderAccount:
    values = {
        "name": f"account-{next(_names)}",
        "kind": ProviderKind.TIME4VPS,
        "base_url": "http://127.0.0.1:9/api",
        "username": "ops@example.com",
        "password": "provider-password",
    }
    values.update(overrides)
    return ProviderAccount.objects.create(**values)


def details(server_id: int, **overrides) -> ProviderServer:
    base = ServerDetails(
        server_id=server_id,
        domain=f"web{server_id}.example.com",
        label=f"web {server_id}",
        status="Active",
        cpu_mhz=2400,
        cpu_cores=2,
        ram_mb=4096,
        ram_used_mb=800,
        disk_mb=81920,
        disk_used_mb=10240,
        bandwidth_mb=8000000,
        os="ubuntu-22.04-x86_64",
        ip=f"198.51.100.{server_id % 250 + 1}",
        additional_ips=(),
        active_task=None,
        last_tasks=(),
        synch_date=None,
    )
    return provider_server(replace(base, **overrides))


def listing(ids) -> list[ProviderServer]:
    return [details(server_id) for server_id in ids]


def busy(server_id: int) -> ProviderServer:
    return details(server_id, active_task=ActiveTask(name="server_reboot", activated=None))
