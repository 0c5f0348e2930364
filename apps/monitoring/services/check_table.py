"""The health check table: what runs on a server, how its output is read, how it is judged.

One entry per check. A check of a server runs the commands of all entries in one SSH session
(services/checks.py), reads each output with its entry's parse, keeps the values as the check's
figures and asks the entry's judge whether they are a problem. The kinds one entry's judge
raises are one incident family: a warning that turns critical escalates the same incident, and
any reading of the entry counts towards resolving it. Adding a check is one entry and its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from apps.integrations.ssh import (
    HEALTH_COMMANDS,
    CommandOutput,
    DiskUsage,
    MemoryInfo,
    parse_df,
    parse_loadavg,
    parse_meminfo,
)
from apps.monitoring.choices import IncidentKind, Severity
from apps.monitoring.services.problems import Problem


@dataclass(frozen=True)
class Target:
    """What one check needs, as plain values (no model instance crosses into a thread)."""

    server_id: int
    local: bool
    host: str
    port: int
    username: str
    private_key: str | None
    pinned_host_key: str | None
    mounts: tuple[str, ...]
    docker: bool


@dataclass(frozen=True)
class CheckSpec:
    """One row of the table."""

    # Its command's output and its figures are kept under this name.
    name: str
    # The command line run on the server; None: this check does not apply to the server.
    command: Callable[[Target], str | None]
    # Output to values; raises CheckOutputError (a ValueError) when it cannot read them.
    parse: Callable[[CommandOutput], Any]
    # Values to a problem, or None when they are fine; an entry without a judge only records figures.
    judge: Callable[[Any], Problem | None] | None = None
    # The incident family of the kinds its judge raises.
    family: str = ""
    kinds: tuple[IncidentKind, ...] = ()
    # Unreadable output fails the whole check (outcome error) instead of being recorded as unreadable.
    required: bool = False


def _command(name: str) -> Callable[[Target], str | None]:
    """The integration's own command line of `name` (it owns the command text and its quoting)."""
    return lambda target: HEALTH_COMMANDS(list(target.mounts), target.docker).get(name)


def _judge_disk(disks: dict[str, DiskUsage]) -> Problem | None:
    worst = max(disks.items(), key=lambda item: item[1].used_percent, default=None)
    if worst is None:
        return None
    mount, usage = worst
    message = f"{mount} is {usage.used_percent}% full"
    if usage.used_percent >= settings.DISK_CRITICAL_PERCENT:
        return Problem(IncidentKind.DISK_CRITICAL, Severity.CRITICAL, message)
    if usage.used_percent >= settings.DISK_WARNING_PERCENT:
        return Problem(IncidentKind.DISK_WARNING, Severity.WARNING, message)
    return None


def _judge_memory(memory: MemoryInfo) -> Problem | None:
    # Memory that is not available (MemAvailable: free plus what the kernel can reclaim at once),
    # not memory that is not free: a busy page cache is not pressure.
    used = memory.used_percent
    message = (
        f"{used}% of memory is in use ({memory.available_kb // 1024} MiB available of {memory.total_kb // 1024} MiB)"
    )
    if used >= settings.MEMORY_CRITICAL_PERCENT:
        return Problem(IncidentKind.MEMORY_CRITICAL, Severity.CRITICAL, message)
    if used >= settings.MEMORY_WARNING_PERCENT:
        return Problem(IncidentKind.MEMORY_WARNING, Severity.WARNING, message)
    return None


def _judge_docker(docker: dict[str, bool]) -> Problem | None:
    if docker["running"]:
        return None
    return Problem(IncidentKind.DOCKER_DOWN, Severity.CRITICAL, "the Docker daemon is not running")


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        name="disk",
        command=_command("disk"),
        parse=lambda output: parse_df(output.stdout),
        judge=_judge_disk,
        family="disk",
        kinds=(IncidentKind.DISK_WARNING, IncidentKind.DISK_CRITICAL),
        required=True,
    ),
    CheckSpec(name="load", command=_command("load"), parse=lambda output: parse_loadavg(output.stdout)),
    CheckSpec(
        name="memory",
        command=_command("memory"),
        parse=lambda output: parse_meminfo(output.stdout),
        judge=_judge_memory,
        family="memory",
        kinds=(IncidentKind.MEMORY_WARNING, IncidentKind.MEMORY_CRITICAL),
    ),
    CheckSpec(
        name="docker",
        command=_command("docker"),  # only on servers expected to run Docker
        parse=lambda output: {"running": output.exit_status == 0},
        judge=_judge_docker,
        family="docker",
        kinds=(IncidentKind.DOCKER_DOWN,),
    ),
)

# Kind -> family, for incidents_apply: kinds of one family share one incident.
INCIDENT_FAMILIES: dict[str, str] = {kind: spec.family for spec in CHECKS for kind in spec.kinds}
