"""The Hetzner Cloud sync's figures: 1,000 servers in 20 pages of 50 from the fake Hetzner Cloud
API over loopback HTTP, the listing against a bare client's floor and the write phase against a
plain upsert's floor (the same floor as the Time4VPS write phase in run.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests
from django.utils import timezone

from tests.fakes.hetzner_cloud import FakeHetznerCloud


def bench_hetzner_sync(report: Callable[..., None], count: int = 1000) -> None:
    from apps.core.choices import SyncStatus
    from apps.servers.models import Server
    from apps.servers.provider import provider_for
    from apps.servers.services import provider_account_create, server_sync_now, servers_write
    from apps.servers.services.write import BATCH_SIZE, PROVIDER_FIELDS, provider_values

    with FakeHetznerCloud(server_count=count) as fake:
        account = provider_account_create(
            data={"name": "bench-hetzner", "kind": "hetzner", "api_token": fake.token, "base_url": fake.base_url}
        )

        def bare_pages() -> None:  # the floor: the same 20 requests, JSON decoded, nothing else
            with requests.Session() as session:
                session.headers["Authorization"] = f"Bearer {fake.token}"
                for page in range(1, count // 50 + 1):
                    session.get(f"{fake.base_url}/servers", params={"page": page, "per_page": 50}, timeout=10).json()

        started = time.perf_counter()
        bare_pages()
        floor = time.perf_counter() - started
        started = time.perf_counter()
        with provider_for(account) as provider:
            listing = provider.list_servers()
        report(f"server_sync_hetzner_listing_{count}", time.perf_counter() - started, "s", floor=floor)

        floor_account = provider_account_create(
            data={
                "name": "bench-hetzner-floor",
                "kind": "hetzner",
                "api_token": "floor-token",
                "base_url": fake.base_url,
            }
        )
        now = timezone.now()
        rows = [
            Server(
                provider_account=floor_account, provider_id=item.provider_id, last_seen_at=now, **provider_values(item)
            )
            for item in listing
        ]
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH_SIZE):
            Server.objects.bulk_create(
                rows[start : start + BATCH_SIZE],
                update_conflicts=True,
                unique_fields=["provider_account", "provider_id"],
                update_fields=[*PROVIDER_FIELDS, "last_seen_at", "updated_at"],
            )
        floor = time.perf_counter() - started
        started = time.perf_counter()
        servers_write(account=account, listing=listing, now=now)
        report(f"server_sync_hetzner_write_{count}", time.perf_counter() - started, "s", floor=floor)

        fake.set_server_count(count)  # the same servers again, for a whole sync of a fresh account
        Server.objects.filter(provider_account=account).delete()
        started = time.perf_counter()
        run = server_sync_now(account=account)
        seconds = time.perf_counter() - started
    if run.status != SyncStatus.SUCCEEDED or run.created != count:
        raise RuntimeError(f"the Hetzner sync did not succeed: {run.status} {run.error}")
    report(f"server_sync_hetzner_http_{count}", seconds, "s")
