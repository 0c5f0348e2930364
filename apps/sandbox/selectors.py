"""Reads of the sandbox provider, shaped exactly as the Time4VPS API answers them.

Formats: `date_created` "YYYY-MM-DD", `synch_date` "YYYY-MM-DD HH:MM:SS" (UTC), task times
ISO 8601 with "+00:00"; sizes in MB, CPU frequency in MHz.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from apps.core.exceptions import NotFoundError
from apps.sandbox import catalog
from apps.sandbox.models import SandboxServer, SandboxTask

LAST_TASKS_LIMIT = 10
INVALID_TASK_ID = "Invalid task ID"
BRIEF_FIELDS = ("server_id", "domain", "ip", "date_created", "synch_date", "label")
MAX_SERVER_ID = 2**31 - 1  # the column's range; a larger id in a URL is simply unknown
MAX_TASK_ID = 2**63 - 1


def _synch_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).replace(microsecond=0).isoformat() if value else ""


def sandbox_server_get(*, server_id: int) -> SandboxServer:
    """The server with its active task (one query). Raises NotFoundError for an unknown id."""
    server = None
    if 0 < server_id <= MAX_SERVER_ID:
        server = SandboxServer.objects.select_related("active_task").filter(server_id=server_id).first()
    if server is None:
        raise NotFoundError(f"Server {server_id} not found")
    return server


def sandbox_server_list() -> list[dict[str, Any]]:
    """GET /server: one brief entry per active server, in one query."""
    rows = (
        SandboxServer.objects.filter(status=SandboxServer.Status.ACTIVE)
        .order_by("server_id")
        .values_list(*BRIEF_FIELDS)
    )
    return [
        {
            "server_id": server_id,
            "domain": domain,
            "ip": ip,
            "date_created": date_created.isoformat(),
            "synch_date": _synch_date(synch_date),
            "label": label,
            "type": "vps",
        }
        for server_id, domain, ip, date_created, synch_date, label in rows
    ]


def sandbox_task_as_dict(task: SandboxTask) -> dict[str, Any]:
    """A task as GET /server/{id}/task/{task_id} answers it: times and results empty until done."""
    done = task.completed is not None
    return {
        "name": task.name,
        "activated": _iso(task.activated),
        "assigned": _iso(task.assigned) if done else "",
        "completed": _iso(task.completed) if done else "",
        "results": task.results if done else "",
    }


def sandbox_server_details(server: SandboxServer) -> dict[str, Any]:
    """GET /server/{id} for a server loaded with its active task (one more query: last tasks)."""
    active = server.active_task
    last_tasks = SandboxTask.objects.filter(server=server).order_by("-task_id")[:LAST_TASKS_LIMIT]
    return {
        "synch_date": _synch_date(server.synch_date),
        "package_id": server.package_id,
        "domain": server.domain,
        "label": server.label,
        "status": server.status,
        "cpu_frequency": server.cpu_frequency,
        "cpu_cores": server.cpu_cores,
        "ram_limit": server.ram_limit,
        "ram_used": server.ram_used,
        "disk_limit": server.disk_limit,
        "disk_usage": server.disk_usage,
        "bw_limit": server.bw_limit,
        "bw_in": server.bw_in,
        "bw_out": server.bw_out,
        "os": server.os,
        "ip": server.ip,
        "additional_ip": list(server.additional_ips),
        "dns_servers": list(catalog.DNS_SERVERS),
        "components": [dict(component) for component in catalog.COMPONENTS],
        "active_task": {"name": active.name, "activated": _iso(active.activated)} if active else None,
        "last_tasks": [{"task_id": task.task_id, **sandbox_task_as_dict(task)} for task in last_tasks],
    }


def sandbox_os_list() -> list[dict[str, str]]:
    """GET /server/{id}/oses: the templates a reinstall accepts."""
    return [{"os": code, "title": title} for code, title in catalog.OS_TEMPLATES]


def sandbox_task_get(*, server: SandboxServer, task_ref: str) -> SandboxTask:
    """The server's task by id, or its latest task of that name (as the provider's WHMCS module asks).

    Raises NotFoundError("Invalid task ID") when the server has no such task.
    """
    tasks = SandboxTask.objects.filter(server=server)
    if task_ref.isdigit():
        task_id = int(task_ref)
        if task_id > MAX_TASK_ID:
            raise NotFoundError(INVALID_TASK_ID)
        task = tasks.filter(task_id=task_id).first()
    else:
        task = tasks.filter(name=task_ref).order_by("-task_id").first()
    if task is None:
        raise NotFoundError(INVALID_TASK_ID)
    return task
