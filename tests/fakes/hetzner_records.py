"""The records the fake Hetzner Cloud keeps: recorded requests, failure rules, actions, resources.

Plain data, the default server and image records (shaped as the API returns them, with every
key the `hcloud` library reads), the error envelope and the small query helpers; the controls
that use them are described in hetzner_cloud.py. The path glob is the Time4VPS fake's.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.time4vps_records import compile_pattern

API_PREFIX = "/v1"
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 50
DEFAULT_IMAGES = ["debian-12", "ubuntu-24.04", "rocky-9"]
ACTION_COMMANDS = {"rebuild": "rebuild_server", "reset_password": "reset_password"}
ACTION_STATUSES = ("running", "success", "error")
ACTION_SORT_FIELDS = ("id", "command", "status", "started", "finished")
CREATED = "2024-03-01T10:00:00+00:00"

# The error code a failure rule answers for a status when it names none.
DEFAULT_CODES = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "invalid_input",
    423: "locked",
    429: "rate_limit_exceeded",
    500: "server_error",
    502: "bad_gateway",
    503: "unavailable",
    504: "timeout",
}
CODE_STATUSES = {code: status for status, code in reversed(DEFAULT_CODES.items())}
DEFAULT_MESSAGES = {
    "unauthorized": "unable to authenticate",
    "forbidden": "insufficient permissions for this request",
    "not_found": "resource not found",
    "conflict": "resource has been changed in the meantime",
    "invalid_input": "invalid input",
    "json_error": "invalid JSON in the request body",
    "locked": "server is locked by another action",
    "rate_limit_exceeded": "limit of 3600 requests per hour reached",
    "server_error": "internal server error",
    "bad_gateway": "bad gateway",
    "unavailable": "service unavailable",
    "timeout": "gateway timeout",
}


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def error_body(code: str, message: str | None = None, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message or DEFAULT_MESSAGES.get(code, code), "details": details or {}}}


def invalid_field(name: str, message: str) -> dict[str, Any]:
    return error_body(
        "invalid_input", f"invalid input in field '{name}'", {"fields": [{"name": name, "messages": [message]}]}
    )


@dataclass
class RecordedRequest:
    method: str
    path: str  # after /v1
    query: dict[str, list[str]]
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
    code: str | None = None
    message: str | None = None
    body: Any = None
    delay: float | None = None
    close: bool = False
    malformed: bool = False
    headers: dict[str, str] | None = None
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

    def answers(self) -> bool:
        """Whether the rule answers itself (otherwise it only delays or adds headers)."""
        return self.status is not None or self.code is not None or self.body is not None

    def answer(self) -> tuple[int, Any]:
        status = self.status or (CODE_STATUSES.get(self.code, 400) if self.code else 200)
        if self.body is not None:
            return status, self.body
        if status < 400 and self.code is None:
            return status, {}
        code = self.code or DEFAULT_CODES.get(status, "server_error" if status >= 500 else "invalid_input")
        return status, error_body(code, self.message)


@dataclass
class FakeAction:
    id: int
    command: str
    server_id: int
    started: datetime
    status: str = "running"
    finished: datetime | None = None
    error: dict[str, Any] | None = None
    completes_at: datetime | None = None  # None: `started + fake.action_seconds` (never if that is None)
    image: dict[str, Any] | None = field(default=None, repr=False)  # a rebuild's target image
    previous_status: str = "running"

    def as_json(self, now: datetime, seconds: float | None) -> dict[str, Any]:
        if self.status != "running":
            progress = 100
        else:
            due = self.due(seconds)
            total = None if due is None else (due - self.started).total_seconds()
            progress = 0 if not total else min(99, int(100 * (now - self.started).total_seconds() / total))
        return {
            "id": self.id,
            "command": self.command,
            "status": self.status,
            "progress": max(progress, 0),
            "started": iso(self.started),
            "finished": iso(self.finished),
            "resources": [{"id": self.server_id, "type": "server"}],
            "error": self.error,
        }

    def due(self, seconds: float | None) -> datetime | None:
        if self.completes_at is not None:
            return self.completes_at
        if seconds is None:
            return None
        return self.started + timedelta(seconds=seconds)

    def sort_value(self, name: str) -> Any:
        value = getattr(self, name)
        return (value is None, value or self.started) if name == "finished" else value


def image_record(entry: str | dict[str, Any]) -> dict[str, Any]:
    """A system image from a `fake.images` entry: a name, or a dict of fields over the name's defaults."""
    fields = {"name": entry} if isinstance(entry, str) else dict(entry)
    name = str(fields["name"])
    flavor, _, version = name.partition("-")
    if not version:
        flavor, version = "unknown", ""
    title = {"rocky": "Rocky Linux", "alma": "AlmaLinux", "opensuse": "openSUSE"}.get(flavor, flavor.capitalize())
    record = {
        "id": 100_000_000 + zlib.crc32(name.encode()) % 100_000_000,
        "type": "system",
        "status": "available",
        "name": name,
        "description": f"{title} {version}".strip(),
        "image_size": None,
        "disk_size": 5,
        "created": "2023-06-13T06:00:02+00:00",
        "created_from": None,
        "bound_to": None,
        "os_flavor": flavor,
        "os_version": version or None,
        "rapid_deploy": True,
        "protection": {"delete": False},
        "deprecated": None,
        "deprecation": None,
        "deleted": None,
        "labels": {},
        "architecture": "x86",
    }
    record.update(fields)
    return record


def _location() -> dict[str, Any]:
    return {
        "id": 1,
        "name": "fsn1",
        "description": "Falkenstein DC Park 1",
        "country": "DE",
        "city": "Falkenstein",
        "latitude": 50.47612,
        "longitude": 12.370071,
        "network_zone": "eu-central",
    }


def _copy_image(image: dict[str, Any]) -> dict[str, Any]:
    return {**image, "protection": dict(image.get("protection") or {}), "labels": dict(image.get("labels") or {})}


def public_ipv4(index: int) -> str:
    """Distinct documentation/benchmark addresses: 203.0.113.x, 198.51.100.x, 192.0.2.x, then 198.18.0.0/15."""
    block, host = divmod(index - 1, 250)
    if block < 3:
        return f"{('203.0.113', '198.51.100', '192.0.2')[block]}.{host + 1}"
    block -= 3
    return f"198.{18 + block // 256}.{block % 256}.{host + 1}"


def default_server(server_id: int, index: int, image: dict[str, Any] | None) -> dict[str, Any]:
    ip = public_ipv4(index)
    return {
        "id": server_id,
        "name": f"node{index}.example.com",
        "status": "running",
        "created": CREATED,
        "public_net": {
            "ipv4": {
                "id": 5_100_000 + index,
                "ip": ip,
                "blocked": False,
                "dns_ptr": f"static.{ip}.clients.example.net",
            },
            "ipv6": {"id": 5_200_000 + index, "ip": f"2a01:4f8:c010:{index:x}::/64", "blocked": False, "dns_ptr": []},
            "floating_ips": [],
            "firewalls": [],
        },
        "private_net": [],
        "server_type": {
            "id": 104,
            "name": "cx22",
            "description": "CX22",
            "category": "regular_purpose",
            "cores": 2,
            "memory": 4.0,
            "disk": 40,
            "deprecated": False,
            "deprecation": None,
            "prices": [],
            "storage_type": "local",
            "cpu_type": "shared",
            "architecture": "x86",
            "locations": [{"id": 1, "name": "fsn1", "deprecation": None, "available": True, "recommended": True}],
        },
        "datacenter": {
            "id": 4,
            "name": "fsn1-dc14",
            "description": "Falkenstein 1 virtual DC 14",
            "location": _location(),
            "server_types": {"supported": [104], "available": [104], "available_for_migration": [104]},
        },
        "location": _location(),
        "image": None if image is None else _copy_image(image),
        "iso": None,
        "rescue_enabled": False,
        "locked": False,
        "backup_window": None,
        "outgoing_traffic": 123_456_789,
        "ingoing_traffic": 98_765_432,
        "included_traffic": 21_990_232_555_520,
        "protection": {"delete": False, "rebuild": False},
        "labels": {"role": "web"} if index % 2 else {"role": "db", "env": "prod"},
        "volumes": [],
        "load_balancers": [],
        "primary_disk_size": 40,
        "placement_group": None,
    }


def labels_match(labels: dict[str, str], selector: str) -> bool:
    """The simple label selector forms: `k`, `!k`, `k=v`, `k==v`, `k!=v`, comma-separated (all must hold)."""
    for term in (part.strip() for part in selector.split(",")):
        if not term:
            continue
        if term.startswith("!"):
            if term[1:] in labels:
                return False
        elif "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.split("=", 1)
            if labels.get(key.strip()) != value.lstrip("=").strip():
                return False
        elif term not in labels:
            return False
    return True


def paginate(query: dict[str, list[str]], key: str, items: list[Any]) -> tuple[int, Any]:
    try:
        page = int(query.get("page", ["1"])[-1])
        per_page = int(query.get("per_page", [str(DEFAULT_PER_PAGE)])[-1])
    except ValueError:
        return 400, error_body("invalid_input", "page and per_page must be integers")
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        return 400, error_body("invalid_input", f"page must be >= 1 and per_page between 1 and {MAX_PER_PAGE}")
    last_page = max(1, -(-len(items) // per_page))
    pagination = {
        "page": page,
        "per_page": per_page,
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page < last_page else None,
        "last_page": last_page,
        "total_entries": len(items),
    }
    return 200, {key: items[(page - 1) * per_page : page * per_page], "meta": {"pagination": pagination}}
