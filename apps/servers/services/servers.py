"""Operators' changes to a server: only the fields that sync never writes."""

from __future__ import annotations

from typing import Any

import structlog
from django.utils import timezone

from apps.core.exceptions import ValidationError
from apps.servers.models import Server
from apps.servers.validators import label_problems

log = structlog.get_logger(__name__)

OPERATOR_FIELDS = ("connection", "ssh_host", "ssh_port", "ssh_user", "notes", "labels")


def server_update(*, server: Server, data: dict[str, Any]) -> Server:
    """Set the operator-managed fields in `data` (others are ignored). `labels` replaces the
    server's whole set of operator labels; they are checked here too, for callers without a
    serializer, and stored sorted by key."""
    changed = [field for field in OPERATOR_FIELDS if field in data]
    if "labels" in data:
        problems = label_problems(data["labels"])
        if problems:
            raise ValidationError({"labels": problems})
        data = {**data, "labels": dict(sorted(data["labels"].items()))}
    for field in changed:
        setattr(server, field, data[field])
    server.save(update_fields=[*changed, "updated_at"])
    log.info("server_updated", server_id=server.pk, fields=changed)
    return server


def server_provider_task_finished(*, server_id: int, task_name: str) -> bool:
    """The provider's `task_name` on the server was seen complete (provisioning follows its own
    tasks between two syncs): the server is no longer busy with it. Only that task is cleared; a
    different task the last sync saw stays until the next sync. Returns whether the row changed."""
    changed = Server.objects.filter(pk=server_id, busy=True, active_task=task_name).update(
        busy=False, active_task="", updated_at=timezone.now()
    )
    if changed:
        log.info("server_provider_task_finished", server_id=server_id, task=task_name)
    return bool(changed)
