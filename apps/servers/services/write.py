"""The write phase of a server sync: turn one complete provider listing into rows.

Queries are constant per batch, whatever the number of servers: one read of the account's
rows, one INSERT ... ON CONFLICT DO UPDATE per batch of new or changed servers, and one UPDATE
per batch of removed or returning servers. Operator-managed fields are never written here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F

from apps.core.batching import batches
from apps.integrations.providers import ProviderServer
from apps.integrations.providers.registry import adapter_class
from apps.servers.choices import Connection, Lifecycle, ProviderStatus
from apps.servers.models import ProviderAccount, Server
from apps.syncs.listings import WriteCounts, listing_diff

BATCH_SIZE = 1000
# Providers allow up to 255 characters per label key and value; more labels than this is not an inventory.
MAX_LABELS = 64
MAX_LABEL_LENGTH = 255
# The fields a sync owns. Everything else on Server belongs to operators or the platform.
PROVIDER_FIELDS = (
    "hostname",
    "label",
    "ip",
    "additional_ips",
    "provider_status",
    "provider_status_text",
    "os",
    "cpu_cores",
    "cpu_mhz",
    "ram_mb",
    "disk_mb",
    "bandwidth_mb",
    "busy",
    "active_task",
    "location",
    "provider_labels",
)


class InvalidProviderData(ValueError):
    """The listing holds a value the inventory cannot store; the sync must change nothing."""


def _ip(value: str | None, *, server_id: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise InvalidProviderData(f"server {server_id}: '{value}' is not an IP address") from None


def _labels(labels, *, server_id: str) -> dict[str, str]:
    if len(labels) > MAX_LABELS:
        raise InvalidProviderData(f"server {server_id}: more than {MAX_LABELS} labels")
    return {str(key)[:MAX_LABEL_LENGTH]: str(value)[:MAX_LABEL_LENGTH] for key, value in sorted(labels.items())}


def provider_values(server: ProviderServer) -> dict[str, Any]:
    """The provider-owned fields of a Server, from one server as its adapter describes it."""
    server_id = server.provider_id
    return {
        "hostname": (server.hostname or "")[:255],
        "label": (server.label or "")[:255],
        "ip": _ip(server.ip, server_id=server_id),
        "additional_ips": [_ip(ip, server_id=server_id) for ip in server.additional_ips],
        "provider_status": ProviderStatus.from_provider(server.status),
        "provider_status_text": (server.status_text or "")[:64],
        "os": (server.os or "")[:128],
        "cpu_cores": server.cpu_cores,
        "cpu_mhz": server.cpu_mhz,
        "ram_mb": server.ram_mb,
        "disk_mb": server.disk_mb,
        "bandwidth_mb": server.bandwidth_mb,
        "busy": bool(server.busy_with),
        "active_task": (server.busy_with or "")[:64],
        "location": (server.location or "")[:64],
        "provider_labels": _labels(server.labels, server_id=server_id),
    }


def servers_write(*, account: ProviderAccount, listing: Sequence[ProviderServer], now: datetime) -> WriteCounts:
    """Make the account's Server rows match a complete, successful listing.

    New servers are `discovered`; servers no longer listed are marked `removed` (never
    deleted); a removed server that is listed again gets back the lifecycle it had. Must be
    called with the whole listing only: a partial one would mark the missing servers removed.
    """
    # Map first: a value we cannot store fails the sync before anything is written.
    incoming = {server.provider_id: provider_values(server) for server in listing}
    # A development stand-in's servers are this machine: they are reached locally, not over SSH.
    connection = Connection.LOCAL if adapter_class(account.kind).development_only else Connection.SSH
    with transaction.atomic():
        existing = Server.objects.filter(provider_account=account).values_list(
            "id", "provider_id", "lifecycle", *PROVIDER_FIELDS
        )
        diff = listing_diff(
            rows=(
                (pk, key, lifecycle == Lifecycle.REMOVED, current)
                for pk, key, lifecycle, *current in existing.iterator(chunk_size=BATCH_SIZE)
            ),
            incoming=incoming,
            fields=PROVIDER_FIELDS,
        )
        upserts = [
            Server(provider_account=account, provider_id=key, last_seen_at=now, **incoming[key]) for key in diff.changed
        ] + [
            Server(
                provider_account=account,
                provider_id=key,
                connection=connection,
                lifecycle=Lifecycle.DISCOVERED,
                last_seen_at=now,
                **incoming[key],
            )
            for key in diff.new
        ]
        returning, vanished = diff.returning, diff.vanished
        for batch in batches(upserts, BATCH_SIZE):
            Server.objects.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["provider_account", "provider_id"],
                update_fields=[*PROVIDER_FIELDS, "last_seen_at", "updated_at"],
            )
        for batch in batches(returning, BATCH_SIZE):
            # Back to what it was before it vanished (discovered if that is unknown).
            Server.objects.filter(pk__in=batch, lifecycle_before_removal="").update(
                lifecycle=Lifecycle.DISCOVERED, last_seen_at=now, updated_at=now
            )
            Server.objects.filter(pk__in=batch).exclude(lifecycle_before_removal="").update(
                lifecycle=F("lifecycle_before_removal"), lifecycle_before_removal="", last_seen_at=now, updated_at=now
            )
        previous_success = account.last_successful_sync_at
        for batch in batches(vanished, BATCH_SIZE):
            # SQL evaluates every right-hand side against the row as it was, so the old
            # lifecycle is saved before it is overwritten.
            Server.objects.filter(pk__in=batch).update(
                lifecycle_before_removal=F("lifecycle"),
                lifecycle=Lifecycle.REMOVED,
                last_seen_at=previous_success,
                updated_at=now,
            )
    return diff.counts
