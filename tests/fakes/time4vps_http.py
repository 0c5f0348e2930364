"""The HTTP side of the fake Time4VPS: the threaded server and the request handler.

The handler parses each request, records it on the fake, applies the first matching failure
rule, and otherwise answers with what the fake's routing says (time4vps_provider.py).
"""

from __future__ import annotations

import json
import socket
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from tests.fakes.recording_server import KeepAliveHandler
from tests.fakes.time4vps_records import API_PREFIX, FailureRule, RecordedRequest

if TYPE_CHECKING:
    from tests.fakes.time4vps_provider import FakeTime4VPS


def handler_for(fake: FakeTime4VPS) -> type[BaseHTTPRequestHandler]:
    class Handler(KeepAliveHandler):
        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            path = self.path.split("?", 1)[0]
            if path.startswith(API_PREFIX):
                path = path[len(API_PREFIX) :]
            path = "/" + path.strip("/")
            authorization = self.headers.get("Authorization")
            rule = fake._arrive(
                RecordedRequest(
                    method=method,
                    path=path,
                    auth_present=authorization is not None,
                    authorized=fake._authorized(authorization),
                    body=body,
                    headers=dict(self.headers.items()),
                    received_at=time.monotonic(),
                )
            )
            try:
                self._respond(method, path, body, authorization, rule)
            except OSError:
                self.close_connection = True  # the client gave up (read timeout) and hung up
            finally:
                fake._leave()

        def _respond(
            self, method: str, path: str, body: Any, authorization: str | None, rule: FailureRule | None
        ) -> None:
            if rule is not None:
                if rule.delay:
                    fake._sleep(rule.delay)
                if rule.close:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if rule.wrong_credentials:
                    return self._send(401, {"error": ["wronglogin"]})
                if rule.malformed:
                    return self._send(200, b'{"server_id": 51001, "domain": "web1.exa', "application/json")
                if rule.status is not None or rule.body is not None:
                    status = rule.status or 200
                    answer = rule.body
                    if answer is None:
                        answer = {"error": [f"HTTP {status}"]} if status >= 400 else {}
                    return self._send(status, answer)
            if not fake._authorized(authorization):
                return self._send(401, {"error": ["wronglogin"]})
            status, answer = fake._route(method, path, body)
            return self._send(status, answer)

        def _send(self, status: int, answer: Any, content_type: str | None = None) -> None:
            if isinstance(answer, bytes):
                payload = answer
            elif isinstance(answer, str):
                payload = answer.encode()
                content_type = content_type or "text/html; charset=utf-8"
            else:
                payload = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "")
            self.send_header("Content-Type", content_type or "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
