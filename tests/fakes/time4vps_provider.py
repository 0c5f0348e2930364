"""A fake Time4VPS provider: a real HTTP server on loopback speaking the published API.

It serves what /work/shared/reference/time4vps-api.md describes, over real HTTP (a
ThreadingHTTPServer on 127.0.0.1, an ephemeral port, a background thread), so a client under
test goes through its real session, timeouts, retries and circuit breaker.

Endpoints (relative to `base_url`, which ends in `/api`), all behind HTTP Basic auth — a missing
or wrong Authorization header answers 401 `{"error": ["wronglogin"]}`:
    GET  /server                          the list (server_id, domain, ip, date_created, synch_date, label, type)
    GET  /server/{id}                     the details (every other field of the server's record)
    GET  /server/{id}/oses                `fake.oses`
    POST /server/{id}/reinstall           JSON body with `os` (one of `fake.oses`), optional ssh_key/script
    POST /server/{id}/resetpassword       -> {"task_id": N}
    POST /server/{id}/reboot              -> {"task_id": N}
    GET  /server/{id}/task/{task_id}      the task; an unknown id answers 400 {"error": ["Invalid task ID"]}
An unknown server answers 404 {"error": ["Server not found"]}; an unknown path 404.

Controls:
    fake.base_url, fake.username, fake.password
        What a client needs. `FakeTime4VPS(username=..., password=..., server_count=3, task_seconds=0.0,
        port=0)` (port 0: any free port), then `.start()` / `.stop()` or use it as a context manager.
    fake.servers
        dict server_id -> record (a plain dict of the provider's field names). Edit it freely:
        `fake.servers[51001]["ip"] = None`, or put a wrong type in a field to test validation.
    fake.add_server(**fields) -> record;  fake.set_server_count(n)  (replaces all servers)
    fake.oses
        The OS templates every server offers (list of {"os", "title"}).
    fake.fail(pattern, *, method=None, times=None, status=None, body=None, delay=None,
              malformed=False, close=False, wrong_credentials=False) -> FailureRule
        From now on, requests whose path matches `pattern` (a glob on the path after /api:
        `*` is one path segment's characters, `**` anything; "/server/*" matches the details
        but not "/server/1/oses") and `method` (None: any) are answered by this rule, `times`
        times (None: always), then served normally again. What the rule does:
          status=500                  answer with that status (body `{"error": ["HTTP 500"]}` unless `body`)
          body={...} / "text" / b""   answer with that body (JSON-encoded unless str/bytes), status 200 unless `status`
          delay=2.0                   sleep first (longer than the client's read timeout = a read
                                      timeout), then answer normally or as the other options say
          malformed=True              200 with a truncated JSON body
          close=True                  close the connection without answering
          wrong_credentials=True      401 {"error": ["wronglogin"]} whatever the credentials
        The first matching rule with uses left wins. `rule.hits` counts the requests it answered.
    fake.clear_failures()
    fake.requests
        Every request received, in order, as RecordedRequest(method, path, auth_present,
        authorized, body, headers) — recorded on arrival, before any failure rule.
    fake.requests_to(pattern, method=None) -> list[RecordedRequest]   (same glob as fail)
    fake.max_in_flight
        The most requests the fake was handling at the same moment (concurrency checks).
    fake.reset_requests()   forget the recorded requests and max_in_flight
    fake.task_seconds
        How long a task takes to complete (None: until `fake.complete_task(task_id)`).
        A finished reinstall or password reset has "Password: <value>" in its results.
    fake.tasks              dict task_id -> FakeTask (its `.password` is the one handed out)

The records (RecordedRequest, FailureRule, FakeTask, the default server) are defined in
time4vps_records.py, the HTTP server and request handler in time4vps_http.py.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.recording_server import RecordingHTTPFake
from tests.fakes.time4vps_http import handler_for
from tests.fakes.time4vps_records import (
    ACTION_TASK_NAMES,
    API_PREFIX,
    DEFAULT_OSES,
    LIST_FIELDS,
    LIST_ONLY_FIELDS,
    FailureRule,
    FakeTask,
    default_server,
    iso,
)


class FakeTime4VPS(RecordingHTTPFake):
    """See the module docstring for the controls."""

    FIRST_SERVER_ID = 51001

    def __init__(
        self,
        *,
        username: str = "owner@example.com",
        password: str = "Fake-Pa55word!x",  # noqa: S107 - a fake account
        server_count: int = 3,
        task_seconds: float | None = 0.0,
        port: int = 0,
    ) -> None:
        super().__init__(port=port, name="fake-time4vps")
        self.username = username
        self.password = password
        self.task_seconds = task_seconds
        self.oses: list[dict[str, str]] = [dict(item) for item in DEFAULT_OSES]
        self.servers: dict[int, dict[str, Any]] = {}
        self.tasks: dict[int, FakeTask] = {}
        self._next_task_id = 900001
        self.set_server_count(server_count)

    @property
    def base_url(self) -> str:
        return self._address(API_PREFIX)

    # --- servers and tasks ------------------------------------------------------------------------

    def set_server_count(self, count: int) -> None:
        self.servers = {}
        for _ in range(count):
            self.add_server()

    def add_server(self, **fields: Any) -> dict[str, Any]:
        server_id = fields.pop("server_id", None)
        if server_id is None:
            server_id = max([self.FIRST_SERVER_ID - 1, *[k for k in self.servers if isinstance(k, int)]]) + 1
        record = default_server(server_id, len(self.servers) + 1)
        record.update(fields)
        self.servers[server_id] = record
        return record

    def complete_task(self, task_id: int) -> None:
        self.tasks[task_id].completes_at = datetime.now(UTC)

    # --- failures and records ---------------------------------------------------------------------

    def fail(
        self,
        pattern: str,
        *,
        method: str | None = None,
        times: int | None = None,
        status: int | None = None,
        body: Any = None,
        delay: float | None = None,
        malformed: bool = False,
        close: bool = False,
        wrong_credentials: bool = False,
    ) -> FailureRule:
        rule = FailureRule(
            pattern=pattern,
            method=method,
            times=times,
            status=status,
            body=body,
            delay=delay,
            malformed=malformed,
            close=close,
            wrong_credentials=wrong_credentials,
        )
        return self._add_rule(rule)

    def _handler(self) -> type:
        return handler_for(self)

    def _authorized(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return header is not None and secrets.compare_digest(header.encode(), f"Basic {expected}".encode())

    def _route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        segments = path.strip("/").split("/")
        if segments[0] != "server":
            return 404, {"error": ["Unknown endpoint"]}
        if len(segments) == 1:
            if method != "GET":
                return 405, {"error": ["Method not allowed"]}
            return 200, [{name: record.get(name) for name in LIST_FIELDS} for record in self.servers.values()]
        try:
            server_id = int(segments[1])
        except ValueError:
            return 404, {"error": ["Server not found"]}
        record = self.servers.get(server_id)
        if record is None:
            return 404, {"error": ["Server not found"]}
        rest = segments[2:]
        if method == "GET" and not rest:
            return 200, self._details(server_id, record)
        if method == "GET" and rest == ["oses"]:
            return 200, self.oses
        if method == "GET" and len(rest) == 2 and rest[0] == "task":
            task = self.tasks.get(int(rest[1])) if rest[1].isdigit() else None
            if task is None or task.server_id != server_id:
                return 400, {"error": ["Invalid task ID"]}
            return 200, task.as_json(datetime.now(UTC))
        if method == "POST" and len(rest) == 1 and rest[0] in ACTION_TASK_NAMES:
            return self._action(server_id, record, rest[0], body)
        return 404, {"error": ["Unknown endpoint"]}

    def _details(self, server_id: int, record: dict[str, Any]) -> dict[str, Any]:
        details = {name: value for name, value in record.items() if name not in LIST_ONLY_FIELDS}
        now = datetime.now(UTC)
        with self._lock:
            tasks = [task for task in self.tasks.values() if task.server_id == server_id]
        running = [task for task in tasks if not task.done(now)]
        if running and details.get("active_task") is None:
            details["active_task"] = {"name": running[-1].name, "activated": iso(running[-1].activated)}
        finished = [task for task in tasks if task.done(now)]
        if finished and not details.get("last_tasks"):
            details["last_tasks"] = [
                {"name": task.name, "activated": iso(task.activated), "completed": iso(task.completes_at)}
                for task in reversed(finished[-5:])
            ]
        return details

    def _action(self, server_id: int, record: dict[str, Any], action: str, body: Any) -> tuple[int, Any]:
        password = None
        if action == "reinstall":
            if not isinstance(body, dict) or not body.get("os"):
                return 400, {"error": ["os is required"]}
            if body["os"] not in {item["os"] for item in self.oses}:
                return 400, {"error": ["Invalid OS"]}
            record["os"] = body["os"]
        if action in ("reinstall", "resetpassword"):
            password = secrets.token_urlsafe(12)
        now = datetime.now(UTC)
        completes_at = None if self.task_seconds is None else now + timedelta(seconds=self.task_seconds)
        with self._lock:
            task_id = self._next_task_id
            self._next_task_id += 1
            self.tasks[task_id] = FakeTask(task_id, server_id, ACTION_TASK_NAMES[action], now, completes_at, password)
        return 200, {"task_id": task_id}
