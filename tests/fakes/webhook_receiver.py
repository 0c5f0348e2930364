"""A real HTTP server on loopback that receives notifications: webhooks, Slack and Telegram.

    receiver = WebhookReceiver().start()
    send_webhook(url=receiver.url + "/hooks/fleet", payload=..., secret=...)
    receiver.requests[-1].body          # the exact bytes that arrived
    receiver.fail_with(500, times=2)    # the next two requests get a 500
    receiver.stop()

Every request is recorded (method, path, headers, body bytes) before it is answered. Answers:
- a path starting with /slack/ -> 200 "ok" (text/plain), as a Slack incoming webhook;
- a path /bot<token>/sendMessage -> 200 {"ok": true, "result": {...}}, as the Telegram Bot API;
  when failing, {"ok": false, "error_code": <status>, "description": <description>};
- anything else -> 200 with an empty body.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"
TELEGRAM_PATH = re.compile(r"^/bot(?P<token>[^/]+)/sendMessage$")


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """A header by name, case-insensitively."""
        lowered = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == lowered), None)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Failure:
    status: int
    times: int
    body: bytes | None
    description: str
    headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up


class WebhookReceiver:
    """The loopback receiver; `url` is its base URL (no trailing slash)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[ReceivedRequest] = []
        self._failures: list[_Failure] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> WebhookReceiver:
        self._server = _Server((HOST, 0), _handler_for(self))
        self.url = f"http://{HOST}:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="webhook-receiver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def requests(self) -> list[ReceivedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._failures.clear()

    def fail_with(
        self,
        status: int,
        *,
        times: int = 1,
        body: bytes | None = None,
        description: str = "Bad Request: chat not found",
        headers: dict[str, str] | None = None,
    ) -> WebhookReceiver:
        """Answer the next `times` requests with `status` (queued after earlier rules).

        `body` replaces the answer's body (e.g. a 200 with a Slack body other than "ok"); for
        Telegram paths the default body is {"ok": false, "error_code": status, "description": ...}.
        """
        with self._lock:
            self._failures.append(_Failure(status, times, body, description, dict(headers or {})))
        return self

    def _arrive(self, request: ReceivedRequest) -> _Failure | None:
        with self._lock:
            self._requests.append(request)
            if not self._failures:
                return None
            failure = self._failures[0]
            failure.times -= 1
            if failure.times <= 0:
                self._failures.pop(0)
            return failure

    def _answer(self, request: ReceivedRequest, failure: _Failure | None) -> tuple[int, str, bytes, dict[str, str]]:
        telegram = TELEGRAM_PATH.match(request.path)
        if failure is not None:
            if failure.body is not None:
                body = failure.body
            elif telegram:
                body = json.dumps(
                    {"ok": False, "error_code": failure.status, "description": failure.description}
                ).encode()
            else:
                body = b"error"
            content_type = "application/json" if telegram else "text/plain"
            return failure.status, content_type, body, failure.headers
        if request.path.startswith("/slack/"):
            return 200, "text/plain", b"ok", {}
        if telegram:
            try:
                sent = request.json()
            except ValueError:
                sent = {}
            with self._lock:
                message_id = len(self._requests)
            result = {"message_id": message_id, "chat": {"id": sent.get("chat_id")}, "text": sent.get("text")}
            return 200, "application/json", json.dumps({"ok": True, "result": result}).encode(), {}
        return 200, "text/plain", b"", {}


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = ReceivedRequest(
                method=self.command,
                path=self.path.split("?", 1)[0],
                headers=dict(self.headers.items()),
                body=body,
            )
            failure = receiver._arrive(request)
            status, content_type, answer, extra = receiver._answer(request, failure)
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                self.close_connection = True

    return Handler
