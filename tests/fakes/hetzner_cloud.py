"""A fake Hetzner Cloud API v1: a real HTTP server on loopback speaking the published API.

It serves what /work/shared/reference/hetzner-cloud-api.md describes, over real HTTP (a
ThreadingHTTPServer on 127.0.0.1, HTTP/1.1 keep-alive, a background daemon thread), so a client
under test — the official `hcloud` library included: `hcloud.Client(token=fake.token,
api_endpoint=fake.base_url)` — goes through its real session, timeouts and retries.

Endpoints (relative to `base_url`, which ends in `/v1`), all behind `Authorization: Bearer <token>`
— a missing or wrong token answers 401 `{"error": {"code": "unauthorized", "message": "unable to
authenticate", "details": {}}}`. Errors use that envelope throughout (codes below).
    GET  /servers?page=&per_page=          {"servers": [...], "meta": {"pagination": {page, per_page,
                                           previous_page, next_page, last_page, total_entries}}}, by id;
                                           per_page defaults to 25, above 50 -> 400 invalid_input;
                                           optional filters name=, status= (repeatable), label_selector=
                                           (k, !k, k=v, k!=v, comma-separated)
    GET  /servers/{id}                     {"server": {...}}; an unknown id -> 404 not_found
    POST /servers/{id}/actions/rebuild     JSON {"image": name or id, "user_data"?: str} -> 201
                                           {"action": {...}, "root_password": "..."}; the server is
                                           `rebuilding` and locked until the action ends; on success it
                                           has the new image and is `running` again. Refusals:
                                           403 forbidden (protection.rebuild), 423 locked (a running
                                           action, or `locked` true), 422 invalid_input (missing or
                                           unknown image, user_data not a string), 400 json_error
    POST /servers/{id}/actions/reset_password   -> 201 {"action", "root_password"}; 423 as above
    GET  /servers/{id}/actions?status=&sort=&page=&per_page=   {"actions": [...], "meta": ...};
                                           status repeatable (running|success|error), sort repeatable
                                           (id|command|status|started|finished, :asc or :desc)
    GET  /servers/{id}/actions/{action_id} {"action": {...}}; 404 if unknown or another server's
    GET  /actions?id=&status=&sort=        every action (id repeatable), paginated
    GET  /actions/{action_id}              {"action": {...}}; 404 if unknown
    GET  /images?type=&architecture=&name=&page=&per_page=   {"images": [...], "meta": ...}
    GET  /images/{id}                      {"image": {...}}
Anything else answers 404 not_found (a path outside /v1 too; it is recorded as "/../<path>").
An action is {id, command ("rebuild_server" | "reset_password"), status, progress, started,
finished (null while running), resources [{id, type "server"}], error (null or {code, message})};
ids count up from 7001. GET /images also filters by os_flavor=.
Every answer carries RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (Unix time).

Controls:
    FakeHetznerCloud(token="hc-test-token", server_count=3, action_seconds=0.0, port=0)
        then `.start()` / `.stop()` or use it as a context manager. fake.base_url, fake.token.
    fake.servers
        dict id -> record (the API's JSON as a plain dict; ids 4201001.., names node1.example.com..,
        IPv4s from 203.0.113.0/24 then 198.51.100.0/24, 192.0.2.0/24, 198.18.0.0/15, an IPv6 /64 each,
        labels {"role": "web"} on odd, {"role": "db", "env": "prod"} on even). Edit it freely:
        `fake.servers[4201001]["protection"]["rebuild"] = True`, `["image"] = None`, a wrong type...
    fake.add_server(**overrides) -> record   (top-level keys; `id=` picks the id)
    fake.set_server_count(n)                 (replaces all servers; cheap for thousands)
    fake.images
        The system images: a list of names (default debian-12, ubuntu-24.04, rocky-9), or dicts of
        fields over a name's defaults ({"name": "ubuntu-24.04", "architecture": "arm"}).
    fake.action_seconds
        An action ends `success` this many seconds after it started, checked on each request (and
        by `fake.settle()`); None: it runs until `fake.complete_action(action_id, status="success"
        | "error", error=None)` (error: a message or a {code, message} dict). `action.completes_at`
        (a datetime) overrides it for one action.
    fake.actions            dict action_id -> FakeAction (.command, .server_id, .status, .error...)
    fake.passwords          dict action_id -> the root_password that answer handed out
    fake.root_password      the password every rebuild and reset hands out (None: a random one each)
    fake.rebuild_calls(server_id), fake.reset_calls(server_id)
        How many rebuilds / password resets were started (refused ones are not counted: see requests).
    fake.last_user_data     dict server_id -> the user_data of its last rebuild (None when absent)
    fake.rate_limit (3600), fake.rate_remaining, fake.rate_reset_at, fake.refill()
        Each authorized request spends one; at 0 the answer is 429 rate_limit_exceeded ("limit of
        3600 requests per hour reached"). rate_reset_at None: now + the requests spent (one comes
        back per second), otherwise that Unix time. refill() restores the limit (no other refill).
    fake.fail(pattern, *, method=None, times=None, status=None, code=None, message=None, body=None,
              delay=None, close=False, malformed=False, headers=None) -> FailureRule
        From now on, requests whose path matches `pattern` (a glob on the path after /v1: `*` is one
        path segment's characters, `**` anything; "/servers/*" matches a server but not its actions)
        and `method` (None: any) are answered by this rule, `times` times (None: always). It does:
          status=503 / code="locked"  the error envelope with that status and code (the default code
                                      for a status: 401 unauthorized, 403 forbidden, 404 not_found,
                                      409 conflict, 422 invalid_input, 423 locked, 429 rate_limit_exceeded,
                                      500 server_error, 502 bad_gateway, 503 unavailable, 504 timeout;
                                      the status for a code likewise), `message` its message
          body={...} / "text" / b""   that body (JSON-encoded unless str/bytes), status 200 unless `status`
          delay=2.0                   sleep first, then answer normally or as the other options say
          close=True                  close the connection without answering
          malformed=True              200 with a truncated JSON body
          headers={...}               extra response headers (with any of the above, or alone)
        Answers of a rule spend no rate limit. The first matching rule with uses left wins;
        `rule.hits` counts the requests it took. fake.clear_failures() drops them all.
    fake.requests
        Every request received, in order, as RecordedRequest(method, path, query (dict of lists),
        authorized, body, headers, received_at) — recorded on arrival, before any failure rule.
    fake.requests_to(pattern, method=None) -> list[RecordedRequest]   (same glob as fail)
    fake.max_in_flight      the most requests handled at the same moment
    fake.reset_requests()   forget the recorded requests and max_in_flight

The records (RecordedRequest, FailureRule, FakeAction, the default server and image) are defined
in hetzner_records.py.
"""

from __future__ import annotations

import json
import secrets
import socket
import string
import time
from collections import Counter
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.hetzner_records import (
    ACTION_COMMANDS,
    ACTION_SORT_FIELDS,
    ACTION_STATUSES,
    API_PREFIX,
    DEFAULT_IMAGES,
    FailureRule,
    FakeAction,
    RecordedRequest,
    default_server,
    error_body,
    image_record,
    invalid_field,
    labels_match,
    paginate,
)
from tests.fakes.recording_server import KeepAliveHandler, RecordingHTTPFake

MALFORMED = b'{"servers": [{"id": 4201001, "name": "node1.exa'
PASSWORD_ALPHABET = string.ascii_letters + string.digits


class FakeHetznerCloud(RecordingHTTPFake):
    """See the module docstring for the controls."""

    FIRST_SERVER_ID = 4201001
    FIRST_ACTION_ID = 7001

    def __init__(
        self,
        token: str = "hc-test-token",  # noqa: S107 - a fake project's token
        server_count: int = 3,
        action_seconds: float | None = 0.0,
        port: int = 0,
    ) -> None:
        super().__init__(port=port, name="fake-hetzner")
        self.token = token
        self.action_seconds = action_seconds
        self.images: list[str | dict[str, Any]] = list(DEFAULT_IMAGES)
        self.servers: dict[int, dict[str, Any]] = {}
        self.actions: dict[int, FakeAction] = {}
        self.passwords: dict[int, str] = {}
        self.root_password: str | None = None
        self.last_user_data: dict[int, str | None] = {}
        self.rate_limit = 3600
        self.rate_remaining = 3600
        self.rate_reset_at: int | None = None
        self._calls: Counter[tuple[str, int]] = Counter()
        self._next_action_id = self.FIRST_ACTION_ID
        self.set_server_count(server_count)

    @property
    def base_url(self) -> str:
        return self._address(API_PREFIX)

    # --- servers, images, actions -----------------------------------------------------------------

    def set_server_count(self, count: int) -> None:
        image = image_record(self.images[0]) if self.images else None
        self.servers = {
            self.FIRST_SERVER_ID + i: default_server(self.FIRST_SERVER_ID + i, i + 1, image) for i in range(count)
        }

    def add_server(self, **overrides: Any) -> dict[str, Any]:
        server_id = overrides.pop("id", None)
        if server_id is None:
            server_id = max([self.FIRST_SERVER_ID - 1, *self.servers]) + 1
        image = image_record(self.images[0]) if self.images else None
        record = default_server(server_id, len(self.servers) + 1, image)
        record.update(overrides)
        self.servers[server_id] = record
        return record

    def rebuild_calls(self, server_id: int) -> int:
        return self._calls["rebuild", server_id]

    def reset_calls(self, server_id: int) -> int:
        return self._calls["reset_password", server_id]

    def complete_action(
        self, action_id: int, status: str = "success", error: str | dict[str, Any] | None = None
    ) -> None:
        if status not in ("success", "error"):
            raise ValueError(f"an action completes with success or error, not {status!r}")
        if isinstance(error, str):
            error = {"code": "action_failed", "message": error}
        if status == "error" and error is None:
            error = {"code": "action_failed", "message": "Action failed"}
        with self._lock:
            self._finish(self.actions[action_id], status, error, datetime.now(UTC))

    def settle(self) -> None:
        """End the actions whose time is up (each request does this first)."""
        with self._lock:
            self._settle(datetime.now(UTC))

    def refill(self) -> None:
        self.rate_remaining = self.rate_limit
        self.rate_reset_at = None

    # --- failures and records ---------------------------------------------------------------------

    def fail(
        self,
        pattern: str,
        *,
        method: str | None = None,
        times: int | None = None,
        status: int | None = None,
        code: str | None = None,
        message: str | None = None,
        body: Any = None,
        delay: float | None = None,
        close: bool = False,
        malformed: bool = False,
        headers: dict[str, str] | None = None,
    ) -> FailureRule:
        return self._add_rule(
            FailureRule(pattern, method, times, status, code, message, body, delay, close, malformed, headers)
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    def _authorized(self, header: str | None) -> bool:
        return header is not None and secrets.compare_digest(header.encode(), f"Bearer {self.token}".encode())

    def _rate_headers(self) -> dict[str, str]:
        remaining = max(0, self.rate_remaining)
        reset = self.rate_reset_at
        if reset is None:
            reset = int(time.time()) + max(0, self.rate_limit - remaining)
        return {
            "RateLimit-Limit": str(self.rate_limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
        }

    def _serve(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, authorized: bool, bad_json: bool
    ) -> tuple[int, bytes, dict[str, str]]:
        """Authorize, spend the rate limit, route; encode under the lock (a consistent snapshot)."""
        with self._lock:
            if not authorized:
                status, answer = 401, error_body("unauthorized")
            elif self.rate_remaining <= 0:
                message = f"limit of {self.rate_limit} requests per hour reached"
                status, answer = 429, {"error": {"code": "rate_limit_exceeded", "message": message, "details": {}}}
            else:
                self.rate_remaining -= 1
                now = datetime.now(UTC)
                self._settle(now)
                if bad_json:
                    status, answer = 400, error_body("json_error")
                else:
                    status, answer = self._route(method, path, query, body, now)
            return status, json.dumps(answer, ensure_ascii=False).encode(), self._rate_headers()

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any, now: datetime) -> tuple[int, Any]:
        segments = [segment for segment in path.split("/") if segment]
        if method == "GET" and segments == ["servers"]:
            return paginate(query, "servers", self._list_servers(query))
        if method == "GET" and segments == ["images"]:
            return paginate(query, "images", self._list_images(query))
        if method == "GET" and len(segments) == 2 and segments[0] == "images":
            image = self._find_image(segments[1])
            return (200, {"image": image}) if image else (404, error_body("not_found", "image not found"))
        if method == "GET" and segments[:1] == ["actions"] and len(segments) <= 2:
            return self._actions(None, segments[1:], query, now)
        if segments[:1] != ["servers"] or len(segments) < 2:
            return 404, error_body("not_found")
        server_id = int(segments[1]) if segments[1].isdigit() else None
        record = self.servers.get(server_id) if server_id is not None else None
        if record is None or server_id is None:
            return 404, error_body("not_found", "server not found")
        rest = segments[2:]
        if method == "GET" and not rest:
            return 200, {"server": record}
        if method == "GET" and rest[:1] == ["actions"] and len(rest) <= 2:
            return self._actions(server_id, rest[1:], query, now)
        if method == "POST" and len(rest) == 2 and rest[0] == "actions" and rest[1] in ACTION_COMMANDS:
            return self._start_action(server_id, record, rest[1], body, now)
        return 404, error_body("not_found")

    def _list_servers(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        servers = [self.servers[key] for key in sorted(self.servers)]
        if "name" in query:
            servers = [s for s in servers if s.get("name") == query["name"][-1]]
        if "status" in query:
            servers = [s for s in servers if s.get("status") in query["status"]]
        if "label_selector" in query:
            servers = [s for s in servers if labels_match(s.get("labels") or {}, query["label_selector"][-1])]
        return servers

    def _list_images(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        images = [image_record(entry) for entry in self.images]
        for name in ("type", "architecture", "name", "os_flavor"):
            if name in query:
                images = [image for image in images if image.get(name) in query[name]]
        return images

    def _find_image(self, id_or_name: Any) -> dict[str, Any] | None:
        for image in (image_record(entry) for entry in self.images):
            if image["name"] == id_or_name or str(image["id"]) == str(id_or_name):
                return image
        return None

    def _actions(
        self, server_id: int | None, rest: list[str], query: dict[str, list[str]], now: datetime
    ) -> tuple[int, Any]:
        if rest:
            action = self.actions.get(int(rest[0])) if rest[0].isdigit() else None
            if action is None or (server_id is not None and action.server_id != server_id):
                return 404, error_body("not_found", "action not found")
            return 200, {"action": action.as_json(now, self.action_seconds)}
        actions = [self.actions[key] for key in sorted(self.actions)]
        if server_id is not None:
            actions = [a for a in actions if a.server_id == server_id]
        if "id" in query:
            actions = [a for a in actions if str(a.id) in query["id"]]
        statuses = query.get("status", [])
        if any(status not in ACTION_STATUSES for status in statuses):
            return 400, error_body("invalid_input", "status must be running, success or error")
        if statuses:
            actions = [a for a in actions if a.status in statuses]
        sorts = [item.partition(":") for item in query.get("sort", [])]
        if any(field not in ACTION_SORT_FIELDS or order not in ("", "asc", "desc") for field, _, order in sorts):
            return 400, error_body("invalid_input", f"sort must be one of {', '.join(ACTION_SORT_FIELDS)}[:asc|:desc]")
        for field, _, order in reversed(sorts):
            actions.sort(key=lambda a, f=field: a.sort_value(f), reverse=order == "desc")
        status, answer = paginate(query, "actions", actions)
        if status == 200:
            answer["actions"] = [a.as_json(now, self.action_seconds) for a in answer["actions"]]
        return status, answer

    def _start_action(
        self, server_id: int, record: dict[str, Any], name: str, body: Any, now: datetime
    ) -> tuple[int, Any]:
        image = None
        if name == "rebuild" and (record.get("protection") or {}).get("rebuild"):
            return 403, error_body("forbidden", "server is protected against rebuild")
        if record.get("locked") or self._busy(server_id):
            return 423, error_body("locked")
        if name == "rebuild":
            if not isinstance(body, dict) or body.get("image") in (None, ""):
                return 422, invalid_field("image", "Missing data for required field.")
            image = self._find_image(body["image"])
            if image is None:
                return 422, invalid_field("image", f"image {body['image']!r} not found")
            if body.get("user_data") is not None and not isinstance(body["user_data"], str):
                return 422, invalid_field("user_data", "Not a valid string.")
            self.last_user_data[server_id] = body.get("user_data")
        action = FakeAction(self._next_action_id, ACTION_COMMANDS[name], server_id, now, image=image)
        action.previous_status = record.get("status") or "running"
        self._next_action_id += 1
        self.actions[action.id] = action
        self._calls[name, server_id] += 1
        password = self.root_password or "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(20))
        self.passwords[action.id] = password
        record["locked"] = True
        if name == "rebuild":
            record["status"] = "rebuilding"
        return 201, {"action": action.as_json(now, self.action_seconds), "root_password": password}

    def _settle(self, now: datetime) -> None:
        for action in self.actions.values():
            if action.status == "running":
                due = action.due(self.action_seconds)
                if due is not None and now >= due:
                    self._finish(action, "success", None, due)

    def _finish(self, action: FakeAction, status: str, error: dict[str, Any] | None, when: datetime) -> None:
        action.status, action.error, action.finished = status, error, when
        record = self.servers.get(action.server_id)
        if record is None:
            return
        if action.command == "rebuild_server":
            record["status"] = "running" if status == "success" else action.previous_status
            if status == "success" and action.image is not None:
                record["image"] = dict(action.image)
        if not self._busy(action.server_id):
            record["locked"] = False

    def _busy(self, server_id: int) -> bool:
        return any(a.server_id == server_id and a.status == "running" for a in self.actions.values())


def _handler_for(fake: FakeHetznerCloud) -> type[BaseHTTPRequestHandler]:
    class Handler(KeepAliveHandler):
        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            bad_json = False
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body, bad_json = raw.decode(errors="replace"), True
            url = urlsplit(self.path)
            inside = url.path == API_PREFIX or url.path.startswith(API_PREFIX + "/")
            path = "/" + url.path[len(API_PREFIX) :].strip("/") if inside else "/.." + url.path
            query = parse_qs(url.query, keep_blank_values=True)
            authorized = fake._authorized(self.headers.get("Authorization"))
            request = RecordedRequest(
                method, path, query, authorized, body, dict(self.headers.items()), time.monotonic()
            )
            rule = fake._arrive(request)
            try:
                self._respond(request, rule, bad_json, inside)
            except OSError:
                self.close_connection = True  # the client gave up (read timeout) and hung up
            finally:
                fake._leave()

        def _respond(self, request: RecordedRequest, rule: FailureRule | None, bad_json: bool, inside: bool) -> None:
            extra = (rule.headers if rule else None) or {}
            if rule is not None:
                if rule.delay:
                    fake._sleep(rule.delay)
                if rule.close:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if rule.malformed or rule.answers():
                    with fake._lock:
                        headers = fake._rate_headers()
                    if rule.malformed:
                        return self._send(200, MALFORMED, {**headers, **extra})
                    status, answer = rule.answer()
                    if status == 429:
                        headers["RateLimit-Remaining"] = "0"
                    return self._send(status, answer, {**headers, **extra})
            route = request.path if inside else "/-"  # a path outside /v1 is routed nowhere: 404
            status, payload, headers = fake._serve(
                request.method, route, request.query, request.body, request.authorized, bad_json
            )
            return self._send(status, payload, {**headers, **extra})

        def _send(self, status: int, answer: Any, headers: dict[str, str]) -> None:
            content_type = "application/json"
            if isinstance(answer, bytes):
                payload = answer
            elif isinstance(answer, str):
                payload, content_type = answer.encode(), "text/plain; charset=utf-8"
            else:
                payload = json.dumps(answer, ensure_ascii=False).encode()
            phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
            self.send_response(status, phrase)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Correlation-Id", secrets.token_hex(8))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler
