"""Writes of the sandbox provider: seeding its fleet, starting tasks, finishing them when due.

Tasks have no worker: a task is finished by whoever reads its server once
SANDBOX_TASK_SECONDS have passed since activation (details, task and action requests do).
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.exceptions import ConflictError, NotFoundError, ValidationError
from apps.sandbox import catalog, selectors
from apps.sandbox.models import SandboxServer, SandboxTask

log = structlog.get_logger(__name__)

PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 16
# A task is picked up ("assigned") shortly after activation: a tenth of its run, at most 5 s.
MAX_ASSIGN_DELAY = timedelta(seconds=5)
SEED_BATCH_SIZE = 500


# --- Fleet --------------------------------------------------------------------------------
def sandbox_servers_ensure(*, count: int) -> int:
    """Make sure the sandbox has servers 1..count; return how many this call inserted.

    Idempotent and safe when several requests seed at once: every row is derived from its
    number alone and inserted with ignore_conflicts on the unique server_id (under such a race
    two calls may both count the same rows). Servers beyond `count` are kept: lowering
    SANDBOX_SERVER_COUNT never deletes a server.
    """
    if count <= 0:
        return 0
    if count > catalog.MAX_SERVERS:
        raise ValueError(f"the sandbox seeds at most {catalog.MAX_SERVERS} servers, not {count}")
    wanted = (catalog.server_id_for(1), catalog.server_id_for(count))
    in_range = SandboxServer.objects.filter(server_id__range=wanted)
    if in_range.count() >= count:
        return 0
    existing = set(in_range.values_list("server_id", flat=True))
    now = timezone.now()
    missing = [
        SandboxServer(synch_date=now, **catalog.server_values(n))
        for n in range(1, count + 1)
        if catalog.server_id_for(n) not in existing
    ]
    SandboxServer.objects.bulk_create(missing, batch_size=SEED_BATCH_SIZE, ignore_conflicts=True)
    log.info("sandbox.servers_seeded", added=len(missing), count=count)
    return len(missing)


def sandbox_servers_ensure_configured() -> int:
    """Seed up to SANDBOX_SERVER_COUNT: what every sandbox request does first."""
    return sandbox_servers_ensure(count=settings.SANDBOX_SERVER_COUNT)


# --- Task progression ---------------------------------------------------------------------
def _new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def _task_duration() -> timedelta:
    return timedelta(seconds=max(float(settings.SANDBOX_TASK_SECONDS), 0.0))


def _finish_active_task_if_due(server: SandboxServer, *, now: datetime) -> None:
    """Complete the server's active task when its time has come, and free the server.

    Conditional updates make concurrent readers agree: only one of them completes the task
    (and so only one password is ever generated), and the server is freed once.
    """
    task = server.active_task
    if task is None:
        return
    if task.completed is None:
        duration = _task_duration()
        due = task.activated + duration
        if now < due:
            return
        assigned = task.activated + min(MAX_ASSIGN_DELAY, duration / 10)
        results = ""
        if task.name in (SandboxTask.Name.RESET_PASSWORD, SandboxTask.Name.RECREATE):
            results = f"Password: {_new_password()}"
        finished = SandboxTask.objects.filter(pk=task.pk, completed__isnull=True).update(
            assigned=assigned, completed=due, results=results
        )
        if finished:
            task.assigned, task.completed, task.results = assigned, due, results
            log.info("sandbox.task_completed", server_id=server.server_id, task_id=task.task_id, task=task.name)
        else:
            task.refresh_from_db()
    changes: dict[str, Any] = {"active_task": None, "synch_date": task.completed}
    if task.name == SandboxTask.Name.RECREATE and task.os:
        changes.update(os=task.os, disk_usage=catalog.FRESH_INSTALL_DISK_USAGE)
    SandboxServer.objects.filter(pk=server.pk, active_task=task).update(**changes)
    for field, value in changes.items():
        setattr(server, field, value)


def _server_for_update(server_id: int) -> SandboxServer:
    server = None
    if 0 < server_id <= selectors.MAX_SERVER_ID:
        server = (
            SandboxServer.objects.select_for_update(of=("self",))
            .select_related("active_task")
            .filter(server_id=server_id)
            .first()
        )
    if server is None:
        raise NotFoundError(f"Server {server_id} not found")
    return server


def sandbox_server_settle(*, server_id: int, now: datetime | None = None) -> SandboxServer:
    """The server with its active task, after finishing that task if it is due.

    Raises NotFoundError for an unknown server.
    """
    server = selectors.sandbox_server_get(server_id=server_id)
    # No transaction: each of the two conditional updates stands alone, and a reader that finds
    # the task completed but the server still busy frees the server.
    _finish_active_task_if_due(server, now=now or timezone.now())
    return server


# --- Actions ------------------------------------------------------------------------------
@transaction.atomic
def _task_start(*, server_id: int, name: str, os: str = "") -> SandboxTask:
    now = timezone.now()
    server = _server_for_update(server_id)
    _finish_active_task_if_due(server, now=now)
    if server.active_task_id is not None:
        raise ConflictError("Server is busy: another task is in progress")
    task = SandboxTask.objects.create(server=server, name=name, os=os, activated=now)
    server.active_task = task
    server.save(update_fields=["active_task"])
    log.info("sandbox.task_started", server_id=server_id, task_id=task.task_id, task=name)
    return task


def sandbox_server_reboot(*, server_id: int) -> SandboxTask:
    return _task_start(server_id=server_id, name=SandboxTask.Name.REBOOT)


def sandbox_server_reset_password(*, server_id: int) -> SandboxTask:
    return _task_start(server_id=server_id, name=SandboxTask.Name.RESET_PASSWORD)


def sandbox_server_reinstall(*, server_id: int, os: Any, ssh_key: Any = None, script: Any = None) -> SandboxTask:
    """Start a reinstall with OS template `os`; `ssh_key` and `script` are checked, then ignored.

    Raises ValidationError for a missing or unknown template or a malformed option, and
    NotFoundError / ConflictError for an unknown or busy server.
    """
    selectors.sandbox_server_get(server_id=server_id)  # an unknown server is a 404 before any 400
    if os is None or os == "":
        raise ValidationError("Missing required parameter: os")
    if not isinstance(os, str) or os not in catalog.OS_CODES:
        raise ValidationError("Invalid OS template: choose one from /server/{id}/oses")
    if ssh_key is not None and not isinstance(ssh_key, str):
        raise ValidationError("Invalid ssh_key: expected a public key string")
    if script is not None and script != "" and not _is_script_id(script):
        raise ValidationError("Invalid script: expected an init script ID")
    return _task_start(server_id=server_id, name=SandboxTask.Name.RECREATE, os=os)


def _is_script_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and value.isdigit()
