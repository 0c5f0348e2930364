"""The platform's writes to a server's own state: lifecycle moves, host keys, the root password,
health results. Provisioning and monitoring call these; no other app updates Server rows.

Each lifecycle move names the states it may come from (LIFECYCLE_MOVES): a move from anywhere else
changes nothing and says so (False), so a late writer never undoes a newer state — a server the
provider no longer lists stays `removed` whatever a run still running says about it.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from django.utils import timezone

from apps.servers.choices import Lifecycle, RootPasswordState
from apps.servers.models import Server

log = structlog.get_logger(__name__)

L = Lifecycle
# target -> the lifecycles a server may move to it from. Sync alone moves servers to and from
# `removed` (services/write.py): the provider decides that, not the platform.
LIFECYCLE_MOVES: dict[Lifecycle, frozenset[Lifecycle]] = {
    L.DISCOVERED: frozenset({L.DISCOVERED, L.PENDING_SETUP, L.PROVISIONING}),
    L.PENDING_SETUP: frozenset({L.DISCOVERED, L.PENDING_SETUP, L.READY, L.FAILED}),
    L.PROVISIONING: frozenset({L.DISCOVERED, L.PENDING_SETUP, L.READY, L.FAILED}),
    L.READY: frozenset({L.PENDING_SETUP, L.PROVISIONING, L.READY}),
    L.FAILED: frozenset({L.DISCOVERED, L.PENDING_SETUP, L.PROVISIONING, L.READY, L.FAILED}),
}
# The fields a health check writes (services/checks.py of monitoring sets them, this saves them).
HEALTH_FIELDS = (
    "health_status",
    "last_checked_at",
    "host_key",
    "host_key_fingerprint",
    "offered_host_key",
    "offered_host_key_fingerprint",
)


def server_lifecycle_move(
    *, server_id: int, to: Lifecycle, reason: str | None = "", only_from: Iterable[Lifecycle] | None = None
) -> bool:
    """Move the server to `to` with `reason` (blank: all is well; None: the reason stays) if its
    lifecycle allows it, and `only_from` further narrows where from. Returns whether it moved."""
    allowed = LIFECYCLE_MOVES[to] if only_from is None else LIFECYCLE_MOVES[to] & frozenset(only_from)
    changes = {"lifecycle": to, "updated_at": timezone.now()}
    if reason is not None:
        changes["lifecycle_reason"] = reason
    moved = Server.objects.filter(pk=server_id, lifecycle__in=allowed).update(**changes)
    if moved:
        log.info("server_lifecycle_moved", server_id=server_id, lifecycle=to)
    return bool(moved)


def server_lifecycle_reason_set(*, server_id: int, reason: str) -> None:
    """Say what the platform last found (a playbook run failed, say) without changing the lifecycle."""
    Server.objects.filter(pk=server_id).exclude(lifecycle=Lifecycle.REMOVED).update(
        lifecycle_reason=reason, updated_at=timezone.now()
    )


def server_host_key_pin(*, server_id: int, host_key: str, fingerprint: str) -> None:
    """Pin the key the server presented (after a reinstall); any key offered before is forgotten."""
    Server.objects.filter(pk=server_id).update(
        host_key=host_key,
        host_key_fingerprint=fingerprint,
        offered_host_key="",
        offered_host_key_fingerprint="",
        updated_at=timezone.now(),
    )


def server_offered_host_key_accept(*, server: Server) -> str:
    """Pin the key the server offered in place of the pinned one; returns the previous fingerprint."""
    previous = server.host_key_fingerprint
    server.host_key, server.host_key_fingerprint = server.offered_host_key, server.offered_host_key_fingerprint
    server.offered_host_key, server.offered_host_key_fingerprint = "", ""
    server.save(update_fields=[*HEALTH_FIELDS[2:], "updated_at"])
    return previous


def servers_health_record(servers: Iterable[Server]) -> None:
    """Save what health checks found (HEALTH_FIELDS) on the given rows, in one query per batch."""
    Server.objects.bulk_update(list(servers), HEALTH_FIELDS, batch_size=1000)


def server_root_password_store(*, server_id: int, password: str) -> None:
    """Keep the root password the provider handed out (encrypted at rest: saved through the field)."""
    server = Server.objects.get(pk=server_id)
    server.root_password = password
    server.root_password_state = RootPasswordState.CURRENT
    server.save(update_fields=["root_password", "root_password_state", "updated_at"])


def server_root_password_forget(*, server_id: int) -> None:
    """The provider replaced the root password without telling the new one: the stored one is
    dropped and marked unknown (never shown as current) until a reset hands out a new one."""
    server = Server.objects.get(pk=server_id)
    server.root_password = ""
    server.root_password_state = RootPasswordState.UNKNOWN
    server.save(update_fields=["root_password", "root_password_state", "updated_at"])
