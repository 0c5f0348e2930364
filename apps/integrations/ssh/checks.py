"""The read-only commands the platform runs on a server, and the parsers of their output.

Pure functions: nothing here connects anywhere. A parser given output it cannot read raises
CheckOutputError (a ValueError) saying what was wrong.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

DOCKER_VERSION_COMMAND = "docker info --format '{{.ServerVersion}}'"


class CheckOutputError(ValueError):
    """A command's output is not what its parser expects."""


@dataclass(frozen=True)
class DiskUsage:
    total_kb: int
    used_kb: int
    available_kb: int
    used_percent: float


@dataclass(frozen=True)
class LoadAverage:
    one: float
    five: float
    fifteen: float
    running: int
    total: int


@dataclass(frozen=True)
class MemoryInfo:
    total_kb: int
    available_kb: int
    free_kb: int
    swap_total_kb: int
    swap_free_kb: int

    @property
    def used_percent(self) -> float:
        return round(100 * (self.total_kb - self.available_kb) / self.total_kb, 1) if self.total_kb else 0.0


def HEALTH_COMMANDS(mounts: list[str], docker: bool) -> dict[str, str]:
    """{name: command} of the health check: disk usage of `mounts` (default "/"), load, memory
    and, with `docker`, the Docker daemon's version (exit status non-zero when it is down)."""
    commands = {
        "disk": "df -P -k " + " ".join(shlex.quote(mount) for mount in (mounts or ["/"])),
        "load": "cat /proc/loadavg",
        "memory": "cat /proc/meminfo",
    }
    if docker:
        commands["docker"] = DOCKER_VERSION_COMMAND
    return commands


_DF_LINE = re.compile(
    r"^(?P<fs>.+?)\s+(?P<total>\d+)\s+(?P<used>\d+)\s+(?P<available>\d+)\s+(?P<capacity>\d+%|-)\s+(?P<mount>/.*)$"
)


def parse_df(stdout: str) -> dict[str, DiskUsage]:
    """{mount point: usage} from `df -P -k` output (the header line, then one line per file system;
    mount points may contain spaces)."""
    lines = [line for line in (stdout or "").splitlines() if line.strip()]
    if not lines or not lines[0].startswith("Filesystem"):
        raise CheckOutputError("df output does not start with its 'Filesystem' header")
    if "1024-blocks" not in lines[0] and "1K-blocks" not in lines[0]:
        raise CheckOutputError("df output is not in 1024-byte blocks (run it with -k)")
    usage = {}
    for number, line in enumerate(lines[1:], start=2):
        match = _DF_LINE.match(line.rstrip())
        if not match:
            raise CheckOutputError(f"df output line {number} is not 'filesystem total used available capacity mount'")
        used, available = int(match["used"]), int(match["available"])
        if match["capacity"] != "-":
            percent = float(match["capacity"].rstrip("%"))
        else:
            percent = round(100 * used / (used + available), 1) if used + available else 0.0
        usage[match["mount"]] = DiskUsage(int(match["total"]), used, available, percent)
    if not usage:
        raise CheckOutputError("df output lists no file system")
    return usage


def parse_loadavg(stdout: str) -> LoadAverage:
    """/proc/loadavg: `0.42 0.30 0.25 2/345 6789`."""
    fields = (stdout or "").split()
    try:
        running, total = fields[3].split("/")
        return LoadAverage(float(fields[0]), float(fields[1]), float(fields[2]), int(running), int(total))
    except (IndexError, ValueError):
        raise CheckOutputError("loadavg output is not '<1m> <5m> <15m> <running>/<total> <last pid>'") from None


def parse_meminfo(stdout: str) -> MemoryInfo:
    """/proc/meminfo (`Name:   123 kB` lines); MemAvailable is estimated on kernels without it."""
    values: dict[str, int] = {}
    for line in (stdout or "").splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[name.strip()] = int(parts[0])
    if "MemTotal" not in values or "MemFree" not in values:
        raise CheckOutputError("meminfo output has no MemTotal or MemFree line")
    available = values.get("MemAvailable")
    if available is None:
        available = values["MemFree"] + values.get("Buffers", 0) + values.get("Cached", 0)
    return MemoryInfo(
        total_kb=values["MemTotal"],
        available_kb=available,
        free_kb=values["MemFree"],
        swap_total_kb=values.get("SwapTotal", 0),
        swap_free_kb=values.get("SwapFree", 0),
    )
