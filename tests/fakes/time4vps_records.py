"""The records the fake Time4VPS keeps: recorded requests, failure rules, tasks, server records.

Plain data and the path glob shared by `fake.fail()` and `fake.requests_to()`; the controls
that use them are described in time4vps_provider.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

API_PREFIX = "/api"
# Fields of a server's record that `GET /server` lists; the details show every other field.
LIST_FIELDS = ("server_id", "domain", "ip", "date_created", "synch_date", "label", "type")
LIST_ONLY_FIELDS = ("server_id", "date_created", "type")
ACTION_TASK_NAMES = {
    "reinstall": "server_recreate",
    "resetpassword": "server_reset_password",
    "reboot": "server_reboot",
}
DEFAULT_OSES = [
    {"os": "ubuntu-22.04-x86_64", "title": "Ubuntu 22.04"},
    {"os": "debian-12-x86_64", "title": "Debian 12"},
    {"os": "kvm-win-2022", "title": "Windows Server 2022"},
]


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A path glob: `**` matches anything, `*` anything within one path segment."""
    parts = re.split(r"(\*\*|\*)", pattern)
    regex = "".join(".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part) for part in parts)
    return re.compile(regex)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass
class RecordedRequest:
    method: str
    path: str
    auth_present: bool
    authorized: bool
    body: Any
    headers: dict[str, str]
    received_at: float


@dataclass
class FailureRule:
    pattern: str
    method: str | None
    times: int | None
    status: int | None = None
    body: Any = None
    delay: float | None = None
    malformed: bool = False
    close: bool = False
    wrong_credentials: bool = False
    hits: int = 0
    regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.regex = compile_pattern(self.pattern)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        return bool(self.regex.fullmatch(path))


@dataclass
class FakeTask:
    task_id: int
    server_id: int
    name: str
    activated: datetime
    completes_at: datetime | None
    password: str | None = field(default=None, repr=False)

    def done(self, now: datetime) -> bool:
        return self.completes_at is not None and now >= self.completes_at

    def as_json(self, now: datetime) -> dict[str, Any]:
        if not self.done(now):
            return {"name": self.name, "activated": iso(self.activated), "assigned": "", "completed": "", "results": ""}
        results = f"Password: {self.password}" if self.password else "Task completed"
        return {
            "name": self.name,
            "activated": iso(self.activated),
            "assigned": iso(self.activated),
            "completed": iso(self.completes_at),
            "results": results,
        }


def default_server(server_id: int, index: int) -> dict[str, Any]:
    return {
        "server_id": server_id,
        "domain": f"web{index}.example.com",
        "ip": f"185.0.0.{10 + index}",
        "date_created": "2024-03-01",
        "synch_date": "2026-11-20 10:00:00",
        "label": f"web {index}",
        "type": "vps",
        "package_id": 301,
        "status": "Active",
        "cpu_frequency": 2400,
        "cpu_cores": 2,
        "ram_limit": 4096,
        "ram_used": 812,
        "disk_limit": 81920,
        "disk_usage": 10240,
        "bw_limit": 8000000,
        "bw_in": 1200,
        "bw_out": 3400,
        "os": "ubuntu-22.04-x86_64",
        "additional_ip": [],
        "dns_servers": ["1.1.1.1"],
        "components": [{"id": 1, "name": "Backups", "selected": True}],
        "active_task": None,
        "last_tasks": [],
    }
