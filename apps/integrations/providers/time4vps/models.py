"""What the client returns: frozen dataclasses, parsed and checked from the provider's JSON.

The parsers (built on apps.integrations.common.parsing) raise `ResponseShapeError` naming the
field that was wrong (never its value); the client turns it into `InvalidResponseError` with
the method, path and status added.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from apps.integrations.common import parsing
from apps.integrations.common.parsing import (
    ResponseShapeError,
    expect_list,
    expect_object,
    optional_str,
    required_int,
    required_str,
    type_name,
)

# The provider's own WHMCS module reads the new password from a task's results this way.
PASSWORD_PATTERN = re.compile(r"Password:\s(.*)\s?")


@dataclass(frozen=True)
class ServerBrief:
    """One entry of `GET /server`."""

    server_id: int
    domain: str
    ip: str | None
    label: str
    date_created: date | None
    synch_date: datetime | None
    type: str


@dataclass(frozen=True)
class ActiveTask:
    """The task a server is busy with (`active_task` of the details)."""

    name: str
    activated: datetime | None


@dataclass(frozen=True)
class TaskBrief:
    """One entry of `last_tasks` of the details (results are left out: they may hold a password)."""

    name: str
    activated: datetime | None
    completed: datetime | None


@dataclass(frozen=True)
class ServerDetails:
    """`GET /server/{id}`. CPU in MHz; RAM, disk and bandwidth in MB."""

    server_id: int
    domain: str
    label: str
    status: str
    cpu_mhz: int | None
    cpu_cores: int | None
    ram_mb: int | None
    ram_used_mb: int | None
    disk_mb: int | None
    disk_used_mb: int | None
    bandwidth_mb: int | None
    os: str
    ip: str | None
    additional_ips: tuple[str, ...]
    active_task: ActiveTask | None
    last_tasks: tuple[TaskBrief, ...]
    synch_date: datetime | None


@dataclass(frozen=True)
class OsTemplate:
    """One entry of `GET /server/{id}/oses`."""

    os: str
    title: str


@dataclass(frozen=True)
class ProviderTask:
    """`GET /server/{id}/task/{task_id}`. `results` may hold a new root password: not in repr."""

    task_id: int
    name: str
    activated: datetime | None
    assigned: datetime | None
    completed: datetime | None
    results: str = field(repr=False)

    @property
    def done(self) -> bool:
        """The provider reports `completed` as an empty string until the task has finished."""
        return self.completed is not None

    def password(self) -> str | None:
        """The password a finished reinstall or password reset put in its results, if any."""
        match = PASSWORD_PATTERN.search(self.results)
        if not match:
            return None
        value = match.group(1).rstrip("\r")
        return value or None


# --- field parsers (the shared ones are in apps.integrations.common.parsing) -----------------

# A required identifier: a JSON integer and nothing else (unlike lenient_int).
strict_int = required_int


def lenient_int(data: Mapping[str, Any], name: str, where: str) -> int | None:
    """An optional quantity: an integer, an integral float or a string of digits; null/missing is None."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ResponseShapeError(f"{where}: field '{name}' must be a number, got bool")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value.strip())
    raise ResponseShapeError(f"{where}: field '{name}' must be a whole number, got {type_name(value)}")


def optional_ip(data: Mapping[str, Any], name: str, where: str) -> str | None:
    value = optional_str(data, name, where).strip()
    return value or None


def parse_datetime(value: Any, name: str, where: str) -> datetime | None:
    """`2026-11-20 10:00:00` (read as UTC) or ISO 8601 with an offset, as an aware UTC datetime.

    Null, an empty string (a task not done yet) and MySQL's zero date mean "none".
    """
    return parsing.parse_datetime(value, name, where, prepare=_unless_zero_date)


def _unless_zero_date(value: str) -> str | None:
    text = value.strip()
    if not text or text.startswith("0000-00-00"):
        return None
    return text


def parse_date(value: Any, name: str, where: str) -> date | None:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        if value.strip() == "0000-00-00":
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ResponseShapeError(f"{where}: field '{name}' is not a date") from None
    parsed = parse_datetime(value, name, where)
    return parsed.date() if parsed else None


# --- bodies -----------------------------------------------------------------------------------


def parse_server_list(body: Any) -> list[ServerBrief]:
    servers = []
    for index, item in enumerate(expect_list(body, "the server list")):
        where = f"server list item {index}"
        data = expect_object(item, where)
        servers.append(
            ServerBrief(
                server_id=strict_int(data, "server_id", where),
                domain=required_str(data, "domain", where),
                ip=optional_ip(data, "ip", where),
                label=optional_str(data, "label", where),
                date_created=parse_date(data.get("date_created"), "date_created", where),
                synch_date=parse_datetime(data.get("synch_date"), "synch_date", where),
                type=optional_str(data, "type", where),
            )
        )
    return servers


def _additional_ips(data: Mapping[str, Any], where: str) -> tuple[str, ...]:
    ips = []
    items = expect_list(data.get("additional_ip"), f"{where}: field 'additional_ip'", optional=True)
    for index, item in enumerate(items):
        if isinstance(item, dict):  # tolerate {"ip": "..."} entries as well as plain strings
            item = item.get("ip")
        if not isinstance(item, str):
            raise ResponseShapeError(f"{where}: additional_ip[{index}] must be an IP address string")
        if item.strip():
            ips.append(item.strip())
    return tuple(ips)


def _active_task(value: Any, where: str) -> ActiveTask | None:
    if value is None or value == "" or value == []:
        return None
    data = expect_object(value, f"{where}: field 'active_task'")
    return ActiveTask(
        name=optional_str(data, "name", f"{where} active_task"),
        activated=parse_datetime(data.get("activated"), "activated", f"{where} active_task"),
    )


def _last_tasks(value: Any, where: str) -> tuple[TaskBrief, ...]:
    tasks = []
    for index, item in enumerate(expect_list(value, f"{where}: field 'last_tasks'", optional=True)):
        item_where = f"{where} last_tasks[{index}]"
        data = expect_object(item, item_where)
        tasks.append(
            TaskBrief(
                name=optional_str(data, "name", item_where),
                activated=parse_datetime(data.get("activated"), "activated", item_where),
                completed=parse_datetime(data.get("completed"), "completed", item_where),
            )
        )
    return tuple(tasks)


def parse_server_details(body: Any, server_id: int) -> ServerDetails:
    where = f"server {server_id} details"
    data = expect_object(body, where)
    return ServerDetails(
        server_id=server_id,
        domain=required_str(data, "domain", where),
        label=optional_str(data, "label", where),
        status=required_str(data, "status", where),
        cpu_mhz=lenient_int(data, "cpu_frequency", where),
        cpu_cores=lenient_int(data, "cpu_cores", where),
        ram_mb=lenient_int(data, "ram_limit", where),
        ram_used_mb=lenient_int(data, "ram_used", where),
        disk_mb=lenient_int(data, "disk_limit", where),
        disk_used_mb=lenient_int(data, "disk_usage", where),
        bandwidth_mb=lenient_int(data, "bw_limit", where),
        os=optional_str(data, "os", where),
        ip=optional_ip(data, "ip", where),
        additional_ips=_additional_ips(data, where),
        active_task=_active_task(data.get("active_task"), where),
        last_tasks=_last_tasks(data.get("last_tasks"), where),
        synch_date=parse_datetime(data.get("synch_date"), "synch_date", where),
    )


def parse_os_list(body: Any) -> list[OsTemplate]:
    templates = []
    for index, item in enumerate(expect_list(body, "the OS list")):
        where = f"OS list item {index}"
        data = expect_object(item, where)
        os_code = required_str(data, "os", where)
        templates.append(OsTemplate(os=os_code, title=optional_str(data, "title", where, default=os_code)))
    return templates


def parse_task_id(body: Any) -> int:
    data = expect_object(body, "the action's answer")
    # The official library casts with (int): accept a string of digits too, but nothing else.
    task_id = lenient_int(data, "task_id", "the action's answer")
    if task_id is None:
        raise ResponseShapeError("the action's answer: required field 'task_id' is missing")
    return task_id


def parse_task(body: Any, task_id: int) -> ProviderTask:
    where = f"task {task_id}"
    data = expect_object(body, where)
    results = data.get("results")
    if results is None:
        results = ""
    if not isinstance(results, str):
        raise ResponseShapeError(f"{where}: field 'results' must be a string, got {type_name(results)}")
    return ProviderTask(
        task_id=task_id,
        name=required_str(data, "name", where),
        activated=parse_datetime(data.get("activated"), "activated", where),
        assigned=parse_datetime(data.get("assigned"), "assigned", where),
        completed=parse_datetime(data.get("completed"), "completed", where),
        results=results,
    )
