"""Operators' changes to a server: only the fields that sync never writes."""

from __future__ import annotations

from typing import Any

import structlog

from apps.servers.models import Server

log = structlog.get_logger(__name__)

OPERATOR_FIELDS = ("connection", "ssh_host", "ssh_port", "ssh_user", "notes")


def server_update(*, server: Server, data: dict[str, Any]) -> Server:
    changed = [field for field in OPERATOR_FIELDS if field in data]
    for field in changed:
        setattr(server, field, data[field])
    server.save(update_fields=[*changed, "updated_at"])
    log.info("server_updated", server_id=server.pk, fields=changed)
    return server
